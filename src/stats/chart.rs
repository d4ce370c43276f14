//! Turnover as an SVG chart (`format=svg`): a time grouping as columns of the contract
//! amount with the technology amount as a line, one other dimension as horizontal bars
//! sorted by amount, time × one dimension as stacked columns (the seven largest series
//! and 其他). Axes are in 万元 or, from 1 亿元, in 亿元; a title and the data source line.
//!
//! Written directly rather than through a plotting crate: a plotting crate lays text out
//! with the fonts of the machine it runs on, so the same data would not give the same
//! bytes everywhere. Here every coordinate is computed from the data alone (text widths
//! are estimated, CJK characters as one em, others as half), so a chart is a pure
//! function of its table: snapshot-tested in `src/stats/snapshots/`.

use std::fmt::Write;

use crate::error::i18n::pick;
use crate::error::{ApiError, ErrorCode};
use crate::format::group_thousands;
use crate::stats::export::Table;
use crate::stats::query::{Basis, Dim, TurnoverQuery};
use crate::stats::turnover::Row;

const WIDTH: i64 = 960;
const PALETTE: [&str; 8] = [
    "#2f6fb0", "#e07b39", "#3a9d5d", "#c0504d", "#8064a2", "#4bacc6", "#9b7d3a", "#7f7f7f",
];
const FONT: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif";
/// Series beyond this many are summed into one (其他).
const MAX_SERIES: usize = 7;
/// Bars beyond this many are summed into one (其他).
const MAX_BARS: usize = 20;

/// The unit of an axis: 万元, or 亿元 once the largest value reaches 1 亿元.
#[derive(Debug, Clone, Copy)]
struct Unit {
    fen: i64,
    name: &'static str,
}

impl Unit {
    fn for_max(max_fen: i64) -> Unit {
        if max_fen >= 10_000_000_000 {
            Unit {
                fen: 10_000_000_000,
                name: pick("亿元", "100M CNY"),
            }
        } else {
            Unit {
                fen: 1_000_000,
                name: pick("万元", "10k CNY"),
            }
        }
    }
}

/// A value axis from 0: a "nice" step (1, 2 or 5 × 10^k of the unit) and five or so ticks.
#[derive(Debug, Clone, Copy)]
struct Axis {
    unit: Unit,
    /// The step in hundredths of the unit, so ticks are exact.
    step: i64,
    ticks: i64,
}

impl Axis {
    fn new(max_fen: i64) -> Axis {
        let unit = Unit::for_max(max_fen);
        let unit_fen = i128::from(unit.fen);
        let max = ((i128::from(max_fen.max(1)) * 100 + unit_fen - 1) / unit_fen) as i64;
        let raw = (max + 4) / 5;
        let mut magnitude = 1;
        while magnitude * 10 <= raw {
            magnitude *= 10;
        }
        let step = [1, 2, 5, 10]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10 * magnitude);
        Axis {
            unit,
            step,
            ticks: (max + step - 1) / step,
        }
    }

    /// The top of the axis in fen.
    fn top_fen(&self) -> i128 {
        i128::from(self.step * self.ticks) * i128::from(self.unit.fen) / 100
    }

    /// `fen` as a length of `span` pixels.
    fn scale(&self, fen: i64, span: i64) -> i64 {
        let top = self.top_fen().max(1);
        (i128::from(fen.max(0)) * i128::from(span) / top) as i64
    }

    fn label(&self, tick: i64) -> String {
        hundredths_text(self.step * tick)
    }

    /// `fen` in the axis unit with two decimals: `1,234.57`.
    fn value_text(&self, fen: i64) -> String {
        let unit = i128::from(self.unit.fen);
        let v = (i128::from(fen) * 100 + unit / 2) / unit;
        let v = i64::try_from(v).unwrap_or(i64::MAX);
        format!("{}.{:02}", group_thousands(v / 100), v % 100)
    }
}

