//! The approval form: create, edit, list, read, delete, and the to-do list.
pub mod actions;
pub mod attachments;
pub mod form;
pub mod handoffs;
pub mod money;
pub mod print;
pub mod view;

use super::Page;
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::roles::Role;
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult, Msg};
use crate::store::audit::{self, NewEvent};
use crate::store::requests::{find_visible, state_conflict, status_of, version_conflict, visible_to};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use entity::{audit_event, request};
use form::{Form, RequestInput};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use view::{Names, RequestView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, create_request))
        .routes(routes!(get_request, update_request, delete_request))
        .routes(routes!(tasks))
        .merge(actions::router())
        .merge(handoffs::router())
        .merge(attachments::router())
        .merge(print::router())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    /// One of `payout_overdue`, `refund_overdue`, `refund_mismatch`, `duplicate_suspect`.
    pub flag: Option<String>,
    /// Matches number, title, payer, payee or mini-program.
    pub q: Option<String>,
    /// order_date on or after.
    pub from: Option<NaiveDate>,
    /// order_date on or before.
    pub to: Option<NaiveDate>,
    pub department_id: Option<i32>,
    pub requester_id: Option<i32>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    /// A column, `-` for descending: id, number, created_at, updated_at, order_date, pay_by,
    /// amount_fen, status, refund_due. Default `-id`.
    pub sort: Option<String>,
}

pub const FLAGS: [&str; 4] = ["payout_overdue", "refund_overdue", "refund_mismatch", "duplicate_suspect"];

/// The list filters as a condition, shared by the list, the to-do list and the exports.
pub fn filter_condition(q: &ListQuery, today: NaiveDate) -> ApiResult<Condition> {
    let mut cond = Condition::all();
    if let Some(s) = q.status {
        cond = cond.add(request::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = q.kind {
        cond = cond.add(request::Column::Kind.eq(k.as_str()));
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(ApiError::field("from", "开始日期不能晚于结束日期", "from must not be after to"));
    }
    if let Some(from) = q.from {
        cond = cond.add(request::Column::OrderDate.gte(from));
    }
    if let Some(to) = q.to {
        cond = cond.add(request::Column::OrderDate.lte(to));
    }
    if let Some(d) = q.department_id {
        cond = cond.add(request::Column::DepartmentId.eq(d));
    }
    if let Some(r) = q.requester_id {
        cond = cond.add(request::Column::RequesterId.eq(r));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(crate::store::contains_text(request::Column::Number, text))
                .add(crate::store::contains_text(request::Column::Title, text))
                .add(crate::store::contains_text(request::Column::PayerEntity, text))
                .add(crate::store::contains_text(request::Column::PayeeName, text))
                .add(crate::store::contains_text(request::Column::Purpose, text)),
        );
    }
    if let Some(flag) = q.flag.as_deref() {
        cond = cond.add(flag_condition(flag, today)?);
    }
    Ok(cond)
}

/// The SQL form of `view::flags`, so that filtering and display agree.
fn flag_condition(flag: &str, today: NaiveDate) -> ApiResult<Condition> {
    let pending = [Status::PendingManager, Status::PendingFinance, Status::Approved].map(|s| s.as_str());
    Ok(match flag {
        "payout_overdue" => Condition::all().add(request::Column::Status.is_in(pending)).add(request::Column::PayBy.lt(today)),
        "refund_overdue" => Condition::all()
            .add(request::Column::Status.eq(Status::Paid.as_str()))
            .add(request::Column::RefundDue.lt(today)),
        "refund_mismatch" => Condition::all()
            .add(request::Column::Status.eq(Status::Paid.as_str()))
            .add(request::Column::RefundAmountFen.is_not_null()),
        "duplicate_suspect" => Condition::all().add(request::Column::Flags.contains("duplicate_suspect")),
        _ => {
            return Err(ApiError::field(
                "flag",
                format!("未知标记，可选：{}", FLAGS.join(", ")),
                format!("unknown flag; use one of {}", FLAGS.join(", ")),
            ));
        }
    })
}

fn sort_order(sort: Option<&str>) -> ApiResult<(request::Column, Order)> {
    let s = sort.unwrap_or("-id");
    let (name, order) = match s.strip_prefix('-') {
        Some(n) => (n, Order::Desc),
        None => (s.strip_prefix('+').unwrap_or(s), Order::Asc),
    };
    let col = match name {
        "id" => request::Column::Id,
        "number" => request::Column::Number,
        "created_at" => request::Column::CreatedAt,
        "updated_at" => request::Column::UpdatedAt,
        "order_date" => request::Column::OrderDate,
        "pay_by" => request::Column::PayBy,
        "amount_fen" => request::Column::AmountFen,
        "status" => request::Column::Status,
        "refund_due" => request::Column::RefundDue,
        _ => {
            return Err(ApiError::field(
                "sort",
                "不支持的排序字段",
                "unknown sort column; use id, number, created_at, updated_at, order_date, pay_by, amount_fen, status or refund_due",
            ));
        }
    };
    Ok((col, order))
}

/// List the requests the caller may see, filtered, sorted and paginated.
#[utoipa::path(get, path = "/requests", tag = "requests", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<RequestView>), (status = 401, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn list_requests(State(state): State<AppState>, me: AuthUser, Query(q): Query<ListQuery>) -> ApiResult<Json<Page<RequestView>>> {
    let (page, per_page) = super::PageParams::resolve(q.page, q.per_page)?;
    let today = china_date(state.clock.now());
    let (col, order) = sort_order(q.sort.as_deref())?;
    let matching = request::Entity::find().filter(visible_to(&me)).filter(filter_condition(&q, today)?);
    // The total depends on the filters, on what the caller may see and on the day (flags).
    let viewer = if me.roles.sees_all_requests() { 0 } else { me.id };
    let key = format!("{viewer}|{today}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}", q.status, q.kind, q.flag, q.q, q.from, q.to, q.department_id, q.requester_id);
    // Read before anything else of the list, so totals and names are never older than the rows.
    let seq = crate::store::cache::data_version(&state.db).await?;
    let total = match state.counts.get(&key, seq) {
        Some(n) => n,
        None => {
            let n = matching.clone().count(&state.db).await?;
            state.counts.put(key, seq, n);
            n
        }
    };
    // The page's ids first, which an index answers, then just those rows: the database never
    // walks wide rows only to skip them (PostgreSQL otherwise prefers the primary key in id
    // order and filters, which is slow when the status is clustered in time, as it is).
    let ids: Vec<i32> = matching
        .select_only()
        .column(request::Column::Id)
        .order_by(col, order)
        .order_by(request::Column::Id, Order::Desc)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut rows =
        if ids.is_empty() { Vec::new() } else { request::Entity::find().filter(request::Column::Id.is_in(ids.clone())).all(&state.db).await? };
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    let names = Names::load(&state, &me, &rows, Some(seq)).await?;
    let items = rows.iter().map(|m| view::view(m, &me, &names, today, &state)).collect();
    Ok(Json(Page { items, total, page, per_page }))
}

