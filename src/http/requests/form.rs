//! The form's input, parsed at the edge into typed values: invalid input never reaches the store.
use crate::domain::entity_type::{EntityType, validate_subtype};
use crate::domain::ids::{AccountNumber, AppId, CreditCode, Email, MobilePhone, ResidentIdNumber};
use crate::domain::money::Money;
use crate::domain::text;
use crate::domain::workflow::Kind;
use crate::error::{ApiError, FieldError};
use chrono::NaiveDate;
use entity::request;
use serde::{Deserialize, Serialize};

/// The mini-program a payment is for (DESIGN §1.1).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MiniProgram {
    pub name: String,
    /// `wx` + 16 hex digits, when already known.
    pub appid: Option<String>,
    pub registration_email: String,
    pub entity_type: EntityType,
    pub entity_subtype: Option<String>,
    pub admin_name: Option<String>,
    /// 管理员身份证号; masked for everyone but finance and admin.
    pub admin_id_number: Option<String>,
    /// 管理员手机号; masked for everyone but finance and admin.
    pub admin_phone: Option<String>,
}

/// Fields of the form as sent on create (all that apply) and on edit (only what changes).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub kind: Option<Kind>,
    pub title: Option<String>,
    /// Integer fen (分), > 0 and ≤ 100,000,000,000. Defaults to 30000 for `certification_fee`.
    pub amount_fen: Option<i64>,
    /// `CNY` only.
    pub currency: Option<String>,
    /// Only for `advance_payment`: whether the money is expected back.
    pub refundable: Option<bool>,
    pub payer_entity: Option<String>,
    pub payer_credit_code: Option<String>,
    pub payer_bank: Option<String>,
    pub payer_account: Option<String>,
    pub payee_name: Option<String>,
    pub payee_bank: Option<String>,
    pub payee_account: Option<String>,
    pub transfer_remark: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub purpose: Option<String>,
    pub mini_program: Option<MiniProgram>,
    /// A registry record: its details fill `mini_program`, and the request follows it.
    pub mini_program_id: Option<i32>,
    /// A company of the group (`/companies`): when given, the payer fields are taken from it.
    /// On edit, `null` detaches the request from its company (the payer fields are then typed).
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<i32>)]
    pub company_id: Option<Option<i32>>,
    /// One of that company's accounts; its default account when absent.
    pub payer_account_id: Option<i32>,
    /// Required on edit: the version the change is based on.
    pub version: Option<i32>,
}

/// A complete, valid form.
#[derive(Debug, Clone)]
pub struct Form {
    pub kind: Kind,
    pub title: String,
    pub amount: Money,
    pub refundable: bool,
    pub payer_entity: String,
    pub payer_credit_code: CreditCode,
    pub payer_bank: String,
    pub payer_account: AccountNumber,
    pub payee_name: String,
    pub payee_bank: String,
    pub payee_account: AccountNumber,
    pub transfer_remark: String,
    pub order_date: NaiveDate,
    pub pay_by: NaiveDate,
    pub purpose: String,
    pub mini_program: Option<MiniProgram>,
    pub mini_program_id: Option<i32>,
    pub company_id: Option<i32>,
    pub payer_account_id: Option<i32>,
}

const SEALED: &str = "enc:";

impl MiniProgram {
    /// The stored form: the admin's ID number and phone encrypted, the rest as is.
    pub fn seal(&self, pii: &crate::pii::PiiCipher) -> serde_json::Value {
        let mut mp = self.clone();
        let enc = |v: &Option<String>| v.as_deref().map(|s| format!("{SEALED}{}", pii.encrypt(s)));
        mp.admin_id_number = enc(&self.admin_id_number);
        mp.admin_phone = enc(&self.admin_phone);
        serde_json::to_value(mp).unwrap_or_default()
    }

    /// Reads the stored form back (values stored before sealing existed pass through).
    pub fn open(v: &serde_json::Value, pii: &crate::pii::PiiCipher) -> Option<MiniProgram> {
        let mut mp: MiniProgram = serde_json::from_value(v.clone()).ok()?;
        let dec = |v: Option<String>| match v {
            Some(s) if s.starts_with(SEALED) => pii.decrypt(&s[SEALED.len()..]),
            other => other,
        };
        mp.admin_id_number = dec(mp.admin_id_number.take());
        mp.admin_phone = dec(mp.admin_phone.take());
        Some(mp)
    }
}

/// A free-text field (DESIGN §1.1 lengths): `min` 0 makes it optional. Text without a visible
/// character, direction overrides and control characters are refused (`domain::text`).
fn text(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, min: usize, max: usize, label_zh: &str) -> String {
    let checked =
        if min == 0 { text::optional(value, max).map(Option::unwrap_or_default) } else { text::required(value.unwrap_or(""), max) };
    checked.unwrap_or_else(|p| {
        errors.push(text::labelled_field_error(field, label_zh, p));
        String::new()
    })
}

