//! The working-day calendar as data: built-in State Council schedules, replaced per year by
//! admins. Loaded from the database at each use, so an import by the CLI takes effect in a
//! running server at once.
use crate::domain::calendar::{Calendar, YearCalendar};
use chrono::{DateTime, NaiveDate, Utc};
use entity::calendar_year;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};
use std::collections::BTreeSet;

fn dates_json(set: &BTreeSet<NaiveDate>) -> String {
    serde_json::to_string(set).unwrap_or_else(|_| "[]".into())
}

fn parse_dates(s: &str) -> BTreeSet<NaiveDate> {
    serde_json::from_str(s).unwrap_or_default()
}

pub fn to_year(m: &calendar_year::Model) -> YearCalendar {
    YearCalendar { year: m.year, holidays: parse_dates(&m.holidays), workdays: parse_dates(&m.workdays) }
}

/// Inserts the shipped years that are not in the database yet; never overwrites an import.
pub async fn seed_builtin(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
    for y in Calendar::builtin_years() {
        calendar_year::Entity::insert(calendar_year::ActiveModel {
            year: Set(y.year),
            holidays: Set(dates_json(&y.holidays)),
            workdays: Set(dates_json(&y.workdays)),
            source: Set("builtin".into()),
            updated_at: Set(now),
        })
        .on_conflict(OnConflict::column(calendar_year::Column::Year).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn load(db: &impl ConnectionTrait) -> Result<Calendar, DbErr> {
    let years = calendar_year::Entity::find().all(db).await?;
    Ok(Calendar::new(years.iter().map(to_year)))
}

pub async fn get(db: &impl ConnectionTrait, year: i32) -> Result<Option<calendar_year::Model>, DbErr> {
    calendar_year::Entity::find_by_id(year).one(db).await
}

/// Replaces one year (validated by the caller).
pub async fn put(db: &impl ConnectionTrait, y: &YearCalendar, now: DateTime<Utc>) -> Result<(), DbErr> {
    calendar_year::Entity::insert(calendar_year::ActiveModel {
        year: Set(y.year),
        holidays: Set(dates_json(&y.holidays)),
        workdays: Set(dates_json(&y.workdays)),
        source: Set("imported".into()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(calendar_year::Column::Year)
            .update_columns([
                calendar_year::Column::Holidays,
                calendar_year::Column::Workdays,
                calendar_year::Column::Source,
                calendar_year::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Human warnings for years a computation had to guess (weekends only).
pub fn missing_year_warnings(missing: &[i32], lang: crate::error::Lang) -> Vec<String> {
    missing
        .iter()
        .map(|y| match lang {
            crate::error::Lang::Zh => format!("{y} 年的节假日安排尚未导入，已按仅周末休息计算；请管理员导入 {y} 年日历"),
            crate::error::Lang::En => {
                format!("the {y} holiday calendar is not loaded; weekends only were assumed — an admin should import {y}")
            }
        })
        .collect()
}

/// Stores a validated year and moves the `refund_due` of every request still waiting for its
/// refund where the new calendar changes it, each through `store::apply` (its version bumps
/// and its own audit event says so). Shared by the API and `verifund calendar import`.
/// Returns the requests whose deadline moved.
pub async fn replace_year(
    ctx: crate::store::apply::Ctx<'_>,
    y: &YearCalendar,
    by: Option<(i32, String)>,
) -> Result<Vec<i32>, crate::error::ApiError> {
    use crate::store::apply::{By, Change, Order, apply_in};
    use crate::store::audit::{self, AuditAction, NewEvent};
    use entity::request;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let before = get(&tx, y.year).await?.map(|m| serde_json::json!({"holidays": m.holidays, "workdays": m.workdays}));
    put(&tx, y, ctx.now).await?;
    let cal = load(&tx).await?;
    let (actor_id, actor_name) = by.map(|(id, n)| (Some(id), n)).unwrap_or((None, "cli".into()));
    let waiting = request::Entity::find()
        .filter(request::Column::Status.eq(crate::domain::workflow::Status::Paid.as_str()))
        .filter(request::Column::PaidAt.is_not_null())
        .all(&tx)
        .await?;
    let mut changed = Vec::new();
    for r in waiting {
        let Some(paid_at) = r.paid_at else { continue };
        let due = crate::domain::deadlines::refund_due(&cal, paid_at).value;
        if r.refund_due == Some(due) {
            continue;
        }
        let by = By::Operator { id: actor_id, name: &actor_name };
        let order = Order {
            comment: Some(format!("{} 年节假日安排更新，退款截止日重算", y.year)),
            ..Order::new(Change::RefundDue { due })
        };
        apply_in(ctx, &tx, &mut cursor, by, &r, order).await?;
        changed.push(r.id);
    }
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id,
                actor_name: actor_name.clone(),
                action: AuditAction::CalendarReplace,
                before,
                after: Some(serde_json::json!({
                    "year": y.year, "holidays": y.holidays, "workdays": y.workdays, "refund_due_recomputed_for": changed,
                })),
                ..Default::default()
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(changed)
}
