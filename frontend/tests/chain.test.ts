import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from '@/i18n/zh-CN'
import en from '@/i18n/en'
import type { StepView } from '@/api/chain'
import type { TimelineEntry } from '@/api/types'
import {
  approvalLabel,
  currentStepText,
  entrySentence,
  entryStepTitle,
  entryType,
  joinNames,
  splitMentions,
  stepApprovers,
  stepTitle,
} from '@/domain/chain'
import { chainProgress } from '@/domain/steps'

function translator(locale: 'zh-CN' | 'en') {
  const i18n = createI18n({ legacy: false, locale, messages: { 'zh-CN': zhCN, en } })
  const g = i18n.global
  return { t: (k: string, named?: Record<string, unknown>) => g.t(k, named ?? {}), te: (k: string) => g.te(k) }
}
const zh = translator('zh-CN')
const enT = translator('en')

function entry(action: string, extra: Partial<TimelineEntry> = {}): TimelineEntry {
  return { seq: 1, at: '2026-11-30T09:00:00Z', actor_name: '李四', action, ...extra }
}

function step(name: string, kind: StepView['kind'], state: StepView['state'], extra: Partial<StepView> = {}): StepView {
  return {
    name,
    kind,
    stage: kind === 'finance' ? 'finance' : 'manager',
    mode: 'any',
    approvers: [],
    approvals: [],
    state,
    ...extra,
  }
}

describe('timeline sentences', () => {
  it('says who handed the step to whom', () => {
    expect(entrySentence(entry('transfer', { to_user_name: '周八' }), zh.t, zh.te)).toBe('李四 转交给 周八')
    expect(entrySentence(entry('transfer', { to_user_name: '周八' }), enT.t, enT.te)).toBe('李四 transferred to 周八')
  })

  it('says where an added approver goes', () => {
    expect(entrySentence(entry('add_approver', { to_user_name: '周八', position: 'before' }), zh.t, zh.te)).toBe('李四 加签 周八（在本人之前）')
    expect(entrySentence(entry('add_approver', { to_user_name: '周八', position: 'after' }), zh.t, zh.te)).toBe('李四 加签 周八（在本人之后）')
    expect(entrySentence(entry('add_approver', { to_user_name: '周八', position: 'before' }), enT.t, enT.te)).toBe('李四 added 周八 (before themselves)')
  })

  it('names the approver a delegate acted for', () => {
    const e = entry('approve', { actor_name: '王五', on_behalf_of_name: '吴九' })
    expect(entrySentence(e, zh.t, zh.te)).toBe('王五 代 吴九 同意')
    expect(entrySentence(e, enT.t, enT.te)).toBe('王五 for 吴九 Approve')
    expect(entrySentence(entry('reject', { actor_name: '周八', on_behalf_of_name: '吴九' }), zh.t, zh.te)).toBe('周八 代 吴九 退回')
  })

  it('words recalls, comments and plain actions', () => {
    expect(entrySentence(entry('recall'), zh.t, zh.te)).toBe('李四 撤回审批')
    expect(entrySentence(entry('comment', { actor_name: '孙七' }), zh.t, zh.te)).toBe('孙七 评论')
    expect(entrySentence(entry('approve'), zh.t, zh.te)).toBe('李四 同意')
    expect(entrySentence(entry('submit', { actor_name: '张三' }), zh.t, zh.te)).toBe('张三 提交')
    // An action the UI has no word for is shown as sent rather than dropped.
    expect(entrySentence(entry('something_new'), zh.t, zh.te)).toBe('李四 something_new')
  })

  it('colours hand-offs and recalls apart from decisions', () => {
    expect(entryType('approve')).toBe('success')
    expect(entryType('reject')).toBe('danger')
    expect(entryType('recall')).toBe('warning')
    expect(entryType('transfer')).toBe('primary')
    expect(entryType('comment')).toBe('info')
  })

  it('shows the step an entry concerned in the UI language', () => {
    const steps = [step('经理审批', 'manager', 'done'), step('分管领导', 'rule', 'current'), step('加签（前）', 'added', 'waiting')]
    expect(entryStepTitle(entry('approve', { step: '经理审批' }), steps, enT.t)).toBe('Manager')
    expect(entryStepTitle(entry('approve', { step: '分管领导' }), steps, enT.t)).toBe('分管领导')
    expect(entryStepTitle(entry('approve', { step: '加签（前）' }), steps, enT.t)).toBe('Added (before)')
    // A step of an earlier round that is gone from the chain.
    expect(entryStepTitle(entry('approve', { step: '财务审批' }), [], enT.t)).toBe('Finance')
    expect(entryStepTitle(entry('approve', { step: '老规则' }), [], enT.t)).toBe('老规则')
    expect(entryStepTitle(entry('approve'), steps, enT.t)).toBe('')
  })
})

