//! Turnover statistics (技术合同成交额): sums of contract amounts (signed + amendments),
//! grouped by any of the dimensions of [`Dim`], exact to the fen, as JSON or CSV.
//!
//! Groupings by time and at most one other dimension, over whole months, read the monthly
//! rollups kept by `contracts::rollups` (milliseconds at a million contracts); any other
//! request aggregates the `contracts` table itself. Both give the same answer (tested).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::db::schema::{orgs, users};
use crate::db::{AnyConnection, Backend};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppData;
use crate::taxonomy;

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

    /// The column header in exports.
    pub fn zh(self) -> &'static str {
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

    fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.name() == s)
    }

    /// A text-valued SQL expression for this dimension over `date` (a date column). Only
    /// fixed column names go in: nothing here comes from the request.
    fn sql(self, backend: Backend, date: &str) -> String {
        let pg = backend == Backend::Postgres;
        match self {
            Dim::Year if pg => format!("to_char({date}, 'YYYY')"),
            Dim::Year => format!("strftime('%Y', {date})"),
            Dim::Quarter if pg => {
                format!("to_char({date}, 'YYYY') || '-Q' || to_char({date}, 'Q')")
            }
            Dim::Quarter => format!(
                "strftime('%Y', {date}) || '-Q' || ((CAST(strftime('%m', {date}) AS INTEGER) + 2) / 3)"
            ),
            Dim::Month if pg => format!("to_char({date}, 'YYYY-MM')"),
            Dim::Month => format!("strftime('%Y-%m', {date})"),
            Dim::SellerRegion => "seller_region".into(),
            Dim::BuyerRegion => "buyer_region".into(),
            Dim::Chain => "chain".into(),
            Dim::Field => "field".into(),
            Dim::Kind => "kind".into(),
            Dim::SellerKind => "seller_kind".into(),
            Dim::SellerOrg => "CAST(seller_org_id AS TEXT)".into(),
            Dim::Broker => "COALESCE(CAST(broker_id AS TEXT), '')".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Signed,
    Registered,
}

#[derive(Debug, Clone)]
pub struct TurnoverQuery {
    pub group_by: Vec<Dim>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub basis: Basis,
    pub include_unregistered: bool,
}

#[derive(Debug, QueryableByName)]
struct RawRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    contracts: i64,
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
    #[diesel(sql_type = BigInt)]
    tech_amount_fen: i64,
}

/// One group: its keys (codes), their labels, and the sums.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub keys: Vec<String>,
    pub labels: Vec<String>,
    pub contracts: i64,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub contracts: i64,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
}

/// The rollup that answers `q`, if one does: time dimensions plus at most one rolled-up
/// dimension, over whole months.
fn rollup_dim(q: &TurnoverQuery) -> Option<&'static str> {
    use chrono::Datelike;
    let whole_months = q.from.is_none_or(|f| f.day() == 1)
        && q.to
            .is_none_or(|t| t.succ_opt().is_none_or(|n| n.day() == 1));
    let others: Vec<Dim> = q
        .group_by
        .iter()
        .copied()
        .filter(|d| !matches!(d, Dim::Year | Dim::Quarter | Dim::Month))
        .collect();
    if !whole_months || others.len() > 1 {
        return None;
    }
    match others.first() {
        None => Some(""),
        Some(d) => crate::contracts::rollups::DIMS
            .iter()
            .find(|(name, _)| *name == d.name())
            .map(|(name, _)| *name),
    }
}

/// The same answer as the scan, read from the monthly rollups.
fn rollup_sql(q: &TurnoverQuery, dim: &str, statuses: &str) -> String {
    let basis = match q.basis {
        Basis::Signed => "signed",
        Basis::Registered => "registered",
    };
    let key: Vec<String> = q
        .group_by
        .iter()
        .map(|d| match d {
            Dim::Year => "substr(month, 1, 4)".to_owned(),
            Dim::Quarter => "substr(month, 1, 4) || '-Q' || CAST((CAST(substr(month, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)".to_owned(),
            Dim::Month => "month".to_owned(),
            _ => "value".to_owned(),
        })
        .collect();
    let key = if key.is_empty() {
        "''".to_owned()
    } else {
        key.join(" || '|' || ")
    };
    let mut filters = vec![
        format!("basis = '{basis}'"),
        format!("dim = '{dim}'"),
        format!("status IN {statuses}"),
    ];
    if let Some(f) = q.from {
        filters.push(format!("month >= '{}'", f.format("%Y-%m")));
    }
    if let Some(t) = q.to {
        filters.push(format!("month <= '{}'", t.format("%Y-%m")));
    }
    format!(
        "SELECT {key} AS key, CAST(COALESCE(SUM(contracts), 0) AS BIGINT) AS contracts, \
         CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen, \
         CAST(COALESCE(SUM(tech_amount_fen), 0) AS BIGINT) AS tech_amount_fen \
         FROM turnover_rollups WHERE {} GROUP BY 1 ORDER BY 1",
        filters.join(" AND ")
    )
}

