//! Recording the payout to Tencent and the refunds that come back (DESIGN §2.1), with
//! `Idempotency-Key` so that a double click or a retried request never records money twice.
use super::actions::refusal;
use super::detail;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::money::{Money, format_yuan};
use crate::domain::workflow::{Action, Status, refund_outcome, transition};
use crate::error::{ApiError, ApiResult, FieldError, Lang, Msg, Problem};
use crate::http::extract::parse_json;
use crate::store::audit::{self, NewEvent};
use crate::store::idempotency::{self, Claim};
use crate::store::notify::{Notice, notify};
use crate::store::requests::{conditional_update, conflict_after_race, find_visible, status_of, version_conflict};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use entity::{refund, request};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutBody {
    /// The China calendar day the bank sent the money; not in the future, not before approval.
    pub paid_at: NaiveDate,
    /// Integer fen; must equal the approved amount unless `override_reason` explains why not.
    pub amount_fen: i64,
    /// The bank's transaction number (流水号).
    pub reference: String,
    pub override_reason: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// The China calendar day the refund arrived; not in the future, not before the payout.
    pub refunded_at: NaiveDate,
    /// Integer fen; refunds add up until they equal the payout.
    pub amount_fen: i64,
    pub reference: String,
    pub version: Option<i32>,
}

fn reference_error(reference: &str) -> Option<FieldError> {
    let n = reference.trim().chars().count();
    (n == 0 || n > 200).then(|| FieldError::new("reference", "请填写银行流水号（1–200 个字符）", "reference (the bank's transaction number) must be 1–200 characters"))
}

fn amount(fen: i64) -> Result<Money, FieldError> {
    Money::from_fen(fen).map_err(|e| FieldError::new("amount_fen", e.zh(), e.en()))
}

/// The checks payouts and refunds share: a valid amount, a bank reference, and a China
/// calendar day that is not in the future and not before the step it follows.
fn money_fields(
    amount_fen: i64,
    reference: &str,
    (field, label_zh, date): (&str, &str, NaiveDate),
    earliest: Option<(NaiveDate, &str, &str)>,
    today: NaiveDate,
) -> (Option<Money>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let money = amount(amount_fen).map_err(|e| errors.push(e)).ok();
    errors.extend(reference_error(reference));
    if date > today {
        errors.push(FieldError::new(field, format!("{label_zh}不能晚于今天"), format!("{field} cannot be in the future")));
    }
    if let Some((first, step_zh, step_en)) = earliest
        && date < first
    {
        errors.push(FieldError::new(field, format!("{label_zh}不能早于{step_zh}日期 {first}"), format!("{field} cannot be before {step_en} on {first}")));
    }
    (money, errors)
}

/// `POST /requests/{id}/payout|refund`, wrapped in the idempotency protocol.
pub async fn record(state: &AppState, me: &AuthUser, id: i32, action: Action, headers: &HeaderMap, body: &[u8]) -> ApiResult<Response> {
    let lang = Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str().map(str::trim) {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Some(k.to_owned()),
            _ => {
                return Err(ApiError::BadRequest(Msg::new(
                    "Idempotency-Key 须为 1–255 个可见字符",
                    "Idempotency-Key must be 1–255 visible characters",
                )));
            }
        },
    };
    let Some(key) = key else {
        return Ok(outcome_response(run(state, me, id, action, body, None).await, lang).0);
    };
    // The fingerprint ignores formatting: the body is compared as parsed JSON.
    let canonical = serde_json::from_slice::<serde_json::Value>(body).map(|v| v.to_string()).unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    let endpoint = format!("POST /api/v1/requests/{id}/{}", action.as_str());
    let hash = hex::encode(Sha256::digest(format!("{endpoint}\n{canonical}").as_bytes()));
    match idempotency::claim(&state.db, me.id, &key, &endpoint, &hash, state.clock.now()).await? {
        Claim::Replay { status, body } => {
            let mut res = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            let ct = if status >= 400 { "application/problem+json" } else { "application/json" };
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        Claim::Mismatch => Err(ApiError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            "该 Idempotency-Key 已用于另一个请求内容，请换一个新的键",
            "this Idempotency-Key was used with a different request; use a new key",
        )])),
        Claim::Committed => {
            let current = find_visible(&state.db, me, id).await?;
            let (mut res, _) = outcome_response(detail(state, me, &current, Vec::new()).await, lang);
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        Claim::InFlight => Err(ApiError::Conflict {
            code: "idempotency_in_flight",
            msg: Msg::new("相同 Idempotency-Key 的请求仍在处理中，请稍后重试", "a request with this Idempotency-Key is still being processed"),
            current: None,
        }),
        Claim::New => {
            let (res, text) = outcome_response(run(state, me, id, action, body, Some(&key)).await, lang);
            if res.status().is_server_error() {
                idempotency::release(&state.db, me.id, &key).await?;
            } else {
                idempotency::finish(&state.db, me.id, &key, res.status().as_u16(), &text).await?;
            }
            Ok(res)
        }
    }
}

