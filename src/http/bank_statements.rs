//! Bank statement import (DESIGN §2.2): read the bank's own export (xlsx, xls, csv; the
//! layout recognised from its header, or named by a mapping), match its lines to payouts and
//! refunds, preview, and on commit record the confident matches and the ones a person chose.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::matching::Matcher;
use crate::domain::roles::Role;
use crate::domain::statement::{Line, Mapping, ParseError, Parsed, RowProblem, parse_statement};
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult, Lang, Msg};
use crate::store::apply::{By, Change, Order, apply};
use crate::store::statements::{self, NewStatement};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use entity::{bank_mapping, request};
use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import)).layer(DefaultBodyLimit::max(64 * 1024 * 1024))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchedLine {
    pub line: u32,
    pub request_id: i32,
    pub number: Option<String>,
    /// `payout` or `refund`.
    pub action: String,
    /// A line with several candidates, matched to the one a person chose (`choices`).
    pub chosen: bool,
}

/// A request a line could be, as the person choosing needs to see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: i32,
    pub number: Option<String>,
    pub title: String,
    pub payee_name: String,
    pub amount_fen: i64,
    pub order_date: NaiveDate,
    pub paid_at: Option<NaiveDate>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AmbiguousLine {
    pub line: u32,
    pub candidates: Vec<i32>,
    pub candidate_requests: Vec<Candidate>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineProblem {
    pub line: u32,
    pub request_id: Option<i32>,
    pub message: String,
}

/// A readable line of the statement, as the bank wrote it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    #[serde(flatten)]
    pub line: Line,
    /// Imported before: changes nothing.
    pub duplicate: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompanyRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Set when the import was committed.
    pub statement_id: Option<i32>,
    /// The bank whose export layout was recognised (`icbc`, `ccb`, `cmb`, `boc`, `abc`,
    /// `bocom`, `spdb`, `cib`, `cmbc`, `pingan`, `citic`, `generic`), or `mapping`.
    pub format: String,
    /// The statement's own account (digits), when the file names it.
    pub account: Option<String>,
    /// The group company holding that account; only requests paid from it match.
    pub company: Option<CompanyRef>,
    /// Bank lines read (blank rows, title, account and totals rows not counted).
    pub lines: u32,
    /// Rows above and below the table: title, 户名, 账号, 查询期间, 合计, notes.
    pub skipped: u32,
    /// Lines already imported before: ignored.
    pub duplicates: u32,
    pub matched: Vec<MatchedLine>,
    /// Several requests fit: applied only to the request a person chose (`choices`).
    pub ambiguous: Vec<AmbiguousLine>,
    pub unmatched: Vec<u32>,
    /// Rows that could not be read, reversals, and lines a manual entry would be refused for.
    pub invalid: Vec<LineProblem>,
    /// Matches the workflow refused on commit (e.g. four-eyes); left unapplied.
    pub errors: Vec<LineProblem>,
    pub committed: bool,
    /// Every readable line, in file order.
    pub entries: Vec<Entry>,
}

fn bad_file(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    let (zh, en) = (zh.into(), en.into());
    ApiError::field("file", zh, en)
}

fn parse_error(e: ParseError) -> ApiError {
    match e {
        ParseError::UnknownFormat { header_row, header } => ApiError::UnknownFormat { header_row, header },
        ParseError::MappingColumns(missing) => ApiError::Validation(
            missing
                .into_iter()
                .map(|(field, name)| {
                    if name.is_empty() {
                        crate::error::FieldError::new(&field, "须指定 amount，或 debit/credit", "give amount, or debit and/or credit")
                    } else {
                        crate::error::FieldError::new(
                            &field,
                            format!("表头中找不到列「{name}」"),
                            format!("no column named {name:?} in the header"),
                        )
                    }
                })
                .collect(),
        ),
        ParseError::Unreadable { zh, en } => bad_file(zh, en),
        ParseError::TooManyLines(max) => {
            bad_file(format!("对账单超过 {max} 行，请按月拆分"), format!("more than {max} lines; split the statement"))
        }
    }
}

/// What the form said.
#[derive(Default)]
struct Form {
    file: Option<(String, Vec<u8>)>,
    mapping: Option<Mapping>,
    bank: Option<String>,
    commit: bool,
    /// Line → the request a person chose for an ambiguous line.
    choices: HashMap<u32, i32>,
}

