//! Indexes for the finance figures (`GET /stats/monthly`): payouts summed by `paid_at` month
//! and refunds by `refunded_at` month are range scans that never touch the table rows, at any
//! number of requests. Both include the summed columns so the scan reads the index alone.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 2] = [
    ("idx_requests_paid_at", "requests", &["paid_at", "refundable", "payout_amount_fen"]),
    ("idx_refunds_refunded_at", "refunds", &["refunded_at", "amount_fen"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(table).if_not_exists();
            for c in cols {
                index.col(*c);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
