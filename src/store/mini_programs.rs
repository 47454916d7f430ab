//! The mini-program registry's records: registering and editing one under Tencent's limits,
//! and its certification materials, each with its audit event.
//!
//! The registry record follows its linked request: paid → awaiting refund → verified for the
//! transfer path; paid certification fee → review with a 1–5 working-day deadline; an
//! expired request fails the registration. Runs inside the request's own transaction.
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::entity_type::EntityType;
use crate::domain::mini_program::{AdminSlots, MAX_PER_ADMIN, VerificationMethod, admin_slots, email_free, follow};
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult, ConflictCode, FieldError, Msg};
use crate::pii::PiiCipher;
use crate::store::apply::Ctx;
use crate::store::attachments::StoredFile;
use crate::store::audit::{self, AuditAction, AuditCursor, NewEvent};
use chrono::{DateTime, Utc};
use entity::{mini_program, mini_program_material, request};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};

pub use crate::domain::mini_program::MpStatus;

/// A complete, valid record.
pub struct RecordFields {
    pub name: String,
    pub appid: Option<String>,
    pub email: String,
    pub email_normalized: String,
    pub entity_name: String,
    pub credit_code: Option<String>,
    pub entity_type: EntityType,
    pub subtype: Option<String>,
    pub method: VerificationMethod,
    pub admin_name: String,
    pub id_number: String,
    pub phone: String,
}

/// Requesters see the records they created; finance, admin and auditors all.
pub fn visible_to(me: &AuthUser) -> Condition {
    if me.roles.sees_all_requests() { Condition::all() } else { Condition::all().add(mini_program::Column::CreatedBy.eq(me.id)) }
}

pub async fn find_visible(db: &DatabaseConnection, me: &AuthUser, id: i32) -> ApiResult<mini_program::Model> {
    mini_program::Entity::find_by_id(id)
        .filter(visible_to(me))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))
}

/// The 409 for an edit based on a version other than `current`'s.
pub fn version_conflict(current: &mini_program::Model) -> ApiError {
    ApiError::Conflict {
        code: ConflictCode::VersionConflict,
        msg: Msg::new(
            format!("登记已被他人修改（当前版本 {}），请刷新后重试", current.version),
            format!("changed by someone else (now version {}); reload", current.version),
        ),
        current: Some(serde_json::json!({"id": current.id, "status": current.status, "version": current.version})),
    }
}

/// The e-mail taken between the check and the write.
fn email_to_conflict(e: DbErr) -> ApiError {
    if crate::store::is_unique_violation(&e) {
        ApiError::Conflict {
            code: ConflictCode::EmailTaken,
            msg: Msg::new("该注册邮箱已被使用", "this registration e-mail is already used"),
            current: None,
        }
    } else {
        e.into()
    }
}

pub fn mp_summary(m: &mini_program::Model) -> serde_json::Value {
    // PII stays out of the audit log: it is immutable, so it must never hold what we may have to erase.
    serde_json::json!({"id": m.id, "name": m.name, "appid": m.appid,
        "entity_type": m.entity_type, "verification_method": m.verification_method, "status": m.status, "version": m.version})
}

/// Registers a record for `me`. With `request_copy` (the record as a request keeps it, its
/// PII sealed), a 300-元 `certification_fee` draft request is created and linked. Returns the
/// record and the warnings of Tencent's limits.
pub async fn create(
    ctx: Ctx<'_>,
    pii: &PiiCipher,
    me: &AuthUser,
    v: &RecordFields,
    request_copy: Option<serde_json::Value>,
) -> ApiResult<(mini_program::Model, Vec<String>)> {
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let warnings = check_limits(&tx, pii, v, None).await?;
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
        admin_id_number_enc: Set(pii.encrypt(&v.id_number)),
        admin_id_index: Set(pii.index(&v.id_number)),
        admin_phone_enc: Set(pii.encrypt(&v.phone)),
        admin_phone_index: Set(pii.index(&v.phone)),
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
    .map_err(email_to_conflict)?;
    cursor.append(&tx, NewEvent { after: Some(mp_summary(&m)), ..NewEvent::by(me, AuditAction::MiniProgramCreate) }, now).await?;
    if let Some(copy) = request_copy {
        certification_draft(&tx, &mut cursor, me, &m, copy, now).await?;
    }
    tx.commit().await?;
    let m = mini_program::Entity::find_by_id(m.id).one(ctx.db).await?.ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))?;
    Ok((m, warnings))
}

/// The 300-元 certification fee as a draft of the registering user: payer and payee details
/// are completed by them before submitting (the submit checks the whole form).
async fn certification_draft(
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    me: &AuthUser,
    m: &mini_program::Model,
    request_copy: serde_json::Value,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let today = china_date(now);
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
        pay_by: Set(crate::domain::deadlines::pay_by(today)),
        purpose: Set("微信认证审核费用 300 元（认证通过前小程序部分能力暂不支持；提交认证后 1–5 个工作日完成审核）".into()),
        mini_program: Set(Some(request_copy)),
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
                request_id: Some(r.id),
                comment: Some(format!("由小程序登记「{}」的微信认证自动创建", m.name)),
                after: Some(serde_json::json!({"status": r.status, "version": r.version, "kind": r.kind, "amount_fen": r.amount_fen, "mini_program_id": m.id})),
                ..NewEvent::by(me, AuditAction::Create)
            },
            now,
        )
        .await?;
    follow_request(tx, cursor, &r, (Some(me.id), &me.display_name), now).await?;
    Ok(())
}

