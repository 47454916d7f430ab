//! Finding the table in a statement: the header row (anywhere in the first rows, one or two
//! rows high), which preset or mapping it fits, and the statement's own account named above it.
use super::presets::{GENERIC, PRESETS, Preset};
use super::{CellValue, Mapping, digits, parse_amount, parse_date};

/// The header is looked for in this many rows from the top.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Header text as compared, for presets and mappings alike: no BOM, no whitespace of any width,
/// half-width brackets and colons, 其它 → 其他, no surrounding `*`, no `/元` or `(元)`, no trailing
/// colon, and no bilingual suffix such as `[ Trade Amount ]` (BOC).
pub fn normalize(s: &str) -> String {
    let mut t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}' && *c != '\u{200b}')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '【' | '［' => '[',
            '】' | '］' => ']',
            '：' => ':',
            '／' => '/',
            _ => c,
        })
        .collect();
    t = t.replace("其它", "其他").replace("/元", "").replace("(元)", "");
    // A trailing ASCII-only bracket is an English translation of the cell.
    for (open, close) in [('[', ']'), ('(', ')')] {
        if t.ends_with(close)
            && let Some(start) = t.rfind(open)
            && start > 0
            && t[start..].is_ascii()
        {
            t.truncate(start);
        }
    }
    let t = t.trim_matches('*').trim_end_matches(':').trim_matches('*');
    t.to_ascii_lowercase()
}

/// A header: the names each column answers to.
#[derive(Debug, Clone)]
pub struct Header {
    /// Index (into the rows) of the first header row.
    pub first: usize,
    /// Index of the last header row (the same as `first` for a one-row header).
    pub last: usize,
    pub names: Vec<Vec<String>>,
}

impl Header {
    fn has(&self, name: &str) -> bool {
        let n = normalize(name);
        self.names.iter().any(|col| col.contains(&n))
    }

    /// The column of the first candidate present.
    pub fn find(&self, candidates: &[&str]) -> Option<usize> {
        candidates.iter().find_map(|c| {
            let n = normalize(c);
            self.names.iter().position(|col| col.contains(&n))
        })
    }
}

/// Where each part of a line is in a data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub date: usize,
    pub money: Money,
    /// Absent only for `Money::Sides`, where the side tells the counterparty.
    pub name: Option<usize>,
    pub account: Option<usize>,
    pub reference: Option<usize>,
    pub own_account: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Money {
    /// One amount, incoming positive.
    Signed(usize),
    /// 借方/支出 and 贷方/收入 columns.
    DebitCredit { debit: Option<usize>, credit: Option<usize> },
    /// One unsigned amount and a 借/贷 or 收/支 flag.
    Flagged { amount: usize, flag: usize },
    /// One unsigned amount with payer and payee accounts (BOC).
    Sides { amount: usize, payer_account: usize, payer_name: Option<usize>, payee_account: usize, payee_name: Option<usize> },
}

fn cell_text(row: &[CellValue], i: usize) -> String {
    row.get(i).map(CellValue::text).unwrap_or_default()
}

fn is_blank_row(row: &[CellValue]) -> bool {
    row.iter().all(CellValue::is_blank)
}

/// A row under a header row that names sub-columns (e.g. 借方 | 贷方 under 发生额): only text,
/// no date or amount, and at least one name under a merged (blank) or spanning parent cell.
fn is_sub_header(parent: &[CellValue], row: &[CellValue]) -> bool {
    let cells: Vec<(usize, String)> = row.iter().enumerate().map(|(i, c)| (i, c.text())).filter(|(_, t)| !t.is_empty()).collect();
    let parent_cells = parent.iter().filter(|c| !c.is_blank()).count();
    // A title row above a header is not its parent: a parent row is a header itself.
    if cells.is_empty() || parent_cells < 3 || cells.len() >= parent_cells || is_footer_text(row) {
        return false;
    }
    let plain = row.iter().all(|c| match c {
        CellValue::Text(t) => t.trim().is_empty() || (parse_date(c).is_none() && parse_amount(c).is_none() && !t.contains(':')),
        CellValue::Empty => true,
        _ => false,
    });
    let under_span = cells.iter().any(|(i, _)| {
        let above_blank = cell_text(parent, *i).is_empty();
        let spans = !cell_text(parent, *i).is_empty() && cell_text(parent, i + 1).is_empty();
        (above_blank && (0..*i).any(|j| !cell_text(parent, j).is_empty())) || spans
    });
    plain && under_span
}

