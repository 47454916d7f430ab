// The request form (新建/编辑申请) as a model of text inputs, and the mapping between that
// model and the API: the body of a create, the changes of an edit, and a saved request
// back into the form. Pure: no Vue, no I/O.
import type { EntityType, Kind, MiniProgram, RequestDetail, RequestInput } from '@/api/types'
import { checkAmountYuan, fenToYuanInput } from './money'
import { isMasked } from './miniPrograms'
import { normalizeAccountNumber } from './validation'

/** The mini-program fields as typed (empty string = not given). */
export interface MpModel {
  name: string
  appid: string
  registration_email: string
  entity_type: EntityType
  entity_subtype: string
  admin_name: string
  admin_id_number: string
  admin_phone: string
}

/** The payer: a group company and one of its accounts, or the four fields typed by hand. */
export interface PayerModel {
  /** A group company (the server fills the payer from it); null = typed by hand. */
  company_id: number | null
  payer_account_id: number | null
  payer_entity: string
  payer_credit_code: string
  payer_bank: string
  payer_account: string
}

export interface RequestFormModel extends PayerModel {
  kind: Kind
  title: string
  /** The amount in yuan as typed, e.g. `1409.50`; the body carries integer fen. */
  amount_yuan: string
  refundable: boolean
  payee_name: string
  payee_bank: string
  payee_account: string
  transfer_remark: string
  order_date: string
  purpose: string
  /** Only read for `advance_payment`, where the mini-program is optional. */
  include_mini_program: boolean
  mini_program: MpModel
}

/** Admin ID number and phone as the server masked them (`110***********1234`), else ''. */
export interface MaskedPii {
  admin_id_number: string
  admin_phone: string
}

/** The registry record the request is linked to; its snapshot is filled in by the server. */
export interface MpLink {
  mini_program_id: number | null
}

/** The form props a server refusal can name (mapFieldErrors). */
export const REQUEST_FORM_PROPS = [
  'company_id',
  'payer_account_id',
  'kind',
  'title',
  'amount_yuan',
  'refundable',
  'payer_entity',
  'payer_credit_code',
  'payer_bank',
  'payer_account',
  'payee_name',
  'payee_bank',
  'payee_account',
  'transfer_remark',
  'order_date',
  'purpose',
  'mini_program.name',
  'mini_program.appid',
  'mini_program.registration_email',
  'mini_program.entity_type',
  'mini_program.entity_subtype',
  'mini_program.admin_name',
  'mini_program.admin_id_number',
  'mini_program.admin_phone',
  'mini_program_id',
] as const
/** Server field names that land on another prop of the form. */
export const SERVER_FIELD_ALIASES: Record<string, string> = { amount_fen: 'amount_yuan', mini_program: 'mini_program.name' }

export function emptyMp(): MpModel {
  return {
    name: '',
    appid: '',
    registration_email: '',
    entity_type: 'enterprise',
    entity_subtype: '',
    admin_name: '',
    admin_id_number: '',
    admin_phone: '',
  }
}

export function emptyRequestForm(today: string): RequestFormModel {
  return {
    company_id: null,
    payer_account_id: null,
    kind: 'verification_transfer',
    title: '',
    amount_yuan: '',
    refundable: false,
    payer_entity: '',
    payer_credit_code: '',
    payer_bank: '',
    payer_account: '',
    payee_name: '',
    payee_bank: '',
    payee_account: '',
    transfer_remark: '',
    order_date: today,
    purpose: '',
    include_mini_program: true,
    mini_program: emptyMp(),
  }
}

export function paidByCompany(f: Pick<PayerModel, 'company_id'>): boolean {
  return f.company_id !== null
}

/** Every kind but `advance_payment` is about a mini-program and must name one. */
export function miniProgramRequired(kind: Kind): boolean {
  return kind !== 'advance_payment'
}

export function showsMiniProgram(f: Pick<RequestFormModel, 'kind' | 'include_mini_program'>): boolean {
  return miniProgramRequired(f.kind) || f.include_mini_program
}

