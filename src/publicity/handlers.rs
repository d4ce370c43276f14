//! `/api/v1/publicity`, `POST /api/v1/achievements/{id}/publicity` and
//! `/api/v1/objections/{id}/...`: extract, call one operation (which authorizes before it
//! reads the body), audit, answer.

use actix_web::{HttpResponse, web};

use super::model;
use super::notices::{self, AnswerText, NewPublicity, ObjectionText, ResolutionText};
use super::views::{self, ObjectionView, PublicityQuery};
use crate::audit::{self, Act};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::body::Body;
use crate::error::{ApiError, NoQuery};
use crate::pagination::Pagination;
use crate::state::AppData;

/// `POST /api/v1/achievements/{id}/publicity`: the owner publishes an agreed price.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewPublicity>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let row = notices::publish(conn, &user, id, || body.parse())?;
            let view = views::view(conn, row, Some(&user))?;
            audit::created(
                conn,
                Act::new(user.id, "publicity.create", "publicity", view.id),
                &view,
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/v1/publicity`: public; `status=running|ended`, `achievement_id`.
pub async fn list(
    state: AppData,
    user: MaybeUser,
    query: web::Query<PublicityQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = views::check_status(&q)?;
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| Ok(views::list(conn, user.0.as_ref(), status, &q, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/publicity/{id}`: public, with its objections.
pub async fn get(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Publicity"))?;
            Ok(views::view(conn, row, user.0.as_ref())?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Runs one objection step in a write transaction and audits it.
async fn objection_step<F>(
    state: &AppData,
    user: CurrentUser,
    action: &'static str,
    op: F,
) -> Result<ObjectionView, ApiError>
where
    F: FnOnce(&mut crate::db::AnyConnection, &CurrentUser) -> Result<model::ObjectionRow, ApiError>
        + Send
        + 'static,
{
    state
        .db
        .write(move |conn| {
            let row = op(conn, &user)?;
            let view = views::objection(conn, &row, Some(&user))?;
            audit::created(
                conn,
                Act::new(user.id, action, "publicity_objection", view.id),
                &view,
            )?;
            Ok(view)
        })
        .await
}

/// `POST /api/v1/publicity/{id}/objections {reason}`: verified members of other orgs,
/// while the period runs.
pub async fn object(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<ObjectionText>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = objection_step(&state, user, "publicity.object", move |conn, u| {
        notices::object(conn, u, id, || body.parse())
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `POST /api/v1/objections/{id}/answer {answer}`: the seller answers.
pub async fn answer(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<AnswerText>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = objection_step(&state, user, "publicity.answer", move |conn, u| {
        notices::answer(conn, u, id, || body.parse())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/objections/{id}/close {resolution}`: the exchange closes an objection.
pub async fn close(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<ResolutionText>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = objection_step(&state, user, "publicity.close_objection", move |conn, u| {
        notices::close(conn, u, id, || body.parse())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
