//! Payout and refund tracking: the working-day calendar, individual refunds, idempotency
//! keys, the in-app inbox, the webhook outbox and daily job claims.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_years")
                .if_not_exists()
                .col(integer("year").primary_key())
                .col(text("holidays"))
                .col(text("workdays"))
                .col(string_len("source", 32))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("refunds")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("request_id"))
                .col(date("refunded_at"))
                .col(big_integer("amount_fen"))
                .col(string_len("reference", 200))
                .col(integer("recorded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("refunds", "request_id").to("requests", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_refunds_request").table("refunds").col("request_id").if_not_exists().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .if_not_exists()
                .col(integer("user_id"))
                .col(string_len("key", 255))
                .col(string_len("endpoint", 200))
                .col(string_len("request_hash", 64))
                .col(string_len("state", 16))
                .col(integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("user_id").col("key"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("notifications")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("user_id"))
                .col(string_len("kind", 64))
                .col(string_len("title", 200))
                .col(text("body"))
                .col(integer_null("request_id"))
                .col(string_len("dedupe_key", 200))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_notifications_dedupe")
                .table("notifications")
                .col("user_id")
                .col("dedupe_key")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("kind", 64))
                .col(text("payload"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_outbox_due").table("outbox").col("delivered_at").col("next_attempt_at").if_not_exists().to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("job_runs")
                .if_not_exists()
                .col(string_len("name", 64))
                .col(date("run_date"))
                .col(timestamp_with_time_zone("started_at"))
                .primary_key(Index::create().col("name").col("run_date"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["job_runs", "outbox", "notifications", "idempotency_keys", "refunds", "calendar_years"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
