//! One record: register, read, edit, and record a manual outcome.
use super::input::validate;
use super::{MiniProgramInput, MiniProgramView, VerificationMethod, clear_pii, may_edit, view};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::entity_type::EntityType;
use crate::domain::mini_program::{ManualRefusal, manual_move};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::http::requests::form::MiniProgram;
use crate::pii::PiiCipher;
use crate::store::mini_programs::{self, MpStatus, RecordFields};
use axum::extract::State;
use axum::http::StatusCode;

/// Register a mini-program. For `certification` a 300-元 `certification_fee` draft request is
/// created and linked.
#[utoipa::path(post, path = "/mini-programs", tag = "mini-programs", security(("bearer" = [])), request_body = MiniProgramInput,
    responses((status = 201, body = MiniProgramView), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn create_mini_program(
    State(state): State<AppState>,
    me: AuthUser,
    Json(input): Json<MiniProgramInput>,
) -> ApiResult<(StatusCode, Json<MiniProgramView>)> {
    me.require(Role::Requester)?;
    if input.status.is_some() || input.version.is_some() {
        return Err(ApiError::field("status", "新登记不接受 status / version", "status and version are not accepted on create"));
    }
    let v = validate(&input)?;
    let request_copy = (v.method == VerificationMethod::Certification).then(|| request_copy(&v, &state.pii));
    let (m, warnings) = mini_programs::create(state.ctx(), &state.pii, &me, &v, request_copy).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &me, m, warnings).await?)))
}

/// The record as the certification-fee request keeps it, its PII sealed.
fn request_copy(v: &RecordFields, pii: &PiiCipher) -> serde_json::Value {
    MiniProgram {
        name: v.name.clone(),
        appid: v.appid.clone(),
        registration_email: v.email.clone(),
        entity_type: v.entity_type,
        entity_subtype: v.subtype.clone(),
        admin_name: Some(v.admin_name.clone()),
        admin_id_number: Some(v.id_number.clone()),
        admin_phone: Some(v.phone.clone()),
    }
    .seal(pii)
}

/// One record.
#[utoipa::path(get, path = "/mini-programs/{id}", tag = "mini-programs", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = MiniProgramView), (status = 404, body = crate::error::ProblemBody)))]
pub(super) async fn get_mini_program(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<MiniProgramView>> {
    let m = mini_programs::find_visible(&state.db, &me, id).await?;
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
    let current = mini_programs::find_visible(&state.db, &me, id).await?;
    if !may_edit(&me, &current) {
        return Err(ApiError::Forbidden(Msg::new("只有登记人、财务或管理员可以修改", "only the registrant, finance or admin may edit")));
    }
    let Some(version) = patch.version else {
        return Err(ApiError::field("version", "修改须带上 version", "version is required"));
    };
    if version != current.version {
        return Err(mini_programs::version_conflict(&current));
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
    let (after, warnings) = mini_programs::update(state.ctx(), &state.pii, &me, &current, &v, next_status).await?;
    Ok(Json(view(&state, &me, after, warnings).await?))
}
