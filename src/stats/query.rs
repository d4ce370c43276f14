//! What a turnover request asks for: the grouping ([`Dim`]), the period, the date that
//! counts ([`Basis`]) and the answer's [`Format`], parsed from the query string at the edge.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::error::{ApiError, ErrorCode};
use crate::stats::compare::Compare;

/// The dimensions turnover can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Year,
    Quarter,
    Month,
    SellerRegion,
    BuyerRegion,
    Chain,
    Field,
    Kind,
    SellerKind,
    SellerOrg,
    Broker,
}

impl Dim {
    pub const ALL: [Dim; 11] = [
        Dim::Year,
        Dim::Quarter,
        Dim::Month,
        Dim::SellerRegion,
        Dim::BuyerRegion,
        Dim::Chain,
        Dim::Field,
        Dim::Kind,
        Dim::SellerKind,
        Dim::SellerOrg,
        Dim::Broker,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dim::Year => "year",
            Dim::Quarter => "quarter",
            Dim::Month => "month",
            Dim::SellerRegion => "seller_region",
            Dim::BuyerRegion => "buyer_region",
            Dim::Chain => "chain",
            Dim::Field => "field",
            Dim::Kind => "kind",
            Dim::SellerKind => "seller_kind",
            Dim::SellerOrg => "seller_org",
            Dim::Broker => "broker",
        }
    }

    /// The column header in exports, in the request's language.
    pub fn header(self) -> &'static str {
        crate::error::i18n::pick(self.zh(), self.en())
    }

    fn en(self) -> &'static str {
        match self {
            Dim::Year => "Year",
            Dim::Quarter => "Quarter",
            Dim::Month => "Month",
            Dim::SellerRegion => "Seller region",
            Dim::BuyerRegion => "Buyer region",
            Dim::Chain => "Industry chain",
            Dim::Field => "Technology field",
            Dim::Kind => "Contract kind",
            Dim::SellerKind => "Seller type",
            Dim::SellerOrg => "Seller",
            Dim::Broker => "Broker",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Dim::Year => "年份",
            Dim::Quarter => "季度",
            Dim::Month => "月份",
            Dim::SellerRegion => "输出地区",
            Dim::BuyerRegion => "吸纳地区",
            Dim::Chain => "产业链",
            Dim::Field => "技术领域",
            Dim::Kind => "合同类别",
            Dim::SellerKind => "卖方类型",
            Dim::SellerOrg => "卖方单位",
            Dim::Broker => "技术经纪人",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.name() == s)
    }

    /// Year, quarter and month: read from the date, not from a column.
    pub fn is_time(self) -> bool {
        matches!(self, Dim::Year | Dim::Quarter | Dim::Month)
    }
}

/// Which date places a contract in a period: the day it was signed, or the day the
/// registry registered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Signed,
    Registered,
}

impl Basis {
    /// The name in the query string and in the rollups' `basis` column.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Signed => "signed",
            Basis::Registered => "registered",
        }
    }

    /// The `contracts` column holding the date.
    pub fn date_column(self) -> &'static str {
        match self {
            Basis::Signed => "signed_on",
            Basis::Registered => "registered_on",
        }
    }

    fn parse(s: &str) -> Option<Basis> {
        [Basis::Signed, Basis::Registered]
            .into_iter()
            .find(|b| b.name() == s)
    }
}

/// How the answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    /// A chart (turnover only).
    Svg,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Svg => "svg",
        }
    }

    fn parse(s: &str) -> Option<Format> {
        [Format::Json, Format::Csv, Format::Xlsx, Format::Svg]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct TurnoverQuery {
    pub group_by: Vec<Dim>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub basis: Basis,
    pub include_unregistered: bool,
    /// Comparisons each row carries (`compare=yoy,pop`); they need a time dimension.
    pub compare: Vec<Compare>,
}

fn bad(field: &str, zh: String, en: String) -> ApiError {
    ApiError::with_detail(ErrorCode::InvalidQuery, zh, en).field(field.to_owned())
}

/// The query parameters of `GET /api/v1/stats/turnover`.
const PARAMS: [&str; 8] = [
    "group_by",
    "compare",
    "year",
    "from",
    "to",
    "date_basis",
    "include_unregistered",
    "format",
];

/// The query parameters of `GET /api/v1/stats/chains`.
const CHAINS_PARAMS: [&str; 2] = ["year", "format"];

/// `group_by`: known dimensions, comma-separated, each at most once.
fn parse_group_by(v: &str) -> Result<Vec<Dim>, ApiError> {
    let mut dims = Vec::new();
    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let d = Dim::parse(name).ok_or_else(|| {
            let names = Dim::ALL.map(Dim::name);
            ApiError::one_of(ErrorCode::InvalidQuery, "group_by", name, &names)
        })?;
        if dims.contains(&d) {
            return Err(bad(
                "group_by",
                format!("group_by 中的 {name} 重复了。"),
                format!("`{name}` is repeated in `group_by`."),
            ));
        }
        dims.push(d);
    }
    Ok(dims)
}

