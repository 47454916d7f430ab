import { describe, expect, it } from 'vitest'
import type { ApprovalRule } from '@/api/chain'
import { move, newRuleRow, ruleField, ruleSummary, ruleToRow, rowProblems, rowToRule } from '@/domain/rules'
import { canRevokeDelegation, delegationSide, delegationStateType } from '@/domain/delegations'

const DEFAULT_RULE: ApprovalRule = {
  name: '分管领导',
  kinds: ['advance_payment'],
  company_ids: null,
  min_amount_fen: 5_000_000,
  approver_ids: [],
  mode: 'any',
}

describe('approval rules as the admin edits them', () => {
  it('shows the minimum in 元 and sends it back in fen, exactly', () => {
    const row = ruleToRow(DEFAULT_RULE)
    expect(row.min_amount_yuan).toBe('50000.00')
    expect(rowToRule(row)).toEqual(DEFAULT_RULE)
    expect(rowToRule({ ...row, min_amount_yuan: '1,234.56' }).min_amount_fen).toBe(123456)
    expect(rowToRule({ ...row, min_amount_yuan: '0.01' }).min_amount_fen).toBe(1)
  })

  it('leaves out empty conditions (= every kind, every company, any amount)', () => {
    const rule = rowToRule({ ...newRuleRow(), name: '  总经理  ' })
    expect(rule).toEqual({ name: '总经理', kinds: null, company_ids: null, min_amount_fen: null, approver_ids: [], mode: 'any' })
    expect(ruleToRow({ name: 'x', approver_ids: [3], mode: 'all' })).toMatchObject({ kinds: [], company_ids: [], min_amount_yuan: '', approver_ids: [3], mode: 'all' })
  })

  it('does not share lists between the row and the rule', () => {
    const row = ruleToRow(DEFAULT_RULE)
    row.kinds.push('certification_fee')
    expect(DEFAULT_RULE.kinds).toEqual(['advance_payment'])
  })

  it('finds what the server would refuse before sending', () => {
    expect(rowProblems(ruleToRow(DEFAULT_RULE))).toEqual([])
    expect(rowProblems({ ...newRuleRow(), name: ' ' })).toEqual([{ field: 'name', problem: 'required' }])
    expect(rowProblems({ ...newRuleRow(), name: '长'.repeat(51) })).toEqual([{ field: 'name', problem: 'too_long' }])
    expect(rowProblems({ ...newRuleRow(), name: 'a', min_amount_yuan: '12.345' })).toEqual([{ field: 'min_amount_fen', problem: 'decimals' }])
    expect(rowProblems({ ...newRuleRow(), name: 'a', min_amount_yuan: '0' })).toEqual([{ field: 'min_amount_fen', problem: 'not_positive' }])
  })

  it('names fields like the server does', () => {
    expect(ruleField(0, 'name')).toBe('rules[0].name')
    expect(ruleField(3, 'min_amount_fen')).toBe('rules[3].min_amount_fen')
  })

  it('moves rules up and down, never off the ends', () => {
    expect(move(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(move(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c'])
    expect(move(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c'])
  })

  it('gives every new row its own key', () => {
    expect(newRuleRow().key).not.toBe(newRuleRow().key)
  })

  it('sums a rule up in one line', () => {
    const labels = {
      kind: (k: string) => ({ advance_payment: '其他预付款', certification_fee: '微信认证费' })[k] ?? k,
      company: (id: number) => ({ 2: '日升科技（深圳）有限公司' })[id] ?? `#${id}`,
      approvers: (ids: number[]) => ids.map((id) => ({ 2: '吴九', 9: '郑十' })[id]).join('、'),
      t: (key: string, n: Record<string, unknown> = {}) =>
        ({
          'chain.nameSep': '、',
          'chain.nextLevelUp': '上一级领导',
          'chain.mode.any': '或签',
          'chain.mode.all': '会签',
          'rules.and': '，',
          'rules.always': '所有申请',
          'rules.atLeast': `金额 ≥ ${String(n.amount)}`,
          'rules.summary': `${String(n.when)}：由 ${String(n.who)} 审批（${String(n.mode)}）`,
        })[key] ?? key,
    }
    expect(ruleSummary(DEFAULT_RULE, labels)).toBe('其他预付款，金额 ≥ ¥50,000.00：由 上一级领导 审批（或签）')
    expect(ruleSummary({ name: '会签', company_ids: [2], approver_ids: [2, 9], mode: 'all' }, labels)).toBe(
      '日升科技（深圳）有限公司：由 吴九、郑十 审批（会签）',
    )
    expect(ruleSummary({ name: '总是', approver_ids: [] }, labels)).toBe('所有申请：由 上一级领导 审批（或签）')
  })
})

describe('delegations as listed', () => {
  const d = { approver_id: 2, delegate_id: 8 }
  it('tells given from received', () => {
    expect(delegationSide(d, 2)).toBe('given')
    expect(delegationSide(d, 8)).toBe('received')
    expect(delegationSide(d, 1)).toBe('other')
  })

  it('lets the approver or an admin revoke one that is running or to come', () => {
    expect(canRevokeDelegation({ ...d, state: 'active' }, 2, false)).toBe(true)
    expect(canRevokeDelegation({ ...d, state: 'upcoming' }, 2, false)).toBe(true)
    expect(canRevokeDelegation({ ...d, state: 'active' }, 8, false)).toBe(false)
    expect(canRevokeDelegation({ ...d, state: 'active' }, 1, true)).toBe(true)
    expect(canRevokeDelegation({ ...d, state: 'ended' }, 2, false)).toBe(false)
    expect(canRevokeDelegation({ ...d, state: 'revoked' }, 1, true)).toBe(false)
  })

  it('colours states', () => {
    expect(delegationStateType('active')).toBe('success')
    expect(delegationStateType('upcoming')).toBe('primary')
    expect(delegationStateType('revoked')).toBe('warning')
    expect(delegationStateType('ended')).toBe('info')
  })
})
