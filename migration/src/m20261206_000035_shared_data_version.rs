//! `audit_head.shared_seq`: the sequence number of the latest audited write that changed
//! anything but a draft. Lists that can never show a draft (the to-do list, a list filtered by
//! another status) are kept until it moves, so a requester saving a draft does not make every
//! finance user's to-do list render again (`store::cache::Versions`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: one connection sees every step (another pooled
    /// connection could still hold the schema from before a dropped trigger), and a failure
    /// leaves nothing half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table("audit_head").add_column(ColumnDef::new("shared_seq").big_integer().not_null().default(0)).to_owned(),
        )
        .await?;
        m.get_connection().execute_unprepared("UPDATE audit_head SET shared_seq = last_seq").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("audit_head").drop_column("shared_seq").to_owned()).await
    }
}
