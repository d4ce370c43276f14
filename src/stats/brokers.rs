//! Broker performance (技术经理人业绩): for each broker and each agency (the broker's org),
//! the deals opened in the period by their stage now, the conversion rate (signed of
//! opened, in basis points), the median days from recommendation (the deal opened) to
//! signed, and the registered contracts they brokered that were signed in the period, with
//! their registered turnover (the figures `/stats/turnover` counts).
//!
//! Every broker account is listed, those without a deal or contract in the period too:
//! the action plan counts trained brokers, and one who converted nothing is a finding.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde_json::{Value, json};

use crate::accounts::model::Role;
use crate::contracts::StatStatus;
use crate::db::AnyConnection;
use crate::db::schema::{contracts, deals, orgs, users};
use crate::deals::Stage;
use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::format::percent;
use crate::stats::sheet::{Cell, Sheet};

/// The period of the report: both ends inclusive, either open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    fn start(&self) -> Option<NaiveDateTime> {
        self.from.map(|d| d.and_time(NaiveTime::MIN))
    }

    fn end(&self) -> Option<NaiveDateTime> {
        self.to
            .and_then(|d| d.succ_opt())
            .map(|d| d.and_time(NaiveTime::MIN))
    }
}

/// The figures of one broker or one agency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Deals opened in the period, by their stage now, in the order of [`Stage::ALL`].
    pub deals: Vec<(&'static str, i64)>,
    pub opened: i64,
    pub signed: i64,
    pub conversion_bp: Option<i64>,
    pub median_days_to_signed: Option<f64>,
    pub contracts: i64,
    pub turnover_fen: i64,
    pub tech_turnover_fen: i64,
}

/// A row of the report: who, and their figures.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub name: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub figures: Figures,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub brokers: Vec<Line>,
    pub agencies: Vec<Line>,
}

/// What one broker did: stages of the deals opened, days to sign, contracts.
#[derive(Debug, Default)]
struct Tally {
    stages: HashMap<String, i64>,
    days: Vec<i64>,
    contracts: (i64, i64, i64),
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        for (s, n) in &other.stages {
            *self.stages.entry(s.clone()).or_default() += n;
        }
        self.days.extend(&other.days);
        self.contracts.0 += other.contracts.0;
        self.contracts.1 += other.contracts.1;
        self.contracts.2 += other.contracts.2;
    }

    fn figures(mut self) -> Figures {
        let deals: Vec<(&'static str, i64)> = Stage::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    self.stages.get(s.as_str()).copied().unwrap_or(0),
                )
            })
            .collect();
        let opened = deals.iter().map(|d| d.1).sum();
        let signed = self
            .stages
            .get(Stage::Signed.as_str())
            .copied()
            .unwrap_or(0);
        Figures {
            deals,
            opened,
            signed,
            conversion_bp: (opened > 0).then(|| signed * 10_000 / opened),
            median_days_to_signed: median(&mut self.days),
            contracts: self.contracts.0,
            turnover_fen: self.contracts.1,
            tech_turnover_fen: self.contracts.2,
        }
    }
}

/// The median of whole days; the mean of the two middle ones for an even count.
fn median(days: &mut [i64]) -> Option<f64> {
    days.sort_unstable();
    let n = days.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(days[n / 2] as f64),
        _ => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
    }
}

type Db = <AnyConnection as diesel::Connection>::Backend;
/// (broker, stage now, opened at, signed at)
type DealLine = (i64, String, NaiveDateTime, Option<NaiveDateTime>);
/// (broker, contracts, turnover, technology turnover)
type ContractSums = (Option<i64>, i64, Option<i64>, Option<i64>);

/// Each broker's deals opened in the period: (broker, stage, opened at, signed at).
fn deals_in(conn: &mut AnyConnection, p: Period) -> QueryResult<Vec<DealLine>> {
    let signed_at = diesel::dsl::sql::<Nullable<diesel::sql_types::Timestamp>>(
        "(SELECT MIN(e.created_at) FROM deal_events e WHERE e.deal_id = deals.id AND e.to_stage = 'signed')",
    );
    let mut q = deals::table
        .select((deals::broker_id, deals::stage, deals::created_at, signed_at))
        .into_boxed::<Db>();
    if let Some(s) = p.start() {
        q = q.filter(deals::created_at.ge(s));
    }
    if let Some(e) = p.end() {
        q = q.filter(deals::created_at.lt(e));
    }
    q.load(conn)
}

