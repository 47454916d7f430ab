import { describe, expect, it } from 'vitest'
import type { RequestDetail, RequestInput } from '@/api/types'
import {
  changedFields,
  emptyRequestForm,
  fromRequestDetail,
  mpFromModel,
  showsMiniProgram,
  toRequestInput,
  type RequestFormModel,
} from '@/domain/requestForm'

const unlinked = { mini_program_id: null }
const noMask = { admin_id_number: '', admin_phone: '' }

function typedForm(): RequestFormModel {
  return {
    ...emptyRequestForm('2026-11-20'),
    kind: 'verification_transfer',
    title: '  小程序「日升优选」对公打款验证 ',
    amount_yuan: '1,409.50',
    payer_entity: ' 日升科技（深圳）有限公司 ',
    payer_credit_code: '91440300ma5dem0019',
    payer_bank: '招商银行深圳分行',
    payer_account: '7559 1234 5610 801',
    payee_name: '财付通支付科技有限公司',
    payee_bank: '招商银行深圳分行营业部',
    payee_account: '7559 1570 7910 607',
    transfer_remark: ' 100002 ',
    purpose: '主体验证打款',
    mini_program: {
      name: ' 日升优选 ',
      appid: '',
      registration_email: 'mp@risun.example.com ',
      entity_type: 'enterprise',
      entity_subtype: '',
      admin_name: '张三',
      admin_id_number: '11010519491231002X',
      admin_phone: '',
    },
  }
}

/** The saved request the server would answer for a body (what the detail view reads back). */
function savedFrom(body: RequestInput, extra: Partial<RequestDetail> = {}): RequestDetail {
  return {
    id: 7,
    number: null,
    version: 3,
    kind: body.kind ?? 'advance_payment',
    title: body.title ?? '',
    amount_fen: body.amount_fen ?? 0,
    amount_in_words: '',
    currency: 'CNY',
    refundable: body.refundable ?? body.kind === 'verification_transfer',
    company_id: body.company_id ?? null,
    payer_account_id: body.payer_account_id ?? null,
    payer_entity: body.payer_entity ?? '',
    payer_credit_code: body.payer_credit_code ?? '',
    payer_bank: body.payer_bank ?? '',
    payer_account: body.payer_account ?? '',
    payee_name: body.payee_name ?? '',
    payee_bank: body.payee_bank ?? '',
    payee_account: body.payee_account ?? '',
    transfer_remark: body.transfer_remark ?? '',
    order_date: body.order_date ?? '',
    pay_by: '',
    purpose: body.purpose ?? '',
    mini_program: body.mini_program ?? null,
    mini_program_id: body.mini_program_id ?? null,
    status: 'draft',
    flags: [],
    allowed_actions: [],
    can_edit: true,
    can_delete: true,
    created_at: '2026-11-20T08:00:00Z',
    updated_at: '2026-11-20T08:00:00Z',
    requester_id: 3,
    requester_name: '张三',
    round: 1,
    attachments: [],
    cc: [],
    steps: [],
    timeline: [],
    warnings: [],
    ...extra,
  }
}

