//! Bank statement import (DESIGN §2.2): read the bank's CSV or xlsx, match its lines to
//! payouts and refunds, preview, and on commit record the confident matches.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::domain::statement::{Line, MAX_LINES, Mapping, ParseError, RowProblem, digits, parse_statement};
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult, FieldError, Lang, Msg};
use crate::store::apply::{By, Change, Order, apply};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use entity::{bank_mapping, bank_statement, bank_statement_line, request};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import)).layer(DefaultBodyLimit::max(64 * 1024 * 1024))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchedLine {
    pub line: u32,
    pub request_id: i32,
    /// `payout` or `refund`.
    pub action: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AmbiguousLine {
    pub line: u32,
    pub candidates: Vec<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineProblem {
    pub line: u32,
    pub request_id: Option<i32>,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Set when the import was committed.
    pub statement_id: Option<i32>,
    /// Lines read (blank rows not counted).
    pub lines: u32,
    /// Lines already imported before (same date, amount, counterparty, reference): ignored.
    pub duplicates: u32,
    pub matched: Vec<MatchedLine>,
    /// Several requests fit: never applied automatically.
    pub ambiguous: Vec<AmbiguousLine>,
    pub unmatched: Vec<u32>,
    /// Rows that could not be read (e.g. a totals row).
    pub invalid: Vec<LineProblem>,
    /// Matches the workflow refused on commit (e.g. four-eyes); left unapplied.
    pub errors: Vec<LineProblem>,
    pub committed: bool,
}

fn bad_file(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    let (zh, en) = (zh.into(), en.into());
    ApiError::field("file", zh, en)
}

/// A statement that cannot be read, as the 422 a client sees.
fn parse_error(e: ParseError) -> ApiError {
    match e {
        ParseError::Unreadable { zh, en } => bad_file(zh, en),
        ParseError::TooManyLines(_) => {
            bad_file(format!("对账单超过 {MAX_LINES} 行，请按月拆分"), format!("more than {MAX_LINES} lines; split the statement"))
        }
        ParseError::UnknownFormat { header_row, .. } => bad_file(
            format!("无法识别对账单格式（第 {header_row} 行像是表头），请提供列映射"),
            format!("the statement layout is not recognised (row {header_row} looks like its header); send a mapping"),
        ),
        ParseError::MappingColumns(missing) => ApiError::Validation(
            missing
                .into_iter()
                .map(|(field, name)| {
                    if name.is_empty() {
                        FieldError::new(field, "须指定 amount，或 debit/credit", "give amount, or debit and/or credit")
                    } else {
                        FieldError::new(field, format!("表头中找不到列「{name}」"), format!("no column named {name:?} in the header"))
                    }
                })
                .collect(),
        ),
    }
}

/// Why recording `line` on request `id` would be refused (DESIGN §2.1), if it would.
async fn refused_entry(state: &AppState, id: i32, line: &Line, action: &str, today: chrono::NaiveDate) -> ApiResult<Option<String>> {
    use crate::domain::payment::{Ledger, payout, refund};
    let Some(r) = request::Entity::find_by_id(id).one(&state.db).await? else { return Ok(None) };
    let ledger = Ledger::of(&r);
    let reference = "statement";
    let checked = if action == "payout" {
        payout(&ledger, line.date, line.amount_fen.abs(), reference, None, today).map(|_| ())
    } else {
        refund(&ledger, line.date, line.amount_fen.abs(), reference, today).map(|_| ())
    };
    Ok(checked.err().map(|errs| errs.iter().map(|f| format!("{}：{}", f.field, f.message.zh)).collect::<Vec<_>>().join("；")))
}

/// Requests a line could be: outgoing lines pay an approved request with the same amount to
/// the same payee within its order date … pay-by window; incoming lines refund a paid,
/// refundable request of that amount from its payee, on or after the payout.
async fn candidates(state: &AppState, line: &Line) -> ApiResult<(Vec<i32>, &'static str)> {
    let amount = line.amount_fen.abs();
    let same_party = |r: &request::Model| {
        (!line.counterparty_account.is_empty() && digits(&r.payee_account) == line.counterparty_account)
            || (!line.counterparty_name.is_empty() && r.payee_name.trim() == line.counterparty_name.trim())
    };
    if line.amount_fen < 0 {
        let rows = request::Entity::find()
            .filter(request::Column::Status.eq(Status::Approved.as_str()))
            .filter(request::Column::AmountFen.eq(amount))
            .filter(request::Column::OrderDate.lte(line.date))
            .filter(request::Column::PayBy.gte(line.date))
            .all(&state.db)
            .await?;
        Ok((rows.iter().filter(|r| same_party(r)).map(|r| r.id).collect(), "payout"))
    } else {
        let rows = request::Entity::find()
            .filter(request::Column::Status.eq(Status::Paid.as_str()))
            .filter(request::Column::Refundable.eq(true))
            .filter(request::Column::PaidAt.lte(line.date))
            .all(&state.db)
            .await?;
        let fits = |r: &request::Model| {
            let paid = r.payout_amount_fen.unwrap_or(r.amount_fen);
            amount == paid || amount == paid - r.refund_amount_fen.unwrap_or(0)
        };
        let mut ids = Vec::new();
        for r in rows.iter().filter(|r| fits(r) && same_party(r)) {
            // A refund already entered by hand (same day, same amount) is not this line's to add again.
            let recorded = entity::refund::Entity::find()
                .filter(entity::refund::Column::RequestId.eq(r.id))
                .filter(entity::refund::Column::RefundedAt.eq(line.date))
                .filter(entity::refund::Column::AmountFen.eq(amount))
                .one(&state.db)
                .await?
                .is_some();
            if !recorded {
                ids.push(r.id);
            }
        }
        Ok((ids, "refund"))
    }
}

/// Import a bank statement (finance). Multipart: `file` (xlsx, or CSV in UTF-8 or GBK),
/// `mapping` (JSON naming the header cells), `bank` (optional: saves the mapping under this
/// name, or uses the saved one when `mapping` is absent), `commit` (`false` previews).
#[utoipa::path(post, path = "/bank-statements", tag = "bank-statements", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file`, `mapping` (JSON), `bank`, `commit`"),
    responses((status = 200, body = ImportResult), (status = 403, body = crate::error::ProblemBody),
              (status = 413, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn import(
    State(state): State<AppState>,
    me: AuthUser,
    crate::http::calendar::Language(lang): crate::http::calendar::Language,
    body: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<ImportResult>)> {
    me.require(Role::Finance)?;
    let mut multipart = crate::upload::multipart_of(body, &state).await?;
    let limit = state.config.upload_limit;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut mapping_text: Option<String> = None;
    let mut bank: Option<String> = None;
    let mut commit = false;
    let bad = crate::upload::malformed;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("statement").to_owned();
                let too_large = || {
                    ApiError::PayloadTooLarge(Msg::new(
                        format!("对账单文件不能超过 {} MB", limit / 1024 / 1024),
                        format!("the statement is limited to {} MB", limit / 1024 / 1024),
                    ))
                };
                let data = crate::upload::read_file_field(field, limit, too_large, bad).await?;
                file = Some((name, data));
            }
            "mapping" => mapping_text = Some(field.text().await.map_err(bad)?),
            "bank" => bank = Some(field.text().await.map_err(bad)?.trim().to_owned()).filter(|b| !b.is_empty()),
            "commit" => {
                commit = match field.text().await.map_err(bad)?.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return Err(ApiError::field("commit", "commit 须为 true 或 false", "commit must be true or false")),
                }
            }
            other => return Err(ApiError::field(other, "不允许的表单字段", "unknown form field; use file, mapping, bank and commit")),
        }
    }
    let (filename, bytes) = file.ok_or_else(|| ApiError::field("file", "请选择对账单文件", "a file is required"))?;
    let now = state.clock.now();
    let mapping: Mapping = match (mapping_text, &bank) {
        (Some(text), _) => crate::http::extract::parse_json(text.as_bytes()).map_err(|e| match e {
            ApiError::Validation(errs) => ApiError::Validation(
                errs.into_iter()
                    .map(|mut fe| {
                        fe.field = format!("mapping.{}", fe.field);
                        fe
                    })
                    .collect(),
            ),
            ApiError::BadRequest(_) => ApiError::field("mapping", "mapping 须为 JSON", "mapping must be JSON"),
            other => other,
        })?,
        (None, Some(b)) => {
            let saved = bank_mapping::Entity::find_by_id(b.clone()).one(&state.db).await?;
            let saved = saved.ok_or_else(|| {
                ApiError::field(
                    "mapping",
                    format!("没有为「{b}」保存的列映射，请提供 mapping"),
                    format!("no mapping saved for {b}; send one"),
                )
            })?;
            serde_json::from_str(&saved.mapping).map_err(ApiError::internal)?
        }
        (None, None) => return Err(ApiError::field("mapping", "请提供列映射 mapping", "mapping is required")),
    };
    let parsed = parse_statement(&filename, &bytes, Some(&mapping)).map_err(parse_error)?;
    if let Some(b) = &bank {
        bank_mapping::Entity::insert(bank_mapping::ActiveModel {
            bank: Set(b.clone()),
            mapping: Set(serde_json::to_string(&mapping).unwrap_or_default()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(bank_mapping::Column::Bank)
                .update_columns([bank_mapping::Column::Mapping, bank_mapping::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    }

    let mut result = ImportResult {
        statement_id: None,
        lines: 0,
        duplicates: 0,
        matched: Vec::new(),
        ambiguous: Vec::new(),
        unmatched: Vec::new(),
        invalid: Vec::new(),
        errors: Vec::new(),
        committed: commit,
    };
    let mut lines = Vec::new();
    let mut seen = HashSet::new();
    let today = crate::clock::china_date(now);
    // Lines and unreadable rows in file order.
    let mut rows: Vec<(u32, Result<Line, RowProblem>)> = parsed.lines.into_iter().map(|l| (l.line, Ok(l))).collect();
    rows.extend(parsed.problems.into_iter().map(|(no, p)| (no, Err(p))));
    rows.sort_by_key(|(no, _)| *no);
    for (no, row) in &rows {
        match row.clone() {
            Ok(line) if line.date > today => {
                // The same rule as a payout or refund entered by hand: never in the future.
                result.lines += 1;
                let message = match lang {
                    Lang::Zh => format!("交易日期 {} 晚于今天：未来日期的打款或退款会被拒绝，不予匹配", line.date),
                    Lang::En => format!(
                        "the date {} is in the future: a payout or refund dated in the future is refused, so it is not matched",
                        line.date
                    ),
                };
                result.invalid.push(LineProblem { line: *no, request_id: None, message });
            }
            Ok(line) => {
                result.lines += 1;
                let fp = line.fingerprint();
                let known = !seen.insert(fp.clone())
                    || bank_statement_line::Entity::find()
                        .filter(bank_statement_line::Column::Fingerprint.eq(fp.clone()))
                        .one(&state.db)
                        .await?
                        .is_some();
                if known {
                    result.duplicates += 1;
                } else {
                    lines.push((line, fp));
                }
            }
            Err(problem) => {
                // A reversal is a line of the statement, only not one to record.
                if matches!(problem, RowProblem::Reversal(_)) {
                    result.lines += 1;
                }
                result.invalid.push(LineProblem { line: *no, request_id: None, message: problem.message().to_owned() });
            }
        }
    }
    if result.lines == 0 {
        return Err(bad_file("没有可识别的对账单行，请检查列映射", "no line could be read; check the mapping"));
    }

    // Preview: decide every line against the current state; a request claimed by one line is
    // no longer free for another.
    if !commit {
        let mut taken = HashSet::new();
        for (line, _) in &lines {
            let (ids, action) = candidates(&state, line).await?;
            let free: Vec<i32> = ids.into_iter().filter(|id| !taken.contains(id)).collect();
            match free.as_slice() {
                [one] => {
                    // A line that would be refused on commit (a refund past the payout, a day in
                    // the future) is listed for a person, not as a match.
                    if let Some(message) = refused_entry(&state, *one, line, action, today).await? {
                        result.invalid.push(LineProblem { line: line.line, request_id: Some(*one), message });
                        continue;
                    }
                    taken.insert(*one);
                    result.matched.push(MatchedLine { line: line.line, request_id: *one, action: action.to_owned() });
                }
                [] => result.unmatched.push(line.line),
                many => result.ambiguous.push(AmbiguousLine { line: line.line, candidates: many.to_vec() }),
            }
        }
        return Ok((StatusCode::OK, Json(result)));
    }

    let statement = bank_statement::ActiveModel {
        filename: Set(crate::upload::clean_filename(&filename)),
        sha256: Set(hex::encode(Sha256::digest(&bytes))),
        lines: Set(result.lines as i32),
        matched: Set(0),
        imported_by: Set(me.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    result.statement_id = Some(statement.id);
    let mut applied = 0;
    let mut kept_matches = Vec::new();
    // Commit: line by line in file order, each decided after the previous one was applied, so a
    // statement holding both a payout and its refund records both.
    for (line, fp) in lines {
        // The fingerprint is unique: a concurrent import of the same line loses here.
        let inserted = bank_statement_line::Entity::insert(bank_statement_line::ActiveModel {
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
        })
        .on_conflict(OnConflict::column(bank_statement_line::Column::Fingerprint).do_nothing().to_owned())
        .exec_without_returning(&state.db)
        .await?;
        if inserted == 0 {
            result.duplicates += 1;
            continue;
        }
        let (ids, action) = candidates(&state, &line).await?;
        let request_id = match ids.as_slice() {
            [one] => *one,
            [] => {
                result.unmatched.push(line.line);
                continue;
            }
            many => {
                result.ambiguous.push(AmbiguousLine { line: line.line, candidates: many.to_vec() });
                continue;
            }
        };
        let reference =
            if line.reference.trim().is_empty() { format!("对账单{}#{}", statement.id, line.line) } else { line.reference.clone() };
        let reference: String = reference.chars().take(200).collect();
        let outcome = match request::Entity::find_by_id(request_id).one(&state.db).await? {
            None => Err(ApiError::not_found("申请", "request")),
            Some(current) => {
                let change = if action == "payout" {
                    Change::Payout { paid_at: line.date, amount_fen: line.amount_fen.abs(), reference, override_reason: None }
                } else {
                    Change::Refund { refunded_at: line.date, amount_fen: line.amount_fen.abs(), reference }
                };
                apply(state.ctx(), By::User(&me), current, Order::new(change)).await
            }
        };
        match outcome {
            Ok(_) => {
                applied += 1;
                bank_statement_line::Entity::update_many()
                    .col_expr(bank_statement_line::Column::RequestId, sea_orm::sea_query::Expr::value(request_id))
                    .col_expr(bank_statement_line::Column::Action, sea_orm::sea_query::Expr::value(action))
                    .filter(bank_statement_line::Column::Fingerprint.eq(fp))
                    .exec(&state.db)
                    .await?;
                kept_matches.push(MatchedLine { line: line.line, request_id, action: action.to_owned() });
            }
            Err(e) => {
                // Not applied: forget the line, so a later import (e.g. by another finance
                // user, for four-eyes) can still record it.
                bank_statement_line::Entity::delete_many().filter(bank_statement_line::Column::Fingerprint.eq(fp)).exec(&state.db).await?;
                if let ApiError::Validation(errs) = &e {
                    let message = errs.iter().map(|f| format!("{}：{}", f.field, f.message.zh)).collect::<Vec<_>>().join("；");
                    result.invalid.push(LineProblem { line: line.line, request_id: Some(request_id), message });
                    continue;
                }
                let message = match &e {
                    ApiError::Forbidden(m) | ApiError::NotFound(m) => m.zh.to_string(),
                    ApiError::Conflict { msg, .. } => msg.zh.to_string(),
                    ApiError::Validation(errs) => {
                        errs.iter().map(|f| format!("{}：{}", f.field, f.message.zh)).collect::<Vec<_>>().join("；")
                    }
                    other => other.to_string(),
                };
                result.errors.push(LineProblem { line: line.line, request_id: Some(request_id), message });
            }
        }
    }
    result.matched = kept_matches;
    bank_statement::Entity::update_many()
        .col_expr(bank_statement::Column::Matched, sea_orm::sea_query::Expr::value(applied))
        .filter(bank_statement::Column::Id.eq(statement.id))
        .exec(&state.db)
        .await?;
    Ok((StatusCode::OK, Json(result)))
}
