//! The turnover sums: the SQL that answers a [`TurnoverQuery`] (from the monthly rollups
//! when they can, else from the `contracts` table), and the Chinese labels of its keys.

use std::collections::HashMap;

use chrono::Datelike;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

use crate::contracts::StatStatus;
use crate::db::schema::{orgs, users};
use crate::db::{AnyConnection, Backend};
use crate::error::ApiError;
use crate::stats::periods;
use crate::stats::query::{Basis, Dim, TurnoverQuery};
use crate::taxonomy;

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

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub contracts: i64,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
}

impl Totals {
    /// Adds one group's sums; an overflow of i64 is an error, not a wrap.
    fn add(&mut self, r: &RawRow) -> Result<(), ApiError> {
        let overflow = || ApiError::internal(anyhow::anyhow!("turnover sum overflows i64"));
        self.contracts = self
            .contracts
            .checked_add(r.contracts)
            .ok_or_else(overflow)?;
        self.amount_fen = self
            .amount_fen
            .checked_add(r.amount_fen)
            .ok_or_else(overflow)?;
        self.tech_amount_fen = self
            .tech_amount_fen
            .checked_add(r.tech_amount_fen)
            .ok_or_else(overflow)?;
        Ok(())
    }
}

/// The groups and totals `q` asks for, exact to the fen.
pub fn turnover(
    conn: &mut AnyConnection,
    backend: Backend,
    q: &TurnoverQuery,
) -> Result<(Vec<Row>, Totals), ApiError> {
    let sql = match rollup_dim(q) {
        Some(dim) => rollup_sql(q, dim),
        None => scan_sql(q, backend),
    };
    let raw: Vec<RawRow> = diesel::sql_query(sql).load(conn)?;
    let labels = Labels::load(conn, &q.group_by, &raw)?;
    let mut totals = Totals::default();
    let mut rows = Vec::with_capacity(raw.len());
    for r in raw.into_iter().filter(|r| r.contracts != 0) {
        totals.add(&r)?;
        if !q.group_by.is_empty() {
            rows.push(labels.row(&q.group_by, r));
        }
    }
    Ok((periods::fill(q, rows)?, totals))
}

/// The statistical statuses that count, as an SQL list.
///
/// What each contract counts is kept with it (`stat_*`): the registry's verified figures
/// once registered, the current ones while only confirmed, nothing before both parties
/// confirmed. Only registered contracts have a registration date that counts.
fn counted_statuses(q: &TurnoverQuery) -> String {
    let registered = StatStatus::Registered.as_str();
    match (q.basis, q.include_unregistered) {
        (Basis::Registered, _) | (Basis::Signed, false) => format!("('{registered}')"),
        (Basis::Signed, true) => {
            format!("('{registered}', '{}')", StatStatus::Confirmed.as_str())
        }
    }
}

/// The group key: the dimensions' values joined by `|` (`''` when there is no grouping).
fn key_sql(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.collect();
    if parts.is_empty() {
        "''".to_owned()
    } else {
        parts.join(" || '|' || ")
    }
}

