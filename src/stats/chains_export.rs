//! The chain overview as CSV (UTF-8 with a BOM, formula-safe, like the turnover table) and
//! as XLSX (frozen header, widths that fit Chinese labels; a sheet with the pool by year,
//! a native bar chart of turnover by chain, and the notes of the export). A line per chain
//! in taxonomy order, then a `合计` line; turnover in fen and in 万元 with two decimals.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::format::wan_yuan;
use crate::stats::chains::{ChainRow, Overview};
use crate::stats::export::{column_width, csv_field, csv_text, total_label, write_notes};

/// The name of a deal stage, Chinese and English.
fn stage_name(stage: &str) -> (&'static str, &'static str) {
    match stage {
        "recommended" => ("已推荐", "recommended"),
        "contacted" => ("已联系", "contacted"),
        "negotiating" => ("洽谈中", "negotiating"),
        "signed" => ("已签约", "signed"),
        "lost" => ("未成交", "lost"),
        _ => ("其他", "other"),
    }
}

/// The header row, in the request's language; the listing columns say what they count,
/// which a year changes.
pub fn headers(o: &Overview) -> Vec<String> {
    let (achievements, demands) = match o.year {
        None => (
            ("已发布成果", "Published achievements"),
            ("开放需求", "Open demands"),
        ),
        Some(_) => (
            ("年内发布成果", "Achievements published in the year"),
            ("年内发布需求", "Demands published in the year"),
        ),
    };
    let t = |(zh, en): (&str, &str)| pick(zh, en).to_owned();
    let mut h: Vec<String> = [
        ("产业链代码", "Chain code"),
        ("产业链", "Industry chain"),
        achievements,
        demands,
        ("其中卡脖子需求", "Of which bottlenecks"),
    ]
    .map(t)
    .to_vec();
    let stages = o
        .chains
        .first()
        .map(|c| c.deals.as_slice())
        .unwrap_or_default();
    h.extend(stages.iter().map(|(s, _)| {
        let (zh, en) = stage_name(s);
        pick(format!("对接：{zh}"), format!("Deals: {en}"))
    }));
    h.extend(
        [
            ("登记合同数", "Registered contracts"),
            ("成交额（分）", "Turnover (fen)"),
            ("成交额（万元）", "Turnover (10k CNY)"),
        ]
        .map(t),
    );
    h
}

/// The counts of one line, in column order after the code and the label.
fn counts(c: &ChainRow) -> Vec<i64> {
    let mut v = vec![
        c.published_achievements,
        c.open_demands,
        c.bottleneck_demands,
    ];
    v.extend(c.deals.iter().map(|(_, n)| *n));
    v.extend([c.registered_contracts, c.turnover_fen]);
    v
}

/// The column sums of every chain's counts.
fn totals(o: &Overview) -> Vec<i64> {
    let mut sum: Vec<i64> = Vec::new();
    for c in &o.chains {
        let v = counts(c);
        sum.resize(v.len(), 0);
        for (s, n) in sum.iter_mut().zip(v) {
            *s = s.saturating_add(n);
        }
    }
    sum
}

/// One CSV line: two text cells (neutralised), the counts, the turnover in 万元.
fn csv_line(code: &str, label: &str, counts: &[i64]) -> String {
    let mut cells = vec![csv_text(code), csv_text(label)];
    cells.extend(counts.iter().map(|n| csv_field(&n.to_string())));
    cells.push(csv_field(&wan_yuan(counts.last().copied().unwrap_or(0))));
    cells.join(",") + "\r\n"
}

/// UTF-8 with a BOM, Chinese headers, a line per chain and the `合计` line.
pub fn to_csv(o: &Overview) -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = headers(o).iter().map(|h| csv_text(h)).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for c in &o.chains {
        out.push_str(&csv_line(c.chain, c.chain_label, &counts(c)));
    }
    out.push_str(&csv_line(total_label(), "", &totals(o)));
    out
}

/// The same table as an XLSX workbook (numbers as numbers, codes and labels as strings,
/// the header frozen), with the pool by year, a chart of turnover by chain and `notes`.
pub fn to_xlsx(o: &Overview, notes: &[(String, String)]) -> Result<Vec<u8>, ApiError> {
    write_xlsx(o, notes).map_err(|e| ApiError::internal(anyhow::anyhow!("xlsx: {e}")))
}

/// The header row, frozen, each column as wide as its header (a CJK character is two).
fn header_row(sheet: &mut Worksheet, headers: &[String], bold: &Format) -> Result<(), XlsxError> {
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, bold)?;
        sheet.set_column_width(col as u16, column_width(std::iter::once(h.as_str())))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A bar chart of the chains' turnover in 万元, read from the chains sheet `data`:
/// labels in column 1, 万元 in column `wan_col`, one row per chain from row 1.
fn turnover_chart(data: &str, chains: u32, wan_col: u16) -> Chart {
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name(pick("成交额（万元）", "Turnover (10k CNY)"))
        .set_categories((data, 1, 1, chains, 1))
        .set_values((data, 1, wan_col, chains, wan_col));
    // Bars are drawn bottom-up; reversed, the chains read in the table's order.
    chart.x_axis().set_reverse();
    chart.title().set_name(pick(
        "各产业链登记合同成交额",
        "Registered turnover by chain",
    ));
    chart.y_axis().set_name(pick("万元", "10k CNY"));
    chart
}

