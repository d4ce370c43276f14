//! Contract rows, their typed states, the API views and the queries of this slice.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{contract_amendments, contracts};

/// Most one contract may be worth: 10^13 fen (1,000亿元). Sums stay exact in i64 up to
/// 922,337 contracts at this bound in one group, far beyond a province's year.
pub const MAX_CONTRACT_FEN: i64 = 10_000_000_000_000;

/// A stored state that does not parse is a broken row, never silently a default.
fn unknown(what: &str, value: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("unknown {what} {value:?}").into())
}

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),* }

        /// Serialised as its stored code, so the API, the database and the taxonomy
        /// share one spelling.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("unknown {} {raw:?}", $what)))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            pub fn read(s: &str) -> QueryResult<$name> {
                Self::parse(s).ok_or_else(|| unknown($what, s))
            }
        }
    };
}

state_enum!(
    /// Whether both parties stand behind a contract (or an amendment).
    Consent, "consent" {
        AwaitingSeller => "awaiting_seller",
        AwaitingBuyer => "awaiting_buyer",
        AwaitingBoth => "awaiting_both",
        Confirmed => "confirmed",
        Declined => "declined",
    }
);

state_enum!(
    /// Registration (认定登记) by the exchange acting as the registry.
    RegistrationStatus, "registration status" {
        NotSubmitted => "not_submitted",
        Submitted => "submitted",
        Registered => "registered",
        NotRegistered => "not_registered",
    }
);

state_enum!(
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

/// One side's confirmation: who and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Confirmation {
    pub user_id: i64,
    pub at: DateTime<chrono::Utc>,
}

/// A decline: who, when, why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decline {
    pub user_id: i64,
    pub at: DateTime<chrono::Utc>,
    pub reason: String,
}

/// The consent of a record as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentView {
    pub seller_confirmation: Option<Confirmation>,
    pub buyer_confirmation: Option<Confirmation>,
    pub declined: Option<Decline>,
}

fn confirmation(by: Option<i64>, at: Option<NaiveDateTime>) -> Option<Confirmation> {
    Some(Confirmation {
        user_id: by?,
        at: at?.and_utc(),
    })
}

