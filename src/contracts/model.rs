//! Contract rows, their typed states, the registry's places, and the queries that
//! read one contract.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{contract_amendments, contracts};
use crate::states::code_enum;

/// Most one contract may be worth: 10^13 fen (1,000亿元). Sums stay exact in i64 up to
/// 922,337 contracts at this bound in one group, far beyond a province's year.
pub const MAX_CONTRACT_FEN: i64 = 10_000_000_000_000;

code_enum!(
    /// Whether both parties stand behind a contract (or an amendment).
    Consent, "consent" {
        AwaitingSeller => "awaiting_seller",
        AwaitingBuyer => "awaiting_buyer",
        AwaitingBoth => "awaiting_both",
        Confirmed => "confirmed",
        Declined => "declined",
    }
);

code_enum!(
    /// Registration (认定登记) by the exchange acting as the registry.
    RegistrationStatus, "registration status" {
        NotSubmitted => "not_submitted",
        Submitted => "submitted",
        Registered => "registered",
        NotRegistered => "not_registered",
    }
);

code_enum!(
    /// How statistics count a contract: not at all, as confirmed (with its current
    /// figures), or as registered (with the figures the registry last verified).
    StatStatus, "statistical status" {
        NotCounted => "none",
        Confirmed => "confirmed",
        Registered => "registered",
    }
);

/// One party of a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Seller,
    Buyer,
}

/// The party side a user records or proposes for: a party org's own users stand for their
/// side (it counts as confirmed); staff and brokers stand for neither.
pub fn acting_side(
    role: crate::accounts::model::Role,
    org_id: i64,
    seller_org: i64,
    buyer_org: i64,
) -> Option<Side> {
    use crate::accounts::model::Role;
    match role {
        Role::Admin | Role::Statistician | Role::Broker => None,
        Role::University | Role::Enterprise if org_id == seller_org => Some(Side::Seller),
        Role::University | Role::Enterprise if org_id == buyer_org => Some(Side::Buyer),
        Role::University | Role::Enterprise => None,
    }
}

impl Consent {
    /// The consent of a new record: the recorder's own side counts as confirmed.
    pub fn initial(recorder_side: Option<Side>) -> Consent {
        match recorder_side {
            Some(Side::Seller) => Consent::AwaitingBuyer,
            Some(Side::Buyer) => Consent::AwaitingSeller,
            None => Consent::AwaitingBoth,
        }
    }

    pub fn awaits(self, side: Side) -> bool {
        matches!(
            (self, side),
            (Consent::AwaitingBoth, _)
                | (Consent::AwaitingSeller, Side::Seller)
                | (Consent::AwaitingBuyer, Side::Buyer)
        )
    }

    /// The consent after `side` confirms, if it was awaited.
    pub fn confirmed_by(self, side: Side) -> Option<Consent> {
        match (self, side) {
            (Consent::AwaitingBoth, Side::Seller) => Some(Consent::AwaitingBuyer),
            (Consent::AwaitingBoth, Side::Buyer) => Some(Consent::AwaitingSeller),
            (Consent::AwaitingSeller, Side::Seller) | (Consent::AwaitingBuyer, Side::Buyer) => {
                Some(Consent::Confirmed)
            }
            _ => None,
        }
    }

    pub fn is_pending(self) -> bool {
        !matches!(self, Consent::Confirmed | Consent::Declined)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: i64,
    pub registration_no: Option<String>,
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
    pub consent: String,
    pub seller_confirmed_by: Option<i64>,
    pub seller_confirmed_at: Option<NaiveDateTime>,
    pub buyer_confirmed_by: Option<i64>,
    pub buyer_confirmed_at: Option<NaiveDateTime>,
    pub declined_by: Option<i64>,
    pub declined_at: Option<NaiveDateTime>,
    pub decline_reason: Option<String>,
    pub registration_requested_by: Option<i64>,
    pub registration_requested_at: Option<NaiveDateTime>,
    pub registered_by: Option<i64>,
    pub verified_amount_fen: Option<i64>,
    pub verified_tech_amount_fen: Option<i64>,
    pub stat_status: String,
    pub stat_amount_fen: i64,
    pub stat_tech_amount_fen: i64,
    pub offering_id: Option<i64>,
}

/// What statistics count for a contract: its status and the two amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub status: StatStatus,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
}

impl ContractRow {
    pub fn consent(&self) -> QueryResult<Consent> {
        Consent::read(&self.consent)
    }

    pub fn registration(&self) -> QueryResult<RegistrationStatus> {
        RegistrationStatus::read(&self.registration_status)
    }

    /// The side of `org_id` in this contract, if it is a party.
    pub fn side_of(&self, org_id: i64) -> Option<Side> {
        if org_id == self.seller_org_id {
            Some(Side::Seller)
        } else if org_id == self.buyer_org_id {
            Some(Side::Buyer)
        } else {
            None
        }
    }

    pub fn party(&self, side: Side) -> i64 {
        match side {
            Side::Seller => self.seller_org_id,
            Side::Buyer => self.buyer_org_id,
        }
    }

