//! A record's input checked as a whole: texts, identifiers, Tencent's limits.
use super::MiniProgramInput;
use crate::app::AppState;
use crate::domain::entity_type::{EntityType, validate_subtype};
use crate::domain::ids::{AppId, CreditCode, Email, MobilePhone, ResidentIdNumber};
use crate::domain::mini_program::{AdminSlots, MAX_PER_ADMIN, VerificationMethod, admin_slots, email_free, method_allowed};
use crate::domain::text;
use crate::error::{ApiError, ApiResult, FieldError, Msg};
use entity::mini_program;
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};

/// A complete, valid record.
pub(super) struct Valid {
    pub(super) name: String,
    pub(super) appid: Option<String>,
    pub(super) email: String,
    pub(super) email_normalized: String,
    pub(super) entity_name: String,
    pub(super) credit_code: Option<String>,
    pub(super) entity_type: EntityType,
    pub(super) subtype: Option<String>,
    pub(super) method: VerificationMethod,
    pub(super) admin_name: String,
    pub(super) id_number: String,
    pub(super) phone: String,
}

fn required_text(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>, max: usize, label: &str) -> String {
    text::required(v.unwrap_or(""), max).unwrap_or_else(|p| {
        errors.push(text::labelled_field_error(field, label, p));
        String::new()
    })
}

fn parsed<T>(errors: &mut Vec<FieldError>, field: &str, label: &str, v: Option<&str>, parse: impl Fn(&str) -> Result<T, crate::domain::ids::IdError>) -> Option<T> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.push(FieldError::new(field, format!("{label}不能为空"), format!("{field} is required")));
            None
        }
        Some(s) => parse(s).map_err(|e| errors.push(FieldError::new(field, format!("{label}无效：{}", e.zh()), format!("invalid {field}: {}", e.en())))).ok(),
    }
}

pub(super) fn validate(i: &MiniProgramInput) -> Result<Valid, ApiError> {
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
        Some(_) => parsed(&mut e, "entity_credit_code", "统一社会信用代码", i.entity_credit_code.as_deref(), CreditCode::parse).map(|c| c.as_str().to_owned()),
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
        e.push(FieldError::new("verification_method", "个人主体不能使用对公账户打款验证", "an individual (个人) cannot verify by corporate transfer"));
    }
    let admin_name = required_text(&mut e, "admin_name", i.admin_name.as_deref(), 50, "管理员姓名");
    let id_number = parsed(&mut e, "admin_id_number", "管理员身份证号", i.admin_id_number.as_deref(), ResidentIdNumber::parse);
    let phone = parsed(&mut e, "admin_phone", "管理员手机号", i.admin_phone.as_deref(), MobilePhone::parse);
    match (email, i.entity_type, i.verification_method, id_number, phone) {
        (Some(email), Some(entity_type), Some(method), Some(id), Some(phone)) if e.is_empty() => Ok(Valid {
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

/// Enforces the per-person limits and the e-mail uniqueness inside the write transaction, so
/// two concurrent registrations cannot both take the 5th place. Returns warnings.
pub(super) async fn check_limits(tx: &DatabaseTransaction, state: &AppState, v: &Valid, except: Option<i32>) -> ApiResult<Vec<String>> {
    let not_self = |c: Condition| match except {
        Some(id) => c.add(mini_program::Column::Id.ne(id)),
        None => c,
    };
    let taken = mini_program::Entity::find()
        .filter(not_self(Condition::all().add(mini_program::Column::EmailNormalized.eq(v.email_normalized.clone()))))
        .count(tx)
        .await?;
    if !email_free(taken) {
        return Err(ApiError::Conflict {
            code: crate::error::ConflictCode::EmailTaken,
            msg: Msg::new("该注册邮箱已被另一个小程序登记使用", "this registration e-mail is already used by another mini-program"),
            current: None,
        });
    }
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for (field, label_zh, label_en, index) in [
        ("admin_id_number", "管理员身份证号", "admin ID number", state.pii.index(&v.id_number)),
        ("admin_phone", "管理员手机号", "admin phone", state.pii.index(&v.phone)),
    ] {
        let col = if field == "admin_id_number" { mini_program::Column::AdminIdIndex } else { mini_program::Column::AdminPhoneIndex };
        let held = mini_program::Entity::find().filter(not_self(Condition::all().add(col.eq(index)))).count(tx).await?;
        match admin_slots(held) {
            AdminSlots::Free => {}
            AdminSlots::NearlyFull(nth) => warnings.push(format!("该{label_zh}将登记第 {nth} 个小程序（腾讯上限 {MAX_PER_ADMIN} 个）")),
            AdminSlots::Full(held) => errors.push(FieldError::new(
                field,
                format!("该{label_zh}已登记 {held} 个小程序，腾讯规定最多 {MAX_PER_ADMIN} 个"),
                format!("this {label_en} already holds {held} mini-programs; Tencent allows at most {MAX_PER_ADMIN}"),
            )),
        }
    }
    if errors.is_empty() { Ok(warnings) } else { Err(ApiError::Validation(errors)) }
}

