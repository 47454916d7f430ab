//! The mini-program registry: one record per mini-program being registered, its entity
//! verification, the admin's PII (encrypted, with keyed hashes for the 5-per-person limit),
//! the certification materials checklist, and the link from requests.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("mini_programs")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("name", 100))
                .col(string_len_null("appid", 18))
                .col(string_len("registration_email", 254))
                .col(string_len_uniq("email_normalized", 254))
                .col(string_len("entity_name", 200))
                .col(string_len_null("entity_credit_code", 18))
                .col(string_len("entity_type", 32))
                .col(string_len_null("entity_subtype", 50))
                .col(string_len("verification_method", 32))
                .col(string_len("admin_name", 50))
                .col(text("admin_id_number_enc"))
                .col(string_len("admin_id_index", 64))
                .col(text("admin_phone_enc"))
                .col(string_len("admin_phone_index", 64))
                .col(string_len("status", 32))
                .col(date_null("review_due"))
                .col(integer("created_by"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        for (name, col) in
            [("idx_mp_admin_id", "admin_id_index"), ("idx_mp_admin_phone", "admin_phone_index"), ("idx_mp_created_by", "created_by")]
        {
            m.create_index(Index::create().name(name).table("mini_programs").col(col).if_not_exists().to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table("mini_program_materials")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("mini_program_id"))
                .col(string_len("item", 64))
                .col(string_len("filename", 255))
                .col(string_len("content_type", 100))
                .col(big_integer("size_bytes"))
                .col(string_len("sha256", 64))
                .col(string_len("storage_key", 100))
                .col(integer("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("mini_program_materials", "mini_program_id").to("mini_programs", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_mp_material_item")
                .table("mini_program_materials")
                .col("mini_program_id")
                .col("item")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("requests").add_column(integer_null("mini_program_id")).to_owned()).await?;
        m.create_index(
            Index::create().name("idx_requests_mini_program").table("requests").col("mini_program_id").if_not_exists().to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("requests").drop_column("mini_program_id").to_owned()).await?;
        for t in ["mini_program_materials", "mini_programs"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
