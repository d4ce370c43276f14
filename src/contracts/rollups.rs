//! Monthly turnover rollups per single dimension, maintained in the same transaction as
//! every contract change (subtracting what a contract counted before and adding what it
//! counts now, under its row lock), so the common statistics never scan the contracts. They can be
//! rebuilt from the contracts at any time ([`rebuild`]).

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::contracts::model::{ContractRow, StatStatus};
use crate::db::AnyConnection;
use crate::db::schema::{contracts, turnover_rollups};

/// The dimensions with rollups, and the contract column each reads.
pub const DIMS: [(&str, &str); 8] = [
    ("seller_region", "seller_region"),
    ("buyer_region", "buyer_region"),
    ("chain", "chain"),
    ("field", "field"),
    ("kind", "kind"),
    ("seller_kind", "seller_kind"),
    ("seller_org", "CAST(seller_org_id AS TEXT)"),
    ("broker", "COALESCE(CAST(broker_id AS TEXT), '')"),
];

pub fn month(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

const UPSERT_TAIL: &str = " ON CONFLICT (basis, dim, status, month, value) DO UPDATE SET \
     contracts = turnover_rollups.contracts + excluded.contracts, \
     amount_fen = turnover_rollups.amount_fen + excluded.amount_fen, \
     tech_amount_fen = turnover_rollups.tech_amount_fen + excluded.tech_amount_fen";

/// Changes to rollup rows, keyed by (basis, month, status, dim, value), applied in key
/// order so that concurrent transactions on PostgreSQL take row locks in the same order
/// and never deadlock.
/// (basis, month, status, dim, value) of a rollup row.
type Key = (String, String, String, String, String);

#[derive(Debug, Default)]
pub struct Deltas(std::collections::BTreeMap<Key, (i64, i64, i64)>);

impl Deltas {
    /// Adds (`sign` 1) or removes (`sign` -1) what statistics count for a contract, as
    /// stored with its row, to the total and every dimension: under the signing month, and
    /// under the registration month when it counts as registered.
    pub fn count(&mut self, c: &ContractRow, sign: i64) -> QueryResult<()> {
        let counted = c.counted_stored()?;
        if counted.status == StatStatus::NotCounted {
            return Ok(());
        }
        let sums = (
            sign,
            sign * counted.amount_fen,
            sign * counted.tech_amount_fen,
        );
        let status = counted.status.as_str();
        self.add(c, "signed", c.signed_on, status, sums);
        if let (StatStatus::Registered, Some(on)) = (counted.status, c.registered_on) {
            self.add(c, "registered", on, status, sums);
        }
        Ok(())
    }

    fn add(
        &mut self,
        c: &ContractRow,
        basis: &str,
        date: NaiveDate,
        status: &str,
        sums: (i64, i64, i64),
    ) {
        let m = month(date);
        let seller_org = c.seller_org_id.to_string();
        let broker = c.broker_id.map(|b| b.to_string()).unwrap_or_default();
        let values = [
            ("", ""),
            ("seller_region", c.seller_region.as_str()),
            ("buyer_region", c.buyer_region.as_str()),
            ("chain", c.chain.as_str()),
            ("field", c.field.as_str()),
            ("kind", c.kind.as_str()),
            ("seller_kind", c.seller_kind.as_str()),
            ("seller_org", seller_org.as_str()),
            ("broker", broker.as_str()),
        ];
        for (dim, value) in values {
            let key = (
                basis.to_owned(),
                m.clone(),
                status.to_owned(),
                dim.to_owned(),
                value.to_owned(),
            );
            let e = self.0.entry(key).or_default();
            *e = (e.0 + sums.0, e.1 + sums.1, e.2 + sums.2);
        }
    }

    /// Writes the changes, in key order, skipping those that cancel out.
    pub fn apply(self, conn: &mut AnyConnection) -> QueryResult<()> {
        for ((basis, month, status, dim, value), sums) in self.0 {
            if sums != (0, 0, 0) {
                add_raw(conn, &basis, &month, &status, &dim, &value, sums)?;
            }
        }
        Ok(())
    }
}

/// Adds to one rollup row, creating it if needed.
pub fn add_raw(
    conn: &mut AnyConnection,
    basis: &str,
    month: &str,
    status: &str,
    dim: &str,
    value: &str,
    (count, amount, tech): (i64, i64, i64),
) -> QueryResult<()> {
    // Placeholders differ by backend, so the statement runs on the concrete connection.
    macro_rules! upsert {
        ($conn:expr, $placeholders:literal) => {
            diesel::sql_query(format!(
                "INSERT INTO turnover_rollups (basis, month, status, dim, value, contracts, \
                 amount_fen, tech_amount_fen) VALUES {}{UPSERT_TAIL}",
                $placeholders
            ))
            .bind::<Text, _>(basis)
            .bind::<Text, _>(month)
            .bind::<Text, _>(status)
            .bind::<Text, _>(dim)
            .bind::<Text, _>(value)
            .bind::<BigInt, _>(count)
            .bind::<BigInt, _>(amount)
            .bind::<BigInt, _>(tech)
            .execute($conn)?
        };
    }
    match conn {
        AnyConnection::Postgresql(pg) => upsert!(pg, "($1, $2, $3, $4, $5, $6, $7, $8)"),
        AnyConnection::Sqlite(sq) => upsert!(sq, "(?, ?, ?, ?, ?, ?, ?, ?)"),
    };
    Ok(())
}

/// Recomputes every rollup from the contracts (after bulk loads, or if they were lost).
pub fn rebuild(conn: &mut AnyConnection) -> QueryResult<()> {
    let pg = matches!(conn, AnyConnection::Postgresql(_));
    let month_of = |col: &str| {
        if pg {
            format!("to_char({col}, 'YYYY-MM')")
        } else {
            format!("strftime('%Y-%m', {col})")
        }
    };
    let mut sql = String::from("DELETE FROM turnover_rollups;\n");
    let mut dims: Vec<(&str, String)> = vec![("", "''".to_owned())];
    dims.extend(DIMS.iter().map(|(d, col)| (*d, (*col).to_owned())));
    for (basis, date, filter) in [
        ("signed", "signed_on", " WHERE stat_status <> 'none'"),
        (
            "registered",
            "registered_on",
            " WHERE stat_status = 'registered' AND registered_on IS NOT NULL",
        ),
    ] {
        for (dim, col) in &dims {
            sql.push_str(&format!(
                "INSERT INTO turnover_rollups (basis, month, status, dim, value, contracts, amount_fen, tech_amount_fen) \
                 SELECT '{basis}', {m}, stat_status, '{dim}', {col}, COUNT(*), SUM(stat_amount_fen), SUM(stat_tech_amount_fen) \
                 FROM contracts{filter} GROUP BY {m}, stat_status{group};\n",
                m = month_of(date),
                // The total has no column to group by (PostgreSQL refuses a constant).
                group = if dim.is_empty() { String::new() } else { format!(", {col}") },
            ));
        }
    }
    conn.batch_execute(&sql)
}

/// Rebuilds when the rollups are empty but contracts exist (e.g. after an upgrade).
pub fn ensure(conn: &mut AnyConnection) -> QueryResult<bool> {
    let rollups: i64 = turnover_rollups::table.count().get_result(conn)?;
    if rollups > 0 {
        return Ok(false);
    }
    let any: i64 = contracts::table.count().get_result(conn)?;
    if any == 0 {
        return Ok(false);
    }
    rebuild(conn)?;
    Ok(true)
}
