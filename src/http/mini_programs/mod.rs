//! The mini-program registry (DESIGN §2.3): how each mini-program's entity is verified,
//! Tencent's limits (5 mini-programs per admin ID number and per phone, one e-mail each,
//! no corporate transfer for individuals), and the certification materials checklist. The
//! rules live in `domain::mini_program`; one file here per group of operations.
mod input;
mod list;
mod materials;
mod record;

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::entity_type::{EntityType, required_materials};
use crate::domain::ids::{mask_id_number, mask_phone};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::store::mini_programs::MpStatus;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{mini_program, mini_program_material, request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::domain::mini_program::{MAX_PER_ADMIN, VerificationMethod};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list::list_mini_programs, record::create_mini_program))
        .routes(routes!(record::get_mini_program, record::update_mini_program))
        .routes(routes!(materials::upload_material))
        .routes(routes!(materials::download_material))
        .layer(DefaultBodyLimit::max(crate::upload::TRANSPORT_CAP))
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
    /// On edit only, finance only: a manual outcome (`failed`; `verified` after the certification
    /// review or a face / e-licence verification). A transfer is verified by its refund alone.
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

/// Decrypted PII of a record (for finance/admin views and for request snapshots).
pub fn clear_pii(state: &AppState, m: &mini_program::Model) -> (String, String) {
    (state.pii.decrypt(&m.admin_id_number_enc).unwrap_or_default(), state.pii.decrypt(&m.admin_phone_enc).unwrap_or_default())
}

pub(super) async fn view(state: &AppState, me: &AuthUser, m: mini_program::Model, mut warnings: Vec<String>) -> ApiResult<MiniProgramView> {
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
    let m =
        mini_program::Entity::find_by_id(id).filter(mini_program::Column::CreatedBy.eq(me.id)).one(&state.db).await?.ok_or_else(|| {
            ApiError::field(
                "mini_program_id",
                "没有这个小程序登记，或不是您登记的",
                "no such mini-program record, or not registered by you",
            )
        })?;
    let (id_number, phone) = clear_pii(state, &m);
    let snap = snapshot(&m, &id_number, &phone);
    Ok((m, snap))
}

pub(super) fn may_edit(me: &AuthUser, m: &mini_program::Model) -> bool {
    m.created_by == me.id || me.has(Role::Finance) || me.has(Role::Admin)
}
