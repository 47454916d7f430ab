//! The group's companies and their corporate accounts (DESIGN §2.4): everyone reads them to
//! fill the payer of a request; admins write them. The credit code and the accounts are
//! validated once, here, instead of on every request.
use super::extract::{Json, Path};
use crate::app::AppState;
use crate::auth::{Admin, AuthUser};
use crate::domain::ids::{AccountNumber, CreditCode};
use crate::domain::roles::{Role, RoleSet};
use crate::domain::text;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::requests::form::{RequestInput, id_field};
use crate::store::companies::{self, AccountFields, CompanyFields};
use axum::extract::State;
use axum::http::StatusCode;
use entity::{company, company_account, company_finance_user, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_companies, create_company)).routes(routes!(get_company, update_company))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i32,
    pub bank: String,
    pub account: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyView {
    pub id: i32,
    pub name: String,
    pub credit_code: String,
    pub accounts: Vec<AccountView>,
    /// When not empty, only these finance users sign off this company's requests.
    pub finance_user_ids: Vec<i32>,
    pub finance_user_names: Vec<String>,
    pub version: i32,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// An existing account of this company (to keep or edit it); absent for a new one.
    pub id: Option<i32>,
    pub bank: String,
    /// 8–32 digits; spaces are allowed and removed.
    pub account: String,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: Option<String>,
    /// 统一社会信用代码 (GB 32100-2015, checksum verified).
    pub credit_code: Option<String>,
    /// The full list: accounts left out are retired (requests that name them keep them).
    pub accounts: Option<Vec<AccountInput>>,
    pub finance_user_ids: Option<Vec<i32>>,
    /// Required on edit: the version the change is based on.
    pub version: Option<i32>,
}

async fn views(state: &AppState, companies: Vec<company::Model>) -> ApiResult<Vec<CompanyView>> {
    let ids: Vec<i32> = companies.iter().map(|c| c.id).collect();
    let accounts = company_account::Entity::find()
        .filter(company_account::Column::CompanyId.is_in(ids.clone()))
        .filter(company_account::Column::Retired.eq(false))
        .order_by_asc(company_account::Column::Id)
        .all(&state.db)
        .await?;
    let finance = company_finance_user::Entity::find().filter(company_finance_user::Column::CompanyId.is_in(ids)).all(&state.db).await?;
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(finance.iter().map(|f| f.user_id).collect::<Vec<_>>()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(companies
        .into_iter()
        .map(|c| {
            let finance_user_ids: Vec<i32> = finance.iter().filter(|f| f.company_id == c.id).map(|f| f.user_id).collect();
            CompanyView {
                accounts: accounts
                    .iter()
                    .filter(|a| a.company_id == c.id)
                    .map(|a| AccountView { id: a.id, bank: a.bank.clone(), account: a.account.clone(), is_default: a.is_default })
                    .collect(),
                finance_user_names: finance_user_ids.iter().map(|id| names.get(id).cloned().unwrap_or_default()).collect(),
                finance_user_ids,
                id: c.id,
                name: c.name,
                credit_code: c.credit_code,
                version: c.version,
            }
        })
        .collect())
}

async fn one(state: &AppState, id: i32) -> ApiResult<CompanyView> {
    let c = companies::find(&state.db, id).await?;
    Ok(views(state, vec![c]).await?.remove(0))
}

/// The group's companies with their accounts (everyone signed in: the form picks from them).
#[utoipa::path(get, path = "/companies", tag = "companies", security(("bearer" = [])),
    responses((status = 200, body = Vec<CompanyView>), (status = 401, body = crate::error::ProblemBody)))]
async fn list_companies(State(state): State<AppState>, _me: AuthUser) -> ApiResult<Json<Vec<CompanyView>>> {
    let all = company::Entity::find().order_by_asc(company::Column::Name).all(&state.db).await?;
    Ok(Json(views(&state, all).await?))
}

