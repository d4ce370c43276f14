//! Snapshot tests: the same table gives the same bytes, kept in `src/stats/snapshots/`.
//! `TT_UPDATE_SNAPSHOTS=1 cargo test --lib chart` rewrites them after a deliberate change.

use chrono::NaiveDate;

use super::*;
use crate::error::i18n::{Language, with_language};
use crate::stats::turnover::Totals;

fn row(keys: &[&str], labels: &[&str], amount: i64) -> Row {
    Row {
        keys: keys.iter().map(|s| s.to_string()).collect(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        contracts: 1,
        amount_fen: amount,
        tech_amount_fen: amount * 4 / 5,
    }
}

fn query(dims: &[Dim]) -> TurnoverQuery {
    TurnoverQuery {
        group_by: dims.to_vec(),
        from: NaiveDate::from_ymd_opt(2026, 1, 1),
        to: NaiveDate::from_ymd_opt(2026, 12, 31),
        basis: Basis::Signed,
        include_unregistered: false,
        compare: vec![],
    }
}

fn svg(dims: &[Dim], rows: &[Row]) -> String {
    let totals = Totals {
        contracts: rows.len() as i64,
        amount_fen: rows.iter().map(|r| r.amount_fen).sum(),
        tech_amount_fen: rows.iter().map(|r| r.tech_amount_fen).sum(),
    };
    turnover_svg(&Table::plain(dims, rows, &totals), &query(dims)).unwrap()
}

fn quarters() -> Vec<Row> {
    [
        ("2026-Q1", 1_868_000_000),
        ("2026-Q2", 941_000_000),
        ("2026-Q3", 0),
        ("2026-Q4", 2_621_000_000),
    ]
    .iter()
    .map(|(q, a)| row(&[q], &[&format!("2026年第{}季度", &q[6..])], *a))
    .collect()
}

fn chains() -> Vec<Row> {
    [
        ("machine_tools", "高端数控机床", 820_000_000),
        ("semiconductors", "半导体及集成电路", 2_310_000_000),
        ("new_materials", "新材料 & <钛合金>", 560_000_000),
    ]
    .iter()
    .map(|(k, l, a)| row(&[k], &[l], *a))
    .collect()
}

fn stacked() -> Vec<Row> {
    let mut rows = vec![];
    for (i, (k, l)) in [("2026-Q1", "2026年第1季度"), ("2026-Q2", "2026年第2季度")]
        .iter()
        .enumerate()
    {
        for (j, c) in [
            "光伏",
            "氢能",
            "航空",
            "汽车",
            "半导体",
            "数控",
            "材料",
            "医药",
            "农业",
        ]
        .iter()
        .enumerate()
        {
            rows.push(row(
                &[k, c],
                &[l, c],
                10_000_000 * (1 + i as i64) * (9 - j as i64),
            ));
        }
    }
    rows
}

/// Compares with the stored snapshot (or rewrites it when asked).
fn snapshot(name: &str, svg: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/stats/snapshots")
        .join(name);
    if std::env::var_os("TT_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, svg).unwrap();
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with TT_UPDATE_SNAPSHOTS=1", path.display()));
    assert!(
        stored == svg,
        "{name} differs from its snapshot; if deliberate, TT_UPDATE_SNAPSHOTS=1"
    );
}

/// Every opened element is closed, in order (a well-formedness check without a parser).
fn assert_well_formed(svg: &str) {
    let mut open: Vec<String> = vec![];
    for tag in svg.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        if tag.starts_with('/') {
            assert_eq!(open.pop().as_deref(), Some(name.as_str()), "{tag}");
        } else if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "{open:?}");
}

#[test]
fn a_quarter_series_is_columns_with_the_technology_amount_as_a_line() {
    let s = svg(&[Dim::Quarter], &quarters());
    assert_well_formed(&s);
    assert!(s.contains("技术合同成交额（按季度） 2026-01-01 至 2026-12-31"));
    assert!(s.contains(">万元<") && s.contains("<polyline"));
    assert!(s.contains("数据来源：秦创原技术交易平台"));
    assert_eq!(
        s,
        svg(&[Dim::Quarter], &quarters()),
        "same data, same bytes"
    );
    snapshot("turnover_by_quarter.svg", &s);
}

#[test]
fn one_dimension_is_bars_sorted_by_amount_with_its_labels_escaped() {
    let s = svg(&[Dim::Chain], &chains());
    assert_well_formed(&s);
    let semi = s.find("半导体及集成电路").unwrap();
    assert!(semi < s.find("高端数控机床").unwrap(), "largest first");
    assert!(s.contains("新材料 &amp; &lt;钛合金&gt;"));
    snapshot("turnover_by_chain.svg", &s);
}

#[test]
fn time_by_dimension_stacks_the_seven_largest_and_the_rest() {
    let s = svg(&[Dim::Quarter, Dim::Chain], &stacked());
    assert_well_formed(&s);
    assert!(
        s.contains(">其他<") && !s.contains(">农业<"),
        "the two smallest summed"
    );
    snapshot("turnover_by_quarter_and_chain.svg", &s);
    let en = with_language(Language::En, || {
        svg(&[Dim::Quarter, Dim::Chain], &stacked())
    });
    assert!(en.contains("Technology contract turnover by quarter, industry chain"));
    assert!(en.contains(">Other<") && en.contains("Source: Qinchuangyuan"));
    snapshot("turnover_by_quarter_and_chain.en.svg", &en);
}

#[test]
fn the_axis_is_in_yi_yuan_from_one_hundred_million() {
    let axis = Axis::new(9_999_999_999);
    assert_eq!(
        (axis.unit.name, axis.step, axis.ticks),
        ("万元", 200_000, 5)
    );
    let axis = Axis::new(25_000_000_000);
    assert_eq!(
        (axis.unit.name, axis.label(1), axis.ticks),
        ("亿元", "0.5".to_owned(), 5)
    );
    assert_eq!(axis.value_text(25_000_000_000), "2.50");
    assert_eq!(Axis::new(0).ticks, 1);
}

#[test]
fn two_other_dimensions_are_refused() {
    let totals = Totals::default();
    let dims = [Dim::Chain, Dim::Field];
    let e = turnover_svg(&Table::plain(&dims, &[], &totals), &query(&dims)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidQuery);
}
