//! China working-day calendar (DESIGN.md §1.4).
//!
//! A working day is Monday–Friday that is not an official holiday, plus the
//! official make-up workdays (调休上班) that fall on weekends. The schedule is
//! data: the State Council (国务院办公厅) notices for 2024–2026 ship built in,
//! and an admin can replace any year by importing JSON or CSV. A year that is
//! not loaded falls back to "weekends only" and is reported in
//! [`Computed::missing_years`] so the caller can warn instead of failing.

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// Years an admin may load. Wide enough for any real schedule, narrow enough
/// to catch typos such as `20266`.
const YEAR_RANGE: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The official schedule of one calendar year.
///
/// `holidays` lists every day off of each holiday block, weekend days inside
/// the block included; `workdays` lists the make-up workdays (weekend days
/// that are worked). JSON:
/// `{"year":2026,"holidays":["2026-01-01",...],"workdays":["2026-01-04",...]}`.
/// Both lists are required in JSON so a misspelt key cannot silently produce
/// an empty calendar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearCalendar {
    pub year: i32,
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// Why a calendar year was rejected. Render with [`CalendarError::zh`] or
/// [`CalendarError::en`] for the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// A date that does not belong to the calendar's `year`.
    DateOutsideYear(NaiveDate),
    /// A date listed both as a holiday and as a make-up workday.
    BothHolidayAndWorkday(NaiveDate),
    /// A make-up workday on Monday–Friday (those are working days anyway, so
    /// such an entry is almost certainly a typo).
    WorkdayNotWeekend(NaiveDate),
    /// `year` outside 2000..=2100.
    YearOutOfRange(i32),
    /// Malformed input; `line` is 1-based.
    Parse { line: usize, message: String },
}

impl CalendarError {
    /// Message in Chinese, for the UI and problem+json `detail`.
    pub fn zh(&self) -> String {
        match self {
            CalendarError::DateOutsideYear(d) => {
                format!("日期 {d} 不属于该日历年份（每个年份的日历只能包含当年的日期，跨年的假期请分别写入两个年份）")
            }
            CalendarError::BothHolidayAndWorkday(d) => {
                format!("日期 {d} 同时被标记为放假和调休上班")
            }
            CalendarError::WorkdayNotWeekend(d) => {
                format!("调休上班日 {d} 是{}，只有周六或周日才能设为调休上班日", weekday_zh(d.weekday()))
            }
            CalendarError::YearOutOfRange(y) => {
                format!("年份 {y} 超出支持范围（{}–{}）", YEAR_RANGE.start(), YEAR_RANGE.end())
            }
            CalendarError::Parse { line, message } => {
                format!("日历数据第 {line} 行无法解析：{message}")
            }
        }
    }

    /// Message in English.
    pub fn en(&self) -> String {
        match self {
            CalendarError::DateOutsideYear(d) => format!(
                "date {d} is outside the calendar's year (a year's calendar may only contain dates of that year; split a holiday that spans New Year between both years)"
            ),
            CalendarError::BothHolidayAndWorkday(d) => {
                format!("date {d} is listed both as a holiday and as a make-up workday")
            }
            CalendarError::WorkdayNotWeekend(d) => {
                format!("make-up workday {d} is a {}; only Saturdays and Sundays can be make-up workdays", weekday_en(d.weekday()))
            }
            CalendarError::YearOutOfRange(y) => {
                format!("year {y} is outside the supported range {}–{}", YEAR_RANGE.start(), YEAR_RANGE.end())
            }
            CalendarError::Parse { line, message } => {
                format!("calendar data line {line}: {message}")
            }
        }
    }
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl YearCalendar {
    /// Checks, in this order: year in 2000..=2100; every date inside `year`;
    /// no date in both sets; every make-up workday on a Saturday or Sunday.
    /// The first problem found (earliest date) is reported.
    pub fn validate(&self) -> Result<(), CalendarError> {
        if !YEAR_RANGE.contains(&self.year) {
            return Err(CalendarError::YearOutOfRange(self.year));
        }
        // Sorted, so the earliest offending date is reported whichever set holds it.
        let outside = self.holidays.iter().chain(self.workdays.iter()).filter(|d| d.year() != self.year).min();
        if let Some(d) = outside {
            return Err(CalendarError::DateOutsideYear(*d));
        }
        if let Some(d) = self.holidays.intersection(&self.workdays).next() {
            return Err(CalendarError::BothHolidayAndWorkday(*d));
        }
        if let Some(d) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(CalendarError::WorkdayNotWeekend(*d));
        }
        Ok(())
    }

    /// Parses `{"year":…,"holidays":[…],"workdays":[…]}` (a leading UTF-8 BOM
    /// is tolerated), then validates.
    pub fn from_json(s: &str) -> Result<YearCalendar, CalendarError> {
        let s = s.strip_prefix('\u{feff}').unwrap_or(s);
        let cal: YearCalendar = serde_json::from_str(s).map_err(|e| {
            // serde_json appends " at line L column C"; the line goes into its
            // own field, so keep only the column in the text.
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let text = full.strip_suffix(&suffix).unwrap_or(&full);
            let message = if e.column() > 0 { format!("{text} (column {})", e.column()) } else { text.to_string() };
            CalendarError::Parse { line: e.line().max(1), message }
        })?;
        cal.validate()?;
        Ok(cal)
    }

