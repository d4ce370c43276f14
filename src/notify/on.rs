//! What other slices call, in their own transactions, when something happens that someone
//! should hear of: each reads the few names and titles its texts need, picks the audience
//! and emits one event.

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{achievements, challenge_applications, demands, orgs, users};
use crate::notify::texts::{self, AmendmentStep, ContractStep};
use crate::notify::{Audience, Kind, Notice, emit};

fn title_and_org(conn: &mut AnyConnection, entity: &str, id: i64) -> QueryResult<(String, i64)> {
    match entity {
        "demand" => demands::table
            .find(id)
            .select((demands::title, demands::org_id))
            .first(conn),
        _ => achievements::table
            .find(id)
            .select((achievements::title, achievements::org_id))
            .first(conn),
    }
}

fn org_name(conn: &mut AnyConnection, id: i64) -> QueryResult<String> {
    orgs::table.find(id).select(orgs::name).first(conn)
}

fn user_name(conn: &mut AnyConnection, id: i64) -> QueryResult<String> {
    users::table.find(id).select(users::name).first(conn)
}

/// A listing was approved (`published`), returned or rejected: its org hears of it.
pub fn listing_reviewed(
    conn: &mut AnyConnection,
    entity: &str,
    id: i64,
    to: &str,
    comment: Option<&str>,
) -> QueryResult<()> {
    let (title, org) = title_and_org(conn, entity, id)?;
    let message = texts::listing_reviewed(entity, id, &title, to, comment);
    emit(
        conn,
        &Notice::new(Kind::ListingReviewed, Audience::orgs([org]), message),
    )
}

/// The two listings' titles and orgs of a deal: ((demand, org), (achievement, org)).
fn deal_parties(
    conn: &mut AnyConnection,
    demand: i64,
    achievement: i64,
) -> QueryResult<((String, i64), (String, i64))> {
    Ok((
        title_and_org(conn, "demand", demand)?,
        title_and_org(conn, "achievement", achievement)?,
    ))
}

/// A broker opened a deal: both listings' orgs hear of it.
pub fn deal_opened(
    conn: &mut AnyConnection,
    deal: i64,
    (demand, achievement): (i64, i64),
    broker: i64,
) -> QueryResult<()> {
    let ((d_title, d_org), (a_title, a_org)) = deal_parties(conn, demand, achievement)?;
    let message = texts::deal_opened(deal, &d_title, &a_title, &user_name(conn, broker)?);
    let audience = Audience::orgs([d_org, a_org]).except(broker);
    emit(conn, &Notice::new(Kind::DealOpened, audience, message))
}

/// A deal moved to another stage: both listings' orgs hear of it.
pub fn deal_moved(
    conn: &mut AnyConnection,
    deal: i64,
    (demand, achievement): (i64, i64),
    (from, to): (&str, &str),
    actor: i64,
) -> QueryResult<()> {
    let ((d_title, d_org), (a_title, a_org)) = deal_parties(conn, demand, achievement)?;
    let message = texts::deal_moved(deal, &d_title, &a_title, from, to);
    let audience = Audience::orgs([d_org, a_org]).except(actor);
    emit(conn, &Notice::new(Kind::DealMoved, audience, message))
}

/// A contract's state as far as its parties care: consent and registration codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractState<'a> {
    pub consent: &'a str,
    pub registration: &'a str,
}

/// The parties of a contract: seller org, buyer org, and its broker (a user), if any.
#[derive(Debug, Clone, Copy)]
pub struct ContractParties {
    pub id: i64,
    pub seller: i64,
    pub buyer: i64,
    pub broker: Option<i64>,
}

/// A contract step: a new contract awaits the party (or parties) that has not confirmed;
/// a confirmation by both, a decline and a registration go to both parties and the broker.
pub fn contract_step(
    conn: &mut AnyConnection,
    parties: ContractParties,
    before: Option<ContractState<'_>>,
    after: ContractState<'_>,
    actor: Option<i64>,
) -> QueryResult<()> {
    let step = match (before, after.consent, after.registration) {
        (None, "awaiting_seller" | "awaiting_buyer" | "awaiting_both", _) => ContractStep::Awaiting,
        (Some(b), "confirmed", _) if b.consent != "confirmed" => ContractStep::Confirmed,
        (Some(b), "declined", _) if b.consent != "declined" => ContractStep::Declined,
        (Some(b), _, "registered") if b.registration != "registered" => ContractStep::Registered,
        _ => return Ok(()),
    };
    let mut audience = match (step, after.consent) {
        (ContractStep::Awaiting, "awaiting_seller") => Audience::orgs([parties.seller]),
        (ContractStep::Awaiting, "awaiting_buyer") => Audience::orgs([parties.buyer]),
        _ => Audience::orgs([parties.seller, parties.buyer]),
    };
    if step != ContractStep::Awaiting {
        audience.users.extend(parties.broker);
    }
    if let Some(a) = actor {
        audience = audience.except(a);
    }
    let seller = org_name(conn, parties.seller)?;
    let buyer = org_name(conn, parties.buyer)?;
    let kind = match step {
        ContractStep::Awaiting => Kind::ContractAwaiting,
        ContractStep::Confirmed => Kind::ContractConfirmed,
        ContractStep::Declined => Kind::ContractDeclined,
        ContractStep::Registered => Kind::ContractRegistered,
    };
    let message = texts::contract(step, parties.id, &seller, &buyer);
    emit(conn, &Notice::new(kind, audience, message))
}