/// Registered contracts with a broker, signed in the period: (broker, count, sums).
fn contracts_in(conn: &mut AnyConnection, p: Period) -> QueryResult<Vec<ContractSums>> {
    let sum =
        |col: &str| diesel::dsl::sql::<Nullable<BigInt>>(&format!("CAST(SUM({col}) AS BIGINT)"));
    let mut q = contracts::table
        .filter(contracts::broker_id.is_not_null())
        .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
        .group_by(contracts::broker_id)
        .select((
            contracts::broker_id,
            diesel::dsl::sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
            sum("stat_amount_fen"),
            sum("stat_tech_amount_fen"),
        ))
        .into_boxed::<Db>();
    if let Some(f) = p.from {
        q = q.filter(contracts::signed_on.ge(f));
    }
    if let Some(t) = p.to {
        q = q.filter(contracts::signed_on.le(t));
    }
    q.load(conn)
}

/// The report for `p`: brokers by turnover, then signed deals, then id; agencies likewise.
pub fn report(conn: &mut AnyConnection, p: Period) -> Result<Report, ApiError> {
    let people: Vec<(i64, String, i64, String)> = users::table
        .inner_join(orgs::table)
        .filter(users::role.eq(Role::Broker.as_str()))
        .select((users::id, users::name, orgs::id, orgs::name))
        .order(users::id)
        .load(conn)?;
    let mut tallies: BTreeMap<i64, Tally> =
        people.iter().map(|p| (p.0, Tally::default())).collect();
    for (broker, stage, opened, signed) in deals_in(conn, p)? {
        let t = tallies.entry(broker).or_default();
        if let Some(s) = signed.filter(|_| stage == Stage::Signed.as_str()) {
            t.days.push((s - opened).num_days());
        }
        *t.stages.entry(stage).or_default() += 1;
    }
    for (broker, n, amount, tech) in contracts_in(conn, p)? {
        let t = tallies.entry(broker.unwrap_or_default()).or_default();
        t.contracts = (n, amount.unwrap_or(0), tech.unwrap_or(0));
    }
    let mut agencies: BTreeMap<i64, (String, Tally)> = BTreeMap::new();
    let mut brokers = Vec::new();
    for (id, name, org_id, org_name) in people {
        let tally = tallies.remove(&id).unwrap_or_default();
        agencies
            .entry(org_id)
            .or_insert_with(|| (org_name.clone(), Tally::default()))
            .1
            .add(&tally);
        brokers.push(Line {
            id,
            name,
            org_id: Some(org_id),
            org_name: Some(org_name),
            figures: tally.figures(),
        });
    }
    let mut agencies: Vec<Line> = agencies
        .into_iter()
        .map(|(id, (name, t))| Line {
            id,
            name,
            org_id: None,
            org_name: None,
            figures: t.figures(),
        })
        .collect();
    rank(&mut brokers);
    rank(&mut agencies);
    Ok(Report {
        period: p,
        brokers,
        agencies,
    })
}

fn rank(lines: &mut [Line]) {
    lines.sort_by(|a, b| {
        (b.figures.turnover_fen, b.figures.signed, a.id).cmp(&(
            a.figures.turnover_fen,
            a.figures.signed,
            b.id,
        ))
    });
}

fn figures_json(f: &Figures) -> Value {
    json!({
        "deals": f.deals.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "opened": f.opened,
        "signed": f.signed,
        "conversion_bp": f.conversion_bp,
        "conversion_pct": f.conversion_bp.map(percent),
        "median_days_to_signed": f.median_days_to_signed,
        "contracts": f.contracts,
        "turnover_fen": f.turnover_fen,
        "tech_turnover_fen": f.tech_turnover_fen,
    })
}

pub fn to_json(r: &Report) -> Value {
    let brokers: Vec<Value> = r
        .brokers
        .iter()
        .map(|l| {
            let mut v = figures_json(&l.figures);
            v["broker"] =
                json!({"id": l.id, "name": l.name, "org": {"id": l.org_id, "name": l.org_name}});
            v
        })
        .collect();
    let agencies: Vec<Value> = r
        .agencies
        .iter()
        .map(|l| {
            let mut v = figures_json(&l.figures);
            v["org"] = json!({"id": l.id, "name": l.name});
            v
        })
        .collect();
    json!({"from": r.period.from, "to": r.period.to, "brokers": brokers, "agencies": agencies})
}

