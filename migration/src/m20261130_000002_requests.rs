//! The approval form (应(预)付款审批单), its monthly number sequence, attachments,
//! and the append-only, hash-chained audit log.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("request_seq")
                .if_not_exists()
                .col(string_len("month", 6).primary_key())
                .col(integer("last_seq"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("requests")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_null("number", 20).unique_key())
                .col(string_len("kind", 32))
                .col(string_len("title", 200))
                .col(big_integer("amount_fen"))
                .col(string_len("currency", 3))
                .col(boolean("refundable"))
                .col(string_len("payer_entity", 200))
                .col(string_len("payer_credit_code", 18))
                .col(string_len("payer_bank", 200))
                .col(string_len("payer_account", 32))
                .col(string_len("payee_name", 200))
                .col(string_len("payee_bank", 200))
                .col(string_len("payee_account", 32))
                .col(string_len("transfer_remark", 200))
                .col(date("order_date"))
                .col(date("pay_by"))
                .col(text("purpose"))
                .col(json_binary_null("mini_program"))
                .col(integer("requester_id"))
                .col(integer_null("department_id"))
                .col(string_len("status", 32))
                .col(integer("version"))
                .col(integer("round").default(0))
                .col(integer_null("manager_approver_id"))
                .col(integer_null("manager_approved_by"))
                .col(integer_null("finance_approved_by"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .col(timestamp_with_time_zone_null("approved_at"))
                .col(date_null("paid_at"))
                .col(big_integer_null("payout_amount_fen"))
                .col(string_len_null("payout_reference", 200))
                .col(text_null("payout_override_reason"))
                .col(integer_null("paid_by"))
                .col(date_null("refund_due"))
                .col(date_null("refunded_at"))
                .col(big_integer_null("refund_amount_fen"))
                .col(string_len_null("refund_reference", 200))
                .col(string_len("flags", 200).default(""))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(ForeignKey::create().from("requests", "requester_id").to("users", "id"))
                .foreign_key(ForeignKey::create().from("requests", "department_id").to("departments", "id"))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_requests_status", "status"),
            ("idx_requests_requester", "requester_id"),
            ("idx_requests_department", "department_id"),
            ("idx_requests_order_date", "order_date"),
            ("idx_requests_manager_approver", "manager_approver_id"),
            ("idx_requests_pay_by", "pay_by"),
            ("idx_requests_refund_due", "refund_due"),
        ] {
            m.create_index(Index::create().name(name).table("requests").col(col).if_not_exists().to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table("attachments")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("request_id"))
                .col(string_len("filename", 255))
                .col(string_len("content_type", 100))
                .col(big_integer("size_bytes"))
                .col(string_len("sha256", 64))
                .col(string_len("storage_key", 100))
                .col(string_len("purpose", 32))
                .col(integer("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("attachments", "request_id").to("requests", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_attachments_request").table("attachments").col("request_id").if_not_exists().to_owned())
            .await?;

        // A single row that serialises audit appends: every audited transaction starts by
        // bumping it, which takes the write lock on SQLite and a row lock on PostgreSQL,
        // so the chain can never fork.
        m.create_table(
            Table::create()
                .table("audit_head")
                .if_not_exists()
                .col(integer("id").primary_key())
                .col(big_integer("last_seq"))
                .col(string_len("last_hash", 64))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table("audit_head")
                .columns(["id", "last_seq", "last_hash"])
                .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                .on_conflict(OnConflict::column("id").do_nothing().to_owned())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("audit_events")
                .if_not_exists()
                .col(big_integer("seq").primary_key())
                .col(timestamp_with_time_zone("occurred_at"))
                .col(integer_null("actor_id"))
                .col(string_len("actor_name", 100))
                .col(integer_null("on_behalf_of_id"))
                .col(string_len("action", 64))
                .col(integer_null("request_id"))
                .col(text_null("comment"))
                .col(text_null("before_state"))
                .col(text_null("after_state"))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_audit_request").table("audit_events").col("request_id").if_not_exists().to_owned())
            .await?;

        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql;",
                )
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events; \
                     CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();",
                )
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events; \
                     CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("the audit log is append-only; this migration cannot be reverted".into()))
    }
}

/// The `prev_hash` of the first audit event.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