/// Hundredths as a number without trailing zeros: `250` → `2.5`, `1200000` → `12,000`.
fn hundredths_text(v: i64) -> String {
    match v % 100 {
        0 => group_thousands(v / 100),
        c if c % 10 == 0 => format!("{}.{}", group_thousands(v / 100), c / 10),
        c => format!("{}.{c:02}", group_thousands(v / 100)),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The estimated width of `s` at `size` px: CJK and full-width characters one em.
fn text_width(s: &str, size: i64) -> i64 {
    s.chars()
        .map(|c| {
            if c as u32 >= 0x2E80 {
                size
            } else {
                size * 55 / 100
            }
        })
        .sum()
}

/// `s` cut to at most `max` px, with an ellipsis when cut.
fn fit(s: &str, size: i64, max: i64) -> String {
    if text_width(s, size) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text_width(&out, size) + text_width(&format!("{c}…"), size) > max {
            break;
        }
        out.push(c);
    }
    out + "…"
}

/// One named series of values, one per category.
pub(super) struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

/// What a chart shows, before layout (the XLSX chart shows the same).
pub(super) enum Plot {
    /// Categories on x; stacked series as columns, and an optional line.
    Columns {
        categories: Vec<String>,
        stacks: Vec<Series>,
        line: Option<Series>,
    },
    /// Categories on y, largest first.
    Bars {
        categories: Vec<String>,
        values: Vec<i64>,
    },
}

/// The chart of a turnover table, or `400 invalid_query` for a grouping it cannot draw.
pub fn turnover_svg(t: &Table, q: &TurnoverQuery) -> Result<String, ApiError> {
    let plot = plot(t).ok_or_else(undrawable)?;
    Ok(render(&title(t.dims, q), &source(q), &plot))
}

/// What the table draws as: `None` for more than one time and one other dimension.
pub(super) fn plot(t: &Table) -> Option<Plot> {
    let time: Vec<usize> = (0..t.dims.len()).filter(|i| t.dims[*i].is_time()).collect();
    let other: Vec<usize> = (0..t.dims.len())
        .filter(|i| !t.dims[*i].is_time())
        .collect();
    Some(match (time.as_slice(), other.as_slice()) {
        ([], []) => totals_plot(t),
        ([at], []) => time_plot(t.rows, *at),
        ([], [at]) => bars_plot(t.rows, *at),
        ([ti], [oi]) => stacked_plot(t.rows, *ti, *oi),
        _ => return None,
    })
}

/// Horizontal bars of `(label, fen)` in the order given (periods, say).
pub fn bars_svg_in_order(title: &str, source: &str, bars: Vec<(String, i64)>) -> String {
    let (categories, values) = bars.into_iter().unzip();
    render(title, source, &Plot::Bars { categories, values })
}

/// Sorted horizontal bars of `(label, fen)`: the twenty largest, the rest as 其他.
pub fn bars_svg(title: &str, source: &str, mut bars: Vec<(String, i64)>) -> String {
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if bars.len() > MAX_BARS + 1 {
        let rest = bars[MAX_BARS..].iter().map(|b| b.1).sum();
        bars.truncate(MAX_BARS);
        bars.push((pick("其他", "Other").into(), rest));
    }
    let (categories, values) = bars.into_iter().unzip();
    render(title, source, &Plot::Bars { categories, values })
}

fn undrawable() -> ApiError {
    ApiError::with_detail(
        ErrorCode::InvalidQuery,
        "format=svg 只能绘制一个时间维度和至多一个其他维度（如 group_by=quarter,chain）。",
        "format=svg draws one time dimension and at most one other (e.g. group_by=quarter,chain).",
    )
    .field("format")
}

fn totals_plot(t: &Table) -> Plot {
    Plot::Bars {
        categories: vec![pick("合计", "Total").into()],
        values: vec![t.totals.amount_fen],
    }
}

fn time_plot(rows: &[Row], at: usize) -> Plot {
    let categories = rows.iter().map(|r| r.labels[at].clone()).collect();
    let amount = rows.iter().map(|r| r.amount_fen).collect();
    let tech = rows.iter().map(|r| r.tech_amount_fen).collect();
    Plot::Columns {
        categories,
        stacks: vec![Series {
            name: pick("成交额", "Contract amount").into(),
            values: amount,
        }],
        line: Some(Series {
            name: pick("技术交易额", "Technology amount").into(),
            values: tech,
        }),
    }
}

/// Sums by label, largest first (ties by label), the rest beyond `keep` as 其他.
fn ranked(rows: &[Row], at: usize, keep: usize) -> Vec<(String, i64)> {
    let mut sums: Vec<(String, i64)> = Vec::new();
    for r in rows {
        match sums.iter_mut().find(|(l, _)| *l == r.labels[at]) {
            Some(s) => s.1 += r.amount_fen,
            None => sums.push((r.labels[at].clone(), r.amount_fen)),
        }
    }
    sums.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if sums.len() > keep + 1 {
        let rest: i64 = sums[keep..].iter().map(|s| s.1).sum();
        sums.truncate(keep);
        sums.push((pick("其他", "Other").into(), rest));
    }
    sums
}

fn bars_plot(rows: &[Row], at: usize) -> Plot {
    let (categories, values) = ranked(rows, at, MAX_BARS).into_iter().unzip();
    Plot::Bars { categories, values }
}

fn stacked_plot(rows: &[Row], ti: usize, oi: usize) -> Plot {
    let mut categories: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.keys[ti].clone(), r.labels[ti].clone()))
        .collect();
    categories.sort();
    categories.dedup();
    let named: Vec<String> = ranked(rows, oi, MAX_SERIES)
        .into_iter()
        .map(|s| s.0)
        .collect();
    let other = pick("其他", "Other");
    let mut stacks: Vec<Series> = named
        .iter()
        .map(|n| Series {
            name: n.clone(),
            values: vec![0; categories.len()],
        })
        .collect();
    for r in rows {
        let Ok(x) = categories.binary_search(&(r.keys[ti].clone(), r.labels[ti].clone())) else {
            continue;
        };
        let label = &r.labels[oi];
        let s = named
            .iter()
            .position(|n| n == label)
            .or_else(|| named.iter().position(|n| n == other));
        if let Some(s) = s {
            stacks[s].values[x] += r.amount_fen;
        }
    }
    let categories = categories.into_iter().map(|c| c.1).collect();
    Plot::Columns {
        categories,
        stacks,
        line: None,
    }
}

