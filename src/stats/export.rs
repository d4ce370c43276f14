//! The turnover table as JSON, CSV (UTF-8 with a BOM, formula-safe) and XLSX.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::format::percent;
use crate::format::wan_yuan;
use crate::stats::chart::{self, Plot, Series};
use crate::stats::compare::{self, Change, Compare};
use crate::stats::query::Dim;
use crate::stats::turnover::{Row, Totals};

/// The headers of the sum columns, after two columns (code, label) a dimension.
const SUM_HEADERS: [(&str, &str); 5] = [
    ("合同数", "Contracts"),
    ("成交额（分）", "Amount (fen)"),
    ("技术交易额（分）", "Technology amount (fen)"),
    ("成交额（万元）", "Amount (10k CNY)"),
    ("技术交易额（万元）", "Technology amount (10k CNY)"),
];

/// The label of the totals line.
pub(super) fn total_label() -> &'static str {
    pick("合计", "Total")
}

/// A turnover answer: the grouping, its rows and totals, and the comparisons each row
/// carries (one [`Change`] per [`Compare`] asked for, in that order).
pub struct Table<'a> {
    pub dims: &'a [Dim],
    pub rows: &'a [Row],
    pub totals: &'a Totals,
    pub compare: &'a [Compare],
    pub changes: &'a [Vec<Change>],
    /// What the XLSX notes sheet says about the export (label, value): the query, the
    /// time of export, what counts.
    pub notes: &'a [(String, String)],
}

impl<'a> Table<'a> {
    /// A table without comparisons.
    pub fn plain(dims: &'a [Dim], rows: &'a [Row], totals: &'a Totals) -> Table<'a> {
        Table {
            dims,
            rows,
            totals,
            compare: &[],
            changes: &[],
            notes: &[],
        }
    }

    /// The changes of row `i`: one per comparison, or none.
    fn changes_of(&self, i: usize) -> &[Change] {
        self.changes.get(i).map_or(&[], Vec::as_slice)
    }
}

/// The header row of the exports, in the request's language: code and label of each
/// dimension, the sums, then per comparison the previous figures and the changes.
fn headers(t: &Table) -> Vec<String> {
    let mut header = Vec::new();
    for d in t.dims {
        header.push(pick(
            format!("{}代码", d.header()),
            format!("{} code", d.header()),
        ));
        header.push(d.header().to_owned());
    }
    header.extend(SUM_HEADERS.map(|(zh, en)| pick(zh, en).to_owned()));
    for c in t.compare {
        header.extend(COMPARE_HEADERS.map(|(zh, en)| format!("{}{}", c.label(), pick(zh, en))));
    }
    header
}

/// The columns of one comparison, after the comparison's name (同比, 环比).
const COMPARE_HEADERS: [(&str, &str); 4] = [
    ("上期成交额（分）", " previous amount (fen)"),
    ("成交额增长（%）", " amount change (%)"),
    ("上期技术交易额（分）", " previous technology amount (fen)"),
    ("技术交易额增长（%）", " technology amount change (%)"),
];

/// The cells of one comparison; a change without a base is an empty cell.
fn change_cells(c: &Change) -> [Option<f64>; 4] {
    let pct = |bp: Option<i64>| bp.map(percent);
    [
        Some(c.amount_fen as f64),
        pct(c.amount_change_bp),
        Some(c.tech_amount_fen as f64),
        pct(c.tech_amount_change_bp),
    ]
}

/// The body of the JSON answer: a row an object keyed by dimension (code and
/// `<dim>_label`) with its sums and comparisons, and the totals.
pub fn to_json(t: &Table) -> Value {
    let time_at = t
        .dims
        .iter()
        .position(|d| Some(*d) == compare::finest_time(t.dims));
    let rows: Vec<Value> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut m = Map::new();
            for ((d, k), l) in t.dims.iter().zip(&r.keys).zip(&r.labels) {
                m.insert(d.name().into(), Value::String(k.clone()));
                m.insert(format!("{}_label", d.name()), Value::String(l.clone()));
            }
            m.insert("contracts".into(), json!(r.contracts));
            m.insert("amount_fen".into(), json!(r.amount_fen));
            m.insert("tech_amount_fen".into(), json!(r.tech_amount_fen));
            for (c, ch) in t.compare.iter().zip(t.changes_of(i)) {
                let key = time_at.and_then(|at| ch.previous_keys.get(at));
                m.insert(c.name().into(), ch.to_json(key));
            }
            Value::Object(m)
        })
        .collect();
    json!({ "rows": rows, "total": t.totals })
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Characters that make a spreadsheet read a cell as a formula (CSV injection: an org
/// named `=HYPERLINK(...)` would run in the statistician's Excel).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell (codes, labels, headers): one that starts like a formula gets a leading
/// `'` (OWASP's advice), which spreadsheets show as text. Only text cells go through
/// this; the count and amount columns are integers or exact decimals we format ourselves
/// (`-100`, `-0.50`), which must stay numbers.
pub(super) fn csv_text(s: &str) -> String {
    if s.starts_with(FORMULA_START) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(s)
    }
}