/// The header starting at row `i`: two rows when the next one is a sub-header.
pub fn header_at(rows: &[(u32, Vec<CellValue>)], i: usize) -> Header {
    let top = &rows[i].1;
    let single =
        |row: &[CellValue]| row.iter().map(|c| vec![normalize(&c.text())].into_iter().filter(|n| !n.is_empty()).collect()).collect();
    match rows.get(i + 1) {
        Some((_, below)) if is_sub_header(top, below) => {
            let width = top.len().max(below.len());
            let mut parent = String::new();
            let names = (0..width)
                .map(|c| {
                    let own = normalize(&cell_text(top, c));
                    let child = normalize(&cell_text(below, c));
                    if !own.is_empty() {
                        parent = own.clone();
                    }
                    match (own.is_empty(), child.is_empty()) {
                        (false, true) => vec![own],
                        (_, false) if !parent.is_empty() => vec![child.clone(), format!("{parent}{child}")],
                        (_, false) => vec![child],
                        (true, true) => Vec::new(),
                    }
                })
                .collect();
            Header { first: i, last: i + 1, names }
        }
        _ => Header { first: i, last: i, names: single(top) },
    }
}

/// The columns of `p` in `h`, when `h` is `p`'s layout.
fn resolve(p: &Preset, h: &Header) -> Option<Columns> {
    if !p.signature.iter().all(|s| h.has(s)) {
        return None;
    }
    let date = h.find(p.date)?;
    let amount = h.find(p.amount);
    let (debit, credit) = (h.find(p.debit), h.find(p.credit));
    let money = match (h.find(p.payer_account), h.find(p.payee_account), amount) {
        (Some(payer_account), Some(payee_account), Some(amount)) => {
            Money::Sides { amount, payer_account, payer_name: h.find(p.payer_name), payee_account, payee_name: h.find(p.payee_name) }
        }
        _ if debit.is_some() || credit.is_some() => Money::DebitCredit { debit, credit },
        _ => match (amount, h.find(p.direction)) {
            (Some(amount), Some(flag)) => Money::Flagged { amount, flag },
            (Some(amount), None) => Money::Signed(amount),
            (None, _) => return None,
        },
    };
    let name = h.find(p.counterparty_name);
    if name.is_none() && !matches!(money, Money::Sides { .. }) {
        return None;
    }
    Some(Columns {
        date,
        money,
        name,
        account: h.find(p.counterparty_account),
        reference: h.find(p.reference),
        own_account: h.find(p.own_account),
    })
}

/// The bank layout of the file: the first row (in the first 30) that is a preset's header,
/// the most specific preset there; else the first that fits the generic layout.
pub fn recognise(rows: &[(u32, Vec<CellValue>)]) -> Option<(&'static str, Header, Columns)> {
    let limit = rows.len().min(HEADER_SEARCH_ROWS);
    let headers: Vec<Header> = (0..limit).filter(|i| !is_blank_row(&rows[*i].1)).map(|i| header_at(rows, i)).collect();
    for h in &headers {
        let best = PRESETS.iter().filter_map(|p| resolve(p, h).map(|c| (p, c))).max_by_key(|(p, _)| p.signature.len());
        if let Some((p, columns)) = best {
            return Some((p.id, h.clone(), columns));
        }
    }
    headers.iter().find_map(|h| resolve(&GENERIC, h).map(|c| (GENERIC.id, h.clone(), c)))
}

/// The header row to offer a mapping form when nothing fits: the row in the first 30 with the
/// most cells that are names (not dates, not amounts), the earliest of equals.
pub fn guess_header(rows: &[(u32, Vec<CellValue>)]) -> Option<usize> {
    let score = |row: &[CellValue]| {
        row.iter()
            .filter(|c| matches!(c, CellValue::Text(t) if !t.trim().is_empty()) && parse_date(c).is_none() && parse_amount(c).is_none())
            .count()
    };
    let limit = rows.len().min(HEADER_SEARCH_ROWS);
    (0..limit).filter(|i| score(&rows[*i].1) > 0).rev().max_by_key(|i| score(&rows[*i].1))
}

