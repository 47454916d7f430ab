// The mini-program registry (DESIGN §2.3): verification methods, statuses and the limits
// Tencent enforces, mirrored client-side so the form says what the server would refuse.
import { conflictCodeOf } from '@/api/problem'
import type { EntityType } from '@/api/types'
import type { MpStatus, VerificationMethod } from '@/api/miniPrograms'
import { checkAppId, checkEmail, checkMobile, checkResidentId, type Check } from './validation'
import { allowsTransferVerification } from './entityTypes'

export type { MpStatus, VerificationMethod }

export const VERIFICATION_METHODS: readonly VerificationMethod[] = ['transfer', 'certification', 'legal_person_face', 'e_license']

/** In the order a registration usually moves through them. */
export const MP_STATUSES: readonly MpStatus[] = [
  'registering',
  'awaiting_payment',
  'awaiting_refund',
  'certification_review',
  'verified',
  'failed',
]

/** One admin ID number and one admin phone hold at most 5 mini-programs (the seed). */
export const ADMIN_QUOTA = 5
/** 微信认证费 (the seed: "需支付300元认证费"). */
export const CERTIFICATION_FEE_FEN = 30000

export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

export const MP_STATUS_TAG: Record<MpStatus, TagType> = {
  registering: 'info',
  awaiting_payment: 'warning',
  awaiting_refund: 'warning',
  certification_review: 'primary',
  verified: 'success',
  failed: 'danger',
}

/** Why a method cannot be used for an entity type, or null when it can. */
export function methodProblem(entityType: EntityType, method: VerificationMethod): 'individual_transfer' | null {
  if (method === 'transfer' && !allowsTransferVerification(entityType)) return 'individual_transfer'
  return null
}

/**
 * Whether a manual "verified" is accepted now: after the certification review, or while
 * registering by face scan / e-licence (the transfer path follows its request instead).
 */
export function canMarkVerified(status: MpStatus, method: VerificationMethod): boolean {
  return status === 'certification_review' || (status === 'registering' && (method === 'legal_person_face' || method === 'e_license'))
}

export function canMarkFailed(status: MpStatus): boolean {
  return status !== 'verified' && status !== 'failed'
}

export function allowedMethods(entityType: EntityType): VerificationMethod[] {
  return VERIFICATION_METHODS.filter((m) => methodProblem(entityType, m) === null)
}

/** Masked PII as the server sends it to non-finance users: `110***********1234`, `138****5678`. */
export function isMasked(value: string | null | undefined): boolean {
  return !!value && value.includes('*')
}

/** The form fields a server refusal can name. */
export const MP_FORM_FIELDS = [
  'name',
  'appid',
  'registration_email',
  'entity_name',
  'entity_credit_code',
  'entity_type',
  'entity_subtype',
  'verification_method',
  'admin_name',
  'admin_id_number',
  'admin_phone',
] as const

interface ProblemLike {
  status: number
  code: string
  detail: string
  errors?: { field: string; message: string }[]
}

/**
 * Where a refused save's messages go: 422 field errors next to their fields (the 6th
 * mini-program on an ID number / phone lands on admin_id_number / admin_phone), a 409
 * `email_taken` on the e-mail; anything else is for the page (`rest`, `general`).
 */
export function registryErrors(
  p: ProblemLike,
  emailTakenText: string,
): { byField: Record<string, string>; rest: { field: string; message: string }[]; general: string | null } {
  const byField: Record<string, string> = {}
  const rest: { field: string; message: string }[] = []
  if (conflictCodeOf(p) === 'email_taken') {
    return { byField: { registration_email: p.detail || emailTakenText }, rest, general: null }
  }
  for (const e of p.errors ?? []) {
    if ((MP_FORM_FIELDS as readonly string[]).includes(e.field)) {
      byField[e.field] = byField[e.field] ? `${byField[e.field]}；${e.message}` : e.message
    } else {
      rest.push(e)
    }
  }
  const general = Object.keys(byField).length === 0 && rest.length === 0 ? p.detail || null : null
  return { byField, rest, general }
}

export interface MpDraft {
  name: string
  appid: string
  registration_email: string
  entity_name: string
  entity_type: EntityType
  verification_method: VerificationMethod | ''
  admin_name: string
  admin_id_number: string
  admin_phone: string
}

export type MpProblem =
  | 'required'
  | 'appid_length'
  | 'appid_format'
  | 'email'
  | 'id_length'
  | 'id_charset'
  | 'id_format'
  | 'id_checksum'
  | 'mobile'
  | 'individual_transfer'

function idProblem(c: Check): MpProblem | null {
  if (c === null) return null
  if (c === 'empty') return 'required'
  return `id_${c}` as MpProblem
}

/**
 * The client-side verdict per field, the same rules the server applies. `unchanged` lists
 * fields holding a masked value sent back as-is ("unchanged"), which are not re-checked.
 */
export function validateMiniProgram(d: MpDraft, unchanged: ReadonlySet<keyof MpDraft> = new Set()): Partial<Record<keyof MpDraft, MpProblem>> {
  const out: Partial<Record<keyof MpDraft, MpProblem>> = {}
  if (d.name.trim() === '') out.name = 'required'
  if (d.entity_name.trim() === '') out.entity_name = 'required'
  if (d.admin_name.trim() === '') out.admin_name = 'required'
  if (d.appid.trim() !== '') {
    const c = checkAppId(d.appid)
    if (c === 'length') out.appid = 'appid_length'
    else if (c) out.appid = 'appid_format'
  }
  const email = checkEmail(d.registration_email)
  if (email === 'empty') out.registration_email = 'required'
  else if (email) out.registration_email = 'email'
  if (d.verification_method === '') out.verification_method = 'required'
  else if (methodProblem(d.entity_type, d.verification_method)) out.verification_method = 'individual_transfer'
  if (!unchanged.has('admin_id_number')) {
    const p = idProblem(checkResidentId(d.admin_id_number))
    if (p) out.admin_id_number = p
  }
  if (!unchanged.has('admin_phone')) {
    const c = checkMobile(d.admin_phone)
    if (c === 'empty') out.admin_phone = 'required'
    else if (c) out.admin_phone = 'mobile'
  }
  return out
}

/** Fields of `now` that differ from `before` (trimmed strings, '' ≙ null), for a PATCH. */
export function changedMpFields<T extends object>(before: T, now: T): Partial<T> {
  const norm = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? null : v.trim()) : (v ?? null))
  const out: Partial<T> = {}
  for (const k of Object.keys(now) as (keyof T)[]) {
    if (norm(now[k]) !== norm(before[k])) out[k] = now[k]
  }
  return out
}
