//! Lifecycle endpoints written once for both listing types: create, read, update, submit,
//! review, withdraw or close, delete, and the admin review queue. Each type plugs in
//! through [`Store`]/[`Editable`]; the operations are in [`lifecycle`].

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::model::find_org;
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::auth::policy::{self, Action};
use crate::body::Body;
use crate::error::{ApiError, ErrorCode};
use crate::listings::lifecycle;
use crate::listings::store::{Editable, Store};
use crate::listings::{ListScope, Transition};
use crate::pagination::Pagination;
use crate::state::AppData;

async fn step<S: Store>(
    state: AppData,
    user: CurrentUser,
    id: i64,
    step: Transition,
    comment: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .db
        .write(move |conn| lifecycle::apply::<S>(conn, &user, id, step, comment.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /{kind}/{id}/submit` (owner): draft or returned → pending_review.
pub async fn submit<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Submit, None).await
}

/// `POST /achievements/{id}/withdraw` (owner, admin): published → withdrawn.
pub async fn withdraw<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Withdraw, None).await
}

/// `POST /demands/{id}/close` (owner, admin): published or expired → closed.
pub async fn close<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Close, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: String,
    pub comment: Option<String>,
}

impl ReviewRequest {
    /// The step and its comment; return and reject need one for the owner.
    fn parse(self) -> Result<(Transition, Option<String>), ApiError> {
        let transition = match self.decision.as_str() {
            "approve" => Transition::Approve,
            "return" => Transition::Return,
            "reject" => Transition::Reject,
            _ => {
                let accepted = ["approve", "return", "reject"];
                let code = ErrorCode::InvalidDecision;
                return Err(ApiError::one_of(
                    code,
                    "decision",
                    &self.decision,
                    &accepted,
                ));
            }
        };
        let comment = self
            .comment
            .as_deref()
            .map(|c| crate::validate::text(c, "comment", 0, 2000, ErrorCode::InvalidComment))
            .transpose()?
            .filter(|c| !c.is_empty());
        if transition != Transition::Approve && comment.is_none() {
            return Err(ApiError::new(ErrorCode::CommentRequired));
        }
        Ok((transition, comment))
    }
}

/// `POST /{kind}/{id}/review` (admin): approve publishes; return and reject need a comment.
pub async fn review<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            // An item the caller may not see is a 404 before the admin-only 403.
            lifecycle::visible_facts::<S>(conn, id, Some(&user))?;
            policy::authorize(&user, Action::ReviewListings)?;
            let (step, comment) = body.parse()?.parse()?;
            lifecycle::apply::<S>(conn, &user, id, step, comment.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /{kind}/{id}` (owner): drafts only; their history goes with them.
pub async fn delete<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db
        .write(move |conn| lifecycle::delete::<S>(conn, &user, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /review/{kind}` (admin): the review queue, oldest submission first.
pub async fn review_queue<S: Store>(
    state: AppData,
    user: CurrentUser,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReviewListings)?;
    let page = Pagination::new(query.page, query.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| S::list(conn, ListScope::ReviewQueue, &Default::default(), page))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/orgs/{id}/{kind}`: members and admins see every status (filter with
/// `status`); everyone else the org's published ones.
pub async fn list_for_org<S: Store>(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<S::ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    let all_statuses = policy::sees_every_status(user.0.as_ref(), org_id);
    let q = query.into_inner();
    let page = S::check_list(&q)?;
    let scope = ListScope::Org {
        org_id,
        all_statuses,
    };
    let (items, total) = state
        .db
        .read(move |conn| {
            find_org(conn, org_id)?.ok_or_else(|| ApiError::not_found("Org"))?;
            S::list(conn, scope, &q, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /{kind}/{id}`: published items for everyone; every status for the owning org and
/// admins; `details`/`contact` by the policy.
pub async fn get<S: Store>(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let viewer = user.0;
    let (view, counted) = state
        .db
        .read(move |conn| lifecycle::show::<S>(conn, id, viewer.as_ref()))
        .await?;
    if counted {
        state.views.record(S::KIND, id);
    }
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /{kind}` (the owning role): a new draft of the user's org.
pub async fn create<S: Editable>(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<S::Input>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateListing(S::KIND))?;
    let input = body.parse()?;
    let view = state
        .db
        .write(move |conn| lifecycle::create::<S>(conn, &user, input))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `PATCH /{kind}/{id}` (owner): drafts and returned items only.
pub async fn update<S: Editable>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<S::Patch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| lifecycle::update::<S>(conn, &user, id, || body.parse()))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
