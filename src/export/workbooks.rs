//! The two workbooks and their sheets.
use super::sheet::{Cell, Fit, Layout, Piece, PrintHeading, Row, SheetSpec, write_pieces};
use crate::clock::{china, china_date};
use crate::domain::calendar::Calendar;
use crate::domain::flags::{Flag, flags};
use crate::domain::money::amount_in_words;
use crate::domain::workflow::{Kind, Resolution, Status};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{department, request, user};
use rust_xlsxwriter::{DocProperties, Workbook, XlsxError};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::path::Path;
use tokio::sync::mpsc::Sender;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Ledger,
    Reconciliation,
}

impl ExportKind {
    pub fn file_stem_zh(self) -> &'static str {
        match self {
            ExportKind::Ledger => "台账",
            ExportKind::Reconciliation => "对账表",
        }
    }

    fn title(self) -> String {
        format!("日升集团应(预)付款{}", self.file_stem_zh())
    }
}

/// What an export covers, as its printed pages say it: the paying company and the order-date
/// period of its filters, each 全部 when not filtered.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub company: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Scope {
    fn period(&self) -> String {
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("{f} 至 {t}"),
            (Some(f), None) => format!("{f} 起"),
            (None, Some(t)) => format!("至 {t}"),
            (None, None) => "全部".to_owned(),
        }
    }

    fn heading(&self, kind: ExportKind, now: DateTime<Utc>) -> PrintHeading {
        PrintHeading {
            title: kind.title(),
            company: self.company.clone().unwrap_or_else(|| "全部".to_owned()),
            period: self.period(),
            exported_at: now.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Xlsx(#[from] XlsxError),
    /// The writing thread ended without a workbook (it panicked, or the runtime shut down).
    #[error("the workbook writer stopped: {0}")]
    Writer(String),
}

/// Told after every page: rows written so far, rows in all.
pub type ExportProgress<'a> = &'a (dyn Fn(u64, u64) + Sync);

const PAGE: u64 = 2000;

struct Names {
    users: HashMap<i32, String>,
    departments: HashMap<i32, String>,
}

impl Names {
    async fn load(db: &DatabaseConnection) -> Result<Names, DbErr> {
        // Users and departments are the organisation, not the ledger: small enough to hold.
        let users = user::Entity::find().all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
        let departments = department::Entity::find().all(db).await?.into_iter().map(|d| (d.id, d.name)).collect();
        Ok(Names { users, departments })
    }

    fn user(&self, id: Option<i32>) -> String {
        id.and_then(|i| self.users.get(&i).cloned()).unwrap_or_default()
    }

    fn department(&self, id: Option<i32>) -> String {
        id.and_then(|i| self.departments.get(&i).cloned()).unwrap_or_default()
    }
}

struct Context<'a> {
    names: Names,
    calendar: Calendar,
    today: NaiveDate,
    heading: PrintHeading,
    progress: ExportProgress<'a>,
    total: u64,
    done: u64,
}

impl Context<'_> {
    /// Working days the refund is (or was) late: up to the refund, or up to today while it is outstanding.
    fn days_overdue(&self, m: &request::Model) -> i64 {
        let Some(due) = m.refund_due else { return 0 };
        let end = match Status::parse(&m.status) {
            Some(Status::Paid) => self.today,
            _ => match m.refunded_at {
                Some(d) => d,
                None => return 0,
            },
        };
        self.calendar.working_days_between(due, end).value
    }

    fn tick(&mut self, n: u64) {
        self.done += n;
        (self.progress)(self.done, self.total);
    }
}

/// The reading side's end of the channel to the writing thread.
struct Out<'a>(&'a Sender<Piece>);

impl Out<'_> {
    async fn send(&self, piece: Piece) -> Result<(), ReadError> {
        self.0.send(piece).await.map_err(|_| ReadError::WriterGone)
    }
}

enum ReadError {
    Db(DbErr),
    /// The writing thread is gone: its own result says why.
    WriterGone,
}

impl From<DbErr> for ReadError {
    fn from(e: DbErr) -> Self {
        ReadError::Db(e)
    }
}