/// The mapped columns; `Err` names each mapping field whose column is missing from the best
/// candidate header row (`("mapping.amount", "")` when no amount column was given at all).
pub fn locate_mapping(rows: &[(u32, Vec<CellValue>)], m: &Mapping) -> Result<(Header, Columns), Vec<(String, String)>> {
    let wanted: Vec<(&str, Option<&str>)> = vec![
        ("date", Some(m.date.as_str())),
        ("counterparty_name", Some(m.counterparty_name.as_str())),
        ("amount", m.amount.as_deref()),
        ("debit", m.debit.as_deref()),
        ("credit", m.credit.as_deref()),
        ("direction", m.direction.as_deref()),
        ("counterparty_account", m.counterparty_account.as_deref()),
        ("reference", m.reference.as_deref()),
    ];
    let no_amount = m.amount.is_none() && m.debit.is_none() && m.credit.is_none();
    let limit = rows.len().min(HEADER_SEARCH_ROWS);
    // The row where most mapped names were found, and what it lacks.
    let mut best: Option<(usize, Vec<(String, String)>)> = None;
    for i in (0..limit).filter(|i| !is_blank_row(&rows[*i].1)) {
        let h = header_at(rows, i);
        let missing: Vec<(String, String)> = wanted
            .iter()
            .filter_map(|(field, name)| name.filter(|n| h.find(&[n]).is_none()).map(|n| (format!("mapping.{field}"), n.to_owned())))
            .collect();
        let found = wanted.iter().filter(|(_, n)| n.is_some()).count() - missing.len();
        if missing.is_empty() && !no_amount {
            let f = |n: Option<&str>| n.and_then(|n| h.find(&[n]));
            let money = match (f(m.amount.as_deref()), f(m.direction.as_deref())) {
                (Some(amount), Some(flag)) => Money::Flagged { amount, flag },
                (Some(amount), None) => Money::Signed(amount),
                _ => Money::DebitCredit { debit: f(m.debit.as_deref()), credit: f(m.credit.as_deref()) },
            };
            let columns = Columns {
                date: f(Some(&m.date)).unwrap_or_default(),
                money,
                name: f(Some(&m.counterparty_name)),
                account: f(m.counterparty_account.as_deref()),
                reference: f(m.reference.as_deref()),
                own_account: h.find(&["本方账号"]),
            };
            return Ok((h, columns));
        }
        if best.as_ref().is_none_or(|(n, _)| found > *n) {
            best = Some((found, missing));
        }
    }
    let mut missing = best
        .map(|(_, m)| m)
        .unwrap_or_else(|| wanted.iter().filter_map(|(f, n)| n.map(|n| (format!("mapping.{f}"), n.to_owned()))).collect());
    if no_amount {
        missing.push(("mapping.amount".to_owned(), String::new()));
    }
    Err(missing)
}

/// Labels of the statement's own account in the rows above the table.
const ACCOUNT_LABELS: &[&str] = &["账号", "帐号", "账户", "帐户", "查询账号", "银行账号", "账户号", "账户账号", "本方账号", "单位账号"];

/// The own account named above the table: a label cell followed by the number (in the next
/// non-blank cell, or after the colon in the same cell); digits only, at least 8 of them.
pub fn account_above(rows: &[(u32, Vec<CellValue>)]) -> Option<String> {
    let labels: Vec<String> = ACCOUNT_LABELS.iter().map(|l| normalize(l)).collect();
    for (_, row) in rows {
        for (i, cell) in row.iter().enumerate() {
            let text = cell.text();
            let n = normalize(&text);
            let value = if labels.contains(&n) {
                row[i + 1..].iter().map(CellValue::text).find(|t| !t.is_empty())
            } else {
                let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace('：', ":");
                flat.split_once(':').filter(|(label, _)| labels.contains(&normalize(label))).map(|(_, v)| v.to_owned())
            };
            if let Some(d) = value.map(|v| digits(&v)).filter(|d| d.len() >= 8) {
                return Some(d);
            }
        }
    }
    None
}

/// Words of the rows below a table (totals, counts, notes) and of notes inside it.
const FOOTER_WORDS: &[&str] = &[
    "合计",
    "汇总",
    "笔数",
    "总计",
    "小计",
    "累计",
    "总额",
    "以上数据",
    "仅供参考",
    "打印",
    "制表",
    "说明",
    "注:",
    "温馨提示",
    "本页",
    "期末余额",
    "期初余额",
    "经办",
    "复核",
];

