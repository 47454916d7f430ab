//! Statement bytes → rows of cells: xlsx, xls (BIFF8), or CSV / tab-separated text in UTF-8 or
//! GBK/GB18030. Pure: bytes in, rows out.
use super::{CellValue, MAX_LINES, ParseError, decode_text};
use calamine::Reader;
use std::io::{Cursor, Read, Seek};

/// A row number (1-based, as the spreadsheet shows it) and its cells.
pub type Row = (u32, Vec<CellValue>);

/// More rows than this cannot be a statement within `MAX_LINES` (title and footer rows allowed).
const MAX_ROWS: usize = MAX_LINES + 200;

fn unreadable() -> ParseError {
    ParseError::Unreadable {
        zh: "文件不是可读取的 xlsx、xls 或 csv 对账单".to_owned(),
        en: "the file is not a readable xlsx, xls or csv statement".to_owned(),
    }
}

/// The rows of the first sheet (xlsx, xls) or of the text.
pub fn read_rows(filename: &str, bytes: &[u8]) -> Result<Vec<Row>, ParseError> {
    let lower = filename.to_ascii_lowercase();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Unreadable { zh: "文件是空的".to_owned(), en: "the file is empty".to_owned() });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return read_sheet(calamine::Xls::new(Cursor::new(bytes)).map_err(|_| unreadable())?);
    }
    if lower.ends_with(".xlsx") {
        return Err(ParseError::Unreadable { zh: "文件不是有效的 xlsx".to_owned(), en: "the file is not a valid xlsx".to_owned() });
    }
    read_text(bytes)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>, ParseError> {
    use crate::archive::{ArchiveProblem, check_archive, inflate_limit};
    // Measured by what it really inflates to, before calamine sees it (the zip-bomb guard).
    check_archive(bytes, inflate_limit(bytes.len())).map_err(|p| match p {
        ArchiveProblem::Unreadable => {
            ParseError::Unreadable { zh: "文件不是有效的 xlsx".to_owned(), en: "the file is not a valid xlsx".to_owned() }
        }
        ArchiveProblem::TooManyParts => {
            ParseError::Unreadable { zh: "xlsx 内部文件过多".to_owned(), en: "the xlsx holds too many parts".to_owned() }
        }
        ArchiveProblem::TooLargeUnpacked => ParseError::Unreadable {
            zh: "xlsx 解压后过大（疑似压缩炸弹），已拒绝".to_owned(),
            en: "the xlsx is too large when unpacked (a zip bomb?); refused".to_owned(),
        },
    })?;
    let wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes))
        .map_err(|_| ParseError::Unreadable {
            zh: "文件不是有效的 xlsx".to_owned(), en: "the file is not a valid xlsx".to_owned()
        })?;
    read_sheet(wb)
}

fn read_sheet<RS: Read + Seek, R: Reader<RS>>(mut wb: R) -> Result<Vec<Row>, ParseError> {
    use calamine::Data;
    let range = wb.worksheet_range_at(0).ok_or_else(unreadable)?.map_err(|_| unreadable())?;
    if range.height() > MAX_ROWS {
        return Err(ParseError::TooManyLines(MAX_LINES));
    }
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c).unwrap_or(0) as usize;
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            // Cells left of the range are blank: keep column positions as the sheet shows them.
            let cells = std::iter::repeat_n(CellValue::Empty, first_col)
                .chain(row.iter().map(|d| match d {
                    Data::Int(n) => CellValue::Number(*n as f64),
                    Data::Float(f) => CellValue::Number(*f),
                    Data::String(s) => CellValue::Text(s.clone()),
                    Data::DateTime(dt) => dt.as_datetime().map(|t| CellValue::Date(t.date())).unwrap_or(CellValue::Empty),
                    Data::DateTimeIso(s) => CellValue::Text(s.clone()),
                    Data::Bool(b) => CellValue::Text(b.to_string()),
                    _ => CellValue::Empty,
                }))
                .collect();
            (first_row + i as u32 + 1, cells)
        })
        .collect())
}

/// CSV or tab-separated text; the delimiter is whichever of `,` and tab the first lines use more.
fn read_text(bytes: &[u8]) -> Result<Vec<Row>, ParseError> {
    let text = decode_text(bytes);
    let head = text.trim_start().get(..200.min(text.trim_start().len())).unwrap_or("").to_ascii_lowercase();
    if text.contains('\0') || head.starts_with('<') || head.contains("<html") || head.contains("<table") {
        return Err(unreadable());
    }
    let sample: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
    let (mut commas, mut tabs, mut quoted) = (0usize, 0usize, false);
    for c in sample.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    let delimiter = if tabs > commas { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| ParseError::Unreadable {
            zh: format!("CSV 第 {} 行无法解析：{e}", i + 1),
            en: format!("CSV row {} cannot be read: {e}", i + 1),
        })?;
        let cells = rec
            .iter()
            .map(|s| {
                // Excel's ="0123" keeps long numbers as text; some banks write it.
                let s = s.strip_prefix("=\"").and_then(|x| x.strip_suffix('"')).unwrap_or(s);
                if s.trim().is_empty() { CellValue::Empty } else { CellValue::Text(s.to_owned()) }
            })
            .collect();
        rows.push(((i + 1) as u32, cells));
        if rows.len() > MAX_ROWS {
            return Err(ParseError::TooManyLines(MAX_LINES));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_separated_text_and_excel_text_cells_are_read() {
        let rows = read_rows("x.txt", "交易日期\t金额\t对方户名\n20261123\t-1,200.01\t=\"财付通\"\n".as_bytes()).unwrap();
        assert_eq!(
            rows[1].1,
            vec![CellValue::Text("20261123".into()), CellValue::Text("-1,200.01".into()), CellValue::Text("财付通".into())]
        );
        let rows = read_rows("x.csv", "a,b\n\"1,200.01\",c\n".as_bytes()).unwrap();
        assert_eq!(rows[1].1[0], CellValue::Text("1,200.01".into()));
    }

    #[test]
    fn html_binary_empty_and_broken_spreadsheets_are_unreadable() {
        for (name, bytes) in [
            ("s.xls", &b"<html><table><tr><td>1</td></tr></table></html>"[..]),
            ("s.csv", b"  \n "),
            ("s.csv", b"\x00\x01\x02garbage"),
            ("s.xlsx", b"PK\x03\x04not really a zip"),
            ("s.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1broken"),
            ("s.xlsx", b"a,b\n1,2\n"),
        ] {
            assert!(matches!(read_rows(name, bytes), Err(ParseError::Unreadable { .. })), "{name} {bytes:?}");
        }
    }
}