/// 技术合同成交额（按季度、产业链）, with the period when there is one.
fn title(dims: &[Dim], q: &TurnoverQuery) -> String {
    let by: Vec<&str> = dims.iter().map(|d| d.header()).collect();
    let mut t = match by.is_empty() {
        true => pick(
            "技术合同成交额".to_owned(),
            "Technology contract turnover".to_owned(),
        ),
        false => pick(
            format!("技术合同成交额（按{}）", by.join("、")),
            format!(
                "Technology contract turnover by {}",
                by.join(", ").to_lowercase()
            ),
        ),
    };
    if let (Some(f), Some(to)) = (q.from, q.to) {
        t.push_str(&pick(format!(" {f} 至 {to}"), format!(", {f} to {to}")));
    }
    t
}

/// The data source line: what counts and by which date.
pub(super) fn source(q: &TurnoverQuery) -> String {
    let counted = match (q.basis, q.include_unregistered) {
        (Basis::Signed, true) => pick(
            "双方确认的技术合同（含未登记）",
            "contracts confirmed by both parties, registered or not",
        ),
        _ => pick(
            "已认定登记的技术合同（核定金额）",
            "registered contracts (verified amounts)",
        ),
    };
    let date = match q.basis {
        Basis::Signed => pick("按签订日期", "by signing date"),
        Basis::Registered => pick("按登记日期", "by registration date"),
    };
    pick(
        format!("数据来源：秦创原技术交易平台 · {counted} · {date}"),
        format!("Source: Qinchuangyuan technology exchange · {counted} · {date}"),
    )
}

/// The whole document: frame, title, plot, source line.
fn render(title: &str, source: &str, plot: &Plot) -> String {
    let height = match plot {
        Plot::Bars { categories, .. } => 150 + 28 * categories.len().max(1) as i64,
        Plot::Columns { .. } => 540,
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"{FONT}\">\n\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"24\" y=\"36\" font-size=\"20\" font-weight=\"bold\" fill=\"#222\">{}</text>\n",
        escape(&fit(title, 20, WIDTH - 48))
    );
    match plot {
        Plot::Columns {
            categories,
            stacks,
            line,
        } => columns(&mut svg, categories, stacks, line.as_ref(), height),
        Plot::Bars { categories, values } => bars(&mut svg, categories, values, height),
    }
    let _ = write!(
        svg,
        "<text x=\"24\" y=\"{}\" font-size=\"12\" fill=\"#666\">{}</text>\n</svg>\n",
        height - 16,
        escape(&fit(source, 12, WIDTH - 48))
    );
    svg
}

/// The plot area of column charts: left, top, right, bottom.
const AREA: (i64, i64, i64, i64) = (96, 84, WIDTH - 32, 420);

