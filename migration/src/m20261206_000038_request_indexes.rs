//! Indexes on `requests` for what every saved draft does.
//!
//! - `(status)` is dropped: it is the first column of `(status, id)`, `(status, pay_by)`,
//!   `(status, refund_due)` and `(status, requester_id)`, which answer whatever it did.
//! - `(requester_id)` is dropped: `(requester_id, id)` answers whatever it did.
//! - On PostgreSQL, `idx_requests_open_amount`: the open requests by amount and id. The
//!   duplicate check of every saved draft counts (up to 100) and names (the first ten by id)
//!   the open requests of its amount. With only `(amount_fen)` and the status indexes,
//!   PostgreSQL combined the amount with all 160,000 open requests of a million in a bitmap
//!   (20 ms per draft); this index holds exactly the rows asked for, in order. SQLite walks
//!   `(amount_fen)`, which ends in the rowid (`id`), and needs nothing.
//!
//! The index's condition lists the open statuses (`domain::workflow::Status::is_open`); the
//! check names them all as literals, so that PostgreSQL can prove it. A test compares the
//! installed condition with `is_open`.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The shadowed indexes and the column each was on (`m20261130_000002_requests`).
const SHADOWED: [(&str, &str); 2] = [("idx_requests_status", "status"), ("idx_requests_requester", "requester_id")];

/// The statuses of an open request, as the partial index's condition lists them.
const OPEN_STATUSES: [&str; 6] = ["draft", "pending_manager", "pending_finance", "approved", "paid", "returned"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in SHADOWED {
            m.drop_index(Index::drop().name(name).table("requests").if_exists().to_owned()).await?;
        }
        if m.get_database_backend() == DatabaseBackend::Postgres {
            let open = OPEN_STATUSES.map(|s| format!("'{s}'")).join(", ");
            m.get_connection()
                .execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS idx_requests_open_amount ON requests (amount_fen, id) WHERE status IN ({open})"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection().execute_unprepared("DROP INDEX IF EXISTS idx_requests_open_amount").await?;
        }
        for (name, col) in SHADOWED {
            m.create_index(Index::create().name(name).table("requests").col(col).if_not_exists().to_owned()).await?;
        }
        Ok(())
    }
}