/** The typed mini-program as the API's snapshot: trimmed, empty optional fields null. */
export function mpFromModel(m: MpModel): MiniProgram {
  const opt = (s: string) => (s.trim() === '' ? null : s.trim())
  return {
    name: m.name.trim(),
    appid: opt(m.appid),
    registration_email: m.registration_email.trim(),
    entity_type: m.entity_type,
    entity_subtype: opt(m.entity_subtype),
    admin_name: opt(m.admin_name),
    admin_id_number: opt(m.admin_id_number),
    admin_phone: opt(m.admin_phone),
  }
}

/** A registry record's fields as the request's mini-program (the record is the source). */
export function mpModelFromRecord(m: {
  name: string
  appid?: string | null
  registration_email: string
  entity_type: EntityType
  entity_subtype?: string | null
  admin_name?: string | null
  admin_id_number?: string | null
  admin_phone?: string | null
}): MpModel {
  return {
    name: m.name,
    appid: m.appid ?? '',
    registration_email: m.registration_email,
    entity_type: m.entity_type,
    entity_subtype: m.entity_subtype ?? '',
    admin_name: m.admin_name ?? '',
    admin_id_number: m.admin_id_number ?? '',
    admin_phone: m.admin_phone ?? '',
  }
}

/** A saved snapshot back as typed fields; masked PII is left empty (it cannot be sent back). */
function mpToModel(mp: MiniProgram, masked: MaskedPii): MpModel {
  return {
    name: mp.name,
    appid: mp.appid ?? '',
    registration_email: mp.registration_email,
    entity_type: mp.entity_type,
    entity_subtype: mp.entity_subtype ?? '',
    admin_name: mp.admin_name ?? '',
    admin_id_number: masked.admin_id_number ? '' : (mp.admin_id_number ?? ''),
    admin_phone: masked.admin_phone ? '' : (mp.admin_phone ?? ''),
  }
}

/**
 * The whole form as the body of a create: the amount as integer fen (null when it does not
 * parse; the form checks it first), account numbers normalised, the payer either as a
 * company (the server fills the rest) or as typed fields, never both.
 */
export function toRequestInput(f: RequestFormModel, link: MpLink): RequestInput {
  const amount = checkAmountYuan(f.amount_yuan)
  const company = paidByCompany(f)
  const showMp = showsMiniProgram(f)
  const linked = link.mini_program_id !== null
  return {
    company_id: company ? f.company_id : undefined,
    payer_account_id: company ? (f.payer_account_id ?? undefined) : undefined,
    kind: f.kind,
    title: f.title.trim(),
    amount_fen: 'fen' in amount ? amount.fen : null,
    currency: 'CNY',
    refundable: f.kind === 'advance_payment' ? f.refundable : undefined,
    payer_entity: company ? undefined : f.payer_entity.trim(),
    payer_credit_code: company ? undefined : f.payer_credit_code.trim().toUpperCase(),
    payer_bank: company ? undefined : f.payer_bank.trim(),
    payer_account: company ? undefined : normalizeAccountNumber(f.payer_account),
    payee_name: f.payee_name.trim(),
    payee_bank: f.payee_bank.trim(),
    payee_account: normalizeAccountNumber(f.payee_account),
    transfer_remark: f.transfer_remark.trim(),
    order_date: f.order_date,
    purpose: f.purpose.trim(),
    // Linked: the server fills the snapshot from the record (masked PII never goes back).
    mini_program: !showMp ? null : linked ? undefined : mpFromModel(f.mini_program),
    mini_program_id: showMp && linked ? link.mini_program_id : undefined,
  }
}

