//! Bank statements: a bank's export file (xlsx, xls, csv in UTF-8 or GBK) as typed lines (date,
//! signed amount, counterparty, reference), recognising the banks' own layouts (`presets`) or
//! following a column mapping. Pure: bytes in, lines out; the store matches lines to requests.
use crate::money::parse_yuan;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

mod layout;
mod presets;
mod read;

pub use layout::normalize;
pub use presets::{PRESETS, Preset};
pub use read::{Row, read_rows};

/// A statement with more lines than this is refused (split it by month).
pub const MAX_LINES: usize = 100_000;

/// Which header cell holds what (DESIGN §2.2): `amount` (signed, incoming positive), or
/// `amount` with a 借/贷 or 收/支 `direction` flag, or `debit` / `credit` (支出 / 收入). Names are
/// compared after `normalize`, like the presets'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub date: String,
    pub amount: Option<String>,
    pub debit: Option<String>,
    pub credit: Option<String>,
    /// With `amount`: the column holding 借/贷 (or 收/支, 借方/贷方, 支出/收入, D/C).
    #[serde(default)]
    pub direction: Option<String>,
    pub counterparty_name: String,
    pub counterparty_account: Option<String>,
    pub reference: Option<String>,
}

/// A statement read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The preset's bank (`icbc`, `ccb`, …), `generic`, or `mapping`.
    pub format: String,
    /// The statement's own account (digits), when the file names it.
    pub account: Option<String>,
    /// 1-based row of the (last) header row.
    pub header_row: u32,
    /// Readable lines in file order, each with its `occurrence`.
    pub lines: Vec<Line>,
    /// Rows inside the table that cannot be read, and reversals.
    pub problems: Vec<(u32, RowProblem)>,
    /// Non-blank rows above the header and below the table (title, 户名, 合计, notes …).
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No preset fits and no mapping was given: the best guess of the header row, for a form.
    UnknownFormat { header_row: u32, header: Vec<String> },
    /// Mapping fields (`mapping.date`, …) and the cell names not found in the header.
    MappingColumns(Vec<(String, String)>),
    /// Not a valid xlsx, xls or csv, or empty.
    Unreadable { zh: String, en: String },
    /// More than this many lines.
    TooManyLines(usize),
}

/// Reads a statement: the bank's layout is recognised from its header unless `mapping` says
/// which columns to read.
pub fn parse_statement(filename: &str, bytes: &[u8], mapping: Option<&Mapping>) -> Result<Parsed, ParseError> {
    let rows = read_rows(filename, bytes)?;
    if rows.iter().all(|(_, r)| r.iter().all(CellValue::is_blank)) {
        return Err(ParseError::Unreadable { zh: "文件是空的".to_owned(), en: "the file is empty".to_owned() });
    }
    let (format, header, columns) = match mapping {
        Some(m) => {
            let (h, c) = layout::locate_mapping(&rows, m).map_err(ParseError::MappingColumns)?;
            ("mapping", h, c)
        }
        None => layout::recognise(&rows).ok_or_else(|| {
            let i = layout::guess_header(&rows).unwrap_or(0);
            let header = rows[i].1.iter().map(CellValue::text).collect::<Vec<_>>();
            let keep = header.iter().rposition(|t| !t.is_empty()).map_or(0, |p| p + 1);
            ParseError::UnknownFormat { header_row: rows[i].0, header: header[..keep].to_vec() }
        })?,
    };
    let above = &rows[..header.first];
    let table = &rows[header.last + 1..];
    let own_from_column = || columns.own_account.and_then(|i| table.iter().map(|(_, r)| digits(&cell(r, i).text())).find(|d| d.len() >= 8));
    let account = layout::account_above(above).or_else(own_from_column);
    let mut parsed = Parsed {
        format: format.to_owned(),
        account,
        header_row: rows[header.last].0,
        lines: Vec::new(),
        problems: Vec::new(),
        skipped: above.iter().filter(|(_, r)| !r.iter().all(CellValue::is_blank)).count() as u32,
    };
    let header_dates: &[String] = header.names.get(columns.date).map_or(&[], Vec::as_slice);
    let mut ended = false;
    for (no, row) in table {
        if row.iter().all(CellValue::is_blank) {
            continue;
        }
        let date_cell = cell(row, columns.date);
        let repeated_header = header_dates.contains(&normalize(&date_cell.text()));
        if parse_date(&date_cell).is_none() {
            // Not a dated row: a total, a note or a repeated header, unless it sits among the
            // lines and looks like one.
            let filled = row.iter().filter(|c| !c.is_blank()).count();
            if ended || repeated_header || layout::is_footer_text(row) || filled <= 2 {
                ended |= !repeated_header;
                parsed.skipped += 1;
                continue;
            }
        }
        match read_line(*no, row, &columns, parsed.account.as_deref()) {
            Ok(line) => {
                if ended {
                    // A line after the totals: the table did not end there.
                    ended = false;
                }
                parsed.lines.push(line);
            }
            Err(_) if ended => parsed.skipped += 1,
            Err(problem) => parsed.problems.push((*no, problem)),
        }
    }
    if parsed.lines.len() > MAX_LINES {
        return Err(ParseError::TooManyLines(MAX_LINES));
    }
    number_occurrences(&mut parsed.lines);
    Ok(parsed)
}

