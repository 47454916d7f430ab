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
    Migrator::up(&db, None).await?;
    crate::store::calendar::seed_builtin(&db, chrono::Utc::now()).await?;
    Ok(db)
}

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
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
        opts.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .create_if_missing(true)
        });
    } else {
        // A schema can be chosen with `?options=-c%20search_path%3DNAME` (tests use one each).
        opts.max_connections(16).min_connections(1);
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
