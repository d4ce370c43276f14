//! The overview by industry chain (产业链): achievements, demands, deals by stage and
//! registered turnover of each chain, and the hundred-achievements pool by year.
//!
//! Without a year it is the state today: achievements on the market (published), open
//! demands (published and unexpired), every deal by its stage, every registered contract,
//! every pool year. With `year` everything is counted within that calendar year where a
//! date applies: achievements and demands first published in the year (whatever their
//! status now), deals opened in the year (by their stage now), registered contracts signed
//! in the year with their registered figures (so the turnover equals
//! `/stats/turnover?year=...&group_by=chain`), and the pool entries of that year.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde_json::{Map, Value, json};

use crate::contracts::StatStatus;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contracts, deals, demands, pool_entries};
use crate::deals::Stage;
use crate::error::ApiError;
use crate::listings::Status;
use crate::taxonomy;

fn count() -> diesel::expression::SqlLiteral<BigInt> {
    diesel::dsl::sql::<BigInt>("CAST(COUNT(*) AS BIGINT)")
}

/// One calendar year: its first and last day, and the instants it starts and ends at (UTC,
/// the calendar of `clock::today`).
#[derive(Debug, Clone, Copy)]
struct Year {
    first: NaiveDate,
    last: NaiveDate,
    start: NaiveDateTime,
    end: NaiveDateTime,
}

impl Year {
    fn new(y: i32) -> Result<Year, ApiError> {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let (Some(first), Some(last), Some(next)) =
            (day(y, 1, 1), day(y, 12, 31), day(y + 1, 1, 1))
        else {
            return Err(ApiError::internal(anyhow::anyhow!("year {y} out of range")));
        };
        Ok(Year {
            first,
            last,
            start: first.and_time(chrono::NaiveTime::MIN),
            end: next.and_time(chrono::NaiveTime::MIN),
        })
    }
}

/// One chain of the overview.
#[derive(Debug, Clone)]
pub struct ChainRow {
    pub chain: &'static str,
    pub chain_label: &'static str,
    pub published_achievements: i64,
    pub open_demands: i64,
    pub bottleneck_demands: i64,
    /// Deals by stage, in the order of [`Stage::ALL`].
    pub deals: Vec<(&'static str, i64)>,
    pub registered_contracts: i64,
    pub turnover_fen: i64,
}

/// One year of the hundred-achievements pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolYear {
    pub year: i32,
    pub entries: i64,
    pub key_projects: i64,
    pub converted: i64,
}

/// The overview: every chain in taxonomy order, and the pool by year, newest first.
#[derive(Debug, Clone)]
pub struct Overview {
    pub year: Option<i32>,
    pub chains: Vec<ChainRow>,
    pub pool: Vec<PoolYear>,
}

/// The counts behind the overview, grouped by chain (and more) in the database.
struct ChainCounts {
    /// (chain, achievements)
    achievements: Vec<(String, i64)>,
    /// (chain, bottleneck, demands)
    demands: Vec<(String, bool, i64)>,
    /// (chain of the demand, stage, deals)
    deals: Vec<(String, String, i64)>,
    /// (chain, registered contracts, their turnover)
    contracts: Vec<(String, i64, Option<i64>)>,
}

type Db = <AnyConnection as diesel::Connection>::Backend;

impl ChainCounts {
    fn load(conn: &mut AnyConnection, today: NaiveDate, year: Option<Year>) -> QueryResult<Self> {
        let published = Status::Published.as_str();
        let sum = diesel::dsl::sql::<Nullable<BigInt>>("CAST(SUM(stat_amount_fen) AS BIGINT)");
        let mut a = achievements::table
            .group_by(achievements::chain)
            .select((achievements::chain, count()))
            .into_boxed::<Db>();
        let mut d = demands::table
            .group_by((demands::chain, demands::bottleneck))
            .select((demands::chain, demands::bottleneck, count()))
            .into_boxed::<Db>();
        let mut deal_q = deals::table
            .inner_join(demands::table.on(demands::id.eq(deals::demand_id)))
            .group_by((demands::chain, deals::stage))
            .select((demands::chain, deals::stage, count()))
            .into_boxed::<Db>();
        let mut c = contracts::table
            .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
            .group_by(contracts::chain)
            .select((contracts::chain, count(), sum))
            .into_boxed::<Db>();
        match year {
            None => {
                a = a.filter(achievements::status.eq(published));
                d = d
                    .filter(demands::status.eq(published))
                    .filter(demands::valid_until.ge(today));
            }
            Some(y) => {
                a = a
                    .filter(achievements::published_at.ge(y.start))
                    .filter(achievements::published_at.lt(y.end));
                d = d
                    .filter(demands::published_at.ge(y.start))
                    .filter(demands::published_at.lt(y.end));
                deal_q = deal_q
                    .filter(deals::created_at.ge(y.start))
                    .filter(deals::created_at.lt(y.end));
                c = c
                    .filter(contracts::signed_on.ge(y.first))
                    .filter(contracts::signed_on.le(y.last));
            }
        }
        Ok(ChainCounts {
            achievements: a.load(conn)?,
            demands: d.load(conn)?,
            deals: deal_q.load(conn)?,
            contracts: c.load(conn)?,
        })
    }

