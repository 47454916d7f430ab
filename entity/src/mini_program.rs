use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mini_programs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub appid: Option<String>,
    pub registration_email: String,
    /// Lower-cased: the unique key (Tencent compares e-mails without case).
    pub email_normalized: String,
    pub entity_name: String,
    pub entity_credit_code: Option<String>,
    pub entity_type: String,
    pub entity_subtype: Option<String>,
    pub verification_method: String,
    pub admin_name: String,
    /// Encrypted (ChaCha20-Poly1305); never stored in clear.
    pub admin_id_number_enc: String,
    /// Keyed hash of the ID number, to count mini-programs per person without decrypting.
    pub admin_id_index: String,
    pub admin_phone_enc: String,
    pub admin_phone_index: String,
    pub status: String,
    pub review_due: Option<Date>,
    pub created_by: i32,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
