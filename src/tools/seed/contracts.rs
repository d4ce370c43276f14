//! The demo's contracts: the whole lifecycle once, through the contracts slice's own
//! operations (so every rule applies): one awaiting the seller, one confirmed, two
//! registered with numbers (one of them amended and back at the registry), one declined.
//! Only when the demo has no contracts yet, so a rerun adds nothing.

use chrono::Duration;
use diesel::prelude::*;

use crate::accounts::model::Role;
use crate::auth::extract::CurrentUser;
use crate::config::Settings;
use crate::contracts::amendments::{self, NewAmendment};
use crate::contracts::consent;
use crate::contracts::lifecycle::{self, NewContract};
use crate::contracts::model::Registry;
use crate::contracts::registration::{self, Decision};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contracts};
use crate::error::ApiError;

use super::history::{self, Parties};

/// A demo org's member: (org id, user id, role).
pub(super) type Member = (i64, i64, Role);

pub(super) fn actor((org_id, id, role): Member) -> CurrentUser {
    CurrentUser {
        id,
        role,
        org_id,
        org_verified: true,
    }
}

fn published_achievement(conn: &mut AnyConnection, org: i64) -> QueryResult<Option<i64>> {
    super::published_achievements()
        .filter(achievements::org_id.eq(org))
        .select(achievements::id)
        .first(conn)
        .optional()
}

pub(super) struct Deal<'a> {
    pub kind: &'a str,
    pub sub_kind: Option<&'a str>,
    pub seller: Member,
    pub buyer: Member,
    pub days_ago: i64,
    pub wan_yuan: i64,
    pub link_achievement: bool,
    /// A demo broker who brought the parties together.
    pub broker: Option<i64>,
}

pub(super) fn record(conn: &mut AnyConnection, d: &Deal<'_>, by: Member) -> Result<i64, ApiError> {
    let amount = d.wan_yuan * 1_000_000;
    let achievement_id = if d.link_achievement {
        published_achievement(conn, d.seller.0)?
    } else {
        None
    };
    let input = NewContract {
        kind: d.kind.into(),
        sub_kind: d.sub_kind.map(str::to_owned),
        seller_org_id: d.seller.0,
        buyer_org_id: d.buyer.0,
        seller_region: None,
        buyer_region: None,
        deal_id: None,
        achievement_id,
        demand_id: None,
        broker_id: d.broker,
        signed_on: crate::clock::today() - Duration::days(d.days_ago),
        amount_fen: amount,
        tech_amount_fen: amount / 10 * 9,
        chain: achievement_id.is_none().then(|| "machine_tools".to_owned()),
        field: achievement_id
            .is_none()
            .then(|| "advanced_manufacturing".to_owned()),
    };
    Ok(lifecycle::record(conn, &actor(by), input)?.id)
}

pub(super) fn register(
    conn: &mut AnyConnection,
    admin: &CurrentUser,
    reg: &Registry,
    id: i64,
    seller: Member,
) -> Result<(), ApiError> {
    registration::request_registration(conn, &actor(seller), reg, id)?;
    let row =
        crate::contracts::model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    let decision = Decision {
        register: true,
        comment: Some("符合技术合同认定规则；设备费不计入技术交易额".into()),
        verified_tech_amount_fen: Some(row.total_tech_amount_fen / 10 * 9),
        on: crate::clock::today(),
    };
    registration::decide_registration(conn, admin, reg, id, &decision)?;
    Ok(())
}

/// Seeds the lifecycle between the parties (at least three sellers and three buyers),
/// then a year and a half of history; returns how many contracts it recorded.
pub(super) fn seed(
    conn: &mut AnyConnection,
    admin_id: i64,
    parties: &Parties<'_>,
) -> Result<usize, ApiError> {
    let (sellers, buyers) = (parties.sellers, parties.buyers);
    let any: i64 = contracts::table.count().get_result(conn)?;
    if any > 0 || sellers.len() < 3 || buyers.len() < 3 {
        return Ok(0);
    }
    let reg = Registry::from_settings(&Settings::default());
    let admin = CurrentUser {
        id: admin_id,
        role: Role::Admin,
        org_id: crate::accounts::model::EXCHANGE_ORG_ID,
        org_verified: true,
    };
    let deal = |kind, sub_kind, s: usize, b: usize, days_ago, wan_yuan, link| Deal {
        kind,
        sub_kind,
        seller: sellers[s],
        buyer: buyers[b],
        days_ago,
        wan_yuan,
        link_achievement: link,
        broker: None,
    };
    // Registered: a patent transfer that sold its achievement, and a licence.
    let sold = deal("transfer", Some("patent"), 0, 0, 60, 680, true);
    let id = record(conn, &sold, sold.buyer)?;
    consent::confirm(conn, &actor(sold.seller), id)?;
    register(conn, &admin, &reg, id, sold.seller)?;
    let licence = deal("licensing", Some("ordinary"), 1, 1, 45, 150, true);
    let id = record(conn, &licence, licence.seller)?;
    consent::confirm(conn, &actor(licence.buyer), id)?;
    register(conn, &admin, &reg, id, licence.seller)?;
    // An amendment after registration, confirmed: back at the registry.
    let change = NewAmendment {
        amount_delta_fen: 20_000_000,
        tech_amount_delta_fen: 20_000_000,
        reason: "补充协议：增加一年技术支持".into(),
    };
    amendments::amend(conn, &actor(licence.seller), id, || Ok(change))?;
    let amendment: i64 = crate::db::schema::contract_amendments::table
        .filter(crate::db::schema::contract_amendments::contract_id.eq(id))
        .select(crate::db::schema::contract_amendments::id)
        .first(conn)?;
    amendments::confirm_amendment(conn, &actor(licence.buyer), id, amendment)?;
    // Confirmed by both, registration not applied for yet.
    let dev = deal("development", Some("commissioned"), 2, 2, 20, 320, false);
    let id = record(conn, &dev, dev.buyer)?;
    consent::confirm(conn, &actor(dev.seller), id)?;
    // Awaiting the seller's confirmation.
    let waiting = deal("service", Some("training"), 0, 1, 5, 45, false);
    record(conn, &waiting, waiting.buyer)?;
    // Declined by the seller.
    let declined = deal("consulting", None, 1, 2, 10, 30, false);
    let id = record(conn, &declined, declined.buyer)?;
    consent::decline(conn, &actor(declined.seller), id, || {
        Ok("报价与约定不符，需重新协商".into())
    })?;
    Ok(5 + history::seed(conn, &admin, &reg, parties)?)
}
