//! The finance figures of DESIGN §2.7: calendar months as a range, the running outstanding
//! balance, and refund-aging buckets. The database sums; these rules shape the sums.
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The longest range `GET /stats/monthly` answers (ten years).
pub const MAX_MONTHS: usize = 120;

/// A calendar month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Exactly `YYYY-MM` with a month 01–12 and a year 1000–9999.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (1000..=9999).contains(&year).then_some(())?;
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    pub fn of(d: NaiveDate) -> Month {
        Month { year: d.year(), month: d.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { year: self.year, month: self.month + 1 } }
    }

    /// The month `n` months before this one.
    pub fn minus(self, n: u32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Month { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// `from` is after `to`.
    Reversed,
    /// More than `MAX_MONTHS` months.
    TooLong,
}

/// Every month from `from` to `to`, both included.
pub fn months(from: Month, to: Month) -> Result<Vec<Month>, RangeError> {
    if from > to {
        return Err(RangeError::Reversed);
    }
    if to.index() - from.index() + 1 > MAX_MONTHS as i64 {
        return Err(RangeError::TooLong);
    }
    let mut out = vec![from];
    while let Some(last) = out.last().copied().filter(|m| *m < to) {
        out.push(last.next());
    }
    Ok(out)
}

/// The default range: the twelve months up to and including `today`'s.
pub fn last_twelve_months(today: NaiveDate) -> (Month, Month) {
    let to = Month::of(today);
    (to.minus(11), to)
}

/// What moved the refundable balance in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Movement {
    /// Refundable money paid out.
    pub paid_out_fen: i64,
    /// Money that came back.
    pub refunded_fen: i64,
    /// What was still out when a request was written off (no longer expected back).
    pub written_off_fen: i64,
}

/// The balance still out at the end of each month: `opening` (the balance before the first
/// month) carried forward through each month's movement.
pub fn outstanding(opening: i64, movements: &[Movement]) -> Vec<i64> {
    movements
        .iter()
        .scan(opening, |balance, m| {
            *balance += m.paid_out_fen - m.refunded_fen - m.written_off_fen;
            Some(*balance)
        })
        .collect()
}

/// How long an open refund has been waiting, in China working days since the payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgingBucket {
    UpTo5,
    From6To10,
    From11To20,
    Over20,
}

impl AgingBucket {
    pub const ALL: [AgingBucket; 4] = [AgingBucket::UpTo5, AgingBucket::From6To10, AgingBucket::From11To20, AgingBucket::Over20];

    pub fn of(working_days: i64) -> AgingBucket {
        match working_days {
            ..=5 => AgingBucket::UpTo5,
            6..=10 => AgingBucket::From6To10,
            11..=20 => AgingBucket::From11To20,
            _ => AgingBucket::Over20,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgingBucket::UpTo5 => "0-5",
            AgingBucket::From6To10 => "6-10",
            AgingBucket::From11To20 => "11-20",
            AgingBucket::Over20 => "21+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn months_parse_only_as_yyyy_mm() {
        for (input, ok) in [
            ("2026-11", true),
            ("2026-01", true),
            ("2026-12", true),
            ("2026-13", false),
            ("2026-00", false),
            ("2026-1", false),
            ("26-11", false),
            ("2026/11", false),
            ("2026-11-01", false),
            ("+202-11", false),
            ("", false),
            ("２０２６-11", false),
        ] {
            assert_eq!(Month::parse(input).is_some(), ok, "{input}");
        }
        assert_eq!(m("2026-02").to_string(), "2026-02");
    }

    #[test]
    fn a_month_knows_its_first_and_last_day() {
        for (month, first, last) in [
            ("2026-02", "2026-02-01", "2026-02-28"),
            ("2024-02", "2024-02-01", "2024-02-29"),
            ("2026-12", "2026-12-01", "2026-12-31"),
            ("2026-04", "2026-04-01", "2026-04-30"),
        ] {
            assert_eq!(m(month).first_day().to_string(), first);
            assert_eq!(m(month).last_day().to_string(), last);
        }
    }

    #[test]
    fn ranges_include_both_ends_and_refuse_reversed_or_long_ones() {
        let cases: [(&str, &str, Result<usize, RangeError>); 5] = [
            ("2026-11", "2026-11", Ok(1)),
            ("2025-11", "2026-02", Ok(4)),
            ("2026-12", "2026-11", Err(RangeError::Reversed)),
            ("2017-01", "2026-12", Ok(120)),
            ("2016-12", "2026-12", Err(RangeError::TooLong)),
        ];
        for (from, to, want) in cases {
            assert_eq!(months(m(from), m(to)).map(|v| v.len()), want, "{from}..{to}");
        }
        let span: Vec<String> = months(m("2025-11"), m("2026-02")).unwrap().iter().map(Month::to_string).collect();
        assert_eq!(span, ["2025-11", "2025-12", "2026-01", "2026-02"]);
    }

    #[test]
    fn the_default_range_is_the_last_twelve_months() {
        for (today, from, to) in [("2026-12-05", "2026-01", "2026-12"), ("2026-01-31", "2025-02", "2026-01")] {
            let (f, t) = last_twelve_months(NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap());
            assert_eq!((f.to_string().as_str(), t.to_string().as_str()), (from, to));
        }
    }

    #[test]
    fn outstanding_carries_the_balance_forward() {
        let mv = |p, r, w| Movement { paid_out_fen: p, refunded_fen: r, written_off_fen: w };
        assert_eq!(outstanding(0, &[]), Vec::<i64>::new());
        assert_eq!(outstanding(100, &[mv(0, 0, 0), mv(50, 100, 0), mv(7, 0, 50)]), [100, 50, 7]);
    }

    #[test]
    fn working_days_fall_into_the_four_buckets() {
        for (days, bucket) in
            [(0, "0-5"), (5, "0-5"), (6, "6-10"), (10, "6-10"), (11, "11-20"), (20, "11-20"), (21, "21+"), (400, "21+"), (-1, "0-5")]
        {
            assert_eq!(AgingBucket::of(days).label(), bucket, "{days}");
        }
    }
}
