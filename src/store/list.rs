//! Which requests a list shows and in what order: the filters of `GET /requests`, shared
//! by the list, the exports and the CLI.
use crate::domain::flags::Flag;
use crate::domain::workflow::{Kind, Status};
use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;
use entity::request;
use sea_orm::sea_query::{Alias, BinOper, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
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

/// Whether the list `q` asks for can never hold a draft: one of another status, or of a flag
/// only requests past their submission carry (a draft may be a suspected duplicate).
pub fn never_shows_drafts(q: &ListQuery) -> bool {
    matches!(q.status, Some(s) if s != Status::Draft)
        || q.flag.as_deref().and_then(Flag::parse).is_some_and(|f| f != Flag::DuplicateSuspect)
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

/// The searched columns: the request's number, title, payer, payee and purpose, and its
/// mini-program's name and AppID (`search_mini_program`, a column generated from the
/// `mini_program` JSON; not in the entity, nothing writes it).
fn searched_columns() -> [Expr; 6] {
    let col = |c: request::Column| Expr::col((request::Entity, c));
    [
        col(request::Column::Number),
        col(request::Column::Title),
        col(request::Column::PayerEntity),
        col(request::Column::PayeeName),
        col(request::Column::Purpose),
        Expr::col((request::Entity, Alias::new("search_mini_program"))),
    ]
}

/// `q`: the text in any searched column, as `LIKE '%text%'` (literal, ASCII case-insensitive
/// on SQLite, case-sensitive on PostgreSQL).
///
/// An index answers it:
/// - text of three or more characters: on PostgreSQL the `pg_trgm` GIN indexes serve the
///   `LIKE` itself; on SQLite the FTS5 trigram table `requests_search` narrows the rows first
///   (it folds case at least as widely as `LIKE`, so it finds a superset) and the `LIKE`
///   keeps the meaning exact where the two could differ (`index_matches_exactly`);
/// - text of one or two characters (腾讯, `07`), which has no trigram: on SQLite the FTS5
///   table `requests_grams`, whose tokens are the two-character substrings, for letters,
///   digits and Chinese characters (`gram_phrase`). Other short text (`-1`) on SQLite, and
///   common short text on PostgreSQL, is matched by the `LIKE` alone, in the list's order (a
///   common word's page at once, a rare one by a scan; the total counts up to
///   `SEARCH_TOTAL_CAP`). Rare short text on PostgreSQL is looked up in
///   `idx_requests_short_grams` as well (`rare_short_text`, added by the list).
pub fn text_condition(text: &str, backend: DatabaseBackend) -> Condition {
    let text = text.replace('\0', "");
    let like = |coalesced: bool| like_condition(&text, backend, coalesced);
    match backend {
        // No trigram to look up: a GIN scan would visit every entry and recheck every row. The
        // coalesced `LIKE` keeps the planner on the list's own order, which finds a common
        // short word's first page at once (腾讯 is in most requests) and a rare one by a scan.
        DatabaseBackend::Postgres if !has_trigram(&text) => like(true),
        DatabaseBackend::Sqlite => {
            let Some((table, phrase)) = sqlite_index_phrase(&text) else { return like(false) };
            let matched = Query::select()
                .expr(Expr::cust("rowid"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new(table)).binary(BinOper::Custom("MATCH"), phrase))
                .to_owned();
            let indexed = Condition::all().add(Expr::col((request::Entity, request::Column::Id)).in_subquery(matched));
            // Without the `LIKE` the rows themselves need not be read: counting the matches of
            // a common word (星火传媒 in 8% of 100,000 requests) took 17 ms with it and 5 ms
            // without.
            if index_matches_exactly(&text) { indexed } else { indexed.add(like(false)) }
        }
        _ => like(false),
    }
}

/// `text` (without NULs) in any searched column by `LIKE` alone. `coalesced`: `COALESCE(col, '')`
/// instead of the column (the same match: a NULL matches nothing either way), which
/// PostgreSQL's trigram indexes do not serve.
fn like_condition(text: &str, backend: DatabaseBackend, coalesced: bool) -> Condition {
    let pattern = format!("%{}%", crate::store::escape_like(text));
    // A number (`YF{YYYYMM}-{NNNN}`) holds `YF` only at its start, so text that begins with
    // it is in a number exactly when the number begins with it. On PostgreSQL that prefix is
    // looked up in a btree (migration 37) instead of the trigrams every number shares.
    let number_prefix =
        (backend == DatabaseBackend::Postgres && text.starts_with("YF")).then(|| format!("{}%", crate::store::escape_like(text)));
    searched_columns().into_iter().enumerate().fold(Condition::any(), |c, (i, col)| {
        let pattern = match (&number_prefix, i) {
            // The number is the first searched column.
            (Some(prefix), 0) if !coalesced => prefix.clone(),
            _ => pattern.clone(),
        };
        let col = if coalesced { Expr::expr(sea_orm::sea_query::Func::coalesce([col, Expr::val("")])) } else { col };
        c.add(col.like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')))
    })
}

/// What an `index_only_search` finds, by `LIKE` alone: the same requests (the index matches
/// that text exactly), for testing a few known rows without running the index's query.
pub fn index_only_search_by_like(q: &ListQuery, backend: DatabaseBackend) -> sea_orm::Select<request::Entity> {
    let text = search_text(q).map(|t| t.replace('\0', "")).unwrap_or_default();
    request::Entity::find().filter(like_condition(&text, backend, false))
}

/// The searched columns through `verifund_short_grams` (PostgreSQL, migration 39): every one-
/// and two-character substring of each, as `idx_requests_short_grams` holds them.
const SHORT_GRAMS: &str = r#"verifund_short_grams("requests"."number", "requests"."title", "requests"."payer_entity", "requests"."payee_name", "requests"."purpose", "requests"."search_mini_program")"#;

/// The one- and two-character substrings that PostgreSQL's statistics list as common in the
/// searched text (`most_common_elems` of `idx_requests_short_grams`: on 1,000,000 requests 354
/// of them, each in at least 1.2% of the requests), read again after `COMMON_GRAMS_FOR`.
///
/// Text among them is matched by its `LIKE` alone, tested in the list's order: that finds a
/// common word's page at once and stops counting at `SEARCH_TOTAL_CAP`, where the index
/// would read every one of its hundreds of thousands of requests (腾讯 in 80%: 650 ms). Other
/// short text is rare, and its `LIKE` would read every request to count it (浦发: 1.7 s);
/// the index finds its few requests at once (5 ms). Without statistics none counts as rare.
#[derive(Default)]
pub struct CommonGrams(std::sync::Mutex<Option<(std::time::Instant, Grams)>>);

/// The common grams as last read: `None` when the table had no statistics.
type Grams = std::sync::Arc<Option<std::collections::HashSet<String>>>;

/// How long `CommonGrams` are kept: statistics change with ANALYZE, a few times a day.
const COMMON_GRAMS_FOR: std::time::Duration = std::time::Duration::from_secs(600);

impl CommonGrams {
    async fn read(&self, db: &impl ConnectionTrait) -> Result<Grams, DbErr> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((_, grams)) = kept.filter(|(at, _)| at.elapsed() < COMMON_GRAMS_FOR) {
            return Ok(grams);
        }
        let sql = "SELECT unnest(most_common_elems::text::text[]) AS g FROM pg_stats \
                   WHERE schemaname = current_schema() AND tablename = 'idx_requests_short_grams'";
        let rows = db.query_all_raw(sea_orm::Statement::from_string(DatabaseBackend::Postgres, sql)).await?;
        let grams: std::collections::HashSet<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "g").ok()).collect();
        // No statistics yet (never analyzed since the table filled): nothing is known to be
        // rare (`None`), and short text is matched as before the index.
        let grams = std::sync::Arc::new((!grams.is_empty()).then_some(grams));
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), grams.clone()));
        Ok(grams)
    }
}

