import { describe, expect, it } from 'vitest'
import {
  ApiError,
  CONFLICT_CODES,
  conflictCode,
  conflictCodeOf,
  errorFromResponse,
  errorKind,
  fieldMessage,
  isStale,
  mapFieldErrors,
  networkError,
  problemMessage,
  toProblem,
} from '@/api/problem'
import zhCN from '@/i18n/zh-CN'
import en from '@/i18n/en'

const validation = {
  type: 'about:blank',
  title: '输入有误',
  status: 422,
  detail: '3 个字段有误',
  code: 'validation_failed',
  errors: [
    { field: 'amount_fen', message: '金额必须大于 0' },
    { field: 'mini_program.registration_email', message: '注册邮箱无效：格式不正确' },
    { field: 'payer_credit_code', message: '统一社会信用代码无效：校验位不正确' },
    { field: 'payer_credit_code', message: '另一条' },
    { field: 'currency', message: '币种只能是 CNY（人民币）' },
  ],
}

describe('problem+json mapping', () => {
  it('keeps the problem fields', () => {
    const p = toProblem(422, validation)
    expect(p.code).toBe('validation_failed')
    expect(p.errors).toHaveLength(5)
    expect(p.detail).toBe('3 个字段有误')
  })

  it('puts field errors next to form props, with aliases and leftovers', () => {
    const { byField, rest } = mapFieldErrors(
      validation.errors,
      ['amount_yuan', 'mini_program.registration_email', 'payer_credit_code'],
      { amount_fen: 'amount_yuan' },
    )
    expect(byField).toEqual({
      amount_yuan: '金额必须大于 0',
      'mini_program.registration_email': '注册邮箱无效：格式不正确',
      payer_credit_code: '统一社会信用代码无效：校验位不正确；另一条',
    })
    expect(rest).toEqual([{ field: 'currency', message: '币种只能是 CNY（人民币）' }])
  })

  it('drops malformed field errors', () => {
    const p = toProblem(422, { ...validation, errors: [{ field: 'a' }, null, { field: 'b', message: 'x' }] })
    expect(p.errors).toEqual([{ field: 'b', message: 'x' }])
  })

  it('classifies statuses', () => {
    expect(errorKind(0)).toBe('network')
    expect(errorKind(400)).toBe('validation')
    expect(errorKind(422)).toBe('validation')
    expect(errorKind(401)).toBe('unauthorized')
    expect(errorKind(403)).toBe('forbidden')
    expect(errorKind(404)).toBe('not_found')
    expect(errorKind(409)).toBe('conflict')
    expect(errorKind(413)).toBe('too_large')
    expect(errorKind(423)).toBe('locked')
    expect(errorKind(429)).toBe('rate_limited')
    expect(errorKind(500)).toBe('server')
    expect(errorKind(503)).toBe('unavailable')
  })

  it('reads a problem response with Retry-After (423 lockout)', async () => {
    const body = {
      type: 'about:blank',
      title: '账户已暂时锁定',
      status: 423,
      detail: '登录失败次数过多，请 15 分钟后再试',
      code: 'account_locked',
    }
    const res = new Response(JSON.stringify(body), {
      status: 423,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '900' },
    })
    const err = await errorFromResponse(res)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.kind).toBe('locked')
    expect(err.retryAfter).toBe(900)
    expect(err.problem.detail).toContain('15 分钟')
    expect(problemMessage(err)).toBe('登录失败次数过多，请 15 分钟后再试')
  })

  it('keeps `current` from a 409 so the view can reload', async () => {
    const res = new Response(
      JSON.stringify({ type: 'about:blank', title: '冲突', status: 409, detail: '已被修改', code: 'version_conflict', current: { status: 'pending_finance', version: 3 } }),
      { status: 409, headers: { 'Content-Type': 'application/problem+json' } },
    )
    const err = await errorFromResponse(res)
    expect(err.kind).toBe('conflict')
    expect(err.problem.current).toEqual({ status: 'pending_finance', version: 3 })
  })

  it('copes with a non-JSON error body (proxy page)', async () => {
    const res = new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    const err = await errorFromResponse(res)
    expect(err.kind).toBe('server')
    expect(err.problem.code).toBe('http_502')
    expect(err.problem.title).toBe('Bad Gateway')
    expect(err.fieldErrors).toEqual([])
  })

  it('wraps network failures', () => {
    const err = networkError(new TypeError('Failed to fetch'))
    expect(err.kind).toBe('network')
    expect(err.status).toBe(0)
  })
})

