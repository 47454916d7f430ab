//! A streaming worksheet: writes typed cells row by row, remembers column widths, keeps
//! amount totals for the SUM row, and sets the sheet up for paper (DESIGN §3).
use chrono::NaiveDate;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError};
use tokio::sync::mpsc::Receiver;

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

/// One data row, as the reading side builds it.
pub struct Row {
    pub cells: Vec<Cell>,
    /// Overdue or mismatched: the row is tinted.
    pub highlight: bool,
}

/// A sheet to begin: what `SheetWriter::new` needs, owned so it can cross to the writing thread.
pub struct SheetSpec {
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub layout: Layout<'static>,
    /// Data rows to come (an upper bound will do): see `SheetWriter::expect_rows`.
    pub rows: u64,
    /// The label of the totals row.
    pub total_label: &'static str,
}

/// What the reading side sends the writing thread, in order: a sheet, its rows a page at a
/// time, the end of the sheet; then the next sheet. The workbook is saved when the sender is
/// dropped after a completed sheet.
pub enum Piece {
    Sheet(Box<SheetSpec>),
    Rows(Vec<Row>),
    End,
}

/// The writing side of an export: builds the sheets `pieces` describes into `wb`. Answers
/// `false` when the pieces stopped in the middle of a sheet (the reading side failed), in
/// which case nothing should be saved.
pub fn write_pieces(wb: &mut Workbook, pieces: &mut Receiver<Piece>, heading: &PrintHeading) -> Result<bool, XlsxError> {
    let f = Formats::new();
    loop {
        let spec = match pieces.blocking_recv() {
            Some(Piece::Sheet(spec)) => spec,
            None => return Ok(true),
            Some(Piece::Rows(_) | Piece::End) => return Ok(false),
        };
        let ws = wb.add_worksheet_with_constant_memory()?;
        let mut sheet = SheetWriter::new(ws, spec.name, spec.headers, &spec.layout, heading, &f)?;
        sheet.expect_rows(spec.rows);
        loop {
            match pieces.blocking_recv() {
                Some(Piece::Rows(rows)) => {
                    for row in rows {
                        sheet.write(row.cells, row.highlight, &f)?;
                    }
                }
                Some(Piece::End) => break,
                Some(Piece::Sheet(_)) | None => return Ok(false),
            }
        }
        sheet.finish(spec.total_label, &f)?;
    }
}

pub struct Formats {
    header: Format,
    /// Text cells by highlight, formula-like (quote prefix) and wrapped: see `text_format`.
    texts: Vec<Format>,
    money: Format,
    date: Format,
    int: Format,
    hi_money: Format,
    hi_date: Format,
    hi_int: Format,
    total_label: Format,
    total_money: Format,
    sign_label: Format,
    sign_line: Format,
}

const MONEY: &str = "¥#,##0.00";
const DATE: &str = "yyyy-mm-dd";

impl Formats {
    pub fn new() -> Formats {
        let hi = |f: Format| f.set_background_color(Color::RGB(0xFFE7BA));
        // Top-aligned, so that a row with one wrapped cell still reads as one line of values.
        let cell = || Format::new().set_align(FormatAlign::Top);
        let money = cell().set_num_format(MONEY);
        let date = cell().set_num_format(DATE).set_align(FormatAlign::Left);
        let texts = (0..8)
            .map(|bits| {
                let mut f = cell();
                if bits & 1 != 0 {
                    f = hi(f);
                }
                // Text that a spreadsheet could take for a formula is stored with the quote
                // prefix: it is a string cell, and stays one if someone edits it (OWASP ASVS V1.2.10).
                if bits & 2 != 0 {
                    f = f.set_quote_prefix();
                }
                if bits & 4 != 0 {
                    f = f.set_text_wrap();
                }
                f
            })
            .collect();
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::VerticalCenter),
            texts,
            int: cell(),
            hi_money: hi(money.clone()),
            hi_date: hi(date.clone()),
            hi_int: hi(cell()),
            money,
            date,
            total_label: Format::new().set_bold().set_border_top(FormatBorder::Thin),
            total_money: Format::new().set_bold().set_num_format(MONEY).set_border_top(FormatBorder::Thin),
            sign_label: Format::new().set_bold().set_align(FormatAlign::Bottom),
            sign_line: Format::new().set_border_bottom(FormatBorder::Thin),
        }
    }

    fn text_format(&self, highlight: bool, literal: bool, wrap: bool) -> &Format {
        &self.texts[usize::from(highlight) | usize::from(literal) << 1 | usize::from(wrap) << 2]
    }
}

