//! Composite indexes for the list filters measured by `verifund bench http`: a status filter
//! with the default newest-first order, and the deadline-ordered finance views, are answered
//! by walking an index instead of sorting every matching row.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, [&str; 2]); 4] = [
    ("idx_requests_status_id", ["status", "id"]),
    ("idx_requests_status_pay_by", ["status", "pay_by"]),
    ("idx_requests_status_refund_due", ["status", "refund_due"]),
    ("idx_requests_requester_id", ["requester_id", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, [a, b]) in INDEXES {
            m.create_index(Index::create().name(name).table("requests").col(a).col(b).if_not_exists().to_owned()).await?;
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
