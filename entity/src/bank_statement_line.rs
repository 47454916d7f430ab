use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_statement_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub statement_id: i32,
    /// The row number in the imported file (the header is row 1).
    pub line_no: i32,
    pub txn_date: Date,
    /// Signed: incoming positive, outgoing negative.
    pub amount_fen: i64,
    pub counterparty_name: String,
    pub counterparty_account: String,
    pub reference: String,
    /// SHA-256 of date, amount, counterparty and reference: the same line is imported once.
    pub fingerprint: String,
    pub request_id: Option<i32>,
    /// `payout` or `refund` when the line was applied to a request.
    pub action: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