/// How a column fits its content. `Line(max)`: as wide as its widest value, up to `max`, on one
/// line (names, numbers, dates never break). `Wrap(width)`: exactly `width`, longer text
/// continuing on a second line (company names, accounts, the amount in words, the purpose).
#[derive(Debug, Clone, Copy)]
pub enum Fit {
    Line(f64),
    Wrap(f64),
}

/// Spreadsheets do not grow a row for wrapped text written by a program (LibreOffice and
/// Excel keep the stored height), so each row gets its height here: enough lines for its
/// longest wrapped cell, at most `MAX_LINES`. A longer text is cut short on paper only; the
/// cell keeps all of it.
const MAX_LINES: u32 = 2;
const LINE_HEIGHT: f64 = 15.0;

/// Lines `s` takes in a column `width` units wide, breaking anywhere (as CJK text does).
fn lines_needed(s: &str, width: f64) -> u32 {
    let usable = (width - 1.0).max(1.0);
    let (mut lines, mut used) = (1, 0.0);
    for c in s.chars() {
        if c == '\n' {
            lines += 1;
            used = 0.0;
            continue;
        }
        let w = char_width(c);
        if used + w > usable {
            lines += 1;
            used = w;
        } else {
            used += w;
        }
    }
    lines
}

/// What every printed page of an export says about it (DESIGN §3): the workbook's title,
/// the company and period it covers, and when it was exported.
#[derive(Debug, Clone)]
pub struct PrintHeading {
    pub title: String,
    pub company: String,
    pub period: String,
    pub exported_at: String,
}

/// How a sheet prints.
pub struct Layout<'a> {
    /// The sheet's title in the page header.
    pub title: String,
    /// One per column.
    pub fits: &'a [Fit],
    /// The first this many columns print; the rest stay in the file, off the paper.
    pub printed_columns: usize,
    /// A short sheet (the summary) prints on one page; the others one page wide, any number tall.
    pub one_page: bool,
    /// Ends with the sign-off block (制表, 复核, 财务负责人, each with a 日期 line).
    pub sign_off: bool,
}

/// Header and footer text is Excel's little language: `&` starts a code, `&&` is an `&`.
fn header_text(s: &str, max_chars: usize) -> String {
    let s: String = s.chars().take(max_chars).collect();
    s.replace('&', "&&")
}

/// Landscape A4, one page wide (or one page in all), the header row on every page, narrow
/// margins, a page header with title, company and period, and a page-numbered footer with the
/// export time. None of these touch the cell data, so in constant-memory mode they could come
/// at any time; they are set before the first row all the same, like the frozen header row.
fn print_setup(ws: &mut Worksheet, layout: &Layout, heading: &PrintHeading) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, if layout.one_page { 1 } else { 0 });
    ws.set_repeat_rows(0, 0)?;
    ws.set_margins(0.25, 0.25, 0.7, 0.6, 0.25, 0.25);
    ws.set_print_center_horizontally(true);
    // Excel refuses a header or footer above 255 characters (rust_xlsxwriter then drops it):
    // the free-text parts are cut short well before that.
    ws.set_header(format!(
        "&L主体：{}&C&\"-,Bold\"&12{}&R期间：{}",
        header_text(&heading.company, 60),
        header_text(&layout.title, 60),
        header_text(&heading.period, 40),
    ));
    ws.set_footer(format!(
        "&L导出时间：{}&C第 &P 页 / 共 &N 页&R{}",
        header_text(&heading.exported_at, 30),
        header_text(&heading.title, 60)
    ));
    Ok(())
}

