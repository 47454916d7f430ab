//! The finance figures (DESIGN §2.7), summed by the database: each query groups by month or
//! by payout day over the `paid_at` / `refunded_at` indexes, so a call reads a few grouped
//! rows however many requests there are.
use crate::domain::calendar::Calendar;
use crate::domain::figures::{AgingBucket, Month, Movement, outstanding};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult};
use std::collections::HashMap;

/// A count and an exact sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    pub month: Month,
    pub payouts: Total,
    pub refunds: Total,
    pub outstanding_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingFigures {
    pub bucket: AgingBucket,
    pub total: Total,
}

/// `YYYY-MM` of a date column, in the backend's own words.
fn month_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        _ => format!("substr({column}, 1, 7)"),
    }
}

/// An exact integer sum (PostgreSQL sums bigint into numeric).
fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

fn total(row: &QueryResult, count: &str, amount: &str) -> Result<Total, DbErr> {
    Ok(Total { count: row.try_get("", count)?, amount_fen: row.try_get("", amount)? })
}

/// Per month from `months[0]` to the last: payouts (every kind), refunds, and the refundable
/// money still out at each month's end.
pub async fn monthly(db: &impl ConnectionTrait, months: &[Month]) -> Result<Vec<MonthFigures>, DbErr> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else { return Ok(Vec::new()) };
    let backend = db.get_database_backend();
    let (start, end) = (first.first_day(), last.last_day());
    let q = |sql: String, values: Vec<sea_orm::Value>| db.query_all_raw(crate::db::stmt(backend, &sql, values));

    let payout_rows = q(
        format!(
            "SELECT {m} AS month, COUNT(*) AS n, {all} AS amount, {refundable} AS refundable_amount FROM requests \
             WHERE paid_at >= $1 AND paid_at <= $2 AND payout_amount_fen IS NOT NULL GROUP BY {m}",
            m = month_of(backend, "paid_at"),
            all = sum("payout_amount_fen"),
            refundable = sum("CASE WHEN refundable THEN payout_amount_fen ELSE 0 END"),
        ),
        vec![start.into(), end.into()],
    )
    .await?;
    let refund_rows = q(
        format!(
            "SELECT {m} AS month, COUNT(*) AS n, {amount} AS amount FROM refunds \
             WHERE refunded_at >= $1 AND refunded_at <= $2 GROUP BY {m}",
            m = month_of(backend, "refunded_at"),
            amount = sum("amount_fen"),
        ),
        vec![start.into(), end.into()],
    )
    .await?;
    let opening_out = q(
        format!(
            "SELECT {} AS amount FROM requests WHERE paid_at < $1 AND refundable AND payout_amount_fen IS NOT NULL",
            sum("payout_amount_fen")
        ),
        vec![start.into()],
    )
    .await?;
    let opening_back = q(format!("SELECT {} AS amount FROM refunds WHERE refunded_at < $1", sum("amount_fen")), vec![start.into()]).await?;
    let amount = |rows: &[QueryResult]| -> Result<i64, DbErr> { rows.first().map_or(Ok(0), |r| r.try_get("", "amount")) };
    let (written_off_before, written_off) = written_off(db, start, end).await?;
    let opening = amount(&opening_out)? - amount(&opening_back)? - written_off_before;

    let mut payouts: HashMap<String, (Total, i64)> = HashMap::new();
    for row in &payout_rows {
        payouts.insert(row.try_get("", "month")?, (total(row, "n", "amount")?, row.try_get("", "refundable_amount")?));
    }
    let mut refunds: HashMap<String, Total> = HashMap::new();
    for row in &refund_rows {
        refunds.insert(row.try_get("", "month")?, total(row, "n", "amount")?);
    }
    let keyed: Vec<(Month, Total, i64, Total)> = months
        .iter()
        .map(|m| {
            let key = m.to_string();
            let (paid, refundable) = payouts.get(&key).copied().unwrap_or_default();
            (*m, paid, refundable, refunds.get(&key).copied().unwrap_or_default())
        })
        .collect();
    let movements: Vec<Movement> = keyed
        .iter()
        .map(|(m, _, refundable, back)| Movement {
            paid_out_fen: *refundable,
            refunded_fen: back.amount_fen,
            written_off_fen: written_off.get(m).copied().unwrap_or(0),
        })
        .collect();
    Ok(keyed
        .into_iter()
        .zip(outstanding(opening, &movements))
        .map(|((month, payouts, _, refunds), outstanding_fen)| MonthFigures { month, payouts, refunds, outstanding_fen })
        .collect())
}

/// Money written off (no longer expected back, `resolve` with `write_off`): the total
/// resolved before `start`, and per China month up to `end`. Write-offs are exceptions, so
/// their few rows are read and grouped here by the China day of `resolved_at`.
async fn written_off(db: &impl ConnectionTrait, start: NaiveDate, end: NaiveDate) -> Result<(i64, HashMap<Month, i64>), DbErr> {
    use entity::request;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    type Row = (Option<chrono::DateTime<chrono::Utc>>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = request::Entity::find()
        .select_only()
        .columns([request::Column::ResolvedAt, request::Column::PayoutAmountFen, request::Column::RefundAmountFen])
        .filter(request::Column::Resolution.eq(crate::domain::workflow::Resolution::WriteOff.as_str()))
        .filter(request::Column::Refundable.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let mut before = 0;
    let mut by_month: HashMap<Month, i64> = HashMap::new();
    for (at, paid, refunded) in rows {
        let (Some(at), Some(paid)) = (at, paid) else { continue };
        let day = crate::clock::china_date(at);
        let amount = paid - refunded.unwrap_or(0);
        if day < start {
            before += amount;
        } else if day <= end {
            *by_month.entry(Month::of(day)).or_default() += amount;
        }
    }
    Ok((before, by_month))
}

/// Open refunds (`paid`, refundable, the refunds not yet equal to the payout) by China
/// working days since the payout, always the four buckets in order. The database groups by
/// payout day; the calendar sorts the days into buckets.
pub async fn refund_aging(
    db: &impl ConnectionTrait,
    calendar: &Calendar,
    today: NaiveDate,
) -> Result<(Vec<AgingFigures>, Vec<i32>), DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT paid_at, COUNT(*) AS n, {open} AS amount FROM requests \
         WHERE status = 'paid' AND refundable AND paid_at IS NOT NULL AND payout_amount_fen IS NOT NULL \
         AND COALESCE(refund_amount_fen, 0) <> payout_amount_fen GROUP BY paid_at",
        open = sum("payout_amount_fen - COALESCE(refund_amount_fen, 0)"),
    );
    let rows = db.query_all_raw(crate::db::stmt(backend, &sql, Vec::new())).await?;
    let mut buckets: Vec<AgingFigures> = AgingBucket::ALL.iter().map(|b| AgingFigures { bucket: *b, total: Total::default() }).collect();
    let mut missing = Vec::new();
    for row in &rows {
        let paid_at: NaiveDate = row.try_get("", "paid_at")?;
        let t = total(row, "n", "amount")?;
        let days = calendar.working_days_between(paid_at, today);
        missing.extend(days.missing_years);
        let b = &mut buckets[AgingBucket::ALL.iter().position(|b| *b == AgingBucket::of(days.value)).unwrap_or(0)];
        b.total.count += t.count;
        b.total.amount_fen += t.amount_fen;
    }
    missing.sort_unstable();
    missing.dedup();
    Ok((buckets, missing))
}