/// Identical lines (date, amount, counterparty, account, reference) in one file are different
/// payments: the first is occurrence 1, the next 2, …
fn number_occurrences(lines: &mut [Line]) {
    let mut seen: HashMap<(NaiveDate, i64, String, String, String), u32> = HashMap::new();
    for l in lines {
        let key = (l.date, l.amount_fen, l.counterparty_name.clone(), l.counterparty_account.clone(), l.reference.clone());
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        l.occurrence = *n;
    }
}

fn cell(row: &[CellValue], i: usize) -> CellValue {
    row.get(i).cloned().unwrap_or(CellValue::Empty)
}

/// One cell as read from CSV or xlsx.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl CellValue {
    pub fn text(&self) -> String {
        match self {
            CellValue::Text(s) => s.trim().to_owned(),
            CellValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            CellValue::Number(n) => n.to_string(),
            CellValue::Date(d) => d.to_string(),
            CellValue::Empty => String::new(),
        }
    }

    fn is_blank(&self) -> bool {
        self.text().is_empty()
    }
}

/// A bank line as read: what the bank wrote, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The row in the file, 1-based as the spreadsheet shows it.
    pub line: u32,
    pub date: NaiveDate,
    /// Incoming positive, outgoing negative.
    pub amount_fen: i64,
    pub counterparty_name: String,
    /// Digits only.
    pub counterparty_account: String,
    pub reference: String,
    /// 1 for the first of identical lines in one file, 2 for the second, …
    pub occurrence: u32,
}

impl Line {
    /// Identifies the same bank line across imports. Occurrence 1 keeps the fingerprint
    /// databases already hold; later identical lines append their number.
    pub fn fingerprint(&self) -> String {
        let mut s =
            format!("{}|{}|{}|{}|{}", self.date, self.amount_fen, self.counterparty_name, self.counterparty_account, self.reference);
        if self.occurrence > 1 {
            s.push_str(&format!("|{}", self.occurrence));
        }
        hex::encode(Sha256::digest(s.as_bytes()))
    }
}

/// Signed fen from a cell: "1,234.50", "-12.3", "(12.30)", "¥12", or a number.
pub fn parse_amount(cell: &CellValue) -> Option<i64> {
    match cell {
        CellValue::Number(n) if n.is_finite() && n.abs() < 1e13 => {
            // Spreadsheet numbers are binary floats; two decimals, rounded, is what the bank meant.
            let fen = parse_yuan(&format!("{:.2}", n.abs()))?;
            Some(if *n < 0.0 { -fen } else { fen })
        }
        CellValue::Text(s) => {
            let mut t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            for prefix in ["CNY", "RMB", "¥", "￥"] {
                t = t.replace(prefix, "");
            }
            let (negative, body) = if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
                (true, inner.to_owned())
            } else if let Some(rest) = t.strip_prefix('-') {
                (true, rest.to_owned())
            } else {
                (false, t.strip_prefix('+').unwrap_or(&t).to_owned())
            };
            let fen = parse_yuan(&body)?;
            Some(if negative { -fen } else { fen })
        }
        _ => None,
    }
}

