//! A text index for the request list's `q` (number, title, payer, payee, purpose), kept in
//! the same transaction as the row: on SQLite an FTS5 table with the trigram tokenizer
//! (external content, maintained by triggers), on PostgreSQL `pg_trgm` GIN indexes, which
//! answer `LIKE '%…%'` directly. Both are built here for the rows already there.
//!
//! PostgreSQL: creating the extension needs the CREATE privilege on the database (pg_trgm is
//! a trusted extension). Without it the migration warns and goes on: the search stays
//! correct, it only scans.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns `q` searches (`store::list::filter_condition`).
const COLUMNS: [&str; 5] = ["number", "title", "payer_entity", "payee_name", "purpose"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let cols = COLUMNS.join(", ");
        let new_cols = COLUMNS.map(|c| format!("new.{c}")).join(", ");
        let old_cols = COLUMNS.map(|c| format!("old.{c}")).join(", ");
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS requests_search USING fts5({cols}, \
                     content='requests', content_rowid='id', tokenize='trigram')"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_search_insert AFTER INSERT ON requests BEGIN \
                     INSERT INTO requests_search (rowid, {cols}) VALUES (new.id, {new_cols}); END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_search_delete AFTER DELETE ON requests BEGIN \
                     INSERT INTO requests_search (requests_search, rowid, {cols}) VALUES ('delete', old.id, {old_cols}); END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS requests_search_update AFTER UPDATE OF {cols} ON requests BEGIN \
                     INSERT INTO requests_search (requests_search, rowid, {cols}) VALUES ('delete', old.id, {old_cols}); \
                     INSERT INTO requests_search (rowid, {cols}) VALUES (new.id, {new_cols}); END"
                ))
                .await?;
                db.execute_unprepared("INSERT INTO requests_search (requests_search) VALUES ('rebuild')").await?;
            }
            _ => {
                db.execute_unprepared(
                    "DO $$ BEGIN \
                       IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN \
                         IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN \
                           CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public; \
                         ELSE CREATE EXTENSION IF NOT EXISTS pg_trgm; END IF; \
                       END IF; \
                     EXCEPTION WHEN OTHERS THEN \
                       RAISE WARNING 'pg_trgm is not available (%): the request list search will scan; \
                         a superuser can run CREATE EXTENSION pg_trgm and migrate again', SQLERRM; \
                     END $$",
                )
                .await?;
                let schema = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        DatabaseBackend::Postgres,
                        "SELECT extnamespace::regnamespace::text AS s FROM pg_extension WHERE extname = 'pg_trgm'",
                    ))
                    .await?
                    .map(|r| r.try_get::<String>("", "s"))
                    .transpose()?;
                match schema {
                    Some(schema) => {
                        for c in COLUMNS {
                            db.execute_unprepared(&format!(
                                "CREATE INDEX IF NOT EXISTS idx_requests_trgm_{c} ON requests USING gin ({c} {schema}.gin_trgm_ops)"
                            ))
                            .await?;
                        }
                    }
                    None => eprintln!("warning: pg_trgm is not installed; the request list search scans (see the log above)"),
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for t in ["requests_search_insert", "requests_search_delete", "requests_search_update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}")).await?;
                }
                db.execute_unprepared("DROP TABLE IF EXISTS requests_search").await?;
            }
            _ => {
                for c in COLUMNS {
                    db.execute_unprepared(&format!("DROP INDEX IF EXISTS idx_requests_trgm_{c}")).await?;
                }
            }
        }
        Ok(())
    }
}
