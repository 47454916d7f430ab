// The HTTP client: openapi-fetch typed by the generated schema, plus raw helpers for
// blobs, multipart and endpoints not yet in the spec. Every request carries the bearer
// token and Accept-Language; failures become ApiError (problem+json).
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError, errorFromResponse, networkError, toProblem } from './problem'

export type ApiLanguage = 'zh-CN' | 'en'

interface ClientHooks {
  token(): string | null
  language(): ApiLanguage
  /** Called once per 401 on a request that carried a token (the session ended). */
  onUnauthorized(): void
}

const hooks: ClientHooks = {
  token: () => null,
  language: () => 'zh-CN',
  onUnauthorized: () => {},
}

export function configureClient(h: Partial<ClientHooks>): void {
  Object.assign(hooks, h)
}

function applyCommonHeaders(headers: Headers): void {
  const token = hooks.token()
  if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`)
  headers.set('Accept-Language', hooks.language())
}

function noticeUnauthorized(res: Response, sentToken: boolean): void {
  if (res.status === 401 && sentToken) hooks.onUnauthorized()
}

const common: Middleware = {
  onRequest({ request }) {
    applyCommonHeaders(request.headers)
    return request
  },
  onResponse({ request, response }) {
    noticeUnauthorized(response, request.headers.has('Authorization'))
    return response
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(common)

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Awaits an openapi-fetch call and returns its data, or throws ApiError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>
  try {
    result = await call
  } catch (e) {
    throw networkError(e)
  }
  const { data, error, response } = result
  if (!response.ok) {
    const ra = response.headers.get('Retry-After')
    const retryAfter = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : null
    throw new ApiError(toProblem(response.status, error, response.statusText), retryAfter)
  }
  return data as T
}

/** A raw request to the API with the session's headers; throws ApiError unless 2xx. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  applyCommonHeaders(headers)
  let res: Response
  try {
    res = await fetch(path, { ...init, headers })
  } catch (e) {
    throw networkError(e)
  }
  noticeUnauthorized(res, headers.has('Authorization'))
  if (!res.ok) throw await errorFromResponse(res)
  return res
}

export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers)
  headers.set('Accept', 'application/json')
  if (init.body !== undefined && typeof init.body === 'string' && !headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json')
  }
  const res = await apiFetch(path, { ...init, headers })
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** Bytes sent so far of an upload, and its size when the browser knows it. */
export interface UploadProgress {
  loaded: number
  total: number | null
}

/**
 * A multipart POST with upload progress, which fetch cannot report, so this one goes through
 * XMLHttpRequest. No timeout (`xhr.timeout = 0`): a large bank statement takes seconds to
 * upload and more to match, and the server, not the browser, decides when it is too much.
 */
export function apiUpload<T>(path: string, form: FormData, onProgress?: (p: UploadProgress) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.timeout = 0
    const headers = new Headers({ Accept: 'application/json' })
    applyCommonHeaders(headers)
    headers.forEach((value, name) => xhr.setRequestHeader(name, value))
    if (onProgress) {
      xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : null })
    }
    xhr.onerror = () => reject(networkError(new Error('upload failed')))
    xhr.onabort = () => reject(networkError(new Error('upload aborted')))
    xhr.onload = () => {
      const text = xhr.responseText
      const resHeaders = new Headers({ 'Content-Type': xhr.getResponseHeader('Content-Type') ?? 'application/json' })
      const retryAfter = xhr.getResponseHeader('Retry-After')
      if (retryAfter !== null) resHeaders.set('Retry-After', retryAfter)
      const res = new Response(text, { status: xhr.status, statusText: xhr.statusText, headers: resHeaders })
      noticeUnauthorized(res, headers.has('Authorization'))
      if (xhr.status < 200 || xhr.status >= 300) {
        void errorFromResponse(res).then(reject)
        return
      }
      try {
        resolve((text ? JSON.parse(text) : undefined) as T)
      } catch (e) {
        reject(networkError(e))
      }
    }
    xhr.send(form)
  })
}

/** Downloads with the token (for previews, prints and exports that need auth). */
export async function apiBlob(path: string): Promise<{ blob: Blob; filename: string | null }> {
  const res = await apiFetch(path)
  const cd = res.headers.get('Content-Disposition') ?? ''
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  const plain = /filename="?([^";]+)"?/i.exec(cd)
  let filename: string | null = null
  if (star?.[1]) {
    try {
      filename = decodeURIComponent(star[1])
    } catch {
      filename = star[1]
    }
  } else if (plain?.[1]) {
    filename = plain[1]
  }
  return { blob: await res.blob(), filename }
}

/** A fresh Idempotency-Key. crypto.randomUUID needs a secure context (https or
 * localhost); an internal deployment on plain http falls back to getRandomValues. */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