pub fn turnover(
    conn: &mut AnyConnection,
    backend: Backend,
    q: &TurnoverQuery,
) -> Result<(Vec<Row>, Totals), ApiError> {
    let date = match q.basis {
        Basis::Signed => "signed_on",
        Basis::Registered => "registered_on",
    };
    // What each contract counts is kept with it (`stat_*`): the registry's verified
    // figures once registered, the current ones while only confirmed, nothing before both
    // parties confirmed. Only registered contracts have a registration date that counts.
    let statuses = match (q.basis, q.include_unregistered) {
        (Basis::Registered, _) | (Basis::Signed, false) => "('registered')",
        (Basis::Signed, true) => "('registered', 'confirmed')",
    };
    let key = if q.group_by.is_empty() {
        "''".to_owned()
    } else {
        q.group_by
            .iter()
            .map(|d| d.sql(backend, date))
            .collect::<Vec<_>>()
            .join(" || '|' || ")
    };
    let mut filters = vec![
        format!("stat_status IN {statuses}"),
        format!("{date} IS NOT NULL"),
    ];
    // Dates were parsed as dates, so their text form is safe to inline.
    if let Some(f) = q.from {
        filters.push(format!("{date} >= '{f}'"));
    }
    if let Some(t) = q.to {
        filters.push(format!("{date} <= '{t}'"));
    }
    let sql = match rollup_dim(q) {
        Some(dim) => rollup_sql(q, dim, statuses),
        None => {
            format!(
                "SELECT {key} AS key, CAST(COUNT(*) AS BIGINT) AS contracts, \
                 CAST(COALESCE(SUM(stat_amount_fen), 0) AS BIGINT) AS amount_fen, \
                 CAST(COALESCE(SUM(stat_tech_amount_fen), 0) AS BIGINT) AS tech_amount_fen \
                 FROM contracts WHERE {} GROUP BY 1 ORDER BY 1",
                filters.join(" AND ")
            )
        }
    };
    let raw: Vec<RawRow> = diesel::sql_query(sql).load(conn)?;
    let mut totals = Totals {
        contracts: 0,
        amount_fen: 0,
        tech_amount_fen: 0,
    };
    let overflow = || ApiError::internal(anyhow::anyhow!("turnover sum overflows i64"));
    let labels = Labels::load(conn, &q.group_by, &raw)?;
    let mut rows = Vec::with_capacity(raw.len());
    for r in raw {
        if r.contracts == 0 {
            continue;
        }
        totals.contracts = totals
            .contracts
            .checked_add(r.contracts)
            .ok_or_else(overflow)?;
        totals.amount_fen = totals
            .amount_fen
            .checked_add(r.amount_fen)
            .ok_or_else(overflow)?;
        totals.tech_amount_fen = totals
            .tech_amount_fen
            .checked_add(r.tech_amount_fen)
            .ok_or_else(overflow)?;
        if q.group_by.is_empty() {
            continue;
        }
        let keys: Vec<String> = r.key.split('|').map(str::to_owned).collect();
        let labels = q
            .group_by
            .iter()
            .zip(&keys)
            .map(|(d, k)| labels.label(*d, k))
            .collect();
        rows.push(Row {
            keys,
            labels,
            contracts: r.contracts,
            amount_fen: r.amount_fen,
            tech_amount_fen: r.tech_amount_fen,
        });
    }
    Ok((rows, totals))
}

/// Chinese labels of the keys in a result.
struct Labels {
    orgs: HashMap<String, String>,
    brokers: HashMap<String, String>,
}

