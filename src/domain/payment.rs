//! The rules for recording money (DESIGN §2.1): what a payout and a refund must say before
//! they are written, and the ceilings no entry may cross, manual or imported.
use super::money::{Money, format_yuan};
use crate::domain::workflow::Resolution;
use crate::error::FieldError;
use chrono::NaiveDate;

/// A payout as the caller states it, already typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub paid_at: NaiveDate,
    pub amount: Money,
    pub reference: String,
    pub override_reason: Option<String>,
}

/// One refund as the caller states it, already typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refunded_at: NaiveDate,
    pub amount: Money,
    pub reference: String,
}

/// What the request says about the money so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub approved_fen: i64,
    /// The China day of the final approval, when known.
    pub approved_on: Option<NaiveDate>,
    pub paid_fen: Option<i64>,
    pub paid_on: Option<NaiveDate>,
    pub refunded_fen: i64,
}

impl Ledger {
    pub fn of(m: &entity::request::Model) -> Ledger {
        Ledger {
            approved_fen: m.amount_fen,
            approved_on: m.approved_at.map(crate::clock::china_date),
            paid_fen: m.payout_amount_fen,
            paid_on: m.paid_at,
            refunded_fen: m.refund_amount_fen.unwrap_or(0),
        }
    }
}

pub const MAX_REFERENCE_CHARS: usize = 200;
pub const MAX_OVERRIDE_REASON_CHARS: usize = 500;

/// Parses the payout fields: a valid amount, never above the approved amount (a larger
/// payment needs a new request), a reason when it is less, a reference, and a day that is
/// neither in the future nor before the approval.
pub fn payout(
    ledger: &Ledger,
    paid_at: NaiveDate,
    amount_fen: i64,
    reference: &str,
    override_reason: Option<&str>,
    today: NaiveDate,
) -> Result<Payout, Vec<FieldError>> {
    let mut errors = Vec::new();
    let amount = amount(amount_fen).map_err(|e| errors.push(e)).ok();
    let reference = checked_reference(reference).map_err(|e| errors.push(e)).ok();
    errors.extend(day("paid_at", "打款日期", paid_at, ledger.approved_on.map(|d| (d, "批准", "the approval")), today));
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if let Some(m) = amount {
        if m.fen() > ledger.approved_fen {
            errors.push(FieldError::new(
                "amount_fen",
                format!("打款金额不能超过批准金额 {}（更大的付款须另行申请）", format_yuan(ledger.approved_fen)),
                format!("a payout cannot exceed the approved {} (a larger payment needs a new request)", format_yuan(ledger.approved_fen)),
            ));
        } else if m.fen() < ledger.approved_fen && reason.is_none() {
            errors.push(FieldError::new(
                "override_reason",
                format!("打款金额少于批准金额 {}，须说明原因", format_yuan(ledger.approved_fen)),
                format!("the amount is less than the approved {}; give an override_reason", format_yuan(ledger.approved_fen)),
            ));
        }
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_OVERRIDE_REASON_CHARS) {
        errors.push(FieldError::new("override_reason", "原因最多 500 个字符", "override_reason must be at most 500 characters"));
    }
    match (amount, reference, errors.is_empty()) {
        (Some(amount), Some(reference), true) => {
            // A reason only means something where the amount differs.
            let override_reason = if amount.fen() == ledger.approved_fen { None } else { reason };
            Ok(Payout { paid_at, amount, reference, override_reason })
        }
        _ => Err(errors),
    }
}