/** A saved request back into the form, with the PII the server masked for this user. */
export function fromRequestDetail(d: RequestDetail): { form: RequestFormModel; masked: MaskedPii; link: MpLink } {
  const mp = d.mini_program
  const masked: MaskedPii = {
    admin_id_number: isMasked(mp?.admin_id_number) ? (mp?.admin_id_number ?? '') : '',
    admin_phone: isMasked(mp?.admin_phone) ? (mp?.admin_phone ?? '') : '',
  }
  const form: RequestFormModel = {
    company_id: d.company_id ?? null,
    payer_account_id: d.payer_account_id ?? null,
    kind: d.kind,
    title: d.title,
    amount_yuan: fenToYuanInput(d.amount_fen),
    refundable: d.refundable,
    payer_entity: d.payer_entity,
    payer_credit_code: d.payer_credit_code,
    payer_bank: d.payer_bank,
    payer_account: d.payer_account,
    payee_name: d.payee_name,
    payee_bank: d.payee_bank,
    payee_account: d.payee_account,
    transfer_remark: d.transfer_remark,
    order_date: d.order_date,
    purpose: d.purpose,
    include_mini_program: !!mp,
    mini_program: mp ? mpToModel(mp, masked) : emptyMp(),
  }
  return { form, masked, link: { mini_program_id: d.mini_program_id ?? null } }
}

/** The fields compared one by one for an edit (company, payer and mini-program have rules of their own). */
const PLAIN_FIELDS = [
  'kind',
  'title',
  'amount_fen',
  'refundable',
  'payer_entity',
  'payer_credit_code',
  'payer_bank',
  'payer_account',
  'payee_name',
  'payee_bank',
  'payee_account',
  'transfer_remark',
  'order_date',
  'purpose',
] as const

/**
 * The body of an edit: only what changed since `d` was loaded, plus the version the edit is
 * based on. Leaving a company for typed fields sends every payer field; unlinking a registry
 * record sends `mini_program_id: null` and the typed snapshot.
 */
export function changedFields(d: RequestDetail, f: RequestFormModel, link: MpLink, masked: MaskedPii): RequestInput {
  const now = toRequestInput(f, link)
  const out: RequestInput = { version: d.version }
  const was: Record<(typeof PLAIN_FIELDS)[number], unknown> = {
    kind: d.kind,
    title: d.title,
    amount_fen: d.amount_fen,
    refundable: d.kind === 'advance_payment' ? d.refundable : undefined,
    payer_entity: d.payer_entity,
    payer_credit_code: d.payer_credit_code,
    payer_bank: d.payer_bank,
    payer_account: d.payer_account,
    payee_name: d.payee_name,
    payee_bank: d.payee_bank,
    payee_account: d.payee_account,
    transfer_remark: d.transfer_remark,
    order_date: d.order_date,
    purpose: d.purpose,
  }
  for (const k of PLAIN_FIELDS) {
    const v = now[k]
    if (v !== undefined && v !== was[k]) Object.assign(out, { [k]: v })
  }
  const wasCompany = d.company_id ?? null
  if (paidByCompany(f)) {
    if (f.company_id !== wasCompany) out.company_id = f.company_id
    if (f.company_id !== wasCompany || f.payer_account_id !== (d.payer_account_id ?? null)) out.payer_account_id = f.payer_account_id
  } else if (wasCompany !== null) {
    // Back to typed: every payer field goes, even one equal to the company's.
    Object.assign(out, {
      company_id: null,
      payer_entity: now.payer_entity,
      payer_credit_code: now.payer_credit_code,
      payer_bank: now.payer_bank,
      payer_account: now.payer_account,
    })
  }
  const before = d.mini_program ? mpFromModel(mpToModel(d.mini_program, masked)) : null
  const wasLinked = d.mini_program_id ?? null
  if (link.mini_program_id !== null && showsMiniProgram(f)) {
    if (link.mini_program_id !== wasLinked) out.mini_program_id = link.mini_program_id
    return out
  }
  if (wasLinked !== null) out.mini_program_id = null
  if (wasLinked !== null || JSON.stringify(before) !== JSON.stringify(now.mini_program)) out.mini_program = now.mini_program
  return out
}
