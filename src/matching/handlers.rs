//! `GET /api/v1/demands/{id}/matches` and `GET /api/v1/achievements/{id}/matches`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::achievements::model as amodel;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::demands::model as dmodel;
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::{from_json, today};
use crate::matching::{self, Profile, Scored};
use crate::search::Filter;
use crate::search::documents::day_start;
use crate::state::AppData;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    pub limit: Option<usize>,
}

fn limit(q: &MatchQuery) -> Result<usize, ApiError> {
    match q.limit.unwrap_or(10) {
        n @ 1..=50 => Ok(n),
        _ => Err(ApiError::with_detail(
            ErrorCode::InvalidQuery,
            "查询参数 limit 应为 1 到 50。",
            "`limit` must be from 1 to 50.",
        )
        .field("limit")),
    }
}

fn answer(side: &str, matches: Vec<Scored>) -> HttpResponse {
    let items: Vec<Value> = matches
        .into_iter()
        .map(|m| json!({ side: m.doc, "score": m.score, "reasons": m.reasons }))
        .collect();
    HttpResponse::Ok().json(json!({ "items": items }))
}

/// Marks a matched demand that is an open challenge (揭榜挂帅): its bounty, its last
/// application day and whether it takes applications today, plus a reason saying so.
fn mark_challenge(m: &mut Scored, today_start: i64) -> Option<Value> {
    if m.doc["challenge"] != true {
        return None;
    }
    let bounty = m.doc["bounty_fen"].as_i64().unwrap_or(0);
    let apply_by = m.doc["apply_by"]
        .as_i64()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.date_naive());
    let open = apply_by.is_some_and(|d| day_start(d) >= today_start);
    let until = apply_by
        .map(|d| format!("，{d} 前可揭榜"))
        .unwrap_or_default();
    m.reasons.push(matching::Reason {
        code: "open_challenge",
        detail: format!(
            "揭榜挂帅：悬赏 {}.{:02} 元{until}",
            bounty / 100,
            bounty % 100
        ),
    });
    Some(json!({ "bounty_fen": bounty, "apply_by": apply_by, "accepting_applications": open }))
}

/// Published items only, except for their own org and admins (an unpublished item is a 404
/// to everyone else, so its existence does not leak); then brokers, admins and the org.
fn check_visible(
    user: &CurrentUser,
    org_id: i64,
    status: Status,
    what: &str,
) -> Result<(), ApiError> {
    if status != Status::Published && !policy::sees_every_status(Some(user), org_id) {
        return Err(ApiError::not_found(what));
    }
    policy::authorize(user, Action::SeeMatches { org_id })
}

/// Achievements that could solve the demand, best first.
pub async fn for_demand(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<MatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(&query)?;
    let id = path.into_inner();
    let (row, _) = state
        .db
        .read(move |conn| Ok(dmodel::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Demand"))?;
    check_visible(
        &user,
        row.org_id,
        dmodel::effective_status(&row.status, row.valid_until, today()),
        "Demand",
    )?;
    let profile = Profile {
        id: row.id,
        org_id: row.org_id,
        title: row.title.clone(),
        body: format!("{}\n{}", row.description, row.indicators),
        keywords: from_json(&row.keywords),
        chain: row.chain.clone(),
        field: row.field.clone(),
        region: row.region.clone(),
        trl: row.trl_min,
        range: row.budget_min_fen.zip(row.budget_max_fen),
        modes: from_json(&row.cooperation_modes),
    };
    let now = chrono::Utc::now().timestamp();
    let matches = matching::find(&state.engine, &profile, true, vec![], limit, now).await?;
    Ok(answer("achievement", matches))
}

/// Published, unexpired demands the achievement could answer, best first; open
/// challenges carry a `challenge` object and an `open_challenge` reason.
pub async fn for_achievement(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<MatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(&query)?;
    let id = path.into_inner();
    let (row, _) = state
        .db
        .read(move |conn| Ok(amodel::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Achievement"))?;
    check_visible(&user, row.org_id, row.status(), "Achievement")?;
    let profile = Profile {
        id: row.id,
        org_id: row.org_id,
        title: row.title.clone(),
        body: row.summary.clone(),
        keywords: from_json(&row.keywords),
        chain: row.chain.clone(),
        field: row.field.clone(),
        region: row.region.clone(),
        trl: row.trl,
        range: row.price_min_fen.zip(row.price_max_fen),
        modes: from_json(&row.transfer_modes),
    };
    let unexpired = vec![Filter::Range {
        field: "valid_until".into(),
        min: Some(day_start(today())),
        max: None,
    }];
    let now = chrono::Utc::now().timestamp();
    let matches = matching::find(&state.engine, &profile, false, unexpired, limit, now).await?;
    let today_start = day_start(today());
    let items: Vec<Value> = matches
        .into_iter()
        .map(|mut m| {
            let challenge = mark_challenge(&mut m, today_start);
            json!({ "demand": m.doc, "score": m.score, "reasons": m.reasons, "challenge": challenge })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
