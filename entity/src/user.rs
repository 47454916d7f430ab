use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    /// Comma-separated role names.
    pub roles: String,
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
    pub disabled: bool,
    /// Bumped on logout, password change and disable: tokens carrying an older version are refused.
    pub token_version: i32,
    pub must_change_password: bool,
    /// Mobile number, digits only; robots @-mention it.
    pub phone: Option<String>,
    /// Notifications also go by e-mail (when the user has an address).
    pub email_notifications: bool,
    /// `zh` or `en`: the language of e-mails.
    pub language: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
