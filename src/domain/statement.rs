//! Bank statements: turning a row of a bank's export into a typed line (date, signed amount,
//! counterparty, reference), whatever the bank's columns are called. Pure; the HTTP layer
//! reads the file and the store matches lines to requests.
use super::money::parse_yuan;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which header cell holds what (DESIGN §2.2). Either `amount` (signed, incoming positive)
/// or `debit` / `credit` (支出 / 收入).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub date: String,
    pub amount: Option<String>,
    pub debit: Option<String>,
    pub credit: Option<String>,
    pub counterparty_name: String,
    pub counterparty_account: Option<String>,
    pub reference: Option<String>,
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
    fn text(&self) -> String {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The row in the file (the header is row 1).
    pub line: u32,
    pub date: NaiveDate,
    /// Incoming positive, outgoing negative.
    pub amount_fen: i64,
    pub counterparty_name: String,
    /// Digits only.
    pub counterparty_account: String,
    pub reference: String,
}

impl Line {
    /// Identifies the same bank line across imports.
    pub fn fingerprint(&self) -> String {
        let s = format!("{}|{}|{}|{}|{}", self.date, self.amount_fen, self.counterparty_name, self.counterparty_account, self.reference);
        hex::encode(Sha256::digest(s.as_bytes()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    date: usize,
    amount: Option<usize>,
    debit: Option<usize>,
    credit: Option<usize>,
    name: usize,
    account: Option<usize>,
    reference: Option<usize>,
}

/// Finds the mapped columns in the header; `Err` names each mapping field whose column is missing.
pub fn locate(header: &[CellValue], m: &Mapping) -> Result<Columns, Vec<(String, String)>> {
    let names: Vec<String> = header.iter().map(|c| c.text().trim_start_matches('\u{feff}').to_owned()).collect();
    let mut missing = Vec::new();
    let mut find = |field: &str, name: &str| -> Option<usize> {
        let found = names.iter().position(|n| n == name.trim());
        if found.is_none() {
            missing.push((format!("mapping.{field}"), name.to_owned()));
        }
        found
    };
    let date = find("date", &m.date);
    let name = find("counterparty_name", &m.counterparty_name);
    let amount = m.amount.as_deref().and_then(|a| find("amount", a));
    let debit = m.debit.as_deref().and_then(|a| find("debit", a));
    let credit = m.credit.as_deref().and_then(|a| find("credit", a));
    let account = m.counterparty_account.as_deref().and_then(|a| find("counterparty_account", a));
    let reference = m.reference.as_deref().and_then(|a| find("reference", a));
    if m.amount.is_none() && m.debit.is_none() && m.credit.is_none() {
        missing.push(("mapping.amount".to_owned(), String::new()));
    }
    match (date, name, missing.is_empty()) {
        (Some(date), Some(name), true) => Ok(Columns { date, amount, debit, credit, name, account, reference }),
        _ => Err(missing),
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

/// A data row as a line; `Ok(None)` for a blank row, `Err` says what is wrong.
pub fn parse_row(line: u32, row: &[CellValue], c: &Columns) -> Result<Option<Line>, RowProblem> {
    parse_fields(line, row, c).map_err(RowProblem::Unreadable)?.map_or(Ok(None), |l| match l {
        Parsed::Line(l) => Ok(Some(l)),
        Parsed::Reversal(m) => Err(RowProblem::Reversal(m)),
    })
}

enum Parsed {
    Line(Line),
    Reversal(String),
}

fn parse_fields(line: u32, row: &[CellValue], c: &Columns) -> Result<Option<Parsed>, String> {
    if row.iter().all(CellValue::is_blank) {
        return Ok(None);
    }
    let cell = |i: usize| row.get(i).cloned().unwrap_or(CellValue::Empty);
    let date = parse_date(&cell(c.date)).ok_or_else(|| format!("日期无法识别：{}", cell(c.date).text()))?;
    let amount = match (c.amount, c.debit, c.credit) {
        (Some(a), _, _) => parse_amount(&cell(a)).ok_or_else(|| format!("金额无法识别：{}", cell(a).text()))?,
        (None, debit, credit) => {
            let out = debit
                .map(cell)
                .filter(|v| !v.is_blank())
                .map(|v| parse_amount(&v).ok_or_else(|| format!("支出金额无法识别：{}", v.text())))
                .transpose()?;
            let inc = credit
                .map(cell)
                .filter(|v| !v.is_blank())
                .map(|v| parse_amount(&v).ok_or_else(|| format!("收入金额无法识别：{}", v.text())))
                .transpose()?;
            match (out.filter(|v| *v != 0), inc.filter(|v| *v != 0)) {
                // A negative amount in a debit or credit column is money moving the other way
                // (冲正/退汇): a person must look at it; it is never a payout or a refund.
                (Some(o), None) if o < 0 => {
                    return Ok(Some(Parsed::Reversal(format!(
                        "支出栏为负数 {}：冲正/退汇（reversal），不自动登记，请人工核对",
                        cell_text(debit, &cell)
                    ))));
                }
                (None, Some(i)) if i < 0 => {
                    return Ok(Some(Parsed::Reversal(format!(
                        "收入栏为负数 {}：冲正/退汇（reversal），不自动登记，请人工核对",
                        cell_text(credit, &cell)
                    ))));
                }
                (Some(o), None) => -o,
                (None, Some(i)) => i,
                (Some(_), Some(_)) => return Err("同一行既有支出又有收入".to_owned()),
                (None, None) => return Err("没有金额".to_owned()),
            }
        }
    };
    if amount == 0 {
        return Err("金额为 0".to_owned());
    }
    Ok(Some(Parsed::Line(Line {
        line,
        date,
        amount_fen: amount,
        counterparty_name: cell(c.name).text(),
        counterparty_account: c.account.map(|i| digits(&cell(i).text())).unwrap_or_default(),
        reference: c.reference.map(|i| cell(i).text()).unwrap_or_default(),
    })))
}

fn cell_text(col: Option<usize>, cell: &impl Fn(usize) -> CellValue) -> String {
    col.map(|i| cell(i).text()).unwrap_or_default()
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
mod tests {
    use super::*;
    use CellValue::*;

    #[test]
    fn a_negative_amount_in_a_debit_or_credit_column_is_a_reversal_not_a_payment() {
        let c = Columns { date: 0, amount: None, debit: Some(1), credit: Some(2), name: 3, account: None, reference: None };
        let row = |d: CellValue, cr: CellValue| vec![Text("2026-12-01".into()), d, cr, Text("财付通".into())];
        for (debit, credit) in [
            (Text("-6321.75".into()), Empty),
            (Empty, Text("-6321.75".into())),
            (Number(-6321.75), Empty),
            (Empty, Text("(6,321.75)".into())),
        ] {
            let err = parse_row(2, &row(debit.clone(), credit.clone()), &c).unwrap_err();
            assert!(
                matches!(&err, RowProblem::Reversal(m) if m.contains("冲正") && m.contains("reversal")),
                "{debit:?} {credit:?}: {err:?}"
            );
        }
        assert_eq!(parse_row(2, &row(Text("6,321.75".into()), Empty), &c).unwrap().unwrap().amount_fen, -632_175);
        assert_eq!(parse_row(2, &row(Empty, Text("+6321.75".into())), &c).unwrap().unwrap().amount_fen, 632_175);
    }

    #[test]
    fn amounts_are_read_without_floating_point_drift() {
        let cases = [
            (Text("1,234.50".into()), Some(123_450)),
            (Text("-12.3".into()), Some(-1_230)),
            (Text("(0.01)".into()), Some(-1)),
            (Text("￥ 100".into()), Some(10_000)),
            (Text("+7.07".into()), Some(707)),
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
        for s in ["2026-09-30", "2026/9/30", "2026.09.30", "20260930", "2026-09-30 10:11:12", "2026年9月30日"] {
            assert_eq!(parse_date(&Text(s.into())), d, "{s}");
        }
        assert_eq!(parse_date(&Number(20260930.0)), d);
        assert_eq!(parse_date(&Text("30/09/2026".into())), None);
    }

    #[test]
    fn debit_and_credit_columns_become_a_signed_amount() {
        let header = ["交易日期", "支出", "收入", "对方户名", "对方账号", "摘要"].map(|s| Text(s.into()));
        let m = Mapping {
            date: "交易日期".into(),
            amount: None,
            debit: Some("支出".into()),
            credit: Some("收入".into()),
            counterparty_name: "对方户名".into(),
            counterparty_account: Some("对方账号".into()),
            reference: Some("摘要".into()),
        };
        let c = locate(&header, &m).unwrap();
        let out = parse_row(
            2,
            &[
                Text("2026-09-30".into()),
                Number(123.45),
                Empty,
                Text("财付通".into()),
                Text("7559 1570 7910 607".into()),
                Text("123456".into()),
            ],
            &c,
        )
        .unwrap()
        .unwrap();
        assert_eq!((out.amount_fen, out.counterparty_account.as_str()), (-12_345, "755915707910607"));
        let inc = parse_row(3, &[Text("2026-10-20".into()), Empty, Text("123.45".into()), Text("财付通".into()), Empty, Empty], &c)
            .unwrap()
            .unwrap();
        assert_eq!(inc.amount_fen, 12_345);
        assert_eq!(parse_row(4, &[Empty, Empty, Empty, Empty, Empty, Empty], &c), Ok(None));
        assert!(parse_row(5, &[Text("bad".into()), Number(1.0), Empty, Empty, Empty, Empty], &c).is_err());
        let missing = locate(&header, &Mapping { date: "日期".into(), ..m }).unwrap_err();
        assert_eq!(missing[0].0, "mapping.date");
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("交易日期,金额\n");
        assert_eq!(decode_text(&gbk), "交易日期,金额\n");
        assert_eq!(decode_text("\u{feff}a,b".as_bytes()), "a,b");
    }
}
