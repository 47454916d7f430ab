// Finance endpoints of DESIGN §2 (exports, calendar, notifications); bank statements are in statements.ts.
import { api, apiBlob, apiJson, unwrap } from './client'
import type { components } from './schema'

type S = components['schemas']
export type NotificationView = S['NotificationView']
export type NotificationPage = S['NotificationPage']
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

export function getCalendar(year: number): Promise<CalendarYearView> {
  return unwrap(api.GET('/api/v1/calendar/{year}', { params: { path: { year } } }))
}

export function putCalendar(year: number, body: CalendarYearInput): Promise<CalendarYearView> {
  return unwrap(api.PUT('/api/v1/calendar/{year}', { params: { path: { year } }, body }))
}

export function addWorkingDays(from: string, days: number): Promise<WorkingDayAnswer> {
  return unwrap(api.GET('/api/v1/calendar/add-working-days', { params: { query: { from, days } } }))
}
