//! Matching bank-statement lines to requests (DESIGN §2.2). Pure: the store loads the open
//! requests once, and every line of a statement is decided in memory, in file order, each
//! after the previous ones were (or, in a preview, would have been) recorded, so a statement
//! holding a payout and its refund matches both.
use super::payment::{self, Ledger};
use super::statement::{Line, digits};
use super::workflow::{Action, Status};
use chrono::NaiveDate;
use entity::request;
use std::collections::{HashMap, HashSet};

/// The statement's own account, when it is one of a group company's accounts in verifund:
/// only requests paid from it match (DESIGN §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnAccount {
    pub account_id: i32,
    /// Digits only.
    pub digits: String,
}

/// The requests a line could still concern: approved (awaiting payout) and paid, refundable
/// ones (awaiting refund), indexed by the amounts a line would carry.
pub struct Matcher {
    requests: HashMap<i32, request::Model>,
    by_amount: HashMap<i64, Vec<i32>>,
    /// Refunds already recorded, by (request, day, amount): a refund entered by hand is not
    /// a statement line's to add again.
    recorded: HashSet<(i32, NaiveDate, i64)>,
    own: Option<OwnAccount>,
}

impl Matcher {
    pub fn new(open: Vec<request::Model>, recorded: impl IntoIterator<Item = (i32, NaiveDate, i64)>, own: Option<OwnAccount>) -> Matcher {
        let mut m = Matcher { requests: HashMap::new(), by_amount: HashMap::new(), recorded: recorded.into_iter().collect(), own };
        for r in open {
            m.update(r);
        }
        m
    }

    pub fn get(&self, id: i32) -> Option<&request::Model> {
        self.requests.get(&id)
    }

    /// The amounts a line matching `r` would carry: the approved amount while it awaits its
    /// payout; the payout, or what is still missing of it, while it awaits its refund.
    fn amounts(r: &request::Model) -> Vec<i64> {
        match Status::parse(&r.status) {
            Some(Status::Approved) => vec![r.amount_fen],
            Some(Status::Paid) if r.refundable => {
                let paid = r.payout_amount_fen.unwrap_or(r.amount_fen);
                let missing = paid - r.refund_amount_fen.unwrap_or(0);
                if missing == paid { vec![paid] } else { vec![paid, missing] }
            }
            _ => Vec::new(),
        }
    }

    /// Puts `r` as it now is (recorded, or simulated in a preview) in place of what was known.
    pub fn update(&mut self, r: request::Model) {
        if let Some(old) = self.requests.remove(&r.id) {
            for a in Self::amounts(&old) {
                if let Some(ids) = self.by_amount.get_mut(&a) {
                    ids.retain(|id| *id != old.id);
                }
            }
        }
        let amounts = Self::amounts(&r);
        if amounts.is_empty() {
            return;
        }
        for a in amounts {
            let ids = self.by_amount.entry(a).or_default();
            if !ids.contains(&r.id) {
                ids.push(r.id);
            }
        }
        self.requests.insert(r.id, r);
    }

    fn same_party(line: &Line, r: &request::Model) -> bool {
        (!line.counterparty_account.is_empty() && digits(&r.payee_account) == line.counterparty_account)
            || (!line.counterparty_name.trim().is_empty() && r.payee_name.trim() == line.counterparty_name.trim())
    }

    fn paid_from_own_account(&self, r: &request::Model) -> bool {
        match &self.own {
            None => true,
            Some(own) => r.payer_account_id == Some(own.account_id) || digits(&r.payer_account) == own.digits,
        }
    }