/// For rare text of one or two characters on PostgreSQL (not among `common`): the condition
/// that finds it through `idx_requests_short_grams` (a superset only in that it ignores which
/// column holds the text; the list's `LIKE` stays). `None` for other text and databases.
pub async fn rare_short_text(db: &impl ConnectionTrait, common: &CommonGrams, q: &ListQuery) -> Result<Option<Condition>, DbErr> {
    let Some(text) = search_text(q).map(|t| t.replace('\0', "")) else { return Ok(None) };
    // (Text of NULs alone is empty here: `string_to_array('', '')` is the empty array, which
    // every row contains.)
    if db.get_database_backend() != DatabaseBackend::Postgres || text.is_empty() || has_trigram(&text) {
        return Ok(None);
    }
    if common.read(db).await?.as_ref().as_ref().is_none_or(|common| common.contains(&text)) {
        return Ok(None);
    }
    // `string_to_array(text, '')` is the one-element array of `text`.
    let one = sea_orm::sea_query::Func::cust(Alias::new("string_to_array")).arg(Expr::val(text)).arg(Expr::val(""));
    Ok(Some(Condition::all().add(Expr::cust(SHORT_GRAMS).binary(BinOper::Custom("@>"), one))))
}

/// Whether `text` (without NULs) has a trigram to look up: three characters or more.
fn has_trigram(text: &str) -> bool {
    text.chars().count() >= 3
}

