//! `/api/v1/deals`: the broker's pipeline. Extract, authorize, call one operation of
//! [`pipeline`], answer.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::body::Body;
use crate::clock::today;
use crate::deals::Stage;
use crate::deals::pipeline::{self, DealInput, DealPatch};
use crate::deals::views::{self, DealQuery, ListArgs};
use crate::demands::model as dmodel;
use crate::error::{ApiError, ErrorCode};
use crate::matching::{self, Profile};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::taxonomy;

/// The match of this pair, scored now, or `not_a_match`.
async fn match_of(
    state: &AppData,
    demand: &dmodel::DemandRow,
    achievement_id: i64,
) -> Result<serde_json::Value, ApiError> {
    let profile = Profile::of_demand(demand);
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
    _no_query: crate::error::NoQuery,
    body: Body<DealInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateDeal)?;
    let input = body.parse()?;
    let from_match = input.from_match;
    let inquiry = input.inquiry_id;
    let mut new = input.validate()?;
    let (demand_id, achievement_id) = (new.demand_id, new.achievement_id);
    let demand = state
        .db
        .read(move |conn| pipeline::published_pair(conn, demand_id, achievement_id))
        .await?;
    if from_match {
        new.match_info = Some(match_of(&state, &demand, achievement_id).await?);
    }
    let view = state
        .db
        .write(move |conn| {
            let row = pipeline::open(conn, user.id, &new)?;
            if let Some(inquiry) = inquiry {
                from_inquiry(conn, inquiry, &row)?;
            }
            let view = views::view(conn, row)?;
            audit::created(
                conn,
                Act::new(user.id, "deal.create", "deal", view.id),
                &view,
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Ties a new deal to the inquiry it comes from, in the deal's transaction: a pair that
/// does not fit the inquiry undoes the deal.
fn from_inquiry(
    conn: &mut crate::db::AnyConnection,
    inquiry: i64,
    row: &crate::deals::model::DealRow,
) -> Result<(), ApiError> {
    let (demand_org, achievement_org) = crate::deals::model::party_orgs(conn, row)?;
    let demand = (row.demand_id, demand_org);
    let achievement = (row.achievement_id, achievement_org);
    crate::inquiries::store::fits_deal(conn, inquiry, demand, achievement)?;
    crate::inquiries::store::link_deal(conn, inquiry, row.id)?;
    Ok(())
}

/// `GET /api/v1/deals`: brokers their own, admins all, orgs the deals on their listings.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<DealQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::deal_reach(&user)?;
    let q = query.into_inner();
    if let Some(s) = &q.stage {
        Stage::parse(s)
            .ok_or_else(|| ApiError::one_of(ErrorCode::InvalidQuery, "stage", s, Stage::CODES))?;
    }
    if let Some(c) = &q.chain {
        crate::validate::code(c, taxonomy::CHAINS, "chain", ErrorCode::InvalidChain)?;
    }
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| {
            let (scope, today) = (scope, today());
            Ok(views::list(
                conn,
                ListArgs {
                    scope,
                    query: &q,
                    today,
                    page,
                },
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/deals/{id}`.
pub async fn get(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = pipeline::visible(conn, &user, id)?;
            Ok(views::view(conn, row)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PATCH /api/v1/deals/{id}` (its broker, admins).
pub async fn update(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<DealPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let row = pipeline::editable(conn, &user, id)?;
            let change = body.parse()?.validate()?;
            let before = views::view(conn, row.clone())?;
            let row = pipeline::advance(conn, user.id, row, &change)?;
            let after = views::view(conn, row)?;
            audit::step(
                conn,
                Act::new(user.id, "deal.update", "deal", id),
                Some(&before),
                &after,
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
