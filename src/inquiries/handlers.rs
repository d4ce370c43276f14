//! `POST /api/v1/{achievements,demands}/{id}/inquiries`, `GET /api/v1/me/inquiries`,
//! `GET|POST /api/v1/inquiries/{id}/messages`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::extract::CurrentUser;
use crate::body::Body;
use crate::bookmarks::store::ListingKind;
use crate::error::{ApiError, NoQuery};
use crate::inquiries::store::{self, InquiryView, NewMessage};
use crate::pagination::{Paged, Pagination};
use crate::state::AppData;

async fn ask(
    state: AppData,
    user: CurrentUser,
    kind: ListingKind,
    id: i64,
    body: Body<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    let text = body.parse()?.checked()?;
    let (created, view) = state
        .db
        .write(move |conn| store::ask(conn, &user, kind, id, &text))
        .await?;
    let mut response = match created {
        true => HttpResponse::Created(),
        false => HttpResponse::Ok(),
    };
    Ok(response.json(view))
}

/// `POST /api/v1/achievements/{id}/inquiries`.
pub async fn ask_achievement(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    ask(
        state,
        user,
        ListingKind::Achievements,
        path.into_inner(),
        body,
    )
    .await
}

/// `POST /api/v1/demands/{id}/inquiries`.
pub async fn ask_demand(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    ask(state, user, ListingKind::Demands, path.into_inner(), body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/me/inquiries`: the user's org's inquiries, asked or received.
pub async fn mine(
    state: AppData,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Pagination::new(query.page, query.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| Ok(store::mine(conn, user.org_id, page.offset(), page.limit())?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

#[derive(Serialize)]
struct Thread<T: Serialize> {
    inquiry: InquiryView,
    #[serde(flatten)]
    page: Paged<T>,
}

/// `GET /api/v1/inquiries/{id}/messages`: the thread, oldest first.
pub async fn messages(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Pagination::new(query.page, query.per_page)?;
    let id = path.into_inner();
    let (inquiry, (items, total)) = state
        .db
        .read(move |conn| {
            let row = store::readable_inquiry(conn, &user, id)?;
            let inquiry = store::view(conn, row)?;
            Ok((
                inquiry,
                store::messages(conn, id, page.offset(), page.limit())?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Thread {
        inquiry,
        page: page.wrap(items, total),
    }))
}

/// `POST /api/v1/inquiries/{id}/messages`: 201 with the inquiry.
pub async fn reply(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    let text = body.parse()?.checked()?;
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| store::reply(conn, &user, id, &text))
        .await?;
    Ok(HttpResponse::Created().json(view))
}
