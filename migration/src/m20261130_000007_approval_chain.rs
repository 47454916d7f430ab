//! The group's companies and their corporate accounts, the approval chain stored with each
//! request, the people a request concerns (for visibility and to-do lists), approval rules
//! and delegations (DESIGN §2.4).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("companies")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("name", 200))
                .col(string_len("credit_code", 18))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("company_accounts")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("company_id"))
                .col(string_len("bank", 200))
                .col(string_len("account", 32))
                .col(boolean("is_default"))
                // Accounts named by requests are never deleted, only retired.
                .col(boolean("retired"))
                .foreign_key(ForeignKey::create().from("company_accounts", "company_id").to("companies", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_company_accounts_company").table("company_accounts").col("company_id").if_not_exists().to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("company_finance_users")
                .if_not_exists()
                .col(integer("company_id"))
                .col(integer("user_id"))
                .primary_key(Index::create().col("company_id").col("user_id"))
                .foreign_key(ForeignKey::create().from("company_finance_users", "company_id").to("companies", "id"))
                .foreign_key(ForeignKey::create().from("company_finance_users", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("requests").add_column(integer_null("company_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("requests").add_column(integer_null("payer_account_id")).to_owned()).await?;
        // The steps of the current round, resolved at submit (JSON, see domain::chain).
        m.alter_table(Table::alter().table("requests").add_column(json_binary_null("chain")).to_owned()).await?;
        // Who a request concerns: `current` = holds an open place in the current step,
        // `chain` = an approver anywhere in the current round, `acted` = approved it in any
        // round (also on someone's behalf), `cc` = copied in on submit.
        m.create_table(
            Table::create()
                .table("request_people")
                .if_not_exists()
                .col(integer("request_id"))
                .col(integer("user_id"))
                .col(string_len("relation", 16))
                .primary_key(Index::create().col("request_id").col("user_id").col("relation"))
                .foreign_key(ForeignKey::create().from("request_people", "request_id").to("requests", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_people_user")
                .table("request_people")
                .col("user_id")
                .col("relation")
                .col("request_id")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("delegations")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("approver_id"))
                .col(integer("delegate_id"))
                .col(date("starts_on"))
                .col(date("ends_on"))
                // `,kind,kind,` or NULL for every kind.
                .col(string_len_null("kinds", 100))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(ForeignKey::create().from("delegations", "approver_id").to("users", "id"))
                .foreign_key(ForeignKey::create().from("delegations", "delegate_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        for (name, col) in [("idx_delegations_delegate", "delegate_id"), ("idx_delegations_approver", "approver_id")] {
            m.create_index(Index::create().name(name).table("delegations").col(col).if_not_exists().to_owned()).await?;
        }
        // Requests in flight before this migration: their manager step and past approvals.
        let db = m.get_connection();
        for (col, relation, only_pending) in [
            ("manager_approver_id", "chain", false),
            ("manager_approver_id", "current", true),
            ("manager_approved_by", "acted", false),
            ("finance_approved_by", "acted", false),
        ] {
            let pending = if only_pending { " AND status = 'pending_manager'" } else { "" };
            db.execute_unprepared(&format!(
                "INSERT INTO request_people (request_id, user_id, relation) \
                 SELECT id, {col}, '{relation}' FROM requests WHERE {col} IS NOT NULL{pending} \
                 ON CONFLICT (request_id, user_id, relation) DO NOTHING"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["company_id", "payer_account_id", "chain"] {
            m.alter_table(Table::alter().table("requests").drop_column(c).to_owned()).await?;
        }
        for t in ["delegations", "request_people", "company_finance_users", "company_accounts", "companies"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