/// The response and its body text (kept for replays).
fn outcome_response(outcome: ApiResult<super::RequestDetail>, lang: Lang) -> (Response, String) {
    match outcome {
        Ok(detail) => {
            let text = serde_json::to_string(&detail).unwrap_or_default();
            let mut res = (StatusCode::OK, text.clone()).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            (res, text)
        }
        Err(e) => {
            let res = e.into_response();
            let problem = res.extensions().get::<Problem>().cloned();
            let text = problem.map(|p| serde_json::to_string(&p.body(lang)).unwrap_or_default()).unwrap_or_default();
            (res, text)
        }
    }
}

async fn run(state: &AppState, me: &AuthUser, id: i32, action: Action, body: &[u8], key: Option<&str>) -> ApiResult<super::RequestDetail> {
    let current = find_visible(&state.db, me, id).await?;
    let (m, warnings) = match action {
        Action::Payout => payout(state, me, current, parse_json(body)?, key).await?,
        _ => refund(state, me, current, parse_json(body)?, key).await?,
    };
    detail(state, me, &m, warnings).await
}

/// Checks version and the workflow rules before any field, so that who-may and when-may
/// answers are the same as for every other action.
fn check(state: &AppState, me: &AuthUser, current: &request::Model, action: Action, version: Option<i32>) -> ApiResult<Status> {
    if let Some(v) = version
        && v != current.version
    {
        return Err(version_conflict(current));
    }
    transition(status_of(current), action, me.actor(), &crate::store::chain::facts_without_step(current, &crate::store::chain::chain_of(current), state.config.four_eyes), None).map_err(|r| refusal(current, action, r))
}

pub(crate) async fn payout(
    state: &AppState,
    me: &AuthUser,
    current: request::Model,
    body: PayoutBody,
    idempotency_key: Option<&str>,
) -> ApiResult<(request::Model, Vec<String>)> {
    let next = check(state, me, &current, Action::Payout, body.version)?;
    let now = state.clock.now();
    let today = china_date(now);
    let (money, mut errors) =
        money_fields(body.amount_fen, &body.reference, ("paid_at", "打款日期", body.paid_at), current.approved_at.map(china_date).map(|d| (d, "批准", "the approval")), today);
    let override_reason = body.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    let differs = money.is_some_and(|m| m.fen() != current.amount_fen);
    if differs && override_reason.is_none() {
        errors.push(FieldError::new(
            "override_reason",
            format!("打款金额与批准金额 {} 不一致，须说明原因", format_yuan(current.amount_fen)),
            format!("the amount differs from the approved {}; give an override_reason", format_yuan(current.amount_fen)),
        ));
    }
    if override_reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        errors.push(FieldError::new("override_reason", "原因最多 500 个字符", "override_reason must be at most 500 characters"));
    }
    let (Some(money), true) = (money, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let override_reason = if differs { override_reason } else { None };
    // The calendar is read inside the write lock, so a concurrent import cannot leave a stale deadline.
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let (refund_due, warnings) = if next == Status::Paid {
        let cal = crate::store::calendar::load(&tx).await?;
        let due = cal.add_working_days(body.paid_at, 10);
        (Some(due.value), crate::store::calendar::missing_year_warnings(&due.missing_years, Lang::Zh))
    } else {
        (None, Vec::new())
    };

    use request::Column as C;
    let changes: Vec<(C, SimpleExpr)> = vec![
        (C::Status, Expr::value(next.as_str())),
        (C::PaidAt, Expr::value(body.paid_at)),
        (C::PayoutAmountFen, Expr::value(money.fen())),
        (C::PayoutReference, Expr::value(body.reference.trim())),
        (C::PayoutOverrideReason, Expr::value(override_reason.clone())),
        (C::PaidBy, Expr::value(me.id)),
        (C::RefundDue, Expr::value(refund_due)),
        (C::UpdatedAt, Expr::value(now)),
    ];
    if !conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(conflict_after_race(&state.db, &current, Action::Payout.as_str()).await?);
    }
    let updated = request::Entity::find_by_id(current.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "payout".into(),
                request_id: Some(current.id),
                comment: override_reason.clone(),
                before: Some(serde_json::json!({"status": current.status, "version": current.version})),
                after: Some(serde_json::json!({
                    "status": updated.status, "version": updated.version, "paid_at": body.paid_at,
                    "amount_fen": money.fen(), "reference": body.reference.trim(), "override_reason": override_reason,
                    "refund_due": refund_due,
                })),
                ..Default::default()
            },
            now,
        )
        .await?;
    let text = match refund_due {
        Some(due) => format!("{} 已于 {} 打款 {}，腾讯应于 {due} 前退回", updated.number.as_deref().unwrap_or(""), body.paid_at, format_yuan(money.fen())),
        None => format!("{} 已于 {} 打款 {}", updated.number.as_deref().unwrap_or(""), body.paid_at, format_yuan(money.fen())),
    };
    crate::store::mini_programs::follow_request(&tx, &mut cursor, &updated, (Some(me.id), &me.display_name), now).await?;
    let notice = Notice { kind: "paid", title: "已打款".into(), body: text, request_id: Some(updated.id), dedupe_key: format!("paid:{}", updated.id) };
    notify(&tx, &[updated.requester_id], &notice, state.config.webhook_url.is_some(), now).await?;
    if let Some(k) = idempotency_key {
        idempotency::mark_committed(&tx, me.id, k).await?;
    }
    tx.commit().await?;
    Ok((updated, warnings))
}

