//! Indexes for the list's other sort orders (amount, created, updated): the first page in any
//! order walks an index instead of sorting every request; and (status, requester) for the
//! to-do list's "not my own" counts.
use sea_orm_migration::prelude::*;

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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table("requests").to_owned()).await?;
        }
        Ok(())
    }
}