/// One CSV line: the text cells neutralised, then the sums in fen and in 万元, then the
/// comparisons.
fn csv_line(cells: &[String], [contracts, amount, tech]: [i64; 3], changes: &[Change]) -> String {
    let mut c: Vec<String> = cells.iter().map(|s| csv_text(s)).collect();
    c.extend([
        contracts.to_string(),
        amount.to_string(),
        tech.to_string(),
        wan_yuan(amount),
        wan_yuan(tech),
    ]);
    for ch in changes {
        let [prev, change, prev_tech, tech_change] = change_cells(ch);
        let int = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.0}"));
        let pct = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.1}"));
        c.extend([int(prev), pct(change), int(prev_tech), pct(tech_change)]);
    }
    c.join(",") + "\r\n"
}

/// UTF-8 with a BOM, so Excel opens the Chinese headers correctly. Text cells are
/// neutralised against formula injection ([`csv_text`]); numeric cells are written as is.
pub fn to_csv(t: &Table) -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = headers(t).iter().map(|h| csv_text(h)).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for (i, r) in t.rows.iter().enumerate() {
        let cells: Vec<String> = r
            .keys
            .iter()
            .zip(&r.labels)
            .flat_map(|(k, l)| [k.clone(), l.clone()])
            .collect();
        let sums = [r.contracts, r.amount_fen, r.tech_amount_fen];
        out.push_str(&csv_line(&cells, sums, t.changes_of(i)));
    }
    let mut total_cells = vec![total_label().to_owned()];
    total_cells.resize(t.dims.len() * 2, String::new());
    if t.dims.is_empty() {
        total_cells.clear();
    }
    let totals = [
        t.totals.contracts,
        t.totals.amount_fen,
        t.totals.tech_amount_fen,
    ];
    out.push_str(&csv_line(&total_cells, totals, &[]));
    out
}

/// The same table as the CSV, as an XLSX workbook: Chinese headers, amounts in fen and in
/// 万元 (numbers, so Excel can sum them; fen stay exact below 2^53). Codes and labels are
/// written with `write_string`, i.e. as string cells (`t="s"`, shared strings), never as
/// formulas, so they need no `'` prefix and keep their exact text (tested below).
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, ApiError> {
    write_xlsx(t).map_err(|e| ApiError::internal(anyhow::anyhow!("xlsx: {e}")))
}

fn write_xlsx(t: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let name = pick("技术合同成交额", "Contract turnover");
    write_data_sheet(book.add_worksheet().set_name(name)?, t)?;
    if let Some(plot) = chart::plot(t).filter(|_| !t.dims.is_empty() && t.rows.len() <= 2000) {
        let data = pick("图表数据", "Chart data");
        let (chart, columns) = xlsx_chart(&plot, data, name);
        write_columns(book.add_worksheet().set_name(data)?, &columns)?;
        book.add_chartsheet()
            .set_name(pick("图表", "Chart"))?
            .insert_chart(0, 0, &chart)?;
    }
    write_notes(book.add_worksheet(), t.notes)?;
    book.save_to_buffer()
}

/// One column of the chart data sheet: a header, then text or 万元 values.
enum Column {
    Text(String, Vec<String>),
    Wan(String, Vec<i64>),
}

/// A series of the chart over column `col` of the data sheet (header in row 0).
fn add_series(chart: &mut Chart, data: &str, col: u16, last: u32) {
    chart
        .add_series()
        .set_name((data, 0, col))
        .set_categories((data, 1, 0, last, 0))
        .set_values((data, 1, col, last, col));
}