async fn read_form(state: &AppState, body: axum::extract::Request) -> ApiResult<Form> {
    let mut multipart = crate::upload::multipart_of(body, state).await?;
    let limit = state.config.upload_limit;
    let bad = crate::upload::malformed;
    let mut form = Form::default();
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
                form.file = Some((name, data));
            }
            "mapping" => {
                let text = field.text().await.map_err(bad)?;
                if !text.trim().is_empty() {
                    form.mapping = Some(crate::http::extract::parse_json(text.as_bytes()).map_err(|e| {
                        match e {
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
                        }
                    })?);
                }
            }
            "bank" => {
                form.bank = Some(field.text().await.map_err(bad)?.trim().chars().take(100).collect::<String>()).filter(|b| !b.is_empty())
            }
            "commit" => {
                form.commit = match field.text().await.map_err(bad)?.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return Err(ApiError::field("commit", "commit 须为 true 或 false", "commit must be true or false")),
                }
            }
            "choices" => {
                let text = field.text().await.map_err(bad)?;
                let parsed: BTreeMap<String, i32> = serde_json::from_str(&text).map_err(|_| {
                    ApiError::field(
                        "choices",
                        "choices 须为 JSON 对象：{\"行号\": 申请 id}",
                        "choices must be a JSON object {\"line\": request_id}",
                    )
                })?;
                for (line, id) in parsed {
                    let line: u32 = line.trim().parse().map_err(|_| {
                        ApiError::field(
                            "choices",
                            format!("choices 的键须为行号：{line}"),
                            format!("choices keys must be line numbers: {line}"),
                        )
                    })?;
                    form.choices.insert(line, id);
                }
            }
            other => {
                return Err(ApiError::field(other, "不允许的表单字段", "unknown form field; use file, mapping, bank, commit and choices"));
            }
        }
    }
    Ok(form)
}

/// The mapping to read the file with: the one sent, or the one saved under `bank`; none
/// lets verifund recognise the bank's layout.
async fn mapping_for(state: &AppState, form: &Form) -> ApiResult<Option<Mapping>> {
    if form.mapping.is_some() {
        return Ok(form.mapping.clone());
    }
    let Some(b) = &form.bank else { return Ok(None) };
    match bank_mapping::Entity::find_by_id(b.clone()).one(&state.db).await? {
        Some(saved) => Ok(Some(serde_json::from_str(&saved.mapping).map_err(ApiError::internal)?)),
        None => Ok(None),
    }
}

