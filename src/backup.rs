//! `verifund backup` and `verifund restore` (DESIGN §2.6): a logical, portable snapshot.
//!
//! A backup is a zip holding `manifest.json` (format, schema migration, row count per table,
//! file count), `tables/<table>.jsonl` (one JSON object per row, values in a form both
//! databases read: numbers, strings, RFC 3339 timestamps, dates, nested JSON) and
//! `files/<storage key>` for every stored file a row refers to. All of it is read in one
//! transaction (REPEATABLE READ, read-only on PostgreSQL; one read transaction on SQLite in
//! WAL mode), so it is consistent while the server keeps writing.
//!
//! A restore runs the migrations, refuses a database that holds anything, inserts the tables
//! in dependency order in batches, sets PostgreSQL's sequences past the restored ids, and puts
//! the files into the configured file store. Restoring a SQLite backup into PostgreSQL is how
//! an installation moves up.
use crate::config::Config;
use crate::files::FileStore;
use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, Iterable, QueryResult, Statement,
    TransactionTrait, Value,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::Path;

pub const FORMAT: u32 = 1;

/// Tables deliberately left out of a backup, and why.
pub const SKIPPED: [(&str, &str); 18] = [
    ("request_counts", "kept by triggers: the restored requests count themselves"),
    // The search index (SQLite FTS5: the table and its shadow tables), kept by triggers.
    ("requests_search", "the search index is rebuilt by triggers as requests are restored"),
    ("requests_search_data", "FTS5 shadow table"),
    ("requests_search_idx", "FTS5 shadow table"),
    ("requests_search_content", "FTS5 shadow table"),
    ("requests_search_docsize", "FTS5 shadow table"),
    ("requests_search_config", "FTS5 shadow table"),
    // The one- and two-character search index (SQLite FTS5, contentless) and its positions.
    ("requests_grams", "the short-text search index is rebuilt by triggers as requests are restored"),
    ("requests_grams_data", "FTS5 shadow table"),
    ("requests_grams_idx", "FTS5 shadow table"),
    ("requests_grams_docsize", "FTS5 shadow table"),
    ("requests_grams_config", "FTS5 shadow table"),
    ("search_positions", "fixed numbers 1..4000 made by the migration"),
    ("seaql_migrations", "the restore runs the migrations itself"),
    ("sso_logins", "sign-ins under way expire within ten minutes"),
    ("sso_codes", "one-use sign-in codes expire within a minute"),
    ("file_chunks", "the files travel as files/<storage key>"),
    ("login_throttles", "failed-login counters expire within minutes"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    BigInt,
    Text,
    Bool,
    Date,
    Timestamp,
    Json,
}

struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
}

fn kind_of(t: &ColumnType) -> Kind {
    match t {
        ColumnType::Integer | ColumnType::SmallInteger | ColumnType::TinyInteger => Kind::Int,
        ColumnType::BigInteger => Kind::BigInt,
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Date => Kind::Date,
        ColumnType::TimestampWithTimeZone | ColumnType::DateTime | ColumnType::Timestamp => Kind::Timestamp,
        ColumnType::Json | ColumnType::JsonBinary => Kind::Json,
        _ => Kind::Text,
    }
}

fn entity<E: EntityTrait + Default>() -> Table {
    Table {
        name: E::default().table_name().to_owned(),
        columns: E::Column::iter().map(|c| (sea_orm::IdenStatic::as_str(&c).to_owned(), kind_of(c.def().get_column_type()))).collect(),
    }
}

fn raw(name: &str, columns: &[(&str, Kind)]) -> Table {
    Table { name: name.to_owned(), columns: columns.iter().map(|(c, k)| ((*c).to_owned(), *k)).collect() }
}

