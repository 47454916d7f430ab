// Where a request stands on the step bar 申请 → 经理审批 → 财务审批 → 打款 → 退款.
import type { Kind, Status, TimelineEntry } from '@/api/types'
import type { StepView } from '@/api/chain'

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

/** One stop on the bar: a fixed step, or one step of the request's approval chain. */
export interface BarItem {
  key: string
  /** The fixed step it stands for (chain steps stand for `manager` or `finance`). */
  base: StepKey
  step?: StepView
}

export interface ChainProgress {
  items: BarItem[]
  active: number
  state: StepState['state']
}

interface ProgressInput {
  status: Status
  kind: Kind
  refundable: boolean
  timeline: TimelineEntry[]
  steps?: StepView[]
}

/**
 * The step bar with the approval stages spelled out as the request's chain (经理审批 →
 * 分管领导 → 财务审批 …). Without a chain (a draft) it is the fixed bar of `stepState`.
 */
export function chainProgress(r: ProgressInput): ChainProgress {
  const base = stepState(r.status, r.kind, r.refundable, r.timeline)
  const chain = r.steps ?? []
  if (chain.length === 0) return { items: base.steps.map((k) => ({ key: k, base: k })), active: base.active, state: base.state }
  const items: BarItem[] = []
  const firstOf: number[] = []
  base.steps.forEach((k, i) => {
    firstOf[i] = items.length
    const stage = k === 'manager' || k === 'finance' ? k : null
    const inStage = stage ? chain.map((step, j) => ({ step, j })).filter((x) => x.step.stage === stage) : []
    if (inStage.length === 0) items.push({ key: k, base: k })
    else for (const { step, j } of inStage) items.push({ key: `chain-${j}`, base: k, step })
  })
  firstOf[base.steps.length] = items.length
  let active = firstOf[base.active] ?? items.length
  // Within an approval stage the step marked current is the one waiting (or refused).
  const at = base.steps[base.active]
  if ((at === 'manager' || at === 'finance') && base.state !== 'finish') {
    const current = items.findIndex((it) => it.step?.state === 'current')
    if (current >= 0) active = current
  }
  return { items, active, state: base.state }
}
