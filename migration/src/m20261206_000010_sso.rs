//! Single sign-on (DESIGN §2.5): who a user is at an OpenID provider, the sign-ins under way
//! (state, nonce, PKCE verifier) and the one-use codes the login page exchanges for a token.
//! Both live in the database, not in memory, so any instance behind a load balancer can
//! finish a sign-in that another one started.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("user_identities")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("user_id"))
                .col(string_len("issuer", 255))
                .col(string_len("subject", 255))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("user_identities", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_user_identities_issuer_subject")
                .table("user_identities")
                .col("issuer")
                .col("subject")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_user_identities_user").table("user_identities").col("user_id").if_not_exists().to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("sso_logins")
                .if_not_exists()
                .col(string_len("state", 64).primary_key())
                .col(string_len("nonce", 64))
                .col(string_len("pkce_verifier", 128))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sso_codes")
                .if_not_exists()
                // SHA-256 of the code, hex: the code itself is never stored.
                .col(string_len("code_hash", 64).primary_key())
                .col(integer("user_id"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(ForeignKey::create().from("sso_codes", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["sso_codes", "sso_logins", "user_identities"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