pub(crate) fn id_field<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    label_zh: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::domain::ids::IdError>,
) -> Option<T> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => {
            errors.push(FieldError::new(field, format!("{label_zh}不能为空"), format!("{field} is required")));
            None
        }
        Some(v) => match parse(v) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError::new(field, format!("{label_zh}无效：{}", e.zh()), format!("invalid {field}: {}", e.en())));
                None
            }
        },
    }
}

fn optional_id<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    label_zh: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::domain::ids::IdError>,
) -> Option<T> {
    value.map(str::trim).filter(|v| !v.is_empty())?;
    id_field(errors, field, label_zh, value, parse)
}

fn mini_program(errors: &mut Vec<FieldError>, mp: &MiniProgram) -> MiniProgram {
    let p = "mini_program.";
    let name = text(errors, &format!("{p}name"), Some(&mp.name), 1, 100, "小程序名称");
    let appid = optional_id(errors, &format!("{p}appid"), "AppID", mp.appid.as_deref(), AppId::parse).map(|a| a.as_str().to_owned());
    let email = id_field(errors, &format!("{p}registration_email"), "注册邮箱", Some(&mp.registration_email), Email::parse)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let subtype = mp.entity_subtype.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Err(message) = validate_subtype(mp.entity_type, subtype) {
        errors.push(FieldError::new(format!("{p}entity_subtype"), message.clone(), message));
    }
    let admin_name = mp
        .admin_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| text(errors, &format!("{p}admin_name"), Some(s), 1, 50, "管理员姓名"));
    let id_number =
        optional_id(errors, &format!("{p}admin_id_number"), "管理员身份证号", mp.admin_id_number.as_deref(), ResidentIdNumber::parse)
            .map(|v| v.as_str().to_owned());
    let phone = optional_id(errors, &format!("{p}admin_phone"), "管理员手机号", mp.admin_phone.as_deref(), MobilePhone::parse)
        .map(|v| v.as_str().to_owned());
    MiniProgram {
        name,
        appid,
        registration_email: email,
        entity_type: mp.entity_type,
        entity_subtype: subtype.map(str::to_owned),
        admin_name,
        admin_id_number: id_number,
        admin_phone: phone,
    }
}

/// A requester sees the admin's ID number and phone masked; sending the masked value back
/// with an edit means "unchanged", so the stored value is kept instead of being overwritten.
fn keep_masked_pii(mut new: MiniProgram, old: &MiniProgram) -> MiniProgram {
    let masked = |v: &Option<String>| v.as_deref().is_some_and(|s| s.contains('*'));
    if masked(&new.admin_id_number) {
        new.admin_id_number = old.admin_id_number.clone();
    }
    if masked(&new.admin_phone) {
        new.admin_phone = old.admin_phone.clone();
    }
    new
}

impl RequestInput {
    /// The stored request as input, so that an edit is validated as a whole form.
    pub fn from_model(m: &request::Model, pii: &crate::pii::PiiCipher) -> RequestInput {
        RequestInput {
            kind: Kind::parse(&m.kind),
            title: Some(m.title.clone()),
            amount_fen: Some(m.amount_fen),
            currency: Some(m.currency.clone()),
            refundable: Some(m.refundable),
            payer_entity: Some(m.payer_entity.clone()),
            payer_credit_code: Some(m.payer_credit_code.clone()),
            payer_bank: Some(m.payer_bank.clone()),
            payer_account: Some(m.payer_account.clone()),
            payee_name: Some(m.payee_name.clone()),
            payee_bank: Some(m.payee_bank.clone()),
            payee_account: Some(m.payee_account.clone()),
            transfer_remark: Some(m.transfer_remark.clone()),
            order_date: Some(m.order_date),
            purpose: Some(m.purpose.clone()),
            mini_program: m.mini_program.as_ref().and_then(|v| MiniProgram::open(v, pii)),
            mini_program_id: m.mini_program_id,
            company_id: Some(m.company_id),
            payer_account_id: m.payer_account_id,
            version: Some(m.version),
        }
    }

    /// `self` with every field that `patch` sets replaced.
    pub fn overlay(self, patch: RequestInput) -> RequestInput {
        RequestInput {
            kind: patch.kind.or(self.kind),
            title: patch.title.or(self.title),
            amount_fen: patch.amount_fen.or(self.amount_fen),
            currency: patch.currency.or(self.currency),
            refundable: patch.refundable.or(self.refundable),
            payer_entity: patch.payer_entity.or(self.payer_entity),
            payer_credit_code: patch.payer_credit_code.or(self.payer_credit_code),
            payer_bank: patch.payer_bank.or(self.payer_bank),
            payer_account: patch.payer_account.or(self.payer_account),
            payee_name: patch.payee_name.or(self.payee_name),
            payee_bank: patch.payee_bank.or(self.payee_bank),
            payee_account: patch.payee_account.or(self.payee_account),
            transfer_remark: patch.transfer_remark.or(self.transfer_remark),
            order_date: patch.order_date.or(self.order_date),
            purpose: patch.purpose.or(self.purpose),
            mini_program: match (patch.mini_program, self.mini_program) {
                (Some(new), Some(old)) => Some(keep_masked_pii(new, &old)),
                (new, old) => new.or(old),
            },
            mini_program_id: patch.mini_program_id.or(self.mini_program_id),
            // Another company means its default account unless the patch names one.
            payer_account_id: if patch.company_id.is_some_and(|c| Some(c) != self.company_id) {
                patch.payer_account_id
            } else {
                patch.payer_account_id.or(self.payer_account_id)
            },
            company_id: patch.company_id.or(self.company_id),
            version: patch.version.or(self.version),
        }
    }

