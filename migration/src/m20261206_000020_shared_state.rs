//! State that several instances on one database must share: login throttling and lockout
//! (`login_throttles`, one row per client address or username) and stored files kept in the
//! database (`file_chunks`, a file split into chunks so it is written and read piece by piece).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("login_throttles")
                .if_not_exists()
                // `ip:<address>` or `user:<lower-case username>`.
                .col(ColumnDef::new("key").string_len(200).not_null().primary_key())
                .col(ColumnDef::new("failures").integer().not_null())
                // Unix milliseconds: the same arithmetic on both databases.
                .col(ColumnDef::new("started_ms").big_integer().not_null())
                .col(ColumnDef::new("locked_until_ms").big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("file_chunks")
                .if_not_exists()
                .col(ColumnDef::new("storage_key").string_len(64).not_null())
                .col(ColumnDef::new("seq").integer().not_null())
                .col(ColumnDef::new("data").blob().not_null())
                .primary_key(Index::create().col("storage_key").col("seq"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("file_chunks").to_owned()).await?;
        m.drop_table(Table::drop().table("login_throttles").to_owned()).await
    }
}