/// Parses one refund: a valid amount that does not bring the refunded sum above the payout,
/// a reference, and a day that is neither in the future nor before the payout.
pub fn refund(
    ledger: &Ledger,
    refunded_at: NaiveDate,
    amount_fen: i64,
    reference: &str,
    today: NaiveDate,
) -> Result<Refund, Vec<FieldError>> {
    let mut errors = Vec::new();
    let amount = amount(amount_fen).map_err(|e| errors.push(e)).ok();
    let reference = checked_reference(reference).map_err(|e| errors.push(e)).ok();
    errors.extend(day("refunded_at", "退款日期", refunded_at, ledger.paid_on.map(|d| (d, "打款", "the payout")), today));
    let paid = ledger.paid_fen.unwrap_or(ledger.approved_fen);
    if let Some(m) = amount {
        let room = paid.saturating_sub(ledger.refunded_fen);
        if m.fen() > room {
            errors.push(FieldError::new(
                "amount_fen",
                format!(
                    "退款合计不能超过打款金额 {}（已退 {}，最多还能登记 {}）",
                    format_yuan(paid),
                    format_yuan(ledger.refunded_fen),
                    format_yuan(room.max(0))
                ),
                format!(
                    "refunds cannot add up to more than the payout of {} ({} already refunded; at most {} more)",
                    format_yuan(paid),
                    format_yuan(ledger.refunded_fen),
                    format_yuan(room.max(0))
                ),
            ));
        }
    }
    match (amount, reference, errors.is_empty()) {
        (Some(amount), Some(reference), true) => Ok(Refund { refunded_at, amount, reference }),
        _ => Err(errors),
    }
}

pub const MAX_RESOLUTION_REASON_CHARS: usize = 500;

/// A resolution as decided: what ends the request and the difference it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub resolution: Resolution,
    pub reason: String,
    /// Payout minus refunds: kept (accept_difference) or written off.
    pub difference_fen: i64,
}

/// Checks a resolution (DESIGN §1.2 `resolve`): a reason is required, and accepting the
/// difference needs at least one refund (with none, the money is written off or awaited).
pub fn resolve(ledger: &Ledger, resolution: Resolution, reason: &str) -> Result<Resolved, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = crate::domain::text::required(reason, MAX_RESOLUTION_REASON_CHARS)
        .map_err(|_| {
            errors.push(FieldError::new(
                "reason",
                format!("请填写处理原因（可见文字，最多 {MAX_RESOLUTION_REASON_CHARS} 个字符）"),
                format!("a reason is required (visible text, at most {MAX_RESOLUTION_REASON_CHARS} characters)"),
            ))
        })
        .ok();
    if resolution == Resolution::AcceptDifference && ledger.refunded_fen <= 0 {
        errors.push(FieldError::new(
            "resolution",
            "尚未登记任何退款，不能按「接受差额」结案；款项不会退回时请选择「核销」",
            "no refund has been recorded, so there is no difference to accept; choose write_off if the money will not come back",
        ));
    }
    let paid = ledger.paid_fen.unwrap_or(ledger.approved_fen);
    match (reason, errors.is_empty()) {
        (Some(reason), true) => Ok(Resolved { resolution, reason, difference_fen: paid - ledger.refunded_fen }),
        _ => Err(errors),
    }
}

fn amount(fen: i64) -> Result<Money, FieldError> {
    Money::from_fen(fen).map_err(|e| FieldError::new("amount_fen", e.zh(), e.en()))
}

fn checked_reference(reference: &str) -> Result<String, FieldError> {
    crate::domain::text::required(reference, MAX_REFERENCE_CHARS).map_err(|_| {
        FieldError::new(
            "reference",
            "请填写银行流水号（1–200 个字符）",
            "reference (the bank's transaction number) must be 1–200 characters",
        )
    })
}

