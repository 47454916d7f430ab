//! The request list's `q` also finds the mini-program (its name and AppID, as the request
//! holds them), and on SQLite text of one or two characters (腾讯, `07`) is looked up in an
//! index too instead of scanning: trigrams cannot answer it.
//!
//! - `requests.search_mini_program`, a generated column (the name and the AppID, one per line;
//!   NULL without a mini-program). It is not in the entity: nothing writes it, the searches
//!   read it by name.
//! - SQLite: the FTS5 trigram table `requests_search` is built again with that column as its
//!   sixth, and a second FTS5 table, `requests_grams` (contentless, `unicode61` tokenizer),
//!   holds every two-character substring of the six columns as a token, so `腾讯` is one
//!   token and `商` the prefix of some. Triggers build the substrings from `search_positions`
//!   (1..4000: no searched text is longer, the API allows 2,000 characters at most), as
//!   SQLite triggers cannot use a recursive query.
//! - PostgreSQL: a `pg_trgm` GIN index on the new column (when pg_trgm is there). Short text
//!   stays a `LIKE` in the list's order there: an expression index over every one- and
//!   two-character substring was tried and was slower for common text (its bitmap heap scan
//!   counted 5,000 matches of 腾讯 in 39 ms against 17 ms for the scan).
//!
//! Each is built here for the rows already there and kept in the same transaction as the row.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns `q` searched before this migration (`m20261206_000030_search_index`).
const OLD_COLUMNS: [&str; 5] = ["number", "title", "payer_entity", "payee_name", "purpose"];
/// And after it.
const COLUMNS: [&str; 6] = ["number", "title", "payer_entity", "payee_name", "purpose", "search_mini_program"];
/// The stored columns whose change changes the searched text.
const SOURCE_COLUMNS: &str = "number, title, payer_entity, payee_name, purpose, mini_program";
/// The longest text whose every substring `requests_grams` holds (SQLite).
const POSITIONS: u32 = 4000;

/// The space-separated two-character substrings (the last character alone) of the searched
/// columns of `row` (`new`, `old` or `requests`), for `requests_grams`.
fn sqlite_grams(row: &str) -> String {
    COLUMNS
        .map(|c| {
            format!("COALESCE((SELECT group_concat(substr({row}.{c}, i, 2), ' ') FROM search_positions WHERE i <= length({row}.{c})), '')")
        })
        .join(" || ' ' || ")
}

/// Drops the SQLite trigram table `requests_search` and its triggers.
async fn drop_trigram_table(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    for t in ["requests_search_insert", "requests_search_delete", "requests_search_update"] {
        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}")).await?;
    }
    db.execute_unprepared("DROP TABLE IF EXISTS requests_search").await?;
    Ok(())
}

