// Element Plus form rules built on the domain checks, with messages in the current language.
import type { FormItemRule } from 'element-plus'
import { i18n } from '@/i18n'
import { checkAmountYuan, type AmountProblem } from '@/domain/money'
import {
  charCount,
  checkAccountNumber,
  checkAppId,
  checkCreditCode,
  checkEmail,
  checkMobile,
  checkResidentId,
  type Check,
} from '@/domain/validation'
import { chinaToday } from '@/domain/dates'

type Validator = (value: string) => string | null

const t = (key: string, args?: Record<string, unknown>) => i18n.global.t(key, args ?? {})

/** A field's value as text: inputs hold strings, number inputs and selects numbers or booleans. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return ''
}

/** `required` only marks the field (the asterisk); the validator decides. */
function rule(v: Validator, trigger: string | string[] = 'blur', required = false): FormItemRule {
  return {
    trigger,
    required,
    validator: (_r, value: unknown, cb) => {
      const msg = v(asText(value))
      if (msg) cb(new Error(msg))
      else cb()
    },
  }
}

function optional(v: Validator): Validator {
  return (value) => (value.trim() === '' ? null : v(value))
}

export function requiredText(labelKey: string, max: number): FormItemRule[] {
  return [
    rule((v) => (v.trim() === '' ? t('validation.required', { field: t(labelKey) }) : null), 'blur', true),
    rule((v) => (charCount(v.trim()) > max ? t('validation.tooLong', { field: t(labelKey), max }) : null)),
  ]
}

export function optionalText(labelKey: string, max: number): FormItemRule[] {
  return [rule((v) => (charCount(v.trim()) > max ? t('validation.tooLong', { field: t(labelKey), max }) : null))]
}

export function requiredChoice(labelKey: string): FormItemRule[] {
  return [rule((v) => (v === '' ? t('validation.choose', { field: t(labelKey) }) : null), 'change', true)]
}

function generic(check: Check, labelKey: string): string | null {
  if (!check) return null
  return t(`validation.${check}`, { field: t(labelKey) })
}

const AMOUNT_MESSAGES: Record<AmountProblem, string> = {
  empty: 'validation.amountEmpty',
  format: 'validation.amountFormat',
  decimals: 'validation.amountDecimals',
  not_positive: 'validation.amountNotPositive',
  too_large: 'validation.amountTooLarge',
}

export function amountMessage(input: string): string | null {
  const r = checkAmountYuan(input)
  return 'problem' in r ? t(AMOUNT_MESSAGES[r.problem]) : null
}

export const amountRules = (): FormItemRule[] => [rule(amountMessage, ['blur', 'change'], true)]

export function creditCodeMessage(v: string): string | null {
  const c = checkCreditCode(v)
  switch (c) {
    case null:
      return null
    case 'empty':
      return t('validation.required', { field: t('field.payer_credit_code') })
    case 'length':
      return t('validation.creditCodeLength')
    case 'charset':
      return t('validation.creditCodeCharset')
    case 'format':
      return t('validation.creditCodeFormat')
    case 'checksum':
      return t('validation.creditCodeChecksum')
  }
}

export const creditCodeRules = (): FormItemRule[] => [rule(creditCodeMessage, 'blur', true)]

export function accountMessage(v: string, labelKey: string): string | null {
  const c = checkAccountNumber(v)
  if (c === 'empty') return t('validation.required', { field: t(labelKey) })
  if (c === 'charset') return t('validation.accountCharset')
  if (c === 'length') return t('validation.accountLength')
  return null
}

export const accountRules = (labelKey: string): FormItemRule[] => [rule((v) => accountMessage(v, labelKey), 'blur', true)]

export const emailRules = (labelKey: string): FormItemRule[] => [
  rule((v) => {
    const c = checkEmail(v)
    if (c === 'empty') return t('validation.required', { field: t(labelKey) })
    return c ? t('validation.emailFormat') : null
  }, 'blur', true),
]

export const residentIdRules = (): FormItemRule[] => [
  rule(
    optional((v) => {
      const c = checkResidentId(v)
      if (c === 'length') return t('validation.idLength')
      if (c === 'charset') return t('validation.idCharset')
      if (c === 'format') return t('validation.idFormat')
      if (c === 'checksum') return t('validation.idChecksum')
      return null
    }),
  ),
]

export const mobileRules = (): FormItemRule[] => [rule(optional((v) => (checkMobile(v) ? t('validation.mobileFormat') : null)))]

export const appIdRules = (): FormItemRule[] => [rule(optional((v) => (checkAppId(v) ? t('validation.appidFormat') : null)))]

export const pastDateRules = (labelKey: string): FormItemRule[] => [
  rule((v) => {
    if (v === '') return t('validation.required', { field: t(labelKey) })
    return v > chinaToday() ? t('validation.dateFuture') : null
  }, 'change', true),
]

export { generic as genericIdMessage }
