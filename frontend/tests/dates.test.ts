import { describe, expect, it } from 'vitest'
import { addDays, chinaToday, formatDateTime, orderLapsed, payBy } from '@/domain/dates'
import { stepState } from '@/domain/steps'
import type { TimelineEntry } from '@/api/types'

describe('pay_by = order_date + 10 calendar days', () => {
  it.each([
    ['2026-11-28', '2026-12-08'],
    ['2026-12-25', '2027-01-04'],
    ['2024-02-20', '2024-03-01'], // leap year
    ['2025-02-20', '2025-03-02'],
  ])('%s → %s', (order, due) => {
    expect(payBy(order)).toBe(due)
  })
  it('is null without a date', () => {
    expect(payBy('')).toBeNull()
    expect(addDays('2026-13-45x', 1)).toBeNull()
  })
})

describe('China time', () => {
  it('uses Asia/Shanghai for today', () => {
    // 2026-11-30 17:30 UTC is already 12-01 in China.
    expect(chinaToday(new Date('2026-11-30T17:30:00Z'))).toBe('2026-12-01')
    expect(formatDateTime('2026-11-30T06:13:05Z')).toBe('2026-11-30 14:13')
  })
})

describe('step bar', () => {
  const entry = (action: string, from: string | null, to: string | null): TimelineEntry => ({
    seq: 1,
    at: '2026-11-30T06:00:00Z',
    actor_name: 'x',
    action,
    from_status: from,
    to_status: to,
  })
  it('follows the status', () => {
    expect(stepState('draft', 'verification_transfer', true, [])).toMatchObject({ active: 0, state: 'process' })
    expect(stepState('pending_finance', 'verification_transfer', true, [])).toMatchObject({ active: 2 })
    expect(stepState('paid', 'verification_transfer', true, [])).toMatchObject({ active: 4 })
    expect(stepState('refunded', 'verification_transfer', true, []).active).toBe(5)
  })
  it('has no refund step for a certification fee', () => {
    const s = stepState('closed', 'certification_fee', false, [])
    expect(s.steps).toEqual(['apply', 'manager', 'finance', 'payout'])
    expect(s).toMatchObject({ active: 4, state: 'finish' })
  })
  it('marks where a request was returned', () => {
    const tl = [entry('submit', 'draft', 'pending_manager'), entry('approve', 'pending_manager', 'pending_finance'), entry('reject', 'pending_finance', 'returned')]
    expect(stepState('returned', 'verification_transfer', true, tl)).toMatchObject({ active: 2, state: 'error' })
  })
})

describe("a lapsed verification order (Tencent's 10-day window)", () => {
  const draft = { kind: 'verification_transfer', status: 'draft', pay_by: '2026-11-30' }

  it('lapses the day after pay_by, for a draft or a returned request', () => {
    expect(orderLapsed(draft, '2026-11-30')).toBe(false)
    expect(orderLapsed(draft, '2026-12-01')).toBe(true)
    expect(orderLapsed({ ...draft, status: 'returned' }, '2026-12-01')).toBe(true)
  })

  it('leaves other kinds and requests already on their way alone', () => {
    expect(orderLapsed({ ...draft, kind: 'certification_fee' }, '2026-12-01')).toBe(false)
    expect(orderLapsed({ ...draft, status: 'pending_manager' }, '2026-12-01')).toBe(false)
    expect(orderLapsed({ ...draft, status: 'expired' }, '2026-12-01')).toBe(false)
  })
})
