//! The operations of publicity (协议定价公示): publish an agreed price, object, answer,
//! close an objection; and [`guard`], the rule a confirmation of the contract at that
//! price must pass. Each takes a connection inside the caller's write transaction and
//! typed input, read (a closure) once the caller may act.

use chrono::Duration;
use diesel::prelude::*;
use serde::Deserialize;

use super::model::{self, ObjectionRow, ObjectionStatus, PublicityRow};
use crate::accounts::model::find_org;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::MAX_CONTRACT_FEN;
use crate::contracts::model::ContractRow;
use crate::db::AnyConnection;
use crate::db::schema::{publicities, publicity_objections};
use crate::error::{ApiError, ErrorCode};
use crate::notify::on;
use crate::offerings::lifecycle::{check_priceable, visible_achievement};
use crate::validate;

/// The law asks for a public period; the exchange's rule is at least 15 days.
pub const MIN_DAYS: i32 = 15;
pub const MAX_DAYS: i32 = 90;

/// The body of `POST /api/v1/achievements/{id}/publicity`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPublicity {
    pub buyer_org_id: i64,
    pub price_fen: i64,
    pub transfer_mode: String,
    pub days: i32,
}

fn invalid(field: &'static str) -> ApiError {
    ApiError::new(ErrorCode::InvalidPublicity).field(field)
}

/// Publishes the agreed price of a published achievement for `days` (15 to 90) from now.
pub fn publish(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    achievement_id: i64,
    input: impl FnOnce() -> Result<NewPublicity, ApiError>,
) -> Result<PublicityRow, ApiError> {
    let a = visible_achievement(conn, Some(user), achievement_id)?;
    policy::authorize(user, Action::PriceAchievement { org_id: a.org_id })?;
    let req = input()?;
    if !(MIN_DAYS..=MAX_DAYS).contains(&req.days) {
        return Err(invalid("days"));
    }
    if !(0..=MAX_CONTRACT_FEN).contains(&req.price_fen) {
        return Err(invalid("price_fen"));
    }
    check_priceable(&a, &req.transfer_mode)?;
    let buyer = find_org(conn, req.buyer_org_id)?.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::ReferenceNotFound,
            "没有这个买方机构。",
            "No such buyer org.",
        )
        .field("buyer_org_id")
    })?;
    if buyer.id == a.org_id {
        return Err(ApiError::new(ErrorCode::SameParties).field("buyer_org_id"));
    }
    let at = now();
    let id: i64 = diesel::insert_into(publicities::table)
        .values((
            publicities::achievement_id.eq(a.id),
            publicities::org_id.eq(a.org_id),
            publicities::buyer_org_id.eq(buyer.id),
            publicities::price_fen.eq(req.price_fen),
            publicities::transfer_mode.eq(&req.transfer_mode),
            publicities::days.eq(req.days),
            publicities::starts_at.eq(at),
            publicities::ends_at.eq(at + Duration::days(i64::from(req.days))),
            publicities::created_by.eq(user.id),
            publicities::created_at.eq(at),
        ))
        .returning(publicities::id)
        .get_result(conn)?;
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Publicity"))
}

