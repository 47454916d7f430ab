//! Creating, editing and deleting a draft: `POST /requests`, `PATCH` and `DELETE /requests/{id}`.
use super::detail::{RequestDetail, detail};
use super::form::{Form, RequestInput};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::store::apply::{self, By, Change, summary};
use crate::store::requests::{find_visible, state_conflict, status_of, version_conflict, visible_to};
use axum::extract::State;
use axum::http::StatusCode;
use entity::request;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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

/// Create a draft. Requires the `requester` role (every employee has it).
#[utoipa::path(post, path = "/requests", tag = "requests", security(("bearer" = [])), request_body = RequestInput,
    responses((status = 201, body = RequestDetail), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn create_request(
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
    let (flags, warnings) = duplicates_of(&state, &me, &form, None).await?;
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
    let m = apply::create(state.ctx(), &me, am).await?;
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

/// How many of the open twins the duplicate warning names.
const DUPLICATES_NAMED: u64 = 10;

/// Open twins are counted up to this many: a real duplicate has one or two, and a pasted-in
/// twin of thousands must not count them all on every save (counting 5,000 twins took 4 ms
/// of the database twice per draft). Beyond it the warning says "at least".
const TWINS_COUNTED: u64 = 100;

/// `status IN ('draft', …)`, every open status as a literal: PostgreSQL then proves the
/// condition of `idx_requests_open_amount` (migration 38), which holds the open requests by
/// amount and id, and reads the twins from it (bound values could name any status).
fn open_condition() -> Expr {
    let open: Vec<String> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
    Expr::cust(format!("\"requests\".\"status\" IN ({})", open.join(", ")))
}

/// Other open requests with the same amount and payee: with one odd amount, two open cases make
/// the bank match ambiguous, and one of them is usually a mistake. The warning names only the
/// requests the caller may read.
async fn duplicates_of(state: &AppState, me: &AuthUser, f: &Form, except: Option<i32>) -> ApiResult<(String, Vec<String>)> {
    use crate::store::list::count_at_most;
    let mut q = request::Entity::find().filter(request::Column::AmountFen.eq(f.amount.fen())).filter(open_condition()).filter(
        Condition::any()
            .add(request::Column::PayeeAccount.eq(f.payee_account.as_str()))
            .add(request::Column::PayeeName.eq(f.payee_name.clone())),
    );
    if let Some(id) = except {
        q = q.filter(request::Column::Id.ne(id));
    }
    let twins = count_at_most(&state.db, q.clone(), TWINS_COUNTED).await?;
    if twins == 0 {
        return Ok((String::new(), Vec::new()));
    }
    // The first few by number is what a person reads; a pasted-in twin of a thousand others
    // must not load the thousand rows (on PostgreSQL the open requests' (amount, id) index
    // hands them over in id order; on SQLite the amount's index, which ends in the id).
    let readable = q.filter(visible_to(me));
    let first: Vec<(i32, Option<String>)> = readable
        .clone()
        .select_only()
        .columns([request::Column::Id, request::Column::Number])
        .order_by_asc(request::Column::Id)
        .limit(DUPLICATES_NAMED)
        .into_tuple()
        .all(&state.db)
        .await?;
    let names: Vec<String> = first.into_iter().map(|(id, number)| number.unwrap_or_else(|| format!("#{id}"))).collect();
    let shown = names.len() as u64;
    // Counted alike, the readable twins reach the cap exactly when there are at least that
    // many of them: "at least" then holds of the ones the caller may read.
    let all_readable = shown == twins || (shown == DUPLICATES_NAMED && count_at_most(&state.db, readable, TWINS_COUNTED).await? == twins);
    let which = match shown {
        0 => String::new(),
        n if n == twins => format!(" {n} 张（{}）", names.join("、")),
        _ if all_readable && twins >= TWINS_COUNTED => format!("至少 {twins} 张（包括 {} 等）", names.join("、")),
        _ if all_readable => format!(" {twins} 张（包括 {} 等）", names.join("、")),
        _ => format!("（包括 {}）", names.join("、")),
    };
    let warning = format!("已有金额与收款方相同的未完成申请{which}，请确认不是重复申请；否则银行流水将无法自动对应");
    Ok((crate::domain::flags::Flag::DuplicateSuspect.as_str().to_owned(), vec![warning]))
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
pub(super) async fn update_request(
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
        return Err(state_conflict(&current, "update"));
    }
    let now = state.clock.now();
    let mut merged = RequestInput::from_model(&current, &state.pii).overlay(patch);
    if merged.mini_program_id != current.mini_program_id {
        resolve_mini_program(&state, &me, &mut merged).await?;
    }
    crate::http::companies::fill_payer(&state, &mut merged).await?;
    let form = merged.validate(china_date(now))?;
    let (flags, warnings) = duplicates_of(&state, &me, &form, Some(id)).await?;
    let change = Change::Edit { columns: form_columns(&form, &state.pii), flags, summary_before: summary(&current) };
    let order = apply::Order { change, version: Some(version), comment: None, idempotency_key: None };
    let applied = apply::apply(state.ctx(), By::User(&me), current, order).await?;
    Ok(Json(detail(&state, &me, &applied.request, warnings).await?))
}

/// Delete a draft that was never submitted (the requester only).
#[utoipa::path(delete, path = "/requests/{id}", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 204), (status = 403, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody)))]
pub(super) async fn delete_request(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<StatusCode> {
    let current = find_visible(&state.db, &me, id).await?;
    if current.requester_id != me.id {
        return Err(ApiError::Forbidden(Msg::new("只有申请人本人可以删除草稿", "only the requester may delete a draft")));
    }
    if status_of(&current) != Status::Draft {
        return Err(state_conflict(&current, "delete"));
    }
    for f in apply::delete_draft(state.ctx(), &me, current).await? {
        state.files.delete(&state.db, &f.storage_key).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