impl Labels {
    fn load(conn: &mut AnyConnection, dims: &[Dim], raw: &[RawRow]) -> QueryResult<Labels> {
        let ids = |dim: Dim| -> Vec<i64> {
            let Some(pos) = dims.iter().position(|d| *d == dim) else {
                return vec![];
            };
            raw.iter()
                .filter_map(|r| r.key.split('|').nth(pos)?.parse().ok())
                .collect()
        };
        let orgs: Vec<(i64, String)> = orgs::table
            .filter(orgs::id.eq_any(ids(Dim::SellerOrg)))
            .select((orgs::id, orgs::name))
            .load(conn)?;
        let brokers: Vec<(i64, String)> = users::table
            .filter(users::id.eq_any(ids(Dim::Broker)))
            .select((users::id, users::name))
            .load(conn)?;
        Ok(Labels {
            orgs: orgs
                .into_iter()
                .map(|(id, n)| (id.to_string(), n))
                .collect(),
            brokers: brokers
                .into_iter()
                .map(|(id, n)| (id.to_string(), n))
                .collect(),
        })
    }

    fn label(&self, dim: Dim, key: &str) -> String {
        let vocab = |v: taxonomy::Vocabulary| {
            v.get(key)
                .map(|t| t.zh.to_owned())
                .unwrap_or_else(|| key.to_owned())
        };
        match dim {
            Dim::Year => format!("{key}年"),
            Dim::Quarter => match key.split_once("-Q") {
                Some((y, q)) => format!("{y}年第{q}季度"),
                None => key.to_owned(),
            },
            Dim::Month => match key.split_once('-') {
                Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
                None => key.to_owned(),
            },
            Dim::SellerRegion | Dim::BuyerRegion => vocab(taxonomy::REGIONS),
            Dim::Chain => vocab(taxonomy::CHAINS),
            Dim::Field => vocab(taxonomy::FIELDS),
            Dim::Kind => vocab(taxonomy::CONTRACT_KINDS),
            Dim::SellerKind => vocab(taxonomy::ORG_KINDS),
            Dim::SellerOrg => self
                .orgs
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_owned()),
            Dim::Broker if key.is_empty() => "无经纪人".into(),
            Dim::Broker => self
                .brokers
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_owned()),
        }
    }
}

/// Exact 万元 from fen: 1 万元 = 1,000,000 fen, six decimals, no float.
pub fn wan_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
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
/// (`-100`, `-0.500000`), which must stay numbers.
fn csv_text(s: &str) -> String {
    if s.starts_with(FORMULA_START) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(s)
    }
}

/// UTF-8 with a BOM, so Excel opens the Chinese headers correctly. Text cells are
/// neutralised against formula injection ([`csv_text`]); numeric cells are written as is.
pub fn to_csv(dims: &[Dim], rows: &[Row], totals: &Totals) -> String {
    let mut out = String::from("\u{feff}");
    let mut header: Vec<String> = Vec::new();
    for d in dims {
        header.push(format!("{}代码", d.zh()));
        header.push(d.zh().to_owned());
    }
    header.extend(
        [
            "合同数",
            "成交额（分）",
            "技术交易额（分）",
            "成交额（万元）",
            "技术交易额（万元）",
        ]
        .map(String::from),
    );
    let header: Vec<String> = header.iter().map(|h| csv_text(h)).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let line = |cells: Vec<String>, contracts: i64, amount: i64, tech: i64| {
        let mut c: Vec<String> = cells.iter().map(|s| csv_text(s)).collect();
        c.extend(
            [
                contracts.to_string(),
                amount.to_string(),
                tech.to_string(),
                wan_yuan(amount),
                wan_yuan(tech),
            ]
            .iter()
            .map(|s| csv_field(s)),
        );
        c.join(",") + "\r\n"
    };
    for r in rows {
        let cells = r
            .keys
            .iter()
            .zip(&r.labels)
            .flat_map(|(k, l)| [k.clone(), l.clone()])
            .collect();
        out.push_str(&line(cells, r.contracts, r.amount_fen, r.tech_amount_fen));
    }
    let mut total_cells = vec!["合计".to_owned()];
    total_cells.resize(dims.len() * 2, String::new());
    if dims.is_empty() {
        total_cells.clear();
    }
    out.push_str(&line(
        total_cells,
        totals.contracts,
        totals.amount_fen,
        totals.tech_amount_fen,
    ));
    out
}

