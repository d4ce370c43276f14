//! `/api/v1/me/saved-searches`: every signed-in user keeps their own saved searches.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::alerts::saved::{self, NewSavedSearch, SavedSearchPatch};
use crate::auth::extract::CurrentUser;
use crate::body::Body;
use crate::error::{ApiError, NoQuery};
use crate::state::AppData;

/// `POST /api/v1/me/saved-searches`: 201 with the saved search.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    _no_query: NoQuery,
    body: Body<NewSavedSearch>,
) -> Result<HttpResponse, ApiError> {
    let checked = saved::check(body.parse()?)?;
    let view = state
        .db
        .write(move |conn| saved::create(conn, user.id, checked))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/v1/me/saved-searches`: the user's saved searches, oldest first.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let items = state
        .db
        .read(move |conn| Ok(saved::list(conn, user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "max": saved::MAX_PER_USER })))
}

/// `PATCH /api/v1/me/saved-searches/{id}`: a new name or alert cadence; another user's
/// search is a 404.
pub async fn update(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<SavedSearchPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = saved::check_patch(body.parse()?)?;
    let view = state
        .db
        .write(move |conn| saved::update(conn, user.id, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /api/v1/me/saved-searches/{id}`: 204; another user's search is a 404.
pub async fn delete(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db
        .write(move |conn| saved::delete(conn, user.id, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