/// A China calendar day that is not in the future and not before the step it follows.
fn day(field: &str, label_zh: &str, date: NaiveDate, earliest: Option<(NaiveDate, &str, &str)>, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if date > today {
        errors.push(FieldError::new(field, format!("{label_zh}不能晚于今天"), format!("{field} cannot be in the future")));
    }
    if let Some((first, step_zh, step_en)) = earliest
        && date < first
    {
        errors.push(FieldError::new(
            field,
            format!("{label_zh}不能早于{step_zh}日期 {first}"),
            format!("{field} cannot be before {step_en} on {first}"),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-12-05";

    fn ledger() -> Ledger {
        Ledger {
            approved_fen: 71_870,
            approved_on: Some(d("2026-12-01")),
            paid_fen: Some(71_870),
            paid_on: Some(d("2026-12-02")),
            refunded_fen: 0,
        }
    }

    fn fields(r: Result<impl std::fmt::Debug, Vec<FieldError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_resolution_needs_a_reason_and_accepting_a_difference_needs_a_refund() {
        let none = ledger();
        let part = Ledger { refunded_fen: 70_000, ..none };
        type Case<'a> = (Ledger, Resolution, &'a str, Result<i64, &'a [&'a str]>);
        let cases: &[Case] = &[
            (part, Resolution::AcceptDifference, "腾讯少退 18.70，经核实为手续费", Ok(1_870)),
            (part, Resolution::WriteOff, "余款不再退回", Ok(1_870)),
            (none, Resolution::WriteOff, "腾讯未退款，已核销", Ok(71_870)),
            (none, Resolution::AcceptDifference, "没有退款", Err(&["resolution"])),
            (part, Resolution::AcceptDifference, "  ", Err(&["reason"])),
            (none, Resolution::AcceptDifference, "", Err(&["reason", "resolution"])),
        ];
        for (l, r, reason, expected) in cases {
            match (resolve(l, *r, reason), expected) {
                (Ok(got), Ok(diff)) => assert_eq!(got.difference_fen, *diff, "{r:?} {reason}"),
                (Err(errs), Err(fields)) => {
                    assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), *fields, "{r:?} {reason}")
                }
                (got, _) => panic!("{r:?} {reason:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn payouts_never_exceed_the_approved_amount() {
        let l = ledger();
        let cases: &[(i64, Option<&str>, &[&str])] = &[
            (71_870, None, &[]),
            (71_870, Some("ignored"), &[]),
            (71_869, Some("bank fee"), &[]),
            (71_869, None, &["override_reason"]),
            (71_871, Some("typo"), &["amount_fen"]),
            (7_187_000, Some("typo"), &["amount_fen"]),
            (0, None, &["amount_fen"]),
            (-71_870, Some("reversal"), &["amount_fen"]),
        ];
        for (fen, reason, want) in cases {
            let got = fields(payout(&l, d("2026-12-02"), *fen, "TX1", *reason, d(TODAY)));
            assert_eq!(&got, want, "payout of {fen} with {reason:?}");
        }
        let ok = payout(&l, d("2026-12-02"), 71_870, " TX1 ", Some("ignored"), d(TODAY)).unwrap();
        assert_eq!((ok.reference.as_str(), ok.override_reason), ("TX1", None));
    }

    #[test]
    fn payout_days_are_not_in_the_future_nor_before_the_approval() {
        let l = ledger();
        assert_eq!(fields(payout(&l, d("2026-12-06"), 71_870, "TX", None, d(TODAY))), ["paid_at"]);
        assert_eq!(fields(payout(&l, d("2026-11-30"), 71_870, "TX", None, d(TODAY))), ["paid_at"]);
        assert_eq!(fields(payout(&l, d("2026-12-05"), 71_870, "  ", None, d(TODAY))), ["reference"]);
    }

    #[test]
    fn refunds_never_add_up_past_the_payout() {
        let cases: &[(i64, i64, bool)] = &[
            (0, 71_870, true),
            (0, 71_871, false),
            (70_000, 1_870, true),
            (70_000, 1_871, false),
            (71_870, 1, false),
            (0, 4 * 71_870, false),
        ];
        for (already, fen, ok) in cases {
            let l = Ledger { refunded_fen: *already, ..ledger() };
            let got = refund(&l, d("2026-12-04"), *fen, "R1", d(TODAY));
            assert_eq!(got.is_ok(), *ok, "{already} refunded, then {fen}: {got:?}");
            if !ok {
                assert_eq!(fields(got), ["amount_fen"]);
            }
        }
    }

    #[test]
    fn refund_days_are_not_before_the_payout() {
        assert_eq!(fields(refund(&ledger(), d("2026-12-01"), 100, "R", d(TODAY))), ["refunded_at"]);
        assert_eq!(fields(refund(&ledger(), d("2026-12-09"), 100, "R", d(TODAY))), ["refunded_at"]);
    }
}