/// `compare`: `yoy`, `pop` or both, comma-separated.
fn parse_compare(v: &str) -> Result<Vec<Compare>, ApiError> {
    let mut out = Vec::new();
    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let c = Compare::parse(name).ok_or_else(|| {
            ApiError::one_of(ErrorCode::InvalidQuery, "compare", name, &["yoy", "pop"])
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// `parsed`, or an error naming `field` and listing its values.
fn pick<T>(parsed: Option<T>, field: &str, v: &str, accepted: &[&str]) -> Result<T, ApiError> {
    parsed.ok_or_else(|| ApiError::one_of(ErrorCode::InvalidQuery, field, v, accepted))
}

fn unknown_param(k: &str, params: &[&str]) -> ApiError {
    bad(
        k,
        format!("未知的查询参数 {k}，可用参数：{}。", params.join("、")),
        format!(
            "Unknown query parameter `{k}`; accepted: {}.",
            params.join(", ")
        ),
    )
    .accepted(params.iter().copied())
}

fn repeated(k: &str) -> ApiError {
    bad(
        k,
        format!("查询参数 {k} 只能出现一次。"),
        format!("`{k}` may be given once."),
    )
}

/// A calendar year of four digits, 1900 to 2999 (the years dates are accepted in).
fn year(v: &str) -> Result<i32, ApiError> {
    v.parse::<i32>()
        .ok()
        .filter(|y| v.len() == 4 && (1900..=2999).contains(y))
        .ok_or_else(|| {
            bad(
                "year",
                format!("查询参数 year 应为四位年份（1900–2999），收到 {v:?}。"),
                format!("`year` must be a four-digit year (1900-2999); got {v:?}."),
            )
        })
}

/// `year=YYYY` as the period it stands for: `from=YYYY-01-01&to=YYYY-12-31`.
pub fn year_range(y: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(y, 1, 1)?,
        NaiveDate::from_ymd_opt(y, 12, 31)?,
    ))
}

/// Four-digit years only: chrono also reads `-2026-01-05` and `+10000-01-01`, which
/// PostgreSQL refuses as date literals (a 500) and SQLite compares as text.
fn date(k: &str, v: &str) -> Result<NaiveDate, ApiError> {
    crate::validate::parse_date(v).ok_or_else(|| {
        bad(
            k,
            format!("查询参数 {k} 应为日期（YYYY-MM-DD）。"),
            format!("`{k}` must be a date (YYYY-MM-DD)."),
        )
    })
}

/// `year=YYYY` as the period it stands for (never with `from`/`to`), then `from` not after
/// `to`: the period rules every statistic shares.
fn period(
    in_year: Option<i32>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), ApiError> {
    let (from, to) = match in_year {
        Some(y) if from.is_some() || to.is_some() => {
            return Err(bad(
                "year",
                format!("year 不能与 from、to 同时使用：year={y} 即 from={y}-01-01&to={y}-12-31。"),
                format!(
                    "`year` cannot be combined with `from` or `to`: year={y} means from={y}-01-01&to={y}-12-31."
                ),
            ));
        }
        Some(y) => year_range(y).unzip(),
        None => (from, to),
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad(
            "from",
            "from 不能晚于 to。".into(),
            "`from` is after `to`.".into(),
        ));
    }
    Ok((from, to))
}

