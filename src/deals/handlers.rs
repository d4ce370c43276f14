//! `/api/v1/deals`: the broker's pipeline.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::accounts::model::now;
use crate::achievements::model as amodel;
use crate::audit::{self, Change, snapshot};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::db::schema::deals;
use crate::deals::{self as model, DealQuery, Stage};
use crate::demands::model as dmodel;
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::{self, today};
use crate::matching::{self, Profile};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::taxonomy;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDeal {
    pub demand_id: i64,
    pub achievement_id: i64,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub next_follow_up: Option<NaiveDate>,
    /// Keep the match's score and reasons on the deal (the pair must be a current match).
    #[serde(default)]
    pub from_match: bool,
}

fn note(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(raw
        .map(|n| fields::text(n, "note", 0, 2000, ErrorCode::InvalidRequestBody))
        .transpose()?
        .filter(|n| !n.is_empty()))
}

/// The match of this pair, scored now, or `not_a_match`.
async fn match_of(
    state: &AppData,
    demand: &dmodel::DemandRow,
    achievement_id: i64,
) -> Result<serde_json::Value, ApiError> {
    let profile = Profile {
        id: demand.id,
        org_id: demand.org_id,
        title: demand.title.clone(),
        body: format!("{}\n{}", demand.description, demand.indicators),
        keywords: fields::from_json(&demand.keywords),
        chain: demand.chain.clone(),
        field: demand.field.clone(),
        region: demand.region.clone(),
        trl: demand.trl_min,
        range: demand.budget_min_fen.zip(demand.budget_max_fen),
        modes: fields::from_json(&demand.cooperation_modes),
    };
    let found = matching::find(
        &state.engine,
        &profile,
        true,
        vec![],
        50,
        chrono::Utc::now().timestamp(),
    )
    .await?;
    let m = found
        .into_iter()
        .find(|m| m.doc["id"].as_i64() == Some(achievement_id))
        .ok_or_else(|| ApiError::new(ErrorCode::NotAMatch))?;
    Ok(json!({ "score": m.score, "reasons": m.reasons }))
}

