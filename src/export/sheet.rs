//! A streaming worksheet: writes typed cells row by row, remembers column widths, and
//! keeps amount totals for the SUM row.
use chrono::NaiveDate;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

pub enum Cell {
    Text(String),
    /// Integer fen, written as yuan with `¥#,##0.00`.
    Money(i64),
    Date(NaiveDate),
    Int(i64),
    Empty,
}

impl Cell {
    pub fn opt_money(v: Option<i64>) -> Cell {
        v.map(Cell::Money).unwrap_or(Cell::Empty)
    }

    pub fn opt_date(v: Option<NaiveDate>) -> Cell {
        v.map(Cell::Date).unwrap_or(Cell::Empty)
    }

    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

pub struct Formats {
    header: Format,
    text: Format,
    text_literal: Format,
    money: Format,
    date: Format,
    int: Format,
    hi_text: Format,
    hi_text_literal: Format,
    hi_money: Format,
    hi_date: Format,
    hi_int: Format,
    total_label: Format,
    total_money: Format,
}

const MONEY: &str = "¥#,##0.00";
const DATE: &str = "yyyy-mm-dd";

impl Formats {
    pub fn new() -> Formats {
        let hi = |f: Format| f.set_background_color(Color::RGB(0xFFE7BA));
        let money = Format::new().set_num_format(MONEY);
        let date = Format::new().set_num_format(DATE).set_align(FormatAlign::Left);
        // Text that a spreadsheet could take for a formula is stored with the quote prefix:
        // it is a string cell, and stays one if someone edits it (OWASP ASVS V1.2.10).
        let literal = Format::new().set_quote_prefix();
        Formats {
            header: Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border_bottom(FormatBorder::Thin),
            text: Format::new(),
            text_literal: literal.clone(),
            int: Format::new(),
            hi_text: hi(Format::new()),
            hi_text_literal: hi(literal),
            hi_money: hi(money.clone()),
            hi_date: hi(date.clone()),
            hi_int: hi(Format::new()),
            money,
            date,
            total_label: Format::new().set_bold().set_border_top(FormatBorder::Thin),
            total_money: Format::new().set_bold().set_num_format(MONEY).set_border_top(FormatBorder::Thin),
        }
    }
}

/// Formula-like text: starts with `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

pub struct SheetWriter<'a> {
    pub ws: &'a mut Worksheet,
    widths: Vec<f64>,
    money_totals: Vec<Option<i64>>,
    pub row: u32,
}

/// Display width in Excel character units: CJK characters are about two.
fn display_width(s: &str) -> f64 {
    s.chars().map(|c| if (c as u32) > 0x2E80 { 2.1 } else { 1.1 }).sum()
}

impl<'a> SheetWriter<'a> {
    /// Writes the header row, freezes it and turns on the autofilter over `columns`.
    pub fn new(ws: &'a mut Worksheet, name: &str, headers: &[&str], f: &Formats) -> Result<SheetWriter<'a>, XlsxError> {
        ws.set_name(name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &f.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let widths = headers.iter().map(|h| display_width(h) + 2.0).collect();
        Ok(SheetWriter { ws, widths, money_totals: vec![None; headers.len()], row: 1 })
    }

    pub fn write(&mut self, cells: Vec<Cell>, highlight: bool, f: &Formats) -> Result<(), XlsxError> {
        let r = self.row;
        for (i, cell) in cells.into_iter().enumerate() {
            let c = i as u16;
            let width = match cell {
                Cell::Text(s) => {
                    let fmt = match (highlight, looks_like_formula(&s)) {
                        (false, false) => &f.text,
                        (false, true) => &f.text_literal,
                        (true, false) => &f.hi_text,
                        (true, true) => &f.hi_text_literal,
                    };
                    self.ws.write_string_with_format(r, c, &s, fmt)?;
                    display_width(&s)
                }
                Cell::Money(fen) => {
                    self.ws.write_number_with_format(r, c, fen as f64 / 100.0, if highlight { &f.hi_money } else { &f.money })?;
                    let t = self.money_totals.get_mut(i);
                    if let Some(t) = t {
                        *t = Some(t.unwrap_or(0).saturating_add(fen));
                    }
                    crate::domain::money::format_yuan(fen).chars().count() as f64 + 1.0
                }
                Cell::Date(d) => {
                    self.ws.write_datetime_with_format(r, c, d, if highlight { &f.hi_date } else { &f.date })?;
                    11.0
                }
                Cell::Int(n) => {
                    self.ws.write_number_with_format(r, c, n as f64, if highlight { &f.hi_int } else { &f.int })?;
                    n.to_string().len() as f64 + 1.0
                }
                Cell::Empty => {
                    if highlight {
                        self.ws.write_blank(r, c, &f.hi_text)?;
                    }
                    0.0
                }
            };
            if let Some(w) = self.widths.get_mut(i) {
                *w = w.max(width.min(60.0));
            }
        }
        self.row += 1;
        Ok(())
    }

    /// The totals row (SUM formulas over every money column, with the computed result cached
    /// so readers that do not calculate still see the number), the autofilter and the widths.
    pub fn finish(self, label: &str, f: &Formats) -> Result<(), XlsxError> {
        let last_data = self.row - 1;
        if self.row > 1 {
            self.ws.write_string_with_format(self.row, 0, label, &f.total_label)?;
            for (i, total) in self.money_totals.iter().enumerate() {
                if let Some(total) = total {
                    let col = column_letter(i as u16);
                    let formula = Formula::new(format!("=SUM({col}2:{col}{})", last_data + 1)).set_result(format!("{}", *total as f64 / 100.0));
                    self.ws.write_formula_with_format(self.row, i as u16, formula, &f.total_money)?;
                }
            }
        }
        let last_col = self.widths.len().saturating_sub(1) as u16;
        self.ws.autofilter(0, 0, last_data.max(1), last_col)?;
        for (i, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(i as u16, *w)?;
        }
        Ok(())
    }
}

pub fn column_letter(mut col: u16) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (col % 26) as u8) as char);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn formula_like_text_is_recognised() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(looks_like_formula(s), "{s:?}");
        }
        assert!(!looks_like_formula("日升"));
    }
}
