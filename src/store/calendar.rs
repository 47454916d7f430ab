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