    /// Parses CSV rows `date,type[,name]`, then validates.
    ///
    /// - `type` is `holiday`/`休`/`假` or `workday`/`班` (case-insensitive);
    ///   `name` and any further columns are ignored (they are for humans).
    /// - Dates: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` or `YYYY年MM月DD日`,
    ///   zero padding optional (spreadsheets often drop it).
    /// - UTF-8, optional BOM, `\n` or `\r\n`; fields may be double-quoted.
    /// - The first non-blank line is a header when its first field contains
    ///   no digit (so a mistyped date is an error, never a skipped "header").
    /// - Blank lines and lines starting with `#` are ignored.
    /// - `year`: when `None` it is taken from the first date; every other
    ///   date must share it (otherwise [`CalendarError::DateOutsideYear`]).
    /// - A file without any date row is rejected: importing it would wipe
    ///   the year's holidays, which is never what an admin means.
    pub fn from_csv(year: Option<i32>, s: &str) -> Result<YearCalendar, CalendarError> {
        let s = s.strip_prefix('\u{feff}').unwrap_or(s);
        let mut holidays = BTreeSet::new();
        let mut workdays = BTreeSet::new();
        let mut inferred_year: Option<i32> = None;
        let mut seen_content = false;
        let mut last_line = 0usize;

        for (idx, raw) in s.lines().enumerate() {
            let line = idx + 1;
            last_line = line;
            let text = raw.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let parse_err = |message: String| CalendarError::Parse { line, message };
            let fields = split_csv_fields(text).map_err(|m| parse_err(m.to_string()))?;
            let first = fields.first().map(String::as_str).unwrap_or("");
            let is_first_content = !seen_content;
            seen_content = true;
            if is_first_content && !first.chars().any(|c| c.is_ascii_digit()) {
                continue; // header line
            }
            if fields.len() < 2 || fields[1].is_empty() {
                let hint = if text.contains('，') { " (use an ASCII comma ',' as separator, not '，')" } else { "" };
                return Err(parse_err(format!("expected `date,type[,name]`, found {text:?}{hint}")));
            }
            let date = parse_date(first).ok_or_else(|| parse_err(format!("invalid date {first:?} (expected YYYY-MM-DD)")))?;
            match parse_kind(&fields[1]) {
                Some(DayKind::Holiday) => holidays.insert(date),
                Some(DayKind::Workday) => workdays.insert(date),
                None => {
                    return Err(parse_err(format!("unknown day type {:?} (expected holiday, workday, 休, 假 or 班)", fields[1])));
                }
            };
            inferred_year.get_or_insert(date.year());
        }

        let Some(first_year) = inferred_year else {
            return Err(CalendarError::Parse {
                line: last_line.max(1),
                message: "no date rows found (expected rows `date,type[,name]`)".to_string(),
            });
        };
        let cal = YearCalendar { year: year.unwrap_or(first_year), holidays, workdays };
        cal.validate()?;
        Ok(cal)
    }
}

enum DayKind {
    Holiday,
    Workday,
}

fn parse_kind(s: &str) -> Option<DayKind> {
    match s.trim().to_lowercase().as_str() {
        "holiday" | "休" | "假" => Some(DayKind::Holiday),
        "workday" | "班" => Some(DayKind::Workday),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    const FORMATS: [&str; 4] = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];
    let s = s.trim();
    FORMATS.iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// Minimal RFC 4180 field splitter for one line: handles `"quoted, fields"`
/// and `""` escapes so spreadsheet exports parse. Unquoted fields are trimmed.
fn split_csv_fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        let at_end;
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field"),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            // Only whitespace may follow the closing quote before the separator.
            loop {
                match chars.next() {
                    None => {
                        at_end = true;
                        break;
                    }
                    Some(',') => {
                        at_end = false;
                        break;
                    }
                    Some(c) if c.is_whitespace() => {}
                    Some(_) => return Err("unexpected text after a closing quote"),
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        at_end = true;
                        break;
                    }
                    Some(',') => {
                        at_end = false;
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
            field = field.trim().to_string();
        }
        fields.push(field);
        if at_end {
            return Ok(fields);
        }
    }
}

/// A value computed from the calendar plus the years it needed but could not
/// find (sorted, deduplicated). Non-empty `missing_years` means the
/// weekends-only fallback was used for those years and the value may be wrong
/// around their holidays: show a warning and ask an admin to import them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed<T> {
    pub value: T,
    pub missing_years: Vec<i32>,
}

/// The loaded years, keyed by year.
///
/// `Calendar::new` does not validate: callers import through
/// [`YearCalendar::from_json`] / [`YearCalendar::from_csv`] or call
/// [`YearCalendar::validate`]. Computations stay well-defined on bad data
/// anyway: dates outside a calendar's year are never consulted, and a date in
/// both sets counts as a holiday (the later refund due date is the safer
/// error: it never flags a refund overdue too early).
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, YearCalendar>,
}

impl Calendar {
    /// Builds a calendar; when a year appears more than once the last one
    /// wins, so `new(builtin_years().into_iter().chain(imported))` lets
    /// imports replace the shipped schedule.
    pub fn new(years: impl IntoIterator<Item = YearCalendar>) -> Calendar {
        Calendar { years: years.into_iter().map(|y| (y.year, y)).collect() }
    }