describe('Idempotency-Key', () => {
  it('is a v4 UUID, also without crypto.randomUUID (plain-http intranet)', async () => {
    const { newIdempotencyKey } = await import('@/api/client')
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    expect(newIdempotencyKey()).toMatch(uuid)
    const original = crypto.randomUUID
    try {
      Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true })
      const a = newIdempotencyKey()
      const b = newIdempotencyKey()
      expect(a).toMatch(uuid)
      expect(a).not.toBe(b)
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true })
    }
  })

  it('keeps one key per body and takes a fresh one when the body changes', async () => {
    const { useIdempotencyKey } = await import('@/composables/useIdempotency')
    const idem = useIdempotencyKey()
    const body = { paid_at: '2026-11-30', amount_fen: 37, reference: 'CMB1', version: 4 }
    const k1 = idem.keyFor(body)
    expect(idem.keyFor({ ...body })).toBe(k1) // a retry of the same body
    const k2 = idem.keyFor({ ...body, reference: 'CMB2' })
    expect(k2).not.toBe(k1)
    idem.reset()
    expect(idem.keyFor(body)).not.toBe(k2)
  })
})

describe('conflict codes', () => {
  const conflict = (code: string, status = 409) =>
    new ApiError({ type: 'about:blank', title: '冲突', status, detail: '', code })

  it('reads the code of a 409 when the server publishes it', () => {
    expect(conflictCode(conflict('username_taken'))).toBe('username_taken')
    expect(conflictCodeOf({ status: 409, code: 'idempotency_in_flight' })).toBe('idempotency_in_flight')
  })

  it('ignores unknown codes, other statuses and other errors', () => {
    expect(conflictCode(conflict('something_new'))).toBeNull()
    expect(conflictCode(conflict('version_conflict', 422))).toBeNull()
    expect(conflictCode(new Error('boom'))).toBeNull()
    expect(conflictCode(conflict('constructor'))).toBeNull()
  })

  it('treats only a changed version or state as stale (reload and redo)', () => {
    expect(isStale(conflict('version_conflict'))).toBe(true)
    expect(isStale(conflict('state_conflict'))).toBe(true)
    for (const code of ['next_step_acted', 'no_approver', 'idempotency_in_flight', 'email_taken', 'self_lockout']) {
      expect(isStale(conflict(code))).toBe(false)
    }
  })

  it('has a label for every code in both languages', () => {
    for (const code of CONFLICT_CODES) {
      expect(zhCN.conflictCode[code]).toBeTruthy()
      expect(en.conflictCode[code]).toBeTruthy()
    }
    expect(Object.keys(zhCN.conflictCode).sort()).toEqual([...CONFLICT_CODES].sort())
  })
})

describe('the message for one field', () => {
  const lapsed = new ApiError({
    type: 'about:blank',
    title: '输入有误',
    status: 422,
    detail: 'order_date：腾讯的验证订单已于 2026-01-11 失效',
    code: 'validation_failed',
    errors: [{ field: 'order_date', message: '腾讯的验证订单已于 2026-01-11 失效' }],
  })

  it('finds the message a refused call gave a field, without the field name', () => {
    expect(fieldMessage(lapsed, 'order_date')).toBe('腾讯的验证订单已于 2026-01-11 失效')
    expect(fieldMessage(new ApiError(validation), 'payer_credit_code')).toBe('统一社会信用代码无效：校验位不正确；另一条')
  })

  it('is null for other fields, other statuses and other errors', () => {
    expect(fieldMessage(lapsed, 'amount_fen')).toBeNull()
    expect(fieldMessage(new ApiError({ ...validation, status: 409, code: 'state_conflict' }), 'amount_fen')).toBeNull()
    expect(fieldMessage(new Error('boom'), 'order_date')).toBeNull()
  })
})