/// Every table, parents before children.
fn tables() -> Vec<Table> {
    use entity::*;
    vec![
        entity::<setting::Entity>(),
        entity::<department::Entity>(),
        entity::<user::Entity>(),
        entity::<user_identity::Entity>(),
        entity::<company::Entity>(),
        entity::<company_account::Entity>(),
        entity::<company_finance_user::Entity>(),
        entity::<mini_program::Entity>(),
        entity::<request::Entity>(),
        entity::<request_person::Entity>(),
        entity::<attachment::Entity>(),
        entity::<refund::Entity>(),
        entity::<mini_program_material::Entity>(),
        entity::<delegation::Entity>(),
        entity::<notification::Entity>(),
        entity::<outbox::Entity>(),
        entity::<idempotency_key::Entity>(),
        entity::<bank_statement::Entity>(),
        entity::<bank_statement_line::Entity>(),
        entity::<bank_mapping::Entity>(),
        entity::<calendar_year::Entity>(),
        entity::<audit_event::Entity>(),
        raw("audit_head", &[("id", Kind::Int), ("last_seq", Kind::BigInt), ("last_hash", Kind::Text)]),
        raw("request_seq", &[("month", Kind::Text), ("last_seq", Kind::Int)]),
        raw("job_runs", &[("name", Kind::Text), ("run_date", Kind::Date), ("started_at", Kind::Timestamp)]),
    ]
}

/// The names of the tables a backup holds.
pub fn table_names() -> Vec<String> {
    tables().into_iter().map(|t| t.name).collect()
}

/// Self-references inserted as NULL first and set once every row is in (a manager may have a
/// higher id than the people under them).
const DEFERRED: [(&str, &str); 2] = [("users", "manager_id"), ("departments", "parent_id")];

/// Stored files: the tables and the column holding the storage key.
const FILE_COLUMNS: [(&str, &str); 2] = [("attachments", "storage_key"), ("mini_program_materials", "storage_key")];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub backend: String,
    /// The last schema migration applied to the database backed up.
    pub migration: String,
    pub tables: BTreeMap<String, u64>,
    pub files: u64,
    pub missing_files: Vec<String>,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.values().sum()
    }
}

/// The tables that exist in the database.
pub async fn existing_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(rows.iter().filter_map(|r| r.try_get::<String>("", "name").ok()).collect())
}

async fn last_migration(db: &impl ConnectionTrait) -> anyhow::Result<String> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT MAX(version) AS v FROM seaql_migrations")).await?;
    Ok(row.and_then(|r| r.try_get::<Option<String>>("", "v").ok().flatten()).unwrap_or_default())
}

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

fn to_json(row: &QueryResult, col: &str, kind: Kind) -> anyhow::Result<Json> {
    let v = match kind {
        Kind::Int => row.try_get::<Option<i32>>("", col)?.map(Json::from),
        Kind::BigInt => row.try_get::<Option<i64>>("", col)?.map(Json::from),
        Kind::Text => row.try_get::<Option<String>>("", col)?.map(Json::from),
        Kind::Bool => row.try_get::<Option<bool>>("", col)?.map(Json::from),
        Kind::Date => row.try_get::<Option<NaiveDate>>("", col)?.map(|d| Json::from(d.to_string())),
        Kind::Timestamp => row.try_get::<Option<DateTime<Utc>>>("", col)?.map(|t| Json::from(t.to_rfc3339())),
        Kind::Json => row.try_get::<Option<Json>>("", col)?,
    };
    Ok(v.unwrap_or(Json::Null))
}

fn to_value(v: Option<&Json>, kind: Kind, what: &str) -> anyhow::Result<Value> {
    let v = v.filter(|v| !v.is_null());
    let bad = || anyhow::anyhow!("{what}: unexpected value {v:?}");
    Ok(match kind {
        Kind::Int => Value::Int(v.map(|v| v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(bad)).transpose()?),
        Kind::BigInt => Value::BigInt(v.map(|v| v.as_i64().ok_or_else(bad)).transpose()?),
        Kind::Text => Value::String(v.map(|v| v.as_str().map(str::to_owned).ok_or_else(bad)).transpose()?),
        Kind::Bool => Value::Bool(v.map(|v| v.as_bool().or_else(|| v.as_i64().map(|n| n != 0)).ok_or_else(bad)).transpose()?),
        Kind::Date => Value::ChronoDate(v.map(|v| v.as_str().and_then(|s| s.parse::<NaiveDate>().ok()).ok_or_else(bad)).transpose()?),
        Kind::Timestamp => Value::ChronoDateTimeUtc(
            v.map(|v| v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc)).ok_or_else(bad))
                .transpose()?,
        ),
        // A SQLite backup may hold nested JSON as its text.
        Kind::Json => Value::Json(
            v.map(|v| match v {
                Json::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
                other => other.clone(),
            })
            .map(Box::new),
        ),
    })
}

