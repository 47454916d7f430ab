// The action vocabulary shared by the audit log and the request timeline: one list, one tone
// per action, and one label table (i18n `action.*`), so both screens use the same words.
import type { components } from '@/api/schema'

/** Every action the server records in the audit chain, as its OpenAPI document publishes it. */
export type AuditAction = components['schemas']['AuditAction']

// A record rather than a list, so the compiler rejects it when the server adds or drops an
// action; the order is the audit filter's (request workflow, hand-offs, registry, admin, sign-in).
const ACTION_SET: Record<AuditAction, true> = {
  create: true,
  update: true,
  delete: true,
  submit: true,
  approve: true,
  reject: true,
  withdraw: true,
  payout: true,
  refund: true,
  resolve: true,
  refund_due: true,
  expire: true,
  attachment_add: true,
  transfer: true,
  add_approver: true,
  recall: true,
  reroute: true,
  comment: true,
  delegation_create: true,
  delegation_revoke: true,
  user_create: true,
  user_update: true,
  department_create: true,
  department_update: true,
  company_create: true,
  company_update: true,
  approval_rules_update: true,
  calendar_replace: true,
  mini_program_create: true,
  mini_program_update: true,
  mini_program_material: true,
  mini_program_status: true,
  login: true,
  login_failed: true,
  lockout: true,
  logout: true,
  password_change: true,
}
export const AUDIT_ACTIONS = Object.keys(ACTION_SET) as readonly AuditAction[]

export type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'info'

const TONE: Partial<Record<AuditAction, TagType>> = {
  approve: 'success',
  payout: 'success',
  refund: 'success',
  reject: 'danger',
  expire: 'danger',
  delete: 'danger',
  withdraw: 'warning',
  recall: 'warning',
  submit: 'primary',
  transfer: 'primary',
  add_approver: 'primary',
  resolve: 'success',
  login_failed: 'warning',
  lockout: 'danger',
}

function isAuditAction(action: string): action is AuditAction {
  return Object.hasOwn(ACTION_SET, action)
}

/** The tag colour of an action, the same in the audit log and the timeline. */
export function actionTone(action: string): TagType {
  return (isAuditAction(action) && TONE[action]) || 'info'
}

/** The action's label; an action this UI does not know yet shows as the server sent it. */
export function actionLabel(action: string, t: (key: string) => string, te: (key: string) => boolean): string {
  return te(`action.${action}`) ? t(`action.${action}`) : action
}