describe('steps and approvers', () => {
  it('titles fixed steps by kind and rule steps by their name', () => {
    expect(stepTitle({ name: '经理审批', kind: 'manager' }, zh.t)).toBe('经理审批')
    expect(stepTitle({ name: '经理审批', kind: 'manager' }, enT.t)).toBe('Manager')
    expect(stepTitle({ name: '财务审批', kind: 'finance' }, enT.t)).toBe('Finance')
    expect(stepTitle({ name: '分管领导', kind: 'rule' }, enT.t)).toBe('分管领导')
    expect(stepTitle({ name: '加签（后）', kind: 'added' }, zh.t)).toBe('加签（后）')
    expect(stepTitle({ name: '加签（后）', kind: 'added' }, enT.t)).toBe('Added (after)')
  })

  it('marks an approval made by a delegate', () => {
    expect(approvalLabel({ user_id: 2, user_name: '吴九', by_user_id: 8, by_user_name: '周八' }, zh.t)).toBe('周八（代 吴九）')
    expect(approvalLabel({ user_id: 2, user_name: '吴九', by_user_id: 8, by_user_name: '周八' }, enT.t)).toBe('周八 (for 吴九)')
    expect(approvalLabel({ user_id: 3, user_name: '李四', by_user_id: 3, by_user_name: '李四' }, zh.t)).toBe('李四')
  })

  it('joins names and shortens long lists', () => {
    expect(joinNames(['王五', '赵六'], zh.t)).toBe('王五、赵六')
    expect(joinNames(['王五', '赵六'], enT.t)).toBe('王五, 赵六')
    expect(joinNames(['甲', '乙', '丙', '丁', '戊'], zh.t)).toBe('甲、乙、丙 等 5 人')
    expect(joinNames([], zh.t)).toBe('')
  })

  it('says who an open step waits on', () => {
    expect(stepApprovers(step('财务审批', 'finance', 'waiting'), zh.t)).toBe('任一财务人员')
    expect(stepApprovers(step('分管领导', 'rule', 'waiting'), zh.t)).toBe('上一级领导')
    expect(stepApprovers(step('分管领导', 'rule', 'waiting', { approvers: [{ id: 2, name: '吴九' }] }), zh.t)).toBe('吴九')
  })

  it('puts the current step in one line for lists', () => {
    const cs = { name: '分管领导', kind: 'rule' as const, approver_ids: [2], approver_names: ['吴九'], mode: 'any' as const, approved_by: [], index: 2, of: 3 }
    expect(currentStepText(cs, zh.t)).toBe('分管领导（吴九）')
    expect(currentStepText({ ...cs, name: '财务审批', kind: 'finance', approver_names: ['王五', '赵六'] }, enT.t)).toBe('Finance (王五, 赵六)')
    expect(currentStepText({ ...cs, approver_names: [] }, zh.t)).toBe('分管领导')
    expect(currentStepText(null, zh.t)).toBe('')
  })
})

describe('mentions in comments', () => {
  it('keeps the @ in the hints (vue-i18n would read a bare @ as a linked message)', () => {
    expect(zh.t('comments.placeholder')).toContain('输入 @ 可提及同事')
    expect(zh.t('comments.hint').startsWith('@用户名')).toBe(true)
    expect(enT.t('comments.hint').startsWith('@username')).toBe(true)
  })

  it('finds @username and leaves the rest as text', () => {
    expect(splitMentions('@zhangsan 请补充合同')).toEqual([{ text: '@zhangsan', mention: 'zhangsan' }, { text: ' 请补充合同' }])
    expect(splitMentions('请 @li.si 和 @wang_wu 看看')).toEqual([
      { text: '请 ' },
      { text: '@li.si', mention: 'li.si' },
      { text: ' 和 ' },
      { text: '@wang_wu', mention: 'wang_wu' },
      { text: ' 看看' },
    ])
  })

  it('ignores e-mail addresses, a lone @ and a sentence-ending dot', () => {
    expect(splitMentions('发给 a@risun.example.com')).toEqual([{ text: '发给 a@risun.example.com' }])
    expect(splitMentions('@ 空')).toEqual([{ text: '@ 空' }])
    expect(splitMentions('谢谢 @zhouba.')).toEqual([{ text: '谢谢 ' }, { text: '@zhouba', mention: 'zhouba' }, { text: '.' }])
    expect(splitMentions('')).toEqual([])
  })
})

describe('the step bar with the approval chain', () => {
  const chain = (states: [StepView['state'], StepView['state'], StepView['state']]): StepView[] => [
    step('经理审批', 'manager', states[0]),
    step('分管领导', 'rule', states[1]),
    step('财务审批', 'finance', states[2]),
  ]
  const base = { kind: 'advance_payment' as const, refundable: false, timeline: [] as TimelineEntry[] }

  it('spells out the chain between the request and the payout', () => {
    const p = chainProgress({ ...base, status: 'pending_manager', steps: chain(['done', 'current', 'waiting']) })
    expect(p.items.map((i) => i.key)).toEqual(['apply', 'chain-0', 'chain-1', 'chain-2', 'payout'])
    expect(p.active).toBe(2)
    expect(p.state).toBe('process')
  })

  it('moves to the finance step and past the chain when approved', () => {
    expect(chainProgress({ ...base, status: 'pending_finance', steps: chain(['done', 'done', 'current']) }).active).toBe(3)
    expect(chainProgress({ ...base, status: 'approved', steps: chain(['done', 'done', 'done']) }).active).toBe(4)
    const closed = chainProgress({ ...base, status: 'closed', steps: chain(['done', 'done', 'done']) })
    expect(closed.active).toBe(closed.items.length)
    expect(closed.state).toBe('finish')
  })

  it('stops at the step that returned the request', () => {
    const timeline = [entry('reject', { from_status: 'pending_manager', to_status: 'returned' })]
    const p = chainProgress({ ...base, timeline, status: 'returned', steps: chain(['done', 'current', 'waiting']) })
    expect(p.active).toBe(2)
    expect(p.state).toBe('error')
  })

  it('keeps the fixed bar for a draft and adds the refund for refundable kinds', () => {
    const draft = chainProgress({ ...base, status: 'draft', steps: [] })
    expect(draft.items.map((i) => i.key)).toEqual(['apply', 'manager', 'finance', 'payout'])
    expect(draft.active).toBe(0)
    const paid = chainProgress({ ...base, kind: 'verification_transfer', status: 'paid', steps: chain(['done', 'done', 'done']) })
    expect(paid.items.map((i) => i.key)).toEqual(['apply', 'chain-0', 'chain-1', 'chain-2', 'payout', 'refund'])
    expect(paid.active).toBe(5)
  })
})
