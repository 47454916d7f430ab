//! Approval rules (DESIGN §2.4): extra steps by kind, company and amount, applied after the
//! manager step. Rules are read at submit and copied into the request's chain, so changing
//! them never alters a request in flight.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::Admin;
use crate::domain::money::MAX_AMOUNT_FEN;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::store::approval_rules;
use crate::store::chain::{ApprovalRules, load_rules};
use axum::extract::State;
use entity::{company, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_rules, put_rules))
}

/// The approval rules in force (admin). Until an admin saves rules, the shipped default
/// applies: an advance payment of 50,000 元 or more also goes to the 分管领导.
#[utoipa::path(get, path = "/approval-rules", tag = "approval-rules", security(("bearer" = [])),
    responses((status = 200, body = ApprovalRules), (status = 401, body = crate::error::ProblemBody), (status = 403, body = crate::error::ProblemBody)))]
async fn get_rules(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<ApprovalRules>> {
    Ok(Json(load_rules(&state.db).await?))
}

/// Replace the approval rules (admin). Requests already submitted keep their chain.
#[utoipa::path(put, path = "/approval-rules", tag = "approval-rules", security(("bearer" = [])), request_body = ApprovalRules,
    responses((status = 200, body = ApprovalRules), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn put_rules(State(state): State<AppState>, Admin(me): Admin, Json(mut body): Json<ApprovalRules>) -> ApiResult<Json<ApprovalRules>> {
    if body.rules.len() > 20 {
        return Err(ApiError::field("rules", "最多 20 条规则", "at most 20 rules"));
    }
    for (i, r) in body.rules.iter().enumerate() {
        if r.approver_ids.len() > 20 || r.company_ids.as_ref().is_some_and(|c| c.len() > 100) {
            return Err(ApiError::field(
                &format!("rules[{i}]"),
                "每条规则最多 20 名审批人、100 家公司",
                "a rule names at most 20 approvers and 100 companies",
            ));
        }
    }
    let mut errors = Vec::new();
    for (i, r) in body.rules.iter_mut().enumerate() {
        let at = |f: &str| format!("rules[{i}].{f}");
        r.name = r.name.trim().to_owned();
        if r.name.is_empty() || r.name.chars().count() > 50 {
            errors.push(FieldError::new(at("name"), "步骤名称须为 1–50 个字符", "name must be 1–50 characters"));
        }
        if r.kinds.as_ref().is_some_and(Vec::is_empty) {
            errors.push(FieldError::new(
                at("kinds"),
                "类型列表不能为空（不限类型请省略）",
                "kinds may not be empty (omit it for every kind)",
            ));
        }
        if let Some(min) = r.min_amount_fen
            && !(0..=MAX_AMOUNT_FEN).contains(&min)
        {
            errors.push(FieldError::new(at("min_amount_fen"), "金额下限须在 0 到 10 亿元之间", "min_amount_fen must be 0–100,000,000,000"));
        }
        if let Some(ids) = &r.company_ids {
            if ids.is_empty() {
                errors.push(FieldError::new(
                    at("company_ids"),
                    "公司列表不能为空（不限公司请省略）",
                    "company_ids may not be empty (omit it for every company)",
                ));
            }
            let found = company::Entity::find().filter(company::Column::Id.is_in(ids.clone())).all(&state.db).await?;
            if let Some(missing) = ids.iter().find(|id| !found.iter().any(|c| c.id == **id)) {
                errors.push(FieldError::new(
                    at("company_ids"),
                    format!("公司 {missing} 不存在"),
                    format!("company {missing} does not exist"),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        r.approver_ids.retain(|id| seen.insert(*id));
        let found = user::Entity::find().filter(user::Column::Id.is_in(r.approver_ids.clone())).all(&state.db).await?;
        for id in &r.approver_ids {
            match found.iter().find(|u| u.id == *id) {
                Some(u) if !u.disabled => {}
                _ => errors.push(FieldError::new(
                    at("approver_ids"),
                    format!("审批人 {id} 不存在或已停用"),
                    format!("user {id} does not exist or is disabled"),
                )),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    approval_rules::save(state.ctx(), &me, &body).await?;
    Ok(Json(body))
}
