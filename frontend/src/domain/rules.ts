// Approval rules (DESIGN §2.4) as the admin edits them: amounts typed in 元, empty lists
// meaning "every kind / every company", and field errors keyed like the server's
// (`rules[0].name`), so both land on the same inputs.
import type { ApprovalRule, Mode } from '@/api/chain'
import type { Kind } from '@/api/types'
import { checkAmountYuan, fenToYuanInput, formatYuan, type AmountProblem } from './money'
import { charCount } from './validation'

export const RULE_NAME_MAX = 50

export interface RuleRow {
  /** Stable key for v-for while rows move. */
  key: number
  name: string
  kinds: Kind[]
  company_ids: number[]
  /** 元 as typed; empty = no lower bound. */
  min_amount_yuan: string
  approver_ids: number[]
  mode: Mode
}

let nextKey = 1

export function newRuleRow(): RuleRow {
  return { key: nextKey++, name: '', kinds: [], company_ids: [], min_amount_yuan: '', approver_ids: [], mode: 'any' }
}

export function ruleToRow(rule: ApprovalRule): RuleRow {
  return {
    key: nextKey++,
    name: rule.name,
    kinds: [...(rule.kinds ?? [])],
    company_ids: [...(rule.company_ids ?? [])],
    min_amount_yuan: rule.min_amount_fen === null || rule.min_amount_fen === undefined ? '' : fenToYuanInput(rule.min_amount_fen),
    approver_ids: [...(rule.approver_ids ?? [])],
    mode: rule.mode ?? 'any',
  }
}

/** What is wrong with a row before sending: i18n keys by field (`name`, `min_amount_fen`). */
export type RowProblem = { field: 'name'; problem: 'required' | 'too_long' } | { field: 'min_amount_fen'; problem: AmountProblem }

export function rowProblems(row: RuleRow): RowProblem[] {
  const out: RowProblem[] = []
  const name = row.name.trim()
  if (name === '') out.push({ field: 'name', problem: 'required' })
  else if (charCount(name) > RULE_NAME_MAX) out.push({ field: 'name', problem: 'too_long' })
  if (row.min_amount_yuan.trim() !== '') {
    const a = checkAmountYuan(row.min_amount_yuan)
    if ('problem' in a) out.push({ field: 'min_amount_fen', problem: a.problem })
  }
  return out
}

/** The row as the API wants it: empty lists and an empty amount are left out (= no condition). */
export function rowToRule(row: RuleRow): ApprovalRule {
  const amount = row.min_amount_yuan.trim() === '' ? null : checkAmountYuan(row.min_amount_yuan)
  return {
    name: row.name.trim(),
    kinds: row.kinds.length ? [...row.kinds] : null,
    company_ids: row.company_ids.length ? [...row.company_ids] : null,
    min_amount_fen: amount && 'fen' in amount ? amount.fen : null,
    approver_ids: [...row.approver_ids],
    mode: row.mode,
  }
}

/** The server's name for a field of rule `i`: `rules[2].min_amount_fen`. */
export function ruleField(i: number, field: string): string {
  return `rules[${i}].${field}`
}

/** Moves item `i` by `delta` places (−1 up, +1 down); out-of-range moves change nothing. */
export function move<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = i + delta
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return [...list]
  const out = [...list]
  const [item] = out.splice(i, 1)
  out.splice(j, 0, item)
  return out
}

export interface RuleSummaryLabels {
  kind(k: Kind): string
  company(id: number): string
  approvers(ids: number[]): string
  t(key: string, named?: Record<string, unknown>): string
}

/** One line saying when a rule applies and who decides, e.g. for the admin's preview. */
export function ruleSummary(rule: ApprovalRule, l: RuleSummaryLabels): string {
  const sep = l.t('chain.nameSep')
  const when: string[] = []
  if (rule.kinds?.length) when.push(rule.kinds.map((k) => l.kind(k)).join(sep))
  if (rule.company_ids?.length) when.push(rule.company_ids.map((c) => l.company(c)).join(sep))
  if (rule.min_amount_fen !== null && rule.min_amount_fen !== undefined) when.push(l.t('rules.atLeast', { amount: formatYuan(rule.min_amount_fen) }))
  const who = rule.approver_ids?.length ? l.approvers(rule.approver_ids) : l.t('chain.nextLevelUp')
  return l.t('rules.summary', {
    when: when.length ? when.join(l.t('rules.and')) : l.t('rules.always'),
    who,
    mode: l.t(`chain.mode.${rule.mode ?? 'any'}`),
  })
}
