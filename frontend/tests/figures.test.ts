import { describe, expect, it } from 'vitest'
import { agingOption, agingQuery, monthSpan, monthlyOption, type MonthFigure } from '@/domain/figures'

describe('monthSpan', () => {
  it.each([
    ['2026-02', { from: '2026-02-01', to: '2026-02-28' }],
    ['2024-02', { from: '2024-02-01', to: '2024-02-29' }],
    ['2026-12', { from: '2026-12-01', to: '2026-12-31' }],
    ['2026-04', { from: '2026-04-01', to: '2026-04-30' }],
    ['2026-13', null],
    ['2026-1', null],
    ['', null],
  ])('%s', (month, want) => {
    expect(monthSpan(month)).toEqual(want)
  })
})

describe('agingQuery', () => {
  it.each([
    ['0-5', { status: 'paid' }],
    ['6-10', { status: 'paid' }],
    ['11-20', { status: 'paid', flag: 'refund_overdue' }],
    ['21+', { status: 'paid', flag: 'refund_overdue' }],
  ])('%s', (bucket, want) => {
    expect(agingQuery(bucket)).toEqual(want)
  })
})

describe('chart options', () => {
  const months: MonthFigure[] = [
    { month: '2026-10', payouts: { count: 2, amount_fen: 12345 }, refunds: { count: 0, amount_fen: 0 }, outstanding_fen: 12345 },
    { month: '2026-11', payouts: { count: 0, amount_fen: 0 }, refunds: { count: 1, amount_fen: 345 }, outstanding_fen: 12000 },
  ]
  const labels = { payouts: '打款', refunds: '退款', outstanding: '未退余额', count: '笔' }

  it('draws payouts and refunds as bars and the balance as a line, in yuan', () => {
    const o = monthlyOption(months, labels)
    expect(o.xAxis.data).toEqual(['2026-10', '2026-11'])
    expect(o.series.map((s) => s.type)).toEqual(['bar', 'bar', 'line'])
    expect(o.series[0].data).toEqual([123.45, 0])
    expect(o.series[2].data).toEqual([123.45, 120])
  })

  it('tooltips show exact yuan and counts', () => {
    const o = monthlyOption(months, labels)
    const text = o.tooltip.formatter([{ seriesName: '打款', dataIndex: 0 }])
    expect(text).toContain('2026-10')
    expect(text).toContain('123.45')
    expect(text).toContain('2 笔')
  })

  it('aging draws one bar per bucket', () => {
    const o = agingOption(
      [
        { bucket: '0-5', count: 1, amount_fen: 100 },
        { bucket: '21+', count: 2, amount_fen: 250 },
      ],
      (b) => `${b} 天`,
      '笔',
    )
    expect(o.xAxis.data).toEqual(['0-5', '21+'])
    expect(o.series[0].data).toEqual([1, 2.5])
  })
})
