use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_statements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub filename: String,
    pub sha256: String,
    pub lines: i32,
    pub matched: i32,
    pub imported_by: i32,
    /// The bank whose layout the file was read as (`icbc`, …), `generic` or `mapping`.
    pub format: String,
    /// The statement's own account (digits), when the file names it.
    pub account: Option<String>,
    /// Rows above and below the table (title, account rows, totals, notes).
    pub skipped: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