fn columns(
    svg: &mut String,
    cats: &[String],
    stacks: &[Series],
    line: Option<&Series>,
    height: i64,
) {
    let (left, top, right, bottom) = AREA;
    let n = cats.len().max(1) as i64;
    let tallest = (0..cats.len())
        .map(|x| stacks.iter().map(|s| s.values[x]).sum::<i64>())
        .chain(line.iter().flat_map(|l| l.values.iter().copied()))
        .max()
        .unwrap_or(0);
    let axis = Axis::new(tallest);
    value_grid_y(svg, &axis, (left, top, right, bottom));
    let slot = (right - left) / n;
    let width = (slot * 6 / 10).max(1);
    let every = (n + 11) / 12;
    for (x, cat) in cats.iter().enumerate() {
        let x0 = left + slot * x as i64 + (slot - width) / 2;
        let mut y = bottom;
        for (s, series) in stacks.iter().enumerate() {
            let h = axis.scale(series.values[x], bottom - top);
            let _ = writeln!(
                svg,
                "<rect x=\"{x0}\" y=\"{}\" width=\"{width}\" height=\"{h}\" fill=\"{}\"/>",
                y - h,
                PALETTE[s % PALETTE.len()]
            );
            y -= h;
        }
        if x as i64 % every == 0 {
            let cx = left + slot * x as i64 + slot / 2;
            let _ = writeln!(
                svg,
                "<text x=\"{cx}\" y=\"{}\" font-size=\"12\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
                bottom + 18,
                escape(&fit(cat, 12, slot * every - 4))
            );
        }
    }
    if let Some(l) = line {
        polyline(svg, l, &axis, slot, (left, top, bottom));
    }
    let mut names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
    names.extend(line.map(|l| l.name.as_str()));
    legend(svg, &names, stacks.len(), height - 56);
}

fn polyline(
    svg: &mut String,
    l: &Series,
    axis: &Axis,
    slot: i64,
    (left, top, bottom): (i64, i64, i64),
) {
    let points: Vec<String> = l
        .values
        .iter()
        .enumerate()
        .map(|(x, v)| {
            format!(
                "{},{}",
                left + slot * x as i64 + slot / 2,
                bottom - axis.scale(*v, bottom - top)
            )
        })
        .collect();
    let _ = writeln!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#c0504d\" stroke-width=\"2\"/>",
        points.join(" ")
    );
}

/// Horizontal grid lines and value labels of a vertical value axis, with its unit.
fn value_grid_y(svg: &mut String, axis: &Axis, (left, top, right, bottom): (i64, i64, i64, i64)) {
    for tick in 0..=axis.ticks {
        let y = bottom - (bottom - top) * tick / axis.ticks.max(1);
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\" stroke=\"#e0e0e0\"/>\n\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#555\" text-anchor=\"end\">{}</text>",
            left - 8,
            y + 4,
            axis.label(tick)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#555\" text-anchor=\"end\">{}</text>",
        left - 8,
        top - 14,
        escape(axis.unit.name)
    );
}

/// Swatches for the stacked series, a line sample for the rest.
fn legend(svg: &mut String, names: &[&str], boxes: usize, y: i64) {
    let mut x = AREA.0;
    for (i, name) in names.iter().enumerate() {
        let name = fit(name, 12, 160);
        let _ = match i < boxes {
            true => writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>",
                y - 10,
                PALETTE[i % PALETTE.len()]
            ),
            false => writeln!(
                svg,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#c0504d\" stroke-width=\"2\"/>",
                y - 4,
                x + 12,
                y - 4
            ),
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{y}\" font-size=\"12\" fill=\"#333\">{}</text>",
            x + 18,
            escape(&name)
        );
        x += 18 + text_width(&name, 12) + 20;
    }
}

fn bars(svg: &mut String, cats: &[String], values: &[i64], height: i64) {
    let (left, top, right) = (220, 84, WIDTH - 110);
    let bottom = height - 56;
    let axis = Axis::new(values.iter().copied().max().unwrap_or(0));
    for tick in 0..=axis.ticks {
        let x = left + (right - left) * tick / axis.ticks.max(1);
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#e0e0e0\"/>\n\
             <text x=\"{x}\" y=\"{}\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">{}</text>",
            bottom + 16,
            axis.label(tick)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{right}\" y=\"{}\" font-size=\"12\" fill=\"#555\" text-anchor=\"end\">{}</text>",
        top - 12,
        escape(axis.unit.name)
    );
    for (i, (cat, v)) in cats.iter().zip(values).enumerate() {
        let y = top + 6 + 28 * i as i64;
        let w = axis.scale(*v, right - left);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#333\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{left}\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{}\"/>\n\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#333\">{}</text>",
            left - 8,
            y + 14,
            escape(&fit(cat, 12, left - 32)),
            PALETTE[0],
            left + w + 6,
            y + 14,
            axis.value_text(*v)
        );
    }
}

#[cfg(test)]
mod tests;
