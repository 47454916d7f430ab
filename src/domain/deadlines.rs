//! The deadlines of a request's life, each from the seed: pay Tencent within 10 calendar days
//! of the order, Tencent refunds within 10 China working days of the payout, and a paid
//! certification is reviewed within 5 working days.
use super::calendar::{Calendar, Computed};
use chrono::{Duration, NaiveDate};

/// "请在10天内完成汇款，否则将注册失败".
pub const PAY_WITHIN_DAYS: i64 = 10;
/// "打款成功后…资金将在10个工作日内原路退回".
pub const REFUND_WITHIN_WORKING_DAYS: u32 = 10;
/// "提交认证后会在1-5个工作日完成审核".
pub const REVIEW_WITHIN_WORKING_DAYS: u32 = 5;

/// The last day to pay Tencent for an order created on `order_date`.
pub fn pay_by(order_date: NaiveDate) -> NaiveDate {
    order_date.checked_add_signed(Duration::days(PAY_WITHIN_DAYS)).unwrap_or(NaiveDate::MAX)
}

/// The day Tencent's refund is due for a payout on `paid_at` (the payout day does not count).
pub fn refund_due(cal: &Calendar, paid_at: NaiveDate) -> Computed<NaiveDate> {
    cal.add_working_days(paid_at, REFUND_WITHIN_WORKING_DAYS)
}

/// The day a certification paid on `paid_at` should have been reviewed.
pub fn review_due(cal: &Calendar, paid_at: NaiveDate) -> Computed<NaiveDate> {
    cal.add_working_days(paid_at, REVIEW_WITHIN_WORKING_DAYS)
}

/// Tencent's verification order is void once its `pay_by` has passed (DESIGN §2.1).
pub fn order_void(pay_by: NaiveDate, today: NaiveDate) -> bool {
    today > pay_by
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::YearCalendar;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn pay_by_is_ten_calendar_days_after_the_order() {
        for (order, due) in [("2026-12-01", "2026-12-11"), ("2026-02-25", "2026-03-07"), ("2024-02-25", "2024-03-06")] {
            assert_eq!(pay_by(d(order)), d(due));
        }
        assert_eq!(pay_by(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn the_order_is_void_only_after_its_last_day() {
        assert!(!order_void(d("2026-12-11"), d("2026-12-11")));
        assert!(order_void(d("2026-12-11"), d("2026-12-12")));
    }

    #[test]
    fn refund_and_review_count_china_working_days() {
        // Paid on Wed 2026-09-30 before holidays 10-01..10-08 and a make-up workday on Sat 10-10.
        let csv = "2026-10-01,休\n2026-10-02,休\n2026-10-05,休\n2026-10-06,休\n2026-10-07,休\n2026-10-08,休\n2026-10-10,班\n";
        let cal = Calendar::new([YearCalendar::from_csv(Some(2026), csv).unwrap()]);
        let cases = [
            // (paid, refund due, review due)
            ("2026-09-30", "2026-10-21", "2026-10-14"),
            ("2026-12-01", "2026-12-15", "2026-12-08"),
        ];
        for (paid, refund, review) in cases {
            assert_eq!(refund_due(&cal, d(paid)).value, d(refund), "refund due after {paid}");
            assert_eq!(review_due(&cal, d(paid)).value, d(review), "review due after {paid}");
        }
    }
}
