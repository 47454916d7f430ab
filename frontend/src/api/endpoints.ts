// One function per API operation the UI uses. Paths and bodies are checked against the
// generated schema by openapi-fetch; multipart uploads, blobs and the payout/refund calls
// (whose bodies share the generic `{action}` path in the spec) go through the raw helpers.
import { api, apiBlob, apiFetch, apiJson, newIdempotencyKey, unwrap } from './client'
import type {
  Action,
  AttachmentPurpose,
  AttachmentView,
  AuditEventView,
  CreateUser,
  DepartmentInput,
  DepartmentView,
  LoginResponse,
  MeView,
  Page,
  PayoutBody,
  RefundBody,
  RequestDetail,
  RequestInput,
  RequestView,
  Role,
  Tasks,
  UpdateUser,
  UserView,
} from './types'
import type { components, paths } from './schema'

export type RequestListQuery = NonNullable<paths['/api/v1/requests']['get']['parameters']['query']>
export type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>
export type TasksQuery = NonNullable<paths['/api/v1/tasks']['get']['parameters']['query']>
export type UserQuery = NonNullable<paths['/api/v1/users']['get']['parameters']['query']>

// ---- session -----------------------------------------------------------------

export function login(username: string, password: string): Promise<LoginResponse> {
  return unwrap(api.POST('/api/v1/auth/login', { body: { username, password } }))
}

/** The sign-in methods this server offers (password, the company's identity provider). */
export function authProviders(): Promise<components['schemas']['Providers']> {
  return unwrap(api.GET('/api/v1/auth/providers'))
}

/** Exchanges the one-use code of a single sign-on for a session, like a password login. */
export function ssoExchange(code: string): Promise<LoginResponse> {
  return unwrap(api.POST('/api/v1/auth/sso/exchange', { body: { code } }))
}

export async function logout(): Promise<void> {
  await unwrap(api.POST('/api/v1/auth/logout'))
}

export function me(): Promise<MeView> {
  return unwrap(api.GET('/api/v1/me'))
}

export async function changePassword(current_password: string, new_password: string): Promise<void> {
  await unwrap(api.POST('/api/v1/me/password', { body: { current_password, new_password } }))
}

// ---- requests ----------------------------------------------------------------

export function listRequests(query: RequestListQuery): Promise<Page<RequestView>> {
  return unwrap(api.GET('/api/v1/requests', { params: { query } }))
}

/** One page of the caller's to-do, with the counts per kind of task over all of it. */
export function tasks(query: TasksQuery = {}): Promise<Tasks> {
  return unwrap(api.GET('/api/v1/tasks', { params: { query } }))
}

export function getRequest(id: number): Promise<RequestDetail> {
  return unwrap(api.GET('/api/v1/requests/{id}', { params: { path: { id } } }))
}

export function createRequest(body: RequestInput): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests', { body }))
}

export function updateRequest(id: number, body: RequestInput): Promise<RequestDetail> {
  return unwrap(api.PATCH('/api/v1/requests/{id}', { params: { path: { id } }, body }))
}

export async function deleteRequest(id: number): Promise<void> {
  await unwrap(api.DELETE('/api/v1/requests/{id}', { params: { path: { id } } }))
}

export type SimpleAction = Extract<Action, 'submit' | 'approve' | 'reject' | 'withdraw'>

/** `cc_user_ids` only with `submit` (抄送): they may read the request and are notified. */
export function act(
  id: number,
  action: SimpleAction,
  body: { comment?: string; version?: number; cc_user_ids?: number[] },
): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests/{id}/{action}', { params: { path: { id, action } }, body }))
}

/** Payout and refund honour Idempotency-Key: the caller keeps one key per attempt so a
 * retry of the same body is answered from the first response and recorded once. */
export function recordPayout(id: number, body: PayoutBody, idempotencyKey = newIdempotencyKey()): Promise<RequestDetail> {
  return apiJson<RequestDetail>(`/api/v1/requests/${id}/payout`, {
    method: 'POST',
    headers: { 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify(body),
  })
}

export function recordRefund(id: number, body: RefundBody, idempotencyKey = newIdempotencyKey()): Promise<RequestDetail> {
  return apiJson<RequestDetail>(`/api/v1/requests/${id}/refund`, {
    method: 'POST',
    headers: { 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify(body),
  })
}

export function listAttachments(id: number): Promise<AttachmentView[]> {
  return unwrap(api.GET('/api/v1/requests/{id}/attachments', { params: { path: { id } } }))
}

export function uploadAttachment(id: number, file: File, purpose: AttachmentPurpose): Promise<AttachmentView> {
  const form = new FormData()
  form.append('purpose', purpose)
  form.append('file', file, file.name)
  return apiJson<AttachmentView>(`/api/v1/requests/${id}/attachments`, { method: 'POST', body: form })
}

export function downloadAttachment(id: number, aid: number) {
  return apiBlob(`/api/v1/requests/${id}/attachments/${aid}`)
}

export async function printHtml(id: number): Promise<string> {
  const res = await apiFetch(`/api/v1/requests/${id}/print`, { headers: { Accept: 'text/html' } })
  return res.text()
}

/** The same 审批单 as an A4 PDF (503 when the server has no browser to render it). */
export function printPdf(id: number) {
  return apiBlob(`/api/v1/requests/${id}/print.pdf`)
}

// ---- admin -------------------------------------------------------------------

export function listUsers(query: UserQuery = {}): Promise<Page<UserView>> {
  return unwrap(api.GET('/api/v1/users', { params: { query } }))
}

export function createUser(body: CreateUser): Promise<UserView> {
  return unwrap(api.POST('/api/v1/users', { body }))
}

export function updateUser(id: number, body: UpdateUser): Promise<UserView> {
  return unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body }))
}

export function listDepartments(): Promise<DepartmentView[]> {
  return unwrap(api.GET('/api/v1/departments'))
}

export function createDepartment(body: DepartmentInput): Promise<DepartmentView> {
  return unwrap(api.POST('/api/v1/departments', { body }))
}

export function updateDepartment(id: number, body: DepartmentInput): Promise<DepartmentView> {
  return unwrap(api.PATCH('/api/v1/departments/{id}', { params: { path: { id } }, body }))
}

export function listAudit(query: AuditQuery): Promise<Page<AuditEventView>> {
  return unwrap(api.GET('/api/v1/audit', { params: { query } }))
}

export type { Role }

// ---- batch decisions and figures (DESIGN §2.7) ----------------------------------

export type BatchAction = 'approve' | 'reject'
export type BatchResult = components['schemas']['BatchResult']

/** Approve or reject several requests in one call; each item answers as it would alone. */
export function batchAct(
  action: BatchAction,
  items: { id: number; version: number }[],
  comment?: string,
): Promise<BatchResult[]> {
  return unwrap(api.POST('/api/v1/requests/batch/{action}', { params: { path: { action } }, body: { items, comment } })).then(
    (r) => r.results,
  )
}

export type MonthlyAnswer = components['schemas']['MonthlyAnswer']
export type AgingAnswer = components['schemas']['AgingAnswer']

export function monthlyStats(query: { from?: string; to?: string } = {}): Promise<MonthlyAnswer> {
  return unwrap(api.GET('/api/v1/stats/monthly', { params: { query } }))
}

export function refundAging(): Promise<AgingAnswer> {
  return unwrap(api.GET('/api/v1/stats/refund-aging'))
}
