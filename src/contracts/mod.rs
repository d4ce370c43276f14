//! Technology contracts (技术合同): recorded once (an `Idempotency-Key` makes retries safe),
//! never overwritten: corrections are amendment rows and every figure is the signed amount
//! plus its amendments, kept as `total_*` in the same transaction. Registration (认定登记)
//! is an admin's decision.

pub mod handlers;
pub mod rollups;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{contract_amendments, contracts};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: i64,
    pub registration_no: String,
    pub kind: String,
    pub sub_kind: Option<String>,
    pub seller_org_id: i64,
    pub buyer_org_id: i64,
    pub seller_region: String,
    pub buyer_region: String,
    pub seller_kind: String,
    pub deal_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub broker_id: Option<i64>,
    pub signed_on: NaiveDate,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub total_amount_fen: i64,
    pub total_tech_amount_fen: i64,
    pub chain: String,
    pub field: String,
    pub registration_status: String,
    pub registered_on: Option<NaiveDate>,
    pub registration_comment: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contract_amendments)]
pub struct AmendmentRow {
    pub id: i64,
    pub contract_id: i64,
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AmendmentView {
    pub id: i64,
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

/// A contract as the API shows it: `amount_fen`/`tech_amount_fen` are the current figures
/// (signed + amendments); the signed ones are kept beside them.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContractView {
    pub id: i64,
    pub registration_no: String,
    pub kind: String,
    pub sub_kind: Option<String>,
    pub seller_org_id: i64,
    pub buyer_org_id: i64,
    pub seller_region: String,
    pub buyer_region: String,
    pub seller_kind: String,
    pub deal_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub broker_id: Option<i64>,
    pub signed_on: NaiveDate,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub signed_amount_fen: i64,
    pub signed_tech_amount_fen: i64,
    pub chain: String,
    pub field: String,
    pub registration_status: String,
    pub registered_on: Option<NaiveDate>,
    pub registration_comment: Option<String>,
    pub amendments: Vec<AmendmentView>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<ContractRow>> {
    contracts::table
        .find(id)
        .select(ContractRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_registration_no(conn: &mut AnyConnection, no: &str) -> QueryResult<Option<i64>> {
    contracts::table
        .filter(contracts::registration_no.eq(no))
        .select(contracts::id)
        .first(conn)
        .optional()
}

pub fn view(conn: &mut AnyConnection, r: ContractRow) -> QueryResult<ContractView> {
    views(conn, vec![r])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// The views of several contracts in two queries, whatever their number.
pub fn views(conn: &mut AnyConnection, rows: Vec<ContractRow>) -> QueryResult<Vec<ContractView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut amendments: HashMap<i64, Vec<AmendmentView>> = HashMap::new();
    for a in contract_amendments::table
        .filter(contract_amendments::contract_id.eq_any(&ids))
        .order((
            contract_amendments::contract_id.asc(),
            contract_amendments::id.asc(),
        ))
        .select(AmendmentRow::as_select())
        .load(conn)?
    {
        amendments
            .entry(a.contract_id)
            .or_default()
            .push(AmendmentView {
                id: a.id,
                amount_delta_fen: a.amount_delta_fen,
                tech_amount_delta_fen: a.tech_amount_delta_fen,
                reason: a.reason,
                created_by: a.created_by,
                created_at: a.created_at.and_utc(),
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let amendments = amendments.remove(&r.id).unwrap_or_default();
            view_of(r, amendments)
        })
        .collect())
}

fn view_of(r: ContractRow, amendments: Vec<AmendmentView>) -> ContractView {
    ContractView {
        id: r.id,
        registration_no: r.registration_no,
        kind: r.kind,
        sub_kind: r.sub_kind,
        seller_org_id: r.seller_org_id,
        buyer_org_id: r.buyer_org_id,
        seller_region: r.seller_region,
        buyer_region: r.buyer_region,
        seller_kind: r.seller_kind,
        deal_id: r.deal_id,
        achievement_id: r.achievement_id,
        demand_id: r.demand_id,
        broker_id: r.broker_id,
        signed_on: r.signed_on,
        amount_fen: r.total_amount_fen,
        tech_amount_fen: r.total_tech_amount_fen,
        signed_amount_fen: r.amount_fen,
        signed_tech_amount_fen: r.tech_amount_fen,
        chain: r.chain,
        field: r.field,
        registration_status: r.registration_status,
        registered_on: r.registered_on,
        registration_comment: r.registration_comment,
        amendments,
        created_by: r.created_by,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

/// Whose contracts a list shows, as the policy decided.
#[derive(Debug, Clone, Copy)]
pub enum ContractScope {
    All,
    /// A broker: the contracts it brokered, and those its own org is a party to.
    Broker {
        user_id: i64,
        org_id: i64,
    },
    Org(i64),
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractQuery {
    pub kind: Option<String>,
    pub registration_status: Option<String>,
    pub seller_org_id: Option<i64>,
    pub buyer_org_id: Option<i64>,
    /// Seller or buyer region.
    pub region: Option<String>,
    pub chain: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub signed_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub signed_to: Option<NaiveDate>,
    pub broker_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn list(
    conn: &mut AnyConnection,
    scope: ContractScope,
    q: &ContractQuery,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ContractView>, i64)> {
    let query = || {
        let mut b = contracts::table.into_boxed();
        match scope {
            ContractScope::All => {}
            ContractScope::Broker { user_id, org_id } => {
                b = b.filter(
                    contracts::broker_id
                        .eq(user_id)
                        .or(contracts::seller_org_id.eq(org_id))
                        .or(contracts::buyer_org_id.eq(org_id)),
                )
            }
            ContractScope::Org(org) => {
                b = b.filter(
                    contracts::seller_org_id
                        .eq(org)
                        .or(contracts::buyer_org_id.eq(org)),
                )
            }
        }
        if let Some(v) = &q.kind {
            b = b.filter(contracts::kind.eq(v.clone()));
        }
        if let Some(v) = &q.registration_status {
            b = b.filter(contracts::registration_status.eq(v.clone()));
        }
        if let Some(v) = q.seller_org_id {
            b = b.filter(contracts::seller_org_id.eq(v));
        }
        if let Some(v) = q.buyer_org_id {
            b = b.filter(contracts::buyer_org_id.eq(v));
        }
        if let Some(v) = &q.region {
            b = b.filter(
                contracts::seller_region
                    .eq(v.clone())
                    .or(contracts::buyer_region.eq(v.clone())),
            );
        }
        if let Some(v) = &q.chain {
            b = b.filter(contracts::chain.eq(v.clone()));
        }
        if let Some(v) = q.signed_from {
            b = b.filter(contracts::signed_on.ge(v));
        }
        if let Some(v) = q.signed_to {
            b = b.filter(contracts::signed_on.le(v));
        }
        if let Some(v) = q.broker_id {
            b = b.filter(contracts::broker_id.eq(v));
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<ContractRow> = query()
        .order((contracts::signed_on.desc(), contracts::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(ContractRow::as_select())
        .load(conn)?;
    Ok((views(conn, rows)?, total))
}