/// A request with its attachments and timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestView,
    pub attachments: Vec<attachments::AttachmentView>,
    /// Every step of the current round's approval chain.
    pub steps: Vec<view::StepView>,
    /// People copied in (抄送).
    pub cc: Vec<view::UserRef>,
    pub timeline: Vec<TimelineEntry>,
    /// Non-blocking notices for the caller (e.g. a suspected duplicate).
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    /// When a delegate acted (代理): the approver they acted for.
    pub on_behalf_of_id: Option<i32>,
    pub on_behalf_of_name: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// The approval step the action concerned.
    pub step: Option<String>,
    /// `transfer` / `add_approver`: who was handed the step or added.
    pub to_user_id: Option<i32>,
    pub to_user_name: Option<String>,
    /// `add_approver`: `before` or `after`.
    pub position: Option<String>,
}

pub async fn timeline(state: &AppState, request_id: i32) -> ApiResult<Vec<TimelineEntry>> {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::RequestId.eq(request_id))
        .order_by_asc(audit_event::Column::Seq)
        .all(&state.db)
        .await?;
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let text = |v: &Option<serde_json::Value>, key: &str| v.as_ref().and_then(|v| v.get(key)).and_then(|s| s.as_str()).map(str::to_owned);
    let mut behalf: Vec<i32> = events.iter().filter_map(|e| e.on_behalf_of_id).collect();
    behalf.sort_unstable();
    behalf.dedup();
    let names: std::collections::HashMap<i32, String> = if behalf.is_empty() {
        Default::default()
    } else {
        entity::user::Entity::find()
            .filter(entity::user::Column::Id.is_in(behalf))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };
    Ok(events
        .into_iter()
        .map(|e| {
            let before = parse(&e.before_state);
            let after = parse(&e.after_state);
            TimelineEntry {
                from_status: text(&before, "status"),
                to_status: text(&after, "status"),
                step: text(&after, "step"),
                to_user_id: after.as_ref().and_then(|v| v.get("to_user_id")).and_then(|v| v.as_i64()).and_then(|v| i32::try_from(v).ok()),
                to_user_name: text(&after, "to_user_name"),
                position: text(&after, "position"),
                seq: e.seq,
                at: e.occurred_at,
                actor_id: e.actor_id,
                actor_name: e.actor_name,
                on_behalf_of_name: e.on_behalf_of_id.and_then(|id| names.get(&id).cloned()),
                on_behalf_of_id: e.on_behalf_of_id,
                action: e.action,
                comment: e.comment,
            }
        })
        .collect())
}