/// (Re)builds the SQLite trigram table `requests_search` over `columns`, with the triggers that
/// keep it (an update of any of `update_of` replaces the row's entry), and fills it.
async fn trigram_table(db: &SchemaManagerConnection<'_>, columns: &[&str], update_of: &str) -> Result<(), DbErr> {
    drop_trigram_table(db).await?;
    let cols = columns.join(", ");
    let new_cols = columns.iter().map(|c| format!("new.{c}")).collect::<Vec<_>>().join(", ");
    let old_cols = columns.iter().map(|c| format!("old.{c}")).collect::<Vec<_>>().join(", ");
    db.execute_unprepared(&format!(
        "CREATE VIRTUAL TABLE requests_search USING fts5({cols}, content='requests', content_rowid='id', tokenize='trigram')"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN \
         INSERT INTO requests_search (rowid, {cols}) VALUES (new.id, {new_cols}); END"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN \
         INSERT INTO requests_search (requests_search, rowid, {cols}) VALUES ('delete', old.id, {old_cols}); END"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "CREATE TRIGGER requests_search_update AFTER UPDATE OF {update_of} ON requests BEGIN \
         INSERT INTO requests_search (requests_search, rowid, {cols}) VALUES ('delete', old.id, {old_cols}); \
         INSERT INTO requests_search (rowid, {cols}) VALUES (new.id, {new_cols}); END"
    ))
    .await?;
    db.execute_unprepared("INSERT INTO requests_search (requests_search) VALUES ('rebuild')").await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: one connection sees every step (another pooled
    /// connection could still hold the schema from before a dropped trigger), and a failure
    /// leaves nothing half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(
                    "ALTER TABLE requests ADD COLUMN search_mini_program TEXT GENERATED ALWAYS AS (\
                     CASE WHEN json_valid(mini_program) AND json_type(mini_program) = 'object' THEN \
                     NULLIF(COALESCE(json_extract(mini_program, '$.name'), '') || char(10) || \
                     COALESCE(json_extract(mini_program, '$.appid'), ''), char(10)) END) VIRTUAL",
                )
                .await?;
                // The trigram table again, with the sixth column.
                trigram_table(db, &COLUMNS, SOURCE_COLUMNS).await?;

                // The one- and two-character index.
                db.execute_unprepared("CREATE TABLE search_positions (i INTEGER PRIMARY KEY)").await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO search_positions (i) WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < {POSITIONS}) \
                     SELECT i FROM p"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE requests_grams USING fts5(grams, content='', contentless_delete=1, \
                     tokenize='unicode61 remove_diacritics 0')",
                )
                .await?;
                let new_grams = sqlite_grams("new");
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_grams_insert AFTER INSERT ON requests BEGIN \
                     INSERT INTO requests_grams (rowid, grams) VALUES (new.id, {new_grams}); END"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER requests_grams_delete AFTER DELETE ON requests BEGIN \
                     DELETE FROM requests_grams WHERE rowid = old.id; END",
                )
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_grams_update AFTER UPDATE OF {SOURCE_COLUMNS} ON requests BEGIN \
                     DELETE FROM requests_grams WHERE rowid = old.id; \
                     INSERT INTO requests_grams (rowid, grams) VALUES (new.id, {new_grams}); END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO requests_grams (rowid, grams) SELECT id, {} FROM requests",
                    sqlite_grams("requests")
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE requests ADD COLUMN search_mini_program text GENERATED ALWAYS AS (\
                     CASE WHEN jsonb_typeof(mini_program) = 'object' THEN \
                     NULLIF(COALESCE(mini_program ->> 'name', '') || E'\\n' || COALESCE(mini_program ->> 'appid', ''), E'\\n') END) STORED",
                )
                .await?;
                let trgm_schema = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        DatabaseBackend::Postgres,
                        "SELECT extnamespace::regnamespace::text AS s FROM pg_extension WHERE extname = 'pg_trgm'",
                    ))
                    .await?
                    .map(|r| r.try_get::<String>("", "s"))
                    .transpose()?;
                if let Some(schema) = trgm_schema {
                    db.execute_unprepared(&format!(
                        "CREATE INDEX IF NOT EXISTS idx_requests_trgm_search_mini_program ON requests \
                         USING gin (search_mini_program {schema}.gin_trgm_ops) WITH (fastupdate = off)"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for t in ["requests_grams_insert", "requests_grams_delete", "requests_grams_update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}")).await?;
                }
                db.execute_unprepared("DROP TABLE IF EXISTS requests_grams").await?;
                db.execute_unprepared("DROP TABLE IF EXISTS search_positions").await?;
                // The five-column trigram table as `m20261206_000030_search_index` made it (the
                // column it no longer reads can go only once nothing refers to it).
                drop_trigram_table(db).await?;
                db.execute_unprepared("ALTER TABLE requests DROP COLUMN search_mini_program").await?;
                trigram_table(db, &OLD_COLUMNS, &OLD_COLUMNS.join(", ")).await?;
            }
            _ => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_requests_trgm_search_mini_program").await?;
                db.execute_unprepared("ALTER TABLE requests DROP COLUMN IF EXISTS search_mini_program").await?;
            }
        }
        Ok(())
    }
}