/// `format` of a report that can also be drawn: json, csv, xlsx or svg.
fn any_format(v: &str) -> Result<Format, ApiError> {
    pick(
        Format::parse(v),
        "format",
        v,
        &["json", "csv", "xlsx", "svg"],
    )
}

/// The query string of `GET /api/v1/stats/turnover`: every parameter at most once, none
/// unknown, `from` not after `to`.
pub fn parse_query(pairs: Vec<(String, String)>) -> Result<(TurnoverQuery, Format), ApiError> {
    let mut q = TurnoverQuery {
        group_by: vec![],
        from: None,
        to: None,
        basis: Basis::Signed,
        include_unregistered: false,
        compare: vec![],
    };
    let mut format = Format::Json;
    let mut seen = HashSet::new();
    let mut in_year = None;
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(repeated(&k));
        }
        match k.as_str() {
            "group_by" => q.group_by = parse_group_by(&v)?,
            "compare" => q.compare = parse_compare(&v)?,
            "year" => in_year = Some(year(&v)?),
            "from" => q.from = Some(date(&k, &v)?),
            "to" => q.to = Some(date(&k, &v)?),
            "date_basis" => {
                q.basis = pick(Basis::parse(&v), &k, &v, &["signed", "registered"])?;
            }
            "include_unregistered" => {
                let parsed = v.parse::<bool>().ok();
                q.include_unregistered = pick(parsed, &k, &v, &["true", "false"])?;
            }
            "format" => format = any_format(&v)?,
            _ => return Err(unknown_param(&k, &PARAMS)),
        }
    }
    (q.from, q.to) = period(in_year, q.from, q.to)?;
    if !q.compare.is_empty() && !q.group_by.iter().any(|d| d.is_time()) {
        return Err(bad(
            "compare",
            "同比、环比需要按时间分组：group_by 须含 year、quarter 或 month。".into(),
            "`compare` needs a time grouping: `group_by` must include year, quarter or month."
                .into(),
        ));
    }
    Ok((q, format))
}

/// What `GET /api/v1/stats/chains` is asked for: one year, or the state today.
#[derive(Debug, Clone, Copy)]
pub struct ChainsQuery {
    pub year: Option<i32>,
    pub format: Format,
}

/// The query string of `GET /api/v1/stats/chains`: `year` and `format`, each at most once.
pub fn parse_chains_query(pairs: Vec<(String, String)>) -> Result<ChainsQuery, ApiError> {
    let mut q = ChainsQuery {
        year: None,
        format: Format::Json,
    };
    let mut seen = HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(repeated(&k));
        }
        match k.as_str() {
            "year" => q.year = Some(year(&v)?),
            "format" => {
                let tables = Format::parse(&v).filter(|f| *f != Format::Svg);
                q.format = pick(tables, &k, &v, &["json", "csv", "xlsx"])?;
            }
            _ => return Err(unknown_param(&k, &CHAINS_PARAMS)),
        }
    }
    Ok(q)
}

/// The query parameters of `GET /api/v1/stats/chains/{chain}/quarterly`.
const QUARTERLY_PARAMS: [&str; 3] = ["year", "quarter", "format"];

/// `year` and `quarter` (1-4) of a quarterly report, the current quarter by default, and
/// the format.
pub fn parse_quarterly_query(
    pairs: Vec<(String, String)>,
    today: NaiveDate,
) -> Result<(crate::stats::quarterly::Quarter, Format), ApiError> {
    use chrono::Datelike;
    let (mut y, mut q) = (today.year(), today.month0() / 3 + 1);
    let (mut format, mut seen) = (Format::Json, HashSet::new());
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(repeated(&k));
        }
        match k.as_str() {
            "year" => y = year(&v)?,
            "quarter" => {
                let parsed = v.parse::<u32>().ok().filter(|n| (1..=4).contains(n));
                q = pick(parsed, &k, &v, &["1", "2", "3", "4"])?;
            }
            "format" => format = any_format(&v)?,
            _ => return Err(unknown_param(&k, &QUARTERLY_PARAMS)),
        }
    }
    let quarter = crate::stats::quarterly::Quarter::new(y, q).ok_or_else(|| {
        ApiError::one_of(
            ErrorCode::InvalidQuery,
            "quarter",
            &q.to_string(),
            &["1", "2", "3", "4"],
        )
    })?;
    Ok((quarter, format))
}

