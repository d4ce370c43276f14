//! Amendments: corrections of a confirmed contract's amounts, never overwriting, each
//! confirmed by the other party like a contract; a confirmed amendment of a registered
//! contract sends it back to the registry.

use diesel::prelude::*;
use serde::Deserialize;

use super::consent::confirming_side;
use super::lifecycle::{settle_stats, visible_locked};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::model::{
    self, AmendmentRow, Consent, ContractRow, MAX_CONTRACT_FEN, RegistrationStatus, Side,
};
use crate::db::AnyConnection;
use crate::db::schema::{contract_amendments, contracts};
use crate::error::{ApiError, ErrorCode};
use crate::notify::on as notify;

/// A correction of the amounts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAmendment {
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
}

/// Tells who should hear of an amendment that is now at `consent`.
fn tell(
    conn: &mut AnyConnection,
    row: &ContractRow,
    amendment: i64,
    consent: Consent,
    actor: i64,
) -> QueryResult<()> {
    let parties = notify::ContractParties {
        id: row.id,
        seller: row.seller_org_id,
        buyer: row.buyer_org_id,
        broker: row.broker_id,
    };
    notify::amendment_step(conn, parties, amendment, consent.as_str(), actor)
}

/// The totals after adding the deltas, if they stay within the rules.
fn amended_totals(row: &ContractRow, amount: i64, tech: i64) -> Result<(i64, i64), ApiError> {
    let total = row.total_amount_fen.checked_add(amount);
    let total_tech = row.total_tech_amount_fen.checked_add(tech);
    match (total, total_tech) {
        (Some(t), Some(tt)) if (0..=MAX_CONTRACT_FEN).contains(&t) && (0..=t).contains(&tt) => {
            Ok((t, tt))
        }
        (Some(t), Some(tt)) => Err(ApiError::with_detail(
            ErrorCode::InvalidAmendment,
            format!(
                "变更后成交额为 {t} 分、技术交易额为 {tt} 分，须满足 0 ≤ 技术交易额 ≤ 成交额 ≤ {MAX_CONTRACT_FEN}。"
            ),
            format!(
                "The totals would become {t} and {tt} fen; they must stay 0 ≤ tech ≤ total ≤ {MAX_CONTRACT_FEN}."
            ),
        )),
        _ => Err(ApiError::new(ErrorCode::InvalidAmendment)),
    }
}

/// Proposes an amendment of a confirmed contract; it awaits the other party like a
/// contract and changes nothing until confirmed. `req` is read once the user may amend.
pub fn amend(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    req: impl FnOnce() -> Result<NewAmendment, ApiError>,
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
    let req = &req()?;
    if row.consent()? != Consent::Confirmed {
        return Err(ApiError::new(ErrorCode::NotConfirmed));
    }
    amended_totals(&row, req.amount_delta_fen, req.tech_amount_delta_fen)?;
    let side = model::acting_side(user.role, user.org_id, row.seller_org_id, row.buyer_org_id);
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
    tell(conn, &row, amendment, Consent::initial(side), user.id)?;
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
        tell(conn, &row, amendment, next, user.id)?;
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
    reason: impl FnOnce() -> Result<String, ApiError>,
) -> Result<ContractRow, ApiError> {
    let row = visible_locked(conn, user, id)?;
    let (_, consent) = pending_amendment(conn, id, amendment)?;
    confirming_side(user, &row, consent)?;
    let reason = reason()?;
    let at = now();
    diesel::update(contract_amendments::table.find(amendment))
        .set((
            contract_amendments::consent.eq(Consent::Declined.as_str()),
            contract_amendments::declined_by.eq(user.id),
            contract_amendments::declined_at.eq(at),
            contract_amendments::decline_reason.eq(reason),
        ))
        .execute(conn)?;
    tell(conn, &row, amendment, Consent::Declined, user.id)?;
    diesel::update(contracts::table.find(id))
        .set(contracts::updated_at.eq(at))
        .execute(conn)?;
    settle_stats(conn, &row)
}