/// Replaces `current` (the caller has checked the version they saw against it, and that `me`
/// may edit it) with `v` in `status`, if nobody changed it meanwhile. Returns the record and
/// the warnings of Tencent's limits.
pub async fn update(
    ctx: Ctx<'_>,
    pii: &PiiCipher,
    me: &AuthUser,
    current: &mini_program::Model,
    v: &RecordFields,
    status: MpStatus,
) -> ApiResult<(mini_program::Model, Vec<String>)> {
    let id = current.id;
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let warnings = check_limits(&tx, pii, v, Some(id)).await?;
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
        .col_expr(C::AdminIdNumberEnc, Expr::value(pii.encrypt(&v.id_number)))
        .col_expr(C::AdminIdIndex, Expr::value(pii.index(&v.id_number)))
        .col_expr(C::AdminPhoneEnc, Expr::value(pii.encrypt(&v.phone)))
        .col_expr(C::AdminPhoneIndex, Expr::value(pii.index(&v.phone)))
        .col_expr(C::Status, Expr::value(status.as_str()))
        .col_expr(C::Version, Expr::value(current.version + 1))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Version.eq(current.version))
        .exec(&tx)
        .await
        .map_err(email_to_conflict)?;
    if updated.rows_affected != 1 {
        drop(tx);
        drop(cursor);
        return Err(version_conflict(&find_visible(ctx.db, me, id).await?));
    }
    let after = mini_program::Entity::find_by_id(id).one(&tx).await?.ok_or_else(|| ApiError::not_found("小程序登记", "mini-program"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                before: Some(mp_summary(current)),
                after: Some(mp_summary(&after)),
                ..NewEvent::by(me, AuditAction::MiniProgramUpdate)
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok((after, warnings))
}

/// Enforces the per-person limits and the e-mail uniqueness inside the write transaction, so
/// two concurrent registrations cannot both take the 5th place. Returns warnings.
async fn check_limits(tx: &DatabaseTransaction, pii: &PiiCipher, v: &RecordFields, except: Option<i32>) -> ApiResult<Vec<String>> {
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
            code: ConflictCode::EmailTaken,
            msg: Msg::new("该注册邮箱已被另一个小程序登记使用", "this registration e-mail is already used by another mini-program"),
            current: None,
        });
    }
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for (field, label_zh, label_en, index) in [
        ("admin_id_number", "管理员身份证号", "admin ID number", pii.index(&v.id_number)),
        ("admin_phone", "管理员手机号", "admin phone", pii.index(&v.phone)),
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

/// Ticks the checklist `item` of record `mini_program_id` with `file`, uploaded by `me`.
/// Returns the document it replaces, whose file the caller removes once this is committed.
pub async fn save_material(
    ctx: Ctx<'_>,
    me: &AuthUser,
    mini_program_id: i32,
    item: &str,
    file: &StoredFile,
) -> ApiResult<Option<mini_program_material::Model>> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let old = mini_program_material::Entity::find()
        .filter(mini_program_material::Column::MiniProgramId.eq(mini_program_id))
        .filter(mini_program_material::Column::Item.eq(item))
        .one(&tx)
        .await?;
    if let Some(o) = &old {
        mini_program_material::Entity::delete_by_id(o.id).exec(&tx).await?;
    }
    mini_program_material::ActiveModel {
        mini_program_id: Set(mini_program_id),
        item: Set(item.to_owned()),
        filename: Set(file.filename.clone()),
        content_type: Set(file.content_type.clone()),
        size_bytes: Set(file.size_bytes),
        sha256: Set(file.sha256.clone()),
        storage_key: Set(file.storage_key.clone()),
        uploaded_by: Set(me.id),
        created_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    cursor
        .append(
            &tx,
            NewEvent {
                after: Some(serde_json::json!({"mini_program_id": mini_program_id, "item": item, "filename": file.filename})),
                ..NewEvent::by(me, AuditAction::MiniProgramMaterial)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(old)
}

/// Moves the request's registry record as `domain::mini_program::follow` says, with the
/// certification review's deadline and an audit event.
pub async fn follow_request(
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    req: &request::Model,
    actor: (Option<i32>, &str),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(mp_id) = req.mini_program_id else { return Ok(()) };
    let Some(mp) = mini_program::Entity::find_by_id(mp_id).one(tx).await? else { return Ok(()) };
    let current = MpStatus::parse(&mp.status).unwrap_or(MpStatus::Registering);
    let (Some(method), Some(kind), Some(status)) =
        (VerificationMethod::parse(&mp.verification_method), Kind::parse(&req.kind), Status::parse(&req.status))
    else {
        return Ok(());
    };
    let Some(next) = follow(current, method, kind, status) else { return Ok(()) };
    let mut review_due = mp.review_due;
    if next == MpStatus::CertificationReview
        && let Some(paid) = req.paid_at
    {
        let cal = crate::store::calendar::load(tx).await?;
        review_due = Some(crate::domain::deadlines::review_due(&cal, paid).value);
    }
    mini_program::Entity::update_many()
        .col_expr(mini_program::Column::Status, Expr::value(next.as_str()))
        .col_expr(mini_program::Column::ReviewDue, Expr::value(review_due))
        .col_expr(mini_program::Column::Version, Expr::value(mp.version + 1))
        .col_expr(mini_program::Column::UpdatedAt, Expr::value(now))
        .filter(mini_program::Column::Id.eq(mp.id))
        .exec(tx)
        .await?;
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: actor.0,
                actor_name: actor.1.to_owned(),
                action: crate::domain::audit::AuditAction::MiniProgramStatus,
                request_id: Some(req.id),
                before: Some(serde_json::json!({"mini_program_id": mp.id, "status": mp.status})),
                after: Some(serde_json::json!({"mini_program_id": mp.id, "status": next.as_str(), "review_due": review_due})),
                ..Default::default()
            },
            now,
        )
        .await?;
    Ok(())
}