async fn save_mapping(state: &AppState, bank: &str, mapping: &Mapping) -> ApiResult<()> {
    bank_mapping::Entity::insert(bank_mapping::ActiveModel {
        bank: Set(bank.to_owned()),
        mapping: Set(serde_json::to_string(mapping).unwrap_or_default()),
        updated_at: Set(state.clock.now()),
    })
    .on_conflict(
        OnConflict::column(bank_mapping::Column::Bank)
            .update_columns([bank_mapping::Column::Mapping, bank_mapping::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(())
}

fn problem_text(e: &ApiError, lang: Lang) -> String {
    match e {
        ApiError::Forbidden(m) | ApiError::NotFound(m) => m.get(lang).to_owned(),
        ApiError::Conflict { msg, .. } => msg.get(lang).to_owned(),
        ApiError::Validation(errs) => errs.iter().map(|f| format!("{}：{}", f.field, f.message.get(lang))).collect::<Vec<_>>().join("；"),
        other => other.to_string(),
    }
}

/// Why the workflow would refuse `me` recording `action` on `r` as it now reads.
fn workflow_refusal(state: &AppState, me: &AuthUser, r: &request::Model, action: Action, lang: Lang) -> Option<String> {
    let chain = crate::store::chain::chain_of(r);
    let facts = crate::store::chain::facts_without_step(r, &chain, state.config.four_eyes);
    let status = crate::store::requests::status_of(r);
    crate::domain::workflow::transition(status, action, me.actor(), &facts, None)
        .err()
        .map(|refusal| problem_text(&crate::store::apply::refusal(r, action, refusal), lang))
}

/// A line several requests fit, with what a person needs to choose among them.
fn ambiguous(line: u32, ids: &[i32], matcher: &Matcher) -> AmbiguousLine {
    let candidate_requests = ids
        .iter()
        .filter_map(|id| matcher.get(*id))
        .map(|r| Candidate {
            id: r.id,
            number: r.number.clone(),
            title: r.title.clone(),
            payee_name: r.payee_name.clone(),
            amount_fen: r.amount_fen,
            order_date: r.order_date,
            paid_at: r.paid_at,
        })
        .collect();
    AmbiguousLine { line, candidates: ids.to_vec(), candidate_requests }
}

/// Import a bank statement (finance). Multipart: `file` (the bank's own export: xlsx, xls,
/// or csv in UTF-8 or GBK), `commit` (`false` previews), and only when the layout is not
/// recognised `mapping` (JSON naming the header cells) and `bank` (saves the mapping under
/// this name, or uses the saved one); `choices` (JSON `{"line": request_id}`) applies
/// ambiguous lines to the request a person chose.
#[utoipa::path(post, path = "/bank-statements", tag = "bank-statements", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file`, `commit`, `mapping` (JSON), `bank`, `choices` (JSON)"),
    responses((status = 200, body = ImportResult), (status = 403, body = crate::error::ProblemBody),
              (status = 413, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody, description = "bad input; `code: unknown_format` with `header_row` and `header` when the layout is not recognised")))]
async fn import(
    State(state): State<AppState>,
    me: AuthUser,
    crate::http::calendar::Language(lang): crate::http::calendar::Language,
    body: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<ImportResult>)> {
    me.require(Role::Finance)?;
    let form = read_form(&state, body).await?;
    let mapping = mapping_for(&state, &form).await?;
    let (filename, bytes) = form.file.clone().ok_or_else(|| ApiError::field("file", "请选择对账单文件", "a file is required"))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    // Reading tens of thousands of rows is CPU work: off the async workers.
    let parsed: Parsed = {
        let mapping = mapping.clone();
        let filename = filename.clone();
        tokio::task::spawn_blocking(move || parse_statement(&filename, &bytes, mapping.as_ref()))
            .await
            .map_err(ApiError::internal)?
            .map_err(parse_error)?
    };
    if let (Some(b), Some(m)) = (&form.bank, &form.mapping) {
        save_mapping(&state, b, m).await?;
    }
    let now = state.clock.now();
    let today = crate::clock::china_date(now);
    let own = match &parsed.account {
        Some(a) => statements::own_account(&state.db, a).await?,
        None => None,
    };
    let mut matcher = statements::matcher(&state.db, own.as_ref().map(|o| o.0.clone())).await?;
    let fingerprints: Vec<String> = parsed.lines.iter().map(Line::fingerprint).collect();
    let known = statements::known(&state.db, &fingerprints).await?;

    let mut result = ImportResult {
        statement_id: None,
        format: parsed.format.clone(),
        account: parsed.account.clone(),
        company: own.as_ref().map(|(_, c)| CompanyRef { id: c.id, name: c.name.clone() }),
        lines: parsed.lines.len() as u32,
        skipped: parsed.skipped,
        duplicates: 0,
        matched: Vec::new(),
        ambiguous: Vec::new(),
        unmatched: Vec::new(),
        invalid: Vec::new(),
        errors: Vec::new(),
        committed: form.commit,
        entries: Vec::with_capacity(parsed.lines.len()),
    };
    for (line, problem) in &parsed.problems {
        // A reversal is a line of the statement, only not one to record.
        if matches!(problem, RowProblem::Reversal(_)) {
            result.lines += 1;
        }
        result.invalid.push(LineProblem { line: *line, request_id: None, message: problem.message().to_owned() });
    }
    let mut fresh: Vec<(Line, String)> = Vec::new();
    for (line, fp) in parsed.lines.iter().zip(fingerprints) {
        let duplicate = known.contains(&fp);
        result.entries.push(Entry { line: line.clone(), duplicate });
        if duplicate {
            result.duplicates += 1;
        } else if line.date > today {
            // The same rule as a payout or refund entered by hand: never in the future.
            let message = match lang {
                Lang::Zh => format!("交易日期 {} 晚于今天：未来日期的打款或退款会被拒绝，不予匹配", line.date),
                Lang::En => format!(
                    "the date {} is in the future: a payout or refund dated in the future is refused, so it is not matched",
                    line.date
                ),
            };
            result.invalid.push(LineProblem { line: line.line, request_id: None, message });
        } else {
            fresh.push((line.clone(), fp));
        }
    }
    result.invalid.sort_by_key(|p| p.line);
    if result.lines == 0 {
        return Err(bad_file("没有可识别的对账单行", "no bank line could be read from the file"));
    }

    if !form.commit {
        // Each line is decided as if the ones before it had been recorded.
        for (line, _) in &fresh {
            let (ids, action) = matcher.candidates(line);
            match ids.as_slice() {
                [one] => {
                    // A line that would be refused on commit is listed for a person, not as a match.
                    if let Some(message) = matcher.refusal(*one, line, action, today) {
                        result.invalid.push(LineProblem { line: line.line, request_id: Some(*one), message });
                        continue;
                    }
                    // …and so is one the workflow would refuse this user (four-eyes, say).
                    if let Some(message) = matcher.get(*one).and_then(|r| workflow_refusal(&state, &me, r, action, lang)) {
                        result.errors.push(LineProblem { line: line.line, request_id: Some(*one), message });
                        continue;
                    }
                    let number = matcher.get(*one).and_then(|r| r.number.clone());
                    matcher.simulate(*one, line, action);
                    result.matched.push(MatchedLine {
                        line: line.line,
                        request_id: *one,
                        number,
                        action: action.as_str().to_owned(),
                        chosen: false,
                    });
                }
                [] => result.unmatched.push(line.line),
                many => result.ambiguous.push(ambiguous(line.line, many, &matcher)),
            }
        }
        return Ok((StatusCode::OK, Json(result)));
    }

    let (statement, mine) = statements::record(
        &state.db,
        NewStatement {
            filename: crate::upload::clean_filename(&filename),
            sha256,
            format: &parsed.format,
            account: parsed.account.clone(),
            lines: result.lines,
            skipped: parsed.skipped,
            imported_by: me.id,
            now,
        },
        &fresh,
    )
    .await?;
    result.statement_id = Some(statement.id);
    let mut applied = 0;
    // In file order, each line decided after the previous one was applied, so a statement
    // holding both a payout and its refund records both.
    for (line, fp) in fresh {
        if !mine.contains(&fp) {
            // A concurrent import recorded this line first.
            result.duplicates += 1;
            continue;
        }
        let (ids, action) = matcher.candidates(&line);
        let chosen = form.choices.get(&line.line).copied();
        let (request_id, chosen) = match (ids.as_slice(), chosen) {
            ([one], _) => (*one, false),
            ([], _) => {
                result.unmatched.push(line.line);
                continue;
            }
            (many, Some(pick)) if many.contains(&pick) => (pick, true),
            (many, _) => {
                result.ambiguous.push(ambiguous(line.line, many, &matcher));
                continue;
            }
        };
        let reference =
            if line.reference.trim().is_empty() { format!("对账单{}#{}", statement.id, line.line) } else { line.reference.clone() };
        let reference: String = reference.chars().take(200).collect();
        let change = match action {
            Action::Payout => Change::Payout { paid_at: line.date, amount_fen: line.amount_fen.abs(), reference, override_reason: None },
            _ => Change::Refund { refunded_at: line.date, amount_fen: line.amount_fen.abs(), reference },
        };
        let number = matcher.get(request_id).and_then(|r| r.number.clone());
        let outcome = match request::Entity::find_by_id(request_id).one(&state.db).await? {
            None => Err(ApiError::not_found("申请", "request")),
            Some(current) => apply(state.ctx(), By::User(&me), current, Order::new(change)).await,
        };
        match outcome {
            Ok(done) => {
                applied += 1;
                matcher.update(done.request);
                statements::settle(&state.db, &fp, request_id, action.as_str()).await?;
                result.matched.push(MatchedLine { line: line.line, request_id, number, action: action.as_str().to_owned(), chosen });
            }
            Err(e) => {
                // Not applied: forget the line, so a later import (by another finance user,
                // for four-eyes) can still record it.
                statements::forget(&state.db, &fp).await?;
                let problem = LineProblem { line: line.line, request_id: Some(request_id), message: problem_text(&e, lang) };
                if matches!(e, ApiError::Validation(_)) { result.invalid.push(problem) } else { result.errors.push(problem) }
            }
        }
    }
    result.invalid.sort_by_key(|p| p.line);
    statements::finish(&state.db, statement.id, applied).await?;
    Ok((StatusCode::OK, Json(result)))
}
