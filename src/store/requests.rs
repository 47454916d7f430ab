//! The request aggregate: loading with visibility, numbering, and conditional transitions.
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::{ApiError, Msg};
use entity::{department, request, request_person, user};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

/// The requests a user may see (DESIGN §1.3): their own; once submitted, those they must
/// approve or have approved, their reports' (by `manager_id`) and their department's when
/// they head it.
/// Finance, admin and auditor see all. Used for lists and for every `{id}` lookup, so a
/// request one may not see is indistinguishable from one that does not exist.
pub fn visible_to(me: &AuthUser) -> Condition {
    if me.roles.sees_all_requests() {
        return Condition::all();
    }
    // A draft that was never submitted is its requester's alone (DESIGN §1.3).
    let others = Condition::any()
        .add(request::Column::ManagerApproverId.eq(me.id))
        .add(request::Column::ManagerApprovedBy.eq(me.id))
        .add(request::Column::RequesterId.in_subquery(
            Query::select().column(user::Column::Id).from(user::Entity).and_where(user::Column::ManagerId.eq(me.id)).to_owned(),
        ))
        .add(
            request::Column::DepartmentId.in_subquery(
                Query::select()
                    .column(department::Column::Id)
                    .from(department::Entity)
                    .and_where(department::Column::HeadId.eq(me.id))
                    .to_owned(),
            ),
        )
        // Approvers anywhere in the chain, people who acted, people copied in.
        .add(
            request::Column::Id.in_subquery(
                Query::select()
                    .column(request_person::Column::RequestId)
                    .from(request_person::Entity)
                    .and_where(request_person::Column::UserId.eq(me.id))
                    .to_owned(),
            ),
        )
        // A delegate sees what waits on the approvers who named them, while the delegation runs.
        .add(waiting_on_my_delegators(me));
    Condition::any().add(request::Column::RequesterId.eq(me.id)).add(Condition::all().add(request::Column::Round.gt(0)).add(others))
}

/// Requests whose current step has an open place for someone who delegated it to `me`
/// (in force today, for the request's kind).
pub fn waiting_on_my_delegators(me: &AuthUser) -> sea_orm::sea_query::SimpleExpr {
    // Inlined rather than bound: sea-query's custom-expression placeholders differ by
    // backend, and both values are typed (an integer and a `YYYY-MM-DD` date), so nothing
    // from a client reaches the SQL text.
    let (id, today) = (me.id, me.today.format("%Y-%m-%d"));
    Expr::cust(format!(
        "requests.id IN (SELECT rp.request_id FROM request_people rp \
         JOIN delegations d ON d.approver_id = rp.user_id JOIN requests r2 ON r2.id = rp.request_id \
         WHERE rp.relation = 'current' AND d.delegate_id = {id} AND d.revoked_at IS NULL \
         AND d.starts_on <= '{today}' AND d.ends_on >= '{today}' \
         AND (d.kinds IS NULL OR d.kinds LIKE '%,' || r2.kind || ',%'))"
    ))
}

/// Requests where `me` has the given relation (`current`, `chain`, `acted`, `cc`).
pub fn related(me: &AuthUser, relation: crate::store::chain::Relation) -> Condition {
    Condition::all().add(
        request::Column::Id.in_subquery(
            Query::select()
                .column(request_person::Column::RequestId)
                .from(request_person::Entity)
                .and_where(request_person::Column::UserId.eq(me.id))
                .and_where(request_person::Column::Relation.eq(relation.as_str()))
                .to_owned(),
        ),
    )
}

/// Requests `me` does not stand in `relation` to: a correlated NOT EXISTS, a primary-key probe
/// per candidate row, where `NOT IN` would first gather every request `me` ever acted on.
/// `LIMIT 1 OFFSET 0` keeps PostgreSQL from turning it into that very hash, which it may do
/// inside an `OR` (a finance user's to-do count hashed all 40,000 requests they had acted on:
/// 26 ms instead of 3); an offset stops that, and SQLite accepts one only after a limit.
/// (The id is an integer, inlined rather than bound, as in `waiting_on_my_delegators`.)
pub fn not_related(me: &AuthUser, relation: crate::store::chain::Relation) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(format!(
        "NOT EXISTS (SELECT 1 FROM request_people rp WHERE rp.request_id = requests.id AND rp.user_id = {} AND rp.relation = '{}' LIMIT 1 OFFSET 0)",
        me.id,
        relation.as_str()
    ))
}