/// Pages of rows in flight between reading and writing: enough to keep both busy, few enough
/// that memory stays flat.
const PAGES_IN_FLIGHT: usize = 1;

/// The deflate level of the workbook's zip container (1 fastest to 9; rust_xlsxwriter's
/// default is 6).
const ZIP_LEVEL: u8 = 3;

/// Writes the workbook to `path`; returns the number of requests exported. `scope` names, on
/// the printed pages, what `filter` selects.
pub async fn export(
    db: &DatabaseConnection,
    kind: ExportKind,
    filter: Condition,
    scope: &Scope,
    now: DateTime<Utc>,
    path: &Path,
    progress: ExportProgress<'_>,
) -> Result<u64, ExportError> {
    let rows_filter = match kind {
        ExportKind::Ledger => filter.clone(),
        ExportKind::Reconciliation => filter.clone().add(request::Column::PaidAt.is_not_null()).add(request::Column::Refundable.eq(true)),
    };
    let total = request::Entity::find().filter(rows_filter.clone()).count(db).await?;
    let mut ctx = Context {
        names: Names::load(db).await?,
        calendar: crate::store::calendar::load(db).await?,
        today: china_date(now),
        heading: scope.heading(kind, now),
        progress,
        total,
        done: 0,
    };
    // Reading (the database, the row's cells) and writing (the sheet's XML, then the zip)
    // each take about half the time: the writing runs on its own thread, a page or two behind.
    let (tx, mut rx) = tokio::sync::mpsc::channel(PAGES_IN_FLIGHT);
    let heading = ctx.heading.clone();
    let properties = DocProperties::new()
        .set_title(kind.title())
        .set_subject("日升集团应(预)付款审批单")
        .set_author("verifund")
        .set_company("日升集团")
        .set_creation_datetime(&now.naive_utc());
    let path = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> Result<(), XlsxError> {
        let mut wb = Workbook::new();
        wb.set_properties(&properties);
        // Excel's own level. Compressing the sheet's XML is most of saving it: for 100,000
        // rows level 3 saves in about half the time of the default 6, for a file a fifth
        // larger (12.3 MiB against 10.4).
        wb.set_zip_compression_level(ZIP_LEVEL);
        if write_pieces(&mut wb, &mut rx, &heading)? {
            wb.save(&path)?;
        }
        Ok(())
    });
    let read = read_sheets(db, kind, &rows_filter, &mut ctx, &Out(&tx)).await;
    drop(tx);
    let written = writer.await.map_err(|e| ExportError::Writer(e.to_string()))?;
    match read {
        Ok(()) => written.map(|()| total).map_err(ExportError::from),
        Err(ReadError::Db(e)) => Err(e.into()),
        Err(ReadError::WriterGone) => {
            written?;
            Err(ExportError::Writer("stopped before the last sheet".into()))
        }
    }
}

/// The reading side: every sheet of `kind`, sent to the writer.
async fn read_sheets(
    db: &DatabaseConnection,
    kind: ExportKind,
    rows_filter: &Condition,
    ctx: &mut Context<'_>,
    out: &Out<'_>,
) -> Result<(), ReadError> {
    // The summary's counts are read beside the rows, on a connection of their own: after them
    // they were the last tenth of a long export.
    let groups = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(summary_groups(db.clone(), rows_filter.clone())));
    match kind {
        ExportKind::Ledger => ledger_sheet(db, rows_filter, ctx, out).await?,
        ExportKind::Reconciliation => {
            reconciliation_sheet(db, rows_filter, ctx, out, "对账", false).await?;
            let outstanding = rows_filter.clone().add(request::Column::Status.eq(Status::Paid.as_str()));
            reconciliation_sheet(db, &outstanding, ctx, out, "未退款", true).await?;
        }
    }
    let groups = groups.await.map_err(|e| DbErr::Custom(format!("reading the summary: {e}")))??;
    summary_sheet(groups, ctx, kind, out).await
}

const LEDGER_HEADERS: [&str; 26] = [
    "单号",
    "申请日期",
    "申请人",
    "部门",
    "付款主体",
    "付款账户",
    "收款方",
    "收款账号",
    "金额",
    "大写金额",
    "用途",
    "小程序",
    "状态",
    "经理审批",
    "财务审批",
    "打款日期",
    "打款流水号",
    "退款截止日",
    "退款日期",
    "退款金额",
    "差额",
    "逾期工作日",
    "类型",
    "标记",
    "审批过程",
    "处理结果",
];