/// The same table as the CSV, as an XLSX workbook: Chinese headers, amounts in fen and in
/// 万元 (numbers, so Excel can sum them; fen stay exact below 2^53). Codes and labels are
/// written with `write_string`, i.e. as string cells (`t="s"`, shared strings), never as
/// formulas, so they need no `'` prefix and keep their exact text (tested below).
pub fn to_xlsx(dims: &[Dim], rows: &[Row], totals: &Totals) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ApiError::internal(anyhow::anyhow!("xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wan = Format::new().set_num_format("#,##0.000000");
    let sheet = book.add_worksheet();
    sheet.set_name("技术合同成交额").map_err(err)?;
    let mut col: u16 = 0;
    for d in dims {
        sheet
            .write_string_with_format(0, col, format!("{}代码", d.zh()), &bold)
            .map_err(err)?;
        sheet
            .write_string_with_format(0, col + 1, d.zh(), &bold)
            .map_err(err)?;
        col += 2;
    }
    for (i, h) in [
        "合同数",
        "成交额（分）",
        "技术交易额（分）",
        "成交额（万元）",
        "技术交易额（万元）",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string_with_format(0, col + i as u16, *h, &bold)
            .map_err(err)?;
    }
    let mut write_sums =
        |row: u32, contracts: i64, amount: i64, tech: i64| -> Result<(), ApiError> {
            sheet
                .write_number(row, col, contracts as f64)
                .map_err(err)?;
            sheet
                .write_number(row, col + 1, amount as f64)
                .map_err(err)?;
            sheet.write_number(row, col + 2, tech as f64).map_err(err)?;
            sheet
                .write_number_with_format(row, col + 3, amount as f64 / 1_000_000.0, &wan)
                .map_err(err)?;
            sheet
                .write_number_with_format(row, col + 4, tech as f64 / 1_000_000.0, &wan)
                .map_err(err)?;
            Ok(())
        };
    for (i, r) in rows.iter().enumerate() {
        let line = i as u32 + 1;
        write_sums(line, r.contracts, r.amount_fen, r.tech_amount_fen)?;
    }
    write_sums(
        rows.len() as u32 + 1,
        totals.contracts,
        totals.amount_fen,
        totals.tech_amount_fen,
    )?;
    for (i, r) in rows.iter().enumerate() {
        for (j, (k, l)) in r.keys.iter().zip(&r.labels).enumerate() {
            sheet
                .write_string(i as u32 + 1, 2 * j as u16, k)
                .map_err(err)?;
            sheet
                .write_string(i as u32 + 1, 2 * j as u16 + 1, l)
                .map_err(err)?;
        }
    }
    sheet
        .write_string_with_format(rows.len() as u32 + 1, 0, "合计", &bold)
        .map_err(err)?;
    book.save_to_buffer().map_err(err)
}

fn parse_query(pairs: Vec<(String, String)>) -> Result<(TurnoverQuery, String), ApiError> {
    let bad = |m: String| ApiError::with_message(ErrorCode::InvalidQuery, m);
    let mut q = TurnoverQuery {
        group_by: vec![],
        from: None,
        to: None,
        basis: Basis::Signed,
        include_unregistered: false,
    };
    let mut format = "json".to_owned();
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(bad(format!("`{k}` may be given once.")));
        }
        match k.as_str() {
            "group_by" => {
                for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let d = Dim::parse(name)
                        .ok_or_else(|| bad(format!("Unknown `group_by` dimension {name:?}.")))?;
                    if q.group_by.contains(&d) {
                        return Err(bad(format!("`{name}` is repeated in `group_by`.")));
                    }
                    q.group_by.push(d);
                }
            }
            "from" | "to" => {
                // Four-digit years only: chrono also reads `-2026-01-05` and `+10000-01-01`,
                // which PostgreSQL refuses as date literals (a 500) and SQLite compares as text.
                let d = crate::validate::parse_date(&v)
                    .ok_or_else(|| bad(format!("`{k}` must be a date (YYYY-MM-DD).")))?;
                if k == "from" {
                    q.from = Some(d)
                } else {
                    q.to = Some(d)
                }
            }
            "date_basis" => {
                q.basis = match v.as_str() {
                    "signed" => Basis::Signed,
                    "registered" => Basis::Registered,
                    _ => return Err(bad("`date_basis` must be signed or registered.".into())),
                }
            }
            "include_unregistered" => {
                q.include_unregistered = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("`include_unregistered` must be true or false.".into())),
                }
            }
            "format" => match v.as_str() {
                "json" | "csv" | "xlsx" => format = v,
                _ => return Err(bad("`format` must be json, csv or xlsx.".into())),
            },
            _ => return Err(bad(format!("Unknown query parameter `{k}`."))),
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(bad("`from` is after `to`.".into()));
    }
    Ok((q, format))
}

