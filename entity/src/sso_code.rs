use sea_orm::entity::prelude::*;

/// The one-use code the login page exchanges for a token after a single sign-on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_codes")]
pub struct Model {
    /// SHA-256 of the code, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub user_id: i32,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
