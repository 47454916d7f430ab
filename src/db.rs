//! Connecting, migrating and the few instance-wide settings kept in the database.
use crate::config::Config;
use migration::{Migrator, MigratorTrait};
use rand::Rng;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Statement, sea_query::OnConflict,
};
use std::time::Duration;

/// Opens the database (creating the SQLite file and its directory when needed) and runs
/// pending migrations.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config).await?;
    migrate(&db, config).await?;
    crate::store::calendar::seed_builtin(&db, chrono::Utc::now()).await?;
    Ok(db)
}

/// `connect_and_migrate` for what reads or writes personal data (the server, `pii rotate`):
/// the PII key is checked against the database's key check value before anything is written,
/// so an instance with another key (or a freshly generated one) stops here.
pub async fn connect_checked(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config).await?;
    crate::pii::checked_key(&db, config.pii_key.as_deref(), &config.data_dir).await?;
    migrate(&db, config).await?;
    crate::store::calendar::seed_builtin(&db, chrono::Utc::now()).await?;
    Ok(db)
}

/// An arbitrary, fixed number: the PostgreSQL advisory lock that migrating holds.
const MIGRATION_LOCK: i64 = 0x7665_7269_6675_6e64;

/// Runs pending migrations. On PostgreSQL several instances starting at once take turns
/// through an advisory lock held on a connection of its own: the first migrates, the others
/// wait for it and then find nothing left to do.
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        // On a connection of its own: SQLite checks whether a table, column or trigger exists
        // against the schema the connection last read, and a pooled connection that had not
        // seen the previous migration's changes refused the next one now and then ("trigger
        // requests_search_insert already exists", "duplicate column name"). The pool's own
        // connections re-prepare their statements when they meet the new schema.
        let single = connect_with(config, 1).await?;
        let result = Migrator::up(&single, None).await;
        let _ = single.close().await;
        return Ok(result?);
    }
    let mut opts = ConnectOptions::new(config.effective_database_url());
    opts.sqlx_logging(false).max_connections(1).min_connections(1).acquire_timeout(Duration::from_secs(30));
    let lock = Database::connect(opts).await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await?;
    let result = Migrator::up(db, None).await;
    let _ = lock.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await;
    let _ = lock.close().await;
    Ok(result?)
}

/// Whether a table exists (in the current schema on PostgreSQL).
pub async fn table_exists(db: &impl ConnectionTrait, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = $1",
    };
    Ok(db.query_one_raw(stmt(backend, sql, vec![table.into()])).await?.is_some())
}

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    connect_with(config, 8).await
}

/// `connect` with at most `sqlite_connections` connections when the database is SQLite.
async fn connect_with(config: &Config, sqlite_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let url = config.effective_database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let mut opts = ConnectOptions::new(url.clone());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // SQLite allows one writer at a time; a few connections serve concurrent readers in
        // WAL mode. The pragmas are per connection, so they go into the connect options that
        // every pooled connection is opened with.
        opts.max_connections(sqlite_connections).min_connections(1).map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .create_if_missing(true)
                // A query's rows reach the caller through a channel from the connection's
                // thread; sqlx's 50 rows had that thread waiting on the caller (and both waking
                // each other) about once a row in an export's pages: a page fits now.
                .row_buffer_size(crate::export::workbooks::LEDGER_PAGE as usize)
        });
    } else {
        // A schema can be chosen with `?options=-c%20search_path%3DNAME` (tests use one each).
        // Short timeouts: while the server is away, requests answer 503 within seconds instead
        // of hanging, and the pool opens new connections once it is back.
        opts.max_connections(16).min_connections(1).acquire_timeout(Duration::from_secs(5)).connect_timeout(Duration::from_secs(3));
        // No parallel plans: the server's queries are short, and starting a plan's workers
        // takes milliseconds, more under load (a rare word's bitmap scan on a million
        // requests: 0.08 ms alone, 5 ms with two workers).
        opts.map_sqlx_postgres_opts(|o| o.options([("max_parallel_workers_per_gather", "0")]));
    }
    Ok(Database::connect(opts).await?)
}

pub async fn get_setting(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(entity::setting::Entity::find_by_id(key.to_owned()).one(db).await?.map(|s| s.value))
}

/// Returns the stored value, storing `make()` first if the key is absent. Safe when several
/// instances start at once: the first insert wins and everyone reads it back.
pub async fn get_or_init_setting(db: &impl ConnectionTrait, key: &str, make: impl FnOnce() -> String) -> Result<String, DbErr> {
    if let Some(v) = get_setting(db, key).await? {
        return Ok(v);
    }
    let model = entity::setting::ActiveModel { key: sea_orm::Set(key.to_owned()), value: sea_orm::Set(make()) };
    entity::setting::Entity::insert(model)
        .on_conflict(OnConflict::column(entity::setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    get_setting(db, key).await?.ok_or_else(|| DbErr::RecordNotFound(key.to_owned()))
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// A read-only transaction whose statements all see one snapshot of the data: REPEATABLE READ
/// on PostgreSQL; on SQLite (WAL) every read transaction is one.
pub async fn read_snapshot(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
    match db.get_database_backend() {
        DatabaseBackend::Postgres => db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await,
        _ => db.begin().await,
    }
}

/// Builds a statement written with `$1, $2, …` placeholders for either backend.
pub fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Sqlite { dollar_to_question(sql) } else { sql.to_owned() };
    Statement::from_sql_and_values(backend, sql, values)
}

fn dollar_to_question(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            while chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}
