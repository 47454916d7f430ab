// Delegations (代理, DESIGN §2.4) as listed: which side the caller is on, how a state shows,
// and who may still revoke one.
import type { DelegationView } from '@/api/chain'

export type DelegationSide = 'given' | 'received' | 'other'

/** `given`: the caller named the delegate; `received`: the caller is the delegate. */
export function delegationSide(d: Pick<DelegationView, 'approver_id' | 'delegate_id'>, me: number): DelegationSide {
  if (d.approver_id === me) return 'given'
  if (d.delegate_id === me) return 'received'
  return 'other'
}

export function delegationStateType(state: string): 'success' | 'primary' | 'info' | 'warning' {
  if (state === 'active') return 'success'
  if (state === 'upcoming') return 'primary'
  if (state === 'revoked') return 'warning'
  return 'info'
}

/** The approver who gave it, or an admin, while it is running or still to come. */
export function canRevokeDelegation(d: Pick<DelegationView, 'approver_id' | 'state'>, me: number, isAdmin: boolean): boolean {
  if (d.state !== 'active' && d.state !== 'upcoming') return false
  return d.approver_id === me || isAdmin
}
