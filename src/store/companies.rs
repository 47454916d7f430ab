//! The group's companies, their corporate accounts and finance users: the writes, the
//! uniqueness of names and credit codes, and their audit events.
use crate::auth::AuthUser;
use crate::domain::audit::AuditAction;
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use entity::{company, company_account, company_finance_user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};

/// One account of the list an admin sends, already validated.
#[derive(Debug, Clone)]
pub struct AccountFields {
    /// An existing account of this company (kept or edited); `None` for a new one.
    pub id: Option<i32>,
    pub bank: String,
    pub account: String,
    pub is_default: bool,
}

/// A company's fields as validated at the edge; `None` leaves a field as it is (on create,
/// the edge requires the name, credit code and accounts).
#[derive(Debug, Clone, Default)]
pub struct CompanyFields {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    /// The full list: accounts left out are retired (requests that name them keep them).
    pub accounts: Option<Vec<AccountFields>>,
    pub finance_user_ids: Option<Vec<i32>>,
}

pub async fn find(db: &DatabaseConnection, id: i32) -> ApiResult<company::Model> {
    company::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::not_found("公司", "company"))
}

/// The 409 for an edit based on a version other than `current`'s.
pub fn version_conflict(current: &company::Model) -> ApiError {
    ApiError::Conflict {
        code: ConflictCode::VersionConflict,
        msg: Msg::new(
            format!("公司资料已被他人修改（当前版本 {}），请刷新后重试", current.version),
            format!("changed meanwhile (now version {}); reload", current.version),
        ),
        current: Some(serde_json::json!({"id": current.id, "version": current.version})),
    }
}

/// Adds a company with its accounts and finance users.
pub async fn create(ctx: Ctx<'_>, me: &AuthUser, fields: &CompanyFields) -> ApiResult<company::Model> {
    let name = fields.name.clone().unwrap_or_default();
    name_taken(ctx.db, &name, None).await?;
    code_taken(ctx.db, fields.credit_code.as_deref().unwrap_or_default(), None).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let c = company::ActiveModel {
        name: Set(name),
        credit_code: Set(fields.credit_code.clone().unwrap_or_default()),
        version: Set(1),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_to_conflict)?;
    write_parts(&tx, c.id, fields).await?;
    cursor.append(&tx, event(me, AuditAction::CompanyCreate, &c, fields), ctx.now).await?;
    tx.commit().await?;
    Ok(c)
}