/// Writes the backup; returns its manifest.
pub async fn backup(db: &DatabaseConnection, config: &Config, out: &Path) -> anyhow::Result<Manifest> {
    let tx = crate::db::read_snapshot(db).await?;
    let store = FileStore::from_config(config);
    let tmp = out.with_extension("partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    let mut manifest = Manifest {
        format: FORMAT,
        created_at: Utc::now(),
        backend: format!("{:?}", db.get_database_backend()).to_lowercase(),
        migration: last_migration(&tx).await?,
        tables: BTreeMap::new(),
        files: 0,
        missing_files: Vec::new(),
    };
    let mut keys = Vec::new();
    for t in tables() {
        let cols: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
        let sql = format!("SELECT {} FROM {} ORDER BY 1", cols.join(", "), quote(&t.name));
        let rows = tx.query_all_raw(Statement::from_string(tx.get_database_backend(), sql)).await?;
        zip.start_file(format!("tables/{}.jsonl", t.name), opts)?;
        let file_col = FILE_COLUMNS.iter().find(|(name, _)| *name == t.name).map(|(_, c)| *c);
        for row in &rows {
            let mut obj = Map::new();
            for (c, k) in &t.columns {
                obj.insert(c.clone(), to_json(row, c, *k).with_context(|| format!("{}.{c}", t.name))?);
            }
            if let Some(fc) = file_col
                && let Some(k) = obj.get(fc).and_then(|v| v.as_str())
            {
                keys.push(k.to_owned());
            }
            serde_json::to_writer(&mut zip, &obj)?;
            zip.write_all(b"\n")?;
        }
        manifest.tables.insert(t.name, rows.len() as u64);
    }
    keys.sort();
    keys.dedup();
    for key in keys {
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        match store.read(&tx, &key).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            Some(bytes) => {
                zip.start_file(format!("files/{key}"), opts)?;
                zip.write_all(&bytes)?;
                manifest.files += 1;
            }
            None => manifest.missing_files.push(key),
        }
    }
    tx.commit().await?;
    zip.start_file("manifest.json", opts)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    zip.finish()?.flush()?;
    std::fs::rename(&tmp, out)?;
    Ok(manifest)
}