/// The SQLite FTS5 table and query that find (a superset of) the requests whose searched text
/// holds `text`: the trigram table for three characters or more, the two-character table for
/// one or two letters, digits or Chinese characters; `None` for other short text.
fn sqlite_index_phrase(text: &str) -> Option<(&'static str, String)> {
    if has_trigram(text) { Some(("requests_search", match_phrase(text))) } else { gram_phrase(text).map(|p| ("requests_grams", p)) }
}

/// `text` as one FTS5 phrase: a literal substring, quotes doubled.
fn match_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The `requests_grams` query for text of one or two characters, each an ASCII letter or digit
/// or a Chinese character (the `unicode61` tokenizer keeps exactly those together; it splits
/// at a space or punctuation, so `-1` has no token of its own). Two characters are one token;
/// one character is the start of a token: every character of the text starts the token of
/// its two-character substring (or is the last one, alone).
fn gram_phrase(text: &str) -> Option<String> {
    let n = text.chars().count();
    let kept =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}');
    ((1..=2).contains(&n) && text.chars().all(kept)).then(|| if n == 2 { format!("\"{text}\"") } else { format!("\"{text}\"*") })
}

/// A search the SQLite index answers on its own: text alone (no other filter) by a caller who
/// sees every request, text that the index matches exactly (`index_matches_exactly`). Then
/// the index's own rowids are the matching requests, newest first, and neither the total nor
/// the page reads the requests table: finance searching a payee (星火传媒, 8% of all
/// requests) is the common case. Answers the FTS5 table and its query.
pub fn index_only_search(q: &ListQuery, backend: DatabaseBackend, sees_all: bool) -> Option<(&'static str, String)> {
    let text = search_text(q)?.replace('\0', "");
    let alone = q.status.is_none() && !narrows_beyond_status_and_text(q);
    if backend != DatabaseBackend::Sqlite || !sees_all || !alone || !index_matches_exactly(&text) {
        return None;
    }
    sqlite_index_phrase(&text)
}