pub fn parse_date(cell: &CellValue) -> Option<NaiveDate> {
    match cell {
        CellValue::Date(d) => Some(*d),
        CellValue::Number(n) if *n > 19_000_000.0 && *n < 30_000_000.0 => {
            NaiveDate::parse_from_str(&format!("{}", *n as i64), "%Y%m%d").ok()
        }
        CellValue::Text(s) => {
            let s = s.trim();
            let head: String = s.chars().take_while(|c| !c.is_whitespace() && *c != 'T').collect();
            ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"].iter().find_map(|f| NaiveDate::parse_from_str(&head, f).ok())
        }
        _ => None,
    }
}

pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Why a data row is not a line to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The row cannot be read as a bank line (no date, no amount, …).
    Unreadable(String),
    /// A bank line, but money moving back (冲正/退汇): a person must look at it.
    Reversal(String),
}

impl RowProblem {
    pub fn message(&self) -> &str {
        match self {
            RowProblem::Unreadable(m) | RowProblem::Reversal(m) => m,
        }
    }
}

/// What a 借/贷 flag says: `Some(true)` money out, `Some(false)` money in.
fn flag_is_out(flag: &str) -> Option<bool> {
    match normalize(flag).as_str() {
        "借" | "借方" | "支" | "支出" | "出" | "付" | "付款" | "转出" | "d" | "dr" | "debit" | "-" => Some(true),
        "贷" | "贷方" | "收" | "收入" | "入" | "收款" | "转入" | "c" | "cr" | "credit" | "+" => Some(false),
        _ => None,
    }
}

/// One data row as a line, or what is wrong with it.
fn read_line(no: u32, row: &[CellValue], c: &layout::Columns, own_account: Option<&str>) -> Result<Line, RowProblem> {
    use layout::Money;
    let unreadable = RowProblem::Unreadable;
    let at = |i: usize| cell(row, i);
    let text_at = |i: Option<usize>| i.map(|i| at(i).text()).unwrap_or_default();
    let date = parse_date(&at(c.date)).ok_or_else(|| unreadable(format!("日期无法识别：{}", at(c.date).text())))?;
    let amount_of = |i: usize, what: &str| parse_amount(&at(i)).ok_or_else(|| unreadable(format!("{what}无法识别：{}", at(i).text())));
    let mut name = text_at(c.name);
    let mut account = c.account.map(|i| digits(&at(i).text())).unwrap_or_default();
    let amount = match &c.money {
        Money::Signed(a) => amount_of(*a, "金额")?,
        Money::DebitCredit { debit, credit } => {
            let read = |col: Option<usize>, what: &str| {
                col.map(at)
                    .filter(|v| !v.is_blank())
                    .map(|v| parse_amount(&v).ok_or_else(|| unreadable(format!("{what}无法识别：{}", v.text()))))
                    .transpose()
            };
            let out = read(*debit, "支出金额")?;
            let inc = read(*credit, "收入金额")?;
            match (out.filter(|v| *v != 0), inc.filter(|v| *v != 0)) {
                // A negative amount in a debit or credit column is money moving the other way
                // (冲正/退汇): a person must look at it; it is never a payout or a refund.
                (Some(o), None) if o < 0 => {
                    return Err(RowProblem::Reversal(format!(
                        "支出栏为负数 {}：冲正/退汇（reversal），不自动登记，请人工核对",
                        text_at(*debit)
                    )));
                }
                (None, Some(i)) if i < 0 => {
                    return Err(RowProblem::Reversal(format!(
                        "收入栏为负数 {}：冲正/退汇（reversal），不自动登记，请人工核对",
                        text_at(*credit)
                    )));
                }
                (Some(o), None) => -o,
                (None, Some(i)) => i,
                (Some(_), Some(_)) => return Err(unreadable("同一行既有支出又有收入".to_owned())),
                (None, None) => return Err(unreadable("没有金额".to_owned())),
            }
        }
        Money::Flagged { amount, flag } => {
            let value = amount_of(*amount, "金额")?;
            let out = flag_is_out(&at(*flag).text()).ok_or_else(|| unreadable(format!("借贷标志无法识别：{}", at(*flag).text())))?;
            if value < 0 {
                return Err(RowProblem::Reversal(format!(
                    "金额为负数 {}：冲正/退汇（reversal），不自动登记，请人工核对",
                    at(*amount).text()
                )));
            }
            if out { -value } else { value }
        }
        Money::Sides { amount, payer_account, payer_name, payee_account, payee_name } => {
            let value = amount_of(*amount, "金额")?;
            let payer = digits(&at(*payer_account).text());
            let payee = digits(&at(*payee_account).text());
            let out = match own_account {
                Some(own) if payer == own => true,
                Some(own) if payee == own => false,
                Some(_) => return Err(unreadable("付款人与收款人账号都不是本账户".to_owned())),
                None if value < 0 => true,
                None => return Err(unreadable("文件未写明本方账号，无法判断收支方向".to_owned())),
            };
            let (side_account, side_name) = if out { (payee, payee_name) } else { (payer, payer_name) };
            account = side_account;
            name = text_at(*side_name);
            if out { -value.abs() } else { value.abs() }
        }
    };
    if amount == 0 {
        return Err(unreadable("金额为 0".to_owned()));
    }
    Ok(Line {
        line: no,
        date,
        amount_fen: amount,
        counterparty_name: name,
        counterparty_account: account,
        reference: text_at(c.reference),
        occurrence: 1,
    })
}