    /// The overview of one chain.
    fn chain(&self, term: &taxonomy::Term) -> ChainRow {
        let code = term.code;
        let of = |c: &String| c == code;
        let demands = self.demands.iter().filter(|(c, _, _)| of(c));
        let deals = Stage::ALL
            .iter()
            .map(|s| {
                let n = self
                    .deals
                    .iter()
                    .filter(|(c, st, _)| of(c) && st == s.as_str())
                    .map(|x| x.2)
                    .sum();
                (s.as_str(), n)
            })
            .collect();
        let (registered_contracts, turnover_fen) = self
            .contracts
            .iter()
            .find(|(c, _, _)| of(c))
            .map(|x| (x.1, x.2.unwrap_or(0)))
            .unwrap_or((0, 0));
        ChainRow {
            chain: code,
            chain_label: term.label(),
            published_achievements: self
                .achievements
                .iter()
                .filter(|x| of(&x.0))
                .map(|x| x.1)
                .sum(),
            open_demands: demands.clone().map(|x| x.2).sum(),
            bottleneck_demands: demands.filter(|x| x.1).map(|x| x.2).sum(),
            deals,
            registered_contracts,
            turnover_fen,
        }
    }
}

/// The hundred-achievements pool by year (or of one year), latest first: entries, key
/// projects, and entries whose achievement a counted contract converted.
fn pool_by_year(conn: &mut AnyConnection, year: Option<i32>) -> QueryResult<Vec<PoolYear>> {
    let mut q = pool_entries::table
        .select((
            pool_entries::year,
            pool_entries::key_project,
            pool_entries::achievement_id,
        ))
        .into_boxed::<Db>();
    if let Some(y) = year {
        q = q.filter(pool_entries::year.eq(y));
    }
    let pool: Vec<(i32, bool, i64)> = q.load(conn)?;
    let ids: Vec<i64> = pool.iter().map(|p| p.2).collect();
    let converted: HashSet<i64> = crate::contracts::converted_achievements(conn, &ids)?;
    let mut years: BTreeMap<i32, PoolYear> = BTreeMap::new();
    for (year, key, achievement) in pool {
        let e = years.entry(year).or_insert(PoolYear {
            year,
            entries: 0,
            key_projects: 0,
            converted: 0,
        });
        e.entries += 1;
        e.key_projects += i64::from(key);
        e.converted += i64::from(converted.contains(&achievement));
    }
    Ok(years.into_values().rev().collect())
}

/// The state of each industry chain, in taxonomy order, and the pool by year; counted
/// within `year` when one is given (see the module's documentation).
pub fn overview(
    conn: &mut AnyConnection,
    today: NaiveDate,
    year: Option<i32>,
) -> Result<Overview, ApiError> {
    let span = year.map(Year::new).transpose()?;
    let counts = ChainCounts::load(conn, today, span)?;
    let chains = taxonomy::CHAINS
        .terms
        .iter()
        .map(|t| counts.chain(t))
        .collect();
    let pool = pool_by_year(conn, year)?;
    Ok(Overview { year, chains, pool })
}

/// The JSON answer: `{year, chains, pool}`; `deals` an object by stage.
pub fn to_json(o: &Overview) -> Value {
    let chains: Vec<Value> = o
        .chains
        .iter()
        .map(|c| {
            let deals: Map<String, Value> = c
                .deals
                .iter()
                .map(|(s, n)| ((*s).to_owned(), json!(n)))
                .collect();
            json!({
                "chain": c.chain, "chain_label": c.chain_label,
                "published_achievements": c.published_achievements,
                "open_demands": c.open_demands, "bottleneck_demands": c.bottleneck_demands,
                "deals": deals,
                "registered_contracts": c.registered_contracts, "turnover_fen": c.turnover_fen,
            })
        })
        .collect();
    let pool: Vec<Value> = o
        .pool
        .iter()
        .map(|p| json!({"year": p.year, "entries": p.entries, "key_projects": p.key_projects, "converted": p.converted}))
        .collect();
    json!({ "year": o.year, "chains": chains, "pool": pool })
}
