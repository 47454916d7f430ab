//! The mini-program registry (DESIGN §2.3): how each mini-program's entity is verified,
//! Tencent's limits (5 mini-programs per admin ID number and per phone, one e-mail each,
//! no corporate transfer for individuals), and the certification materials checklist.
use super::Page;
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::entity_type::{EntityType, required_materials, validate_subtype};
use crate::domain::ids::{AppId, CreditCode, Email, MobilePhone, ResidentIdNumber, mask_id_number, mask_phone};
use crate::domain::roles::Role;
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult, FieldError, Msg};
use crate::store::audit::{self, AuditCursor, NewEvent};
use crate::store::mini_programs::{MpStatus, follow_request};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{mini_program, mini_program_material, request};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mini_programs, create_mini_program))
        .routes(routes!(get_mini_program, update_mini_program))
        .routes(routes!(upload_material))
        .routes(routes!(download_material))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
}

/// Tencent: "一个身份证号码只能注册5个小程序" and the same for a phone number.
pub const MAX_PER_ADMIN: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    /// 对公账户打款
    Transfer,
    /// 微信认证（300 元）
    Certification,
    /// 法人扫脸
    LegalPersonFace,
    /// 电子营业执照
    ELicense,
}

impl VerificationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationMethod::Transfer => "transfer",
            VerificationMethod::Certification => "certification",
            VerificationMethod::LegalPersonFace => "legal_person_face",
            VerificationMethod::ELicense => "e_license",
        }
    }

    pub fn parse(s: &str) -> Option<VerificationMethod> {
        [Self::Transfer, Self::Certification, Self::LegalPersonFace, Self::ELicense].into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MiniProgramInput {
    pub name: Option<String>,
    pub appid: Option<String>,
    pub registration_email: Option<String>,
    pub entity_name: Option<String>,
    pub entity_credit_code: Option<String>,
    pub entity_type: Option<EntityType>,
    pub entity_subtype: Option<String>,
    pub verification_method: Option<VerificationMethod>,
    pub admin_name: Option<String>,
    pub admin_id_number: Option<String>,
    pub admin_phone: Option<String>,
    /// On edit only: a manual outcome (`failed`; `verified` after a certification review or a
    /// face / e-licence verification).
    pub status: Option<MpStatus>,
    /// Required on edit.
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub item: String,
    pub name_zh: String,
    pub required: bool,
    pub done: bool,
    pub note_zh: String,
    /// The uploaded document (download it at `.../materials/{item}/file`).
    pub attachment_id: Option<i32>,
    pub filename: Option<String>,
    pub uploaded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MiniProgramView {
    pub id: i32,
    pub name: String,
    pub appid: Option<String>,
    pub registration_email: String,
    pub entity_name: String,
    pub entity_credit_code: Option<String>,
    pub entity_type: EntityType,
    pub entity_subtype: Option<String>,
    pub verification_method: VerificationMethod,
    pub admin_name: String,
    /// Masked for everyone but finance and admin.
    pub admin_id_number: String,
    /// Masked for everyone but finance and admin.
    pub admin_phone: String,
    pub status: MpStatus,
    /// Deadline of the 1–5 working-day certification review.
    pub review_due: Option<NaiveDate>,
    pub request_ids: Vec<i32>,
    pub materials: Vec<MaterialView>,
    pub missing_materials: Vec<String>,
    pub warnings: Vec<String>,
    pub created_by: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A complete, valid record.
struct Valid {
    name: String,
    appid: Option<String>,
    email: String,
    email_normalized: String,
    entity_name: String,
    credit_code: Option<String>,
    entity_type: EntityType,
    subtype: Option<String>,
    method: VerificationMethod,
    admin_name: String,
    id_number: String,
    phone: String,
}

fn required_text(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>, max: usize, label: &str) -> String {
    crate::domain::text::required(v.unwrap_or(""), max).unwrap_or_else(|p| {
        errors.push(crate::domain::text::labelled_field_error(field, label, p));
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

fn validate(i: &MiniProgramInput) -> Result<Valid, ApiError> {
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
    if i.entity_type == Some(EntityType::Individual) && i.verification_method == Some(VerificationMethod::Transfer) {
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

fn visible_to(me: &AuthUser) -> Condition {
    if me.roles.sees_all_requests() { Condition::all() } else { Condition::all().add(mini_program::Column::CreatedBy.eq(me.id)) }
}

async fn find_visible(state: &AppState, me: &AuthUser, id: i32) -> ApiResult<mini_program::Model> {
    mini_program::Entity::find_by_id(id)
        .filter(visible_to(me))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))
}

/// Decrypted PII of a record (for finance/admin views and for request snapshots).
pub fn clear_pii(state: &AppState, m: &mini_program::Model) -> (String, String) {
    (state.pii.decrypt(&m.admin_id_number_enc).unwrap_or_default(), state.pii.decrypt(&m.admin_phone_enc).unwrap_or_default())
}

async fn view(state: &AppState, me: &AuthUser, m: mini_program::Model, mut warnings: Vec<String>) -> ApiResult<MiniProgramView> {
    let (id_number, phone) = clear_pii(state, &m);
    let sees_pii = me.has(Role::Finance) || me.has(Role::Admin);
    let entity_type = EntityType::parse(&m.entity_type).unwrap_or(EntityType::Enterprise);
    let method = VerificationMethod::parse(&m.verification_method).unwrap_or(VerificationMethod::Transfer);
    let status = MpStatus::parse(&m.status).unwrap_or(MpStatus::Registering);
    let files = mini_program_material::Entity::find().filter(mini_program_material::Column::MiniProgramId.eq(m.id)).all(&state.db).await?;
    let materials: Vec<MaterialView> = required_materials(entity_type, m.entity_subtype.as_deref())
        .into_iter()
        .map(|mat| {
            let file = files.iter().find(|f| f.item == mat.key);
            MaterialView {
                item: mat.key.to_owned(),
                name_zh: mat.name_zh.to_owned(),
                required: mat.required,
                done: file.is_some(),
                note_zh: mat.note_zh.to_owned(),
                attachment_id: file.map(|f| f.id),
                filename: file.map(|f| f.filename.clone()),
                uploaded_at: file.map(|f| f.created_at),
            }
        })
        .collect();
    let missing_materials: Vec<String> = materials.iter().filter(|m| m.required && !m.done).map(|m| m.item.clone()).collect();
    let request_ids: Vec<i32> = request::Entity::find()
        .filter(request::Column::MiniProgramId.eq(m.id))
        .order_by_asc(request::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if method == VerificationMethod::Transfer && request_ids.is_empty() && !status.is_final() {
        warnings.push("对公打款验证需要一张「对公打款验证」付款申请：请在新建申请时选择此小程序".into());
    }
    if method == VerificationMethod::Certification && !missing_materials.is_empty() && !status.is_final() {
        warnings.push(format!("微信认证还缺少 {} 项必需材料", missing_materials.len()));
    }
    Ok(MiniProgramView {
        id: m.id,
        name: m.name,
        appid: m.appid,
        registration_email: m.registration_email,
        entity_name: m.entity_name,
        entity_credit_code: m.entity_credit_code,
        entity_type,
        entity_subtype: m.entity_subtype,
        verification_method: method,
        admin_name: m.admin_name,
        admin_id_number: if sees_pii { id_number } else { mask_id_number(&id_number) },
        admin_phone: if sees_pii { phone } else { mask_phone(&phone) },
        status,
        review_due: m.review_due,
        request_ids,
        materials,
        missing_materials,
        warnings,
        created_by: m.created_by,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MiniProgramQuery {
    /// Matches name, AppID, e-mail or entity.
    pub q: Option<String>,
    pub status: Option<MpStatus>,
    pub verification_method: Option<VerificationMethod>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The registry: requesters see the records they created; finance, admin and auditors all.
#[utoipa::path(get, path = "/mini-programs", tag = "mini-programs", security(("bearer" = [])), params(MiniProgramQuery),
    responses((status = 200, body = Page<MiniProgramView>), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn list_mini_programs(State(state): State<AppState>, me: AuthUser, Query(q): Query<MiniProgramQuery>) -> ApiResult<Json<Page<MiniProgramView>>> {
    let (page, per_page) = super::PageParams::resolve(q.page, q.per_page)?;
    let mut cond = visible_to(&me);
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(crate::store::contains_text(mini_program::Column::Name, t))
                .add(crate::store::contains_text(mini_program::Column::Appid, t))
                .add(crate::store::contains_text(mini_program::Column::EmailNormalized, &t.to_lowercase()))
                .add(crate::store::contains_text(mini_program::Column::EntityName, t)),
        );
    }
    if let Some(s) = q.status {
        cond = cond.add(mini_program::Column::Status.eq(s.as_str()));
    }
    if let Some(m) = q.verification_method {
        cond = cond.add(mini_program::Column::VerificationMethod.eq(m.as_str()));
    }
    let paginator = mini_program::Entity::find().filter(cond).order_by_desc(mini_program::Column::Id).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let mut items = Vec::new();
    for m in paginator.fetch_page(page - 1).await? {
        items.push(view(&state, &me, m, Vec::new()).await?);
    }
    Ok(Json(Page { items, total, page, per_page }))
}

/// Enforces the per-person limits and the e-mail uniqueness inside the write transaction, so
/// two concurrent registrations cannot both take the 5th place. Returns warnings.
async fn check_limits(tx: &DatabaseTransaction, state: &AppState, v: &Valid, except: Option<i32>) -> ApiResult<Vec<String>> {
    let not_self = |c: Condition| match except {
        Some(id) => c.add(mini_program::Column::Id.ne(id)),
        None => c,
    };
    let taken = mini_program::Entity::find()
        .filter(not_self(Condition::all().add(mini_program::Column::EmailNormalized.eq(v.email_normalized.clone()))))
        .count(tx)
        .await?;
    if taken > 0 {
        return Err(ApiError::Conflict {
            code: "email_taken",
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
        if held >= MAX_PER_ADMIN {
            errors.push(FieldError::new(
                field,
                format!("该{label_zh}已登记 {held} 个小程序，腾讯规定最多 {MAX_PER_ADMIN} 个"),
                format!("this {label_en} already holds {held} mini-programs; Tencent allows at most {MAX_PER_ADMIN}"),
            ));
        } else if held + 1 >= MAX_PER_ADMIN - 1 {
            warnings.push(format!("该{label_zh}将登记第 {} 个小程序（腾讯上限 {MAX_PER_ADMIN} 个）", held + 1));
        }
    }
    if errors.is_empty() { Ok(warnings) } else { Err(ApiError::Validation(errors)) }
}

fn mp_summary(m: &mini_program::Model) -> serde_json::Value {
    // PII stays out of the audit log: it is immutable, so it must never hold what we may have to erase.
    serde_json::json!({"id": m.id, "name": m.name, "appid": m.appid,
        "entity_type": m.entity_type, "verification_method": m.verification_method, "status": m.status, "version": m.version})
}

/// Register a mini-program. For `certification` a 300-元 `certification_fee` draft request is
/// created and linked.
#[utoipa::path(post, path = "/mini-programs", tag = "mini-programs", security(("bearer" = [])), request_body = MiniProgramInput,
    responses((status = 201, body = MiniProgramView), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn create_mini_program(State(state): State<AppState>, me: AuthUser, Json(input): Json<MiniProgramInput>) -> ApiResult<(StatusCode, Json<MiniProgramView>)> {
    me.require(Role::Requester)?;
    if input.status.is_some() || input.version.is_some() {
        return Err(ApiError::field("status", "新登记不接受 status / version", "status and version are not accepted on create"));
    }
    let v = validate(&input)?;
    let now = state.clock.now();
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let warnings = check_limits(&tx, &state, &v, None).await?;
    let m = mini_program::ActiveModel {
        name: Set(v.name.clone()),
        appid: Set(v.appid.clone()),
        registration_email: Set(v.email.clone()),
        email_normalized: Set(v.email_normalized.clone()),
        entity_name: Set(v.entity_name.clone()),
        entity_credit_code: Set(v.credit_code.clone()),
        entity_type: Set(v.entity_type.as_str().to_owned()),
        entity_subtype: Set(v.subtype.clone()),
        verification_method: Set(v.method.as_str().to_owned()),
        admin_name: Set(v.admin_name.clone()),
        admin_id_number_enc: Set(state.pii.encrypt(&v.id_number)),
        admin_id_index: Set(state.pii.index(&v.id_number)),
        admin_phone_enc: Set(state.pii.encrypt(&v.phone)),
        admin_phone_index: Set(state.pii.index(&v.phone)),
        status: Set(MpStatus::Registering.as_str().to_owned()),
        review_due: Set(None),
        created_by: Set(me.id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict { code: "email_taken", msg: Msg::new("该注册邮箱已被使用", "this registration e-mail is already used"), current: None }
        } else {
            e.into()
        }
    })?;
    cursor
        .append(&tx, NewEvent { actor_id: Some(me.id), actor_name: me.display_name.clone(), action: "mini_program_create".into(), after: Some(mp_summary(&m)), ..Default::default() }, now)
        .await?;
    if v.method == VerificationMethod::Certification {
        certification_draft(&tx, &mut cursor, &state, &me, &m, &v, now).await?;
    }
    tx.commit().await?;
    let m = mini_program::Entity::find_by_id(m.id).one(&state.db).await?.ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))?;
    Ok((StatusCode::CREATED, Json(view(&state, &me, m, warnings).await?)))
}

/// The 300-元 certification fee as a draft of the registering user: payer and payee details
/// are completed by them before submitting (the submit checks the whole form).
async fn certification_draft(
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    state: &AppState,
    me: &AuthUser,
    m: &mini_program::Model,
    v: &Valid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let today = china_date(now);
    let snapshot = serde_json::from_value::<crate::http::requests::form::MiniProgram>(snapshot(m, &v.id_number, &v.phone))
        .map(|mp| mp.seal(&state.pii))
        .map_err(ApiError::internal)?;
    let amount = Kind::CertificationFee.default_amount_fen().unwrap_or(30_000);
    let r = request::ActiveModel {
        kind: Set(Kind::CertificationFee.as_str().to_owned()),
        title: Set(format!("小程序「{}」微信认证费", m.name)),
        amount_fen: Set(amount),
        currency: Set("CNY".into()),
        refundable: Set(false),
        payer_entity: Set(m.entity_name.clone()),
        payer_credit_code: Set(m.entity_credit_code.clone().unwrap_or_default()),
        payer_bank: Set(String::new()),
        payer_account: Set(String::new()),
        payee_name: Set(String::new()),
        payee_bank: Set(String::new()),
        payee_account: Set(String::new()),
        transfer_remark: Set(String::new()),
        order_date: Set(today),
        pay_by: Set(crate::http::requests::form::pay_by(today)),
        purpose: Set("微信认证审核费用 300 元（认证通过前小程序部分能力暂不支持；提交认证后 1–5 个工作日完成审核）".into()),
        mini_program: Set(Some(snapshot)),
        mini_program_id: Set(Some(m.id)),
        requester_id: Set(me.id),
        department_id: Set(me.department_id),
        status: Set(Status::Draft.as_str().to_owned()),
        version: Set(1),
        round: Set(0),
        flags: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "create".into(),
                request_id: Some(r.id),
                comment: Some(format!("由小程序登记「{}」的微信认证自动创建", m.name)),
                after: Some(serde_json::json!({"status": r.status, "version": r.version, "kind": r.kind, "amount_fen": r.amount_fen, "mini_program_id": m.id})),
                ..Default::default()
            },
            now,
        )
        .await?;
    follow_request(tx, cursor, &r, (Some(me.id), &me.display_name), now).await?;
    Ok(())
}

/// The request's copy of the registry record.
pub fn snapshot(m: &mini_program::Model, id_number: &str, phone: &str) -> serde_json::Value {
    serde_json::json!({
        "name": m.name, "appid": m.appid, "registration_email": m.registration_email,
        "entity_type": m.entity_type, "entity_subtype": m.entity_subtype, "admin_name": m.admin_name,
        "admin_id_number": id_number, "admin_phone": phone,
    })
}

/// A registry record the caller may link a request to, with its snapshot.
pub async fn for_request(state: &AppState, me: &AuthUser, id: i32) -> ApiResult<(mini_program::Model, serde_json::Value)> {
    // Only the registrant's own payments are linked: another person's request must not move it.
    let m = mini_program::Entity::find_by_id(id)
        .filter(mini_program::Column::CreatedBy.eq(me.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::field("mini_program_id", "没有这个小程序登记，或不是您登记的", "no such mini-program record, or not registered by you"))?;
    let (id_number, phone) = clear_pii(state, &m);
    let snap = snapshot(&m, &id_number, &phone);
    Ok((m, snap))
}

/// One record.
#[utoipa::path(get, path = "/mini-programs/{id}", tag = "mini-programs", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = MiniProgramView), (status = 404, body = crate::error::ProblemBody)))]
async fn get_mini_program(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<MiniProgramView>> {
    let m = find_visible(&state, &me, id).await?;
    Ok(Json(view(&state, &me, m, Vec::new()).await?))
}

fn may_edit(me: &AuthUser, m: &mini_program::Model) -> bool {
    m.created_by == me.id || me.has(Role::Finance) || me.has(Role::Admin)
}

/// Edit a record (`version` required), or record a manual outcome with `status`.
#[utoipa::path(patch, path = "/mini-programs/{id}", tag = "mini-programs", security(("bearer" = [])), params(("id" = i32, Path)),
    request_body = MiniProgramInput,
    responses((status = 200, body = MiniProgramView), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn update_mini_program(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i32>,
    Json(patch): Json<MiniProgramInput>,
) -> ApiResult<Json<MiniProgramView>> {
    let current = find_visible(&state, &me, id).await?;
    if !may_edit(&me, &current) {
        return Err(ApiError::Forbidden(Msg::new("只有登记人、财务或管理员可以修改", "only the registrant, finance or admin may edit")));
    }
    let Some(version) = patch.version else {
        return Err(ApiError::field("version", "修改须带上 version", "version is required"));
    };
    let conflict = |m: &mini_program::Model| ApiError::Conflict {
        code: "version_conflict",
        msg: Msg::new(format!("登记已被他人修改（当前版本 {}），请刷新后重试", m.version), format!("changed by someone else (now version {}); reload", m.version)),
        current: Some(serde_json::json!({"id": m.id, "status": m.status, "version": m.version})),
    };
    if version != current.version {
        return Err(conflict(&current));
    }
    let status = MpStatus::parse(&current.status).unwrap_or(MpStatus::Registering);
    let method = VerificationMethod::parse(&current.verification_method).unwrap_or(VerificationMethod::Transfer);
    let next_status = match patch.status {
        None => status,
        Some(s) if s == status => status,
        Some(MpStatus::Failed) if !status.is_final() => MpStatus::Failed,
        Some(MpStatus::Verified)
            if status == MpStatus::CertificationReview
                || (status == MpStatus::Registering && matches!(method, VerificationMethod::LegalPersonFace | VerificationMethod::ELicense)) =>
        {
            MpStatus::Verified
        }
        Some(s) => {
            return Err(ApiError::Conflict {
                code: "state_conflict",
                msg: Msg::new(
                    format!("当前状态为 {}，不能手工改为 {}（对公打款的状态跟随付款申请）", status.as_str(), s.as_str()),
                    format!("status {} cannot be set by hand from {}; the transfer path follows its request", s.as_str(), status.as_str()),
                ),
                current: Some(serde_json::json!({"id": current.id, "status": current.status, "version": current.version})),
            });
        }
    };
    let (id_number, phone) = clear_pii(&state, &current);
    let keep_masked = |new: Option<String>, old: &str| match new {
        Some(v) if v.contains('*') => Some(old.to_owned()),
        Some(v) => Some(v),
        None => Some(old.to_owned()),
    };
    let merged = MiniProgramInput {
        name: patch.name.or(Some(current.name.clone())),
        appid: patch.appid.or(current.appid.clone()),
        registration_email: patch.registration_email.or(Some(current.registration_email.clone())),
        entity_name: patch.entity_name.or(Some(current.entity_name.clone())),
        entity_credit_code: patch.entity_credit_code.or(current.entity_credit_code.clone()),
        entity_type: patch.entity_type.or(EntityType::parse(&current.entity_type)),
        entity_subtype: patch.entity_subtype.or(current.entity_subtype.clone()),
        verification_method: patch.verification_method.or(Some(method)),
        admin_name: patch.admin_name.or(Some(current.admin_name.clone())),
        admin_id_number: keep_masked(patch.admin_id_number, &id_number),
        admin_phone: keep_masked(patch.admin_phone, &phone),
        status: None,
        version: None,
    };
    let v = validate(&merged)?;
    let now = state.clock.now();
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let warnings = check_limits(&tx, &state, &v, Some(id)).await?;
    use mini_program::Column as C;
    let updated = mini_program::Entity::update_many()
        .col_expr(C::Name, Expr::value(v.name.clone()))
        .col_expr(C::Appid, Expr::value(v.appid.clone()))
        .col_expr(C::RegistrationEmail, Expr::value(v.email.clone()))
        .col_expr(C::EmailNormalized, Expr::value(v.email_normalized.clone()))
        .col_expr(C::EntityName, Expr::value(v.entity_name.clone()))
        .col_expr(C::EntityCreditCode, Expr::value(v.credit_code.clone()))
        .col_expr(C::EntityType, Expr::value(v.entity_type.as_str()))
        .col_expr(C::EntitySubtype, Expr::value(v.subtype.clone()))
        .col_expr(C::VerificationMethod, Expr::value(v.method.as_str()))
        .col_expr(C::AdminName, Expr::value(v.admin_name.clone()))
        .col_expr(C::AdminIdNumberEnc, Expr::value(state.pii.encrypt(&v.id_number)))
        .col_expr(C::AdminIdIndex, Expr::value(state.pii.index(&v.id_number)))
        .col_expr(C::AdminPhoneEnc, Expr::value(state.pii.encrypt(&v.phone)))
        .col_expr(C::AdminPhoneIndex, Expr::value(state.pii.index(&v.phone)))
        .col_expr(C::Status, Expr::value(next_status.as_str()))
        .col_expr(C::Version, Expr::value(current.version + 1))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Version.eq(current.version))
        .exec(&tx)
        .await
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                ApiError::Conflict { code: "email_taken", msg: Msg::new("该注册邮箱已被使用", "this registration e-mail is already used"), current: None }
            } else {
                e.into()
            }
        })?;
    if updated.rows_affected != 1 {
        drop(tx);
        return Err(conflict(&find_visible(&state, &me, id).await?));
    }
    let after = mini_program::Entity::find_by_id(id).one(&tx).await?.ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "mini_program_update".into(),
                before: Some(mp_summary(&current)),
                after: Some(mp_summary(&after)),
                ..Default::default()
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Json(view(&state, &me, after, warnings).await?))
}

/// Tick a checklist item with its document (multipart `file`: pdf, png, jpg or xlsx).
#[utoipa::path(post, path = "/mini-programs/{id}/materials/{item}", tag = "mini-programs", security(("bearer" = [])),
    params(("id" = i32, Path), ("item" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 200, body = MiniProgramView), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 413, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn upload_material(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, item)): Path<(i32, String)>,
    body: axum::extract::Request,
) -> ApiResult<Json<MiniProgramView>> {
    let m = find_visible(&state, &me, id).await?;
    if !may_edit(&me, &m) {
        return Err(ApiError::forbidden());
    }
    let multipart = crate::upload::multipart_of(body, &state).await?;
    let entity_type = EntityType::parse(&m.entity_type).unwrap_or(EntityType::Enterprise);
    if !required_materials(entity_type, m.entity_subtype.as_deref()).iter().any(|mat| mat.key == item) {
        return Err(ApiError::NotFound(Msg::new(format!("此主体类型的材料清单中没有 {item}"), format!("{item} is not on this entity type's checklist"))));
    }
    let file = crate::upload::read_upload(&state, multipart).await?;
    let now = state.clock.now();
    let stored = crate::upload::store_file(&state, &file.data).await?;
    let saved = async {
        let (tx, mut cursor) = audit::begin(&state.db).await?;
        let old = mini_program_material::Entity::find()
            .filter(mini_program_material::Column::MiniProgramId.eq(id))
            .filter(mini_program_material::Column::Item.eq(item.clone()))
            .one(&tx)
            .await?;
        if let Some(o) = &old {
            mini_program_material::Entity::delete_by_id(o.id).exec(&tx).await?;
        }
        mini_program_material::ActiveModel {
            mini_program_id: Set(id),
            item: Set(item.clone()),
            filename: Set(file.filename.clone()),
            content_type: Set(file.content_type.to_owned()),
            size_bytes: Set(file.data.len() as i64),
            sha256: Set(hex::encode(Sha256::digest(&file.data))),
            storage_key: Set(stored.clone()),
            uploaded_by: Set(me.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        cursor
            .append(
                &tx,
                NewEvent {
                    actor_id: Some(me.id),
                    actor_name: me.display_name.clone(),
                    action: "mini_program_material".into(),
                    after: Some(serde_json::json!({"mini_program_id": id, "item": item, "filename": file.filename})),
                    ..Default::default()
                },
                now,
            )
            .await?;
        tx.commit().await?;
        Ok::<_, sea_orm::DbErr>(old)
    }
    .await;
    match saved {
        Ok(old) => {
            if let Some(o) = old {
                let _ = tokio::fs::remove_file(state.config.attachments_dir().join(o.storage_key)).await;
            }
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(state.config.attachments_dir().join(&stored)).await;
            return Err(e.into());
        }
    }
    let m = find_visible(&state, &me, id).await?;
    Ok(Json(view(&state, &me, m, Vec::new()).await?))
}

/// Download a checklist document.
#[utoipa::path(get, path = "/mini-programs/{id}/materials/{item}/file", tag = "mini-programs", security(("bearer" = [])),
    params(("id" = i32, Path), ("item" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::error::ProblemBody)))]
async fn download_material(State(state): State<AppState>, me: AuthUser, Path((id, item)): Path<(i32, String)>) -> ApiResult<Response> {
    find_visible(&state, &me, id).await?;
    let f = mini_program_material::Entity::find()
        .filter(mini_program_material::Column::MiniProgramId.eq(id))
        .filter(mini_program_material::Column::Item.eq(item))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("材料", "material"))?;
    let data = tokio::fs::read(state.config.attachments_dir().join(&f.storage_key)).await.map_err(|_| ApiError::not_found("材料文件", "material file"))?;
    Ok(crate::upload::file_response(data, &f.content_type, &f.filename))
}
