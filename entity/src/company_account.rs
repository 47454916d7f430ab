use sea_orm::entity::prelude::*;

/// A corporate account (对公账户) of a company.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub company_id: i32,
    pub bank: String,
    /// Digits only (normalised on input).
    pub account: String,
    pub is_default: bool,
    /// Removed from the company; kept because requests may name it.
    pub retired: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