/// `GET /api/v1/stats/turnover` (statisticians, admins).
pub async fn turnover_handler(
    state: AppData,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let (q, format) = parse_query(query.into_inner())?;
    let backend = state.db.backend();
    let q2 = q.clone();
    let (rows, totals) = state
        .db
        .read(move |conn| turnover(conn, backend, &q2))
        .await?;
    if format == "xlsx" {
        return Ok(HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"turnover.xlsx\"",
            ))
            .body(to_xlsx(&q.group_by, &rows, &totals)?));
    }
    if format == "csv" {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"turnover.csv\"",
            ))
            .body(to_csv(&q.group_by, &rows, &totals)));
    }
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut m = Map::new();
            for ((d, k), l) in q.group_by.iter().zip(r.keys).zip(r.labels) {
                m.insert(d.name().into(), Value::String(k));
                m.insert(format!("{}_label", d.name()), Value::String(l));
            }
            m.insert("contracts".into(), json!(r.contracts));
            m.insert("amount_fen".into(), json!(r.amount_fen));
            m.insert("tech_amount_fen".into(), json!(r.tech_amount_fen));
            Value::Object(m)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "rows": rows, "total": totals })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_answer_time_plus_one_dimension_over_whole_months() {
        let q = |group_by: Vec<Dim>, from: Option<&str>, to: Option<&str>| TurnoverQuery {
            group_by,
            from: from.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            to: to.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            basis: Basis::Signed,
            include_unregistered: false,
        };
        assert_eq!(
            rollup_dim(&q(vec![Dim::Quarter, Dim::SellerRegion], None, None)),
            Some("seller_region")
        );
        assert_eq!(
            rollup_dim(&q(vec![], Some("2026-01-01"), Some("2026-03-31"))),
            Some("")
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::Chain], Some("2026-01-02"), None)),
            None
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::Chain], None, Some("2026-02-27"))),
            None
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::Chain, Dim::Kind], None, None)),
            None
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::SellerOrg], None, None)),
            Some("seller_org")
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::Year, Dim::Broker], None, None)),
            Some("broker")
        );
        assert_eq!(
            rollup_dim(&q(vec![Dim::SellerOrg, Dim::Broker], None, None)),
            None
        );
    }

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
        let csv = to_csv(&[Dim::SellerOrg], &org_rows(&HOSTILE), &totals);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[1],
            r#"1,"'=HYPERLINK(""http://x"",""y"")",1,-100,0,-0.000100,0.000000"#
        );
        assert_eq!(lines[2], "2,'=1+1,1,-100,0,-0.000100,0.000000");
        assert_eq!(lines[5], "5,'@SUM(A1),1,-100,0,-0.000100,0.000000");
        // Every label cell starts with the quote; the numbers, negative ones too, do not.
        for (i, line) in lines[1..=HOSTILE.len()].iter().enumerate() {
            let label = line.split(',').nth(1).unwrap_or_default();
            assert!(
                label.starts_with('\'') || label.starts_with("\"'"),
                "row {i}: {line:?}"
            );
        }
        assert_eq!(lines[8], "合计,,7,-700,0,-0.000700,0.000000");
    }

    #[test]
    fn xlsx_writes_labels_as_strings_never_formulas() {
        use std::io::Read;
        let totals = Totals {
            contracts: 7,
            amount_fen: -700,
            tech_amount_fen: 0,
        };
        let bytes = to_xlsx(&[Dim::SellerOrg], &org_rows(&HOSTILE), &totals).unwrap();
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

    #[test]
    fn wan_yuan_is_exact() {
        assert_eq!(wan_yuan(1_234_567_891), "1234.567891");
        assert_eq!(wan_yuan(5), "0.000005");
        assert_eq!(wan_yuan(-1_000_000), "-1.000000");
    }

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
    }

    /// Fuzz target of the query parser, `group_by` above all (proptest: cargo-fuzz needs
    /// nightly).
    mod fuzz {
        use proptest::prelude::*;

        use super::*;

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

/// Registered turnover (signed basis) between two dates, inclusive.
fn registered_sum(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<i64> {
    use crate::db::schema::contracts;
    let sum: Option<i64> = contracts::table
        .filter(contracts::stat_status.eq(crate::contracts::StatStatus::Registered.as_str()))
        .filter(contracts::signed_on.ge(from))
        .filter(contracts::signed_on.le(to))
        .select(diesel::dsl::sql::<diesel::sql_types::Nullable<BigInt>>(
            "CAST(SUM(stat_amount_fen) AS BIGINT)",
        ))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

#[derive(Debug, Serialize)]
pub struct TargetProgress {
    pub year: i32,
    pub target_fen: i64,
    /// Registered turnover of the year so far (the whole year for past years).
    pub turnover_fen: i64,
    /// turnover / target in basis points (10000 = 100 %), rounded down.
    pub share_bp: i64,
    /// The same period of the previous year.
    pub last_year_same_period_fen: i64,
    /// Growth over that period in basis points; null when last year had none.
    pub growth_bp: Option<i64>,
    pub through: NaiveDate,
}

fn ratio_bp(num: i64, den: i64) -> Option<i64> {
    if den == 0 {
        return None;
    }
    i64::try_from(i128::from(num) * 10_000 / i128::from(den)).ok()
}

pub fn targets(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Vec<TargetProgress>> {
    use crate::db::schema::stats_targets;
    use chrono::Datelike;
    let rows: Vec<(i32, i64)> = stats_targets::table
        .order(stats_targets::year.desc())
        .select((stats_targets::year, stats_targets::amount_fen))
        .load(conn)?;
    let mut out = Vec::new();
    for (year, target) in rows {
        let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
        let end_of_year = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
        let through = if today < end_of_year {
            today.max(start)
        } else {
            end_of_year
        };
        let turnover = registered_sum(conn, start, through)?;
        let last_start = NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or(start);
        // Same day last year; 29 February falls back to the 28th.
        let last_through = through
            .with_year(year - 1)
            .or_else(|| NaiveDate::from_ymd_opt(year - 1, through.month(), 28))
            .unwrap_or(last_start);
        let last = registered_sum(conn, last_start, last_through)?;
        out.push(TargetProgress {
            year,
            target_fen: target,
            turnover_fen: turnover,
            share_bp: ratio_bp(turnover, target).unwrap_or(0),
            last_year_same_period_fen: last,
            growth_bp: ratio_bp(turnover - last, last),
            through,
        });
    }
    Ok(out)
}

/// `GET /api/v1/stats/targets` (statisticians, admins): each year's target and progress.
pub async fn targets_handler(state: AppData, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let today = crate::listings::fields::today();
    let items = state.db.read(move |conn| Ok(targets(conn, today)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRequest {
    pub amount_fen: i64,
}

/// `PUT /api/v1/stats/targets/{year}` (admin).
pub async fn put_target(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i32>,
    body: web::Json<TargetRequest>,
) -> Result<HttpResponse, ApiError> {
    use crate::db::schema::stats_targets;
    policy::authorize(&user, Action::SetTargets)?;
    let year = path.into_inner();
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::new(ErrorCode::InvalidYear));
    }
    let amount = body.amount_fen;
    if !(1..=crate::listings::fields::MAX_FEN).contains(&amount) {
        return Err(ApiError::with_message(
            ErrorCode::InvalidAmounts,
            "`amount_fen` must be a positive integer number of fen.",
        ));
    }
    let today = crate::listings::fields::today();
    let item = state
        .db
        .write(move |conn| {
            let at = crate::accounts::model::now();
            let before: Option<i64> = stats_targets::table
                .filter(stats_targets::year.eq(year))
                .select(stats_targets::amount_fen)
                .first(conn)
                .optional()?;
            match before {
                Some(_) => {
                    diesel::update(stats_targets::table.filter(stats_targets::year.eq(year)))
                        .set((
                            stats_targets::amount_fen.eq(amount),
                            stats_targets::updated_by.eq(user.id),
                            stats_targets::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                }
                None => {
                    diesel::insert_into(stats_targets::table)
                        .values((
                            stats_targets::year.eq(year),
                            stats_targets::amount_fen.eq(amount),
                            stats_targets::updated_by.eq(user.id),
                            stats_targets::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                }
            }
            crate::audit::record(
                conn,
                crate::audit::Change {
                    actor_id: Some(user.id),
                    action: "stats.target",
                    entity: "stats_target",
                    entity_id: Some(i64::from(year)),
                    before: before.map(|b| json!({"amount_fen": b})),
                    after: Some(json!({"amount_fen": amount})),
                },
            )?;
            let all = targets(conn, today)?;
            all.into_iter()
                .find(|t| t.year == year)
                .ok_or_else(|| ApiError::not_found("Target"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// `GET /api/v1/stats/chains` (statisticians, admins): the state of each industry chain.
pub async fn chains_handler(state: AppData, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let today = crate::listings::fields::today();
    let body = state
        .db
        .read(move |conn| chains_overview(conn, today))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn chains_overview(conn: &mut AnyConnection, today: NaiveDate) -> Result<Value, ApiError> {
    use crate::db::schema::{achievements, contracts, deals, demands, pool_entries};
    let count = || diesel::dsl::sql::<BigInt>("CAST(COUNT(*) AS BIGINT)");
    let achievements_by: Vec<(String, i64)> = achievements::table
        .filter(achievements::status.eq("published"))
        .group_by(achievements::chain)
        .select((achievements::chain, count()))
        .load(conn)?;
    let demands_by: Vec<(String, bool, i64)> = demands::table
        .filter(demands::status.eq("published"))
        .filter(demands::valid_until.ge(today))
        .group_by((demands::chain, demands::bottleneck))
        .select((demands::chain, demands::bottleneck, count()))
        .load(conn)?;
    let deals_by: Vec<(String, String, i64)> = deals::table
        .inner_join(demands::table.on(demands::id.eq(deals::demand_id)))
        .group_by((demands::chain, deals::stage))
        .select((demands::chain, deals::stage, count()))
        .load(conn)?;
    let contracts_by: Vec<(String, i64, Option<i64>)> = contracts::table
        .filter(contracts::stat_status.eq(crate::contracts::StatStatus::Registered.as_str()))
        .group_by(contracts::chain)
        .select((
            contracts::chain,
            count(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<BigInt>>(
                "CAST(SUM(stat_amount_fen) AS BIGINT)",
            ),
        ))
        .load(conn)?;
    let mut chains = Vec::new();
    for term in taxonomy::CHAINS.terms {
        let code = term.code;
        let published = achievements_by
            .iter()
            .find(|(c, _)| c == code)
            .map(|x| x.1)
            .unwrap_or(0);
        let open: i64 = demands_by
            .iter()
            .filter(|(c, _, _)| c == code)
            .map(|x| x.2)
            .sum();
        let bottleneck: i64 = demands_by
            .iter()
            .filter(|(c, b, _)| c == code && *b)
            .map(|x| x.2)
            .sum();
        let mut stages = Map::new();
        for stage in ["recommended", "contacted", "negotiating", "signed", "lost"] {
            let n = deals_by
                .iter()
                .find(|(c, s, _)| c == code && s == stage)
                .map(|x| x.2)
                .unwrap_or(0);
            stages.insert(stage.into(), json!(n));
        }
        let (contracts_n, turnover) = contracts_by
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|x| (x.1, x.2.unwrap_or(0)))
            .unwrap_or((0, 0));
        chains.push(json!({
            "chain": code, "chain_label": term.zh,
            "published_achievements": published,
            "open_demands": open, "bottleneck_demands": bottleneck,
            "deals": stages,
            "registered_contracts": contracts_n, "turnover_fen": turnover,
        }));
    }
    let pool: Vec<(i32, bool, i64)> = pool_entries::table
        .select((
            pool_entries::year,
            pool_entries::key_project,
            pool_entries::achievement_id,
        ))
        .load(conn)?;
    let ids: Vec<i64> = pool.iter().map(|p| p.2).collect();
    let converted = crate::contracts::converted_achievements(conn, &ids)?;
    let mut years: std::collections::BTreeMap<i32, (i64, i64, i64)> = Default::default();
    for (year, key, achievement) in pool {
        let e = years.entry(year).or_default();
        e.0 += 1;
        e.1 += i64::from(key);
        e.2 += i64::from(converted.contains(&achievement));
    }
    let pool: Vec<Value> = years
        .into_iter()
        .rev()
        .map(|(year, (entries, key, converted))| json!({"year": year, "entries": entries, "key_projects": key, "converted": converted}))
        .collect();
    Ok(json!({ "chains": chains, "pool": pool }))
}
