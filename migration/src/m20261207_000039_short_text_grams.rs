//! PostgreSQL: text of one or two characters (浦发, `07`) is looked up in an index too.
//!
//! `pg_trgm` has no trigram for it, so until now such a search tested every request's text
//! in the list's order: at once for a common word (腾讯 is in most requests), but a rare one
//! read the whole table (浦发 on 1,000,000 requests: 1.7 s).
//!
//! - `verifund_short_grams(number, title, payer_entity, payee_name, purpose,
//!   search_mini_program)`: every one- and two-character substring of each of the six
//!   searched columns, as a `text[]` (SQLite's `requests_grams` holds the same).
//! - `idx_requests_short_grams`: a GIN index on it (`array_ops`, in core PostgreSQL: no
//!   extension needed). It answers `@> ARRAY[text]` exactly, so the rows it finds are not
//!   tested again; the list still adds its `LIKE`, which keeps the meaning exact.
//! - The function is declared expensive (`COST 1000`: it builds and sorts a hundred
//!   substrings, 20-40 µs a row) so that the planner reads the index rather than call it row
//!   by row. The list uses the index only for text that the statistics do not list among
//!   the index's most common elements (`store::list::rare_short_text`): a common word's page
//!   is found at once in the list's order, where the index would read hundreds of thousands
//!   of entries.
//! - `ANALYZE requests`, so that the planner knows how common each substring is.
//!
//! Nothing to do on SQLite.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION verifund_short_grams(a text, b text, c text, d text, e text, f text) \
             RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000 AS $$ \
               SELECT coalesce(array_agg(DISTINCT substr(t, i, n)), '{}') \
               FROM unnest(ARRAY[a, b, c, d, e, f]) AS t, generate_series(1, length(t)) AS i, (VALUES (1), (2)) AS k(n) \
               WHERE i + n - 1 <= length(t) $$",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_requests_short_grams ON requests USING gin \
             (verifund_short_grams(number, title, payer_entity, payee_name, purpose, search_mini_program)) \
             WITH (fastupdate = off)",
        )
        .await?;
        db.execute_unprepared("ANALYZE requests").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_requests_short_grams").await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS verifund_short_grams(text, text, text, text, text, text)").await?;
        Ok(())
    }
}