    /// The shipped State Council schedules (2024, 2025, 2026).
    pub fn builtin() -> Calendar {
        Calendar::new(Calendar::builtin_years())
    }

    /// The shipped schedules as data, e.g. to seed the database, read by the same importer
    /// admins use. The files are checked by the tests, so nothing is dropped in practice;
    /// skipping a bad one keeps this panic-free.
    pub fn builtin_years() -> Vec<YearCalendar> {
        BUILTIN.iter().filter_map(|(year, csv)| YearCalendar::from_csv(Some(*year), csv).ok()).collect()
    }

    pub fn year(&self, y: i32) -> Option<&YearCalendar> {
        self.years.get(&y)
    }

    pub fn has_year(&self, y: i32) -> bool {
        self.years.contains_key(&y)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> Computed<bool> {
        let yc = self.years.get(&d.year());
        Computed { value: working(yc, d), missing_years: if yc.is_none() { vec![d.year()] } else { Vec::new() } }
    }

    /// The `days`-th working day strictly after `from` (from itself never counts, whether or not it is a working day). days == 0 returns `from`.
    ///
    /// Exact for any `days`: the walk goes a year at a time (counting a
    /// year's working days arithmetically) and only steps day by day inside
    /// the year that holds the answer, so even `u32::MAX` costs at most one
    /// iteration per calendar year. If the answer would lie beyond
    /// `NaiveDate::MAX` the result saturates at `NaiveDate::MAX` (no error,
    /// no panic); every year walked through is then reported as missing.
    pub fn add_working_days(&self, from: NaiveDate, days: u32) -> Computed<NaiveDate> {
        let mut missing = BTreeSet::new();
        if days == 0 {
            return Computed { value: from, missing_years: Vec::new() };
        }
        let saturated = |missing: BTreeSet<i32>| Computed { value: NaiveDate::MAX, missing_years: missing.into_iter().collect() };
        let mut remaining = i64::from(days);
        let Some(mut cursor) = from.succ_opt() else {
            return saturated(missing);
        };
        loop {
            let y = cursor.year();
            let end = year_last(y).unwrap_or(NaiveDate::MAX);
            let yc = self.years.get(&y);
            if yc.is_none() {
                missing.insert(y);
            }
            let available = count_working(yc, cursor, end);
            if available >= remaining {
                // The answer is in this year: at most 366 steps.
                let mut d = cursor;
                loop {
                    if working(yc, d) {
                        remaining -= 1;
                        if remaining == 0 {
                            return Computed { value: d, missing_years: missing.into_iter().collect() };
                        }
                    }
                    match d.succ_opt() {
                        Some(next) if next <= end => d = next,
                        // Unreachable when count_working agrees with working();
                        // saturating keeps the function total regardless.
                        _ => return saturated(missing),
                    }
                }
            }
            remaining -= available;
            match end.succ_opt() {
                Some(next) => cursor = next,
                None => return saturated(missing),
            }
        }
    }

    /// Number of working days in (from, to]; 0 when to <= from. Used for "days overdue" and for "pending approvals older than 2 working days".
    ///
    /// Computed per year with arithmetic, so any range (even
    /// `NaiveDate::MIN..NaiveDate::MAX`) takes one step per calendar year.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Computed<i64> {
        let mut missing = BTreeSet::new();
        let mut total = 0i64;
        if let Some(start) = from.succ_opt().filter(|s| *s <= to) {
            for y in start.year()..=to.year() {
                let lo = year_first(y).map_or(start, |d| d.max(start));
                let hi = year_last(y).map_or(to, |d| d.min(to));
                if lo > hi {
                    continue;
                }
                let yc = self.years.get(&y);
                if yc.is_none() {
                    missing.insert(y);
                }
                total += count_working(yc, lo, hi);
            }
        }
        Computed { value: total, missing_years: missing.into_iter().collect() }
    }
}

fn year_first(y: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, 1, 1)
}

fn year_last(y: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, 12, 31)
}

/// Single-day rule; `None` means the year is not loaded (weekends only).
/// Holidays are checked first so a date in both sets is a day off (see
/// [`Calendar`]).
fn working(yc: Option<&YearCalendar>, d: NaiveDate) -> bool {
    match yc {
        Some(yc) if yc.holidays.contains(&d) => false,
        Some(yc) if yc.workdays.contains(&d) => true,
        _ => !is_weekend(d),
    }
}

/// Working days in [lo, hi] (both inside one year, lo <= hi), equal to
/// counting `working` day by day but O(holidays) instead of O(days).
fn count_working(yc: Option<&YearCalendar>, lo: NaiveDate, hi: NaiveDate) -> i64 {
    let mut n = count_weekdays(lo, hi);
    if let Some(yc) = yc {
        let off = yc.holidays.range(lo..=hi).filter(|d| !is_weekend(**d)).count();
        let on = yc.workdays.range(lo..=hi).filter(|d| is_weekend(**d) && !yc.holidays.contains(*d)).count();
        // Set sizes are far below i64::MAX; try_from only avoids a cast.
        n -= i64::try_from(off).unwrap_or(0);
        n += i64::try_from(on).unwrap_or(0);
    }
    n
}

