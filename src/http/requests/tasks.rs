//! `GET /tasks`: the caller's to-do list.
use super::view::{self, Names, RequestView};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::ApiResult;
use crate::http::PageParams;
use crate::http::extract::Query;
use crate::store::chain::Relation;
use axum::extract::State;
use entity::request;
use futures_util::future::try_join_all;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

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

/// One kind of task, as counted in `TaskCounts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskBucket {
    ManagerApproval,
    FinanceApproval,
    Payout,
    Refund,
    Resubmit,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TasksQuery {
    /// Only this kind of task (all kinds when absent); `total` then counts this kind.
    pub bucket: Option<TaskBucket>,
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20).
    pub per_page: Option<u64>,
}

/// The caller's to-do list: everything waiting on them now, oldest deadline first.
#[utoipa::path(get, path = "/tasks", tag = "requests", security(("bearer" = [])), params(TasksQuery),
    responses((status = 200, body = Tasks), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn tasks(
    State(state): State<AppState>,
    me: AuthUser,
    uri: axum::http::Uri,
    Query(q): Query<TasksQuery>,
) -> ApiResult<axum::response::Response> {
    // A draft is nobody's task.
    super::cached_page(&state, &me, &uri, super::Shows::NoDrafts, async |_, names, today| render(&state, &me, &q, names, today).await).await
}

/// One page of the to-do list, rendered: `names` is the display names' data version, read
/// before anything else.
async fn render(state: &AppState, me: &AuthUser, q: &TasksQuery, names: i64, today: chrono::NaiveDate) -> ApiResult<bytes::Bytes> {
    let (page, per_page) = PageParams::resolve(q.page, q.per_page)?;
    use request::Column as C;
    let finance = me.has(Role::Finance);
    use crate::store::requests::{not_related, open_step, related, waiting_on_my_delegators};
    // A delegate never decides their own request, so it is no task of theirs.
    let mine_to_decide = Condition::any()
        .add(related(me, Relation::Current))
        .add(Condition::all().add(waiting_on_my_delegators(me)).add(C::RequesterId.ne(me.id)));
    use TaskBucket as B;
    let mut groups: Vec<(TaskBucket, Condition)> = vec![
        (B::ManagerApproval, Condition::all().add(C::Status.eq(Status::PendingManager.as_str())).add(mine_to_decide.clone())),
        (B::Resubmit, Condition::all().add(C::Status.eq(Status::Returned.as_str())).add(C::RequesterId.eq(me.id))),
    ];
    let mut finance_approval = Condition::any().add(mine_to_decide);
    if finance {
        let not_mine = C::RequesterId.ne(me.id);
        finance_approval =
            finance_approval.add(Condition::all().add(not_mine.clone()).add(open_step()).add(not_related(me, Relation::Acted)));
        let mut payout = Condition::all().add(C::Status.eq(Status::Approved.as_str())).add(not_mine.clone());
        if state.config.four_eyes {
            // Neither the finance sign-off nor the approver it was given for may pay.
            payout = payout
                .add(Condition::any().add(C::FinanceApprovedBy.is_null()).add(C::FinanceApprovedBy.ne(me.id)))
                .add(not_related(me, Relation::SignedOff));
        }
        groups.push((B::Payout, payout));
        groups.push((B::Refund, Condition::all().add(C::Status.eq(Status::Paid.as_str())).add(not_mine)));
    }
    groups.push((B::FinanceApproval, Condition::all().add(C::Status.eq(Status::PendingFinance.as_str())).add(finance_approval)));
    // The buckets' counts, then their first pages, are independent queries: each set runs at
    // once on its own pooled connection, so a page rendered again after a write takes about
    // the longest of them rather than their sum.
    let counted = try_join_all(groups.iter().map(|(bucket, cond)| count_bucket(state, me, *bucket, cond))).await?;
    let mut counts = TaskCounts::default();
    // The buckets are disjoint (each is one status), so the total is their sum.
    let mut total = 0;
    let mut wanted = Vec::new();
    for ((bucket, cond), n) in groups.iter().zip(counted) {
        *match bucket {
            B::ManagerApproval => &mut counts.manager_approval,
            B::Resubmit => &mut counts.resubmit,
            B::FinanceApproval => &mut counts.finance_approval,
            B::Payout => &mut counts.payout,
            B::Refund => &mut counts.refund,
        } = n;
        if q.bucket.is_none_or(|b| b == *bucket) {
            wanted.push(cond.clone());
            total += n;
        }
    }
    // Each bucket's first `end` in deadline order, through its (status, pay_by) index, then
    // merged: one OR over every bucket would walk the whole deadline index for a caller with
    // few tasks. A bucket this caller has no part in (payouts for a non-finance user) adds nothing.
    let end = page * per_page;
    let parts = try_join_all(wanted.into_iter().map(|cond| {
        request::Entity::find()
            .select_only()
            .columns([C::PayBy, C::Id])
            .filter(cond)
            .order_by_asc(C::PayBy)
            .order_by_asc(C::Id)
            .limit(end)
            .into_tuple::<(chrono::NaiveDate, i32)>()
            .all(&state.db)
    }))
    .await?;
    let mut keys: Vec<(chrono::NaiveDate, i32)> = parts.into_iter().flatten().collect();
    keys.sort_unstable();
    let ids: Vec<i32> = keys.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).map(|(_, id)| id).collect();
    let mut rows =
        if ids.is_empty() { Vec::new() } else { request::Entity::find().filter(C::Id.is_in(ids.clone())).all(&state.db).await? };
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    let names = Names::load(state, me, &rows, Some(names)).await?;
    let items: Vec<RequestView> = rows.iter().map(|m| view::view(m, me, &names, today, state)).collect();
    super::render(&Tasks { items, total, page, per_page, counts })
}

/// How many tasks of `bucket` (selected by `cond`) wait on the caller.
async fn count_bucket(state: &AppState, me: &AuthUser, bucket: TaskBucket, cond: &Condition) -> Result<u64, sea_orm::DbErr> {
    use request::Column as C;
    match bucket {
        // Every paid request but the caller's own: the stored per-status count less theirs
        // (an index seek), not a count of a large share of all requests.
        TaskBucket::Refund => {
            let all = crate::store::list::stored_count(&state.db, Status::Paid).await?;
            let own = request::Entity::find()
                .filter(C::Status.eq(Status::Paid.as_str()))
                .filter(C::RequesterId.eq(me.id))
                .count(&state.db)
                .await?;
            Ok(all.saturating_sub(own))
        }
        _ => request::Entity::find().filter(cond.clone()).count(&state.db).await,
    }
}