/// Widths that fit real content: a number, a date, a three-character name on one line;
/// company names, accounts, the amount in words and the purpose over two lines at most.
const LEDGER_FITS: [Fit; 26] = [
    Fit::Line(15.0), // 单号 YF202611-0007
    Fit::Line(11.0),
    Fit::Line(9.0),
    Fit::Wrap(8.0),
    Fit::Wrap(14.0),
    Fit::Wrap(24.0), // 付款账户: the bank, then the account
    Fit::Wrap(14.0),
    Fit::Wrap(18.0),
    Fit::Line(15.0),
    Fit::Wrap(16.0),
    Fit::Wrap(24.0),
    Fit::Wrap(10.0),
    Fit::Line(13.0),
    Fit::Line(9.0),
    Fit::Line(9.0),
    Fit::Line(11.0),
    Fit::Wrap(18.0),
    Fit::Line(11.0),
    Fit::Line(11.0),
    Fit::Line(15.0),
    Fit::Line(15.0),
    Fit::Line(7.0),
    // Off paper: one line each, as wide as they need on screen.
    Fit::Line(12.0),
    Fit::Line(30.0),
    Fit::Line(60.0),
    Fit::Line(30.0),
];

/// On paper the ledger ends at 逾期工作日: 类型, 标记 and 审批过程 (the longest cell of a row)
/// stay in the file for filtering and auditing.
const LEDGER_PRINTED: usize = 22;

/// Every step of the latest round with who decided it (and for whom, when a delegate acted),
/// then the hand-offs on the way: `经理审批：李四；分管领导：吴九（王五代）；财务审批：赵六；转交：李四→王五`.
fn approval_path(m: &request::Model, names: &Names, handoffs: &[String]) -> String {
    let mut parts = Vec::new();
    if m.round > 0 {
        for step in crate::store::chain::chain_of(m).steps {
            let who: Vec<String> = step
                .approvals
                .iter()
                .map(|a| {
                    let user = names.user(Some(a.user_id));
                    if a.by_user_id == a.user_id { user } else { format!("{user}（{}代）", names.user(Some(a.by_user_id))) }
                })
                .collect();
            let who = if who.is_empty() { "—".to_owned() } else { who.join("、") };
            parts.push(format!("{}：{who}", step.name));
        }
    }
    parts.extend(handoffs.iter().cloned());
    parts.join("；")
}

/// The columns the ledger's cells and flags read: 34 of the request's 49. Reading a row is
/// most of an export's time, and the columns left out (the title, the payer's credit code,
/// the transfer remark, the payout's override reason, the links to the registry, who resolved
/// it and when, ...) are not on the sheet.
const LEDGER_COLUMNS: [request::Column; 34] = [
    request::Column::Id,
    request::Column::Number,
    request::Column::Kind,
    request::Column::AmountFen,
    request::Column::Refundable,
    request::Column::PayerEntity,
    request::Column::PayerBank,
    request::Column::PayerAccount,
    request::Column::PayeeName,
    request::Column::PayeeAccount,
    request::Column::PayBy,
    request::Column::Purpose,
    request::Column::MiniProgram,
    request::Column::RequesterId,
    request::Column::DepartmentId,
    request::Column::Status,
    request::Column::Round,
    request::Column::ManagerApproverId,
    request::Column::ManagerApprovedBy,
    request::Column::FinanceApprovedBy,
    request::Column::SubmittedAt,
    request::Column::ApprovedAt,
    request::Column::PaidAt,
    request::Column::PayoutAmountFen,
    request::Column::PayoutReference,
    request::Column::RefundDue,
    request::Column::RefundedAt,
    request::Column::RefundAmountFen,
    request::Column::Flags,
    request::Column::Chain,
    request::Column::Resolution,
    request::Column::ResolutionReason,
    request::Column::CreatedAt,
    request::Column::UpdatedAt,
];