/// Requests with nobody named in the current step (a finance sign-off open to all).
pub fn open_step() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust("NOT EXISTS (SELECT 1 FROM request_people rp WHERE rp.request_id = requests.id AND rp.relation = 'current')")
}

pub async fn find_visible(db: &DatabaseConnection, me: &AuthUser, id: i32) -> Result<request::Model, ApiError> {
    request::Entity::find_by_id(id).filter(visible_to(me)).one(db).await?.ok_or_else(|| ApiError::not_found("申请", "request"))
}

pub fn status_of(m: &request::Model) -> Status {
    // The column only ever holds values written from `Status`; draft is the safe reading otherwise.
    Status::parse(&m.status).unwrap_or(Status::Draft)
}

/// What a client needs to recover from a conflict: reload at this status and version.
pub fn current_state(m: &request::Model) -> serde_json::Value {
    serde_json::json!({ "id": m.id, "status": m.status, "version": m.version })
}

pub fn version_conflict(m: &request::Model) -> ApiError {
    ApiError::Conflict {
        code: crate::error::ConflictCode::VersionConflict,
        msg: Msg::new(
            format!("申请已被他人修改（当前版本 {}，状态 {}），请刷新后重试", m.version, status_of(m).label_zh()),
            format!("the request was changed by someone else (now version {}, status {}); reload and retry", m.version, m.status),
        ),
        current: Some(current_state(m)),
    }
}

pub fn state_conflict(m: &request::Model, action: &str) -> ApiError {
    ApiError::Conflict {
        code: crate::error::ConflictCode::StateConflict,
        msg: Msg::new(
            format!("申请当前状态为「{}」，不能{}", status_of(m).label_zh(), action_zh(action)),
            format!("the request is {}; {action} is not possible now", m.status),
        ),
        current: Some(current_state(m)),
    }
}

/// An action's name as people say it: the audit vocabulary's one label.
fn action_zh(action: &str) -> &str {
    crate::domain::audit::AuditAction::parse(action).map_or(action, |a| a.label_zh())
}

/// After a conditional update matched nothing: reload the request and say what changed —
/// its version (someone else acted) or, at the same version, its state.
pub async fn conflict_after_race(db: &DatabaseConnection, current: &request::Model, action: &str) -> Result<ApiError, ApiError> {
    let fresh = request::Entity::find_by_id(current.id).one(db).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    Ok(if fresh.version != current.version { version_conflict(&fresh) } else { state_conflict(&fresh, action) })
}

/// The next `YF{YYYYMM}-{NNNN}` number. Runs inside the caller's transaction: a single
/// upsert that both creates the month's counter and increments it, so concurrent submitters
/// are serialised by the database and a rolled-back submit gives its number back (no gaps).
pub async fn next_number(tx: &DatabaseTransaction, month: &str) -> Result<String, DbErr> {
    let backend = tx.get_database_backend();
    let row = tx
        .query_one_raw(crate::db::stmt(
            backend,
            "INSERT INTO request_seq (month, last_seq) VALUES ($1, 1) \
             ON CONFLICT (month) DO UPDATE SET last_seq = request_seq.last_seq + 1 RETURNING last_seq",
            vec![month.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("request_seq".into()))?;
    let seq: i32 = row.try_get("", "last_seq")?;
    Ok(format!("YF{month}-{seq:04}"))
}

/// Finance users who could sign off or pay, for routing notices.
pub fn is_finance(u: &user::Model) -> bool {
    crate::domain::roles::RoleSet::from_db(&u.roles).has(Role::Finance)
}

/// Applies `changes` only if the request is still at `version` and `status`, and bumps the
/// version. `false` means someone else got there first.
pub async fn conditional_update(
    tx: &DatabaseTransaction,
    current: &request::Model,
    changes: Vec<(request::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<bool, DbErr> {
    let mut update = request::Entity::update_many()
        .col_expr(request::Column::Version, Expr::value(current.version + 1))
        .filter(request::Column::Id.eq(current.id))
        .filter(request::Column::Version.eq(current.version))
        .filter(request::Column::Status.eq(current.status.clone()));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    Ok(update.exec(tx).await?.rows_affected == 1)
}
