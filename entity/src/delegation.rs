use sea_orm::entity::prelude::*;

/// 代理: while away, `approver_id` lets `delegate_id` act on their approval steps.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delegations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub approver_id: i32,
    pub delegate_id: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    /// `,kind,kind,`; `None` for every kind.
    pub kinds: Option<String>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
