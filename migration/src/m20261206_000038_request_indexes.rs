//! Fewer, better indexes on `requests`, so that each draft saved writes fewer index entries.
//!
//! - `(status)` is dropped: it is the first column of `(status, id)`, `(status, pay_by)`,
//!   `(status, refund_due)` and `(status, requester_id)`, which answer whatever it did.
//! - `(requester_id)` is dropped: `(requester_id, id)` answers whatever it did.
//! - On PostgreSQL `(amount_fen)` becomes `(amount_fen, id)`. The duplicate check on every
//!   saved draft reads the first open twins of an amount by id, and `sort=-amount_fen` orders
//!   by amount then id: both walk it in order instead of reading every row of the amount and
//!   sorting. (A SQLite index already ends in the rowid, which is `id`.)
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The shadowed indexes and the column each was on (`m20261130_000002_requests`).
const SHADOWED: [(&str, &str); 2] = [("idx_requests_status", "status"), ("idx_requests_requester", "requester_id")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in SHADOWED {
            m.drop_index(Index::drop().name(name).table("requests").if_exists().to_owned()).await?;
        }
        if m.get_database_backend() == DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_requests_amount_fen_id ON requests (amount_fen, id)").await?;
            db.execute_unprepared("DROP INDEX IF EXISTS idx_requests_amount_fen").await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_requests_amount_fen ON requests (amount_fen)").await?;
            db.execute_unprepared("DROP INDEX IF EXISTS idx_requests_amount_fen_id").await?;
        }
        for (name, col) in SHADOWED {
            m.create_index(Index::create().name(name).table("requests").col(col).if_not_exists().to_owned()).await?;
        }
        Ok(())
    }
}