/// Where each of `LEDGER_COLUMNS` is in a ledger row, by the column's discriminant. Reading a
/// value by its position spares a look-up of its name in a hash map: 34 per row, a tenth of
/// reading the rows.
const LEDGER_INDEX: [usize; 64] = {
    let mut index = [usize::MAX; 64];
    let mut i = 0;
    while i < LEDGER_COLUMNS.len() {
        index[LEDGER_COLUMNS[i] as usize] = i;
        i += 1;
    }
    index
};

/// The value of column `c` (one of `LEDGER_COLUMNS`) in a ledger row.
fn at<T: sea_orm::TryGetable>(res: &sea_orm::QueryResult, c: request::Column) -> Result<T, DbErr> {
    res.try_get_by_index(LEDGER_INDEX[c as usize])
}

/// A request as the ledger reads it: `LEDGER_COLUMNS`, the others empty. Only the ledger's
/// own functions (`flags`, `chain_of` and the cells) see it; one of them that comes to read
/// another column needs it added to `LEDGER_COLUMNS`.
struct LedgerRequest(request::Model);

impl sea_orm::FromQueryResult for LedgerRequest {
    fn from_query_result(res: &sea_orm::QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Ok(LedgerRequest(request::Model {
            id: at(res, request::Column::Id)?,
            number: at(res, request::Column::Number)?,
            kind: at(res, request::Column::Kind)?,
            title: String::new(),
            amount_fen: at(res, request::Column::AmountFen)?,
            currency: String::new(),
            refundable: at(res, request::Column::Refundable)?,
            payer_entity: at(res, request::Column::PayerEntity)?,
            payer_credit_code: String::new(),
            payer_bank: at(res, request::Column::PayerBank)?,
            payer_account: at(res, request::Column::PayerAccount)?,
            payee_name: at(res, request::Column::PayeeName)?,
            payee_bank: String::new(),
            payee_account: at(res, request::Column::PayeeAccount)?,
            transfer_remark: String::new(),
            order_date: NaiveDate::default(),
            pay_by: at(res, request::Column::PayBy)?,
            purpose: at(res, request::Column::Purpose)?,
            mini_program: at(res, request::Column::MiniProgram)?,
            requester_id: at(res, request::Column::RequesterId)?,
            department_id: at(res, request::Column::DepartmentId)?,
            status: at(res, request::Column::Status)?,
            version: 0,
            round: at(res, request::Column::Round)?,
            manager_approver_id: at(res, request::Column::ManagerApproverId)?,
            manager_approved_by: at(res, request::Column::ManagerApprovedBy)?,
            finance_approved_by: at(res, request::Column::FinanceApprovedBy)?,
            submitted_at: at(res, request::Column::SubmittedAt)?,
            approved_at: at(res, request::Column::ApprovedAt)?,
            paid_at: at(res, request::Column::PaidAt)?,
            payout_amount_fen: at(res, request::Column::PayoutAmountFen)?,
            payout_reference: at(res, request::Column::PayoutReference)?,
            payout_override_reason: None,
            paid_by: None,
            refund_due: at(res, request::Column::RefundDue)?,
            refunded_at: at(res, request::Column::RefundedAt)?,
            refund_amount_fen: at(res, request::Column::RefundAmountFen)?,
            refund_reference: None,
            flags: at(res, request::Column::Flags)?,
            mini_program_id: None,
            company_id: None,
            payer_account_id: None,
            chain: at(res, request::Column::Chain)?,
            resolution: at(res, request::Column::Resolution)?,
            resolution_reason: at(res, request::Column::ResolutionReason)?,
            resolved_by: None,
            resolved_at: None,
            created_at: at(res, request::Column::CreatedAt)?,
            updated_at: at(res, request::Column::UpdatedAt)?,
        }))
    }
}

/// A page of the ledger's requests, with the audit events its hand-offs (转交, 加签, 撤回)
/// are told from.
type LedgerPage = (Vec<request::Model>, Vec<entity::audit_event::Model>);

/// Ledger pages read ahead of the one being turned into cells: each on a connection of its
/// own, so that decoding rows (most of an export's time) uses both cores.
const LEDGER_READ_AHEAD: usize = 2;

