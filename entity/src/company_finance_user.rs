use sea_orm::entity::prelude::*;

/// A finance user of a company: when a company has any, only they sign off its requests.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_finance_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