/// The native chart of what the SVG draws (stacked columns, bars, or columns with the
/// technology amount as a line), and the columns of 万元 it reads from sheet `data`.
fn xlsx_chart(plot: &Plot, data: &str, title: &str) -> (Chart, Vec<Column>) {
    let (mut chart, columns) = match plot {
        Plot::Columns {
            categories,
            stacks,
            line,
        } => columns_chart(categories, stacks, line.as_ref(), data),
        Plot::Bars { categories, values } => {
            let mut chart = Chart::new(ChartType::Bar);
            add_series(&mut chart, data, 1, categories.len() as u32);
            // Bars are drawn bottom-up; reversed, the largest is on top as in the table.
            chart.x_axis().set_reverse();
            let name = pick("成交额", "Contract amount").to_owned();
            let columns = vec![
                Column::Text(String::new(), categories.clone()),
                Column::Wan(name, values.clone()),
            ];
            (chart, columns)
        }
    };
    chart.title().set_name(title);
    chart.y_axis().set_name(pick("万元", "10k CNY"));
    (chart, columns)
}

fn columns_chart(
    cats: &[String],
    stacks: &[Series],
    line: Option<&Series>,
    data: &str,
) -> (Chart, Vec<Column>) {
    let kind = match stacks.len() {
        1 => ChartType::Column,
        _ => ChartType::ColumnStacked,
    };
    let (mut chart, last) = (Chart::new(kind), cats.len() as u32);
    let mut columns = vec![Column::Text(String::new(), cats.to_vec())];
    for s in stacks {
        columns.push(Column::Wan(s.name.clone(), s.values.clone()));
        add_series(&mut chart, data, columns.len() as u16 - 1, last);
    }
    if let Some(l) = line {
        columns.push(Column::Wan(l.name.clone(), l.values.clone()));
        let mut line_chart = Chart::new(ChartType::Line);
        add_series(&mut line_chart, data, columns.len() as u16 - 1, last);
        chart.combine(&line_chart);
    }
    (chart, columns)
}

/// The chart's data: a header row, then the categories and values in 万元.
fn write_columns(sheet: &mut Worksheet, columns: &[Column]) -> Result<(), XlsxError> {
    let wan = Format::new().set_num_format("#,##0.00");
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        let (header, width) = match column {
            Column::Text(h, cells) => {
                for (r, v) in cells.iter().enumerate() {
                    sheet.write_string(r as u32 + 1, c, v)?;
                }
                (h, column_width(cells.iter().map(String::as_str)))
            }
            Column::Wan(h, values) => {
                for (r, v) in values.iter().enumerate() {
                    let wan_yuan = *v as f64 / 1_000_000.0;
                    sheet.write_number_with_format(r as u32 + 1, c, wan_yuan, &wan)?;
                }
                (h, column_width(std::iter::once(h.as_str())).max(14.0))
            }
        };
        sheet.write_string(0, c, header)?;
        sheet.set_column_width(c, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The notes sheet: what was asked, when, and what counts.
pub(super) fn write_notes(
    sheet: &mut Worksheet,
    notes: &[(String, String)],
) -> Result<(), XlsxError> {
    sheet.set_name(pick("说明", "Notes"))?;
    let bold = Format::new().set_bold();
    for (i, (label, value)) in notes.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, label, &bold)?;
        sheet.write_string(i as u32, 1, value)?;
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 90)?;
    Ok(())
}

