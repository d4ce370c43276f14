//! The contract lifecycle: record → confirm | decline; amend → confirm | decline;
//! request registration → register | refuse. Each operation takes a connection inside the
//! caller's transaction and typed input, locks the contract row (PostgreSQL) before it
//! reads, and settles what statistics count in the same transaction.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::model::{OrgRow, Role, find_org, now};
use crate::audit::{self, Change, snapshot};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::contracts::model::{
    self, AmendmentRow, Consent, ContractRow, ContractView, MAX_CONTRACT_FEN, RegistrationStatus,
    Registry, Side,
};
use crate::contracts::{registry, rollups};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contract_amendments, contracts, demands, users};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;

/// A contract to record, as validated at the edge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    pub kind: String,
    pub sub_kind: Option<String>,
    pub seller_org_id: i64,
    pub buyer_org_id: i64,
    pub seller_region: Option<String>,
    pub buyer_region: Option<String>,
    pub deal_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub broker_id: Option<i64>,
    #[serde(deserialize_with = "crate::validate::date")]
    pub signed_on: NaiveDate,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub chain: Option<String>,
    pub field: Option<String>,
}

fn not_linkable(message: &str) -> ApiError {
    ApiError::with_message(ErrorCode::NotLinkable, message.to_owned())
}

fn reference(message: &str) -> ApiError {
    ApiError::with_message(ErrorCode::ReferenceNotFound, message.to_owned())
}

/// The links a contract takes from its deal, checked: the deal open, its pair the
/// parties' own.
fn link_deal(conn: &mut AnyConnection, req: &mut NewContract) -> Result<Option<i64>, ApiError> {
    let Some(id) = req.deal_id else {
        return Ok(None);
    };
    let deal = crate::deals::find(conn, id)?.ok_or_else(|| reference("No such deal."))?;
    if !deal.stage().is_open() {
        return Err(not_linkable("The deal is closed already (signed or lost)."));
    }
    let same = |given: Option<i64>, own: i64| given.is_none_or(|g| g == own);
    if !same(req.achievement_id, deal.achievement_id) || !same(req.demand_id, deal.demand_id) {
        return Err(not_linkable(
            "`achievement_id` and `demand_id` must be the deal's own.",
        ));
    }
    if !same(req.broker_id, deal.broker_id) {
        return Err(not_linkable("`broker_id` must be the deal's broker."));
    }
    req.achievement_id = Some(deal.achievement_id);
    req.demand_id = Some(deal.demand_id);
    req.broker_id = Some(deal.broker_id);
    Ok(Some(deal.broker_id))
}

/// (chain, field) of a linked listing that must belong to `org` and be published.
fn linked_listing(
    table: &str,
    found: Option<(i64, String, String, String)>,
    org: i64,
) -> Result<(String, String), ApiError> {
    let (owner, status, chain, field) =
        found.ok_or_else(|| reference(&format!("No such {table}.")))?;
    if owner != org {
        return Err(not_linkable(&format!(
            "The {table} must be the {} org's own.",
            if table == "achievement" {
                "seller"
            } else {
                "buyer"
            }
        )));
    }
    if status != Status::Published.as_str() {
        return Err(not_linkable(&format!("The {table} must be published.")));
    }
    Ok((chain, field))
}

/// Chain and field from the linked listings unless given; each linked listing checked.
fn link_listings(
    conn: &mut AnyConnection,
    req: &NewContract,
    seller: i64,
    buyer: i64,
) -> Result<(String, String), ApiError> {
    let mut derived = None;
    if let Some(id) = req.achievement_id {
        let found = achievements::table
            .find(id)
            .select((
                achievements::org_id,
                achievements::status,
                achievements::chain,
                achievements::field,
            ))
            .first(conn)
            .optional()?;
        derived = Some(linked_listing("achievement", found, seller)?);
    }
    if let Some(id) = req.demand_id {
        let found = demands::table
            .find(id)
            .select((
                demands::org_id,
                demands::status,
                demands::chain,
                demands::field,
            ))
            .first(conn)
            .optional()?;
        let d = linked_listing("demand", found, buyer)?;
        derived = derived.or(Some(d));
    }
    let chain = req.chain.clone().or(derived.as_ref().map(|d| d.0.clone()));
    let field = req.field.clone().or(derived.map(|d| d.1));
    let chain = chain.ok_or_else(|| {
        ApiError::with_message(
            ErrorCode::InvalidChain,
            "`chain` is required when no achievement or demand is linked.",
        )
    })?;
    let field = field.ok_or_else(|| {
        ApiError::with_message(
            ErrorCode::InvalidField,
            "`field` is required when no achievement or demand is linked.",
        )
    })?;
    Ok((chain, field))
}

