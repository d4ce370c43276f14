//! The overview by industry chain (产业链): published achievements, open demands, deals by
//! stage and registered turnover of each chain, and the hundred-achievements pool by year.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
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

/// The counts behind the overview, grouped by chain (and more) in the database.
struct ChainCounts {
    /// (chain, published achievements)
    achievements: Vec<(String, i64)>,
    /// (chain, bottleneck, open demands)
    demands: Vec<(String, bool, i64)>,
    /// (chain of the demand, stage, deals)
    deals: Vec<(String, String, i64)>,
    /// (chain, registered contracts, their turnover)
    contracts: Vec<(String, i64, Option<i64>)>,
}

impl ChainCounts {
    fn load(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<ChainCounts> {
        let published = Status::Published.as_str();
        let achievements = achievements::table
            .filter(achievements::status.eq(published))
            .group_by(achievements::chain)
            .select((achievements::chain, count()))
            .load(conn)?;
        let demands = demands::table
            .filter(demands::status.eq(published))
            .filter(demands::valid_until.ge(today))
            .group_by((demands::chain, demands::bottleneck))
            .select((demands::chain, demands::bottleneck, count()))
            .load(conn)?;
        let deals = deals::table
            .inner_join(demands::table.on(demands::id.eq(deals::demand_id)))
            .group_by((demands::chain, deals::stage))
            .select((demands::chain, deals::stage, count()))
            .load(conn)?;
        let contracts = contracts::table
            .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
            .group_by(contracts::chain)
            .select((
                contracts::chain,
                count(),
                diesel::dsl::sql::<Nullable<BigInt>>("CAST(SUM(stat_amount_fen) AS BIGINT)"),
            ))
            .load(conn)?;
        Ok(ChainCounts {
            achievements,
            demands,
            deals,
            contracts,
        })
    }

    /// The overview of one chain.
    fn chain(&self, term: &taxonomy::Term) -> Value {
        let code = term.code;
        let published = self
            .achievements
            .iter()
            .find(|(c, _)| c == code)
            .map(|x| x.1)
            .unwrap_or(0);
        let open: i64 = self
            .demands
            .iter()
            .filter(|(c, _, _)| c == code)
            .map(|x| x.2)
            .sum();
        let bottleneck: i64 = self
            .demands
            .iter()
            .filter(|(c, b, _)| c == code && *b)
            .map(|x| x.2)
            .sum();
        let mut stages = Map::new();
        for stage in Stage::ALL.iter().map(|s| s.as_str()) {
            let n = self
                .deals
                .iter()
                .find(|(c, s, _)| c == code && s == stage)
                .map(|x| x.2)
                .unwrap_or(0);
            stages.insert(stage.into(), json!(n));
        }
        let (contracts_n, turnover) = self
            .contracts
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|x| (x.1, x.2.unwrap_or(0)))
            .unwrap_or((0, 0));
        json!({
            "chain": code, "chain_label": term.zh,
            "published_achievements": published,
            "open_demands": open, "bottleneck_demands": bottleneck,
            "deals": stages,
            "registered_contracts": contracts_n, "turnover_fen": turnover,
        })
    }
}

/// The hundred-achievements pool by year, latest first: entries, key projects, and
/// entries whose achievement a counted contract converted.
fn pool_by_year(conn: &mut AnyConnection) -> QueryResult<Vec<Value>> {
    let pool: Vec<(i32, bool, i64)> = pool_entries::table
        .select((
            pool_entries::year,
            pool_entries::key_project,
            pool_entries::achievement_id,
        ))
        .load(conn)?;
    let ids: Vec<i64> = pool.iter().map(|p| p.2).collect();
    let converted: HashSet<i64> = crate::contracts::converted_achievements(conn, &ids)?;
    let mut years: BTreeMap<i32, (i64, i64, i64)> = BTreeMap::new();
    for (year, key, achievement) in pool {
        let e = years.entry(year).or_default();
        e.0 += 1;
        e.1 += i64::from(key);
        e.2 += i64::from(converted.contains(&achievement));
    }
    Ok(years
        .into_iter()
        .rev()
        .map(|(year, (entries, key, converted))| json!({"year": year, "entries": entries, "key_projects": key, "converted": converted}))
        .collect())
}

/// The state of each industry chain, in taxonomy order, and the pool by year.
pub fn overview(conn: &mut AnyConnection, today: NaiveDate) -> Result<Value, ApiError> {
    let counts = ChainCounts::load(conn, today)?;
    let chains: Vec<Value> = taxonomy::CHAINS
        .terms
        .iter()
        .map(|t| counts.chain(t))
        .collect();
    let pool = pool_by_year(conn)?;
    Ok(json!({ "chains": chains, "pool": pool }))
}
