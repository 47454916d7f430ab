use sea_orm::entity::prelude::*;

/// Someone a request concerns, and how: `current`, `chain`, `acted` or `cc`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub relation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