/// Monday–Friday days in [lo, hi]; 0 when hi < lo.
fn count_weekdays(lo: NaiveDate, hi: NaiveDate) -> i64 {
    if hi < lo {
        return 0;
    }
    let n = hi.signed_duration_since(lo).num_days() + 1;
    let start = i64::from(lo.weekday().num_days_from_monday());
    let rest = (0..n % 7).filter(|i| (start + i) % 7 < 5).count();
    (n / 7) * 5 + i64::try_from(rest).unwrap_or(0)
}

/// The shipped State Council schedules, as files in the import format an admin uses
/// (`calendars/YYYY.csv`: `date,type,name`, one day a row).
const BUILTIN: [(i32, &str); 3] =
    [(2024, include_str!("calendars/2024.csv")), (2025, include_str!("calendars/2025.csv")), (2026, include_str!("calendars/2026.csv"))];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    /// Day-by-day reference implementation used to cross-check the
    /// year-at-a-time arithmetic.
    fn naive_add(cal: &Calendar, from: NaiveDate, days: u32) -> NaiveDate {
        let mut cur = from;
        let mut left = days;
        while left > 0 {
            cur = cur.succ_opt().expect("in range");
            if cal.is_working_day(cur).value {
                left -= 1;
            }
        }
        cur
    }

    #[test]
    fn builtin_years_are_valid_and_complete() {
        // (year, holiday dates, make-up workdays, weekday holidays, working days in the year)
        // Weekday holidays = statutory days (11 in 2024, 13 from 2025) + make-up
        // days, because every make-up day moves one more weekday into a block.
        // Working days = Mon–Fri count − weekday holidays + make-up days:
        //   2024: 262 − 19 + 8 = 251; 2025: 261 − 18 + 5 = 248; 2026: 261 − 19 + 6 = 248.
        let table = [(2024, 30, 8, 19, 251), (2025, 28, 5, 18, 248), (2026, 33, 6, 19, 248)];
        let cal = Calendar::builtin();
        let years = Calendar::builtin_years();
        assert_eq!(years.iter().map(|y| y.year).collect::<Vec<_>>(), vec![2024, 2025, 2026]);
        for ((year, n_hol, n_work, weekday_hol, working), (file_year, csv)) in table.into_iter().zip(BUILTIN) {
            assert_eq!(year, file_year);
            // Every file imports as an admin's would (builtin_years silently skips bad ones).
            let parsed = YearCalendar::from_csv(None, csv).unwrap_or_else(|e| panic!("{year}: {}", e.en()));
            let rows: Vec<Vec<&str>> = csv.lines().filter(|l| l.starts_with(char::is_numeric)).map(|l| l.split(',').collect()).collect();
            assert_eq!(rows.len(), n_hol + n_work, "{year}: duplicate date");
            let yc = cal.year(year).expect("builtin year");
            assert_eq!(yc, &parsed);
            assert_eq!(yc.validate(), Ok(()), "{year}");
            assert_eq!(yc.holidays.len(), n_hol, "{year} holidays");
            assert_eq!(yc.workdays.len(), n_work, "{year} workdays");
            assert_eq!(yc.holidays.iter().filter(|d| !is_weekend(**d)).count(), weekday_hol);
            let r = cal.working_days_between(d(&format!("{}-12-31", year - 1)), d(&format!("{year}-12-31")));
            assert_eq!(r.value, working, "{year} working days");
            assert!(r.missing_years.is_empty());
            // Each named holiday is a contiguous run of days.
            let mut names: Vec<&str> = rows.iter().filter(|r| r[1] == "休").map(|r| r[2]).collect();
            names.dedup();
            for name in names {
                let ds: Vec<NaiveDate> = rows.iter().filter(|r| r[1] == "休" && r[2] == name).map(|r| d(r[0])).collect();
                assert!(ds.windows(2).all(|w| w[0].succ_opt() == Some(w[1])), "{year} {name}: gap in block");
            }
        }
    }

    #[test]
    fn is_working_day_table() {
        let cal = Calendar::builtin();
        // (date, working?, missing years)
        let table: [(&str, bool, &[i32]); 14] = [
            ("2024-02-09", true, &[]),      // 除夕 2024 was not an official holiday
            ("2024-02-12", false, &[]),     // 春节
            ("2024-02-18", true, &[]),      // make-up Sunday
            ("2025-01-28", false, &[]),     // 除夕 2025, statutory since 2025
            ("2025-05-02", false, &[]),     // 5/2, statutory since 2025
            ("2025-10-11", true, &[]),      // make-up Saturday
            ("2025-10-12", false, &[]),     // ordinary Sunday
            ("2025-10-13", true, &[]),      // ordinary Monday
            ("2026-01-04", true, &[]),      // make-up Sunday
            ("2026-02-23", false, &[]),     // last day of 春节
            ("2026-09-20", true, &[]),      // make-up Sunday before 国庆
            ("2027-01-01", true, &[2027]),  // fallback: 元旦 unknown, Friday counts
            ("2027-01-02", false, &[2027]), // fallback: Saturday
            ("2023-12-29", true, &[2023]),
        ];
        for (date, working, missing) in table {
            let r = cal.is_working_day(d(date));
            assert_eq!((r.value, r.missing_years.as_slice()), (working, missing), "{date}");
        }
    }

    #[test]
    fn add_ten_working_days_table() {
        let cal = Calendar::builtin();
        // (paid_at, expected refund_due, missing years); each count hand-checked.
        let table: [(&str, &str, &[i32]); 28] = [
            // 元旦 2024 (12/30–1/1): 2023 not loaded, but 12/30–31 are a weekend anyway.
            // 1/2(1) 3(2) 4(3) 5(4) 8(5) 9(6) 10(7) 11(8) 12(9) 15(10)
            ("2023-12-29", "2024-01-15", &[2023]),
            // 春节 2024 (2/10–17), paid Fri 2/9 (除夕, a working day in 2024):
            // 2/18 Sun make-up(1) 19(2) 20(3) 21(4) 22(5) 23(6) 26(7) 27(8) 28(9) 29(10)
            ("2024-02-09", "2024-02-29", &[]),
            // 清明 2024 (4/4–6): 4/7 Sun make-up(1) 8(2) 9(3) 10(4) 11(5) 12(6) 15(7) 16(8) 17(9) 18(10)
            ("2024-04-03", "2024-04-18", &[]),
            // 劳动节 2024 (5/1–5): 5/6(1) 7(2) 8(3) 9(4) 10(5) 11 Sat make-up(6) 13(7) 14(8) 15(9) 16(10)
            ("2024-04-30", "2024-05-16", &[]),
            // 端午 2024 (6/8–10): 6/11(1) 12(2) 13(3) 14(4) 17(5) 18(6) 19(7) 20(8) 21(9) 24(10)
            ("2024-06-07", "2024-06-24", &[]),
            // 中秋 2024 (9/15–17), paid Fri 9/13: 9/14 Sat make-up(1) 18(2) 19(3) 20(4) 23(5)
            // 24(6) 25(7) 26(8) 27(9) 29 Sun make-up for 国庆(10)
            ("2024-09-13", "2024-09-29", &[]),
            // Paid on make-up Saturday 9/14/2024 (it does not count itself):
            // 9/18(1) 19(2) 20(3) 23(4) 24(5) 25(6) 26(7) 27(8) 29 Sun(9) 30(10)
            ("2024-09-14", "2024-09-30", &[]),
            // 国庆 2024 (10/1–7): 10/8(1) 9(2) 10(3) 11(4) 12 Sat make-up(5) 14(6) 15(7) 16(8) 17(9) 18(10)
            ("2024-09-30", "2024-10-18", &[]),
            // 元旦 2025 (1/1): 1/2(1) 3(2) 6(3) 7(4) 8(5) 9(6) 10(7) 13(8) 14(9) 15(10)
            ("2024-12-31", "2025-01-15", &[]),
            // 春节 2025 (1/28–2/4): 2/5(1) 6(2) 7(3) 8 Sat make-up(4) 10(5) 11(6) 12(7) 13(8) 14(9) 17(10)
            ("2025-01-27", "2025-02-17", &[]),
            // Paid on make-up Sunday 1/26/2025: 1/27(1), 春节, 2/5(2) 6(3) 7(4) 8 Sat(5)
            // 10(6) 11(7) 12(8) 13(9) 14(10)
            ("2025-01-26", "2025-02-14", &[]),
            // 清明 2025 (4/4–6): 4/7(1) 8(2) 9(3) 10(4) 11(5) 14(6) 15(7) 16(8) 17(9) 18(10)
            ("2025-04-03", "2025-04-18", &[]),
            // 劳动节 2025 (5/1–5): 5/6(1) 7(2) 8(3) 9(4) 12(5) 13(6) 14(7) 15(8) 16(9) 19(10)
            ("2025-04-30", "2025-05-19", &[]),
            // 端午 2025 (5/31–6/2): 6/3(1) 4(2) 5(3) 6(4) 9(5) 10(6) 11(7) 12(8) 13(9) 16(10)
            ("2025-05-30", "2025-06-16", &[]),
            // 国庆+中秋 2025 (10/1–8): 10/9(1) 10(2) 11 Sat make-up(3) 13(4) 14(5) 15(6) 16(7) 17(8) 20(9) 21(10)
            ("2025-09-30", "2025-10-21", &[]),
            // Across 国庆 2025, paid Fri 9/26: 9/28 Sun make-up(1) 29(2) 30(3), holiday,
            // 10/9(4) 10(5) 11 Sat(6) 13(7) 14(8) 15(9) 16(10)
            ("2025-09-26", "2025-10-16", &[]),
            // Paid on make-up Saturday 10/11/2025: 10/13(1)..17(5), 20(6)..24(10)
            ("2025-10-11", "2025-10-24", &[]),
            // New Year's Eve 2025 into 元旦 2026 (1/1–3): 1/4 Sun make-up(1) 5(2) 6(3) 7(4) 8(5)
            // 9(6) 12(7) 13(8) 14(9) 15(10)
            ("2025-12-31", "2026-01-15", &[]),
            // 春节 2026 (2/15–23), paid Fri 2/13: 2/14 Sat make-up(1), holiday, 2/24(2) 25(3)
            // 26(4) 27(5) 28 Sat make-up(6) 3/2(7) 3(8) 4(9) 5(10)
            ("2026-02-13", "2026-03-05", &[]),
            // Paid on make-up Saturday 2/14/2026: 2/24(1) 25(2) 26(3) 27(4) 28 Sat(5)
            // 3/2(6) 3(7) 4(8) 5(9) 6(10)
            ("2026-02-14", "2026-03-06", &[]),
            // 清明 2026 (4/4–6): 4/7(1) 8(2) 9(3) 10(4) 13(5) 14(6) 15(7) 16(8) 17(9) 20(10)
            ("2026-04-03", "2026-04-20", &[]),
            // 劳动节 2026 (5/1–5): 5/6(1) 7(2) 8(3) 9 Sat make-up(4) 11(5) 12(6) 13(7) 14(8) 15(9) 18(10)
            ("2026-04-30", "2026-05-18", &[]),
            // 端午 2026 (6/19–21): 6/22(1) 23(2) 24(3) 25(4) 26(5) 29(6) 30(7) 7/1(8) 2(9) 3(10)
            ("2026-06-18", "2026-07-03", &[]),
            // 中秋 2026 (9/25–27) then 国庆: 9/28(1) 29(2) 30(3), 10/1–7 off, 10/8(4) 9(5)
            // 10 Sat make-up(6) 12(7) 13(8) 14(9) 15(10)
            ("2026-09-24", "2026-10-15", &[]),
            // Paid Fri 9/18/2026, across the 9/20 make-up Sunday, 中秋 and 国庆:
            // 9/20 Sun(1) 21(2) 22(3) 23(4) 24(5), 9/25–27 off, 28(6) 29(7) 30(8), 10/1–7 off, 10/8(9) 9(10)
            ("2026-09-18", "2026-10-09", &[]),
            // 国庆 2026 (10/1–7): 10/8(1) 9(2) 10 Sat make-up(3) 12(4) 13(5) 14(6) 15(7) 16(8) 19(9) 20(10)
            ("2026-09-30", "2026-10-20", &[]),
            // Into 2027 (not loaded, weekends only, so 1/1/2027 counts):
            // 12/28(1) 29(2) 30(3) 31(4) 1/1(5) 4(6) 5(7) 6(8) 7(9) 8(10)
            ("2026-12-25", "2027-01-08", &[2027]),
            // Entirely in 2027: 2/1..5 (5), 2/8..12 (10); the real 春节 is ignored.
            ("2027-01-29", "2027-02-12", &[2027]),
        ];
        for (paid, due, missing) in table {
            let r = cal.add_working_days(d(paid), 10);
            assert_eq!((r.value, r.missing_years.as_slice()), (d(due), missing), "paid {paid}");
            assert_eq!(naive_add(&cal, d(paid), 10), d(due), "naive, paid {paid}");
            // The inverse: exactly 10 working days in (paid, due].
            let back = cal.working_days_between(d(paid), d(due));
            assert_eq!((back.value, back.missing_years.as_slice()), (10, missing), "between {paid}");
        }
    }

    #[test]
    fn add_working_days_edge_cases() {
        let cal = Calendar::builtin();
        // (from, days, expected, missing)
        let table: [(&str, u32, &str, &[i32]); 6] = [
            ("2026-10-03", 0, "2026-10-03", &[]), // 0 days: from itself, even on a holiday
            ("2027-05-01", 0, "2027-05-01", &[]), // 0 days needs no calendar
            ("2026-10-03", 1, "2026-10-08", &[]), // from a holiday
            ("2026-02-13", 1, "2026-02-14", &[]), // next day is a make-up Saturday
            ("2026-12-31", 1, "2027-01-01", &[2027]),
            ("2023-12-31", 1, "2024-01-02", &[]), // from's own year is not needed
        ];
        for (from, days, want, missing) in table {
            let r = cal.add_working_days(d(from), days);
            assert_eq!((r.value, r.missing_years.as_slice()), (d(want), missing), "{from}+{days}");
        }
    }

    #[test]
    fn year_at_a_time_matches_day_by_day() {
        let cal = Calendar::builtin();
        let mut from = d("2023-12-20");
        while from <= d("2027-01-15") {
            for days in 0..=25u32 {
                let fast = cal.add_working_days(from, days);
                assert_eq!(fast.value, naive_add(&cal, from, days), "{from}+{days}");
                assert_eq!(cal.working_days_between(from, fast.value).value, i64::from(days));
            }
            from = from.succ_opt().expect("in range");
        }
        // Long spans: a year-boundary-crossing count equals the day-by-day count.
        let r = cal.add_working_days(d("2023-06-01"), 1000);
        assert_eq!(r.value, naive_add(&cal, d("2023-06-01"), 1000));
        assert_eq!(r.missing_years, vec![2023, 2027]);
    }

    #[test]
    fn huge_inputs_saturate_without_hanging() {
        let cal = Calendar::builtin();
        let r = cal.add_working_days(d("2026-01-01"), u32::MAX);
        assert_eq!(r.value, NaiveDate::MAX);
        assert_eq!(r.missing_years.first(), Some(&2027));
        assert_eq!(r.missing_years.last(), Some(&NaiveDate::MAX.year()));
        assert_eq!(cal.add_working_days(NaiveDate::MAX, 1).value, NaiveDate::MAX);
        // A large but reachable count is exact.
        let r = cal.add_working_days(d("2026-01-01"), 1_000_000);
        assert_eq!(cal.working_days_between(d("2026-01-01"), r.value).value, 1_000_000);
        let all = cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX);
        assert!(all.value > 0);
        assert_eq!(cal.working_days_between(NaiveDate::MAX, NaiveDate::MIN).value, 0);
    }

    #[test]
    fn working_days_between_table() {
        let cal = Calendar::builtin();
        // (from, to, expected, missing)
        let table: [(&str, &str, i64, &[i32]); 10] = [
            ("2026-03-02", "2026-03-02", 0, &[]),
            ("2026-03-05", "2026-03-02", 0, &[]), // to before from
            ("2026-03-02", "2026-03-03", 1, &[]), // (Mon, Tue]
            ("2026-03-06", "2026-03-09", 1, &[]), // (Fri, Mon]: weekend skipped
            ("2026-09-30", "2026-10-08", 1, &[]), // 国庆 2026 in between
            ("2026-09-30", "2026-10-10", 3, &[]), // 10/8, 10/9, make-up Sat 10/10
            // "Pending older than 2 working days": submitted Fri 2/13/2026, on 2/24
            // only 2/14 (make-up Sat) and 2/24 have passed.
            ("2026-02-13", "2026-02-24", 2, &[]),
            ("2026-10-01", "2026-10-07", 0, &[]),     // only holidays
            ("2026-12-31", "2027-01-08", 6, &[2027]), // 1/1 (fallback), 1/4–1/8
            ("2023-12-29", "2028-01-03", 251 + 248 + 248 + 261 + 1, &[2023, 2027, 2028]),
        ];
        for (from, to, want, missing) in table {
            let r = cal.working_days_between(d(from), d(to));
            assert_eq!((r.value, r.missing_years.as_slice()), (want, missing), "({from}, {to}]");
        }
    }

    #[test]
    fn calendar_new_last_year_wins_and_accessors() {
        let empty_2026 = YearCalendar { year: 2026, holidays: BTreeSet::new(), workdays: BTreeSet::new() };
        let cal = Calendar::new(Calendar::builtin_years().into_iter().chain([empty_2026.clone()]));
        assert_eq!(cal.year(2026), Some(&empty_2026));
        assert!(cal.has_year(2024) && cal.has_year(2025) && cal.has_year(2026) && !cal.has_year(2027));
        assert!(cal.is_working_day(d("2026-10-01")).value); // replaced: no holidays left
        assert!(Calendar::default().year(2026).is_none());
        let r = Calendar::default().add_working_days(d("2026-09-30"), 1);
        assert_eq!((r.value, r.missing_years), (d("2026-10-01"), vec![2026]));
    }

    #[test]
    fn validate_table() {
        let yc = |year: i32, h: &[&str], w: &[&str]| YearCalendar {
            year,
            holidays: h.iter().map(|s| d(s)).collect(),
            workdays: w.iter().map(|s| d(s)).collect(),
        };
        let table = [
            (yc(2026, &["2026-01-01"], &["2026-01-04"]), Ok(())),
            (yc(2027, &[], &[]), Ok(())),
            (yc(1999, &[], &[]), Err(CalendarError::YearOutOfRange(1999))),
            (yc(2101, &[], &[]), Err(CalendarError::YearOutOfRange(2101))),
            (yc(2024, &["2023-12-30", "2024-01-01"], &[]), Err(CalendarError::DateOutsideYear(d("2023-12-30")))),
            (yc(2026, &[], &["2027-01-02"]), Err(CalendarError::DateOutsideYear(d("2027-01-02")))),
            (yc(2026, &["2026-01-04"], &["2026-01-04"]), Err(CalendarError::BothHolidayAndWorkday(d("2026-01-04")))),
            (yc(2026, &[], &["2026-01-05"]), Err(CalendarError::WorkdayNotWeekend(d("2026-01-05")))),
        ];
        for (cal, want) in table {
            assert_eq!(cal.validate(), want, "{cal:?}");
        }
    }

    #[test]
    fn json_parsing() {
        for yc in Calendar::builtin_years() {
            let json = serde_json::to_string(&yc).expect("serialize");
            assert_eq!(YearCalendar::from_json(&json), Ok(yc));
        }
        let ok = "\u{feff}{\"year\":2026,\"holidays\":[\"2026-01-01\",\"2026-01-02\"],\"workdays\":[\"2026-01-04\"]}";
        let yc = YearCalendar::from_json(ok).expect("valid");
        assert_eq!(serde_json::to_string(&yc).expect("serialize"), ok.trim_start_matches('\u{feff}'));

        let errors: [(&str, CalendarError); 4] = [
            (r#"{"year":2026,"holidays":["2027-01-01"],"workdays":[]}"#, CalendarError::DateOutsideYear(d("2027-01-01"))),
            (r#"{"year":2026,"holidays":["2026-01-04"],"workdays":["2026-01-04"]}"#, CalendarError::BothHolidayAndWorkday(d("2026-01-04"))),
            (r#"{"year":2026,"holidays":[],"workdays":["2026-01-05"]}"#, CalendarError::WorkdayNotWeekend(d("2026-01-05"))),
            (r#"{"year":20266,"holidays":[],"workdays":[]}"#, CalendarError::YearOutOfRange(20266)),
        ];
        for (json, want) in errors {
            assert_eq!(YearCalendar::from_json(json), Err(want), "{json}");
        }
        // Syntax / shape errors carry the 1-based line.
        let parse_lines = [
            ("{\"year\":2026,\n\"holidays\":[\"2026-13-01\"],\n\"workdays\":[]}", 2),
            ("{\"year\":2026,\"holidays\":[]}", 1), // missing workdays
            ("", 1),
            ("{\"year\":2026,\n\"holidays\":[],\n\"workdays\":[],}", 3),
        ];
        for (json, line) in parse_lines {
            match YearCalendar::from_json(json) {
                Err(CalendarError::Parse { line: l, message }) => {
                    assert_eq!(l, line, "{json:?}: {message}");
                    assert!(!message.contains(" at line "), "{message}");
                }
                other => panic!("{json:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn csv_parsing() {
        let expected = YearCalendar {
            year: 2026,
            holidays: ["2026-10-01", "2026-10-02"].iter().map(|s| d(s)).collect(),
            workdays: ["2026-09-20", "2026-10-10"].iter().map(|s| d(s)).collect(),
        };
        let inputs = [
            // English types, header, names.
            "date,type,name\n2026-10-01,holiday,国庆节\n2026-10-02,holiday,国庆节\n2026-09-20,workday,国庆节\n2026-10-10,workday,国庆节\n",
            // BOM, Chinese header, CRLF, 休/班, no name, blank line and a comment.
            "\u{feff}日期,类型,名称\r\n2026-10-01,休\r\n\r\n# 国庆节\r\n2026-10-02,休\r\n2026-09-20,班\r\n2026-10-10,班\r\n",
            // 假/班, no header, quoted fields (as spreadsheets export), unpadded and slashed dates.
            "\"2026-10-01\",\"假\",\"国庆节, 中秋节\"\n2026/10/2,假\n2026年9月20日,班,\"调休 \"\"上班\"\"\"\n2026.10.10, WORKDAY ,,\n",
        ];
        for input in inputs {
            assert_eq!(YearCalendar::from_csv(None, input), Ok(expected.clone()), "{input:?}");
            assert_eq!(YearCalendar::from_csv(Some(2026), input), Ok(expected.clone()), "{input:?}");
        }
        // Round trip of a shipped year through CSV.
        let y2025 = Calendar::builtin().year(2025).cloned().expect("2025");
        let csv: String =
            y2025.holidays.iter().map(|d| format!("{d},休\n")).chain(y2025.workdays.iter().map(|d| format!("{d},班\n"))).collect();
        assert_eq!(YearCalendar::from_csv(None, &csv), Ok(y2025));

        let errors: [(Option<i32>, &str, CalendarError); 5] = [
            (Some(2026), "2027-01-01,休\n", CalendarError::DateOutsideYear(d("2027-01-01"))),
            // Year inferred from the first row; a later row from another year is outside it.
            (None, "2025-12-31,休\n2026-01-01,休\n", CalendarError::DateOutsideYear(d("2026-01-01"))),
            (None, "2026-01-04,休\n2026-01-04,班\n", CalendarError::BothHolidayAndWorkday(d("2026-01-04"))),
            (None, "date,type\n2026-01-05,workday\n", CalendarError::WorkdayNotWeekend(d("2026-01-05"))),
            (None, "1999-01-01,休\n", CalendarError::YearOutOfRange(1999)),
        ];
        for (year, input, want) in errors {
            assert_eq!(YearCalendar::from_csv(year, input), Err(want), "{input:?}");
        }
        // Malformed rows: (input, 1-based line of the error).
        let bad_lines = [
            ("date,type\n2026-10-01,休\n2026-13-01,休\n", 3),                // no 13th month
            ("\u{feff}date,type\r\n2026-10-01,休\r\n2026-10-02,off\r\n", 3), // unknown type
            ("2026-10-01,休\n\n2026-10-02\n", 3),                            // missing type
            ("2026-10-01，休\n", 1),                                         // full-width comma
            ("2026-10-01,休\n\"2026-10-02,休\n", 2),                         // unterminated quote
            ("date,type\ndate,type\n", 2),                                   // second header
            ("2026-10-01,休\nfoo,休\n", 2),                                  // text where a date belongs
            ("", 1),                                                         // no rows
            ("date,type\n\n", 2),                                            // header only
        ];
        for (input, line) in bad_lines {
            match YearCalendar::from_csv(None, input) {
                Err(CalendarError::Parse { line: l, message }) => {
                    assert_eq!(l, line, "{input:?}: {message}")
                }
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_messages_in_both_languages() {
        let table = [
            (CalendarError::DateOutsideYear(d("2027-01-01")), "2027-01-01", "不属于"),
            (CalendarError::BothHolidayAndWorkday(d("2026-01-04")), "2026-01-04", "同时"),
            (CalendarError::WorkdayNotWeekend(d("2026-01-05")), "Monday", "周一"),
            (CalendarError::YearOutOfRange(1999), "1999", "2000–2100"),
            (CalendarError::Parse { line: 7, message: "x".into() }, "line 7", "第 7 行"),
        ];
        for (err, en, zh) in table {
            assert!(err.en().contains(en), "{}", err.en());
            assert!(err.zh().contains(zh), "{}", err.zh());
        }
    }
}
