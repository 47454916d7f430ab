//! The checks a change makes before the write lock: the people it names.
use crate::domain::chain::{Candidate, Chain, Ineligible, StepKind};
use crate::domain::roles::{Role, RoleSet};
use crate::error::{ApiError, ApiResult};
use entity::{company_finance_user, request, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

/// The people copied in on submit: they must exist and be active; the requester is not copied.
pub(super) async fn check_cc(db: &DatabaseConnection, m: &request::Model, ids: &[i32]) -> ApiResult<Vec<i32>> {
    let mut ids: Vec<i32> = ids.iter().copied().filter(|id| *id != m.requester_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 50 {
        return Err(ApiError::field("cc_user_ids", "最多抄送 50 人", "at most 50 people can be copied in"));
    }
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids.clone())).filter(user::Column::Disabled.eq(false)).all(db).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|u| u.id == **id)) {
        return Err(ApiError::field(
            "cc_user_ids",
            format!("抄送人 {missing} 不存在或已停用"),
            format!("user {missing} does not exist or is disabled"),
        ));
    }
    Ok(ids)
}

/// The user a hand-off names: they must exist and be eligible for the step (`domain::chain::eligible`).
pub(super) async fn hand_to(
    db: &DatabaseConnection,
    m: &request::Model,
    chain: &Chain,
    field: &str,
    user_id: i32,
) -> ApiResult<user::Model> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::field(field, format!("用户 {user_id} 不存在"), format!("user {user_id} does not exist")))?;
    let who = Candidate { id: u.id, disabled: u.disabled, roles: RoleSet::from_db(&u.roles) };
    match crate::domain::chain::eligible(&who, m.requester_id, chain, field == "to_user_id") {
        Ok(()) => Ok(u),
        Err(Ineligible::Disabled) => {
            Err(ApiError::field(field, format!("{} 已停用", u.display_name), format!("{} is disabled", u.username)))
        }
        Err(Ineligible::Requester) => {
            Err(ApiError::field(field, "不能交给申请人本人审批", "the requester may not approve their own request"))
        }
        Err(Ineligible::NoApprovingRole(Role::Finance)) => Err(ApiError::field(
            field,
            format!("{} 没有财务角色，财务审批只能交给财务人员", u.display_name),
            format!("{} does not hold the finance role; the finance sign-off can only go to finance", u.username),
        )),
        Err(Ineligible::NoApprovingRole(_)) => Err(ApiError::field(
            field,
            format!("{} 没有经理角色，不能审批此步骤", u.display_name),
            format!("{} does not hold the manager role and cannot decide this step", u.username),
        )),
        Err(Ineligible::Involved) => Err(ApiError::field(
            field,
            format!("{} 已在本轮审批中（已审批、正在等待其审批或负责后续步骤）", u.display_name),
            format!("{} already takes part in this round", u.username),
        )),
    }
}

/// A finance sign-off stays with the paying company's finance users when it names any.
pub(super) async fn check_company_finance(db: &DatabaseConnection, m: &request::Model, chain: &Chain, u: &user::Model) -> ApiResult<()> {
    let (Some(company), true) = (m.company_id, chain.current_step().is_some_and(|s| s.kind == StepKind::Finance)) else {
        return Ok(());
    };
    let named = company_finance_user::Entity::find().filter(company_finance_user::Column::CompanyId.eq(company));
    let listed = named.clone().filter(company_finance_user::Column::UserId.eq(u.id)).count(db).await? > 0;
    if !listed && named.count(db).await? > 0 {
        return Err(ApiError::field(
            "to_user_id",
            "此公司的财务审批只能由其财务人员完成",
            "this company's sign-off is limited to its finance users",
        ));
    }
    Ok(())
}
