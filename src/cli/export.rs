//! `verifund export ledger|reconciliation`: the Excel workbooks from the command line.
use super::{ExportArgs, describe};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use verifund::export::ExportKind;

/// Runs an export with the list filters, showing progress on the terminal.
pub async fn export_to_file(db: &DatabaseConnection, kind: ExportKind, args: &ExportArgs) -> anyhow::Result<u64> {
    use verifund::domain::workflow::{Kind, Status};
    let status = match &args.status {
        Some(s) => Some(Status::parse(s).with_context(|| format!("unknown status {s}"))?),
        None => None,
    };
    let request_kind = match &args.kind {
        Some(k) => Some(Kind::parse(k).with_context(|| format!("unknown kind {k}"))?),
        None => None,
    };
    let q = verifund::store::list::ListQuery {
        status,
        kind: request_kind,
        flag: args.flag.clone(),
        q: args.q.clone(),
        from: args.from,
        to: args.to,
        department_id: args.department_id,
        requester_id: None,
        page: None,
        per_page: None,
        sort: None,
    };
    let now = chrono::Utc::now();
    let filter =
        verifund::store::list::filter_condition(&q, verifund::clock::china_date(now), sea_orm::ConnectionTrait::get_database_backend(db))
            .map_err(describe)?;
    let started = std::time::Instant::now();
    let progress = |done: u64, total: u64| {
        use std::io::Write;
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let filled = (pct / 5) as usize;
        eprint!("\r[{}{}] {done}/{total} ({pct}%) {:.1}s", "#".repeat(filled), ".".repeat(20 - filled), started.elapsed().as_secs_f64());
        let _ = std::io::stderr().flush();
    };
    let scope = verifund::export::Scope { company: None, from: args.from, to: args.to };
    let rows = verifund::export::export(db, kind, filter, &scope, now, &args.out, &progress).await?;
    eprintln!();
    Ok(rows)
}
