//! Contracts as the API shows them, and the list query with its scopes and filters.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::names::{self, MemberRef, Names, OrgRef, UserRef};
use crate::auth::policy::Reach;
use crate::contracts::model::{
    AmendmentRow, Consent, ContractRow, Jurisdiction, RegistrationStatus, Registry, StatStatus,
};
use crate::db::AnyConnection;
use crate::db::schema::{contract_amendments, contracts};
use crate::pagination::Pagination;

/// One side's confirmation: who and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Confirmation {
    pub user_id: i64,
    /// Filled in by [`name`].
    #[serde(default)]
    pub user: Option<UserRef>,
    pub at: DateTime<chrono::Utc>,
}

/// A decline: who, when, why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decline {
    pub user_id: i64,
    /// Filled in by [`name`].
    #[serde(default)]
    pub user: Option<UserRef>,
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
        user: None,
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
                user: None,
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
    /// Who proposed it; filled in by [`name`].
    #[serde(default)]
    pub proposed_by: Option<UserRef>,
    pub created_at: DateTime<chrono::Utc>,
}

/// An amendment as the API shows it.
fn amendment_view(a: AmendmentRow) -> QueryResult<AmendmentView> {
    Ok(AmendmentView {
        id: a.id,
        amount_delta_fen: a.amount_delta_fen,
        tech_amount_delta_fen: a.tech_amount_delta_fen,
        consent: a.consent()?,
        consent_detail: consent_view(
            (a.seller_confirmed_by, a.seller_confirmed_at),
            (a.buyer_confirmed_by, a.buyer_confirmed_at),
            (a.declined_by, a.declined_at, a.decline_reason),
        ),
        reason: a.reason,
        created_by: a.created_by,
        proposed_by: None,
        created_at: a.created_at.and_utc(),
    })
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
    /// The parties and the broker by name; filled in by [`name`] (absent from answers
    /// stored for an `Idempotency-Key` before names were shown).
    #[serde(default)]
    pub seller_org: Option<OrgRef>,
    #[serde(default)]
    pub buyer_org: Option<OrgRef>,
    #[serde(default)]
    pub broker: Option<MemberRef>,
    pub seller_region: String,
    pub buyer_region: String,
    pub seller_kind: String,
    pub deal_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    /// The offering (挂牌 or 拍卖) this contract closed, if it came from one.
    #[serde(default)]
    pub offering_id: Option<i64>,
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
    /// Who recorded the contract; filled in by [`name`].
    #[serde(default)]
    pub recorded_by: Option<UserRef>,
    pub created_at: DateTime<chrono::Utc>,
    pub updated_at: DateTime<chrono::Utc>,
}

pub fn view(conn: &mut AnyConnection, reg: &Registry, r: ContractRow) -> QueryResult<ContractView> {
    views(conn, reg, vec![r])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// The views of several contracts in four queries, whatever their number: the contracts,
/// their amendments, and the names of the people and orgs involved.
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
        amendments
            .entry(a.contract_id)
            .or_default()
            .push(amendment_view(a)?);
    }
    let mut views = rows
        .into_iter()
        .map(|r| {
            let amendments = amendments.remove(&r.id).unwrap_or_default();
            view_of(r, reg, amendments)
        })
        .collect::<QueryResult<Vec<_>>>()?;
    name(conn, &mut views)?;
    Ok(views)
}

/// The users who confirmed or declined.
fn consent_people(c: &ConsentView) -> impl Iterator<Item = i64> + use<> {
    [
        c.seller_confirmation.as_ref().map(|x| x.user_id),
        c.buyer_confirmation.as_ref().map(|x| x.user_id),
        c.declined.as_ref().map(|x| x.user_id),
    ]
    .into_iter()
    .flatten()
}

fn name_consent(c: &mut ConsentView, names: &Names) -> QueryResult<()> {
    for x in [&mut c.seller_confirmation, &mut c.buyer_confirmation]
        .into_iter()
        .flatten()
    {
        x.user = Some(names.user_of(x.user_id)?);
    }
    if let Some(x) = &mut c.declined {
        x.user = Some(names.user_of(x.user_id)?);
    }
    Ok(())
}

/// Fills in the names of the orgs and people of several contracts (parties, broker,
/// recorder, who confirmed or declined, who proposed amendments), in two queries.
pub fn name(conn: &mut AnyConnection, views: &mut [ContractView]) -> QueryResult<()> {
    let (mut people, mut orgs) = (Vec::new(), Vec::new());
    for v in views.iter() {
        orgs.extend([v.seller_org_id, v.buyer_org_id]);
        people.extend(v.broker_id.into_iter().chain([v.created_by]));
        people.extend(consent_people(&v.consent_detail));
        for a in &v.amendments {
            people.push(a.created_by);
            people.extend(consent_people(&a.consent_detail));
        }
    }
    let names = names::load(conn, people, orgs)?;
    for v in views.iter_mut() {
        v.seller_org = Some(names.org_of(v.seller_org_id)?);
        v.buyer_org = Some(names.org_of(v.buyer_org_id)?);
        v.broker = v.broker_id.map(|id| names.member_of(id)).transpose()?;
        v.recorded_by = Some(names.user_of(v.created_by)?);
        name_consent(&mut v.consent_detail, &names)?;
        for a in &mut v.amendments {
            a.proposed_by = Some(names.user_of(a.created_by)?);
            name_consent(&mut a.consent_detail, &names)?;
        }
    }
    Ok(())
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
        seller_org: None,
        buyer_org: None,
        broker: None,
        seller_region: r.seller_region,
        buyer_region: r.buyer_region,
        seller_kind: r.seller_kind,
        deal_id: r.deal_id,
        achievement_id: r.achievement_id,
        offering_id: r.offering_id,
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
        recorded_by: None,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    })
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

fn scoped(mut b: Boxed<'_>, scope: Reach) -> Boxed<'_> {
    match scope {
        Reach::All => {}
        Reach::Broker { user_id, org_id } => {
            b = b.filter(
                contracts::broker_id
                    .eq(user_id)
                    .or(contracts::seller_org_id.eq(org_id))
                    .or(contracts::buyer_org_id.eq(org_id)),
            )
        }
        Reach::Org(org) => {
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
    pub scope: Reach,
    pub consent: Option<ConsentFilter>,
    pub query: &'a ContractQuery,
    pub page: Pagination,
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
        .offset(args.page.offset())
        .limit(args.page.limit())
        .select(ContractRow::as_select())
        .load(conn)?;
    Ok((views(conn, reg, rows)?, total))
}
