//! Consent: the awaited party confirms or declines a contract. Once both have confirmed,
//! it counts in statistics and takes effect (its deal signed, a transfer's achievement off
//! the market).

use diesel::prelude::*;

use super::lifecycle::{settle_stats, visible_locked};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::model::{Consent, ContractRow, Side};
use crate::db::AnyConnection;
use crate::db::schema::contracts;
use crate::error::{ApiError, ErrorCode};

/// The side the user confirms for: the party org it belongs to, which must be awaited.
pub(super) fn confirming_side(
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

/// A rule the confirmation that makes a contract take effect must pass, given by the
/// caller so this slice names no other (the publicity of an agreed price, 协议定价公示).
pub type Guard = fn(&mut AnyConnection, &ContractRow) -> Result<(), ApiError>;

/// The other party confirms; once both have, the contract counts and takes effect.
pub fn confirm(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ContractRow, ApiError> {
    confirm_with(conn, user, id, None)
}

/// [`confirm`], with `guard` checked before the last confirmation (the one that makes the
/// contract take effect); a party may still confirm first while the guard would refuse.
pub fn confirm_with(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    guard: Option<Guard>,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    let consent = row.consent()?;
    let side = confirming_side(user, &row, consent)?;
    let next = consent
        .confirmed_by(side)
        .ok_or_else(|| ApiError::new(ErrorCode::ConsentSettled))?;
    if let (Consent::Confirmed, Some(g)) = (next, guard) {
        g(conn, &row)?;
    }
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

/// The other party declines, with a reason: final. `reason` is read once the user is
/// known to be the party awaited, so a stranger learns 403 before anything of its body.
pub fn decline(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    reason: impl FnOnce() -> Result<String, ApiError>,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    confirming_side(user, &row, row.consent()?)?;
    let reason = reason()?;
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
