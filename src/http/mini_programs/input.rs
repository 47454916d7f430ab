//! A record's input checked as a whole: texts, identifiers, the verification method the
//! entity may use. Tencent's per-person limits are counted when it is written
//! (`store::mini_programs`).
use super::MiniProgramInput;
use crate::domain::entity_type::validate_subtype;
use crate::domain::ids::{AppId, CreditCode, Email, MobilePhone, ResidentIdNumber};
use crate::domain::mini_program::method_allowed;
use crate::domain::text;
use crate::error::{ApiError, FieldError};
use crate::store::mini_programs::RecordFields;

fn required_text(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>, max: usize, label: &str) -> String {
    text::required(v.unwrap_or(""), max).unwrap_or_else(|p| {
        errors.push(text::labelled_field_error(field, label, p));
        String::new()
    })
}

fn parsed<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::domain::ids::IdError>,
) -> Option<T> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.push(FieldError::new(field, format!("{label}不能为空"), format!("{field} is required")));
            None
        }
        Some(s) => parse(s)
            .map_err(|e| errors.push(FieldError::new(field, format!("{label}无效：{}", e.zh()), format!("invalid {field}: {}", e.en()))))
            .ok(),
    }
}

pub(super) fn validate(i: &MiniProgramInput) -> Result<RecordFields, ApiError> {
    let mut e = Vec::new();
    let name = required_text(&mut e, "name", i.name.as_deref(), 100, "小程序名称");
    let appid = match i.appid.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) => parsed(&mut e, "appid", "AppID", i.appid.as_deref(), AppId::parse).map(|a| a.as_str().to_owned()),
    };
    let email = parsed(&mut e, "registration_email", "注册邮箱", i.registration_email.as_deref(), Email::parse);
    let entity_name = required_text(&mut e, "entity_name", i.entity_name.as_deref(), 200, "主体名称");
    let credit_code = match i.entity_credit_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) => parsed(&mut e, "entity_credit_code", "统一社会信用代码", i.entity_credit_code.as_deref(), CreditCode::parse)
            .map(|c| c.as_str().to_owned()),
    };
    if i.entity_type.is_none() {
        e.push(FieldError::new("entity_type", "请选择主体类型", "entity_type is required"));
    }
    let subtype = i.entity_subtype.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(t) = i.entity_type
        && let Err(m) = validate_subtype(t, subtype.as_deref())
    {
        e.push(FieldError::new("entity_subtype", m.clone(), m));
    }
    if i.verification_method.is_none() {
        e.push(FieldError::new("verification_method", "请选择主体验证方式", "verification_method is required"));
    }
    if let (Some(t), Some(m)) = (i.entity_type, i.verification_method)
        && !method_allowed(t, m)
    {
        e.push(FieldError::new(
            "verification_method",
            "个人主体不能使用对公账户打款验证",
            "an individual (个人) cannot verify by corporate transfer",
        ));
    }
    let admin_name = required_text(&mut e, "admin_name", i.admin_name.as_deref(), 50, "管理员姓名");
    let id_number = parsed(&mut e, "admin_id_number", "管理员身份证号", i.admin_id_number.as_deref(), ResidentIdNumber::parse);
    let phone = parsed(&mut e, "admin_phone", "管理员手机号", i.admin_phone.as_deref(), MobilePhone::parse);
    match (email, i.entity_type, i.verification_method, id_number, phone) {
        (Some(email), Some(entity_type), Some(method), Some(id), Some(phone)) if e.is_empty() => Ok(RecordFields {
            name,
            appid,
            email_normalized: email.normalized(),
            email: email.as_str().to_owned(),
            entity_name,
            credit_code,
            entity_type,
            subtype,
            method,
            admin_name,
            id_number: id.as_str().to_owned(),
            phone: phone.as_str().to_owned(),
        }),
        _ => Err(ApiError::Validation(e)),
    }
}
