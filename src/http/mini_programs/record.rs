//! One record: register, read, edit, and record a manual outcome.
use super::input::{Valid, check_limits, validate};
use super::{MiniProgramInput, MiniProgramView, VerificationMethod, clear_pii, find_visible, may_edit, mp_summary, snapshot, view};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::entity_type::EntityType;
use crate::domain::mini_program::{ManualRefusal, manual_move};
use crate::domain::roles::Role;
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::store::audit::{self, AuditCursor, NewEvent};
use crate::store::mini_programs::{MpStatus, follow_request};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::{mini_program, request};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

/// Register a mini-program. For `certification` a 300-元 `certification_fee` draft request is
/// created and linked.
#[utoipa::path(post, path = "/mini-programs", tag = "mini-programs", security(("bearer" = [])), request_body = MiniProgramInput,
    responses((status = 201, body = MiniProgramView), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn create_mini_program(State(state): State<AppState>, me: AuthUser, Json(input): Json<MiniProgramInput>) -> ApiResult<(StatusCode, Json<MiniProgramView>)> {
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
            ApiError::Conflict { code: crate::error::ConflictCode::EmailTaken, msg: Msg::new("该注册邮箱已被使用", "this registration e-mail is already used"), current: None }
        } else {
            e.into()
        }
    })?;
    cursor
        .append(&tx, NewEvent { actor_id: Some(me.id), actor_name: me.display_name.clone(), action: crate::domain::audit::AuditAction::MiniProgramCreate, after: Some(mp_summary(&m)), ..Default::default() }, now)
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
        pay_by: Set(crate::domain::deadlines::pay_by(today)),
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
                action: crate::domain::audit::AuditAction::Create,
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


/// One record.
#[utoipa::path(get, path = "/mini-programs/{id}", tag = "mini-programs", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = MiniProgramView), (status = 404, body = crate::error::ProblemBody)))]
pub(super) async fn get_mini_program(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<MiniProgramView>> {
    let m = find_visible(&state, &me, id).await?;
    Ok(Json(view(&state, &me, m, Vec::new()).await?))
}

/// Edit a record (`version` required), or record a manual outcome with `status` (finance).
///
/// The outcome is `failed`, or `verified` once Tencent's review (certification, face scan,
/// e-licence) passed; a transfer is verified by its refund alone, never by hand.
#[utoipa::path(patch, path = "/mini-programs/{id}", tag = "mini-programs", security(("bearer" = [])), params(("id" = i32, Path)),
    request_body = MiniProgramInput,
    responses((status = 200, body = MiniProgramView), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn update_mini_program(
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
        code: crate::error::ConflictCode::VersionConflict,
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
        Some(to) => manual_move(status, to, method, me.has(Role::Finance)).map_err(|refusal| match refusal {
            ManualRefusal::NotFinance => ApiError::Forbidden(Msg::new(refusal.zh(), refusal.en())),
            ManualRefusal::Settled => ApiError::Conflict {
                code: crate::error::ConflictCode::StateConflict,
                msg: Msg::new(refusal.zh(), refusal.en()),
                current: Some(serde_json::json!({"id": current.id, "status": current.status, "version": current.version})),
            },
            ManualRefusal::VerifiedOnlyByFollowing | ManualRefusal::FollowsRequest => ApiError::field("status", refusal.zh(), refusal.en()),
        })?,
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
                ApiError::Conflict { code: crate::error::ConflictCode::EmailTaken, msg: Msg::new("该注册邮箱已被使用", "this registration e-mail is already used"), current: None }
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
                action: crate::domain::audit::AuditAction::MiniProgramUpdate,
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

