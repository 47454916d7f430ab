//! Indexes for the list's other sort orders (amount, created, updated): the first page in any
//! order walks an index instead of sorting every request; and (status, requester) for the
//! to-do list's "not my own" counts. On SQLite also an index on `id` alone: the table itself
//! is ordered by id, but its rows are wide, so paging deep in id order (page 2,500) walks tens
//! of thousands of table pages where this narrow index holds them in a few hundred.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[&str]); 4] = [
    ("idx_requests_amount_fen", &["amount_fen"]),
    ("idx_requests_created_at", &["created_at"]),
    ("idx_requests_updated_at", &["updated_at"]),
    ("idx_requests_status_requester", &["status", "requester_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in INDEXES {
            let mut index = Index::create();
            index.name(name).table("requests").if_not_exists();
            for c in cols {
                index.col(*c);
            }
            m.create_index(index.to_owned()).await?;
        }
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            m.get_connection().execute_unprepared("CREATE INDEX IF NOT EXISTS idx_requests_id ON requests (id)").await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table("requests").to_owned()).await?;
        }
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            m.get_connection().execute_unprepared("DROP INDEX IF EXISTS idx_requests_id").await?;
        }
        Ok(())
    }
}
