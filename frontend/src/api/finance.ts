// Finance endpoints of DESIGN §2 (exports, bank statements, calendar, notifications).
import { api, apiBlob, apiJson, unwrap } from './client'
import type { components } from './schema'

type S = components['schemas']
export type NotificationView = S['NotificationView']
export type NotificationPage = S['NotificationPage']
export type ImportResult = S['ImportResult']
export type CalendarYearView = S['CalendarYearView']
export type CalendarYearInput = S['CalendarYearInput']
export type WorkingDayAnswer = S['WorkingDayAnswer']

export function listNotifications(query: { unread?: boolean; page?: number; per_page?: number } = {}): Promise<NotificationPage> {
  return unwrap(api.GET('/api/v1/notifications', { params: { query } }))
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

/** Header cells of a statement (DESIGN §2.2): a signed `amount`, or `debit` + `credit`. */
export interface StatementMapping {
  date: string
  amount?: string
  debit?: string
  credit?: string
  counterparty_name: string
  counterparty_account?: string
  reference?: string
}

export function importStatement(
  file: File,
  opts: { mapping?: StatementMapping; bank?: string; commit: boolean },
): Promise<ImportResult> {
  const form = new FormData()
  form.append('file', file, file.name)
  if (opts.mapping) form.append('mapping', JSON.stringify(opts.mapping))
  if (opts.bank) form.append('bank', opts.bank)
  form.append('commit', opts.commit ? 'true' : 'false')
  return apiJson<ImportResult>('/api/v1/bank-statements', { method: 'POST', body: form })
}

export function getCalendar(year: number): Promise<CalendarYearView> {
  return unwrap(api.GET('/api/v1/calendar/{year}', { params: { path: { year } } }))
}

export function putCalendar(year: number, body: CalendarYearInput): Promise<CalendarYearView> {
  return unwrap(api.PUT('/api/v1/calendar/{year}', { params: { path: { year } }, body }))
}

export function addWorkingDays(from: string, days: number): Promise<WorkingDayAnswer> {
  return unwrap(api.GET('/api/v1/calendar/add-working-days', { params: { query: { from, days } } }))
}
