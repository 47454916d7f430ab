//! Imported bank statements, their lines (fingerprinted so a re-import adds nothing) and the
//! column mappings saved per bank.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bank_statements")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("filename", 255))
                .col(string_len("sha256", 64))
                .col(integer("lines"))
                .col(integer("matched"))
                .col(integer("imported_by"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bank_statement_lines")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("statement_id"))
                .col(integer("line_no"))
                .col(date("txn_date"))
                .col(big_integer("amount_fen"))
                .col(string_len("counterparty_name", 200))
                .col(string_len("counterparty_account", 64))
                .col(string_len("reference", 200))
                .col(string_len_uniq("fingerprint", 64))
                .col(integer_null("request_id"))
                .col(string_len_null("action", 16))
                .foreign_key(ForeignKey::create().from("bank_statement_lines", "statement_id").to("bank_statements", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bank_mappings")
                .if_not_exists()
                .col(string_len("bank", 100).primary_key())
                .col(text("mapping"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["bank_mappings", "bank_statement_lines", "bank_statements"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
