// Errors from the API arrive as application/problem+json (RFC 9457). ApiError carries
// the parsed problem so views can put messages next to the fields they name.
import type { components } from './schema'
import type { FieldErrorBody } from './types'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldErrorBody[]
  current?: Record<string, unknown> | null
  /** Members beyond the standard ones that some problems carry (e.g. `header` of `unknown_format`). */
  extensions?: Record<string, unknown>
}

/**
 * The `code` of a 409 problem, as the server's OpenAPI document publishes it (`ConflictCode`).
 * Labels live in one i18n table, `conflictCode`, checked against this type.
 */
export type ConflictCode = components['schemas']['ConflictCode']

// A record rather than a list, so the compiler rejects it when the server adds or drops a code.
const CONFLICT_CODE_SET: Record<ConflictCode, true> = {
  version_conflict: true,
  state_conflict: true,
  next_step_acted: true,
  no_approver: true,
  nothing_to_resolve: true,
  idempotency_in_flight: true,
  delegation_overlap: true,
  username_taken: true,
  email_taken: true,
  name_taken: true,
  credit_code_taken: true,
  self_lockout: true,
}
export const CONFLICT_CODES = Object.keys(CONFLICT_CODE_SET) as readonly ConflictCode[]

export function isConflictCode(code: string): code is ConflictCode {
  return Object.hasOwn(CONFLICT_CODE_SET, code)
}

/** The conflict code of a 409 problem; null for anything else (other statuses, unknown codes). */
export function conflictCodeOf(p: Pick<Problem, 'status' | 'code'>): ConflictCode | null {
  return p.status === 409 && isConflictCode(p.code) ? p.code : null
}

/** The conflict code of a refused call, when it is a 409 with a known code. */
export function conflictCode(err: unknown): ConflictCode | null {
  return err instanceof ApiError ? conflictCodeOf(err.problem) : null
}

/** Someone else changed the record meanwhile (its version or its state): reload and redo. */
export function isStale(err: unknown): err is ApiError {
  const code = conflictCode(err)
  return code === 'version_conflict' || code === 'state_conflict'
}

export type ErrorKind =
  | 'network'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'locked'
  | 'rate_limited'
  | 'too_large'
  | 'unavailable'
  | 'server'
  | 'other'

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  /** Seconds from a Retry-After header (423/429), when present. */
  readonly retryAfter: number | null

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.status = problem.status
    this.problem = problem
    this.retryAfter = retryAfter
  }

  get kind(): ErrorKind {
    return errorKind(this.status)
  }

  get fieldErrors(): FieldErrorBody[] {
    return this.problem.errors ?? []
  }
}

export function errorKind(status: number): ErrorKind {
  if (status === 0) return 'network'
  if (status === 400 || status === 422) return 'validation'
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 409) return 'conflict'
  if (status === 413) return 'too_large'
  if (status === 423) return 'locked'
  if (status === 429) return 'rate_limited'
  if (status === 503) return 'unavailable'
  if (status >= 500) return 'server'
  return 'other'
}

function isProblemLike(v: unknown): v is Partial<Problem> {
  return typeof v === 'object' && v !== null && ('detail' in v || 'title' in v || 'code' in v)
}

const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'current'])

function extensionsOf(body: object): Record<string, unknown> | undefined {
  const rest = Object.entries(body).filter(([k]) => !STANDARD_MEMBERS.has(k))
  return rest.length ? Object.fromEntries(rest) : undefined
}

/** Builds a Problem from whatever a failed response carried (problem+json, text, nothing). */
export function toProblem(status: number, body: unknown, statusText = ''): Problem {
  if (isProblemLike(body)) {
    const errors = Array.isArray(body.errors)
      ? body.errors.filter(
          (e): e is FieldErrorBody =>
            typeof e === 'object' && e !== null && typeof e.field === 'string' && typeof e.message === 'string',
        )
      : undefined
    return {
      type: typeof body.type === 'string' ? body.type : 'about:blank',
      title: typeof body.title === 'string' ? body.title : statusText,
      status: typeof body.status === 'number' ? body.status : status,
      detail: typeof body.detail === 'string' ? body.detail : '',
      code: typeof body.code === 'string' ? body.code : `http_${status}`,
      errors,
      current: body.current ?? null,
      extensions: extensionsOf(body),
    }
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 300) : ''
  return { type: 'about:blank', title: statusText, status, detail: text, code: `http_${status}` }
}

export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown
  try {
    const text = await res.text()
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
  } catch {
    body = undefined
  }
  const ra = res.headers.get('Retry-After')
  const retryAfter = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : null
  return new ApiError(toProblem(res.status, body, res.statusText), retryAfter)
}

export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail, code: 'network' })
}

/**
 * Field errors keyed by form prop. Server names (`amount_fen`, `mini_program.registration_email`)
 * map through `aliases` to the form's own props (e.g. `amount_fen` → `amount_yuan`); several
 * messages for one field are joined. Errors for fields the form does not show go to `rest`.
 */
export function mapFieldErrors(
  errors: FieldErrorBody[] | undefined,
  known: readonly string[],
  aliases: Record<string, string> = {},
): { byField: Record<string, string>; rest: FieldErrorBody[] } {
  const byField: Record<string, string> = {}
  const rest: FieldErrorBody[] = []
  for (const e of errors ?? []) {
    const field = aliases[e.field] ?? e.field
    if (known.includes(field)) {
      byField[field] = byField[field] ? `${byField[field]}；${e.message}` : e.message
    } else {
      rest.push(e)
    }
  }
  return { byField, rest }
}

/** The server's message for one field of a refused call (a 400/422 naming it); null otherwise. */
export function fieldMessage(err: unknown, field: string): string | null {
  if (!(err instanceof ApiError) || err.kind !== 'validation') return null
  const messages = err.fieldErrors.filter((e) => e.field === field).map((e) => e.message)
  return messages.length ? messages.join('；') : null
}

/** One line for a toast: the detail, or the title when there is none. */
export function problemMessage(err: unknown): string {
  if (err instanceof ApiError) return err.problem.detail || err.problem.title || `HTTP ${err.status}`
  if (err instanceof Error) return err.message
  return String(err)
}