/// Rows in a ledger page. Five pages are alive at a time (two being read, one turned into
/// cells, one queued for the writer, one being written), so a page is smaller than `PAGE`.
pub(crate) const LEDGER_PAGE: u64 = 1000;

/// The ledger's pages in id order, `LEDGER_READ_AHEAD` of them read at once. Each page is a
/// range of ids: after the previous page's last id, up to the `LEDGER_PAGE`th matching id
/// after it (a query that reads ids only), so a page can be read before the one before it is.
struct LedgerPages<'a> {
    db: &'a DatabaseConnection,
    filter: &'a Condition,
    /// The last id of the latest page started; `None` once a page ran to the end.
    after: Option<i32>,
    reading: std::collections::VecDeque<tokio::task::JoinHandle<Result<LedgerPage, DbErr>>>,
}

impl Drop for LedgerPages<'_> {
    /// An export that stops early (the writer failed, a read failed) stops its reads too.
    fn drop(&mut self) {
        for page in &self.reading {
            page.abort();
        }
    }
}

impl<'a> LedgerPages<'a> {
    fn new(db: &'a DatabaseConnection, filter: &'a Condition) -> LedgerPages<'a> {
        LedgerPages { db, filter, after: Some(0), reading: Default::default() }
    }

    /// The next page, empty after the last. (A page whose requests were all deleted meanwhile
    /// is skipped, not taken for the end.)
    async fn next(&mut self) -> Result<LedgerPage, DbErr> {
        loop {
            let page = self.next_range().await?;
            if !page.0.is_empty() || (self.reading.is_empty() && self.after.is_none()) {
                return Ok(page);
            }
        }
    }

    async fn next_range(&mut self) -> Result<LedgerPage, DbErr> {
        while self.reading.len() < LEDGER_READ_AHEAD {
            let Some(after) = self.after else { break };
            let upto: Option<i32> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .filter(self.filter.clone())
                .filter(request::Column::Id.gt(after))
                .order_by_asc(request::Column::Id)
                .offset(LEDGER_PAGE - 1)
                .limit(1)
                .into_tuple()
                .one(self.db)
                .await?;
            self.reading.push_back(read_ledger_page(self.db, self.filter, after, upto));
            self.after = upto;
        }
        match self.reading.pop_front() {
            Some(page) => page.await.map_err(|e| DbErr::Custom(format!("reading the ledger: {e}")))?,
            None => Ok((Vec::new(), Vec::new())),
        }
    }
}

/// Starts reading the requests with ids in `(after, upto]` (to the end without `upto`).
fn read_ledger_page(
    db: &DatabaseConnection,
    filter: &Condition,
    after: i32,
    upto: Option<i32>,
) -> tokio::task::JoinHandle<Result<LedgerPage, DbErr>> {
    let (db, filter) = (db.clone(), filter.clone());
    tokio::spawn(async move {
        let mut q = request::Entity::find().select_only().columns(LEDGER_COLUMNS).filter(filter).filter(request::Column::Id.gt(after));
        if let Some(upto) = upto {
            q = q.filter(request::Column::Id.lte(upto));
        }
        let page: Vec<request::Model> =
            q.order_by_asc(request::Column::Id).into_model::<LedgerRequest>().all(&db).await?.into_iter().map(|r| r.0).collect();
        if page.is_empty() {
            return Ok((page, Vec::new()));
        }
        let events = entity::audit_event::Entity::find()
            .filter(entity::audit_event::Column::RequestId.is_in(page.iter().map(|m| m.id)))
            .filter(entity::audit_event::Column::Action.is_in(["transfer", "add_approver", "recall"]))
            .order_by_asc(entity::audit_event::Column::Seq)
            .all(&db)
            .await?;
        Ok((page, events))
    })
}