/// `POST /api/v1/deals` (broker): a published demand and a published achievement.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    body: web::Json<CreateDeal>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateDeal)?;
    let req = body.into_inner();
    let note = note(req.note.as_deref())?;
    let (demand_id, achievement_id) = (req.demand_id, req.achievement_id);
    let (demand, achievement) = state
        .db
        .read(move |conn| {
            Ok((
                dmodel::find(conn, demand_id)?,
                amodel::find(conn, achievement_id)?,
            ))
        })
        .await?;
    let (demand, _) = demand
        .ok_or_else(|| ApiError::with_message(ErrorCode::ReferenceNotFound, "No such demand."))?;
    let (achievement, _) = achievement.ok_or_else(|| {
        ApiError::with_message(ErrorCode::ReferenceNotFound, "No such achievement.")
    })?;
    if dmodel::effective_status(&demand.status, demand.valid_until, today()) != Status::Published
        || achievement.status() != Status::Published
    {
        return Err(ApiError::with_message(
            ErrorCode::NotPublished,
            "Both the demand and the achievement must be published (and the demand unexpired).",
        ));
    }
    let match_info = match req.from_match {
        true => Some(match_of(&state, &demand, achievement_id).await?),
        false => None,
    };
    let view = state
        .db
        .write(move |conn| {
            if let Some(existing) = model::open_deal_for(conn, demand_id, achievement_id)? {
                return Err(ApiError::with_message(
                    ErrorCode::DealExists,
                    format!("An open deal for this pair exists already: deal {existing} (GET /api/v1/deals/{existing})."),
                ));
            }
            let at = now();
            let id: i64 = diesel::insert_into(deals::table)
                .values((
                    deals::demand_id.eq(demand_id),
                    deals::achievement_id.eq(achievement_id),
                    deals::broker_id.eq(user.id),
                    deals::stage.eq(Stage::Recommended.as_str()),
                    deals::version.eq(1),
                    deals::next_follow_up.eq(req.next_follow_up),
                    deals::match_json.eq(match_info.map(|m| m.to_string())),
                    deals::created_at.eq(at),
                    deals::updated_at.eq(at),
                ))
                .returning(deals::id)
                .get_result(conn)?;
            model::add_event(conn, id, user.id, "created", (None, Some("recommended")), note.as_deref(), at)?;
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Deal"))?;
            let view = model::view(conn, row)?;
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "deal.create",
                    entity: "deal",
                    entity_id: Some(id),
                    before: None,
                    after: snapshot(&view),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/v1/deals`: brokers their own, admins all, orgs the deals on their listings.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<DealQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::deal_scope(&user)?;
    let q = query.into_inner();
    if let Some(s) = &q.stage {
        Stage::parse(s).ok_or_else(|| {
            ApiError::with_message(ErrorCode::InvalidQuery, format!("Unknown stage {s:?}."))
        })?;
    }
    if let Some(c) = &q.chain {
        fields::code(c, taxonomy::CHAINS, "chain", ErrorCode::InvalidChain)?;
    }
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| {
            Ok(model::list(
                conn,
                scope,
                &q,
                today(),
                page.offset(),
                page.limit(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

fn visible(
    conn: &mut crate::db::AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<model::DealRow, ApiError> {
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Deal"))?;
    let (demand_org, achievement_org) = model::party_orgs(conn, &row)?;
    if !policy::sees_deal(user, row.broker_id, demand_org, achievement_org) {
        return Err(ApiError::not_found("Deal"));
    }
    Ok(row)
}

/// `GET /api/v1/deals/{id}`.
pub async fn get(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = visible(conn, &user, id)?;
            Ok(model::view(conn, row)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchDeal {
    /// The version the client read; a stale one is a 409.
    pub version: i32,
    pub stage: Option<String>,
    pub lost_reason: Option<String>,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::patch_date")]
    pub next_follow_up: Option<Option<NaiveDate>>,
}

/// `PATCH /api/v1/deals/{id}` (its broker, admins).
pub async fn update(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<PatchDeal>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let req = body.into_inner();
    let note = note(req.note.as_deref())?;
    if req.stage.is_none() && req.note.is_none() && req.next_follow_up.is_none() {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequestBody,
            "Nothing to change: send `stage`, `note` or `next_follow_up` with the `version`.",
        ));
    }
    let to = req
        .stage
        .as_deref()
        .map(|s| {
            Stage::parse(s).ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::InvalidRequestBody,
                    format!("Unknown stage {s:?}."),
                )
            })
        })
        .transpose()?;
    if to == Some(Stage::Lost) {
        match req.lost_reason.as_deref() {
            Some(r) if taxonomy::LOSS_REASONS.contains(r) => {}
            _ => return Err(ApiError::new(ErrorCode::InvalidLostReason)),
        }
        if note.is_none() {
            return Err(ApiError::new(ErrorCode::NoteRequired));
        }
    } else if req.lost_reason.is_some() {
        return Err(ApiError::with_message(
            ErrorCode::InvalidLostReason,
            "`lost_reason` goes with `stage: lost` only.",
        ));
    }
    let view = state
        .db
        .write(move |conn| {
            let row = visible(conn, &user, id)?;
            policy::authorize(
                &user,
                Action::EditDeal {
                    broker_id: row.broker_id,
                },
            )?;
            let before = model::view(conn, row.clone())?;
            let from = row.stage();
            if let Some(to) = to
                && !from.can_move_to(to)
            {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidStageChange,
                    format!("A {} deal cannot move to {}.", from.as_str(), to.as_str()),
                ));
            }
            let at = now();
            // Compare-and-set on the version: the check and the write are one statement.
            let updated = diesel::update(
                deals::table
                    .filter(deals::id.eq(id))
                    .filter(deals::version.eq(req.version)),
            )
            .set((
                // Incremented by the database: a client-sent i32::MAX cannot overflow here.
                deals::version.eq(deals::version + 1),
                deals::stage.eq(to.unwrap_or(from).as_str()),
                deals::lost_reason.eq(req.lost_reason.clone().or(row.lost_reason.clone())),
                deals::next_follow_up.eq(req.next_follow_up.unwrap_or(row.next_follow_up)),
                deals::updated_at.eq(at),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Err(ApiError::with_message(
                    ErrorCode::VersionConflict,
                    format!(
                        "The deal is at version {}, you sent {}; reload it.",
                        row.version, req.version
                    ),
                ));
            }
            match to {
                Some(to) => model::add_event(
                    conn,
                    id,
                    user.id,
                    "stage",
                    (Some(from.as_str()), Some(to.as_str())),
                    note.as_deref(),
                    at,
                )?,
                None if note.is_some() => {
                    model::add_event(conn, id, user.id, "note", (None, None), note.as_deref(), at)?
                }
                None => {}
            }
            if let Some(date) = req.next_follow_up.filter(|d| *d != row.next_follow_up) {
                let text = date
                    .map(|d| format!("下次跟进：{d}"))
                    .unwrap_or_else(|| "取消跟进日期".into());
                model::add_event(
                    conn,
                    id,
                    user.id,
                    "follow_up",
                    (None, None),
                    Some(&text),
                    at,
                )?;
            }
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Deal"))?;
            let after = model::view(conn, row)?;
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "deal.update",
                    entity: "deal",
                    entity_id: Some(id),
                    before: snapshot(&before),
                    after: snapshot(&after),
                },
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