/// The width of a column in Excel's units (a Latin character is one, a CJK one two).
pub(super) fn column_width<'a>(cells: impl Iterator<Item = &'a str>) -> f64 {
    let widest = cells
        .map(|s| {
            s.chars()
                .map(|c| if c as u32 >= 0x2E80 { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    (widest + 2).clamp(8, 60) as f64
}

/// The table: a frozen, bold header, columns as wide as their text, sums as numbers.
fn write_data_sheet(sheet: &mut Worksheet, t: &Table) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wan = Format::new().set_num_format("#,##0.00");
    let headers = headers(t);
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &bold)?;
        let text = t.rows.iter().filter_map(|r| match col {
            c if c < 2 * t.dims.len() && c % 2 == 0 => r.keys.get(c / 2).map(String::as_str),
            c if c < 2 * t.dims.len() => r.labels.get(c / 2).map(String::as_str),
            _ => None,
        });
        let numbers = if col >= 2 * t.dims.len() { 14 } else { 0 };
        let width = column_width(std::iter::once(h.as_str()).chain(text)).max(f64::from(numbers));
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // The sums first, then the keys and labels: the order cells are written in.
    let col = 2 * t.dims.len() as u16;
    for (i, r) in t.rows.iter().enumerate() {
        let sums = [r.contracts, r.amount_fen, r.tech_amount_fen];
        write_sums(sheet, (i as u32 + 1, col), sums, &wan)?;
        write_changes(sheet, (i as u32 + 1, col + 5), t.changes_of(i))?;
    }
    let last = t.rows.len() as u32 + 1;
    let sums = [
        t.totals.contracts,
        t.totals.amount_fen,
        t.totals.tech_amount_fen,
    ];
    write_sums(sheet, (last, col), sums, &wan)?;
    for (i, r) in t.rows.iter().enumerate() {
        for (j, (k, l)) in r.keys.iter().zip(&r.labels).enumerate() {
            sheet.write_string(i as u32 + 1, 2 * j as u16, k)?;
            sheet.write_string(i as u32 + 1, 2 * j as u16 + 1, l)?;
        }
    }
    sheet.write_string_with_format(last, 0, total_label(), &bold)?;
    Ok(())
}

/// The comparisons of one line from column `col`; a change without a base stays empty.
fn write_changes(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    changes: &[Change],
) -> Result<(), XlsxError> {
    let cells = changes.iter().flat_map(change_cells);
    for (j, v) in cells.enumerate() {
        if let Some(v) = v {
            sheet.write_number(row, col + j as u16, v)?;
        }
    }
    Ok(())
}

/// The count, the amounts in fen and the amounts in 万元 of one line, from column `col`.
fn write_sums(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    [contracts, amount, tech]: [i64; 3],
    wan: &Format,
) -> Result<(), XlsxError> {
    sheet.write_number(row, col, contracts as f64)?;
    sheet.write_number(row, col + 1, amount as f64)?;
    sheet.write_number(row, col + 2, tech as f64)?;
    sheet.write_number_with_format(row, col + 3, amount as f64 / 1_000_000.0, wan)?;
    sheet.write_number_with_format(row, col + 4, tech as f64 / 1_000_000.0, wan)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org_rows(names: &[&str]) -> Vec<Row> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| Row {
                keys: vec![(i + 1).to_string()],
                labels: vec![(*n).to_owned()],
                contracts: 1,
                amount_fen: -100,
                tech_amount_fen: 0,
            })
            .collect()
    }

    const HOSTILE: [&str; 7] = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "=1+1",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\tcmd",
        "\r=1",
    ];

    #[test]
    fn csv_text_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(csv_text("=1+1"), "'=1+1");
        assert_eq!(
            csv_text("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("\tcmd"), "'\tcmd");
        assert_eq!(csv_text("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_text("西北工业大学"), "西北工业大学");
        assert_eq!(csv_text("a=b"), "a=b");
        let totals = Totals {
            contracts: 7,
            amount_fen: -700,
            tech_amount_fen: 0,
        };
        let rows = org_rows(&HOSTILE);
        let csv = to_csv(&Table::plain(&[Dim::SellerOrg], &rows, &totals));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[1],
            r#"1,"'=HYPERLINK(""http://x"",""y"")",1,-100,0,0.00,0.00"#
        );
        assert_eq!(lines[2], "2,'=1+1,1,-100,0,0.00,0.00");
        assert_eq!(lines[5], "5,'@SUM(A1),1,-100,0,0.00,0.00");
        // Every label cell starts with the quote; the numbers, negative ones too, do not.
        for (i, line) in lines[1..=HOSTILE.len()].iter().enumerate() {
            let label = line.split(',').nth(1).unwrap_or_default();
            assert!(
                label.starts_with('\'') || label.starts_with("\"'"),
                "row {i}: {line:?}"
            );
        }
        assert_eq!(lines[8], "合计,,7,-700,0,0.00,0.00");
    }

    #[test]
    fn xlsx_writes_labels_as_strings_never_formulas() {
        use std::io::Read;
        let totals = Totals {
            contracts: 7,
            amount_fen: -700,
            tech_amount_fen: 0,
        };
        let rows = org_rows(&HOSTILE);
        let bytes = to_xlsx(&Table::plain(&[Dim::SellerOrg], &rows, &totals)).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut part = |name: &str| {
            let mut text = String::new();
            zip.by_name(name)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        let sheet = part("xl/worksheets/sheet1.xml");
        let strings = part("xl/sharedStrings.xml");
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
        assert!(sheet.contains(r#"t="s""#), "{sheet}");
        // Kept verbatim: a string cell is not evaluated, so no quote is added.
        assert!(strings.contains("<t>=1+1</t>"), "{strings}");
        assert!(strings.contains("<t>@SUM(A1)</t>"), "{strings}");
        assert!(strings.contains("=HYPERLINK("), "{strings}");
    }
}
