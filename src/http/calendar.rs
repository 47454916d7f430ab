//! The working-day calendar: read by everyone, replaced per year by admins.
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::{Admin, AuthUser};
use crate::domain::calendar::YearCalendar;
use crate::error::{ApiError, ApiResult, Lang, Msg};

use crate::store::calendar;
use axum::extract::{FromRequestParts, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_year, put_year)).routes(routes!(add_working_days))
}

/// The caller's preferred language, for messages in successful answers.
pub struct Language(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Language(Lang::from_accept_language(parts.headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    /// Official holidays (including weekend days inside a holiday block).
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (调休上班) on weekends.
    pub workdays: Vec<NaiveDate>,
    /// `builtin` (shipped State Council schedule) or `imported`.
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearInput {
    /// Optional; must equal the year in the path when given.
    pub year: Option<i32>,
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// One year of the calendar (404 when the year is not loaded).
#[utoipa::path(get, path = "/calendar/{year}", tag = "calendar", security(("bearer" = [])), params(("year" = i32, Path)),
    responses((status = 200, body = CalendarYearView), (status = 401, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody)))]
async fn get_year(State(state): State<AppState>, _me: AuthUser, Path(year): Path<i32>) -> ApiResult<Json<CalendarYearView>> {
    let m = calendar::get(&state.db, year)
        .await?
        .ok_or_else(|| ApiError::NotFound(Msg::new(format!("{year} 年的日历尚未导入"), format!("no calendar for {year}"))))?;
    let y = calendar::to_year(&m);
    Ok(Json(CalendarYearView {
        year,
        holidays: y.holidays.into_iter().collect(),
        workdays: y.workdays.into_iter().collect(),
        source: m.source,
        updated_at: m.updated_at,
    }))
}

pub fn calendar_error(e: crate::domain::calendar::CalendarError) -> ApiError {
    ApiError::field("holidays", e.zh(), e.en())
}

/// Replace one year (admin). Dates must lie in the year, no day may be both a holiday and a
/// make-up workday, and make-up workdays fall on weekends. Refund deadlines of paid requests
/// are recomputed.
#[utoipa::path(put, path = "/calendar/{year}", tag = "calendar", security(("bearer" = [])), params(("year" = i32, Path)),
    request_body = CalendarYearInput,
    responses((status = 200, body = CalendarYearView), (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn put_year(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(year): Path<i32>,
    Json(body): Json<CalendarYearInput>,
) -> ApiResult<Json<CalendarYearView>> {
    if body.year.is_some_and(|y| y != year) {
        return Err(ApiError::field("year", "请求体中的年份与路径不一致", "year in the body does not match the path"));
    }
    let y = YearCalendar { year, holidays: body.holidays, workdays: body.workdays };
    y.validate().map_err(calendar_error)?;
    crate::store::calendar::replace_year(state.ctx(), &y, Some((me.id, me.display_name.clone()))).await?;
    get_year(State(state), me, Path(year)).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AddWorkingDaysQuery {
    pub from: NaiveDate,
    /// 0–3660.
    pub days: u32,
}

/// Years a calendar date is answered for: four digits, and no earlier than any real request.
const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingDayAnswer {
    pub date: NaiveDate,
    /// Present when a needed year is not loaded and weekends only were assumed.
    pub warnings: Vec<String>,
}

/// The `days`-th China working day after `from` (`from` itself never counts).
#[utoipa::path(get, path = "/calendar/add-working-days", tag = "calendar", security(("bearer" = [])), params(AddWorkingDaysQuery),
    responses((status = 200, body = WorkingDayAnswer), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn add_working_days(
    State(state): State<AppState>,
    _me: AuthUser,
    Language(lang): Language,
    Query(q): Query<AddWorkingDaysQuery>,
) -> ApiResult<Json<WorkingDayAnswer>> {
    use chrono::Datelike;
    if q.days > 3660 {
        return Err(ApiError::field("days", "days 须在 0 到 3660 之间", "days must be between 0 and 3660"));
    }
    if !DATE_YEARS.contains(&q.from.year()) {
        return Err(ApiError::field("from", "from 须在 1900 到 9999 年之间", "from must lie in the years 1900–9999"));
    }
    let cal = calendar::load(&state.db).await?;
    let r = cal.add_working_days(q.from, q.days);
    // The answer is a `date` (YYYY-MM-DD): it must not leave the years a date can be written in.
    if !DATE_YEARS.contains(&r.value.year()) {
        return Err(ApiError::field(
            "days",
            "结果日期超出 9999 年，请减少 days",
            "the result would fall after the year 9999; use fewer days",
        ));
    }
    Ok(Json(WorkingDayAnswer { date: r.value, warnings: calendar::missing_year_warnings(&r.missing_years, lang) }))
}
