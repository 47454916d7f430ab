import { describe, expect, it } from 'vitest'
import {
  ADMIN_QUOTA,
  allowedMethods,
  canMarkFailed,
  canMarkVerified,
  changedMpFields,
  isMasked,
  methodProblem,
  registryErrors,
  validateMiniProgram,
  type MpDraft,
} from '@/domain/miniPrograms'
import zhCN from '@/i18n/zh-CN'
import en from '@/i18n/en'

const good: MpDraft = {
  name: '日升优选',
  appid: 'wx0123456789abcdef',
  registration_email: 'mp@risun.example.com',
  entity_name: '日升科技（深圳）有限公司',
  entity_type: 'enterprise',
  verification_method: 'transfer',
  admin_name: '张三',
  admin_id_number: '11010519491231002X',
  admin_phone: '138 0013 8000',
}

function lookup(messages: object, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages)
}

describe('verification method rules', () => {
  it('refuses transfer for an individual, with the reason', () => {
    expect(methodProblem('individual', 'transfer')).toBe('individual_transfer')
    expect(validateMiniProgram({ ...good, entity_type: 'individual' }).verification_method).toBe('individual_transfer')
  })
  it.each(['enterprise', 'media', 'government', 'other_org'] as const)('allows transfer for %s', (type) => {
    expect(methodProblem(type, 'transfer')).toBeNull()
    expect(allowedMethods(type)).toContain('transfer')
  })
  it('offers individuals every method but transfer', () => {
    expect(allowedMethods('individual')).toEqual(['certification', 'legal_person_face', 'e_license'])
  })
  it('requires a method', () => {
    expect(validateMiniProgram({ ...good, verification_method: '' }).verification_method).toBe('required')
  })
})

describe('mini-program form validation', () => {
  it('accepts a complete record', () => {
    expect(validateMiniProgram(good)).toEqual({})
  })
  it('AppID is optional but must be wx + 16 hex', () => {
    expect(validateMiniProgram({ ...good, appid: '' }).appid).toBeUndefined()
    expect(validateMiniProgram({ ...good, appid: 'WX0123456789ABCDEF' }).appid).toBeUndefined()
    expect(validateMiniProgram({ ...good, appid: 'wx0123456789abcde' }).appid).toBe('appid_length')
    expect(validateMiniProgram({ ...good, appid: 'wx0123456789abcdeg' }).appid).toBe('appid_format')
    expect(validateMiniProgram({ ...good, appid: 'xw0123456789abcdef' }).appid).toBe('appid_format')
  })
  it('checks e-mail, ID number and phone', () => {
    const r = validateMiniProgram({ ...good, registration_email: 'a@b', admin_id_number: '110105194912310021', admin_phone: '12800138000' })
    expect(r).toEqual({ registration_email: 'email', admin_id_number: 'id_checksum', admin_phone: 'mobile' })
  })
  it('requires name, entity, admin name, e-mail, ID and phone', () => {
    const r = validateMiniProgram({ ...good, name: ' ', entity_name: '', admin_name: '', registration_email: '', admin_id_number: '', admin_phone: '' })
    expect(r).toEqual({
      name: 'required',
      entity_name: 'required',
      admin_name: 'required',
      registration_email: 'required',
      admin_id_number: 'required',
      admin_phone: 'required',
    })
  })
  it('does not re-check masked values sent back unchanged', () => {
    const masked = { ...good, admin_id_number: '110***********002X', admin_phone: '138****8000' }
    expect(isMasked(masked.admin_id_number)).toBe(true)
    expect(isMasked('13800138000')).toBe(false)
    expect(validateMiniProgram(masked)).toEqual({ admin_id_number: 'id_charset', admin_phone: 'mobile' })
    expect(validateMiniProgram(masked, new Set(['admin_id_number', 'admin_phone'] as const))).toEqual({})
  })
  it('every problem has a message in both languages', () => {
    const problems = ['required', 'appid_length', 'appid_format', 'email', 'id_length', 'id_charset', 'id_format', 'id_checksum', 'mobile', 'individual_transfer']
    for (const p of problems) {
      expect(typeof lookup(zhCN, `mp.problem.${p}`)).toBe('string')
      expect(typeof lookup(en, `mp.problem.${p}`)).toBe('string')
    }
    expect(lookup(zhCN, 'mp.problem.individual_transfer')).toContain('个人主体不能使用对公打款验证')
    expect(lookup(zhCN, 'mp.rules.quota')).toContain(`一个身份证号/手机号最多 ${ADMIN_QUOTA} 个小程序`)
    expect(lookup(zhCN, 'mp.rules.individual')).toBe('个人主体不能使用对公打款验证。')
  })
})

