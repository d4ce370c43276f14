//! A report as a plain table of typed cells, written as CSV (UTF-8 with a BOM,
//! formula-safe) or as an XLSX workbook (frozen bold header, columns as wide as their
//! text, numbers as numbers), so every report exports the same way.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::error::ApiError;
use crate::format::wan_yuan;
use crate::stats::export::{csv_field, csv_text};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Fen shown as 万元 with two decimals (the exact fen go in an `Int` beside it).
    Wan(i64),
    /// A number with one decimal (percentages, days); empty when there is none.
    Decimal(Option<f64>),
}

/// A sheet: its name, the header row and the rows.
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => csv_text(s),
        Cell::Int(n) => n.to_string(),
        Cell::Wan(fen) => wan_yuan(*fen),
        Cell::Decimal(v) => v.map_or(String::new(), |v| csv_field(&format!("{v:.1}"))),
    }
}

/// The first sheet as CSV, UTF-8 with a BOM so Excel reads the Chinese headers.
pub fn to_csv(sheet: &Sheet) -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = sheet.headers.iter().map(|h| csv_text(h)).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in &sheet.rows {
        let cells: Vec<String> = row.iter().map(csv_cell).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Every sheet in one workbook.
pub fn to_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, ApiError> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        for s in sheets {
            write_sheet(book.add_worksheet(), s)?;
        }
        book.save_to_buffer()
    };
    write().map_err(|e| ApiError::internal(anyhow::anyhow!("xlsx: {e}")))
}

/// Excel's width units: a Latin character one, a CJK one two; 8 to 60.
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| if c as u32 >= 0x2E80 { 2 } else { 1 })
        .sum()
}

fn write_sheet(ws: &mut Worksheet, s: &Sheet) -> Result<(), XlsxError> {
    ws.set_name(&s.name)?;
    let (bold, wan) = (
        Format::new().set_bold(),
        Format::new().set_num_format("#,##0.00"),
    );
    let one = Format::new().set_num_format("0.0");
    let mut widths: Vec<usize> = s.headers.iter().map(|h| width(h)).collect();
    for (c, h) in s.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in s.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(t) => {
                    ws.write_string(r, col, t)?;
                    if let Some(w) = widths.get_mut(c) {
                        *w = (*w).max(width(t));
                    }
                }
                Cell::Int(n) => {
                    ws.write_number(r, col, *n as f64)?;
                }
                Cell::Wan(fen) => {
                    ws.write_number_with_format(r, col, *fen as f64 / 1e6, &wan)?;
                }
                Cell::Decimal(Some(v)) => {
                    ws.write_number_with_format(r, col, *v, &one)?;
                }
                Cell::Decimal(None) => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w + 2).clamp(8, 60) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}
