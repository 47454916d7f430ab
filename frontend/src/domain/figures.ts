// The finance figures as charts (DESIGN §2.7): what each bar opens, and the chart options.
// Amounts arrive as integer fen; the charts draw yuan, the tooltips show exact yuan.
import { formatYuan } from './money'

export interface MonthFigure {
  month: string
  payouts: { count: number; amount_fen: number }
  refunds: { count: number; amount_fen: number }
  outstanding_fen: number
}

export interface AgingFigure {
  bucket: string
  count: number
  amount_fen: number
}

/** The first and last day of a `YYYY-MM` month, for the request list's `from`/`to` filter. */
export function monthSpan(month: string): { from: string; to: string } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  if (!m) return null
  const year = Number(m[1])
  const mon = Number(m[2])
  if (mon < 1 || mon > 12) return null
  const last = new Date(Date.UTC(year, mon, 0)).getUTCDate()
  return { from: `${m[1]}-${m[2]}-01`, to: `${m[1]}-${m[2]}-${String(last).padStart(2, '0')}` }
}

/** The list a refund-aging bar opens: requests still paid, the overdue ones from 11 working days. */
export function agingQuery(bucket: string): Record<string, string> {
  return bucket === '11-20' || bucket === '21+' ? { status: 'paid', flag: 'refund_overdue' } : { status: 'paid' }
}

function yuan(fen: number): number {
  return fen / 100
}

export interface ChartLabels {
  payouts: string
  refunds: string
  outstanding: string
  count: string
}

interface TooltipParam {
  seriesName?: string
  dataIndex: number
  marker?: string
}

/** Payouts and refunds per month as bars, the money still out as a line. */
export function monthlyOption(months: readonly MonthFigure[], l: ChartLabels) {
  const fen = (p: TooltipParam) => {
    const m = months[p.dataIndex]
    if (!m) return ''
    if (p.seriesName === l.payouts) return `${formatYuan(m.payouts.amount_fen)}（${m.payouts.count} ${l.count}）`
    if (p.seriesName === l.refunds) return `${formatYuan(m.refunds.amount_fen)}（${m.refunds.count} ${l.count}）`
    return formatYuan(m.outstanding_fen)
  }
  return {
    animation: false,
    color: ['#2f6fdf', '#35a66b', '#e6a23c'],
    tooltip: {
      trigger: 'axis',
      formatter: (params: TooltipParam[]) => {
        const first = params[0]
        const head = first ? (months[first.dataIndex]?.month ?? '') : ''
        return [head, ...params.map((p) => `${p.marker ?? ''}${p.seriesName ?? ''}：${fen(p)}`)].join('<br/>')
      },
    },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: months.map((m) => m.month) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `¥${v.toLocaleString('zh-CN')}` } },
    series: [
      { name: l.payouts, type: 'bar', data: months.map((m) => yuan(m.payouts.amount_fen)), cursor: 'pointer' },
      { name: l.refunds, type: 'bar', data: months.map((m) => yuan(m.refunds.amount_fen)), cursor: 'pointer' },
      { name: l.outstanding, type: 'line', smooth: false, symbolSize: 6, data: months.map((m) => yuan(m.outstanding_fen)) },
    ],
  }
}

/** Open refunds by working days since the payout, one bar per bucket. */
export function agingOption(buckets: readonly AgingFigure[], bucketLabel: (b: string) => string, count: string) {
  return {
    animation: false,
    color: ['#35a66b', '#2f6fdf', '#e6a23c', '#f56c6c'],
    tooltip: {
      trigger: 'item',
      formatter: (p: TooltipParam) => {
        const b = buckets[p.dataIndex]
        return b ? `${bucketLabel(b.bucket)}<br/>${formatYuan(b.amount_fen)}（${b.count} ${count}）` : ''
      },
    },
    grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
    // The bare buckets fit a phone's width; the tooltip names the unit.
    xAxis: { type: 'category', data: buckets.map((b) => b.bucket), axisLabel: { interval: 0 } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `¥${v.toLocaleString('zh-CN')}` } },
    series: [
      {
        type: 'bar',
        colorBy: 'data',
        cursor: 'pointer',
        data: buckets.map((b) => yuan(b.amount_fen)),
        label: { show: true, position: 'top', formatter: (p: TooltipParam) => String(buckets[p.dataIndex]?.count ?? '') },
      },
    ],
  }
}
