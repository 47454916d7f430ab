//! How a paid request whose refund did not come back in full was brought to an end
//! (DESIGN §1.2 `resolve`): the resolution, its reason, who decided and when.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(Table::alter().table("requests").add_column(string_len_null("resolution", 32)).to_owned()).await?;
        m.alter_table(Table::alter().table("requests").add_column(text_null("resolution_reason")).to_owned()).await?;
        m.alter_table(Table::alter().table("requests").add_column(integer_null("resolved_by")).to_owned()).await?;
        m.alter_table(Table::alter().table("requests").add_column(timestamp_with_time_zone_null("resolved_at")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["resolved_at", "resolved_by", "resolution_reason", "resolution"] {
            m.alter_table(Table::alter().table("requests").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