    /// Validates every field, reporting all problems at once. `today` is the China date.
    pub fn validate(&self, today: NaiveDate) -> Result<Form, ApiError> {
        let mut errors = Vec::new();
        let kind = self.kind;
        if kind.is_none() {
            errors.push(FieldError::new("kind", "请选择申请类型", "kind is required"));
        }
        let amount_fen = self.amount_fen.or_else(|| kind.and_then(Kind::default_amount_fen));
        let amount = match amount_fen {
            None => {
                errors.push(FieldError::new("amount_fen", "金额不能为空", "amount_fen is required"));
                None
            }
            Some(fen) => match Money::from_fen(fen) {
                Ok(m) => Some(m),
                Err(e) => {
                    errors.push(FieldError::new("amount_fen", e.zh(), e.en()));
                    None
                }
            },
        };
        if let Some(c) = &self.currency
            && c != "CNY"
        {
            errors.push(FieldError::new("currency", "币种只能是 CNY（人民币）", "currency must be CNY"));
        }
        if self.refundable.is_some()
            && kind.is_some_and(|k| k != Kind::AdvancePayment)
            && self.refundable != kind.map(|k| k.refundable(false))
        {
            errors.push(FieldError::new(
                "refundable",
                "只有「其他预付款」可以设置是否退款",
                "refundable can only be chosen for advance_payment",
            ));
        }
        let title = text(&mut errors, "title", self.title.as_deref(), 1, 200, "标题");
        let payer_entity = text(&mut errors, "payer_entity", self.payer_entity.as_deref(), 1, 200, "付款主体");
        let payer_credit_code =
            id_field(&mut errors, "payer_credit_code", "统一社会信用代码", self.payer_credit_code.as_deref(), CreditCode::parse);
        let payer_bank = text(&mut errors, "payer_bank", self.payer_bank.as_deref(), 1, 200, "付款开户行");
        let payer_account = id_field(&mut errors, "payer_account", "付款账号", self.payer_account.as_deref(), AccountNumber::parse);
        let payee_name = text(&mut errors, "payee_name", self.payee_name.as_deref(), 1, 200, "收款方户名");
        let payee_bank = text(&mut errors, "payee_bank", self.payee_bank.as_deref(), 1, 200, "收款开户行");
        let payee_account = id_field(&mut errors, "payee_account", "收款账号", self.payee_account.as_deref(), AccountNumber::parse);
        let transfer_remark = text(&mut errors, "transfer_remark", self.transfer_remark.as_deref(), 0, 200, "汇款附言");
        let purpose = text(&mut errors, "purpose", self.purpose.as_deref(), 1, 2000, "用途");
        let order_date = match self.order_date {
            None => {
                errors.push(FieldError::new("order_date", "请填写订单日期", "order_date is required"));
                None
            }
            Some(d) if d > today => {
                errors.push(FieldError::new("order_date", "订单日期不能晚于今天", "order_date cannot be in the future"));
                None
            }
            Some(d) if d < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) => {
                errors.push(FieldError::new("order_date", "订单日期不能早于 2000 年", "order_date cannot be before 2000"));
                None
            }
            Some(d) => Some(d),
        };
        let mini_program = match (&self.mini_program, kind) {
            (Some(mp), _) => Some(mini_program(&mut errors, mp)),
            (None, Some(k)) if k.requires_mini_program() => {
                errors.push(FieldError::new("mini_program", "此类申请须填写小程序信息", "mini_program is required for this kind"));
                None
            }
            (None, _) => None,
        };
        if let (Some(Kind::VerificationTransfer), Some(mp)) = (kind, &mini_program)
            && !mp.entity_type.allows_transfer_verification()
        {
            errors.push(FieldError::new(
                "mini_program.entity_type",
                "个人主体不能使用对公账户打款验证",
                "an individual (个人) cannot verify by corporate transfer",
            ));
        }
        match (kind, amount, payer_credit_code, payer_account, payee_account, order_date) {
            (Some(kind), Some(amount), Some(payer_credit_code), Some(payer_account), Some(payee_account), Some(order_date))
                if errors.is_empty() =>
            {
                Ok(Form {
                    kind,
                    title,
                    amount,
                    refundable: kind.refundable(self.refundable.unwrap_or(false)),
                    payer_entity,
                    payer_credit_code,
                    payer_bank,
                    payer_account,
                    payee_name,
                    payee_bank,
                    payee_account,
                    transfer_remark,
                    order_date,
                    pay_by: crate::domain::deadlines::pay_by(order_date),
                    purpose,
                    mini_program,
                    mini_program_id: self.mini_program_id,
                    company_id: self.company_id.flatten(),
                    payer_account_id: self.payer_account_id,
                })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}