/// How many requests an `index_only_search` matches, counting no further than `cap`.
pub async fn index_only_total(db: &impl ConnectionTrait, (table, phrase): &(&str, String), cap: u64) -> Result<u64, DbErr> {
    let sql = format!("SELECT COUNT(*) AS n FROM (SELECT rowid FROM {table} WHERE {table} MATCH $1 LIMIT $2)");
    let row = db
        .query_one_raw(crate::db::stmt(db.get_database_backend(), &sql, vec![phrase.as_str().into(), (cap as i64).into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("count".into()))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

/// A page of an `index_only_search` in the list's default order (newest first).
pub async fn index_only_page(
    db: &impl ConnectionTrait,
    (table, phrase): &(&str, String),
    limit: u64,
    offset: u64,
) -> Result<Vec<i32>, DbErr> {
    let sql = format!("SELECT rowid AS id FROM {table} WHERE {table} MATCH $1 ORDER BY rowid DESC LIMIT $2 OFFSET $3");
    let values = vec![phrase.as_str().into(), (limit as i64).into(), (offset as i64).into()];
    let rows = db.query_all_raw(crate::db::stmt(db.get_database_backend(), &sql, values)).await?;
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
    // Each status by its key: every write updates one of these ten rows, and on PostgreSQL the
    // table keeps the pages its old versions took (a bulk load left 46 MB that a plain scan
    // read on every list rendering, 7.7 ms; by key, 0.13 ms).
    let statuses = Status::ALL.map(|s| sea_orm::Value::from(s.as_str())).to_vec();
    let placeholders = (1..=statuses.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT status, n FROM request_counts WHERE status IN ({placeholders})");
    let rows = db.query_all_raw(crate::db::stmt(db.get_database_backend(), &sql, statuses)).await?;
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

/// The most writes `total_after_creations` reads through; after more, the total is counted.
const CREATIONS_READ: i64 = 64;

/// A total kept at an earlier data version, brought up to `seq` (the full data version) without
/// counting again, when every audited write since created a request and did nothing else (a
/// requester saving new drafts is most of what a finance office writes). Nothing counted
/// before changed then: the total grows by the new requests that `matching` finds, and a total
/// that had reached `cap` stays there. `None` when anything else was written, or more than
/// `CREATIONS_READ` events, or no total is kept that holds exactly its version's data.
///
/// What it answers holds exactly the data at `seq` as far as later writes can tell: the new
/// requests are read as they are now, and a later edit of one is a write that no total grows
/// across.
pub async fn total_after_creations(
    db: &impl ConnectionTrait,
    counts: &crate::store::cache::CountCache,
    key: &str,
    seq: i64,
    matching: sea_orm::Select<request::Entity>,
    cap: Option<u64>,
) -> Result<Option<u64>, DbErr> {
    let Some((then, before)) = counts.latest_exact(key) else { return Ok(None) };
    if then >= seq {
        return Ok(None);
    }
    let Some(created) = creations_between(db, then, seq).await? else { return Ok(None) };
    if let Some(cap) = cap
        && before >= cap
    {
        return Ok(Some(cap));
    }
    let added = matching.filter(request::Column::Id.is_in(created)).count(db).await?;
    Ok(Some(cap.map_or(before + added, |cap| std::cmp::min(before + added, cap))))
}

/// The requests created by the audited writes after data version `then` up to `seq`, when
/// those writes did nothing else and are at most `CREATIONS_READ`; `None` otherwise.
async fn creations_between(db: &impl ConnectionTrait, then: i64, seq: i64) -> Result<Option<Vec<i32>>, DbErr> {
    if seq - then > CREATIONS_READ {
        return Ok(None);
    }
    let sql = "SELECT action, request_id FROM audit_events WHERE seq > $1 AND seq <= $2";
    let rows = db.query_all_raw(crate::db::stmt(db.get_database_backend(), sql, vec![then.into(), seq.into()])).await?;
    if rows.len() as i64 != seq - then {
        return Ok(None);
    }
    let mut created = Vec::with_capacity(rows.len());
    for r in &rows {
        match (r.try_get::<String>("", "action")?, r.try_get::<Option<i32>>("", "request_id")?) {
            (action, Some(id)) if action == crate::domain::audit::AuditAction::Create.as_str() => created.push(id),
            _ => return Ok(None),
        }
    }
    Ok(Some(created))
}

/// Rows before a page of a newest-first list from which `anchored_page` finds it from where it
/// began last time. Nearer the top, skipping the rows costs less than finding where they end,
/// except where each row skipped is tested against a searched text (PostgreSQL) or where the
/// search index's query reads every match (SQLite): those lists keep every page.
pub const ANCHORED_FROM: u64 = 1_000;

/// A page of a newest-first list (`matching`, by id descending, `per_page` rows from `offset`)
/// at data version `seq`, found from the page as it was at an earlier version (`anchors`,
/// under `key`) instead of skipping every row before it again. Only requests created since
/// can have changed it, and only those that match (`entering` finds the same requests as
/// `matching`, tested row by row): with none, the page is as it was; else each entered above
/// it (its id is above the ids the page now begins from, which is checked), so the page now
/// begins as many matching rows above where it began then, and on the first page the new ones
/// are its first rows. `None` when no page is kept or anything but creations was written
/// since (the page is found by skipping, and `anchor_page` keeps it), and when new ones match
/// a list given without `matching` (one whose rows only the search index finds in order).
pub async fn anchored_page(
    db: &impl ConnectionTrait,
    anchors: &crate::store::cache::PageAnchors,
    (key, seq): (&str, i64),
    (matching, entering): (Option<sea_orm::Select<request::Entity>>, sea_orm::Select<request::Entity>),
    (per_page, offset): (u64, u64),
) -> Result<Option<Vec<i32>>, DbErr> {
    let Some((then, kept)) = anchors.get(key) else { return Ok(None) };
    let Some(&first) = kept.first() else { return Ok(None) };
    if then > seq {
        return Ok(None);
    }
    let created = match then == seq {
        true => Vec::new(),
        false => match creations_between(db, then, seq).await? {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    let entered: Vec<i32> = match created.is_empty() {
        true => Vec::new(),
        false => entering.select_only().column(request::Column::Id).filter(request::Column::Id.is_in(created)).into_tuple().all(db).await?,
    };
    if entered.is_empty() {
        anchors.put(key.to_owned(), seq, &kept);
        return Ok(Some(kept.to_vec()));
    }
    let Some(matching) = matching else { return Ok(None) };
    if offset == 0 {
        return first_page_after_creations(db, anchors, (key, seq), matching, per_page, first, entered).await;
    }
    let k = entered.len() as u64;
    let above = matching.clone().select_only().column(request::Column::Id).filter(request::Column::Id.gt(first));
    let Some(begins) = above.order_by_asc(request::Column::Id).offset(k - 1).into_tuple().one(db).await? else {
        return Ok(None);
    };
    // The k rows just above the anchor must all be old ones: a request whose id was taken long
    // before its creation was recorded could be among them (an id is not its commit order).
    if entered.iter().any(|id| *id <= begins) {
        return Ok(None);
    }
    let page = newest_up_to(db, matching, begins, per_page).await?;
    anchors.put(key.to_owned(), seq, &page);
    Ok(Some(page))
}

/// The first page of a newest-first list after creations only, of which `entered` match: they
/// come first, then the rows from the page's old first row (`first`) down. `None` when one of
/// them has an id below that row (an id is not its commit order).
async fn first_page_after_creations(
    db: &impl ConnectionTrait,
    anchors: &crate::store::cache::PageAnchors,
    (key, seq): (&str, i64),
    matching: sea_orm::Select<request::Entity>,
    per_page: u64,
    first: i32,
    mut entered: Vec<i32>,
) -> Result<Option<Vec<i32>>, DbErr> {
    if entered.iter().any(|id| *id <= first) {
        return Ok(None);
    }
    entered.sort_unstable_by(|a, b| b.cmp(a));
    entered.truncate(per_page as usize);
    let rest = per_page - entered.len() as u64;
    if rest > 0 {
        entered.extend(newest_up_to(db, matching, first, rest).await?);
    }
    anchors.put(key.to_owned(), seq, &entered);
    Ok(Some(entered))
}

/// The ids of the newest `n` requests of `matching` whose id is at most `upto`.
async fn newest_up_to(db: &impl ConnectionTrait, matching: sea_orm::Select<request::Entity>, upto: i32, n: u64) -> Result<Vec<i32>, DbErr> {
    let ids = matching.select_only().column(request::Column::Id).filter(request::Column::Id.lte(upto));
    ids.order_by_desc(request::Column::Id).limit(n).into_tuple().all(db).await
}

/// A page of a newest-first list as `read` finds it (by skipping its offset), read in one
/// snapshot with the data version so that it can be kept to be found again from.
pub async fn anchor_page(
    db: &DatabaseConnection,
    anchors: &crate::store::cache::PageAnchors,
    key: &str,
    read: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<Vec<i32>, DbErr>,
) -> Result<Vec<i32>, DbErr> {
    let (at, page) = crate::store::cache::at_data_version(db, read).await?;
    anchors.put(key.to_owned(), at, &page);
    Ok(page)
}

/// At most this many matches of a text search make `page_of_few` the way to its page.
pub const FEW_MATCHES: u64 = 2_000;

/// Whether `q` searches text that PostgreSQL's trigram indexes answer (three characters or
/// more): its page is found by `page_of_few` when the total is small.
pub fn trigram_search_on_postgres(q: &ListQuery, backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres && search_text(q).is_some_and(|t| has_trigram(&t.replace('\0', "")))
}

/// A page of `matching` in `order` when it holds few requests (PostgreSQL): the matches first,
/// on their own (a materialized CTE, so the planner cannot walk the list's order instead),
/// then their page in the list's order. `page` is (offset, limit).
pub async fn page_of_few(
    db: &impl ConnectionTrait,
    matching: sea_orm::Select<request::Entity>,
    (col, order): (request::Column, Order),
    (offset, limit): (u64, u64),
) -> Result<Vec<i32>, DbErr> {
    use sea_orm::QueryTrait;
    let inner = matching.select_only().column(request::Column::Id).build(db.get_database_backend());
    let direction = if order == Order::Desc { "DESC" } else { "ASC" };
    let sql = format!(
        "WITH m AS MATERIALIZED ({}) SELECT r.id FROM requests r JOIN m ON m.id = r.id \
         ORDER BY r.\"{}\" {direction}, r.id DESC LIMIT {limit} OFFSET {offset}",
        inner.sql,
        sea_orm::IdenStatic::as_str(&col)
    );
    let values = inner.values.map(|v| v.0).unwrap_or_default();
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    rows.iter().map(|r| r.try_get::<i32>("", "id")).collect()
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
    use super::{gram_phrase, index_matches_exactly};

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

    #[test]
    fn short_text_of_letters_digits_and_chinese_is_one_token_or_a_prefix_of_some() {
        for (text, phrase) in [("腾讯", "\"腾讯\""), ("07", "\"07\""), ("Ki", "\"Ki\""), ("商", "\"商\"*"), ("F", "\"F\"*")] {
            assert_eq!(gram_phrase(text).as_deref(), Some(phrase), "{text}");
        }
        // The tokenizer splits at these, or they are not short: `LIKE` alone (or trigrams).
        for text in ["-1", "%_", "a ", "（深", "１２", "Ä", "abc", ""] {
            assert_eq!(gram_phrase(text), None, "{text}");
        }
    }
}