    /// What statistics count, from the contract's state: nothing until both parties
    /// confirmed; the registry's last verified figures once it registered the contract
    /// (kept while an amendment awaits verification again); the current figures otherwise.
    pub fn counted_now(&self) -> QueryResult<Counted> {
        if self.consent()? != Consent::Confirmed {
            return Ok(Counted {
                status: StatStatus::NotCounted,
                amount_fen: 0,
                tech_amount_fen: 0,
            });
        }
        Ok(
            match (self.verified_amount_fen, self.verified_tech_amount_fen) {
                (Some(amount), Some(tech)) => Counted {
                    status: StatStatus::Registered,
                    amount_fen: amount,
                    tech_amount_fen: tech,
                },
                _ => Counted {
                    status: StatStatus::Confirmed,
                    amount_fen: self.total_amount_fen,
                    tech_amount_fen: self.total_tech_amount_fen,
                },
            },
        )
    }

    /// What statistics count as stored with the row (and in the rollups).
    pub fn counted_stored(&self) -> QueryResult<Counted> {
        Ok(Counted {
            status: StatStatus::read(&self.stat_status)?,
            amount_fen: self.stat_amount_fen,
            tech_amount_fen: self.stat_tech_amount_fen,
        })
    }
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
    pub consent: String,
    pub seller_confirmed_by: Option<i64>,
    pub seller_confirmed_at: Option<NaiveDateTime>,
    pub buyer_confirmed_by: Option<i64>,
    pub buyer_confirmed_at: Option<NaiveDateTime>,
    pub declined_by: Option<i64>,
    pub declined_at: Option<NaiveDateTime>,
    pub decline_reason: Option<String>,
}

impl AmendmentRow {
    pub fn consent(&self) -> QueryResult<Consent> {
        Consent::read(&self.consent)
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<ContractRow>> {
    contracts::table
        .find(id)
        .select(ContractRow::as_select())
        .first(conn)
        .optional()
}

/// The contract, locked for the rest of the transaction on PostgreSQL, so concurrent
/// confirmations, amendments and registrations of one contract run one after the other
/// (SQLite writers are serialised already).
pub fn find_locked(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<ContractRow>> {
    if let AnyConnection::Postgresql(c) = conn {
        let found = contracts::table
            .find(id)
            .select(contracts::id)
            .for_update()
            .first::<i64>(c)
            .optional()?;
        if found.is_none() {
            return Ok(None);
        }
    }
    find(conn, id)
}

pub fn find_amendment(
    conn: &mut AnyConnection,
    contract_id: i64,
    id: i64,
) -> QueryResult<Option<AmendmentRow>> {
    contract_amendments::table
        .find(id)
        .filter(contract_amendments::contract_id.eq(contract_id))
        .select(AmendmentRow::as_select())
        .first(conn)
        .optional()
}

/// Where a contract stands with this registry: `local` (the seller is in its jurisdiction,
/// so it registers here), `absorbed` (吸纳: the seller is elsewhere, the buyer here), or
/// `outside` (neither party here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    Local,
    Absorbed,
    Outside,
}

/// The registry's view of places: which seller regions it registers.
#[derive(Debug, Clone)]
pub struct Registry {
    pub point: String,
    pub jurisdiction: Vec<String>,
}

impl Registry {
    pub fn from_settings(s: &crate::config::Settings) -> Registry {
        Registry {
            point: s.registry_point.clone(),
            jurisdiction: s.registry_jurisdiction.clone(),
        }
    }

    pub fn covers(&self, region: &str) -> bool {
        self.jurisdiction
            .iter()
            .any(|p| region.starts_with(p.as_str()))
    }

    pub fn jurisdiction_of(&self, seller_region: &str, buyer_region: &str) -> Jurisdiction {
        if self.covers(seller_region) {
            Jurisdiction::Local
        } else if self.covers(buyer_region) {
            Jurisdiction::Absorbed
        } else {
            Jurisdiction::Outside
        }
    }
}

/// The achievements among `ids` that converted: a transfer (including 作价投资, equity)
/// or licensing contract for them was confirmed by both parties.
pub fn converted_achievements(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashSet<i64>> {
    // The last date both databases store and compare as `YYYY-MM-DD` text or a date.
    let any_day = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    converted_achievements_by(conn, ids, any_day)
}

/// The achievements among `ids` that had converted by the end of day `by`: as
/// [`converted_achievements`], counting contracts signed on or before `by`.
pub fn converted_achievements_by(
    conn: &mut AnyConnection,
    ids: &[i64],
    by: NaiveDate,
) -> QueryResult<HashSet<i64>> {
    let rows: Vec<Option<i64>> = contracts::table
        .filter(contracts::achievement_id.eq_any(ids))
        .filter(contracts::consent.eq(Consent::Confirmed.as_str()))
        .filter(contracts::kind.eq_any(CONVERTING_KINDS))
        .filter(contracts::signed_on.le(by))
        .select(contracts::achievement_id)
        .distinct()
        .load(conn)?;
    Ok(rows.into_iter().flatten().collect())
}

/// Contract kinds that convert an achievement (equity is a `transfer` of sub-kind `equity`).
pub const CONVERTING_KINDS: [&str; 2] = ["transfer", "licensing"];
