//! PostgreSQL vacuums `requests` after far fewer new rows than its default (20% of the table),
//! so the visibility map keeps up and the list's index-only scans need not visit the heap.
//!
//! A new draft often lands in free space on an older page (left by the updates every request
//! goes through), which clears that page's all-visible bit. On 100,000 requests after 5,200
//! drafts, page 2,500 of the plain list (an index-only scan over 50,000 ids) made 27,218 heap
//! fetches; after a VACUUM, 979. With the defaults that VACUUM waits for 21,000 new rows
//! (201,000 on a million). Nothing to do on SQLite.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE requests SET (autovacuum_vacuum_insert_scale_factor = 0.005, \
                     autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE requests RESET (autovacuum_vacuum_insert_scale_factor, \
                     autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)",
                )
                .await?;
        }
        Ok(())
    }
}