fn consent_view(
    seller: (Option<i64>, Option<NaiveDateTime>),
    buyer: (Option<i64>, Option<NaiveDateTime>),
    declined: (Option<i64>, Option<NaiveDateTime>, Option<String>),
) -> ConsentView {
    ConsentView {
        seller_confirmation: confirmation(seller.0, seller.1),
        buyer_confirmation: confirmation(buyer.0, buyer.1),
        declined: match declined {
            (Some(user_id), Some(at), reason) => Some(Decline {
                user_id,
                at: at.and_utc(),
                reason: reason.unwrap_or_default(),
            }),
            _ => None,
        },
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AmendmentView {
    pub id: i64,
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
    pub consent: Consent,
    #[serde(flatten)]
    pub consent_detail: ConsentView,
    pub created_by: i64,
    pub created_at: DateTime<chrono::Utc>,
}

impl AmendmentRow {
    pub fn consent(&self) -> QueryResult<Consent> {
        Consent::read(&self.consent)
    }

    fn view(self) -> QueryResult<AmendmentView> {
        Ok(AmendmentView {
            id: self.id,
            amount_delta_fen: self.amount_delta_fen,
            tech_amount_delta_fen: self.tech_amount_delta_fen,
            consent: self.consent()?,
            consent_detail: consent_view(
                (self.seller_confirmed_by, self.seller_confirmed_at),
                (self.buyer_confirmed_by, self.buyer_confirmed_at),
                (self.declined_by, self.declined_at, self.decline_reason),
            ),
            reason: self.reason,
            created_by: self.created_by,
            created_at: self.created_at.and_utc(),
        })
    }
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

/// What statistics count for a contract, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountedView {
    /// `none` (not confirmed by both parties), `confirmed` or `registered`.
    pub status: StatStatus,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
}

/// A contract as the API shows it: `amount_fen`/`tech_amount_fen` are the current figures
/// (signed + confirmed amendments); the signed ones are kept beside them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractView {
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
    pub signed_amount_fen: i64,
    pub signed_tech_amount_fen: i64,
    pub chain: String,
    pub field: String,
    pub consent: Consent,
    #[serde(flatten)]
    pub consent_detail: ConsentView,
    pub registration_status: RegistrationStatus,
    pub registration_requested_at: Option<DateTime<chrono::Utc>>,
    pub registered_on: Option<NaiveDate>,
    pub registration_comment: Option<String>,
    pub verified_amount_fen: Option<i64>,
    pub verified_tech_amount_fen: Option<i64>,
    pub jurisdiction: Jurisdiction,
    /// What the turnover statistics count for this contract now.
    pub counted: CountedView,
    pub amendments: Vec<AmendmentView>,
    pub created_by: i64,
    pub created_at: DateTime<chrono::Utc>,
    pub updated_at: DateTime<chrono::Utc>,
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

pub fn view(conn: &mut AnyConnection, reg: &Registry, r: ContractRow) -> QueryResult<ContractView> {
    views(conn, reg, vec![r])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// The views of several contracts in two queries, whatever their number.
pub fn views(
    conn: &mut AnyConnection,
    reg: &Registry,
    rows: Vec<ContractRow>,
) -> QueryResult<Vec<ContractView>> {
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
        amendments.entry(a.contract_id).or_default().push(a.view()?);
    }
    rows.into_iter()
        .map(|r| {
            let amendments = amendments.remove(&r.id).unwrap_or_default();
            view_of(r, reg, amendments)
        })
        .collect()
}

fn view_of(
    r: ContractRow,
    reg: &Registry,
    amendments: Vec<AmendmentView>,
) -> QueryResult<ContractView> {
    let counted = r.counted_stored()?;
    Ok(ContractView {
        consent: r.consent()?,
        registration_status: r.registration()?,
        jurisdiction: reg.jurisdiction_of(&r.seller_region, &r.buyer_region),
        consent_detail: consent_view(
            (r.seller_confirmed_by, r.seller_confirmed_at),
            (r.buyer_confirmed_by, r.buyer_confirmed_at),
            (r.declined_by, r.declined_at, r.decline_reason),
        ),
        counted: CountedView {
            status: counted.status,
            amount_fen: counted.amount_fen,
            tech_amount_fen: counted.tech_amount_fen,
        },
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
        registration_requested_at: r.registration_requested_at.map(|t| t.and_utc()),
        registered_on: r.registered_on,
        registration_comment: r.registration_comment,
        verified_amount_fen: r.verified_amount_fen,
        verified_tech_amount_fen: r.verified_tech_amount_fen,
        amendments,
        created_by: r.created_by,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    })
}

/// The achievements among `ids` that converted: a transfer (including 作价投资, equity)
/// or licensing contract for them was confirmed by both parties.
pub fn converted_achievements(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashSet<i64>> {
    let rows: Vec<Option<i64>> = contracts::table
        .filter(contracts::achievement_id.eq_any(ids))
        .filter(contracts::consent.eq(Consent::Confirmed.as_str()))
        .filter(contracts::kind.eq_any(CONVERTING_KINDS))
        .select(contracts::achievement_id)
        .distinct()
        .load(conn)?;
    Ok(rows.into_iter().flatten().collect())
}

/// Contract kinds that convert an achievement (equity is a `transfer` of sub-kind `equity`).
pub const CONVERTING_KINDS: [&str; 2] = ["transfer", "licensing"];

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
    /// A consent state, or `awaiting_me`: contracts waiting for the caller's org.
    pub consent: Option<String>,
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

/// The consent filter of a list, parsed.
#[derive(Debug, Clone, Copy)]
pub enum ConsentFilter {
    Is(Consent),
    /// Waiting for this org's confirmation.
    AwaitingOrg(i64),
}

type Boxed<'a> = contracts::BoxedQuery<'a, <AnyConnection as diesel::Connection>::Backend>;

fn scoped(mut b: Boxed<'_>, scope: ContractScope) -> Boxed<'_> {
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
    b
}

fn consent_filtered(mut b: Boxed<'_>, consent: Option<ConsentFilter>) -> Boxed<'_> {
    match consent {
        None => {}
        Some(ConsentFilter::Is(c)) => b = b.filter(contracts::consent.eq(c.as_str())),
        Some(ConsentFilter::AwaitingOrg(org)) => {
            let seller = [
                Consent::AwaitingSeller.as_str(),
                Consent::AwaitingBoth.as_str(),
            ];
            let buyer = [
                Consent::AwaitingBuyer.as_str(),
                Consent::AwaitingBoth.as_str(),
            ];
            b = b.filter(
                (contracts::seller_org_id
                    .eq(org)
                    .and(contracts::consent.eq_any(seller)))
                .or(contracts::buyer_org_id
                    .eq(org)
                    .and(contracts::consent.eq_any(buyer))),
            )
        }
    }
    b
}

fn filtered<'a>(mut b: Boxed<'a>, q: &ContractQuery) -> Boxed<'a> {
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
}

pub struct ListArgs<'a> {
    pub scope: ContractScope,
    pub consent: Option<ConsentFilter>,
    pub query: &'a ContractQuery,
    pub offset: i64,
    pub limit: i64,
}

pub fn list(
    conn: &mut AnyConnection,
    reg: &Registry,
    args: ListArgs<'_>,
) -> QueryResult<(Vec<ContractView>, i64)> {
    let query = || {
        let b = scoped(contracts::table.into_boxed(), args.scope);
        filtered(consent_filtered(b, args.consent), args.query)
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<ContractRow> = query()
        .order((contracts::signed_on.desc(), contracts::id.desc()))
        .offset(args.offset)
        .limit(args.limit)
        .select(ContractRow::as_select())
        .load(conn)?;
    Ok((views(conn, reg, rows)?, total))
}
