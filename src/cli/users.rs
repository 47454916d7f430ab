//! `verifund user add` and `users import`: people and departments from the command line.
use anyhow::bail;
use verifund::domain::roles::{Role, RoleSet};

pub fn parse_roles(names: &[String]) -> anyhow::Result<RoleSet> {
    let mut set = RoleSet::default();
    for n in names {
        match Role::parse(n) {
            Some(r) => set.insert(r),
            None => bail!("unknown role {n:?}; use requester, manager, finance, admin or auditor"),
        }
    }
    Ok(set)
}

/// `verifund users import FILE [--commit]`: the same checks and summary as the API.
pub async fn import(config: &verifund::config::Config, file: &std::path::Path, commit: bool) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let rows = match verifund::domain::statement::read_rows(&name, &bytes) {
        Ok(rows) => rows,
        Err(verifund::domain::statement::ParseError::Unreadable { en, .. }) => bail!("{}: {en}", file.display()),
        Err(_) => bail!("{}: not a readable xlsx or csv", file.display()),
    };
    let db = verifund::db::connect_and_migrate(config).await?;
    let ctx = verifund::store::apply::Ctx { db: &db, config, now: chrono::Utc::now() };
    let report = verifund::store::org::import(ctx, &verifund::store::users::Operator::cli(), None, &rows, commit)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.problem_body(verifund::error::Lang::En).1.detail))?;
    let mode = if !report.errors.is_empty() {
        "refused, nothing written"
    } else if commit {
        "committed"
    } else {
        "preview, nothing written; add --commit to apply"
    };
    println!(
        "created {}, updated {}, unchanged {}, disabled {}, errors {} ({mode})",
        report.created,
        report.updated,
        report.unchanged,
        report.disabled,
        report.errors.len()
    );
    for e in &report.errors {
        println!("  row {} [{}]: {}", e.row, e.field, e.message.zh);
    }
    Ok(if report.errors.is_empty() { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE })
}