/// A text-valued SQL expression for `dim` over `date` (a date column). Only fixed column
/// names go in: nothing here comes from the request.
fn scan_key(dim: Dim, backend: Backend, date: &str) -> String {
    let pg = backend == Backend::Postgres;
    match dim {
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

/// The answer aggregated from the `contracts` table itself.
fn scan_sql(q: &TurnoverQuery, backend: Backend) -> String {
    let date = q.basis.date_column();
    let key = key_sql(q.group_by.iter().map(|d| scan_key(*d, backend, date)));
    let mut filters = vec![
        format!("stat_status IN {}", counted_statuses(q)),
        format!("{date} IS NOT NULL"),
    ];
    // Dates were parsed as dates, so their text form is safe to inline.
    if let Some(f) = q.from {
        filters.push(format!("{date} >= '{f}'"));
    }
    if let Some(t) = q.to {
        filters.push(format!("{date} <= '{t}'"));
    }
    format!(
        "SELECT {key} AS key, CAST(COUNT(*) AS BIGINT) AS contracts, \
         CAST(COALESCE(SUM(stat_amount_fen), 0) AS BIGINT) AS amount_fen, \
         CAST(COALESCE(SUM(stat_tech_amount_fen), 0) AS BIGINT) AS tech_amount_fen \
         FROM contracts WHERE {} GROUP BY 1 ORDER BY 1",
        filters.join(" AND ")
    )
}

/// The rollup that answers `q`, if one does: time dimensions plus at most one rolled-up
/// dimension, over whole months. `""` names the rollup without a dimension.
pub(crate) fn rollup_dim(q: &TurnoverQuery) -> Option<&'static str> {
    let whole_months = q.from.is_none_or(|f| f.day() == 1)
        && q.to
            .is_none_or(|t| t.succ_opt().is_none_or(|n| n.day() == 1));
    let others: Vec<Dim> = q
        .group_by
        .iter()
        .copied()
        .filter(|d| !d.is_time())
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

/// A text-valued SQL expression for `dim` over a rollup row (`month` is `YYYY-MM`).
fn rollup_key(dim: Dim) -> String {
    match dim {
        Dim::Year => "substr(month, 1, 4)".to_owned(),
        Dim::Quarter => "substr(month, 1, 4) || '-Q' || CAST((CAST(substr(month, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)".to_owned(),
        Dim::Month => "month".to_owned(),
        _ => "value".to_owned(),
    }
}

/// The same answer as the scan, read from the monthly rollups of `dim`.
fn rollup_sql(q: &TurnoverQuery, dim: &str) -> String {
    let key = key_sql(q.group_by.iter().map(|d| rollup_key(*d)));
    let mut filters = vec![
        format!("basis = '{}'", q.basis.name()),
        format!("dim = '{dim}'"),
        format!("status IN {}", counted_statuses(q)),
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
        // Only groupings by org or broker have names to look up: the others skip the
        // queries (two per request on the turnover hot path before).
        let org_ids = ids(Dim::SellerOrg);
        let orgs: Vec<(i64, String)> = match org_ids.is_empty() {
            true => vec![],
            false => orgs::table
                .filter(orgs::id.eq_any(org_ids))
                .select((orgs::id, orgs::name))
                .load(conn)?,
        };
        let broker_ids = ids(Dim::Broker);
        let brokers: Vec<(i64, String)> = match broker_ids.is_empty() {
            true => vec![],
            false => users::table
                .filter(users::id.eq_any(broker_ids))
                .select((users::id, users::name))
                .load(conn)?,
        };
        let by_id = |pairs: Vec<(i64, String)>| -> HashMap<String, String> {
            pairs
                .into_iter()
                .map(|(id, n)| (id.to_string(), n))
                .collect()
        };
        Ok(Labels {
            orgs: by_id(orgs),
            brokers: by_id(brokers),
        })
    }

    /// The group `r` with its keys split and labelled.
    fn row(&self, dims: &[Dim], r: RawRow) -> Row {
        let keys: Vec<String> = r.key.split('|').map(str::to_owned).collect();
        let labels = dims
            .iter()
            .zip(&keys)
            .map(|(d, k)| self.label(*d, k))
            .collect();
        Row {
            keys,
            labels,
            contracts: r.contracts,
            amount_fen: r.amount_fen,
            tech_amount_fen: r.tech_amount_fen,
        }
    }

    fn label(&self, dim: Dim, key: &str) -> String {
        let vocab = |v: taxonomy::Vocabulary| v.label(key);
        let named = |names: &HashMap<String, String>| {
            names.get(key).cloned().unwrap_or_else(|| key.to_owned())
        };
        match dim {
            Dim::Year | Dim::Quarter | Dim::Month => {
                periods::time_label(dim, key).unwrap_or_else(|| key.to_owned())
            }
            Dim::SellerRegion | Dim::BuyerRegion => vocab(taxonomy::REGIONS),
            Dim::Chain => vocab(taxonomy::CHAINS),
            Dim::Field => vocab(taxonomy::FIELDS),
            Dim::Kind => vocab(taxonomy::CONTRACT_KINDS),
            Dim::SellerKind => vocab(taxonomy::ORG_KINDS),
            Dim::SellerOrg => named(&self.orgs),
            Dim::Broker if key.is_empty() => {
                crate::error::i18n::pick("无经纪人", "no broker").into()
            }
            Dim::Broker => named(&self.brokers),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn rollups_answer_time_plus_one_dimension_over_whole_months() {
        let q = |group_by: Vec<Dim>, from: Option<&str>, to: Option<&str>| TurnoverQuery {
            group_by,
            from: from.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            to: to.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            basis: Basis::Signed,
            include_unregistered: false,
            compare: vec![],
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
}
