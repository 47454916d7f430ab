//! The certification materials checklist: a document per item.
use super::{MiniProgramView, may_edit, view};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::entity_type::{EntityType, required_materials};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::store::attachments::StoredFile;
use crate::store::mini_programs;
use axum::extract::State;
use axum::response::Response;
use entity::mini_program_material;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

/// Tick a checklist item with its document (multipart `file`: pdf, png, jpg or xlsx).
#[utoipa::path(post, path = "/mini-programs/{id}/materials/{item}", tag = "mini-programs", security(("bearer" = [])),
    params(("id" = i32, Path), ("item" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 200, body = MiniProgramView), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 413, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn upload_material(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, item)): Path<(i32, String)>,
    body: axum::extract::Request,
) -> ApiResult<Json<MiniProgramView>> {
    let m = mini_programs::find_visible(&state.db, &me, id).await?;
    if !may_edit(&me, &m) {
        return Err(ApiError::forbidden());
    }
    let multipart = crate::upload::multipart_of(body, &state).await?;
    let entity_type = EntityType::parse(&m.entity_type).unwrap_or(EntityType::Enterprise);
    if !required_materials(entity_type, m.entity_subtype.as_deref()).iter().any(|mat| mat.key == item) {
        return Err(ApiError::NotFound(Msg::new(
            format!("此主体类型的材料清单中没有 {item}"),
            format!("{item} is not on this entity type's checklist"),
        )));
    }
    let file = crate::upload::read_upload(&state, multipart).await?;
    let storage_key = crate::upload::store_file(&state, &file.data).await?;
    let stored = StoredFile {
        sha256: hex::encode(Sha256::digest(&file.data)),
        size_bytes: file.data.len() as i64,
        filename: file.filename,
        content_type: file.content_type.to_owned(),
        storage_key,
    };
    match mini_programs::save_material(state.ctx(), &me, id, &item, &stored).await {
        Ok(old) => {
            if let Some(o) = old {
                state.files.delete(&state.db, &o.storage_key).await;
            }
        }
        Err(e) => {
            state.files.delete(&state.db, &stored.storage_key).await;
            return Err(e);
        }
    }
    let m = mini_programs::find_visible(&state.db, &me, id).await?;
    Ok(Json(view(&state, &me, m, Vec::new()).await?))
}

/// Download a checklist document.
#[utoipa::path(get, path = "/mini-programs/{id}/materials/{item}/file", tag = "mini-programs", security(("bearer" = [])),
    params(("id" = i32, Path), ("item" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::error::ProblemBody)))]
pub(super) async fn download_material(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, item)): Path<(i32, String)>,
) -> ApiResult<Response> {
    mini_programs::find_visible(&state.db, &me, id).await?;
    let f = mini_program_material::Entity::find()
        .filter(mini_program_material::Column::MiniProgramId.eq(id))
        .filter(mini_program_material::Column::Item.eq(item))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("材料", "material"))?;
    let data = state.files.open(&state.db, &f.storage_key).await?.ok_or_else(|| ApiError::not_found("材料文件", "material file"))?;
    Ok(crate::upload::file_response(data, &f.content_type, &f.filename))
}
