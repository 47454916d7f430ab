// Endpoints from DESIGN §2 that the server does not offer yet (exports, bank statements,
// calendar, notifications). Shapes follow DESIGN §2/§2.1/§2.2; callers treat a 404 as
// "not built yet" and say so instead of failing.
import { apiBlob, apiJson } from './client'
import { ApiError } from './problem'

export function isNotBuilt(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)
}

export interface NotificationItem {
  id: number
  title?: string
  body?: string
  message?: string
  request_id?: number | null
  created_at?: string
  read_at?: string | null
  read?: boolean
}

export async function listNotifications(): Promise<{ items: NotificationItem[]; unread: number }> {
  const res = await apiJson<{ items?: NotificationItem[]; unread?: number } | NotificationItem[]>(
    '/api/v1/notifications',
  )
  const items = Array.isArray(res) ? res : (res.items ?? [])
  const unread = !Array.isArray(res) && typeof res.unread === 'number' ? res.unread : items.filter((n) => !n.read_at && !n.read).length
  return { items, unread }
}

export async function markNotificationRead(id: number): Promise<void> {
  await apiJson(`/api/v1/notifications/${id}/read`, { method: 'POST' })
}

export type ExportName = 'ledger' | 'reconciliation'

export function downloadExport(name: ExportName, query: Record<string, string | number | undefined>) {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v))
  const q = qs.toString()
  return apiBlob(`/api/v1/exports/${name}.xlsx${q ? `?${q}` : ''}`)
}

export interface StatementMapping {
  date: string
  amount?: string
  debit?: string
  credit?: string
  counterparty_name: string
  counterparty_account?: string
  reference?: string
}

export interface StatementResult {
  statement_id?: number | null
  lines: number
  duplicates: number
  matched: { line: number; request_id: number; action: 'payout' | 'refund' }[]
  ambiguous: { line: number; candidates: number[] }[]
  unmatched: number[]
}

export function importStatement(file: File, mapping: StatementMapping, commit: boolean): Promise<StatementResult> {
  const form = new FormData()
  form.append('file', file, file.name)
  form.append('mapping', JSON.stringify(mapping))
  form.append('commit', commit ? 'true' : 'false')
  return apiJson<StatementResult>('/api/v1/bank-statements', { method: 'POST', body: form })
}

export interface CalendarYear {
  year: number
  holidays: string[]
  workdays: string[]
}

export function getCalendar(year: number): Promise<CalendarYear> {
  return apiJson<CalendarYear>(`/api/v1/calendar/${year}`)
}

export function putCalendar(cal: CalendarYear): Promise<CalendarYear> {
  return apiJson<CalendarYear>(`/api/v1/calendar/${cal.year}`, { method: 'PUT', body: JSON.stringify(cal) })
}