/// The query parameters of `GET /api/v1/stats/conversion`.
const CONVERSION_PARAMS: [&str; 3] = ["year", "org_id", "format"];

/// What `GET /api/v1/stats/conversion` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ConversionQuery {
    pub year: Option<i32>,
    pub org_id: Option<i64>,
    pub format: Format,
}

/// The query string of `GET /api/v1/stats/conversion`: `year`, `org_id`, `format`, each
/// at most once.
pub fn parse_conversion_query(pairs: Vec<(String, String)>) -> Result<ConversionQuery, ApiError> {
    let mut q = ConversionQuery {
        year: None,
        org_id: None,
        format: Format::Json,
    };
    let mut seen = HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(repeated(&k));
        }
        match k.as_str() {
            "year" => q.year = Some(year(&v)?),
            "org_id" => {
                let id = v.parse::<i64>().ok().filter(|id| *id > 0);
                let msg = (
                    format!("org_id 应为正整数，收到 {v:?}。"),
                    format!("`org_id` must be a positive integer; got {v:?}."),
                );
                q.org_id = Some(id.ok_or_else(|| bad("org_id", msg.0, msg.1))?);
            }
            "format" => q.format = any_format(&v)?,
            _ => return Err(unknown_param(&k, &CONVERSION_PARAMS)),
        }
    }
    Ok(q)
}

/// The query parameters of `GET /api/v1/stats/brokers`.
const BROKERS_PARAMS: [&str; 4] = ["from", "to", "year", "format"];

