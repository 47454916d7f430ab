// The action vocabulary shared by the audit log and the request timeline: one list, one tone
// per action, and one label table (i18n `action.*`), so both screens use the same words.

/** Every action the server records in the audit chain (request workflow, hand-offs, admin). */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'submit',
  'approve',
  'reject',
  'withdraw',
  'payout',
  'refund',
  'expire',
  'attachment_add',
  'transfer',
  'add_approver',
  'recall',
  'reroute',
  'comment',
  'delegation_create',
  'delegation_revoke',
  'user_create',
  'user_update',
  'department_create',
  'department_update',
  'company_create',
  'company_update',
  'approval_rules_update',
  'calendar_replace',
  'mini_program_create',
  'mini_program_update',
  'mini_program_material',
  'mini_program_status',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

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
}

function isAuditAction(action: string): action is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(action)
}

/** The tag colour of an action, the same in the audit log and the timeline. */
export function actionTone(action: string): TagType {
  return (isAuditAction(action) && TONE[action]) || 'info'
}

/** The action's label; an action this UI does not know yet shows as the server sent it. */
export function actionLabel(action: string, t: (key: string) => string, te: (key: string) => boolean): string {
  return te(`action.${action}`) ? t(`action.${action}`) : action
}
