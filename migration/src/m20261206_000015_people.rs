//! People as a company has them: a phone for robot @-mentions, a per-user choice of e-mail
//! notifications and language, and departments nested by path (`集团/财务部`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("users").add_column(string_len_null("phone", 20)).to_owned()).await?;
        m.alter_table(Table::alter().table("users").add_column(boolean("email_notifications").default(true)).to_owned()).await?;
        m.alter_table(Table::alter().table("users").add_column(string_len("language", 8).default("zh")).to_owned()).await?;
        // No FK, like `head_id`: departments are few and an import creates parents first.
        m.alter_table(Table::alter().table("departments").add_column(integer_null("parent_id")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("departments").drop_column("parent_id").to_owned()).await?;
        for c in ["language", "email_notifications", "phone"] {
            m.alter_table(Table::alter().table("users").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
