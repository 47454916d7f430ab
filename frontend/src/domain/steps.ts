// Where a request stands on the step bar 申请 → 经理审批 → 财务审批 → 打款 → 退款.
import type { Kind, Status, TimelineEntry } from '@/api/types'

export type StepKey = 'apply' | 'manager' | 'finance' | 'payout' | 'refund'
export interface StepState {
  steps: StepKey[]
  /** Index of the current step; steps.length when everything is done. */
  active: number
  /** How the current step is shown: in progress, refused/stopped, or done. */
  state: 'process' | 'error' | 'finish'
}

const STEP_OF_STATUS: Partial<Record<Status, number>> = {
  draft: 0,
  pending_manager: 1,
  pending_finance: 2,
  approved: 3,
  paid: 4,
}

/** The step a request was at when it left the normal path (returned, withdrawn, expired). */
function stepBefore(action: string, timeline: TimelineEntry[]): number {
  const last = [...timeline].reverse().find((e) => e.action === action)
  const from = (last?.from_status ?? '') as Status
  return STEP_OF_STATUS[from] ?? 0
}

export function stepState(status: Status, kind: Kind, refundable: boolean, timeline: TimelineEntry[]): StepState {
  const steps: StepKey[] = ['apply', 'manager', 'finance', 'payout']
  if (refundable || kind === 'verification_transfer') steps.push('refund')
  switch (status) {
    case 'draft':
      return { steps, active: 0, state: 'process' }
    case 'pending_manager':
    case 'pending_finance':
    case 'approved':
    case 'paid':
      return { steps, active: Math.min(STEP_OF_STATUS[status]!, steps.length), state: 'process' }
    case 'refunded':
    case 'closed':
      return { steps, active: steps.length, state: 'finish' }
    case 'returned':
      return { steps, active: stepBefore('reject', timeline), state: 'error' }
    case 'withdrawn':
      return { steps, active: stepBefore('withdraw', timeline), state: 'error' }
    case 'expired':
      return { steps, active: stepBefore('expire', timeline), state: 'error' }
  }
}

/** The timeline entry that completed a step, for the caption under it. */
export function stepEntry(step: StepKey, timeline: TimelineEntry[]): TimelineEntry | undefined {
  const rev = [...timeline].reverse()
  switch (step) {
    case 'apply':
      return rev.find((e) => e.action === 'submit')
    case 'manager':
      return rev.find((e) => e.action === 'approve' && e.from_status === 'pending_manager')
    case 'finance':
      return rev.find((e) => e.action === 'approve' && e.from_status === 'pending_finance')
    case 'payout':
      return rev.find((e) => e.action === 'payout')
    case 'refund':
      return rev.find((e) => e.action === 'refund')
  }
}
