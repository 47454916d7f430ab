// The finance dashboard's lists: which requests fall in a list and what they add up to.
// Amounts stay integer fen (BigInt sums, so even 200 × 10 亿元 cannot lose a fen).
import { addDays } from './dates'

export interface Dated {
  id: number
  amount_fen: number
  refund_due?: string | null
  pay_by?: string | null
}

/** Exact sum of integer fen. */
export function sumFen<T>(items: readonly T[], pick: (item: T) => number | null | undefined): bigint {
  let total = 0n
  for (const it of items) {
    const v = pick(it)
    if (typeof v === 'number' && Number.isFinite(v)) total += BigInt(Math.trunc(v))
  }
  return total
}

/** The last day of "this week" for refunds: today + 7 calendar days. */
export function weekEnd(today: string, days = 7): string {
  return addDays(today, days) ?? today
}

/** Items whose refund_due is on or before today + `days` (overdue ones included), earliest first. */
export function refundsDueWithin<T extends Dated>(items: readonly T[], today: string, days = 7): T[] {
  const last = weekEnd(today, days)
  return items
    .filter((r) => !!r.refund_due && r.refund_due <= last)
    .sort((a, b) => (a.refund_due! < b.refund_due! ? -1 : a.refund_due! > b.refund_due! ? 1 : a.id - b.id))
}

/** Merges lists without repeating a request, ordered by the date that made it late. */
export function mergeOverdue<T extends Dated & { flags?: readonly string[] }>(...lists: (readonly T[])[]): T[] {
  const seen = new Map<number, T>()
  for (const list of lists) for (const r of list) if (!seen.has(r.id)) seen.set(r.id, r)
  const due = (r: T) => (r.flags?.includes('payout_overdue') ? r.pay_by : r.refund_due) ?? r.pay_by ?? r.refund_due ?? '9999-12-31'
  return [...seen.values()].sort((a, b) => (due(a) < due(b) ? -1 : due(a) > due(b) ? 1 : a.id - b.id))
}
