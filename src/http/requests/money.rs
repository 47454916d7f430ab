//! Recording the payout to Tencent and the refunds that come back (DESIGN §2.1), with
//! `Idempotency-Key` so that a double click or a retried request never records money twice.
use super::detail;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult, FieldError, Lang, Msg, Problem};
use crate::http::extract::parse_json;
use crate::store::apply::{By, Change, Order, apply};
use crate::store::idempotency::{self, Claim};
use crate::store::requests::find_visible;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutBody {
    /// The China calendar day the bank sent the money; not in the future, not before approval.
    pub paid_at: NaiveDate,
    /// Integer fen; never above the approved amount, and below it only with `override_reason`.
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
    /// Integer fen; refunds add up until they equal the payout, and never past it.
    pub amount_fen: i64,
    pub reference: String,
    pub version: Option<i32>,
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
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
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
            code: crate::error::ConflictCode::IdempotencyInFlight,
            msg: Msg::new(
                "相同 Idempotency-Key 的请求仍在处理中，请稍后重试",
                "a request with this Idempotency-Key is still being processed",
            ),
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
    let idempotency_key = key.map(str::to_owned);
    let order = match action {
        Action::Payout => {
            let b: PayoutBody = parse_json(body)?;
            let change =
                Change::Payout { paid_at: b.paid_at, amount_fen: b.amount_fen, reference: b.reference, override_reason: b.override_reason };
            Order { change, version: b.version, comment: None, idempotency_key }
        }
        _ => {
            let b: RefundBody = parse_json(body)?;
            let change = Change::Refund { refunded_at: b.refunded_at, amount_fen: b.amount_fen, reference: b.reference };
            Order { change, version: b.version, comment: None, idempotency_key }
        }
    };
    let applied = apply(state.ctx(), By::User(me), current, order).await?;
    detail(state, me, &applied.request, applied.warnings).await
}
