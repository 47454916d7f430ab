//! Finance figures (DESIGN §2.7): money paid out and refunded per month with the balance
//! still out, and how old the open refunds are. Finance, auditors and admins.
use super::calendar::Language;
use super::extract::{Json, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::figures::{self, Month, RangeError};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::store::stats;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(monthly)).routes(routes!(refund_aging))
}

const READERS: [Role; 3] = [Role::Finance, Role::Auditor, Role::Admin];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MonthlyQuery {
    /// First month, `YYYY-MM` (default: eleven months before `to`).
    from: Option<String>,
    /// Last month, `YYYY-MM` (default: the current China month). At most 120 months in all.
    to: Option<String>,
}

/// A count and an exact sum in fen.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountAmount {
    pub count: i64,
    pub amount_fen: i64,
}

impl From<stats::Total> for CountAmount {
    fn from(t: stats::Total) -> CountAmount {
        CountAmount { count: t.count, amount_fen: t.amount_fen }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Payouts recorded with a `paid_at` in the month (every kind).
    pub payouts: CountAmount,
    /// Refunds received with a `refunded_at` in the month.
    pub refunds: CountAmount,
    /// Refundable money paid out by the month's end and not refunded (nor written off) by then.
    pub outstanding_fen: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthlyAnswer {
    pub from: String,
    pub to: String,
    /// Every month from `from` to `to`, months without movement included.
    pub months: Vec<MonthFigures>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgingFigures {
    /// `0-5`, `6-10`, `11-20` or `21+` China working days since the payout.
    pub bucket: String,
    pub count: i64,
    /// The money still out (payout less the refunds so far).
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgingAnswer {
    /// The China day the ages are counted to.
    pub as_of: chrono::NaiveDate,
    /// Always the four buckets, youngest first.
    pub buckets: Vec<AgingFigures>,
    /// Set when the working-day calendar lacks a year the ages cross (weekends-only fallback).
    pub warnings: Vec<String>,
}

fn month_param(name: &str, value: Option<&str>) -> ApiResult<Option<Month>> {
    value
        .map(|v| {
            Month::parse(v).ok_or_else(|| ApiError::field(name, "月份须为 YYYY-MM 格式，如 2026-11", "a month is YYYY-MM, e.g. 2026-11"))
        })
        .transpose()
}

/// Paid out and refunded per month, with the refundable balance still out at each month's end.
#[utoipa::path(get, path = "/stats/monthly", tag = "stats", security(("bearer" = [])), params(MonthlyQuery),
    responses((status = 200, body = MonthlyAnswer), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn monthly(State(state): State<AppState>, me: AuthUser, Query(q): Query<MonthlyQuery>) -> ApiResult<Json<MonthlyAnswer>> {
    me.require_any(&READERS)?;
    let from = month_param("from", q.from.as_deref())?;
    let to = month_param("to", q.to.as_deref())?;
    let (default_from, default_to) = figures::last_twelve_months(china_date(state.clock.now()));
    let to = to.unwrap_or(default_to);
    let from = from.unwrap_or_else(|| if q.to.is_some() { to.minus(11) } else { default_from });
    let months = figures::months(from, to).map_err(|e| match e {
        RangeError::Reversed => ApiError::field("from", "开始月份不能晚于结束月份", "from must not be after to"),
        RangeError::TooLong => ApiError::field(
            "to",
            format!("一次最多查询 {} 个月", figures::MAX_MONTHS),
            format!("at most {} months at a time", figures::MAX_MONTHS),
        ),
    })?;
    let rows = stats::monthly(&state.db, &months).await?;
    Ok(Json(MonthlyAnswer {
        from: from.to_string(),
        to: to.to_string(),
        months: rows
            .into_iter()
            .map(|r| MonthFigures {
                month: r.month.to_string(),
                payouts: r.payouts.into(),
                refunds: r.refunds.into(),
                outstanding_fen: r.outstanding_fen,
            })
            .collect(),
    }))
}

/// Open refunds by China working days since the payout: `0-5`, `6-10`, `11-20`, `21+`.
#[utoipa::path(get, path = "/stats/refund-aging", tag = "stats", security(("bearer" = [])),
    responses((status = 200, body = AgingAnswer), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody)))]
async fn refund_aging(State(state): State<AppState>, me: AuthUser, Language(lang): Language) -> ApiResult<Json<AgingAnswer>> {
    me.require_any(&READERS)?;
    let today = china_date(state.clock.now());
    let calendar = crate::store::calendar::load(&state.db).await?;
    let (buckets, missing) = stats::refund_aging(&state.db, &calendar, today).await?;
    Ok(Json(AgingAnswer {
        as_of: today,
        buckets: buckets
            .into_iter()
            .map(|b| AgingFigures { bucket: b.bucket.label().to_owned(), count: b.total.count, amount_fen: b.total.amount_fen })
            .collect(),
        warnings: crate::store::calendar::missing_year_warnings(&missing, lang),
    }))
}