/// A text of an objection, answer or resolution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectionText {
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerText {
    pub answer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionText {
    pub resolution: String,
}

fn text(raw: &str, field: &str) -> Result<String, ApiError> {
    validate::text(raw, field, 1, 2000, ErrorCode::InvalidObjection)
}

/// A verified member of another org objects while the period runs.
pub fn object(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    input: impl FnOnce() -> Result<ObjectionText, ApiError>,
) -> Result<ObjectionRow, ApiError> {
    let p = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Publicity"))?;
    policy::authorize(
        user,
        Action::Object {
            seller_org: p.org_id,
        },
    )?;
    let reason = text(&input()?.reason, "reason")?;
    let at = now();
    if at >= p.ends_at {
        return Err(ApiError::new(ErrorCode::PublicityEnded));
    }
    let oid: i64 = diesel::insert_into(publicity_objections::table)
        .values((
            publicity_objections::publicity_id.eq(p.id),
            publicity_objections::org_id.eq(user.org_id),
            publicity_objections::user_id.eq(user.id),
            publicity_objections::reason.eq(reason),
            publicity_objections::status.eq(ObjectionStatus::Open.as_str()),
            publicity_objections::created_at.eq(at),
        ))
        .returning(publicity_objections::id)
        .get_result(conn)?;
    let parties = [p.org_id, p.buyer_org_id];
    on::publicity_objection(conn, p.id, p.achievement_id, parties, "open", user.id)?;
    model::find_objection(conn, oid)?.ok_or_else(|| ApiError::not_found("Objection"))
}

/// The objection and its publicity; 404 for an unknown id.
fn objection(conn: &mut AnyConnection, id: i64) -> Result<(ObjectionRow, PublicityRow), ApiError> {
    let o = model::find_objection(conn, id)?.ok_or_else(|| ApiError::not_found("Objection"))?;
    let p = model::find(conn, o.publicity_id)?.ok_or_else(|| ApiError::not_found("Publicity"))?;
    Ok((o, p))
}

/// Moves an objection that is not closed yet; 409 once the exchange closed it (also when
/// a concurrent close won the race: the update is conditional).
fn settle(
    conn: &mut AnyConnection,
    id: i64,
    set: impl FnOnce(&mut AnyConnection) -> QueryResult<usize>,
) -> Result<ObjectionRow, ApiError> {
    if set(conn)? == 0 {
        return Err(ApiError::new(ErrorCode::ObjectionClosed));
    }
    model::find_objection(conn, id)?.ok_or_else(|| ApiError::not_found("Objection"))
}

/// The seller answers an objection; it stays open until the exchange closes it.
pub fn answer(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    input: impl FnOnce() -> Result<AnswerText, ApiError>,
) -> Result<ObjectionRow, ApiError> {
    let (o, p) = objection(conn, id)?;
    policy::authorize(user, Action::AnswerObjection { org_id: p.org_id })?;
    let answer = text(&input()?.answer, "answer")?;
    let at = now();
    on::publicity_objection(
        conn,
        p.id,
        p.achievement_id,
        [o.org_id],
        "answered",
        user.id,
    )?;
    settle(conn, id, |c| {
        diesel::update(
            publicity_objections::table
                .find(id)
                .filter(publicity_objections::status.ne(ObjectionStatus::Closed.as_str())),
        )
        .set((
            publicity_objections::status.eq(ObjectionStatus::Answered.as_str()),
            publicity_objections::answer.eq(answer),
            publicity_objections::answered_by.eq(user.id),
            publicity_objections::answered_at.eq(at),
        ))
        .execute(c)
    })
}

/// The exchange closes an objection with its resolution.
pub fn close(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    input: impl FnOnce() -> Result<ResolutionText, ApiError>,
) -> Result<ObjectionRow, ApiError> {
    let (o, p) = objection(conn, id)?;
    policy::authorize(user, Action::CloseObjection)?;
    let resolution = text(&input()?.resolution, "resolution")?;
    let at = now();
    let orgs = [o.org_id, p.org_id, p.buyer_org_id];
    on::publicity_objection(conn, p.id, p.achievement_id, orgs, "closed", user.id)?;
    settle(conn, id, |c| {
        diesel::update(
            publicity_objections::table
                .find(id)
                .filter(publicity_objections::status.ne(ObjectionStatus::Closed.as_str())),
        )
        .set((
            publicity_objections::status.eq(ObjectionStatus::Closed.as_str()),
            publicity_objections::resolution.eq(resolution),
            publicity_objections::closed_by.eq(user.id),
            publicity_objections::closed_at.eq(at),
        ))
        .execute(c)
    })
}

/// The confirmation rule: a contract of a university or institute seller, for an
/// achievement whose agreed price with this buyer at this amount was made public, takes
/// effect only once a period has ended without open objections. Contracts without such a
/// publicity (offerings, other prices) pass.
pub fn guard(conn: &mut AnyConnection, c: &ContractRow) -> Result<(), ApiError> {
    if !matches!(c.seller_kind.as_str(), "university" | "institute") {
        return Ok(());
    }
    let Some(achievement) = c.achievement_id else {
        return Ok(());
    };
    let matching: Vec<PublicityRow> = publicities::table
        .filter(publicities::achievement_id.eq(achievement))
        .filter(publicities::buyer_org_id.eq(c.buyer_org_id))
        .filter(publicities::price_fen.eq(c.amount_fen))
        .select(PublicityRow::as_select())
        .load(conn)?;
    if matching.is_empty() {
        return Ok(());
    }
    let at = now();
    let mut running = false;
    for p in &matching {
        if at < p.ends_at {
            running = true;
        } else if model::open_objections(conn, p.id)? == 0 {
            return Ok(());
        }
    }
    Err(ApiError::new(if running {
        ErrorCode::PublicityRunning
    } else {
        ErrorCode::ObjectionOpen
    }))
}
