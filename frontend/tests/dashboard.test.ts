import { describe, expect, it } from 'vitest'
import { mergeOverdue, refundsDueWithin, sumFen, weekEnd } from '@/domain/dashboard'
import { formatYuan } from '@/domain/money'

const r = (id: number, amount_fen: number, extra: Record<string, unknown> = {}) => ({ id, amount_fen, flags: [] as string[], ...extra })

describe('dashboard totals in integer fen', () => {
  it('adds odd amounts exactly (no float drift)', () => {
    const items = [r(1, 1), r(2, 37), r(3, 99999), r(4, 10), r(5, 20)]
    expect(sumFen(items, (x) => x.amount_fen)).toBe(100067n)
    expect(formatYuan(sumFen(items, (x) => x.amount_fen))).toBe('¥1,000.67')
    // 0.1 + 0.2 in yuan would not be 0.3 as floats; in fen it is.
    expect(formatYuan(sumFen([r(1, 10), r(2, 20)], (x) => x.amount_fen))).toBe('¥0.30')
  })
  it('stays exact beyond Number.MAX_SAFE_INTEGER', () => {
    const big = Array.from({ length: 200 }, (_, i) => r(i, 100_000_000_000))
    expect(sumFen(big, (x) => x.amount_fen)).toBe(20_000_000_000_000n)
  })
  it('skips missing amounts', () => {
    const rows: { payout_amount_fen: number | null }[] = [{ payout_amount_fen: null }, { payout_amount_fen: 7 }]
    expect(sumFen(rows, (x) => x.payout_amount_fen)).toBe(7n)
    expect(sumFen([], () => 1)).toBe(0n)
  })
})

describe('refunds due this week', () => {
  const today = '2026-11-30'
  it('ends 7 days after today', () => {
    expect(weekEnd(today)).toBe('2026-12-07')
    expect(weekEnd('2026-12-28')).toBe('2027-01-04')
  })
  it('keeps refund_due ≤ today + 7 (overdue included), earliest first', () => {
    const items = [
      r(1, 1, { refund_due: '2026-12-08' }),
      r(2, 2, { refund_due: '2026-12-07' }),
      r(3, 3, { refund_due: '2026-11-20' }),
      r(4, 4, { refund_due: null }),
      r(5, 5, { refund_due: '2026-12-01' }),
    ]
    expect(refundsDueWithin(items, today).map((x) => x.id)).toEqual([3, 5, 2])
  })
})

describe('overdue list', () => {
  it('merges payout and refund overdue without repeats, by the late date', () => {
    const payout = [r(1, 1, { flags: ['payout_overdue'], pay_by: '2026-11-25' }), r(2, 1, { flags: ['payout_overdue'], pay_by: '2026-11-10' })]
    const refund = [r(3, 1, { flags: ['refund_overdue'], refund_due: '2026-11-15', pay_by: '2026-10-01' }), r(1, 1, { flags: ['payout_overdue'] })]
    expect(mergeOverdue(payout, refund).map((x) => x.id)).toEqual([2, 3, 1])
  })
})
