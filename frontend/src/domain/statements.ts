// Pure helpers of the bank statement import (DESIGN §2.2): a first guess of the column
// mapping from a header row the server did not recognise, and one row per statement line
// joining the server's lists (matched, ambiguous, unmatched, invalid) to the line itself.
import type {
  AmbiguousLine,
  LineProblem,
  MatchedLine,
  StatementEntry,
  StatementFormat,
  StatementImport,
  StatementMapping,
} from '@/api/statements'

export const STATEMENT_FORMATS = [
  'icbc',
  'ccb',
  'cmb',
  'boc',
  'abc',
  'bocom',
  'spdb',
  'cib',
  'cmbc',
  'pingan',
  'citic',
  'generic',
  'mapping',
] as const satisfies readonly StatementFormat[]

/** How the amount is read: one signed column, debit + credit columns, or an amount and a 借/贷 flag. */
export type AmountMode = 'signed' | 'split' | 'flag'

/** The mapping form's state: every select holds a header cell, or '' for none. */
export interface MappingDraft {
  mode: AmountMode
  date: string
  amount: string
  debit: string
  credit: string
  direction: string
  counterparty_name: string
  counterparty_account: string
  reference: string
}

/** Header text as the server compares it: no spaces, half-width brackets and colons. */
export function normaliseHeader(cell: string): string {
  return cell
    .replace(/[\s\u3000]+/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .replace(/：/g, ':')
}

type Field = Exclude<keyof MappingDraft, 'mode'>

// Each field's words, strongest first; `avoid` keeps the statement's own side (本方) and the
// running balance (余额) out of the counterparty and amount guesses.
const GUESSES: { field: Field; words: string[]; prefer?: string[]; avoid?: string[] }[] = [
  { field: 'debit', words: ['借方', '支出'], avoid: ['标志', '方向'] },
  { field: 'credit', words: ['贷方', '收入'], avoid: ['标志', '方向'] },
  { field: 'direction', words: ['借贷', '收支', '方向', '借/贷', '收/支'] },
  { field: 'date', words: ['日期', '时间'], prefer: ['交易', '记账'] },
  { field: 'amount', words: ['金额', '发生额'], prefer: ['交易'], avoid: ['余额'] },
  { field: 'counterparty_account', words: ['账号', '帐号', '账户'], prefer: ['对方', '收款', '对手'], avoid: ['本方', '本账户', '户名', '名称'] },
  { field: 'counterparty_name', words: ['户名', '名称'], prefer: ['对方', '收款', '对手'], avoid: ['本方', '本账户', '开户行', '银行'] },
  { field: 'reference', words: ['摘要', '用途', '附言'] },
]

/**
 * A first guess of the mapping from the header cells: 日期/时间 → date, 借方/支出 → debit,
 * 贷方/收入 → credit, 金额 → amount, 户名/名称 → counterparty, 账号 → account,
 * 摘要/用途/附言 → reference. Each cell serves one field; the user corrects the rest.
 */
export function guessMapping(header: readonly string[]): MappingDraft {
  const cells = header.map((c) => ({ raw: c, norm: normaliseHeader(c) })).filter((c) => c.norm !== '')
  const used = new Set<string>()
  const draft: MappingDraft = {
    mode: 'signed',
    date: '',
    amount: '',
    debit: '',
    credit: '',
    direction: '',
    counterparty_name: '',
    counterparty_account: '',
    reference: '',
  }
  for (const g of GUESSES) {
    const fits = cells.filter(
      (c) => !used.has(c.raw) && g.words.some((w) => c.norm.includes(w)) && !(g.avoid ?? []).some((w) => c.norm.includes(w)),
    )
    const best = fits.find((c) => (g.prefer ?? []).some((w) => c.norm.includes(w))) ?? fits[0]
    if (best) {
      draft[g.field] = best.raw
      used.add(best.raw)
    }
  }
  if (draft.debit && draft.credit) draft.mode = 'split'
  else if (draft.amount && draft.direction) draft.mode = 'flag'
  return draft
}

/** The mapping the server takes, from the form: only the columns its mode uses. */
export function mappingOf(d: MappingDraft): StatementMapping {
  const opt = (s: string) => s.trim() || undefined
  const amount =
    d.mode === 'split'
      ? { debit: d.debit, credit: d.credit }
      : d.mode === 'flag'
        ? { amount: d.amount, direction: d.direction }
        : { amount: d.amount }
  return {
    date: d.date,
    ...amount,
    counterparty_name: d.counterparty_name,
    counterparty_account: opt(d.counterparty_account),
    reference: opt(d.reference),
  }
}

/** The fields the form still needs for its mode (empty when it can be sent). */
export function missingFields(d: MappingDraft): Field[] {
  const need: Field[] = ['date', 'counterparty_name']
  if (d.mode === 'split') need.push('debit', 'credit')
  else if (d.mode === 'flag') need.push('amount', 'direction')
  else need.push('amount')
  return need.filter((f) => d[f].trim() === '')
}

export type LineStatus = 'matched' | 'ambiguous' | 'unmatched' | 'invalid' | 'other'

/** One line of the statement with what the server made of it. */
export interface LineRow {
  line: number
  status: LineStatus
  entry?: StatementEntry
  match?: MatchedLine
  ambiguous?: AmbiguousLine
  /** Why the line could not be read (invalid) or was refused on commit (errors). */
  problem?: LineProblem
}

/** Every line the answer names, in line order, each with its status. */
export function lineRows(r: Pick<StatementImport, 'entries' | 'matched' | 'ambiguous' | 'unmatched' | 'invalid' | 'errors'>): LineRow[] {
  const rows = new Map<number, LineRow>()
  const row = (line: number): LineRow => {
    let x = rows.get(line)
    if (!x) {
      x = { line, status: 'other' }
      rows.set(line, x)
    }
    return x
  }
  for (const e of r.entries) row(e.line).entry = e
  for (const m of r.matched) Object.assign(row(m.line), { status: 'matched', match: m })
  for (const a of r.ambiguous) Object.assign(row(a.line), { status: 'ambiguous', ambiguous: a })
  for (const line of r.unmatched) row(line).status = 'unmatched'
  for (const p of r.invalid) Object.assign(row(p.line), { status: 'invalid', problem: p })
  for (const p of r.errors) row(p.line).problem = p
  return [...rows.values()].sort((a, b) => a.line - b.line)
}

export type LineFilter = Exclude<LineStatus, 'other'> | 'all'

export function filterRows(rows: readonly LineRow[], f: LineFilter): LineRow[] {
  return f === 'all' ? [...rows] : rows.filter((r) => r.status === f)
}

/** The choices to send on commit: only the ambiguous lines given a request (0 = not now). */
export function choicesOf(picked: Readonly<Record<number, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [line, id] of Object.entries(picked)) if (id > 0) out[line] = id
  return out
}
