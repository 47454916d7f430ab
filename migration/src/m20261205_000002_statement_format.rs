//! A statement remembers which bank's layout it was read as and the account it is of.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("bank_statements").add_column(string_len("format", 16).default("mapping")).to_owned()).await?;
        m.alter_table(Table::alter().table("bank_statements").add_column(string_len_null("account", 40)).to_owned()).await?;
        m.alter_table(Table::alter().table("bank_statements").add_column(integer("skipped").default(0)).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["skipped", "account", "format"] {
            m.alter_table(Table::alter().table("bank_statements").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
