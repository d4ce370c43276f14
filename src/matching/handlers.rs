//! `GET /api/v1/demands/{id}/matches` and `GET /api/v1/achievements/{id}/matches`: load
//! the listing, check who may see its matches, and answer what [`matching::find`] ranks.

use actix_web::{HttpResponse, web};
use diesel::QueryResult;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::achievements::model as amodel;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::today;
use crate::db::AnyConnection;
use crate::demands::model as dmodel;
use crate::error::i18n::pick;
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::matching::{self, Profile, Scored};
use crate::search::documents::{day_start, present, unexpired};
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
        .map(|m| json!({ side: present(m.doc), "score": m.score, "reasons": m.reasons }))
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
    let money = crate::format::money(bounty);
    let detail = match apply_by {
        Some(d) => pick(
            format!("揭榜挂帅：悬赏{money}，{d} 前可揭榜"),
            format!("open challenge: bounty {money}, applications until {d}"),
        ),
        None => pick(
            format!("揭榜挂帅：悬赏{money}"),
            format!("open challenge: bounty {money}"),
        ),
    };
    m.reasons.push(matching::Reason {
        code: "open_challenge",
        detail,
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

/// A listing model's `find`: the row with its org's name, if the id exists.
type Find<R> = fn(&mut AnyConnection, i64) -> QueryResult<Option<(R, String)>>;

/// The listing `id` as `find` reads it off the async workers, or a 404 naming `what`.
async fn load<R: Send + 'static>(
    state: &AppData,
    id: i64,
    what: &'static str,
    find: Find<R>,
) -> Result<R, ApiError> {
    let (row, _) = state
        .db
        .read(move |conn| Ok(find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found(what))?;
    Ok(row)
}

/// Achievements that could solve the demand, best first.
pub async fn for_demand(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<MatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(&query)?;
    let row = load(&state, path.into_inner(), "Demand", dmodel::find).await?;
    check_visible(
        &user,
        row.org_id,
        dmodel::effective_status(&row.status, row.valid_until, today())?,
        "Demand",
    )?;
    let profile = Profile::of_demand(&row);
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
    let row = load(&state, path.into_inner(), "Achievement", amodel::find).await?;
    check_visible(&user, row.org_id, row.status()?, "Achievement")?;
    let profile = Profile::of_achievement(&row);
    let now = chrono::Utc::now().timestamp();
    let unexpired = vec![unexpired()];
    let matches = matching::find(&state.engine, &profile, false, unexpired, limit, now).await?;
    let today_start = day_start(today());
    let items: Vec<Value> = matches
        .into_iter()
        .map(|mut m| {
            let challenge = mark_challenge(&mut m, today_start);
            json!({ "demand": present(m.doc), "score": m.score, "reasons": m.reasons, "challenge": challenge })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
