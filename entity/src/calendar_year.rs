use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_years")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// JSON array of `YYYY-MM-DD`.
    pub holidays: String,
    /// JSON array of `YYYY-MM-DD`: make-up working days (调休上班) on weekends.
    pub workdays: String,
    /// `builtin` (shipped State Council schedule) or `imported`.
    pub source: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