pub(crate) async fn refund(
    state: &AppState,
    me: &AuthUser,
    current: request::Model,
    body: RefundBody,
    idempotency_key: Option<&str>,
) -> ApiResult<(request::Model, Vec<String>)> {
    check(state, me, &current, Action::Refund, body.version)?;
    let now = state.clock.now();
    let today = china_date(now);
    let (money, errors) =
        money_fields(body.amount_fen, &body.reference, ("refunded_at", "退款日期", body.refunded_at), current.paid_at.map(|d| (d, "打款", "the payout")), today);
    let (Some(money), true) = (money, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let paid = current.payout_amount_fen.unwrap_or(current.amount_fen);
    let total = current.refund_amount_fen.unwrap_or(0).saturating_add(money.fen());
    let next = refund_outcome(paid, total);

    use request::Column as C;
    let changes: Vec<(C, SimpleExpr)> = vec![
        (C::Status, Expr::value(next.as_str())),
        (C::RefundAmountFen, Expr::value(total)),
        (C::RefundedAt, Expr::value(body.refunded_at)),
        (C::RefundReference, Expr::value(body.reference.trim())),
        (C::UpdatedAt, Expr::value(now)),
    ];
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    if !conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(conflict_after_race(&state.db, &current, Action::Refund.as_str()).await?);
    }
    refund::ActiveModel {
        request_id: Set(current.id),
        refunded_at: Set(body.refunded_at),
        amount_fen: Set(money.fen()),
        reference: Set(body.reference.trim().to_owned()),
        recorded_by: Set(me.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let updated = request::Entity::find_by_id(current.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "refund".into(),
                request_id: Some(current.id),
                before: Some(serde_json::json!({"status": current.status, "version": current.version, "refunded_total_fen": current.refund_amount_fen})),
                after: Some(serde_json::json!({
                    "status": updated.status, "version": updated.version, "refunded_at": body.refunded_at,
                    "amount_fen": money.fen(), "refunded_total_fen": total, "difference_fen": paid - total,
                    "reference": body.reference.trim(),
                })),
                ..Default::default()
            },
            now,
        )
        .await?;
    crate::store::mini_programs::follow_request(&tx, &mut cursor, &updated, (Some(me.id), &me.display_name), now).await?;
    let number = updated.number.as_deref().unwrap_or("");
    let (title, text) = if next == Status::Refunded {
        ("退款已到账", format!("{number} 已全额退回 {}", format_yuan(total)))
    } else {
        ("退款金额不符", format!("{number} 已退回 {}，打款 {}，差额 {}", format_yuan(total), format_yuan(paid), format_yuan(paid - total)))
    };
    let notice = Notice { kind: "refund", title: title.into(), body: text, request_id: Some(updated.id), dedupe_key: format!("refund:{}:{}", updated.id, updated.version) };
    notify(&tx, &[updated.requester_id], &notice, state.config.webhook_url.is_some(), now).await?;
    if let Some(k) = idempotency_key {
        idempotency::mark_committed(&tx, me.id, k).await?;
    }
    tx.commit().await?;
    Ok((updated, Vec::new()))
}
