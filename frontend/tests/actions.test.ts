import { describe, expect, it } from 'vitest'
import { AUDIT_ACTIONS, actionLabel, actionTone } from '@/domain/actions'
import { entryType } from '@/domain/chain'
import zhCN from '@/i18n/zh-CN'
import en from '@/i18n/en'

describe('the action vocabulary', () => {
  it('has one label per action in both languages', () => {
    expect(Object.keys(zhCN.action).sort()).toEqual([...AUDIT_ACTIONS].sort())
    expect(Object.keys(en.action).sort()).toEqual([...AUDIT_ACTIONS].sort())
  })

  it('colours an action the same in the audit log and the timeline', () => {
    for (const a of AUDIT_ACTIONS) expect(entryType(a)).toBe(actionTone(a))
    expect(actionTone('approve')).toBe('success')
    expect(actionTone('delete')).toBe('danger')
    expect(actionTone('recall')).toBe('warning')
    expect(actionTone('transfer')).toBe('primary')
    expect(actionTone('something_new')).toBe('info')
  })

  it('shows an action it does not know as the server sent it', () => {
    const t = (key: string) => (key === 'action.approve' ? '同意' : key)
    const te = (key: string) => key === 'action.approve'
    expect(actionLabel('approve', t, te)).toBe('同意')
    expect(actionLabel('something_new', t, te)).toBe('something_new')
  })
})