/// The counts of one line from column 2, and the turnover in 万元 after them.
fn write_counts(
    sheet: &mut Worksheet,
    row: u32,
    counts: &[i64],
    wan: &Format,
) -> Result<(), XlsxError> {
    for (i, n) in counts.iter().enumerate() {
        sheet.write_number(row, i as u16 + 2, *n as f64)?;
    }
    let fen = counts.last().copied().unwrap_or(0);
    sheet.write_number_with_format(row, counts.len() as u16 + 2, fen as f64 / 1_000_000.0, wan)?;
    Ok(())
}

fn write_xlsx(o: &Overview, notes: &[(String, String)]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wan = Format::new().set_num_format("#,##0.00");
    let name = pick("产业链概览", "Industry chains");
    let sheet = book.add_worksheet().set_name(name)?;
    let headers = headers(o);
    header_row(sheet, &headers, &bold)?;
    let labels = o.chains.iter().map(|c| c.chain_label);
    sheet.set_column_width(1, column_width(labels.chain([headers[1].as_str()])))?;
    for (i, c) in o.chains.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, c.chain)?;
        sheet.write_string(row, 1, c.chain_label)?;
        write_counts(sheet, row, &counts(c), &wan)?;
    }
    let last = o.chains.len() as u32 + 1;
    sheet.write_string_with_format(last, 0, total_label(), &bold)?;
    write_counts(sheet, last, &totals(o), &wan)?;
    write_pool(book.add_worksheet(), o, &bold)?;
    if !o.chains.is_empty() {
        let chart = turnover_chart(name, o.chains.len() as u32, headers.len() as u16 - 1);
        book.add_chartsheet()
            .set_name(pick("图表", "Chart"))?
            .insert_chart(0, 0, &chart)?;
    }
    write_notes(book.add_worksheet(), notes)?;
    book.save_to_buffer()
}

/// The pool sheet: entries, key projects and conversions by year.
fn write_pool(pool: &mut Worksheet, o: &Overview, bold: &Format) -> Result<(), XlsxError> {
    pool.set_name(pick("培育库", "Pool"))?;
    let h = [
        pick("年度", "Year"),
        pick("入库成果", "Entries"),
        pick("重点项目", "Key projects"),
        pick("已转化", "Converted"),
    ]
    .map(String::from);
    header_row(pool, &h, bold)?;
    for (i, p) in o.pool.iter().enumerate() {
        let row = i as u32 + 1;
        for (col, n) in [i64::from(p.year), p.entries, p.key_projects, p.converted]
            .iter()
            .enumerate()
        {
            pool.write_number(row, col as u16, *n as f64)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::chains::PoolYear;

    fn overview() -> Overview {
        let row = |chain, label, n: i64| ChainRow {
            chain,
            chain_label: label,
            published_achievements: n,
            open_demands: 2 * n,
            bottleneck_demands: n,
            deals: vec![("recommended", n), ("signed", 1)],
            registered_contracts: n,
            turnover_fen: 1_234_567 * n,
        };
        Overview {
            year: Some(2026),
            chains: vec![row("ai", "人工智能", 1), row("=evil", "-1+1", 2)],
            pool: vec![PoolYear {
                year: 2026,
                entries: 3,
                key_projects: 1,
                converted: 1,
            }],
        }
    }

    #[test]
    fn csv_has_the_chains_the_total_and_safe_text() {
        let csv = to_csv(&overview());
        let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
        assert!(lines[0].starts_with("\u{feff}产业链代码,产业链,年内发布成果,年内发布需求,其中卡脖子需求,对接：已推荐,对接：已签约,登记合同数,成交额（分）,成交额（万元）"), "{}", lines[0]);
        assert_eq!(lines[1], "ai,人工智能,1,2,1,1,1,1,1234567,1.23");
        assert_eq!(lines[2], "'=evil,'-1+1,2,4,2,2,1,2,2469134,2.47");
        assert_eq!(lines[3], "合计,,3,6,3,3,2,3,3703701,3.70");
    }

    #[test]
    fn xlsx_has_the_sheets_a_chart_of_the_chains_and_a_frozen_header() {
        use std::io::Read;
        let notes = [("查询".to_owned(), "GET /api/v1/stats/chains".to_owned())];
        let bytes = to_xlsx(&overview(), &notes).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut read = |name: &str| {
            let mut s = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        let sheet = read("xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"state="frozen""#), "{sheet}");
        assert!(!sheet.contains("<f>"), "{sheet}");
        // The label column fits "其中卡脖子需求"-wide Chinese headers, not Excel's 8.43.
        assert!(sheet.contains(r#"<col min="2" max="2""#), "{sheet}");
        let chart = read("xl/charts/chart1.xml");
        assert!(chart.contains("<c:barChart>"), "{chart}");
        // Categories are the two chains' labels, values their 万元 (column J).
        assert!(chart.contains("$B$2:$B$3"), "{chart}");
        assert!(chart.contains("$J$2:$J$3"), "{chart}");
        let workbook = read("xl/workbook.xml");
        assert!(
            workbook.contains("图表") && workbook.contains("说明"),
            "{workbook}"
        );
        assert!(read("xl/sharedStrings.xml").contains("GET /api/v1/stats/chains"));
    }
}