/// The hand-offs of a page of requests, told from their audit events in order.
fn handoffs(events: Vec<entity::audit_event::Model>, names: &Names) -> HashMap<i32, Vec<String>> {
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for e in events {
        let after: serde_json::Value = e.after_state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let to = after.get("to_user_name").and_then(|v| v.as_str()).unwrap_or("");
        let actor = match e.on_behalf_of_id {
            Some(b) => format!("{}（代{}）", e.actor_name, names.user(Some(b))),
            None => e.actor_name.clone(),
        };
        let text = match e.action.as_str() {
            "transfer" => format!("转交：{actor}→{to}"),
            "add_approver" => format!("加签：{actor}加{to}"),
            _ => format!("撤回：{actor}"),
        };
        if let Some(r) = e.request_id {
            out.entry(r).or_default().push(text);
        }
    }
    out
}

fn highlighted(fl: &[Flag]) -> bool {
    fl.iter().any(|f| matches!(f, Flag::PayoutOverdue | Flag::RefundOverdue | Flag::RefundMismatch))
}

fn difference(m: &request::Model) -> Option<i64> {
    m.payout_amount_fen.map(|paid| paid - m.refund_amount_fen.unwrap_or(0)).filter(|_| m.refundable)
}

/// 处理结果: how a short or missing refund was ended, and why (empty when it was not).
fn resolution_text(m: &request::Model) -> String {
    match m.resolution.as_deref().and_then(Resolution::parse) {
        Some(r) => format!("{}：{}", r.label_zh(), m.resolution_reason.as_deref().unwrap_or("")),
        None => String::new(),
    }
}

fn mini_program_name(m: &request::Model) -> String {
    m.mini_program.as_ref().and_then(|v| v.get("name")).and_then(|n| n.as_str()).unwrap_or("").to_owned()
}