/// CSV text from bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::layout::{Columns, Money};
    use super::*;
    use CellValue::*;

    fn csv_mapping(m: &Mapping, text: &str) -> Result<Parsed, ParseError> {
        parse_statement("s.csv", text.as_bytes(), Some(m))
    }

    fn mapping() -> Mapping {
        Mapping {
            date: "交易日期".into(),
            amount: None,
            debit: Some("支出".into()),
            credit: Some("收入".into()),
            direction: None,
            counterparty_name: "对方户名".into(),
            counterparty_account: Some("对方账号".into()),
            reference: Some("摘要".into()),
        }
    }

    #[test]
    fn a_negative_amount_in_a_debit_or_credit_column_is_a_reversal_not_a_payment() {
        let c = Columns {
            date: 0,
            money: Money::DebitCredit { debit: Some(1), credit: Some(2) },
            name: Some(3),
            account: None,
            reference: None,
            own_account: None,
        };
        let row = |d: CellValue, cr: CellValue| vec![Text("2026-12-01".into()), d, cr, Text("财付通".into())];
        for (debit, credit) in [
            (Text("-6321.75".into()), Empty),
            (Empty, Text("-6321.75".into())),
            (Number(-6321.75), Empty),
            (Empty, Text("(6,321.75)".into())),
        ] {
            let err = read_line(2, &row(debit.clone(), credit.clone()), &c, None).unwrap_err();
            assert!(
                matches!(&err, RowProblem::Reversal(m) if m.contains("冲正") && m.contains("reversal")),
                "{debit:?} {credit:?}: {err:?}"
            );
        }
        assert_eq!(read_line(2, &row(Text("6,321.75".into()), Empty), &c, None).unwrap().amount_fen, -632_175);
        assert_eq!(read_line(2, &row(Empty, Text("+6321.75".into())), &c, None).unwrap().amount_fen, 632_175);
    }

    #[test]
    fn amounts_are_read_without_floating_point_drift() {
        let cases = [
            (Text("1,234.50".into()), Some(123_450)),
            (Text("-12.3".into()), Some(-1_230)),
            (Text("(0.01)".into()), Some(-1)),
            (Text("￥ 100".into()), Some(10_000)),
            (Text("+7.07".into()), Some(707)),
            (Text("\t1,200.01\t".into()), Some(120_001)),
            (Text("1 200.01".into()), Some(120_001)),
            (Number(0.1 + 0.2), Some(30)),
            (Number(-123.45), Some(-12_345)),
            (Text("abc".into()), None),
            (Text("1.234".into()), None),
            (Empty, None),
        ];
        for (cell, expected) in cases {
            assert_eq!(parse_amount(&cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn dates_in_the_usual_bank_formats() {
        let d = NaiveDate::from_ymd_opt(2026, 9, 30);
        for s in [
            "2026-09-30",
            "2026/9/30",
            "2026.09.30",
            "20260930",
            "2026-09-30 10:11:12",
            "20260930 10:11:12",
            "2026-09-30T10:11:12",
            "2026年9月30日",
        ] {
            assert_eq!(parse_date(&Text(s.into())), d, "{s}");
        }
        assert_eq!(parse_date(&Number(20260930.0)), d);
        assert_eq!(parse_date(&Date(d.unwrap())), d);
        assert_eq!(parse_date(&Text("30/09/2026".into())), None);
    }

    #[test]
    fn debit_and_credit_columns_become_a_signed_amount() {
        let p = csv_mapping(
            &mapping(),
            "某公司流水\n交易日期,支出,收入,对方户名,对方账号,摘要\n2026-09-30,123.45,,财付通,7559 1570 7910 607,123456\n2026-10-20,,123.45,财付通,,\n,,,,,\nbad,1,,x,,\n",
        )
        .unwrap();
        assert_eq!(p.format, "mapping");
        assert_eq!(p.header_row, 2);
        assert_eq!((p.lines[0].amount_fen, p.lines[0].counterparty_account.as_str()), (-12_345, "755915707910607"));
        assert_eq!(p.lines[1].amount_fen, 12_345);
        assert_eq!(p.problems.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [6]);
        assert_eq!(p.skipped, 1);
        let missing =
            csv_mapping(&Mapping { date: "日期".into(), ..mapping() }, "交易日期,支出,收入,对方户名,对方账号,摘要\n").unwrap_err();
        assert_eq!(missing, ParseError::MappingColumns(vec![("mapping.date".into(), "日期".into())]));
        let no_amount = Mapping { debit: None, credit: None, ..mapping() };
        let err = csv_mapping(&no_amount, "交易日期,支出,收入,对方户名,对方账号,摘要\n").unwrap_err();
        assert!(matches!(err, ParseError::MappingColumns(m) if m.contains(&("mapping.amount".into(), String::new()))));
    }

    #[test]
    fn a_mapping_reads_one_amount_with_a_direction_flag_and_normalised_names() {
        let m =
            Mapping { amount: Some("金额（元）".into()), direction: Some("收/支".into()), debit: None, credit: None, ..mapping() };
        let p = csv_mapping(&m, "交易日期,金额,收/支,对方户名,对方账号,摘要\n20261123,\"1,200.01\",支,财付通,755915707910607,打款\n20261125,3456.78,收,财付通,,退款\n20261126,1.00,?,x,,\n").unwrap();
        assert_eq!(p.lines.iter().map(|l| l.amount_fen).collect::<Vec<_>>(), [-120_001, 345_678]);
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn identical_lines_are_different_payments_and_the_first_keeps_the_old_fingerprint() {
        let p = csv_mapping(
            &mapping(),
            "交易日期,支出,收入,对方户名,对方账号,摘要\n2026-11-23,1.00,,财付通,755915707910607,打款\n2026-11-23,1.00,,财付通,755915707910607,打款\n",
        )
        .unwrap();
        let [a, b] = &p.lines[..] else { panic!("{p:?}") };
        assert_eq!((a.occurrence, b.occurrence), (1, 2));
        assert_ne!(a.fingerprint(), b.fingerprint());
        let old = format!("{}|{}|{}|{}|{}", a.date, a.amount_fen, a.counterparty_name, a.counterparty_account, a.reference);
        assert_eq!(a.fingerprint(), hex::encode(Sha256::digest(old.as_bytes())));
        assert_eq!(b.fingerprint(), hex::encode(Sha256::digest(format!("{old}|2").as_bytes())));
    }

    #[test]
    fn an_unknown_header_names_the_row_it_found() {
        let err = parse_statement("u.csv", "流水\n时间,钱,谁\n2026-11-23,1,x\n".as_bytes(), None).unwrap_err();
        assert_eq!(err, ParseError::UnknownFormat { header_row: 2, header: vec!["时间".into(), "钱".into(), "谁".into()] });
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("交易日期,金额\n");
        assert_eq!(decode_text(&gbk), "交易日期,金额\n");
        assert_eq!(decode_text("\u{feff}a,b".as_bytes()), "a,b");
    }
}