/// Without a deal, a broker records its own brokerage; anyone else may name a broker user.
fn check_broker(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    req: &mut NewContract,
    from_deal: bool,
) -> Result<(), ApiError> {
    if from_deal {
        return Ok(());
    }
    if user.role == Role::Broker {
        if req.broker_id.is_some_and(|b| b != user.id) {
            return Err(not_linkable(
                "A broker records contracts it brokered itself.",
            ));
        }
        req.broker_id = Some(user.id);
        return Ok(());
    }
    if let Some(b) = req.broker_id {
        let role: Option<String> = users::table
            .find(b)
            .select(users::role)
            .first(conn)
            .optional()?;
        if role.as_deref() != Some(Role::Broker.as_str()) {
            return Err(reference("`broker_id` must be a broker's user id."));
        }
    }
    Ok(())
}

fn party_orgs(conn: &mut AnyConnection, req: &NewContract) -> Result<(OrgRow, OrgRow), ApiError> {
    let seller =
        find_org(conn, req.seller_org_id)?.ok_or_else(|| reference("No such seller org."))?;
    let buyer = find_org(conn, req.buyer_org_id)?.ok_or_else(|| reference("No such buyer org."))?;
    Ok((seller, buyer))
}

/// Records a contract awaiting the other party (both, for a broker's or an admin's record).
/// Nothing else changes until it is confirmed.
pub fn record(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    mut req: NewContract,
) -> Result<ContractRow, ApiError> {
    let deal_broker = link_deal(conn, &mut req)?;
    let (seller, buyer) = party_orgs(conn, &req)?;
    policy::authorize(
        user,
        Action::RecordContract {
            seller_org: seller.id,
            buyer_org: buyer.id,
            deal_broker,
        },
    )?;
    check_broker(conn, user, &mut req, deal_broker.is_some())?;
    let (chain, field) = link_listings(conn, &req, seller.id, buyer.id)?;
    let side = if user.role.is_exchange_staff() || user.role == Role::Broker {
        None
    } else if user.org_id == seller.id {
        Some(Side::Seller)
    } else {
        Some(Side::Buyer)
    };
    let at = now();
    let by = |s: Side| (side == Some(s)).then_some(user.id);
    let when = |s: Side| (side == Some(s)).then_some(at);
    let id: i64 = diesel::insert_into(contracts::table)
        .values((
            (
                contracts::kind.eq(&req.kind),
                contracts::sub_kind.eq(&req.sub_kind),
                contracts::seller_org_id.eq(seller.id),
                contracts::buyer_org_id.eq(buyer.id),
                contracts::seller_region
                    .eq(req.seller_region.clone().unwrap_or(seller.region.clone())),
                contracts::buyer_region
                    .eq(req.buyer_region.clone().unwrap_or(buyer.region.clone())),
                contracts::seller_kind.eq(&seller.kind),
                contracts::deal_id.eq(req.deal_id),
                contracts::achievement_id.eq(req.achievement_id),
                contracts::demand_id.eq(req.demand_id),
                contracts::broker_id.eq(req.broker_id),
                contracts::signed_on.eq(req.signed_on),
            ),
            (
                contracts::amount_fen.eq(req.amount_fen),
                contracts::tech_amount_fen.eq(req.tech_amount_fen),
                contracts::total_amount_fen.eq(req.amount_fen),
                contracts::total_tech_amount_fen.eq(req.tech_amount_fen),
                contracts::chain.eq(&chain),
                contracts::field.eq(&field),
                contracts::registration_status.eq(RegistrationStatus::NotSubmitted.as_str()),
                contracts::created_by.eq(user.id),
                contracts::created_at.eq(at),
                contracts::updated_at.eq(at),
            ),
            (
                contracts::consent.eq(Consent::initial(side).as_str()),
                contracts::seller_confirmed_by.eq(by(Side::Seller)),
                contracts::seller_confirmed_at.eq(when(Side::Seller)),
                contracts::buyer_confirmed_by.eq(by(Side::Buyer)),
                contracts::buyer_confirmed_at.eq(when(Side::Buyer)),
                contracts::stat_status.eq(model::StatStatus::NotCounted.as_str()),
                contracts::stat_amount_fen.eq(0),
                contracts::stat_tech_amount_fen.eq(0),
            ),
        ))
        .returning(contracts::id)
        .get_result(conn)?;
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))
}

