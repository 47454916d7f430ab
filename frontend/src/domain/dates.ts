// Calendar dates as `YYYY-MM-DD` strings. Arithmetic runs in UTC on the date alone, so
// the browser's time zone can never shift a day.

/** "请在10天内完成汇款" (the seed): pay_by = order_date + 10 calendar days. */
export const PAY_WITHIN_DAYS = 10

export function addDays(date: string, days: number): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return null
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (Number.isNaN(t)) return null
  return new Date(t + days * 86_400_000).toISOString().slice(0, 10)
}

export function payBy(orderDate: string | null | undefined): string | null {
  return orderDate ? addDays(orderDate, PAY_WITHIN_DAYS) : null
}

/** Today's date in China (Asia/Shanghai), which is what the server validates against. */
/**
 * Tencent voids a verification order once its `pay_by` has passed: a draft or returned
 * `verification_transfer` can then not be submitted until it names a new order's date
 * (the server refuses with a 422 on `order_date` and offers no submit).
 */
export function orderLapsed(r: { kind: string; status: string; pay_by: string }, today: string): boolean {
  return r.kind === 'verification_transfer' && (r.status === 'draft' || r.status === 'returned') && r.pay_by < today
}

export function chinaToday(now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** A timestamp shown in China time: `2026-11-30 14:05`. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}