/// Loads a backup into the (empty) database and file store that `config` names.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<Manifest> {
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f)).context("not a verifund backup (not a zip archive)")?;
    let manifest: Manifest = {
        let mut s = String::new();
        zip.by_name("manifest.json").context("not a verifund backup (no manifest.json)")?.read_to_string(&mut s)?;
        serde_json::from_str(&s).context("manifest.json")?
    };
    if manifest.format != FORMAT {
        bail!("backup format {} is not supported by this verifund (it reads format {FORMAT})", manifest.format);
    }
    let db = crate::db::connect(config).await?;
    let known = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect::<Vec<_>>()
    };
    if !manifest.migration.is_empty() && !known.contains(&manifest.migration) {
        bail!("the backup comes from a newer verifund (schema {}); restore it with that version or later", manifest.migration);
    }
    crate::db::migrate(&db, config).await?;
    let backend = db.get_database_backend();
    for t in tables() {
        let sql = if t.name == "audit_head" {
            "SELECT COUNT(*) AS n FROM audit_head WHERE last_seq <> 0".to_owned()
        } else {
            format!("SELECT COUNT(*) AS n FROM {}", quote(&t.name))
        };
        let n: i64 = db.query_one_raw(Statement::from_string(backend, sql)).await?.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if n > 0 {
            bail!(
                "the database is not empty ({} holds {n} row(s)); restore only into a new, empty database \
                 (a new SQLite file or an empty PostgreSQL database/schema)",
                t.name
            );
        }
    }
    let tx = db.begin().await?;
    tx.execute_unprepared("DELETE FROM audit_head").await?;
    let mut deferred: Vec<(String, String, Value, Value)> = Vec::new();
    for t in tables() {
        let Ok(entry) = zip.by_name(&format!("tables/{}.jsonl", t.name)) else { continue };
        let reader = std::io::BufReader::new(entry);
        let per_batch = (30_000 / t.columns.len().max(1)).clamp(1, 1000);
        let mut batch: Vec<Vec<Value>> = Vec::new();
        let mut count = 0u64;
        for line in reader.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let obj: Map<String, Json> = serde_json::from_str(&line).with_context(|| format!("tables/{}.jsonl", t.name))?;
            let mut values = Vec::with_capacity(t.columns.len());
            for (c, k) in &t.columns {
                let what = format!("{}.{c}", t.name);
                let mut v = to_value(obj.get(c), *k, &what)?;
                if DEFERRED.contains(&(t.name.as_str(), c.as_str())) && obj.get(c).is_some_and(|x| !x.is_null()) {
                    deferred.push((t.name.clone(), c.clone(), v, to_value(obj.get("id"), Kind::Int, &what)?));
                    v = to_value(None, *k, &what)?;
                }
                values.push(v);
            }
            batch.push(values);
            count += 1;
            if batch.len() >= per_batch {
                insert(&tx, &t, std::mem::take(&mut batch)).await?;
            }
        }
        if !batch.is_empty() {
            insert(&tx, &t, batch).await?;
        }
        let expected = manifest.tables.get(&t.name).copied().unwrap_or(0);
        if count != expected {
            bail!("tables/{}.jsonl holds {count} rows, the manifest says {expected}; the backup is damaged", t.name);
        }
    }
    for (table, col, value, id) in deferred {
        use sea_orm::sea_query::ExprTrait;
        let q = Query::update()
            .table(Alias::new(&table))
            .value(Alias::new(&col), value)
            .and_where(sea_orm::sea_query::Expr::col(Alias::new("id")).eq(id))
            .to_owned();
        tx.execute(&q).await?;
    }
    // Every page kept from before (a server already running on the empty database) is out of
    // date, those that cannot show a draft included (`store::cache::Versions`).
    tx.execute_unprepared("UPDATE audit_head SET shared_seq = last_seq").await?;
    if backend == DatabaseBackend::Postgres {
        for t in tables() {
            if t.columns.iter().any(|(c, k)| c == "id" && *k == Kind::Int) {
                let sql = format!(
                    "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence('{0}', 'id') AS s, MAX(id) AS m FROM {1}) x \
                     WHERE s IS NOT NULL AND m IS NOT NULL",
                    t.name,
                    quote(&t.name)
                );
                tx.execute_unprepared(&sql).await?;
            }
        }
    }
    tx.commit().await?;
    let store = FileStore::from_config(config);
    let names: Vec<String> = zip.file_names().filter_map(|n| n.ok().filter(|n| n.starts_with("files/")).map(|n| n.into_owned())).collect();
    for name in names {
        let key = &name["files/".len()..];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let mut bytes = Vec::new();
        zip.by_name(&name)?.read_to_end(&mut bytes)?;
        store.put_as(&db, key, &bytes).await.map_err(|e| anyhow::anyhow!("restoring file {key}: {e}"))?;
    }
    Ok(manifest)
}

async fn insert(tx: &impl ConnectionTrait, t: &Table, rows: Vec<Vec<Value>>) -> anyhow::Result<()> {
    let mut q = Query::insert();
    q.into_table(Alias::new(&t.name)).columns(t.columns.iter().map(|(c, _)| Alias::new(c)));
    for r in rows {
        q.values(r.into_iter().map(Into::into))?;
    }
    tx.execute(&q).await.with_context(|| format!("inserting into {}", t.name))?;
    Ok(())
}
