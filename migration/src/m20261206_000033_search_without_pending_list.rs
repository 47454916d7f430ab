//! The request list's `pg_trgm` GIN indexes (PostgreSQL) take each new row into the index at
//! once (`fastupdate = off`) instead of a pending list. Every search reads the whole pending
//! list, unsorted, until VACUUM or a full list (4 MB) merges it, and a list grows with every
//! request written: on 100,000 requests after a few thousand drafts, counting the matches of
//! `0007` took 18.7 ms with the pending list and 3.3 ms after merging it. A write pays a little
//! more instead; finance writes a few rows a second at most. Nothing to do on SQLite.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns `q` searches, as `m20261206_000030_search_index` indexed them.
const COLUMNS: [&str; 5] = ["number", "title", "payer_entity", "payee_name", "purpose"];

/// Sets `fastupdate` on each search index that exists (without pg_trgm there are none), and on
/// turning it off merges what is pending.
async fn set_fastupdate(m: &SchemaManager<'_>, on: bool) -> Result<(), DbErr> {
    if m.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let value = if on { "on" } else { "off" };
    let merge = if on { "" } else { "PERFORM gin_clean_pending_list(idx); " };
    let names = COLUMNS.map(|c| format!("'idx_requests_trgm_{c}'")).join(", ");
    m.get_connection()
        .execute_unprepared(&format!(
            "DO $$ DECLARE idx regclass; BEGIN \
               FOR idx IN SELECT c.oid::regclass FROM pg_class c \
                 WHERE c.relkind = 'i' AND c.relname IN ({names}) AND pg_table_is_visible(c.oid) LOOP \
                 EXECUTE format('ALTER INDEX %s SET (fastupdate = {value})', idx); {merge}\
               END LOOP; \
             END $$"
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_fastupdate(m, false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_fastupdate(m, true).await
    }
}