pub async fn detail(state: &AppState, me: &AuthUser, m: &request::Model, warnings: Vec<String>) -> ApiResult<RequestDetail> {
    let today = china_date(state.clock.now());
    let names = Names::load(state, me, std::slice::from_ref(m), None).await?;
    let cc_ids = crate::store::chain::people(&state.db, m.id, "cc").await?;
    let cc_names: std::collections::HashMap<i32, String> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(cc_ids.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(RequestDetail {
        request: view::view(m, me, &names, today, state),
        steps: if m.round > 0 { names.steps(&names.chain(m)) } else { Vec::new() },
        cc: cc_ids.iter().map(|id| view::UserRef { id: *id, name: cc_names.get(id).cloned().unwrap_or_default() }).collect(),
        attachments: attachments::list_for(state, m.id).await?,
        timeline: timeline(state, m.id).await?,
        warnings,
    })
}

/// Read one request (404 when the caller may not see it).
#[utoipa::path(get, path = "/requests/{id}", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = RequestDetail), (status = 401, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody)))]
async fn get_request(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<RequestDetail>> {
    let m = find_visible(&state.db, &me, id).await?;
    Ok(Json(detail(&state, &me, &m, Vec::new()).await?))
}

fn form_columns(f: &Form, pii: &crate::pii::PiiCipher) -> Vec<(request::Column, SimpleExpr)> {
    use request::Column as C;
    vec![
        (C::Kind, Expr::value(f.kind.as_str())),
        (C::Title, Expr::value(f.title.clone())),
        (C::AmountFen, Expr::value(f.amount.fen())),
        (C::Refundable, Expr::value(f.refundable)),
        (C::PayerEntity, Expr::value(f.payer_entity.clone())),
        (C::PayerCreditCode, Expr::value(f.payer_credit_code.as_str())),
        (C::PayerBank, Expr::value(f.payer_bank.clone())),
        (C::PayerAccount, Expr::value(f.payer_account.as_str())),
        (C::PayeeName, Expr::value(f.payee_name.clone())),
        (C::PayeeBank, Expr::value(f.payee_bank.clone())),
        (C::PayeeAccount, Expr::value(f.payee_account.as_str())),
        (C::TransferRemark, Expr::value(f.transfer_remark.clone())),
        (C::OrderDate, Expr::value(f.order_date)),
        (C::PayBy, Expr::value(f.pay_by)),
        (C::Purpose, Expr::value(f.purpose.clone())),
        (C::MiniProgram, Expr::value(f.mini_program.as_ref().map(|mp| mp.seal(pii)))),
        (C::MiniProgramId, Expr::value(f.mini_program_id)),
        (C::CompanyId, Expr::value(f.company_id)),
        (C::PayerAccountId, Expr::value(f.payer_account_id)),
    ]
}

fn summary(m: &request::Model) -> serde_json::Value {
    serde_json::json!({
        "status": m.status, "version": m.version, "number": m.number, "kind": m.kind,
        "amount_fen": m.amount_fen, "payee_name": m.payee_name, "payee_account": m.payee_account, "title": m.title,
    })
}

/// Create a draft. Requires the `requester` role (every employee has it).
#[utoipa::path(post, path = "/requests", tag = "requests", security(("bearer" = [])), request_body = RequestInput,
    responses((status = 201, body = RequestDetail), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn create_request(
    State(state): State<AppState>,
    me: AuthUser,
    Json(input): Json<RequestInput>,
) -> ApiResult<(StatusCode, Json<RequestDetail>)> {
    me.require(Role::Requester)?;
    if input.version.is_some() {
        return Err(ApiError::field("version", "新建申请不需要 version", "version is not accepted on create"));
    }
    let now = state.clock.now();
    let mut input = input;
    resolve_mini_program(&state, &me, &mut input).await?;
    crate::http::companies::fill_payer(&state, &mut input).await?;
    let form = input.validate(china_date(now))?;
    let (flags, warnings) = duplicates_of(&state, &form, None).await?;
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let mut am = request::ActiveModel {
        currency: Set("CNY".to_owned()),
        requester_id: Set(me.id),
        department_id: Set(me.department_id),
        status: Set(Status::Draft.as_str().to_owned()),
        version: Set(1),
        round: Set(0),
        flags: Set(flags),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_form(&mut am, &form, &state.pii);
    let m = am.insert(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "create".into(),
                request_id: Some(m.id),
                after: Some(summary(&m)),
                ..Default::default()
            },
            now,
        )
        .await?;
    crate::store::mini_programs::follow_request(&tx, &mut cursor, &m, (Some(me.id), &me.display_name), now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &me, &m, warnings).await?)))
}

