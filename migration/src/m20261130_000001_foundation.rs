//! Users, departments and instance settings (the JWT secret lives here so that
//! several instances sharing one PostgreSQL database agree on it).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(Table::create().table("settings").if_not_exists().col(string("key").primary_key()).col(text("value")).to_owned())
            .await?;

        // `head_id` points at users; it carries no FK because users also point at departments.
        m.create_table(
            Table::create()
                .table("departments")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("name", 100))
                .col(integer_null("head_id"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("users")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("username", 64))
                .col(string_len("display_name", 100))
                .col(string_len_null("email", 254))
                .col(text("password_hash"))
                .col(string_len("roles", 200))
                .col(integer_null("department_id"))
                .col(integer_null("manager_id"))
                .col(boolean("disabled").default(false))
                .col(integer("token_version").default(0))
                .col(boolean("must_change_password").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create().from("users", "department_id").to("departments", "id").on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(ForeignKey::create().from("users", "manager_id").to("users", "id").on_delete(ForeignKeyAction::Restrict))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_users_manager").table("users").col("manager_id").if_not_exists().to_owned()).await?;
        m.create_index(Index::create().name("idx_users_department").table("users").col("department_id").if_not_exists().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["users", "departments", "settings"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