pub fn is_footer_text(row: &[CellValue]) -> bool {
    row.iter().any(|c| {
        let t = normalize(&c.text());
        !t.is_empty() && FOOTER_WORDS.iter().any(|w| t.contains(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CellValue::*;

    fn rows(table: &[&[&str]]) -> Vec<(u32, Vec<CellValue>)> {
        table
            .iter()
            .enumerate()
            .map(|(i, r)| ((i + 1) as u32, r.iter().map(|s| if s.is_empty() { Empty } else { Text((*s).into()) }).collect()))
            .collect()
    }

    #[test]
    fn header_text_is_normalised_the_same_way_for_every_spelling() {
        for (raw, want) in [
            ("借方发生额（支取）", "借方发生额(支取)"),
            ("借方发生额/元(支取)", "借方发生额(支取)"),
            ("  交易时间  ", "交易时间"),
            ("账\u{3000}\u{3000}号", "账号"),
            ("户  名:", "户名"),
            ("\u{feff}交易日期", "交易日期"),
            ("*对方户名*", "对方户名"),
            ("其它摘要", "其他摘要"),
            ("交易金额[ Trade Amount ]", "交易金额"),
            ("发生额（元）", "发生额"),
            ("收(付)方名称", "收(付)方名称"),
            ("查询账号：", "查询账号"),
        ] {
            assert_eq!(normalize(raw), want, "{raw}");
        }
    }

    #[test]
    fn a_two_row_header_answers_to_the_child_and_to_parent_plus_child() {
        let r = rows(&[&["交易时间", "发生额/元", "", "对方户名"], &["", "借方", "贷方", ""], &["2026-11-23", "1.00", "", "x"]]);
        let h = header_at(&r, 0);
        assert_eq!(h.last, 1);
        assert_eq!(h.find(&["借方"]), Some(1));
        assert_eq!(h.find(&["发生额借方"]), Some(1));
        assert_eq!(h.find(&["贷方"]), Some(2));
        assert_eq!(h.find(&["发生额贷方"]), Some(2));
        assert_eq!(h.find(&["交易时间"]), Some(0));
        assert_eq!(h.find(&["发生额"]), None, "the parent alone is not an amount column");
        // A data row is never taken for a sub-header.
        let r = rows(&[&["交易时间", "支出", "收入", "对方户名"], &["2026-11-23", "1.00", "", "x"]]);
        assert_eq!(header_at(&r, 0).last, 0);
    }

    #[test]
    fn the_own_account_is_read_from_a_label_above_the_table() {
        for table in [
            &[&["账号:", "1202 0012 0900 1234 567"][..]][..],
            &[&["账号: 1202 0012 0900 1234 567"][..]],
            &[&["标题", "x", "银行账号", "1202001209001234567"][..]],
            &[&["户名", "日升集团有限公司", "账\u{3000}\u{3000}号", "", "1202001209001234567"][..]],
        ] {
            assert_eq!(account_above(&rows(table)).as_deref(), Some("1202001209001234567"), "{table:?}");
        }
        assert_eq!(account_above(&rows(&[&["账户名称", "日升集团有限公司"], &["账号", "12"]])), None);
    }

    #[test]
    fn the_most_specific_preset_wins_and_generic_is_the_last_resort() {
        let r = rows(&[
            &["中国建设银行"],
            &["交易时间", "借方发生额（支取）", "贷方发生额（收入）", "对方户名", "对方账号", "账户明细编号-交易流水号"],
        ]);
        assert_eq!(recognise(&r).map(|(id, h, _)| (id, h.first)), Some(("ccb", 1)));
        let r = rows(&[&["日期", "支出", "收入", "对方户名"]]);
        let (id, _, c) = recognise(&r).unwrap();
        assert_eq!((id, c.money), ("generic", Money::DebitCredit { debit: Some(1), credit: Some(2) }));
        assert!(recognise(&rows(&[&["时间", "钱", "谁"]])).is_none());
        assert_eq!(guess_header(&rows(&[&["某某公司流水"], &["时间", "钱", "谁"], &["2026-11-23", "1", "x"]])), Some(1));
    }
}