    /// The requests `line` could be, and whether it would pay or refund them. An outgoing
    /// line pays an approved request of the same amount and payee dated within its
    /// order_date … pay_by; an incoming line refunds a paid, refundable request of that amount
    /// (or what is still missing of it) from its payee, on or after the payout.
    pub fn candidates(&self, line: &Line) -> (Vec<i32>, Action) {
        let amount = line.amount_fen.abs();
        let outgoing = line.amount_fen < 0;
        let action = if outgoing { Action::Payout } else { Action::Refund };
        let mut ids: Vec<i32> = self
            .by_amount
            .get(&amount)
            .into_iter()
            .flatten()
            .filter_map(|id| self.requests.get(id))
            .filter(|r| Self::same_party(line, r) && self.paid_from_own_account(r))
            .filter(|r| match (outgoing, Status::parse(&r.status)) {
                (true, Some(Status::Approved)) => r.order_date <= line.date && line.date <= r.pay_by,
                (false, Some(Status::Paid)) => {
                    r.paid_at.is_some_and(|p| p <= line.date) && !self.recorded.contains(&(r.id, line.date, amount))
                }
                _ => false,
            })
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        (ids, action)
    }

    /// Why recording `line` on `id` would be refused by the rules of a manual entry (DESIGN
    /// §2.1: a date in the future or before the approval/payout, a refund past the payout).
    pub fn refusal(&self, id: i32, line: &Line, action: Action, today: NaiveDate) -> Option<String> {
        let r = self.requests.get(&id)?;
        let ledger = Ledger::of(r);
        let checked = match action {
            Action::Payout => payment::payout(&ledger, line.date, line.amount_fen.abs(), "statement", None, today).map(|_| ()),
            _ => payment::refund(&ledger, line.date, line.amount_fen.abs(), "statement", today).map(|_| ()),
        };
        checked.err().map(|errs| errs.iter().map(|f| format!("{}：{}", f.field, f.message.zh)).collect::<Vec<_>>().join("；"))
    }