/// Formula-like text: starts with `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

pub struct SheetWriter<'a> {
    pub ws: &'a mut Worksheet,
    widths: Vec<f64>,
    fits: Vec<Fit>,
    printed_columns: usize,
    sign_off: bool,
    money_totals: Vec<Option<i64>>,
    pub row: u32,
    /// Whether rows get the height of their wrapped text (see `MAX_LINES`): only up to
    /// `FITTED_ROWS` rows. rust_xlsxwriter keeps every row given a height in memory until the
    /// workbook is saved, even in constant-memory mode (about 800 bytes a row: a million-row
    /// ledger peaked at 825 MB); a sheet that long is filtered and searched, not printed.
    fit_rows: bool,
}

/// The most data rows a sheet fits to their wrapped text (see `SheetWriter::fit_rows`).
pub const FITTED_ROWS: u64 = 20_000;

/// Display width in Excel character units: CJK characters are about two.
fn display_width(s: &str) -> f64 {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> f64 {
    match c {
        '0'..='9' | '-' | '.' | ',' | ' ' => 1.0,
        'A'..='Z' => 1.3,
        c if (c as u32) > 0x2E80 => 2.1,
        _ => 1.1,
    }
}

/// Decimal digits of `n`.
fn digits(n: u64) -> f64 {
    f64::from(n.checked_ilog10().unwrap_or(0) + 1)
}

/// Characters of `format_yuan(fen)` (`-¥1,234.56`), without building the string: this runs
/// for every amount of an export.
fn yuan_width(fen: i64) -> f64 {
    let yuan = fen.unsigned_abs() / 100;
    let d = digits(yuan);
    let commas = ((d as u32 - 1) / 3) as f64;
    f64::from(u8::from(fen < 0)) + 1.0 + d + commas + 3.0
}

/// A header over two lines rather than a column widened for it.
fn header_width(h: &str) -> f64 {
    (display_width(h) / 2.0 + 2.0).max(6.0)
}

impl<'a> SheetWriter<'a> {
    /// Sets the sheet up for printing, writes the header row and freezes it.
    pub fn new(
        ws: &'a mut Worksheet,
        name: &str,
        headers: &[&str],
        layout: &Layout,
        heading: &PrintHeading,
        f: &Formats,
    ) -> Result<SheetWriter<'a>, XlsxError> {
        ws.set_name(name)?;
        print_setup(ws, layout, heading)?;
        let fits: Vec<Fit> = (0..headers.len()).map(|i| layout.fits.get(i).copied().unwrap_or(Fit::Wrap(30.0))).collect();
        let widths: Vec<f64> = headers
            .iter()
            .zip(&fits)
            .map(|(h, fit)| match fit {
                Fit::Line(max) => header_width(h).min(*max),
                Fit::Wrap(width) => *width,
            })
            .collect();
        // Row heights must be set before the row is written (constant-memory mode).
        if headers.iter().zip(&widths).any(|(h, w)| display_width(h) > w - 1.5) {
            ws.set_row_height(0, LINE_HEIGHT * 2.0)?;
        }
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &f.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(SheetWriter {
            ws,
            widths,
            fits,
            printed_columns: layout.printed_columns.clamp(1, headers.len().max(1)),
            sign_off: layout.sign_off,
            money_totals: vec![None; headers.len()],
            row: 1,
            fit_rows: true,
        })
    }

    /// Rows to come: beyond `FITTED_ROWS` the rows keep the default height.
    pub fn expect_rows(&mut self, rows: u64) {
        self.fit_rows = rows <= FITTED_ROWS;
    }

    pub fn write(&mut self, cells: Vec<Cell>, highlight: bool, f: &Formats) -> Result<(), XlsxError> {
        let r = self.row;
        let lines = if !self.fit_rows {
            1
        } else {
            cells
                .iter()
                .zip(&self.fits)
                .filter_map(|(cell, fit)| match (cell, fit) {
                    (Cell::Text(s), Fit::Wrap(width)) => Some(lines_needed(s, *width)),
                    _ => None,
                })
                .max()
                .unwrap_or(1)
                .min(MAX_LINES)
        };
        if lines > 1 {
            self.ws.set_row_height(r, LINE_HEIGHT * f64::from(lines))?;
        }
        for (i, cell) in cells.into_iter().enumerate() {
            let c = i as u16;
            let fit = self.fits.get(i).copied();
            // Only a column that fits its widest value needs each value's width.
            let line = matches!(fit, Some(Fit::Line(_)));
            let width = match cell {
                Cell::Text(s) => {
                    let width = if line { display_width(&s) + 1.0 } else { 0.0 };
                    let literal = looks_like_formula(&s);
                    if !self.fit_rows && !highlight && !literal {
                        // A sheet too long to print keeps every row one line high, so its text
                        // needs neither wrapping nor top alignment: the plain cell is the same
                        // on screen and saves a format lookup per cell.
                        self.ws.write_string(r, c, s)?;
                    } else {
                        let wrap = self.fit_rows && matches!(fit, Some(Fit::Wrap(_)));
                        self.ws.write_string_with_format(r, c, s, f.text_format(highlight, literal, wrap))?;
                    }
                    width
                }
                Cell::Money(fen) => {
                    self.ws.write_number_with_format(r, c, fen as f64 / 100.0, if highlight { &f.hi_money } else { &f.money })?;
                    let t = self.money_totals.get_mut(i);
                    if let Some(t) = t {
                        *t = Some(t.unwrap_or(0).saturating_add(fen));
                    }
                    yuan_width(fen) + 1.0
                }
                Cell::Date(d) => {
                    self.ws.write_datetime_with_format(r, c, d, if highlight { &f.hi_date } else { &f.date })?;
                    11.0
                }
                Cell::Int(n) => {
                    // The plain format only aligns to the top, which a one-line row does not need
                    // (as for text above).
                    if !self.fit_rows && !highlight {
                        self.ws.write_number(r, c, n as f64)?;
                    } else {
                        self.ws.write_number_with_format(r, c, n as f64, if highlight { &f.hi_int } else { &f.int })?;
                    }
                    digits(n.unsigned_abs()) + f64::from(u8::from(n < 0)) + 1.0
                }
                Cell::Empty => {
                    if highlight {
                        self.ws.write_blank(r, c, f.text_format(true, false, false))?;
                    }
                    0.0
                }
            };
            if let (Some(w), Some(Fit::Line(max))) = (self.widths.get_mut(i), fit) {
                *w = w.max(width.min(max));
            }
        }
        self.row += 1;
        Ok(())
    }

    /// The totals row (SUM formulas over every money column, with the computed result cached
    /// so readers that do not calculate still see the number), the sign-off block when the
    /// layout has one, the autofilter, the widths and the print area.
    pub fn finish(mut self, label: &str, f: &Formats) -> Result<(), XlsxError> {
        let last_data = self.row - 1;
        let mut last_row = last_data;
        if self.row > 1 {
            self.ws.write_string_with_format(self.row, 0, label, &f.total_label)?;
            for (i, total) in self.money_totals.iter().enumerate() {
                if let Some(total) = total {
                    // The sum is wider than any one amount; a narrower column prints ###.
                    if let Some(w) = self.widths.get_mut(i) {
                        *w = w.max(crate::domain::money::format_yuan(*total).chars().count() as f64 + 2.0);
                    }
                    let col = column_letter(i as u16);
                    let formula =
                        Formula::new(format!("=SUM({col}2:{col}{})", last_data + 1)).set_result(format!("{}", *total as f64 / 100.0));
                    self.ws.write_formula_with_format(self.row, i as u16, formula, &f.total_money)?;
                }
            }
            last_row = self.row;
        }
        if self.sign_off {
            last_row = self.sign_off_block(last_row + 2, f)?;
        }
        let last_col = self.widths.len().saturating_sub(1) as u16;
        self.ws.autofilter(0, 0, last_data.max(1), last_col)?;
        for (i, w) in self.widths.iter().enumerate() {
            self.ws.set_column_width(i as u16, *w)?;
        }
        self.ws.set_print_area(0, 0, last_row, (self.printed_columns - 1) as u16)?;
        Ok(())
    }

    /// 制表, 复核 and 财务负责人, each over a third of the printed width with a line to sign
    /// on, and a 日期 line under each; returns the last row written.
    fn sign_off_block(&mut self, first_row: u32, f: &Formats) -> Result<u32, XlsxError> {
        let n = self.printed_columns;
        let thirds: Vec<(usize, usize)> = (0..3).map(|g| (g * n / 3, ((g + 1) * n / 3).max(g * n / 3 + 1))).collect();
        for (r, labels) in [(first_row, ["制表：", "复核：", "财务负责人："]), (first_row + 2, ["日期：", "日期：", "日期："])]
        {
            self.ws.set_row_height(r, 24)?;
            for (&(start, end), label) in thirds.iter().zip(labels) {
                self.ws.write_string_with_format(r, start as u16, label, &f.sign_label)?;
                // The line leaves a column free before the next third begins.
                for c in start + 1..end.saturating_sub(1).max(start + 2).min(n) {
                    self.ws.write_blank(r, c as u16, &f.sign_line)?;
                }
            }
        }
        Ok(first_row + 2)
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

    fn spec() -> Box<SheetSpec> {
        let layout = Layout { title: "台账".into(), fits: &[Fit::Line(10.0)], printed_columns: 1, one_page: false, sign_off: false };
        Box::new(SheetSpec { name: "台账", headers: &["单号"], layout, rows: 1, total_label: "合计" })
    }

    fn heading() -> PrintHeading {
        PrintHeading { title: "t".into(), company: "全部".into(), period: "全部".into(), exported_at: "2026-12-06 08:00".into() }
    }

    #[test]
    fn a_workbook_is_complete_only_when_every_sheet_it_began_ended() {
        let run = |pieces: Vec<Piece>| {
            let (tx, mut rx) = tokio::sync::mpsc::channel(8);
            for p in pieces {
                assert!(tx.try_send(p).is_ok(), "room in the channel");
            }
            drop(tx);
            let mut wb = Workbook::new();
            let complete = write_pieces(&mut wb, &mut rx, &heading()).expect("written");
            (complete, wb.worksheets().len())
        };
        let row = || Row { cells: vec![Cell::text("YF202612-0001")], highlight: false };
        assert_eq!(run(vec![Piece::Sheet(spec()), Piece::Rows(vec![row()]), Piece::End]), (true, 1));
        // The reading side failed: it stopped sending in the middle of a sheet.
        assert_eq!(run(vec![Piece::Sheet(spec()), Piece::Rows(vec![row()])]), (false, 1));
        assert_eq!(run(vec![Piece::Sheet(spec()), Piece::End, Piece::Sheet(spec())]), (false, 2));
        assert_eq!(run(vec![Piece::Rows(vec![row()])]), (false, 0));
    }

    #[test]
    fn widths_are_counted_as_the_text_would_be() {
        for fen in [0, 1, -1, 99, 100, 99_999, 100_000, 123_456_789, -123_456_789, i64::MAX, i64::MIN] {
            let text = crate::domain::money::format_yuan(fen);
            assert_eq!(yuan_width(fen), text.chars().count() as f64, "{fen} -> {text}");
        }
        for n in [0u64, 9, 10, 99, 100, 12_345, u64::MAX] {
            assert_eq!(digits(n), n.to_string().len() as f64, "{n}");
        }
    }
}