describe('request form → create body', () => {
  it('sends the amount as integer fen', () => {
    expect(toRequestInput(typedForm(), unlinked).amount_fen).toBe(140950)
    expect(toRequestInput({ ...typedForm(), amount_yuan: '0.01' }, unlinked).amount_fen).toBe(1)
    expect(toRequestInput({ ...typedForm(), amount_yuan: '99999.99' }, unlinked).amount_fen).toBe(9999999)
    expect(Number.isInteger(toRequestInput({ ...typedForm(), amount_yuan: '325.04' }, unlinked).amount_fen)).toBe(true)
  })

  it('sends null for an amount that does not parse (the form refuses it first)', () => {
    expect(toRequestInput({ ...typedForm(), amount_yuan: '12.345' }, unlinked).amount_fen).toBeNull()
  })

  it('trims text, upper-cases the credit code and strips spaces from account numbers', () => {
    const body = toRequestInput(typedForm(), unlinked)
    expect(body.title).toBe('小程序「日升优选」对公打款验证')
    expect(body.payer_entity).toBe('日升科技（深圳）有限公司')
    expect(body.payer_credit_code).toBe('91440300MA5DEM0019')
    expect(body.payer_account).toBe('755912345610801')
    expect(body.payee_account).toBe('755915707910607')
    expect(body.transfer_remark).toBe('100002')
    expect(body.currency).toBe('CNY')
  })

  it('leaves out what does not apply: company ids for a typed payer, refundable except for advance payments', () => {
    const json = JSON.parse(JSON.stringify(toRequestInput(typedForm(), unlinked))) as Record<string, unknown>
    for (const key of ['company_id', 'payer_account_id', 'refundable', 'mini_program_id']) expect(json).not.toHaveProperty(key)
    expect(toRequestInput({ ...typedForm(), kind: 'advance_payment', refundable: true }, unlinked).refundable).toBe(true)
  })

  it('sends empty optional mini-program fields as null, never as empty strings', () => {
    const mp = toRequestInput(typedForm(), unlinked).mini_program
    expect(mp).toEqual({
      name: '日升优选',
      appid: null,
      registration_email: 'mp@risun.example.com',
      entity_type: 'enterprise',
      entity_subtype: null,
      admin_name: '张三',
      admin_id_number: '11010519491231002X',
      admin_phone: null,
    })
  })

  it('pays from a company: only its ids go, the server fills the payer fields', () => {
    const body = toRequestInput({ ...typedForm(), company_id: 2, payer_account_id: 5 }, unlinked)
    expect(body.company_id).toBe(2)
    expect(body.payer_account_id).toBe(5)
    const json = JSON.parse(JSON.stringify(body)) as Record<string, unknown>
    for (const key of ['payer_entity', 'payer_credit_code', 'payer_bank', 'payer_account']) expect(json).not.toHaveProperty(key)
  })

  it('names a linked registry record instead of sending a snapshot', () => {
    const body = toRequestInput(typedForm(), { mini_program_id: 12 })
    expect(body.mini_program_id).toBe(12)
    expect(JSON.parse(JSON.stringify(body))).not.toHaveProperty('mini_program')
  })

  it('sends mini_program: null for an advance payment without one', () => {
    const f = { ...typedForm(), kind: 'advance_payment' as const, include_mini_program: false }
    expect(showsMiniProgram(f)).toBe(false)
    const body = toRequestInput(f, { mini_program_id: 12 })
    expect(body.mini_program).toBeNull()
    expect(body.mini_program_id).toBeUndefined()
    // Every other kind must name one.
    expect(showsMiniProgram({ kind: 'certification_fee', include_mini_program: false })).toBe(true)
  })
})

describe('saved request → form', () => {
  it('round-trips: form → body → saved request → the same form', () => {
    const f = typedForm()
    const back = fromRequestDetail(savedFrom(toRequestInput(f, unlinked)))
    const normalised: RequestFormModel = {
      ...f,
      title: f.title.trim(),
      amount_yuan: '1409.50',
      payer_entity: f.payer_entity.trim(),
      payer_credit_code: '91440300MA5DEM0019',
      payer_account: '755912345610801',
      payee_account: '755915707910607',
      transfer_remark: '100002',
      refundable: true,
      mini_program: { ...f.mini_program, name: '日升优选', registration_email: 'mp@risun.example.com' },
    }
    expect(back.form).toEqual(normalised)
    expect(back.masked).toEqual(noMask)
    expect(back.link).toEqual(unlinked)
    // And the body built again from the loaded form is the same body.
    expect(toRequestInput(back.form, back.link)).toEqual(toRequestInput(f, unlinked))
  })

  it('keeps masked PII out of the inputs (it cannot be sent back) and remembers it as placeholder', () => {
    const body = toRequestInput(typedForm(), unlinked)
    const d = savedFrom(body, {
      mini_program: { ...body.mini_program!, admin_id_number: '110***********002X', admin_phone: '138****8000' },
    })
    const { form, masked } = fromRequestDetail(d)
    expect(masked).toEqual({ admin_id_number: '110***********002X', admin_phone: '138****8000' })
    expect(form.mini_program.admin_id_number).toBe('')
    expect(form.mini_program.admin_phone).toBe('')
  })

  it('gives an empty mini-program to a request without one', () => {
    const d = savedFrom(toRequestInput({ ...typedForm(), kind: 'advance_payment', include_mini_program: false }, unlinked))
    const { form } = fromRequestDetail(d)
    expect(form.include_mini_program).toBe(false)
    expect(form.mini_program.name).toBe('')
  })
})

