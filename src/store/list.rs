//! Which requests a list shows and in what order: the filters of `GET /requests`, shared
//! by the list, the exports and the CLI.
use crate::domain::flags::Flag;
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;
use entity::request;
use sea_orm::sea_query::{Alias, BinOper, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter};
use serde::Deserialize;

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

/// The list filters as a condition, shared by the list, the to-do list and the exports.
pub fn filter_condition(q: &ListQuery, today: NaiveDate, backend: DatabaseBackend) -> ApiResult<Condition> {
    let mut cond = Condition::all();
    if let Some(s) = q.status {
        cond = cond.add(status_condition(s, today));
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
    if let Some(text) = search_text(q) {
        cond = cond.add(text_condition(text, backend));
    }
    if let Some(flag) = q.flag.as_deref() {
        let Some(flag) = Flag::parse(flag) else {
            let all = Flag::ALL.map(Flag::as_str).join(", ");
            return Err(ApiError::field("flag", format!("未知标记，可选：{all}"), format!("unknown flag; use one of {all}")));
        };
        cond = cond.add(flag_condition(flag, today));
    }
    Ok(cond)
}

/// Whether `q` filters by anything but its status and its text: the shortcuts that read
/// stored totals or the search index alone know only those two.
fn narrows_beyond_status_and_text(q: &ListQuery) -> bool {
    q.kind.is_some() || q.flag.is_some() || q.from.is_some() || q.to.is_some() || q.department_id.is_some() || q.requester_id.is_some()
}

/// The trimmed `q`, when there is one.
fn search_text(q: &ListQuery) -> Option<&str> {
    q.q.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// `q`: the text in the number, title, payer, payee or purpose, as `LIKE '%text%'` (literal,
/// ASCII case-insensitive on SQLite, case-sensitive on PostgreSQL).
///
/// The index answers it: on PostgreSQL the `pg_trgm` GIN indexes serve the `LIKE` itself; on
/// SQLite the FTS5 trigram table `requests_search` narrows the rows first (a phrase of three
/// or more characters; the trigram table folds case at least as widely as `LIKE`, so it
/// finds a superset) and the `LIKE` keeps the meaning exact. Shorter text (腾讯, `07`) has
/// no trigram and is matched by the `LIKE` alone.
pub fn text_condition(text: &str, backend: DatabaseBackend) -> Condition {
    let columns = [
        request::Column::Number,
        request::Column::Title,
        request::Column::PayerEntity,
        request::Column::PayeeName,
        request::Column::Purpose,
    ];
    let like = columns.into_iter().fold(Condition::any(), |c, col| c.add(crate::store::contains_text(col, text)));
    let text = text.replace('\0', "");
    let short = text.chars().count() < 3;
    if backend == DatabaseBackend::Postgres && short {
        // No trigram to look up: a GIN scan would visit every entry and recheck every row.
        // `COALESCE(col, '')` (the same match: a NULL number matches nothing either way) keeps
        // the planner on the list's own order, which finds a common short word's first page
        // at once and a rare one by a scan.
        let pattern = format!("%{}%", crate::store::escape_like(&text));
        return columns.into_iter().fold(Condition::any(), |c, col| {
            c.add(
                Expr::expr(sea_orm::sea_query::Func::coalesce([Expr::col((request::Entity, col)), Expr::val("")]))
                    .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
            )
        });
    }
    if backend != DatabaseBackend::Sqlite || short {
        return like;
    }
    let phrase = match_phrase(&text);
    let matched = Query::select()
        .expr(Expr::cust("rowid"))
        .from(Alias::new("requests_search"))
        .and_where(Expr::col(Alias::new("requests_search")).binary(BinOper::Custom("MATCH"), phrase))
        .to_owned();
    let indexed = Condition::all().add(Expr::col((request::Entity, request::Column::Id)).in_subquery(matched));
    // Without the `LIKE` the rows themselves need not be read: counting the matches of a common
    // word (星火传媒 in 8% of 100,000 requests) took 17 ms with it and 5 ms without.
    if index_matches_exactly(&text) { indexed } else { indexed.add(like) }
}

/// `text` as one FTS5 phrase: a literal substring, quotes doubled.
fn match_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A search the SQLite trigram index answers on its own: text alone (no other filter) by a
/// caller who sees every request, text of three or more characters that the index matches
/// exactly (`index_matches_exactly`). Then the index's own rowids are the matching requests,
/// newest first, and neither the total nor the page reads the requests table: finance
/// searching a payee (星火传媒, 8% of all requests) is the common case. Answers the phrase.
pub fn index_only_search(q: &ListQuery, backend: DatabaseBackend, sees_all: bool) -> Option<String> {
    let text = search_text(q)?.replace('\0', "");
    let alone = q.status.is_none() && !narrows_beyond_status_and_text(q);
    (backend == DatabaseBackend::Sqlite && sees_all && alone && text.chars().count() >= 3 && index_matches_exactly(&text))
        .then(|| match_phrase(&text))
}

/// How many requests an `index_only_search` phrase matches, counting no further than `cap`.
pub async fn index_only_total(db: &impl ConnectionTrait, phrase: &str, cap: u64) -> Result<u64, DbErr> {
    let sql = "SELECT COUNT(*) AS n FROM (SELECT rowid FROM requests_search WHERE requests_search MATCH $1 LIMIT $2)";
    let row = db
        .query_one_raw(crate::db::stmt(db.get_database_backend(), sql, vec![phrase.into(), (cap as i64).into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("count".into()))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

/// A page of an `index_only_search` in the list's default order (newest first).
pub async fn index_only_page(db: &impl ConnectionTrait, phrase: &str, limit: u64, offset: u64) -> Result<Vec<i32>, DbErr> {
    let sql = "SELECT rowid AS id FROM requests_search WHERE requests_search MATCH $1 ORDER BY rowid DESC LIMIT $2 OFFSET $3";
    let values = vec![phrase.into(), (limit as i64).into(), (offset as i64).into()];
    let rows = db.query_all_raw(crate::db::stmt(db.get_database_backend(), sql, values)).await?;
    rows.iter().map(|r| r.try_get::<i32>("", "id")).collect()
}

/// Whether the trigram index alone finds exactly what `LIKE` finds for `text`. They differ only
/// in case: the index folds all of Unicode (`Ä` = `ä`), `LIKE` only ASCII. A character without
/// case (Chinese, digits, punctuation) folds to itself and nothing else folds to it, so the two
/// agree on it. So they do on an ASCII letter, except `i`, `k` and `s`: `İ` (U+0130), the Kelvin
/// sign (U+212A) and `ſ` (U+017F) fold to those in the index but not in `LIKE`. Any other letter
/// with a case keeps the `LIKE`.
fn index_matches_exactly(text: &str) -> bool {
    text.chars().all(|c| {
        let caseless = c.to_lowercase().eq([c]) && c.to_uppercase().eq([c]);
        caseless || (c.is_ascii_alphabetic() && !matches!(c.to_ascii_lowercase(), 'i' | 'k' | 's'))
    })
}

/// The list's total read from the per-status counts (`request_counts`, kept by triggers in
/// the same transaction as every write) instead of counted: for a caller who sees every
/// request, with no filter or a status filter only. `None` for every other shape.
pub async fn stored_total(db: &impl ConnectionTrait, q: &ListQuery, today: NaiveDate) -> Result<Option<u64>, DbErr> {
    if narrows_beyond_status_and_text(q) || search_text(q).is_some() {
        return Ok(None);
    }
    let rows = db.query_all_raw(crate::db::stmt(db.get_database_backend(), "SELECT status, n FROM request_counts", vec![])).await?;
    let mut stored = std::collections::HashMap::new();
    for r in rows {
        stored.insert(r.try_get::<String>("", "status")?, r.try_get::<i64>("", "n")?);
    }
    let of = |s: Status| stored.get(s.as_str()).copied().unwrap_or(0);
    // Lapsed verification orders read as expired (`effective_status`); they are few (the
    // daily job expires them) and found through the (status, pay_by) index.
    let lapsed = |statuses: &[Status]| {
        let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        request::Entity::find().filter(lapsed(today)).filter(request::Column::Status.is_in(statuses)).count(db)
    };
    let in_flight = [Status::PendingManager, Status::PendingFinance, Status::Approved];
    let n = match q.status {
        None => stored.values().sum::<i64>(),
        Some(Status::Expired) => of(Status::Expired) + lapsed(&in_flight).await? as i64,
        Some(s) if in_flight.contains(&s) => of(s) - lapsed(&[s]).await? as i64,
        Some(s) => of(s),
    };
    Ok(Some(u64::try_from(n).unwrap_or(0)))
}

/// How many requests are stored with `status` (`request_counts`).
pub async fn stored_count(db: &impl ConnectionTrait, status: Status) -> Result<u64, DbErr> {
    let row = db
        .query_one_raw(crate::db::stmt(
            db.get_database_backend(),
            "SELECT n FROM request_counts WHERE status = $1",
            vec![status.as_str().into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => u64::try_from(r.try_get::<i64>("", "n")?).unwrap_or(0),
        None => 0,
    })
}

/// A text search's total is counted up to this many matches: text of fewer than three
/// characters (腾讯) has no trigram to look up and may match most requests, and a total is
/// counted again after every write: counting 10,000 matches of 腾讯 took 15 ms on 100,000
/// requests. Beyond it `total` says this many (250 pages of twenty; the pages past it still
/// answer); README "Performance" documents it.
pub const SEARCH_TOTAL_CAP: u64 = 5_000;

/// How many rows `select` finds, counting no further than `cap`.
pub async fn count_at_most(db: &impl ConnectionTrait, select: sea_orm::Select<request::Entity>, cap: u64) -> Result<u64, DbErr> {
    use sea_orm::{QuerySelect, QueryTrait};
    let inner = select.select_only().column(request::Column::Id).limit(cap).into_query();
    let outer = Query::select().expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from_subquery(inner, Alias::new("capped")).to_owned();
    let row = db.query_one(&outer).await?.ok_or_else(|| DbErr::RecordNotFound("count".into()))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

/// Whether the list query searches text (its total is then counted up to `SEARCH_TOTAL_CAP`).
pub fn searches_text(q: &ListQuery) -> bool {
    search_text(q).is_some()
}

/// Verification orders whose `pay_by` has passed while pending or approved: they read as
/// `expired` (`domain::flags::effective_status`) until the daily job makes it so.
fn lapsed(today: NaiveDate) -> Condition {
    let in_flight = [Status::PendingManager, Status::PendingFinance, Status::Approved].map(|s| s.as_str());
    Condition::all()
        .add(request::Column::Kind.eq(Kind::VerificationTransfer.as_str()))
        .add(request::Column::Status.is_in(in_flight))
        .add(request::Column::PayBy.lt(today))
}

/// The SQL form of `effective_status`, so that filtering and display agree.
fn status_condition(s: Status, today: NaiveDate) -> Condition {
    let stored = Condition::all().add(request::Column::Status.eq(s.as_str()));
    match s {
        Status::Expired => Condition::any().add(stored).add(lapsed(today)),
        Status::PendingManager | Status::PendingFinance | Status::Approved => stored.add(lapsed(today).not()),
        _ => stored,
    }
}

/// The SQL form of `domain::flags::flags`, so that filtering and display agree.
fn flag_condition(flag: Flag, today: NaiveDate) -> Condition {
    let pending = [Status::PendingManager, Status::PendingFinance, Status::Approved].map(|s| s.as_str());
    match flag {
        Flag::PayoutOverdue => Condition::all()
            .add(request::Column::Status.is_in(pending))
            .add(request::Column::PayBy.lt(today))
            .add(request::Column::Kind.ne(Kind::VerificationTransfer.as_str())),
        Flag::RefundOverdue => {
            Condition::all().add(request::Column::Status.eq(Status::Paid.as_str())).add(request::Column::RefundDue.lt(today))
        }
        Flag::RefundMismatch => {
            Condition::all().add(request::Column::Status.eq(Status::Paid.as_str())).add(request::Column::RefundAmountFen.is_not_null())
        }
        Flag::DuplicateSuspect => Condition::all().add(request::Column::Flags.contains(Flag::DuplicateSuspect.as_str())),
    }
}

/// The `sort` parameter: a column, `-` for descending.
pub fn sort_order(sort: Option<&str>) -> ApiResult<(request::Column, Order)> {
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

#[cfg(test)]
mod tests {
    use super::index_matches_exactly;

    #[test]
    fn the_index_answers_alone_only_where_it_folds_case_as_like_does() {
        for exact in ["星火传媒", "0007", "腾讯计算机", "2026-11", "（深圳）", "１２３", "YF202611-0007", "MALL", "深圳abc"]
        {
            assert!(index_matches_exactly(exact), "{exact}");
        }
        for rechecked in ["Ärger", "kelvin", "risun", "WeChat Pay Kit", "ΣΑΣ", "Ｍall"] {
            assert!(!index_matches_exactly(rechecked), "{rechecked}");
        }
    }
}
