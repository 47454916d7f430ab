//! `GET /tasks`: the caller's to-do list.
use super::view::{self, Names, RequestView};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::ApiResult;
use crate::http::PageParams;
use crate::http::extract::{Json, Query};
use crate::store::chain::Relation;
use axum::extract::State;
use entity::request;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// One page of the to-do list, shaped like every list, with the counts per kind of task.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tasks {
    pub items: Vec<RequestView>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub counts: TaskCounts,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct TaskCounts {
    /// Waiting for the caller's manager approval.
    pub manager_approval: u64,
    /// Waiting for a finance sign-off the caller may give.
    pub finance_approval: u64,
    /// Approved and waiting for a payout the caller may record.
    pub payout: u64,
    /// Paid, refund not yet settled: to be chased or recorded by finance.
    pub refund: u64,
    /// The caller's own requests returned for changes.
    pub resubmit: u64,
}

/// The caller's to-do list: everything waiting on them now, oldest deadline first.
#[utoipa::path(get, path = "/tasks", tag = "requests", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Tasks), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn tasks(State(state): State<AppState>, me: AuthUser, Query(p): Query<PageParams>) -> ApiResult<Json<Tasks>> {
    let (page, per_page) = PageParams::resolve(p.page, p.per_page)?;
    use request::Column as C;
    let finance = me.has(Role::Finance);
    use crate::store::requests::{open_step, related, waiting_on_my_delegators};
    // A delegate never decides their own request, so it is no task of theirs.
    let mine_to_decide = Condition::any()
        .add(related(&me, Relation::Current))
        .add(Condition::all().add(waiting_on_my_delegators(&me)).add(C::RequesterId.ne(me.id)));
    let mut groups: Vec<(&str, Condition)> = vec![
        ("manager_approval", Condition::all().add(C::Status.eq(Status::PendingManager.as_str())).add(mine_to_decide.clone())),
        ("resubmit", Condition::all().add(C::Status.eq(Status::Returned.as_str())).add(C::RequesterId.eq(me.id))),
    ];
    let mut finance_approval = Condition::any().add(mine_to_decide);
    if finance {
        let not_mine = C::RequesterId.ne(me.id);
        finance_approval = finance_approval.add(
            Condition::all().add(not_mine.clone()).add(open_step()).add(related(&me, Relation::Acted).not()),
        );
        let mut payout = Condition::all().add(C::Status.eq(Status::Approved.as_str())).add(not_mine.clone());
        if state.config.four_eyes {
            // Neither the finance sign-off nor the approver it was given for may pay.
            payout = payout
                .add(Condition::any().add(C::FinanceApprovedBy.is_null()).add(C::FinanceApprovedBy.ne(me.id)))
                .add(related(&me, Relation::SignedOff).not());
        }
        groups.push(("payout", payout));
        groups.push(("refund", Condition::all().add(C::Status.eq(Status::Paid.as_str())).add(not_mine)));
    }
    groups.push(("finance_approval", Condition::all().add(C::Status.eq(Status::PendingFinance.as_str())).add(finance_approval)));
    let mut counts = TaskCounts::default();
    let mut any = Condition::any();
    for (name, cond) in &groups {
        let n = request::Entity::find().filter(cond.clone()).count(&state.db).await?;
        match *name {
            "manager_approval" => counts.manager_approval = n,
            "resubmit" => counts.resubmit = n,
            "finance_approval" => counts.finance_approval = n,
            "payout" => counts.payout = n,
            _ => counts.refund = n,
        }
        any = any.add(cond.clone());
    }
    let rows = request::Entity::find()
        .filter(any)
        .order_by_asc(C::PayBy)
        .order_by_asc(C::Id)
        .paginate(&state.db, per_page)
        .fetch_page(page - 1)
        .await?;
    let today = china_date(state.clock.now());
    let names = Names::load(&state, &me, &rows, None).await?;
    let items: Vec<RequestView> = rows.iter().map(|m| view::view(m, &me, &names, today, &state)).collect();
    let total = counts.manager_approval + counts.finance_approval + counts.payout + counts.refund + counts.resubmit;
    Ok(Json(Tasks { items, total, page, per_page, counts }))
}