/// The application's demand (title, org) and applying org.
fn application_parties(
    conn: &mut AnyConnection,
    application: i64,
) -> QueryResult<(i64, String, i64, i64)> {
    let (demand, applicant_org): (i64, i64) = challenge_applications::table
        .find(application)
        .select((
            challenge_applications::demand_id,
            challenge_applications::org_id,
        ))
        .first(conn)?;
    let (title, owner) = title_and_org(conn, "demand", demand)?;
    Ok((demand, title, owner, applicant_org))
}

/// An org applied to a challenge: the challenge's org hears of it.
pub fn application_received(conn: &mut AnyConnection, application: i64) -> QueryResult<()> {
    let (demand, title, owner, applicant) = application_parties(conn, application)?;
    let message = texts::application_received(demand, &title, &org_name(conn, applicant)?);
    emit(
        conn,
        &Notice::new(Kind::ApplicationReceived, Audience::orgs([owner]), message),
    )
}

/// A challenge's org decided on an application: the applying org hears of it.
pub fn application_decided(
    conn: &mut AnyConnection,
    application: i64,
    status: &str,
) -> QueryResult<()> {
    let (demand, title, _, applicant) = application_parties(conn, application)?;
    let message = texts::application_decided(demand, &title, status);
    emit(
        conn,
        &Notice::new(
            Kind::ApplicationDecided,
            Audience::orgs([applicant]),
            message,
        ),
    )
}

/// A milestone was submitted (the challenge's org hears) or reviewed (the winner hears).
pub fn milestone_step(
    conn: &mut AnyConnection,
    application: i64,
    milestone: &str,
    status: &str,
    actor: i64,
) -> QueryResult<()> {
    let (demand, title, owner, winner) = application_parties(conn, application)?;
    let (kind, org) = match status {
        "submitted" => (Kind::MilestoneSubmitted, owner),
        _ => (Kind::MilestoneReviewed, winner),
    };
    let message = texts::milestone(demand, &title, milestone, status);
    emit(
        conn,
        &Notice::new(kind, Audience::orgs([org]).except(actor), message),
    )
}

/// An amendment of a contract moved: awaiting goes to the party (or parties) whose
/// confirmation it needs; confirmed and declined go to both parties and the broker.
/// A partial confirmation (one of two) tells nobody new.
pub fn amendment_step(
    conn: &mut AnyConnection,
    parties: ContractParties,
    amendment: i64,
    consent: &str,
    actor: i64,
) -> QueryResult<()> {
    let both = [parties.seller, parties.buyer];
    let (step, mut audience) = match consent {
        "awaiting_seller" => (AmendmentStep::Awaiting, Audience::orgs([parties.seller])),
        "awaiting_buyer" => (AmendmentStep::Awaiting, Audience::orgs([parties.buyer])),
        "awaiting_both" => (AmendmentStep::Awaiting, Audience::orgs(both)),
        "confirmed" => (AmendmentStep::Confirmed, Audience::orgs(both)),
        "declined" => (AmendmentStep::Declined, Audience::orgs(both)),
        _ => return Ok(()),
    };
    if step != AmendmentStep::Awaiting {
        audience.users.extend(parties.broker);
    }
    let message = texts::amendment(step, parties.id, amendment);
    let notice = Notice::new(Kind::ContractAmendment, audience.except(actor), message);
    emit(conn, &notice)
}

/// A bid or intent on an offering: its seller hears of it, and so does the org whose best
/// bid it overtook (another org than the bidder's).
pub fn offering_bid(
    conn: &mut AnyConnection,
    offering: i64,
    (achievement, seller): (i64, i64),
    overtaken: Option<i64>,
    actor: i64,
) -> QueryResult<()> {
    let (title, _) = title_and_org(conn, "achievement", achievement)?;
    let seller_notice = Notice::new(
        Kind::OfferingBid,
        Audience::orgs([seller]).except(actor),
        texts::offering_bid(offering, &title, false),
    );
    emit(conn, &seller_notice)?;
    if let Some(org) = overtaken {
        let notice = Notice::new(
            Kind::OfferingBid,
            Audience::orgs([org]).except(actor),
            texts::offering_bid(offering, &title, true),
        );
        emit(conn, &notice)?;
    }
    Ok(())
}

/// An offering's window ended (`sold`, `unsold` or `runoff`): the seller and every org
/// that bid or declared an intent hear of it.
pub fn offering_closed(
    conn: &mut AnyConnection,
    offering: i64,
    achievement: i64,
    orgs: impl IntoIterator<Item = i64>,
    outcome: &str,
) -> QueryResult<()> {
    let (title, _) = title_and_org(conn, "achievement", achievement)?;
    let message = texts::offering_closed(offering, &title, outcome);
    emit(
        conn,
        &Notice::new(Kind::OfferingClosed, Audience::orgs(orgs), message),
    )
}

/// An objection to a publicised price moved to `status` (`open`, `answered`, `closed`);
/// `orgs` are those who hear of it (see `texts::publicity_objection`).
pub fn publicity_objection(
    conn: &mut AnyConnection,
    publicity: i64,
    achievement: i64,
    orgs: impl IntoIterator<Item = i64>,
    status: &str,
    actor: i64,
) -> QueryResult<()> {
    let (title, _) = title_and_org(conn, "achievement", achievement)?;
    let message = texts::publicity_objection(publicity, &title, status);
    let audience = Audience::orgs(orgs).except(actor);
    emit(
        conn,
        &Notice::new(Kind::PublicityObjection, audience, message),
    )
}
