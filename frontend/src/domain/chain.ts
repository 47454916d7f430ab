// How the approval chain (DESIGN §2.4) reads on screen: step titles, who acted (and for
// whom, when a delegate did), the current step in one line, and timeline sentences.
// Pure functions over the API shapes; the caller passes the translator.
import type { ApprovalView, CurrentStep, StepKind, StepView } from '@/api/chain'
import type { TimelineEntry } from '@/api/types'
import { actionLabel, actionTone } from './actions'

export type Translate = (key: string, named?: Record<string, unknown>) => string

/** The names the server gives added steps (加签（前） / 加签（后）), in either language. */
const ADDED_BEFORE = /（前）|\(before\)/i
const ADDED_AFTER = /（后）|\(after\)/i

/**
 * A step's title in the UI language. Manager, finance and added steps have fixed names the
 * server spells in Chinese; a rule step carries the name an admin gave it (e.g. 分管领导).
 */
export function stepTitle(step: { name: string; kind: StepKind }, t: Translate): string {
  switch (step.kind) {
    case 'manager':
      return t('detail.steps.manager')
    case 'finance':
      return t('detail.steps.finance')
    case 'added':
      if (ADDED_BEFORE.test(step.name)) return t('chain.addedBefore')
      if (ADDED_AFTER.test(step.name)) return t('chain.addedAfter')
      return step.name || t('chain.added')
    case 'rule':
      return step.name
  }
}

/** 王五、赵六 — or 王五、赵六、孙七 等 5 人 when the list is long. */
export function joinNames(names: readonly string[], t: Translate, max = 3): string {
  const sep = t('chain.nameSep')
  if (names.length <= max) return names.join(sep)
  return t('chain.andMore', { names: names.slice(0, max).join(sep), n: names.length })
}

/** Who approved: 吴九, or 周八（代 吴九） when a delegate acted for them. */
export function approvalLabel(a: Pick<ApprovalView, 'user_id' | 'user_name' | 'by_user_id' | 'by_user_name'>, t: Translate): string {
  if (a.by_user_id !== a.user_id) return t('chain.onBehalf', { by: a.by_user_name, user: a.user_name })
  return a.user_name
}

/** Approvers of a step; an empty list on the finance step means the whole finance team. */
export function stepApprovers(step: Pick<StepView, 'kind' | 'approvers'>, t: Translate): string {
  if (step.approvers.length === 0) return step.kind === 'finance' ? t('chain.financeTeam') : t('chain.nextLevelUp')
  return joinNames(step.approvers.map((a) => a.name), t)
}

/** 分管领导（吴九）: the step a pending request waits on, for lists and the to-do. */
export function currentStepText(cs: CurrentStep | null | undefined, t: Translate): string {
  if (!cs) return ''
  const step = stepTitle(cs, t)
  if (cs.approver_names.length === 0) return step
  return t('chain.currentStep', { step, names: joinNames(cs.approver_names, t) })
}

export function modeLabel(mode: 'any' | 'all', t: Translate): string {
  return t(`chain.mode.${mode}`)
}

// ---- timeline -----------------------------------------------------------------------

export interface EntryWords {
  /** i18n key of the sentence; its placeholders are the keys of `names` and `plain`. */
  key: string
  /** People, shown emphasised. */
  names: Record<string, string>
  /** Other words (the action). */
  plain: Record<string, string>
}

/** The actor, or "周八 代 吴九" when a delegate acted for an approver. */
function actorOf(e: TimelineEntry, t: Translate): string {
  return e.on_behalf_of_name ? t('timeline.actorFor', { actor: e.actor_name, for: e.on_behalf_of_name }) : e.actor_name
}

/**
 * A timeline entry as a sentence: "李四 转交给 周八", "李四 加签 周八（在本人之前）",
 * "周八 代 吴九 同意", "李四 撤回审批", "赵六 评论".
 */
export function entryWords(e: TimelineEntry, t: Translate, te: (key: string) => boolean): EntryWords {
  const actor = actorOf(e, t)
  const to = e.to_user_name ?? ''
  switch (e.action) {
    case 'transfer':
      return { key: 'timeline.transfer', names: { actor, to }, plain: {} }
    case 'add_approver':
      return { key: e.position === 'before' ? 'timeline.addBefore' : 'timeline.addAfter', names: { actor, to }, plain: {} }
    case 'recall':
      return { key: 'timeline.recall', names: { actor }, plain: {} }
    case 'comment':
      return { key: 'timeline.comment', names: { actor }, plain: {} }
    default:
      return { key: 'timeline.acted', names: { actor }, plain: { action: actionLabel(e.action, t, te) } }
  }
}

export function entrySentence(e: TimelineEntry, t: Translate, te: (key: string) => boolean): string {
  const w = entryWords(e, t, te)
  return t(w.key, { ...w.plain, ...w.names })
}

/**
 * The step an entry concerned, in the UI language: looked up by name among the request's
 * steps (for their kind); a name from an earlier round that is no longer there stays as sent.
 */
export function entryStepTitle(e: TimelineEntry, steps: readonly Pick<StepView, 'name' | 'kind'>[], t: Translate): string {
  if (!e.step) return ''
  const s = steps.find((x) => x.name === e.step)
  if (s) return stepTitle(s, t)
  if (e.step === '经理审批') return t('detail.steps.manager')
  if (e.step === '财务审批') return t('detail.steps.finance')
  if (ADDED_BEFORE.test(e.step)) return t('chain.addedBefore')
  if (ADDED_AFTER.test(e.step)) return t('chain.addedAfter')
  return e.step
}

/** A timeline entry's colour: the action's tone, as in the audit log. */
export const entryType = actionTone

// ---- comments -----------------------------------------------------------------------

export interface TextPart {
  text: string
  /** `@username` */
  mention?: string
}

/**
 * Splits a comment into text and `@username` mentions (usernames: letters, digits, `_.-`).
 * An `@` inside a word (an e-mail address) is not a mention; a trailing dot ends the sentence.
 */
export function splitMentions(text: string): TextPart[] {
  const parts: TextPart[] = []
  const re = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]*[A-Za-z0-9_-])/g
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[1].length
    if (start > last) parts.push({ text: text.slice(last, start) })
    parts.push({ text: `@${m[2]}`, mention: m[2] })
    last = start + 1 + m[2].length
    re.lastIndex = last
  }
  if (last < text.length) parts.push({ text: text.slice(last) })
  return parts
}
