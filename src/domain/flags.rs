//! What a request's dates and amounts say about it today: the flags of DESIGN §1.1, and
//! the status it reads as (a verification order past its `pay_by` is void, DESIGN §2.1).
use super::deadlines::order_void;
use super::workflow::{Kind, Status};
use chrono::NaiveDate;
use entity::request;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Not paid and past `pay_by` (kinds whose order does not lapse).
    PayoutOverdue,
    /// Paid, refund not settled, past `refund_due`.
    RefundOverdue,
    /// Refunds recorded that do not add up to the payout.
    RefundMismatch,
    /// Another open request has the same amount and payee.
    DuplicateSuspect,
}

impl Flag {
    pub const ALL: [Flag; 4] = [Flag::PayoutOverdue, Flag::RefundOverdue, Flag::RefundMismatch, Flag::DuplicateSuspect];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PayoutOverdue => "payout_overdue",
            Flag::RefundOverdue => "refund_overdue",
            Flag::RefundMismatch => "refund_mismatch",
            Flag::DuplicateSuspect => "duplicate_suspect",
        }
    }

    pub fn parse(s: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Flag::PayoutOverdue => "逾期未打款",
            Flag::RefundOverdue => "退款逾期",
            Flag::RefundMismatch => "退款金额不符",
            Flag::DuplicateSuspect => "疑似重复",
        }
    }
}

/// Tencent's verification order of `m` is void: its `pay_by` has passed. Other kinds have no
/// order that lapses; they keep the `payout_overdue` flag instead.
pub fn order_lapsed(m: &request::Model, today: NaiveDate) -> bool {
    Kind::parse(&m.kind) == Some(Kind::VerificationTransfer) && order_void(m.pay_by, today)
}

/// The stored status, read as `expired` where Tencent's verification order has lapsed
/// before the daily job got to it.
pub fn effective_status(m: &request::Model, today: NaiveDate) -> Status {
    let stored = Status::parse(&m.status).unwrap_or(Status::Draft);
    if matches!(stored, Status::PendingManager | Status::PendingFinance | Status::Approved) && order_lapsed(m, today) {
        Status::Expired
    } else {
        stored
    }
}

/// Paid, and its refund fell short or is overdue: `resolve` can end it (DESIGN §1.2).
pub fn refund_unsettled(m: &request::Model, today: NaiveDate) -> bool {
    flags(m, today).iter().any(|f| matches!(f, Flag::RefundMismatch | Flag::RefundOverdue))
}

/// The flags of `m` as of `today`: derived from its dates and amounts, plus stored ones.
pub fn flags(m: &request::Model, today: NaiveDate) -> Vec<Flag> {
    let status = effective_status(m, today);
    let mut out = Vec::new();
    if matches!(status, Status::PendingManager | Status::PendingFinance | Status::Approved) && today > m.pay_by {
        out.push(Flag::PayoutOverdue);
    }
    if status == Status::Paid && m.refund_due.is_some_and(|due| today > due) {
        out.push(Flag::RefundOverdue);
    }
    if status == Status::Paid && m.refund_amount_fen.is_some() {
        out.push(Flag::RefundMismatch);
    }
    for stored in m.flags.split(',').filter_map(|f| Flag::parse(f.trim())) {
        if !out.contains(&stored) {
            out.push(stored);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub(crate) fn request(kind: Kind, status: Status, pay_by: &str) -> request::Model {
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        request::Model {
            id: 1,
            number: None,
            kind: kind.as_str().into(),
            title: "t".into(),
            amount_fen: 100,
            currency: "CNY".into(),
            refundable: kind.refundable(false),
            payer_entity: String::new(),
            payer_credit_code: String::new(),
            payer_bank: String::new(),
            payer_account: String::new(),
            payee_name: String::new(),
            payee_bank: String::new(),
            payee_account: String::new(),
            transfer_remark: String::new(),
            order_date: d(pay_by) - chrono::Duration::days(10),
            pay_by: d(pay_by),
            purpose: String::new(),
            mini_program: None,
            mini_program_id: None,
            requester_id: 1,
            department_id: None,
            status: status.as_str().into(),
            version: 1,
            round: 1,
            flags: String::new(),
            manager_approver_id: None,
            manager_approved_by: None,
            finance_approved_by: None,
            submitted_at: None,
            approved_at: None,
            paid_at: None,
            payout_amount_fen: None,
            payout_reference: None,
            payout_override_reason: None,
            paid_by: None,
            refund_due: None,
            refunded_at: None,
            refund_amount_fen: None,
            refund_reference: None,
            company_id: None,
            payer_account_id: None,
            chain: None,
            resolution: None,
            resolution_reason: None,
            resolved_by: None,
            resolved_at: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn a_lapsed_verification_order_reads_as_expired() {
        let today = d("2026-12-05");
        let cases = [
            (Kind::VerificationTransfer, Status::Approved, "2026-12-04", Status::Expired, vec![]),
            (Kind::VerificationTransfer, Status::PendingManager, "2026-12-04", Status::Expired, vec![]),
            (Kind::VerificationTransfer, Status::Approved, "2026-12-05", Status::Approved, vec![]),
            (Kind::VerificationTransfer, Status::Draft, "2026-12-04", Status::Draft, vec![]),
            (Kind::VerificationTransfer, Status::Paid, "2026-12-04", Status::Paid, vec![]),
            (Kind::CertificationFee, Status::Approved, "2026-12-04", Status::Approved, vec![Flag::PayoutOverdue]),
            (Kind::AdvancePayment, Status::PendingFinance, "2026-12-01", Status::PendingFinance, vec![Flag::PayoutOverdue]),
        ];
        for (kind, stored, pay_by, reads, flagged) in cases {
            let m = request(kind, stored, pay_by);
            assert_eq!(effective_status(&m, today), reads, "{kind:?} {stored:?} due {pay_by}");
            assert_eq!(flags(&m, today), flagged, "{kind:?} {stored:?} due {pay_by}");
        }
    }

    #[test]
    fn refund_flags_follow_the_refund_due_and_the_amounts() {
        let today = d("2026-12-05");
        let mut m = request(Kind::VerificationTransfer, Status::Paid, "2026-11-20");
        m.refund_due = Some(d("2026-12-04"));
        assert_eq!(flags(&m, today), [Flag::RefundOverdue]);
        m.refund_amount_fen = Some(50);
        m.flags = "duplicate_suspect,unknown".into();
        assert_eq!(flags(&m, today), [Flag::RefundOverdue, Flag::RefundMismatch, Flag::DuplicateSuspect]);
    }
}