async fn ledger_sheet(db: &DatabaseConnection, filter: &Condition, ctx: &mut Context<'_>, out: &Out<'_>) -> Result<(), ReadError> {
    let layout =
        Layout { title: ctx.heading.title.clone(), fits: &LEDGER_FITS, printed_columns: LEDGER_PRINTED, one_page: false, sign_off: false };
    out.send(Piece::Sheet(Box::new(SheetSpec {
        name: "台账", headers: &LEDGER_HEADERS, layout, rows: ctx.total, total_label: "合计"
    })))
    .await?;
    let mut pages = LedgerPages::new(db, filter);
    loop {
        let (page, events) = pages.next().await?;
        if page.is_empty() {
            break;
        }
        let moves = handoffs(events, &ctx.names);
        let n = page.len() as u64;
        let mut rows = Vec::with_capacity(page.len());
        for mut m in page {
            let fl = flags(&m, ctx.today);
            // What is computed from the row first; then its strings move into their cells.
            let derived = [
                Cell::text(Kind::parse(&m.kind).map(|k| k.label_zh()).unwrap_or("")),
                Cell::text(fl.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")),
                Cell::text(approval_path(&m, &ctx.names, moves.get(&m.id).map(Vec::as_slice).unwrap_or(&[]))),
                Cell::text(resolution_text(&m)),
            ];
            let (difference, days_overdue) = (difference(&m), ctx.days_overdue(&m));
            let status = Status::parse(&m.status).map(|s| s.label_zh()).unwrap_or("");
            let mini_program = mini_program_name(&m);
            let account = format!("{} {}", m.payer_bank, m.payer_account);
            let mut cells = Vec::with_capacity(LEDGER_HEADERS.len());
            cells.extend([
                Cell::text(m.number.take().unwrap_or_default()),
                Cell::Date(china_date(m.submitted_at.unwrap_or(m.created_at))),
                Cell::text(ctx.names.user(Some(m.requester_id))),
                Cell::text(ctx.names.department(m.department_id)),
                Cell::text(std::mem::take(&mut m.payer_entity)),
                Cell::text(account),
                Cell::text(std::mem::take(&mut m.payee_name)),
                Cell::text(std::mem::take(&mut m.payee_account)),
                Cell::Money(m.amount_fen),
                Cell::text(amount_in_words(m.amount_fen)),
                Cell::text(std::mem::take(&mut m.purpose)),
                Cell::text(mini_program),
                Cell::text(status),
                Cell::text(ctx.names.user(m.manager_approved_by)),
                Cell::text(ctx.names.user(m.finance_approved_by)),
                Cell::opt_date(m.paid_at),
                Cell::text(m.payout_reference.take().unwrap_or_default()),
                Cell::opt_date(m.refund_due),
                Cell::opt_date(m.refunded_at),
                Cell::opt_money(m.refund_amount_fen),
                Cell::opt_money(difference),
                Cell::Int(days_overdue),
            ]);
            cells.extend(derived);
            rows.push(Row { cells, highlight: highlighted(&fl) });
        }
        out.send(Piece::Rows(rows)).await?;
        ctx.tick(n);
    }
    out.send(Piece::End).await
}

const RECONCILIATION_HEADERS: [&str; 15] = [
    "单号",
    "申请人",
    "部门",
    "收款方",
    "收款账号",
    "打款日期",
    "打款金额",
    "打款流水号",
    "退款截止日",
    "退款日期",
    "退款金额",
    "差额",
    "逾期工作日",
    "状态",
    "处理结果",
];

/// Fifteen columns fit landscape A4 at nearly full size: names and references on one line.
const RECONCILIATION_FITS: [Fit; 15] = [
    Fit::Line(15.0),
    Fit::Line(9.0),
    Fit::Wrap(8.0),
    Fit::Wrap(31.0), // 收款方: 深圳市腾讯计算机系统有限公司 on one line
    Fit::Wrap(18.0),
    Fit::Line(11.0),
    Fit::Line(15.0),
    Fit::Wrap(20.0),
    Fit::Line(11.0),
    Fit::Line(11.0),
    Fit::Line(15.0),
    Fit::Line(15.0),
    Fit::Line(7.0),
    Fit::Line(13.0),
    Fit::Wrap(16.0), // 处理结果: 接受差额：腾讯少退手续费
];

async fn reconciliation_sheet(
    db: &DatabaseConnection,
    filter: &Condition,
    ctx: &mut Context<'_>,
    out: &Out<'_>,
    name: &'static str,
    oldest_first: bool,
) -> Result<(), ReadError> {
    // The 对账 sheet is what finance signs; 未退款 is its follow-up list.
    let layout = Layout {
        title: if oldest_first { format!("{}（{name}）", ctx.heading.title) } else { ctx.heading.title.clone() },
        fits: &RECONCILIATION_FITS,
        printed_columns: RECONCILIATION_HEADERS.len(),
        one_page: false,
        sign_off: !oldest_first,
    };
    out.send(Piece::Sheet(Box::new(SheetSpec { name, headers: &RECONCILIATION_HEADERS, layout, rows: ctx.total, total_label: "合计" })))
        .await?;
    // Keyset pagination: by id, or by (paid_at, id) for the oldest-first sheet.
    let mut cursor: Option<(NaiveDate, i32)> = None;
    let mut last_id = 0;
    loop {
        let mut q = request::Entity::find().filter(filter.clone());
        if oldest_first {
            if let Some((paid, id)) = cursor {
                q = q.filter(
                    Condition::any()
                        .add(request::Column::PaidAt.gt(paid))
                        .add(Condition::all().add(request::Column::PaidAt.eq(paid)).add(request::Column::Id.gt(id))),
                );
            }
            q = q.order_by_asc(request::Column::PaidAt).order_by_asc(request::Column::Id);
        } else {
            q = q.filter(request::Column::Id.gt(last_id)).order_by_asc(request::Column::Id);
        }
        let page = q.limit(PAGE).all(db).await?;
        let Some(last) = page.last() else { break };
        last_id = last.id;
        cursor = last.paid_at.map(|p| (p, last.id));
        let mut rows = Vec::with_capacity(page.len());
        for m in &page {
            let fl = flags(m, ctx.today);
            let cells = vec![
                Cell::text(m.number.clone().unwrap_or_default()),
                Cell::text(ctx.names.user(Some(m.requester_id))),
                Cell::text(ctx.names.department(m.department_id)),
                Cell::text(m.payee_name.clone()),
                Cell::text(m.payee_account.clone()),
                Cell::opt_date(m.paid_at),
                Cell::opt_money(m.payout_amount_fen),
                Cell::text(m.payout_reference.clone().unwrap_or_default()),
                Cell::opt_date(m.refund_due),
                Cell::opt_date(m.refunded_at),
                Cell::Money(m.refund_amount_fen.unwrap_or(0)),
                Cell::opt_money(difference(m)),
                Cell::Int(ctx.days_overdue(m)),
                Cell::text(Status::parse(&m.status).map(|s| s.label_zh()).unwrap_or("")),
                Cell::text(resolution_text(m)),
            ];
            rows.push(Row { cells, highlight: highlighted(&fl) });
        }
        out.send(Piece::Rows(rows)).await?;
        if !oldest_first {
            ctx.tick(page.len() as u64);
        }
    }
    out.send(Piece::End).await
}

/// Count and sum per status and per department, computed by the database.
/// The requests `filter` selects, counted and their amounts summed, by status and department.
type SummaryGroups = Vec<(String, Option<i32>, i64, Option<i64>)>;

/// The summary's figures, in one reading of the requests: each grouping is added up from
/// these.
async fn summary_groups(db: DatabaseConnection, filter: Condition) -> Result<SummaryGroups, DbErr> {
    request::Entity::find()
        .select_only()
        .column(request::Column::Status)
        .column(request::Column::DepartmentId)
        .column_as(Expr::expr(Func::count(Expr::col(request::Column::Id))), "n")
        .column_as(Expr::expr(Func::sum(Expr::col(request::Column::AmountFen))).cast_as("BIGINT"), "total")
        .filter(filter)
        .group_by(request::Column::DepartmentId)
        .group_by(request::Column::Status)
        .into_tuple()
        .all(&db)
        .await
}

/// The groups of `groups` by `key`, in first-seen order, with their counts and sums added.
fn regroup<K: PartialEq>(groups: &SummaryGroups, key: impl Fn(&(String, Option<i32>, i64, Option<i64>)) -> K) -> Vec<(K, i64, i64)> {
    let mut out: Vec<(K, i64, i64)> = Vec::new();
    for g in groups {
        let k = key(g);
        let (n, total) = (g.2, g.3.unwrap_or(0));
        match out.iter_mut().find(|(o, _, _)| *o == k) {
            Some(o) => {
                o.1 += n;
                o.2 = o.2.saturating_add(total);
            }
            None => out.push((k, n, total)),
        }
    }
    out
}

async fn summary_sheet(groups: SummaryGroups, ctx: &Context<'_>, kind: ExportKind, out: &Out<'_>) -> Result<(), ReadError> {
    let by_status = regroup(&groups, |g| g.0.clone());
    let mut by_dept = regroup(&groups, |g| g.1);
    // Departments in the order of their ids, as the database used to group them.
    by_dept.sort_by_key(|(d, _, _)| *d);
    let layout =
        Layout { title: format!("{}（汇总）", kind.title()), fits: &SUMMARY_FITS, printed_columns: 4, one_page: true, sign_off: false };
    // Each request is counted once per grouping; the totals row adds both groupings, so it is
    // labelled accordingly.
    let spec =
        SheetSpec {
            name: "汇总", headers: &["分组", "名称", "笔数", "金额"], layout, rows: 0, total_label: "合计（两种分组各计一次）"
        };
    out.send(Piece::Sheet(Box::new(spec))).await?;
    let mut rows = Vec::new();
    let mut statuses: Vec<_> = by_status.into_iter().collect();
    statuses.sort_by_key(|(s, _, _)| Status::ALL.iter().position(|x| x.as_str() == s).unwrap_or(99));
    for (status, n, total) in statuses {
        let label = Status::parse(&status).map(|s| s.label_zh()).unwrap_or("");
        rows.push(Row { cells: vec![Cell::text("按状态"), Cell::text(label), Cell::Int(n), Cell::Money(total)], highlight: false });
    }
    for (dept, n, total) in by_dept {
        let name = if dept.is_some() { ctx.names.department(dept) } else { "（无部门）".to_owned() };
        rows.push(Row { cells: vec![Cell::text("按部门"), Cell::text(name), Cell::Int(n), Cell::Money(total)], highlight: false });
    }
    out.send(Piece::Rows(rows)).await?;
    out.send(Piece::End).await
}

const SUMMARY_FITS: [Fit; 4] = [Fit::Line(8.0), Fit::Wrap(30.0), Fit::Line(8.0), Fit::Line(18.0)];