describe('server refusals land next to their fields', () => {
  it('puts the 6th mini-program on an ID number / phone on those fields', () => {
    const r = registryErrors(
      {
        status: 422,
        code: 'validation_failed',
        detail: '2 个字段有误',
        errors: [
          { field: 'admin_id_number', message: '该管理员身份证号已登记 5 个小程序，腾讯规定最多 5 个' },
          { field: 'admin_phone', message: '该管理员手机号已登记 5 个小程序，腾讯规定最多 5 个' },
          { field: 'verification_method', message: '个人主体不能使用对公账户打款验证' },
        ],
      },
      '已登记',
    )
    expect(Object.keys(r.byField).sort()).toEqual(['admin_id_number', 'admin_phone', 'verification_method'])
    expect(r.byField.admin_id_number).toContain('最多 5 个')
    expect(r.rest).toEqual([])
    expect(r.general).toBeNull()
  })
  it('puts a taken e-mail (409 email_taken) on the e-mail field', () => {
    expect(registryErrors({ status: 409, code: 'email_taken', detail: '该注册邮箱已被使用' }, 'x').byField).toEqual({
      registration_email: '该注册邮箱已被使用',
    })
    expect(registryErrors({ status: 409, code: 'email_taken', detail: '' }, '已登记').byField.registration_email).toBe('已登记')
  })
  it('joins two messages for one field and keeps unknown fields apart', () => {
    const r = registryErrors(
      {
        status: 422,
        code: 'validation_failed',
        detail: '',
        errors: [
          { field: 'appid', message: 'a' },
          { field: 'appid', message: 'b' },
          { field: 'version', message: 'c' },
        ],
      },
      '',
    )
    expect(r.byField).toEqual({ appid: 'a；b' })
    expect(r.rest).toEqual([{ field: 'version', message: 'c' }])
  })
  it('leaves other failures to the page', () => {
    expect(registryErrors({ status: 409, code: 'version_conflict', detail: '已被他人修改' }, '').general).toBe('已被他人修改')
  })
})

describe('manual outcomes', () => {
  it('verified only after review, or while registering by face scan / e-licence', () => {
    expect(canMarkVerified('certification_review', 'certification')).toBe(true)
    expect(canMarkVerified('registering', 'legal_person_face')).toBe(true)
    expect(canMarkVerified('registering', 'e_license')).toBe(true)
    expect(canMarkVerified('registering', 'transfer')).toBe(false)
    expect(canMarkVerified('awaiting_refund', 'transfer')).toBe(false)
    expect(canMarkFailed('awaiting_payment')).toBe(true)
    expect(canMarkFailed('verified')).toBe(false)
    expect(canMarkFailed('failed')).toBe(false)
  })
})

describe('PATCH body: only what changed', () => {
  it('compares trimmed text and treats empty as null', () => {
    const before = { name: '日升优选', appid: null as string | null, admin_phone: '138****8000' }
    expect(changedMpFields(before, { name: '日升优选 ', appid: '', admin_phone: '138****8000' })).toEqual({})
    expect(changedMpFields(before, { name: '日升严选', appid: 'wx0123456789abcdef', admin_phone: '138****8000' })).toEqual({
      name: '日升严选',
      appid: 'wx0123456789abcdef',
    })
  })
})