/// The query string of `GET /api/v1/stats/brokers`: a period (`from`/`to` or `year`) and
/// the format, each at most once.
pub fn parse_brokers_query(
    pairs: Vec<(String, String)>,
) -> Result<(crate::stats::brokers::Period, Format), ApiError> {
    let mut p = crate::stats::brokers::Period::default();
    let (mut format, mut in_year, mut seen) = (Format::Json, None, HashSet::new());
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(repeated(&k));
        }
        match k.as_str() {
            "from" => p.from = Some(date(&k, &v)?),
            "to" => p.to = Some(date(&k, &v)?),
            "year" => in_year = Some(year(&v)?),
            "format" => format = any_format(&v)?,
            _ => return Err(unknown_param(&k, &BROKERS_PARAMS)),
        }
    }
    (p.from, p.to) = period(in_year, p.from, p.to)?;
    Ok((p, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked() {
        let p = |s: &[(&str, &str)]| {
            parse_query(
                s.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            )
        };
        assert!(p(&[("group_by", "quarter,seller_region")]).is_ok());
        assert!(p(&[("group_by", "quarter,quarter")]).is_err());
        assert!(p(&[("group_by", "planet")]).is_err());
        assert!(p(&[("from", "2026-13-01")]).is_err());
        assert!(p(&[("from", "2026-02-01"), ("to", "2026-01-01")]).is_err());
        assert!(p(&[("format", "pdf")]).is_err());
        let (q, _) = p(&[("year", "2026")]).unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(q.to, NaiveDate::from_ymd_opt(2026, 12, 31));
        for bad in [
            &[("year", "2026"), ("from", "2026-01-01")][..],
            &[("to", "2026-12-31"), ("year", "2026")][..],
            &[("year", "26")][..],
            &[("year", "02026")][..],
            &[("year", "3000")][..],
            &[("year", "2026"), ("year", "2025")][..],
        ] {
            let e = p(bad).unwrap_err();
            assert_eq!(e.field_name(), Some("year"), "{bad:?}");
        }
        let c = |s: &[(&str, &str)]| {
            parse_chains_query(
                s.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            )
        };
        let q = c(&[("year", "2025"), ("format", "csv")]).unwrap();
        assert_eq!((q.year, q.format), (Some(2025), Format::Csv));
        assert!(c(&[]).is_ok_and(|q| q.year.is_none()));
        assert!(c(&[("from", "2025-01-01")]).is_err());
        assert!(c(&[("year", "x")]).is_err());
    }

    /// Fuzz target of the query parser, `group_by` above all (proptest: cargo-fuzz needs
    /// nightly).
    mod fuzz {
        use proptest::prelude::*;

        use super::*;
        use crate::stats::turnover::rollup_dim;

        fn group_by() -> impl Strategy<Value = String> {
            let part = prop_oneof![
                4 => prop::sample::select(Dim::ALL.to_vec()).prop_map(|d| d.name().to_owned()),
                1 => "\\PC{0,10}",
                1 => prop::sample::select(&["", " ", "Year", "seller_region ", "chain;", "1=1"][..]).prop_map(str::to_owned),
            ];
            prop::collection::vec(part, 0..6).prop_map(|parts| parts.join(","))
        }

        fn date() -> impl Strategy<Value = String> {
            prop_oneof![
                (1990i32..2100, 0u32..14, 0u32..33)
                    .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
                "\\PC{0,12}",
            ]
        }

        fn pair() -> impl Strategy<Value = (String, String)> {
            prop_oneof![
                3 => group_by().prop_map(|v| ("group_by".to_owned(), v)),
                1 => date().prop_map(|v| ("from".to_owned(), v)),
                1 => date().prop_map(|v| ("to".to_owned(), v)),
                1 => prop::sample::select(&["signed", "registered", "Signed", ""][..]).prop_map(|v| ("date_basis".to_owned(), v.to_owned())),
                1 => prop::sample::select(&["true", "false", "1", ""][..]).prop_map(|v| ("include_unregistered".to_owned(), v.to_owned())),
                1 => prop::sample::select(&["json", "csv", "xlsx", "pdf"][..]).prop_map(|v| ("format".to_owned(), v.to_owned())),
                1 => prop::sample::select(&["2026", "1899", "26", "2999", ""][..]).prop_map(|v| ("year".to_owned(), v.to_owned())),
                1 => ("\\PC{0,8}", "\\PC{0,8}"),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn group_by_is_parsed_exactly(raw in group_by()) {
                let names: Vec<&str> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
                let known = names.iter().all(|n| Dim::parse(n).is_some());
                let distinct = names.iter().collect::<std::collections::HashSet<_>>().len() == names.len();
                match parse_query(vec![("group_by".to_owned(), raw.clone())]) {
                    Ok((q, _)) => {
                        prop_assert!(known && distinct);
                        let got: Vec<&str> = q.group_by.iter().map(|d| d.name()).collect();
                        prop_assert_eq!(got, names);
                    }
                    Err(e) => {
                        prop_assert!(!(known && distinct));
                        prop_assert_eq!(e.code(), ErrorCode::InvalidQuery);
                    }
                }
            }

            #[test]
            fn accepted_queries_are_well_formed(pairs in prop::collection::vec(pair(), 0..6)) {
                let names: Vec<&String> = pairs.iter().map(|(k, _)| k).collect();
                let repeated = names.iter().collect::<std::collections::HashSet<_>>().len() != names.len();
                match parse_query(pairs.clone()) {
                    Ok((q, format)) => {
                        prop_assert!(!repeated);
                        if names.iter().any(|k| *k == "year") {
                            prop_assert!(!names.iter().any(|k| *k == "from" || *k == "to"));
                            prop_assert!(q.from.is_some_and(|f| chrono::Datelike::ordinal(&f) == 1));
                        }
                        prop_assert!(["json", "csv", "xlsx"].contains(&format.as_str()));
                        if let (Some(f), Some(t)) = (q.from, q.to) {
                            prop_assert!(f <= t);
                        }
                        for (k, v) in &pairs {
                            if k == "from" || k == "to" {
                                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d");
                                prop_assert!(d.is_ok_and(|d| (1000..=9999).contains(&chrono::Datelike::year(&d))));
                            }
                        }
                        let dims: std::collections::HashSet<&str> = q.group_by.iter().map(|d| d.name()).collect();
                        prop_assert_eq!(dims.len(), q.group_by.len());
                        // The rollup choice never panics and names a rolled-up dimension.
                        if let Some(d) = rollup_dim(&q) {
                            prop_assert!(d.is_empty() || crate::contracts::rollups::DIMS.iter().any(|(n, _)| *n == d));
                        }
                    }
                    Err(e) => prop_assert_eq!(e.code(), ErrorCode::InvalidQuery),
                }
            }
        }
    }
}
