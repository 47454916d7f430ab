use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub number: Option<String>,
    pub kind: String,
    pub title: String,
    pub amount_fen: i64,
    pub currency: String,
    pub refundable: bool,
    pub payer_entity: String,
    pub payer_credit_code: String,
    pub payer_bank: String,
    pub payer_account: String,
    pub payee_name: String,
    pub payee_bank: String,
    pub payee_account: String,
    pub transfer_remark: String,
    pub order_date: Date,
    /// `order_date` + 10 calendar days: Tencent fails the registration after that.
    pub pay_by: Date,
    pub purpose: String,
    pub mini_program: Option<Json>,
    pub requester_id: i32,
    pub department_id: Option<i32>,
    pub status: String,
    pub version: i32,
    /// How many times the request has been submitted; each round has its own approvals.
    pub round: i32,
    /// Resolved at submit: who must act on the manager step of the current round.
    pub manager_approver_id: Option<i32>,
    pub manager_approved_by: Option<i32>,
    pub finance_approved_by: Option<i32>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_at: Option<DateTimeUtc>,
    pub paid_at: Option<Date>,
    pub payout_amount_fen: Option<i64>,
    pub payout_reference: Option<String>,
    pub payout_override_reason: Option<String>,
    pub paid_by: Option<i32>,
    /// The 10th China working day after `paid_at`; set when the payout is recorded.
    pub refund_due: Option<Date>,
    pub refunded_at: Option<Date>,
    pub refund_amount_fen: Option<i64>,
    pub refund_reference: Option<String>,
    pub flags: String,
    /// The registry record this payment is for, when linked.
    pub mini_program_id: Option<i32>,
    /// The paying company and account, when picked from the group's companies.
    pub company_id: Option<i32>,
    pub payer_account_id: Option<i32>,
    /// The approval steps of the current round (see `verifund::domain::chain`).
    pub chain: Option<Json>,
    /// How a paid request whose refund fell short or never came was ended: `accept_difference`
    /// (refunded, the difference kept) or `write_off` (closed).
    pub resolution: Option<String>,
    pub resolution_reason: Option<String>,
    pub resolved_by: Option<i32>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
