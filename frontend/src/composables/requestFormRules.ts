// The request form's rules (新建/编辑申请), built on the shared field rules. The payer is
// only checked when typed by hand, the mini-program only when typed (not linked).
import type { FormRules } from 'element-plus'
import type { EntityType } from '@/api/types'
import { i18n } from '@/i18n'
import { allowsTransferVerification } from '@/domain/entityTypes'
import type { RequestFormModel } from '@/domain/requestForm'
import {
  accountRules,
  amountRules,
  appIdRules,
  creditCodeRules,
  emailRules,
  mobileRules,
  optionalText,
  pastDateRules,
  requiredText,
  residentIdRules,
} from './useRules'

const t = (key: string) => i18n.global.t(key)

export function requestFormRules(form: Pick<RequestFormModel, 'kind'>, o: { paidByCompany: boolean; typedMp: boolean }): FormRules {
  return {
    title: requiredText('field.title', 200),
    amount_yuan: amountRules(),
    payer_entity: o.paidByCompany ? [] : requiredText('field.payer_entity', 200),
    payer_credit_code: o.paidByCompany ? [] : creditCodeRules(),
    payer_bank: o.paidByCompany ? [] : requiredText('field.payer_bank', 200),
    payer_account: o.paidByCompany ? [] : accountRules('field.payer_account'),
    payee_name: requiredText('field.payee_name', 200),
    payee_bank: requiredText('field.payee_bank', 200),
    payee_account: accountRules('field.payee_account'),
    transfer_remark: optionalText('field.transfer_remark', 200),
    order_date: pastDateRules('field.order_date'),
    purpose: requiredText('field.purpose', 2000),
    'mini_program.name': o.typedMp ? requiredText('field.mp_name', 100) : [],
    'mini_program.appid': o.typedMp ? appIdRules() : [],
    'mini_program.registration_email': o.typedMp ? emailRules('field.mp_registration_email') : [],
    'mini_program.entity_type': o.typedMp
      ? [
          {
            trigger: 'change',
            validator: (_r, v: EntityType, cb) =>
              form.kind === 'verification_transfer' && !allowsTransferVerification(v)
                ? cb(new Error(t('validation.individualTransfer')))
                : cb(),
          },
        ]
      : [],
    'mini_program.admin_name': o.typedMp ? optionalText('field.mp_admin_name', 50) : [],
    'mini_program.admin_id_number': o.typedMp ? residentIdRules() : [],
    'mini_program.admin_phone': o.typedMp ? mobileRules() : [],
  }
}