    /// A preview's stand-in for recording `line` on `id`: the request reads as it would after.
    pub fn simulate(&mut self, id: i32, line: &Line, action: Action) {
        let Some(mut r) = self.requests.get(&id).cloned() else { return };
        let amount = line.amount_fen.abs();
        match action {
            Action::Payout => {
                r.status = if r.refundable { Status::Paid } else { Status::Closed }.as_str().to_owned();
                r.paid_at = Some(line.date);
                r.payout_amount_fen = Some(amount);
            }
            _ => {
                let total = r.refund_amount_fen.unwrap_or(0) + amount;
                r.refund_amount_fen = Some(total);
                r.refunded_at = Some(line.date);
                r.status = super::workflow::refund_outcome(r.payout_amount_fen.unwrap_or(r.amount_fen), total).as_str().to_owned();
                self.recorded.insert((id, line.date, amount));
            }
        }
        self.update(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::flags::tests::request as model_of;
    use crate::domain::workflow::Kind;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn line(date: &str, amount_fen: i64, name: &str, account: &str) -> Line {
        Line {
            line: 2,
            date: d(date),
            amount_fen,
            counterparty_name: name.into(),
            counterparty_account: account.into(),
            reference: String::new(),
            occurrence: 1,
        }
    }

    fn approved(id: i32, amount: i64) -> request::Model {
        let mut r = model_of(Kind::VerificationTransfer, Status::Approved, "2026-11-30");
        r.id = id;
        r.status = "approved".into();
        r.amount_fen = amount;
        r.refundable = true;
        r.order_date = d("2026-11-20");
        r.pay_by = d("2026-11-30");
        r.payee_name = "财付通支付科技有限公司".into();
        r.payee_account = "7559 1570 7910 607".into();
        r.payer_account = "1202001209001234567".into();
        r
    }

    fn paid(id: i32, amount: i64, day: &str, refunded: Option<i64>) -> request::Model {
        let mut r = approved(id, amount);
        r.status = "paid".into();
        r.paid_at = Some(d(day));
        r.payout_amount_fen = Some(amount);
        r.refund_amount_fen = refunded;
        r
    }

    #[test]
    fn lines_match_by_direction_amount_party_and_dates() {
        let m =
            Matcher::new(vec![approved(1, 120_001), paid(2, 345_678, "2026-11-21", None), paid(3, 500, "2026-11-21", Some(200))], [], None);
        let cases: &[(Line, Vec<i32>, Action)] = &[
            (line("2026-11-23", -120_001, "财付通支付科技有限公司", "755915707910607"), vec![1], Action::Payout),
            (line("2026-11-23", -120_001, "", "755915707910607"), vec![1], Action::Payout),
            (line("2026-11-23", -120_001, "财付通支付科技有限公司", ""), vec![1], Action::Payout),
            (line("2026-11-23", -120_001, "张三", "6222020200112233445"), vec![], Action::Payout),
            (line("2026-12-01", -120_001, "财付通支付科技有限公司", ""), vec![], Action::Payout),
            (line("2026-11-19", -120_001, "财付通支付科技有限公司", ""), vec![], Action::Payout),
            (line("2026-11-23", 120_001, "财付通支付科技有限公司", ""), vec![], Action::Refund),
            (line("2026-11-25", 345_678, "财付通支付科技有限公司", ""), vec![2], Action::Refund),
            (line("2026-11-20", 345_678, "财付通支付科技有限公司", ""), vec![], Action::Refund),
            (line("2026-11-25", 300, "财付通支付科技有限公司", ""), vec![3], Action::Refund),
            (line("2026-11-25", 500, "财付通支付科技有限公司", ""), vec![3], Action::Refund),
            (line("2026-11-25", 200, "财付通支付科技有限公司", ""), vec![], Action::Refund),
        ];
        for (l, ids, action) in cases {
            assert_eq!(m.candidates(l), (ids.clone(), *action), "{l:?}");
        }
    }

    #[test]
    fn a_preview_moves_a_paid_request_on_to_its_refund_and_never_pays_twice() {
        let mut m = Matcher::new(vec![approved(1, 120_001), approved(2, 120_001)], [], None);
        let out = line("2026-11-23", -120_001, "财付通支付科技有限公司", "");
        assert_eq!(m.candidates(&out).0, vec![1, 2], "two fit: ambiguous");
        m.simulate(1, &out, Action::Payout);
        assert_eq!(m.candidates(&out).0, vec![2]);
        let back = line("2026-11-25", 120_001, "财付通支付科技有限公司", "");
        assert_eq!(m.candidates(&back).0, vec![1]);
        m.simulate(1, &back, Action::Refund);
        assert_eq!(m.candidates(&back).0, Vec::<i32>::new(), "refunded in full");
        assert_eq!(m.get(1), None);
    }

    #[test]
    fn a_known_own_account_restricts_matching_to_requests_paid_from_it() {
        let mut other = approved(2, 120_001);
        other.payer_account = "7559 1234 5610 801".into();
        let mut by_id = approved(3, 120_001);
        by_id.payer_account = String::new();
        by_id.payer_account_id = Some(9);
        let own = OwnAccount { account_id: 9, digits: "1202001209001234567".into() };
        let m = Matcher::new(vec![approved(1, 120_001), other, by_id], [], Some(own));
        assert_eq!(m.candidates(&line("2026-11-23", -120_001, "财付通支付科技有限公司", "")).0, vec![1, 3]);
    }

    #[test]
    fn a_refund_entered_by_hand_is_not_added_again_and_future_days_are_refused() {
        let m = Matcher::new(vec![paid(2, 345_678, "2026-11-21", None)], [(2, d("2026-11-25"), 345_678)], None);
        assert!(m.candidates(&line("2026-11-25", 345_678, "财付通支付科技有限公司", "")).0.is_empty());
        assert!(m.refusal(2, &line("2026-12-09", 345_678, "x", ""), Action::Refund, d("2026-12-05")).is_some());
        assert_eq!(m.refusal(2, &line("2026-11-26", 345_678, "x", ""), Action::Refund, d("2026-12-05")), None);
    }
}
