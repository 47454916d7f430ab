//! Bank statements in the database: what matching needs to know, in a few queries however
//! long the statement, and the lines recorded on commit (DESIGN §2.2).
use crate::domain::matching::{Matcher, OwnAccount};
use crate::domain::statement::{Line, digits};
use crate::domain::workflow::Status;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{bank_statement, bank_statement_line, company, company_account, refund, request};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use std::collections::HashSet;

/// Rows per multi-row statement (SQLite allows 32,766 bound values).
const CHUNK: usize = 500;

/// The group company that holds `account` (digits), when one does.
pub async fn own_account(db: &impl ConnectionTrait, account: &str) -> Result<Option<(OwnAccount, company::Model)>, DbErr> {
    let wanted = digits(account);
    if wanted.is_empty() {
        return Ok(None);
    }
    let Some(acc) = company_account::Entity::find().filter(company_account::Column::Account.eq(wanted.clone())).one(db).await? else {
        return Ok(None);
    };
    let Some(c) = company::Entity::find_by_id(acc.company_id).one(db).await? else { return Ok(None) };
    Ok(Some((OwnAccount { account_id: acc.id, digits: wanted }, c)))
}

/// Every request a line could concern (approved, or paid and refundable) and the refunds
/// already recorded on them.
pub async fn matcher(db: &impl ConnectionTrait, own: Option<OwnAccount>) -> Result<Matcher, DbErr> {
    let open = request::Entity::find()
        .filter(
            Condition::any()
                .add(request::Column::Status.eq(Status::Approved.as_str()))
                .add(Condition::all().add(request::Column::Status.eq(Status::Paid.as_str())).add(request::Column::Refundable.eq(true))),
        )
        .all(db)
        .await?;
    let paid: Vec<i32> = open.iter().filter(|r| r.status == Status::Paid.as_str()).map(|r| r.id).collect();
    let mut recorded = Vec::new();
    for ids in paid.chunks(CHUNK) {
        let rows: Vec<(i32, NaiveDate, i64)> = refund::Entity::find()
            .select_only()
            .columns([refund::Column::RequestId, refund::Column::RefundedAt, refund::Column::AmountFen])
            .filter(refund::Column::RequestId.is_in(ids.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        recorded.extend(rows);
    }
    Ok(Matcher::new(open, recorded, own))
}

/// Which of `fingerprints` were imported before.
pub async fn known(db: &impl ConnectionTrait, fingerprints: &[String]) -> Result<HashSet<String>, DbErr> {
    let mut found = HashSet::new();
    for chunk in fingerprints.chunks(CHUNK) {
        let rows: Vec<String> = bank_statement_line::Entity::find()
            .select_only()
            .column(bank_statement_line::Column::Fingerprint)
            .filter(bank_statement_line::Column::Fingerprint.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// What a committed statement says about itself.
pub struct NewStatement<'a> {
    pub filename: String,
    pub sha256: String,
    pub format: &'a str,
    pub account: Option<String>,
    pub lines: u32,
    pub skipped: u32,
    pub imported_by: i32,
    pub now: DateTime<Utc>,
}

/// Records the statement and its new lines in one transaction. A line whose fingerprint is
/// already there (imported before, or by a concurrent import) is left out; the answer is the
/// statement and the fingerprints this import recorded.
pub async fn record(
    db: &DatabaseConnection,
    s: NewStatement<'_>,
    lines: &[(Line, String)],
) -> Result<(bank_statement::Model, HashSet<String>), DbErr> {
    let tx = db.begin().await?;
    let statement = bank_statement::ActiveModel {
        filename: Set(s.filename),
        sha256: Set(s.sha256),
        lines: Set(s.lines as i32),
        matched: Set(0),
        imported_by: Set(s.imported_by),
        created_at: Set(s.now),
        format: Set(s.format.to_owned()),
        account: Set(s.account),
        skipped: Set(s.skipped as i32),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    for chunk in lines.chunks(CHUNK) {
        let rows = chunk.iter().map(|(line, fp)| bank_statement_line::ActiveModel {
            statement_id: Set(statement.id),
            line_no: Set(line.line as i32),
            txn_date: Set(line.date),
            amount_fen: Set(line.amount_fen),
            counterparty_name: Set(line.counterparty_name.chars().take(200).collect()),
            counterparty_account: Set(line.counterparty_account.chars().take(64).collect()),
            reference: Set(line.reference.chars().take(200).collect()),
            fingerprint: Set(fp.clone()),
            request_id: Set(None),
            action: Set(None),
            ..Default::default()
        });
        bank_statement_line::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(bank_statement_line::Column::Fingerprint).do_nothing().to_owned())
            .exec_without_returning(&tx)
            .await?;
    }
    let mine: Vec<String> = bank_statement_line::Entity::find()
        .select_only()
        .column(bank_statement_line::Column::Fingerprint)
        .filter(bank_statement_line::Column::StatementId.eq(statement.id))
        .into_tuple()
        .all(&tx)
        .await?;
    tx.commit().await?;
    if lines.len() > 1_000 && db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Thousands of new rows before autovacuum has looked: without fresh statistics the
        // planner scans the whole table for every chunk of the next import's duplicate check
        // (measured: a 50,000-line re-import went from over 30 s to about a second).
        db.execute_unprepared("ANALYZE bank_statement_lines").await?;
    }
    Ok((statement, mine.into_iter().collect()))
}

/// The line was recorded on `request_id` as `action`.
pub async fn settle(db: &DatabaseConnection, fingerprint: &str, request_id: i32, action: &str) -> Result<(), DbErr> {
    bank_statement_line::Entity::update_many()
        .col_expr(bank_statement_line::Column::RequestId, Expr::value(request_id))
        .col_expr(bank_statement_line::Column::Action, Expr::value(action))
        .filter(bank_statement_line::Column::Fingerprint.eq(fingerprint))
        .exec(db)
        .await?;
    Ok(())
}

/// The match was refused (four-eyes, a rule): forget the line, so that a later import (by
/// another finance user, say) can still record it.
pub async fn forget(db: &DatabaseConnection, fingerprint: &str) -> Result<(), DbErr> {
    bank_statement_line::Entity::delete_many().filter(bank_statement_line::Column::Fingerprint.eq(fingerprint)).exec(db).await?;
    Ok(())
}

pub async fn finish(db: &DatabaseConnection, id: i32, matched: i32) -> Result<(), DbErr> {
    bank_statement::Entity::update_many()
        .col_expr(bank_statement::Column::Matched, Expr::value(matched))
        .filter(bank_statement::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
