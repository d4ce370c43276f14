//! `/api/v1/me/bookmarks` (every signed-in user, their own) and
//! `/api/v1/{achievements,demands}/{id}/stats` (the listing's org and admins).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::bookmarks::store::{self, ListingKind};
use crate::error::{ApiError, NoQuery};
use crate::pagination::Pagination;
use crate::state::AppData;

/// `PUT /api/v1/me/bookmarks/{kind}/{id}`: 201 when new, 200 when it was kept already.
pub async fn put(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let kind = ListingKind::parse(&kind)?;
    let (created, view) = state
        .db
        .write(move |conn| store::put(conn, &user, kind, id))
        .await?;
    let mut response = match created {
        true => HttpResponse::Created(),
        false => HttpResponse::Ok(),
    };
    Ok(response.json(view))
}

/// `DELETE /api/v1/me/bookmarks/{kind}/{id}`: 204, or 404 when it is not bookmarked.
pub async fn delete(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = path.into_inner();
    let kind = ListingKind::parse(&kind)?;
    state
        .db
        .write(move |conn| store::delete(conn, user.id, kind, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/me/bookmarks`: newest first, paged.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Pagination::new(query.page, query.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| store::list(conn, user.id, page.offset(), page.limit()))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

#[derive(Serialize)]
struct Stats {
    /// Reads of the published listing by people outside its org and the exchange's staff
    /// (who, is not told): in all, and in the last 30 days.
    views: crate::listings::views::ViewCounts,
    /// How many users keep the listing bookmarked (who, is not told).
    bookmarks: i64,
    /// How many orgs asked about it (their threads are in `GET /api/v1/me/inquiries`).
    inquiries: i64,
}

/// The counts of a listing for its org (and admins); others who may read it get 403,
/// others 404.
async fn stats(
    state: AppData,
    user: CurrentUser,
    kind: ListingKind,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let views = state.views.clone();
    let (views, bookmarks, inquiries) = state
        .db
        .read(move |conn| {
            let (_, org, _) = store::readable(conn, &user, kind, id)?;
            if !policy::sees_every_status(Some(&user), org) {
                return Err(ApiError::new(crate::error::ErrorCode::Forbidden));
            }
            Ok((
                views.counts(conn, kind.listing(), id)?,
                store::count(conn, kind, id)?,
                crate::inquiries::store::count(conn, kind, id)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Stats {
        views,
        bookmarks,
        inquiries,
    }))
}

/// `GET /api/v1/achievements/{id}/stats`.
pub async fn achievement_stats(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    stats(state, user, ListingKind::Achievements, path.into_inner()).await
}

/// `GET /api/v1/demands/{id}/stats`.
pub async fn demand_stats(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    stats(state, user, ListingKind::Demands, path.into_inner()).await
}