/// The contract for a write, locked; 404 for those who may not see it.
fn visible_locked(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ContractRow, ApiError> {
    let row = model::find_locked(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    if !policy::sees_contract(user, row.seller_org_id, row.buyer_org_id, row.broker_id) {
        return Err(ApiError::not_found("Contract"));
    }
    Ok(row)
}

/// The side the user confirms for: the party org it belongs to, which must be awaited.
fn confirming_side(
    user: &CurrentUser,
    row: &ContractRow,
    consent: Consent,
) -> Result<Side, ApiError> {
    let side = row.side_of(user.org_id);
    let party_org = side.map(|s| row.party(s)).unwrap_or(-1);
    policy::authorize(user, Action::ConfirmContract { party_org })?;
    let side = side.ok_or_else(ApiError::forbidden)?;
    if !consent.awaits(side) {
        return Err(ApiError::new(ErrorCode::ConsentSettled));
    }
    Ok(side)
}

/// Re-reads the contract after a step, stores what statistics count now, and moves the
/// rollups from what it counted before the step (`before`, read under the row lock) to
/// that: exactly once, including a move to another registration month.
fn settle_stats(conn: &mut AnyConnection, before: &ContractRow) -> Result<ContractRow, ApiError> {
    let id = before.id;
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    let now_counted = row.counted_now()?;
    if now_counted == before.counted_stored()? && row.registered_on == before.registered_on {
        return Ok(row);
    }
    let mut deltas = rollups::Deltas::default();
    deltas.count(before, -1)?;
    diesel::update(contracts::table.find(id))
        .set((
            contracts::stat_status.eq(now_counted.status.as_str()),
            contracts::stat_amount_fen.eq(now_counted.amount_fen),
            contracts::stat_tech_amount_fen.eq(now_counted.tech_amount_fen),
        ))
        .execute(conn)?;
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    deltas.count(&row, 1)?;
    deltas.apply(conn)?;
    Ok(row)
}

/// A confirmed contract takes effect: its deal is signed, a transfer takes its achievement
/// off the market.
fn take_effect(conn: &mut AnyConnection, row: &ContractRow, actor: i64) -> Result<(), ApiError> {
    let at = now();
    if let Some(deal) = row.deal_id {
        crate::deals::sign(
            conn,
            deal,
            actor,
            &format!("合同已经双方确认（合同 #{}）", row.id),
            at,
        )?;
    }
    if row.kind == "transfer"
        && let Some(a) = row.achievement_id
    {
        crate::achievements::mark_transferred(conn, a, actor, "技术转让合同已经双方确认")?;
    }
    Ok(())
}

/// The other party confirms; once both have, the contract counts and takes effect.
pub fn confirm(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    let consent = row.consent()?;
    let side = confirming_side(user, &row, consent)?;
    let next = consent
        .confirmed_by(side)
        .ok_or_else(|| ApiError::new(ErrorCode::ConsentSettled))?;
    let at = now();
    let target = contracts::table.find(id);
    let state = (
        contracts::consent.eq(next.as_str()),
        contracts::updated_at.eq(at),
    );
    match side {
        Side::Seller => diesel::update(target)
            .set((
                state,
                contracts::seller_confirmed_by.eq(user.id),
                contracts::seller_confirmed_at.eq(at),
            ))
            .execute(conn)?,
        Side::Buyer => diesel::update(target)
            .set((
                state,
                contracts::buyer_confirmed_by.eq(user.id),
                contracts::buyer_confirmed_at.eq(at),
            ))
            .execute(conn)?,
    };
    let row = settle_stats(conn, &row)?;
    if next == Consent::Confirmed {
        take_effect(conn, &row, user.id)?;
    }
    Ok(row)
}

/// The other party declines, with a reason: final.
pub fn decline(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    reason: &str,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    confirming_side(user, &row, row.consent()?)?;
    let at = now();
    diesel::update(contracts::table.find(id))
        .set((
            contracts::consent.eq(Consent::Declined.as_str()),
            contracts::declined_by.eq(user.id),
            contracts::declined_at.eq(at),
            contracts::decline_reason.eq(reason),
            contracts::updated_at.eq(at),
        ))
        .execute(conn)?;
    settle_stats(conn, &row)
}

/// A correction of the amounts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAmendment {
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
}

/// The totals after adding the deltas, if they stay within the rules.
fn amended_totals(row: &ContractRow, amount: i64, tech: i64) -> Result<(i64, i64), ApiError> {
    let total = row.total_amount_fen.checked_add(amount);
    let total_tech = row.total_tech_amount_fen.checked_add(tech);
    match (total, total_tech) {
        (Some(t), Some(tt)) if (0..=MAX_CONTRACT_FEN).contains(&t) && (0..=t).contains(&tt) => {
            Ok((t, tt))
        }
        (Some(t), Some(tt)) => Err(ApiError::with_message(
            ErrorCode::InvalidAmendment,
            format!(
                "The totals would become {t} and {tt} fen; they must stay 0 ≤ tech ≤ total ≤ {MAX_CONTRACT_FEN}."
            ),
        )),
        _ => Err(ApiError::new(ErrorCode::InvalidAmendment)),
    }
}

/// Proposes an amendment of a confirmed contract; it awaits the other party like a
/// contract and changes nothing until confirmed.
pub fn amend(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    req: &NewAmendment,
) -> Result<(ContractRow, i64), ApiError> {
    let row = visible_locked(conn, user, id)?;
    policy::authorize(
        user,
        Action::AmendContract {
            seller_org: row.seller_org_id,
            buyer_org: row.buyer_org_id,
            broker: row.broker_id,
        },
    )?;
    if row.consent()? != Consent::Confirmed {
        return Err(ApiError::new(ErrorCode::NotConfirmed));
    }
    amended_totals(&row, req.amount_delta_fen, req.tech_amount_delta_fen)?;
    let side = match user.role {
        Role::Admin | Role::Statistician | Role::Broker => None,
        _ => row.side_of(user.org_id),
    };
    let at = now();
    let by = |s: Side| (side == Some(s)).then_some(user.id);
    let when = |s: Side| (side == Some(s)).then_some(at);
    let amendment: i64 = diesel::insert_into(contract_amendments::table)
        .values((
            contract_amendments::contract_id.eq(id),
            contract_amendments::amount_delta_fen.eq(req.amount_delta_fen),
            contract_amendments::tech_amount_delta_fen.eq(req.tech_amount_delta_fen),
            contract_amendments::reason.eq(&req.reason),
            contract_amendments::created_by.eq(user.id),
            contract_amendments::created_at.eq(at),
            contract_amendments::consent.eq(Consent::initial(side).as_str()),
            contract_amendments::seller_confirmed_by.eq(by(Side::Seller)),
            contract_amendments::seller_confirmed_at.eq(when(Side::Seller)),
            contract_amendments::buyer_confirmed_by.eq(by(Side::Buyer)),
            contract_amendments::buyer_confirmed_at.eq(when(Side::Buyer)),
        ))
        .returning(contract_amendments::id)
        .get_result(conn)?;
    diesel::update(contracts::table.find(id))
        .set(contracts::updated_at.eq(at))
        .execute(conn)?;
    Ok((row, amendment))
}

fn pending_amendment(
    conn: &mut AnyConnection,
    contract: i64,
    id: i64,
) -> Result<(AmendmentRow, Consent), ApiError> {
    let a = model::find_amendment(conn, contract, id)?
        .ok_or_else(|| ApiError::not_found("Amendment"))?;
    let consent = a.consent()?;
    Ok((a, consent))
}

/// The other party confirms an amendment; once both have, the totals move, and a
/// registered contract goes back to the registry (statistics keep the verified figures
/// until it verifies again).
pub fn confirm_amendment(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    amendment: i64,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    let (a, consent) = pending_amendment(conn, id, amendment)?;
    let side = confirming_side(user, &row, consent)?;
    let next = consent
        .confirmed_by(side)
        .ok_or_else(|| ApiError::new(ErrorCode::ConsentSettled))?;
    let at = now();
    let target = contract_amendments::table.find(amendment);
    let state = contract_amendments::consent.eq(next.as_str());
    match side {
        Side::Seller => diesel::update(target)
            .set((
                state,
                contract_amendments::seller_confirmed_by.eq(user.id),
                contract_amendments::seller_confirmed_at.eq(at),
            ))
            .execute(conn)?,
        Side::Buyer => diesel::update(target)
            .set((
                state,
                contract_amendments::buyer_confirmed_by.eq(user.id),
                contract_amendments::buyer_confirmed_at.eq(at),
            ))
            .execute(conn)?,
    };
    if next == Consent::Confirmed {
        apply_amendment(conn, &row, &a, at)?;
    } else {
        diesel::update(contracts::table.find(id))
            .set(contracts::updated_at.eq(at))
            .execute(conn)?;
    }
    settle_stats(conn, &row)
}

fn apply_amendment(
    conn: &mut AnyConnection,
    row: &ContractRow,
    a: &AmendmentRow,
    at: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let (total, tech) = amended_totals(row, a.amount_delta_fen, a.tech_amount_delta_fen)?;
    let registration = match row.registration()? {
        RegistrationStatus::Registered => RegistrationStatus::Submitted,
        other => other,
    };
    diesel::update(contracts::table.find(row.id))
        .set((
            contracts::total_amount_fen.eq(total),
            contracts::total_tech_amount_fen.eq(tech),
            contracts::registration_status.eq(registration.as_str()),
            contracts::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The other party declines an amendment: final; nothing changes.
pub fn decline_amendment(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    amendment: i64,
    reason: &str,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    let (_, consent) = pending_amendment(conn, id, amendment)?;
    confirming_side(user, &row, consent)?;
    let at = now();
    diesel::update(contract_amendments::table.find(amendment))
        .set((
            contract_amendments::consent.eq(Consent::Declined.as_str()),
            contract_amendments::declined_by.eq(user.id),
            contract_amendments::declined_at.eq(at),
            contract_amendments::decline_reason.eq(reason),
        ))
        .execute(conn)?;
    diesel::update(contracts::table.find(id))
        .set(contracts::updated_at.eq(at))
        .execute(conn)?;
    settle_stats(conn, &row)
}

/// The seller's side (or the contract's broker) applies for registration of a confirmed
/// contract whose seller is in the registry's jurisdiction.
pub fn request_registration(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    reg: &Registry,
    id: i64,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    policy::authorize(
        user,
        Action::RequestRegistration {
            seller_org: row.seller_org_id,
            broker: row.broker_id,
        },
    )?;
    if row.consent()? != Consent::Confirmed {
        return Err(ApiError::new(ErrorCode::NotConfirmed));
    }
    if !reg.covers(&row.seller_region) {
        return Err(ApiError::new(ErrorCode::OutsideJurisdiction));
    }
    let status = row.registration()?;
    if !matches!(
        status,
        RegistrationStatus::NotSubmitted | RegistrationStatus::NotRegistered
    ) {
        return Err(ApiError::with_message(
            ErrorCode::InvalidTransition,
            format!("Registration is {} already.", status.as_str()),
        ));
    }
    let at = now();
    diesel::update(contracts::table.find(id))
        .set((
            contracts::registration_status.eq(RegistrationStatus::Submitted.as_str()),
            contracts::registration_requested_by.eq(user.id),
            contracts::registration_requested_at.eq(at),
            contracts::updated_at.eq(at),
        ))
        .execute(conn)?;
    settle_stats(conn, &row)
}

/// The registry's decision on a submitted contract.
#[derive(Debug, Clone)]
pub struct Decision {
    pub register: bool,
    pub comment: Option<String>,
    pub verified_tech_amount_fen: Option<i64>,
    pub on: NaiveDate,
}

/// Registers (verifying the technology amount and assigning the number, once) or refuses.
pub fn decide_registration(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    reg: &Registry,
    id: i64,
    d: &Decision,
) -> Result<ContractRow, ApiError> {
    policy::authorize(user, Action::RegisterContract)?;
    let row = model::find_locked(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    let status = row.registration()?;
    if status != RegistrationStatus::Submitted {
        return Err(ApiError::with_message(
            ErrorCode::InvalidTransition,
            format!(
                "Only a submitted contract can be decided; this one is {}.",
                status.as_str()
            ),
        ));
    }
    if d.on < row.signed_on {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequestBody,
            "`registered_on` cannot be before `signed_on`.",
        ));
    }
    if d.register {
        register(conn, user, reg, &row, d)?;
    } else {
        refuse(conn, user, &row, d)?;
    }
    settle_stats(conn, &row)
}

fn register(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    reg: &Registry,
    row: &ContractRow,
    d: &Decision,
) -> Result<(), ApiError> {
    let verified = d
        .verified_tech_amount_fen
        .filter(|v| (0..=row.total_tech_amount_fen).contains(v))
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidVerifiedAmount))?;
    let number = match &row.registration_no {
        Some(n) => n.clone(),
        None => registry::next_number(conn, d.on.year(), &reg.point)?,
    };
    diesel::update(contracts::table.find(row.id))
        .set((
            contracts::registration_status.eq(RegistrationStatus::Registered.as_str()),
            contracts::registration_no.eq(Some(number)),
            contracts::registered_on.eq(Some(d.on)),
            contracts::registered_by.eq(Some(user.id)),
            contracts::registration_comment.eq(&d.comment),
            contracts::verified_amount_fen.eq(Some(row.total_amount_fen)),
            contracts::verified_tech_amount_fen.eq(Some(verified)),
            contracts::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A refusal needs a comment; the contract then counts as confirmed, unregistered.
fn refuse(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    row: &ContractRow,
    d: &Decision,
) -> Result<(), ApiError> {
    if d.comment.is_none() {
        return Err(ApiError::with_message(
            ErrorCode::CommentRequired,
            "Refusing registration needs a `comment` for the parties.",
        ));
    }
    diesel::update(contracts::table.find(row.id))
        .set((
            contracts::registration_status.eq(RegistrationStatus::NotRegistered.as_str()),
            contracts::registered_on.eq(None::<NaiveDate>),
            contracts::registered_by.eq(Some(user.id)),
            contracts::registration_comment.eq(&d.comment),
            contracts::verified_amount_fen.eq(None::<i64>),
            contracts::verified_tech_amount_fen.eq(None::<i64>),
            contracts::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a step in the audit trail with the contract before and after.
pub fn audit_step(
    conn: &mut AnyConnection,
    actor: i64,
    action: &str,
    before: Option<&ContractView>,
    after: &ContractView,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        Change {
            actor_id: Some(actor),
            action,
            entity: "contract",
            entity_id: Some(after.id),
            before: before.and_then(snapshot),
            after: snapshot(after),
        },
    )?;
    Ok(())
}
