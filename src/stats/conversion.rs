//! The conversion of research results (成果转化) by university and institute: the
//! registered contracts each sold in a year (or ever) by kind — transfers, licences,
//! equity investments (作价投资, a transfer of sub-kind `equity`) — all contracts with their
//! registered amounts, and its entries in the hundred-achievements pool with how many
//! converted (a confirmed transfer, equity or licensing contract for the achievement, the
//! rule of the chain overview).

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde_json::{Value, json};

use crate::accounts::model::OrgKind;
use crate::contracts::StatStatus;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contracts, orgs, pool_entries};
use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::stats::sheet::{Cell, Sheet};

/// One university or institute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub transfers: i64,
    pub licences: i64,
    pub equity: i64,
    pub contracts: i64,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub pool_entries: i64,
    pub pool_converted: i64,
}

type Db = <AnyConnection as diesel::Connection>::Backend;
/// (seller, kind, sub-kind, contracts, amount, technology amount)
type KindSums = (i64, String, Option<String>, i64, Option<i64>, Option<i64>);

const SELLERS: [OrgKind; 2] = [OrgKind::University, OrgKind::Institute];

fn kind_sums(conn: &mut AnyConnection, year: Option<i32>) -> QueryResult<Vec<KindSums>> {
    let sum = |c: &str| diesel::dsl::sql::<Nullable<BigInt>>(&format!("CAST(SUM({c}) AS BIGINT)"));
    let mut q = contracts::table
        .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
        .filter(contracts::seller_kind.eq_any(SELLERS.map(OrgKind::as_str)))
        .group_by((
            contracts::seller_org_id,
            contracts::kind,
            contracts::sub_kind,
        ))
        .select((
            contracts::seller_org_id,
            contracts::kind,
            contracts::sub_kind,
            diesel::dsl::sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
            sum("stat_amount_fen"),
            sum("stat_tech_amount_fen"),
        ))
        .into_boxed::<Db>();
    if let Some((first, last)) = year.and_then(crate::stats::query::year_range) {
        q = q.filter(contracts::signed_on.between(first, last));
    }
    q.load(conn)
}

/// (org, achievement) of the pool entries of `year` (every year without one).
fn pool(conn: &mut AnyConnection, year: Option<i32>) -> QueryResult<Vec<(i64, i64)>> {
    let mut q = pool_entries::table
        .inner_join(achievements::table)
        .select((achievements::org_id, achievements::id))
        .into_boxed::<Db>();
    if let Some(y) = year {
        q = q.filter(pool_entries::year.eq(y));
    }
    q.load(conn)
}

/// Every university and institute (or the one `org`), largest amount first.
pub fn report(
    conn: &mut AnyConnection,
    year: Option<i32>,
    org: Option<i64>,
) -> Result<Vec<Line>, ApiError> {
    let mut q = orgs::table
        .filter(orgs::kind.eq_any(SELLERS.map(OrgKind::as_str)))
        .select((orgs::id, orgs::name, orgs::kind))
        .into_boxed::<Db>();
    if let Some(id) = org {
        q = q.filter(orgs::id.eq(id));
    }
    let mut lines: BTreeMap<i64, Line> = q
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(org_id, name, kind)| {
            (
                org_id,
                Line {
                    org_id,
                    name,
                    kind,
                    ..Line::default()
                },
            )
        })
        .collect();
    for (seller, kind, sub_kind, n, amount, tech) in kind_sums(conn, year)? {
        let Some(l) = lines.get_mut(&seller) else {
            continue;
        };
        match (kind.as_str(), sub_kind.as_deref()) {
            ("transfer", Some("equity")) => l.equity += n,
            ("transfer", _) => l.transfers += n,
            ("licensing", _) => l.licences += n,
            _ => {}
        }
        l.contracts += n;
        l.amount_fen += amount.unwrap_or(0);
        l.tech_amount_fen += tech.unwrap_or(0);
    }
    let entries = pool(conn, year)?;
    let ids: Vec<i64> = entries.iter().map(|e| e.1).collect();
    let converted: HashSet<i64> = crate::contracts::converted_achievements(conn, &ids)?;
    for (org_id, achievement) in entries {
        if let Some(l) = lines.get_mut(&org_id) {
            l.pool_entries += 1;
            l.pool_converted += i64::from(converted.contains(&achievement));
        }
    }
    let mut lines: Vec<Line> = lines.into_values().collect();
    lines.sort_by(|a, b| {
        (b.amount_fen, b.contracts, a.org_id).cmp(&(a.amount_fen, a.contracts, b.org_id))
    });
    Ok(lines)
}

pub fn to_json(year: Option<i32>, lines: &[Line]) -> Value {
    let orgs: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "org": {"id": l.org_id, "name": l.name, "kind": l.kind},
                "transfers": l.transfers, "licences": l.licences, "equity": l.equity,
                "contracts": l.contracts, "amount_fen": l.amount_fen,
                "tech_amount_fen": l.tech_amount_fen,
                "pool_entries": l.pool_entries, "pool_converted": l.pool_converted,
            })
        })
        .collect();
    json!({"year": year, "orgs": orgs})
}

pub fn sheet(lines: &[Line]) -> Sheet {
    let headers = [
        ("单位ID", "Org id"),
        ("单位", "Organisation"),
        ("类型", "Kind"),
        ("技术转让", "Transfers"),
        ("技术许可", "Licences"),
        ("作价投资", "Equity"),
        ("登记合同", "Registered contracts"),
        ("成交额（分）", "Amount (fen)"),
        ("成交额（万元）", "Amount (10k CNY)"),
        ("技术交易额（分）", "Technology amount (fen)"),
        ("入库成果", "Pool entries"),
        ("已转化", "Converted"),
    ]
    .map(|(zh, en)| pick(zh, en).to_owned())
    .to_vec();
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                Cell::Int(l.org_id),
                Cell::Text(l.name.clone()),
                Cell::Text(crate::taxonomy::ORG_KINDS.label(&l.kind)),
                Cell::Int(l.transfers),
                Cell::Int(l.licences),
                Cell::Int(l.equity),
                Cell::Int(l.contracts),
                Cell::Int(l.amount_fen),
                Cell::Wan(l.amount_fen),
                Cell::Int(l.tech_amount_fen),
                Cell::Int(l.pool_entries),
                Cell::Int(l.pool_converted),
            ]
        })
        .collect();
    Sheet {
        name: pick("成果转化", "Conversion").into(),
        headers,
        rows,
    }
}

/// Registered amounts by university and institute as sorted bars.
pub fn to_svg(year: Option<i32>, lines: &[Line]) -> String {
    let bars = lines
        .iter()
        .map(|l| (l.name.clone(), l.amount_fen))
        .collect();
    let title = match year {
        Some(y) => pick(
            format!("{y}年高校院所成果转化合同成交额"),
            format!("Conversion by universities and institutes, {y}"),
        ),
        None => pick(
            "高校院所成果转化合同成交额".into(),
            "Conversion by universities and institutes".into(),
        ),
    };
    let source = pick(
        "数据来源：秦创原技术交易平台 · 卖方为高校院所的已认定登记技术合同 · 按签订日期",
        "Source: Qinchuangyuan technology exchange · registered contracts sold by universities and institutes · by signing date",
    );
    crate::stats::chart::bars_svg(&title, source, bars)
}