describe('edit → only the changes', () => {
  const saved = () => {
    const d = savedFrom(toRequestInput(typedForm(), unlinked))
    return { d, ...fromRequestDetail(d) }
  }

  it('sends only the version when nothing changed', () => {
    const { d, form, link, masked } = saved()
    expect(changedFields(d, form, link, masked)).toEqual({ version: 3 })
  })

  it('sends a changed amount in fen and a cleared remark as an empty string', () => {
    const { d, form, link, masked } = saved()
    form.amount_yuan = '1409.51'
    form.transfer_remark = ''
    expect(changedFields(d, form, link, masked)).toEqual({ version: 3, amount_fen: 140951, transfer_remark: '' })
  })

  it('sends the whole snapshot when one mini-program field changed', () => {
    const { d, form, link, masked } = saved()
    form.mini_program.appid = 'wx0123456789abcdef'
    const out = changedFields(d, form, link, masked)
    expect(out.mini_program).toEqual({ ...mpFromModel(form.mini_program) })
    expect(Object.keys(out).sort()).toEqual(['mini_program', 'version'])
  })

  it('does not send masked PII back when it was left alone', () => {
    const body = toRequestInput(typedForm(), unlinked)
    const d = savedFrom(body, { mini_program: { ...body.mini_program!, admin_id_number: '110***********002X' } })
    const { form, link, masked } = fromRequestDetail(d)
    expect(changedFields(d, form, link, masked)).toEqual({ version: 3 })
  })

  it('switching from a company to typed fields sends every payer field', () => {
    const d = savedFrom(toRequestInput({ ...typedForm(), company_id: 2, payer_account_id: 5 }, unlinked), {
      payer_entity: '日升科技（深圳）有限公司',
      payer_credit_code: '91440300MA5DEM0019',
      payer_bank: '招商银行深圳分行',
      payer_account: '755912345610801',
    })
    const { form, link, masked } = fromRequestDetail(d)
    form.company_id = null
    form.payer_account_id = null
    expect(changedFields(d, form, link, masked)).toEqual({
      version: 3,
      company_id: null,
      payer_entity: '日升科技（深圳）有限公司',
      payer_credit_code: '91440300MA5DEM0019',
      payer_bank: '招商银行深圳分行',
      payer_account: '755912345610801',
    })
  })

  it('another account of the same company sends the account only', () => {
    const d = savedFrom(toRequestInput({ ...typedForm(), company_id: 2, payer_account_id: 5 }, unlinked))
    const { form, link, masked } = fromRequestDetail(d)
    form.payer_account_id = 6
    expect(changedFields(d, form, link, masked)).toEqual({ version: 3, payer_account_id: 6 })
  })

  it('linking a registry record sends its id, and unlinking sends null with the typed snapshot', () => {
    const { d, form, masked } = saved()
    expect(changedFields(d, form, { mini_program_id: 12 }, masked)).toEqual({ version: 3, mini_program_id: 12 })
    const linked = savedFrom(toRequestInput(typedForm(), { mini_program_id: 12 }), { mini_program: toRequestInput(typedForm(), unlinked).mini_program })
    const back = fromRequestDetail(linked)
    expect(back.link).toEqual({ mini_program_id: 12 })
    const out = changedFields(linked, back.form, unlinked, back.masked)
    expect(out.mini_program_id).toBeNull()
    expect(out.mini_program).toEqual(mpFromModel(back.form.mini_program))
  })
})
