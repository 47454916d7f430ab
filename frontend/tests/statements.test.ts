import { describe, expect, it } from 'vitest'
import { ApiError, toProblem } from '@/api/problem'
import { unknownFormat } from '@/api/statements'
import { choicesOf, filterRows, guessMapping, lineRows, mappingOf, missingFields, normaliseHeader } from '@/domain/statements'

describe('guessMapping', () => {
  it('maps a debit/credit layout by the names of its cells', () => {
    const d = guessMapping(['交易时间', '借方发生额（支取）', '贷方发生额（收入）', '余额', '对方单位名称', '对方账号', '用途', '摘要'])
    expect(d).toMatchObject({
      mode: 'split',
      date: '交易时间',
      debit: '借方发生额（支取）',
      credit: '贷方发生额（收入）',
      amount: '',
      counterparty_name: '对方单位名称',
      counterparty_account: '对方账号',
      reference: '用途',
    })
  })

  it('reads one signed amount when there is no debit/credit pair', () => {
    const d = guessMapping(['交易日期', '金额', '对方户名', '对方账号', '流水号'])
    expect(d).toMatchObject({ mode: 'signed', date: '交易日期', amount: '金额', counterparty_name: '对方户名', counterparty_account: '对方账号', reference: '' })
  })

  it('pairs an amount with a 借/贷 flag column', () => {
    const d = guessMapping(['记账日期', '起息日期', '借贷标志', '交易金额', '账户余额', '对方户名', '对方账号', '附言'])
    expect(d).toMatchObject({ mode: 'flag', date: '记账日期', amount: '交易金额', direction: '借贷标志', reference: '附言' })
  })

  it("keeps the statement's own side and the bank name out of the counterparty", () => {
    const d = guessMapping(['日期', '本方账号', '本方户名', '对方开户行名称', '收款人名称', '收款人账号', '金额'])
    expect(d.counterparty_name).toBe('收款人名称')
    expect(d.counterparty_account).toBe('收款人账号')
  })

  it('uses each cell once and leaves unknown fields empty', () => {
    const d = guessMapping(['A', 'B', ''])
    expect(missingFields(d)).toEqual(['date', 'counterparty_name', 'amount'])
  })

  it('normalises full-width brackets, colons and spaces', () => {
    expect(normaliseHeader(' 金额（元）： ')).toBe('金额(元):')
  })
})

describe('mappingOf', () => {
  it('sends only the columns of the chosen mode', () => {
    const d = guessMapping(['交易日期', '借方金额', '贷方金额', '对方户名'])
    expect(mappingOf(d)).toEqual({ date: '交易日期', debit: '借方金额', credit: '贷方金额', counterparty_name: '对方户名', counterparty_account: undefined, reference: undefined })
  })
})

describe('lineRows', () => {
  const entry = (line: number, amount_fen: number) => ({
    line,
    date: '2026-12-01',
    amount_fen,
    counterparty_name: 'x',
    counterparty_account: '',
    reference: '',
    occurrence: 1,
    duplicate: false,
  })
  const rows = lineRows({
    entries: [entry(3, -100), entry(1, 100), entry(2, -5), entry(5, 7)],
    matched: [{ line: 1, request_id: 9, number: 'YF-1', action: 'refund', chosen: false }],
    ambiguous: [{ line: 2, candidates: [4, 5], candidate_requests: [] }],
    unmatched: [3],
    invalid: [{ line: 4, message: 'bad date' }],
    errors: [{ line: 1, request_id: 9, message: 'four-eyes' }],
  })

  it('joins every list to its line, in line order', () => {
    expect(rows.map((r) => [r.line, r.status])).toEqual([
      [1, 'matched'],
      [2, 'ambiguous'],
      [3, 'unmatched'],
      [4, 'invalid'],
      [5, 'other'],
    ])
    expect(rows[0].problem?.message).toBe('four-eyes')
    expect(rows[3].entry).toBeUndefined()
  })

  it('filters by status', () => {
    expect(filterRows(rows, 'ambiguous').map((r) => r.line)).toEqual([2])
    expect(filterRows(rows, 'all')).toHaveLength(5)
  })
})

describe('choicesOf', () => {
  it('drops the lines left for later', () => {
    expect(choicesOf({ 12: 345, 13: 0 })).toEqual({ '12': 345 })
  })
})

describe('unknownFormat', () => {
  it('reads the header the server found from a 422 unknown_format', () => {
    const body = { type: 'about:blank', title: '无法识别', status: 422, detail: '无法识别该文件的格式', code: 'unknown_format', header_row: 4, header: ['日期', '金额', 7] }
    expect(unknownFormat(new ApiError(toProblem(422, body)))).toEqual({ headerRow: 4, header: ['日期', '金额', '7'] })
  })

  it('is null for any other refusal', () => {
    expect(unknownFormat(new ApiError(toProblem(422, { code: 'validation', detail: 'x' })))).toBeNull()
    expect(unknownFormat(new Error('x'))).toBeNull()
  })
})
