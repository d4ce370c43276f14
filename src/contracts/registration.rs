//! Registration (认定登记): the seller's side applies, the registry verifies the technology
//! amount and registers with a number, or refuses with a comment.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::lifecycle::{settle_stats, visible_locked};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::model::{self, Consent, ContractRow, RegistrationStatus, Registry};
use crate::contracts::registry;
use crate::db::AnyConnection;
use crate::db::schema::contracts;
use crate::error::{ApiError, ErrorCode};

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
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("登记状态已经是 {}。", status.as_str()),
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
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!(
                "只有已提交（submitted）的合同可以作出登记决定，此合同为 {}。",
                status.as_str()
            ),
            format!(
                "Only a submitted contract can be decided; this one is {}.",
                status.as_str()
            ),
        ));
    }
    if d.on < row.signed_on {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidRequestBody,
            "registered_on（登记日期）不能早于 signed_on（签订日期）。",
            "`registered_on` cannot be before `signed_on`.",
        )
        .field("registered_on"));
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
        return Err(ApiError::with_detail(
            ErrorCode::CommentRequired,
            "不予登记时需要给合同双方填写 comment（意见）。",
            "Refusing registration needs a `comment` for the parties.",
        )
        .field("comment"));
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
