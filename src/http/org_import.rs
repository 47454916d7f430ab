//! The organisation from a spreadsheet (admin): preview or commit an org-chart file, and the
//! template to fill in.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::Admin;
use crate::domain::people::{COLUMNS, TEMPLATE_EXAMPLE};
use crate::domain::statement::{ParseError, read_rows};
use crate::error::{ApiError, ApiResult, Lang, Msg};
use crate::store::org::{self, ImportReport};
use crate::store::users::Operator;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_users)).routes(routes!(template))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRowError {
    /// The row in the file as the spreadsheet shows it (0: the file as a whole).
    pub row: u32,
    /// The column's header (用户名, 上级, …) or `file`.
    pub field: String,
    pub message: String,
}

/// What the import did (commit) or would do (preview). With any error nothing is written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserImportResult {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub disabled: u32,
    pub errors: Vec<ImportRowError>,
}

impl UserImportResult {
    pub fn from_report(r: ImportReport, lang: Lang) -> UserImportResult {
        UserImportResult {
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            disabled: r.disabled,
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportRowError { row: e.row, field: e.field, message: e.message.get(lang).to_owned() })
                .collect(),
        }
    }
}

/// The file and whether to commit.
async fn read_form(state: &AppState, body: axum::extract::Request) -> ApiResult<(String, Vec<u8>, bool)> {
    let mut multipart = crate::upload::multipart_of(body, state).await?;
    let limit = state.config.upload_limit;
    let bad = crate::upload::malformed;
    let (mut file, mut commit) = (None, false);
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("users").to_owned();
                let too_large = || {
                    ApiError::PayloadTooLarge(Msg::new(
                        format!("文件不能超过 {} MB", limit / 1024 / 1024),
                        format!("the file is limited to {} MB", limit / 1024 / 1024),
                    ))
                };
                file = Some((name, crate::upload::read_file_field(field, limit, too_large, bad).await?));
            }
            "commit" => {
                commit = match field.text().await.map_err(bad)?.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return Err(ApiError::field("commit", "commit 须为 true 或 false", "commit must be true or false")),
                }
            }
            other => return Err(ApiError::field(other, "不允许的表单字段", "unknown form field; use file and commit")),
        }
    }
    let (name, data) = file.ok_or_else(|| ApiError::field("file", "请选择组织架构文件", "a file is required"))?;
    Ok((name, data, commit))
}

/// Reads the file's rows (xlsx, xls, or csv in UTF-8 with or without BOM, or GBK).
pub async fn rows_of(filename: String, data: Vec<u8>) -> ApiResult<Vec<crate::domain::statement::Row>> {
    tokio::task::spawn_blocking(move || read_rows(&filename, &data)).await.map_err(ApiError::internal)?.map_err(|e| match e {
        ParseError::Unreadable { zh, en } => ApiError::field("file", zh, en),
        ParseError::TooManyLines(n) => ApiError::field("file", format!("文件超过 {n} 行"), format!("the file has more than {n} rows")),
        _ => ApiError::field("file", "文件不是可读取的 xlsx 或 csv", "the file is not a readable xlsx or csv"),
    })
}

/// Import the organisation (admin). Multipart: `file` (xlsx, or csv in UTF-8 or GBK) with the
/// header 用户名, 姓名, 部门, 上级, 角色 and optionally 邮箱, 手机, 状态; `commit` (`false`
/// previews, the default). Departments are created by path (`集团/财务部`), managers are
/// usernames in the file (any order) or in verifund, 角色 lists role ids or 申请人/经理/财务/
/// 管理员/审计, 状态 离职 disables (and reroutes their steps). A file with any error commits
/// nothing; importing the same file again changes nothing. New users get no usable password
/// (they sign in through SSO, or an admin sets one).
#[utoipa::path(post, path = "/users/import", tag = "users", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file`, `commit` (`true`|`false`)"),
    responses((status = 200, body = UserImportResult, description = "counts, and `errors` (each with row and column); with errors nothing was written"),
              (status = 401, body = crate::error::ProblemBody), (status = 403, body = crate::error::ProblemBody),
              (status = 413, body = crate::error::ProblemBody), (status = 415, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody, description = "no file, or not a readable xlsx/csv")))]
async fn import_users(
    State(state): State<AppState>,
    Admin(me): Admin,
    crate::http::calendar::Language(lang): crate::http::calendar::Language,
    body: axum::extract::Request,
) -> ApiResult<Json<UserImportResult>> {
    let (filename, data, commit) = read_form(&state, body).await?;
    let rows = rows_of(filename, data).await?;
    let by = Operator { id: Some(me.id), name: me.display_name.clone() };
    let report = org::import(state.ctx(), &by, Some(&me.username), &rows, commit).await?;
    Ok(Json(UserImportResult::from_report(report, lang)))
}

/// The header row and one example row, as an xlsx to fill in (admin).
#[utoipa::path(get, path = "/users/import/template", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "the template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 401, body = crate::error::ProblemBody), (status = 403, body = crate::error::ProblemBody)))]
async fn template(_admin: Admin) -> ApiResult<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("组织架构").map_err(ApiError::internal)?;
    let bold = Format::new().set_bold();
    for (c, ((header, _, _), example)) in COLUMNS.iter().zip(TEMPLATE_EXAMPLE).enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *header, &bold).map_err(ApiError::internal)?;
        // Text cells: a phone number or username must not become a number.
        ws.write_string(1, c, example).map_err(ApiError::internal)?;
        ws.set_column_width(c, 16).map_err(ApiError::internal)?;
    }
    let data = wb.save_to_buffer().map_err(ApiError::internal)?;
    Ok(crate::upload::file_response(
        data.into(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "组织架构导入模板.xlsx",
    ))
}