fn apply_form(am: &mut request::ActiveModel, f: &Form, pii: &crate::pii::PiiCipher) {
    am.kind = Set(f.kind.as_str().to_owned());
    am.title = Set(f.title.clone());
    am.amount_fen = Set(f.amount.fen());
    am.refundable = Set(f.refundable);
    am.payer_entity = Set(f.payer_entity.clone());
    am.payer_credit_code = Set(f.payer_credit_code.as_str().to_owned());
    am.payer_bank = Set(f.payer_bank.clone());
    am.payer_account = Set(f.payer_account.as_str().to_owned());
    am.payee_name = Set(f.payee_name.clone());
    am.payee_bank = Set(f.payee_bank.clone());
    am.payee_account = Set(f.payee_account.as_str().to_owned());
    am.transfer_remark = Set(f.transfer_remark.clone());
    am.order_date = Set(f.order_date);
    am.pay_by = Set(f.pay_by);
    am.purpose = Set(f.purpose.clone());
    am.mini_program = Set(f.mini_program.as_ref().map(|mp| mp.seal(pii)));
    am.mini_program_id = Set(f.mini_program_id);
    am.company_id = Set(f.company_id);
    am.payer_account_id = Set(f.payer_account_id);
}

/// Other open requests with the same amount and payee: with one odd amount, two open cases make
/// the bank match ambiguous, and one of them is usually a mistake.
async fn duplicates_of(state: &AppState, f: &Form, except: Option<i32>) -> ApiResult<(String, Vec<String>)> {
    let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let mut q = request::Entity::find()
        .filter(request::Column::AmountFen.eq(f.amount.fen()))
        .filter(request::Column::Status.is_in(open))
        .filter(
            Condition::any()
                .add(request::Column::PayeeAccount.eq(f.payee_account.as_str()))
                .add(request::Column::PayeeName.eq(f.payee_name.clone())),
        );
    if let Some(id) = except {
        q = q.filter(request::Column::Id.ne(id));
    }
    let twins = q.order_by_asc(request::Column::Id).all(&state.db).await?;
    if twins.is_empty() {
        return Ok((String::new(), Vec::new()));
    }
    let names: Vec<String> = twins.iter().map(|t| t.number.clone().unwrap_or_else(|| format!("#{}", t.id))).collect();
    let warning = format!(
        "已有 {} 张未完成的申请金额与收款方相同（{}），请确认不是重复申请；否则银行流水将无法自动对应",
        twins.len(),
        names.join("、")
    );
    Ok(("duplicate_suspect".to_owned(), vec![warning]))
}

/// When the form names a registry record, its details replace the typed-in mini-program.
async fn resolve_mini_program(state: &AppState, me: &AuthUser, input: &mut RequestInput) -> ApiResult<()> {
    if let Some(id) = input.mini_program_id {
        let (_, snapshot) = crate::http::mini_programs::for_request(state, me, id).await?;
        input.mini_program = serde_json::from_value(snapshot).ok();
    }
    Ok(())
}