/// One company.
#[utoipa::path(get, path = "/companies/{id}", tag = "companies", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = CompanyView), (status = 401, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody)))]
async fn get_company(State(state): State<AppState>, _me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<CompanyView>> {
    Ok(Json(one(&state, id).await?))
}

async fn validate(state: &AppState, input: CompanyInput, creating: bool) -> ApiResult<CompanyFields> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        None if !creating => None,
        value => text::required(value.unwrap_or(""), 200).map_err(|p| errors.push(text::labelled_field_error("name", "公司名称", p))).ok(),
    };
    let credit_code = match (&input.credit_code, creating) {
        (None, false) => None,
        (value, _) => {
            id_field(&mut errors, "credit_code", "统一社会信用代码", value.as_deref(), CreditCode::parse).map(|c| c.as_str().to_owned())
        }
    };
    let accounts = match input.accounts {
        None if creating => {
            errors.push(FieldError::new("accounts", "至少需要一个对公账户", "at least one account is required"));
            None
        }
        None => None,
        Some(list) => {
            if list.is_empty() || list.len() > 50 {
                errors.push(FieldError::new("accounts", "对公账户须为 1–50 个", "1–50 accounts are required"));
            }
            let defaults = list.iter().filter(|a| a.is_default).count();
            if defaults > 1 {
                errors.push(FieldError::new("accounts", "只能有一个默认账户", "only one account can be the default"));
            }
            let mut out: Vec<AccountFields> = Vec::new();
            for (i, a) in list.iter().enumerate() {
                let bank = text::required(&a.bank, 200).unwrap_or_else(|p| {
                    errors.push(text::labelled_field_error(&format!("accounts[{i}].bank"), "开户行", p));
                    String::new()
                });
                let account = id_field(&mut errors, &format!("accounts[{i}].account"), "账号", Some(&a.account), AccountNumber::parse);
                if let Some(acc) = account {
                    if out.iter().any(|x| x.account == acc.as_str()) {
                        errors.push(FieldError::new(format!("accounts[{i}].account"), "账号重复", "duplicate account"));
                    }
                    out.push(AccountFields {
                        id: a.id,
                        bank: bank.to_owned(),
                        account: acc.as_str().to_owned(),
                        is_default: a.is_default || (defaults == 0 && i == 0),
                    });
                }
            }
            Some(out)
        }
    };
    let finance_user_ids = match input.finance_user_ids {
        None => None,
        Some(_) if input.finance_user_ids.as_ref().is_some_and(|ids| ids.len() > 200) => {
            errors.push(FieldError::new("finance_user_ids", "财务人员最多 200 人", "at most 200 finance users"));
            None
        }
        Some(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            let found = user::Entity::find().filter(user::Column::Id.is_in(ids.clone())).all(&state.db).await?;
            for id in &ids {
                match found.iter().find(|u| u.id == *id) {
                    Some(u) if !u.disabled && RoleSet::from_db(&u.roles).has(Role::Finance) => {}
                    _ => errors.push(FieldError::new(
                        "finance_user_ids",
                        format!("用户 {id} 不存在、已停用或不是财务人员"),
                        format!("user {id} does not exist, is disabled or lacks the finance role"),
                    )),
                }
            }
            Some(ids)
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(CompanyFields { name, credit_code, accounts, finance_user_ids })
}

/// Add a company of the group (admin).
#[utoipa::path(post, path = "/companies", tag = "companies", security(("bearer" = [])), request_body = CompanyInput,
    responses((status = 201, body = CompanyView), (status = 403, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn create_company(
    State(state): State<AppState>,
    Admin(me): Admin,
    Json(body): Json<CompanyInput>,
) -> ApiResult<(StatusCode, Json<CompanyView>)> {
    if body.version.is_some() {
        return Err(ApiError::field("version", "新建公司不需要 version", "version is not accepted on create"));
    }
    let fields = validate(&state, body, true).await?;
    let c = companies::create(state.ctx(), &me, &fields).await?;
    Ok((StatusCode::CREATED, Json(one(&state, c.id).await?)))
}

/// Change a company, its accounts or its finance users (admin; `version` required).
#[utoipa::path(patch, path = "/companies/{id}", tag = "companies", security(("bearer" = [])), request_body = CompanyInput,
    params(("id" = i32, Path)),
    responses((status = 200, body = CompanyView), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn update_company(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i32>,
    Json(body): Json<CompanyInput>,
) -> ApiResult<Json<CompanyView>> {
    let current = companies::find(&state.db, id).await?;
    let Some(version) = body.version else {
        return Err(ApiError::field("version", "修改须带上 version", "version is required"));
    };
    if version != current.version {
        return Err(companies::version_conflict(&current));
    }
    let fields = validate(&state, body, false).await?;
    companies::update(state.ctx(), &me, &current, &fields).await?;
    Ok(Json(one(&state, id).await?))
}

/// A request naming a company takes its payer fields from it: the company's name and
/// credit code, and the chosen (or default) account.
pub async fn fill_payer(state: &AppState, input: &mut RequestInput) -> ApiResult<()> {
    let Some(company_id) = input.company_id.flatten() else {
        if input.payer_account_id.is_some() {
            return Err(ApiError::field("payer_account_id", "选择账户前请先选择付款公司", "payer_account_id needs company_id"));
        }
        return Ok(());
    };
    let Some(c) = company::Entity::find_by_id(company_id).one(&state.db).await? else {
        return Err(ApiError::field("company_id", format!("公司 {company_id} 不存在"), format!("company {company_id} does not exist")));
    };
    let accounts = company_account::Entity::find()
        .filter(company_account::Column::CompanyId.eq(company_id))
        .order_by_asc(company_account::Column::Id)
        .all(&state.db)
        .await?;
    let account = match input.payer_account_id {
        Some(aid) => accounts
            .iter()
            .find(|a| a.id == aid)
            .ok_or_else(|| ApiError::field("payer_account_id", "此账户不属于所选公司", "the account does not belong to the company"))?,
        None => accounts
            .iter()
            .filter(|a| !a.retired)
            .find(|a| a.is_default)
            .or_else(|| accounts.iter().find(|a| !a.retired))
            .ok_or_else(|| ApiError::field("payer_account_id", "所选公司没有可用的对公账户", "the company has no account"))?,
    };
    if account.retired {
        return Err(ApiError::field("payer_account_id", "此账户已停用", "this account is retired"));
    }
    input.payer_entity = Some(c.name);
    input.payer_credit_code = Some(c.credit_code);
    input.payer_bank = Some(account.bank.clone());
    input.payer_account = Some(account.account.clone());
    input.payer_account_id = Some(account.id);
    Ok(())
}