/// Changes `current` (the caller has checked the version they saw against it) if nobody
/// changed it meanwhile.
pub async fn update(ctx: Ctx<'_>, me: &AuthUser, current: &company::Model, fields: &CompanyFields) -> ApiResult<company::Model> {
    let id = current.id;
    if let Some(n) = &fields.name {
        name_taken(ctx.db, n, Some(id)).await?;
    }
    if let Some(c) = &fields.credit_code {
        code_taken(ctx.db, c, Some(id)).await?;
    }
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let mut update = company::Entity::update_many()
        .col_expr(company::Column::Version, Expr::value(current.version + 1))
        .col_expr(company::Column::UpdatedAt, Expr::value(ctx.now))
        .filter(company::Column::Id.eq(id))
        .filter(company::Column::Version.eq(current.version));
    if let Some(n) = &fields.name {
        update = update.col_expr(company::Column::Name, Expr::value(n.clone()));
    }
    if let Some(c) = &fields.credit_code {
        update = update.col_expr(company::Column::CreditCode, Expr::value(c.clone()));
    }
    if update.exec(&tx).await.map_err(unique_to_conflict)?.rows_affected != 1 {
        drop(tx);
        drop(cursor);
        return Err(version_conflict(&find(ctx.db, id).await?));
    }
    write_parts(&tx, id, fields).await?;
    let updated = company::Entity::find_by_id(id).one(&tx).await?.ok_or_else(|| ApiError::not_found("公司", "company"))?;
    cursor.append(&tx, event(me, AuditAction::CompanyUpdate, &updated, fields), ctx.now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// One legal entity is one company: its credit code is not used by another.
async fn code_taken(db: &DatabaseConnection, code: &str, except: Option<i32>) -> ApiResult<()> {
    let mut q = company::Entity::find().filter(company::Column::CreditCode.eq(code));
    if let Some(id) = except {
        q = q.filter(company::Column::Id.ne(id));
    }
    if let Some(other) = q.one(db).await? {
        return Err(ApiError::Conflict {
            code: ConflictCode::CreditCodeTaken,
            msg: Msg::new(format!("该统一社会信用代码已属于「{}」", other.name), format!("this credit code belongs to \"{}\"", other.name)),
            current: Some(serde_json::json!({"id": other.id})),
        });
    }
    Ok(())
}

async fn name_taken(db: &DatabaseConnection, name: &str, except: Option<i32>) -> ApiResult<()> {
    let mut q = company::Entity::find().filter(company::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(company::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(name_conflict());
    }
    Ok(())
}

fn name_conflict() -> ApiError {
    ApiError::Conflict {
        code: ConflictCode::NameTaken, msg: Msg::new("公司名称已存在", "a company with this name exists"), current: None
    }
}

/// A name taken between the check and the write.
fn unique_to_conflict(e: sea_orm::DbErr) -> ApiError {
    if crate::store::is_unique_violation(&e) { name_conflict() } else { e.into() }
}

/// Writes the account list (retiring what is left out) and the finance users.
async fn write_parts(tx: &DatabaseTransaction, company_id: i32, fields: &CompanyFields) -> ApiResult<()> {
    if let Some(accounts) = &fields.accounts {
        let existing = company_account::Entity::find().filter(company_account::Column::CompanyId.eq(company_id)).all(tx).await?;
        for (i, a) in accounts.iter().enumerate() {
            if let Some(id) = a.id
                && !existing.iter().any(|e| e.id == id && !e.retired)
            {
                return Err(ApiError::field(&format!("accounts[{i}].id"), "此账户不属于该公司", "no such account of this company"));
            }
        }
        for e in &existing {
            if !e.retired && !accounts.iter().any(|a| a.id == Some(e.id)) {
                let mut am = e.clone().into_active_model();
                am.retired = Set(true);
                am.is_default = Set(false);
                am.update(tx).await?;
            }
        }
        for a in accounts {
            match a.id.and_then(|id| existing.iter().find(|e| e.id == id)) {
                Some(e) => {
                    let mut am = e.clone().into_active_model();
                    am.bank = Set(a.bank.clone());
                    am.account = Set(a.account.clone());
                    am.is_default = Set(a.is_default);
                    am.update(tx).await?;
                }
                None => {
                    company_account::ActiveModel {
                        company_id: Set(company_id),
                        bank: Set(a.bank.clone()),
                        account: Set(a.account.clone()),
                        is_default: Set(a.is_default),
                        retired: Set(false),
                        ..Default::default()
                    }
                    .insert(tx)
                    .await?;
                }
            }
        }
    }
    if let Some(ids) = &fields.finance_user_ids {
        company_finance_user::Entity::delete_many().filter(company_finance_user::Column::CompanyId.eq(company_id)).exec(tx).await?;
        for id in ids {
            company_finance_user::ActiveModel { company_id: Set(company_id), user_id: Set(*id) }.insert(tx).await?;
        }
    }
    Ok(())
}

fn event(me: &AuthUser, action: AuditAction, c: &company::Model, fields: &CompanyFields) -> NewEvent {
    NewEvent {
        after: Some(serde_json::json!({
            "company_id": c.id, "name": c.name, "credit_code": c.credit_code, "version": c.version,
            "accounts": fields.accounts.as_ref().map(|list| {
                list.iter()
                    .map(|a| serde_json::json!({"id": a.id, "bank": a.bank, "account": a.account, "is_default": a.is_default}))
                    .collect::<Vec<_>>()
            }),
            "finance_user_ids": fields.finance_user_ids,
        })),
        ..NewEvent::by(me, action)
    }
}