/// Edit a draft or a returned request (the requester only; `version` required).
#[utoipa::path(patch, path = "/requests/{id}", tag = "requests", security(("bearer" = [])), request_body = RequestInput,
    params(("id" = i32, Path)),
    responses((status = 200, body = RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn update_request(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i32>,
    Json(patch): Json<RequestInput>,
) -> ApiResult<Json<RequestDetail>> {
    let current = find_visible(&state.db, &me, id).await?;
    if current.requester_id != me.id {
        return Err(ApiError::Forbidden(Msg::new("只有申请人本人可以修改申请", "only the requester may edit the request")));
    }
    let Some(version) = patch.version else {
        return Err(ApiError::field("version", "修改须带上 version", "version is required"));
    };
    if version != current.version {
        return Err(version_conflict(&current));
    }
    if !status_of(&current).is_editable() {
        return Err(state_conflict(&current, "edit"));
    }
    let now = state.clock.now();
    let mut merged = RequestInput::from_model(&current, &state.pii).overlay(patch);
    if merged.mini_program_id != current.mini_program_id {
        resolve_mini_program(&state, &me, &mut merged).await?;
    }
    crate::http::companies::fill_payer(&state, &mut merged).await?;
    let form = merged.validate(china_date(now))?;
    let (flags, warnings) = duplicates_of(&state, &form, Some(id)).await?;
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let mut changes = form_columns(&form, &state.pii);
    changes.push((request::Column::Flags, Expr::value(flags)));
    changes.push((request::Column::UpdatedAt, Expr::value(now)));
    if !crate::store::requests::conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(crate::store::requests::conflict_after_race(&state.db, &current, "edit").await?);
    }
    let updated = request::Entity::find_by_id(id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "update".into(),
                request_id: Some(id),
                before: Some(summary(&current)),
                after: Some(summary(&updated)),
                ..Default::default()
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Json(detail(&state, &me, &updated, warnings).await?))
}

/// Delete a draft that was never submitted (the requester only).
#[utoipa::path(delete, path = "/requests/{id}", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody)))]
async fn delete_request(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<StatusCode> {
    let current = find_visible(&state.db, &me, id).await?;
    if current.requester_id != me.id {
        return Err(ApiError::Forbidden(Msg::new("只有申请人本人可以删除草稿", "only the requester may delete a draft")));
    }
    if status_of(&current) != Status::Draft {
        return Err(state_conflict(&current, "delete"));
    }
    let now = state.clock.now();
    let files = attachments::list_models(&state, id).await?;
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    entity::attachment::Entity::delete_many().filter(entity::attachment::Column::RequestId.eq(id)).exec(&tx).await?;
    let deleted = request::Entity::delete_many()
        .filter(request::Column::Id.eq(id))
        .filter(request::Column::Version.eq(current.version))
        .filter(request::Column::Status.eq(Status::Draft.as_str()))
        .exec(&tx)
        .await?;
    if deleted.rows_affected != 1 {
        drop(tx);
        return Err(crate::store::requests::conflict_after_race(&state.db, &current, "delete").await?);
    }
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "delete".into(),
                request_id: Some(id),
                before: Some(summary(&current)),
                ..Default::default()
            },
            now,
        )
        .await?;
    tx.commit().await?;
    for f in files {
        let _ = tokio::fs::remove_file(state.config.attachments_dir().join(&f.storage_key)).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tasks {
    pub items: Vec<RequestView>,
    pub total: u64,
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
#[utoipa::path(get, path = "/tasks", tag = "requests", security(("bearer" = [])),
    responses((status = 200, body = Tasks), (status = 401, body = crate::error::ProblemBody)))]
async fn tasks(State(state): State<AppState>, me: AuthUser) -> ApiResult<Json<Tasks>> {
    use request::Column as C;
    let finance = me.has(Role::Finance);
    use crate::store::requests::{open_step, related, waiting_on_my_delegators};
    // A delegate never decides their own request, so it is no task of theirs.
    let mine_to_decide = Condition::any()
        .add(related(&me, "current"))
        .add(Condition::all().add(waiting_on_my_delegators(&me)).add(C::RequesterId.ne(me.id)));
    let mut groups: Vec<(&str, Condition)> = vec![
        ("manager_approval", Condition::all().add(C::Status.eq(Status::PendingManager.as_str())).add(mine_to_decide.clone())),
        ("resubmit", Condition::all().add(C::Status.eq(Status::Returned.as_str())).add(C::RequesterId.eq(me.id))),
    ];
    let mut finance_approval = Condition::any().add(mine_to_decide);
    if finance {
        let not_mine = C::RequesterId.ne(me.id);
        finance_approval = finance_approval.add(
            Condition::all().add(not_mine.clone()).add(open_step()).add(related(&me, "acted").not()),
        );
        let mut payout = Condition::all().add(C::Status.eq(Status::Approved.as_str())).add(not_mine.clone());
        if state.config.four_eyes {
            payout = payout.add(Condition::any().add(C::FinanceApprovedBy.is_null()).add(C::FinanceApprovedBy.ne(me.id)));
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
        .paginate(&state.db, 200)
        .fetch_page(0)
        .await?;
    let today = china_date(state.clock.now());
    let names = Names::load(&state, &me, &rows, None).await?;
    let items: Vec<RequestView> = rows.iter().map(|m| view::view(m, &me, &names, today, &state)).collect();
    let total = counts.manager_approval + counts.finance_approval + counts.payout + counts.refund + counts.resubmit;
    Ok(Json(Tasks { items, total, counts }))
}