/// The columns of a line after who it is, in the request's language.
fn figure_headers() -> Vec<String> {
    let mut h: Vec<String> = Stage::ALL
        .iter()
        .map(|s| {
            pick(
                format!("对接：{}", stage_zh(*s)),
                format!("Deals: {}", s.as_str()),
            )
        })
        .collect();
    for (zh, en) in [
        ("开启对接", "Deals opened"),
        ("签约", "Signed"),
        ("转化率（%）", "Conversion (%)"),
        ("推荐至签约中位天数", "Median days to signed"),
        ("登记合同", "Registered contracts"),
        ("成交额（分）", "Turnover (fen)"),
        ("成交额（万元）", "Turnover (10k CNY)"),
        ("技术交易额（分）", "Technology turnover (fen)"),
    ] {
        h.push(pick(zh, en).to_owned());
    }
    h
}

fn stage_zh(s: Stage) -> &'static str {
    match s {
        Stage::Recommended => "已推荐",
        Stage::Contacted => "已联系",
        Stage::Negotiating => "洽谈中",
        Stage::Signed => "已签约",
        Stage::Lost => "未成交",
    }
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let mut cells: Vec<Cell> = f.deals.iter().map(|(_, n)| Cell::Int(*n)).collect();
    cells.extend([
        Cell::Int(f.opened),
        Cell::Int(f.signed),
        Cell::Decimal(f.conversion_bp.map(percent)),
        Cell::Decimal(f.median_days_to_signed),
        Cell::Int(f.contracts),
        Cell::Int(f.turnover_fen),
        Cell::Wan(f.turnover_fen),
        Cell::Int(f.tech_turnover_fen),
    ]);
    cells
}

/// The report as two sheets: brokers, then agencies.
pub fn sheets(r: &Report) -> Vec<Sheet> {
    let mut head = vec![
        pick("经纪人ID", "Broker id").to_owned(),
        pick("经纪人", "Broker").to_owned(),
    ];
    head.push(pick("所属机构", "Agency").to_owned());
    head.extend(figure_headers());
    let brokers = r.brokers.iter().map(|l| {
        let mut row = vec![Cell::Int(l.id), Cell::Text(l.name.clone())];
        row.push(Cell::Text(l.org_name.clone().unwrap_or_default()));
        row.extend(figure_cells(&l.figures));
        row
    });
    let mut agency_head = vec![
        pick("机构ID", "Agency id").to_owned(),
        pick("机构", "Agency").to_owned(),
    ];
    agency_head.extend(figure_headers());
    let agencies = r.agencies.iter().map(|l| {
        let mut row = vec![Cell::Int(l.id), Cell::Text(l.name.clone())];
        row.extend(figure_cells(&l.figures));
        row
    });
    vec![
        Sheet {
            name: pick("技术经理人", "Brokers").into(),
            headers: head,
            rows: brokers.collect(),
        },
        Sheet {
            name: pick("服务机构", "Agencies").into(),
            headers: agency_head,
            rows: agencies.collect(),
        },
    ]
}

/// Turnover by broker as sorted bars (the twenty largest, then 其他).
pub fn to_svg(r: &Report) -> String {
    let bars: Vec<(String, i64)> = r
        .brokers
        .iter()
        .map(|l| {
            (
                format!("{}（{}）", l.name, l.org_name.clone().unwrap_or_default()),
                l.figures.turnover_fen,
            )
        })
        .collect();
    let period = match (r.period.from, r.period.to) {
        (Some(f), Some(t)) => pick(format!(" {f} 至 {t}"), format!(", {f} to {t}")),
        _ => String::new(),
    };
    let title = pick(
        format!("技术经理人促成的登记合同成交额{period}"),
        format!("Registered turnover brokered, by broker{period}"),
    );
    let source = pick(
        "数据来源：秦创原技术交易平台 · 已认定登记、由技术经理人促成的技术合同 · 按签订日期",
        "Source: Qinchuangyuan technology exchange · registered contracts with a broker · by signing date",
    );
    crate::stats::chart::bars_svg(&title, source, bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [9, 1, 4]), Some(4.0));
        assert_eq!(median(&mut [10, 1, 4, 3]), Some(3.5));
    }

    #[test]
    fn conversion_is_signed_of_opened_rounded_down() {
        let mut t = Tally::default();
        t.stages.insert("signed".into(), 1);
        t.stages.insert("lost".into(), 2);
        let f = t.figures();
        assert_eq!((f.opened, f.signed, f.conversion_bp), (3, 1, Some(3333)));
        assert_eq!(Tally::default().figures().conversion_bp, None);
    }
}
