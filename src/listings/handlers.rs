//! Lifecycle endpoints written once for both listing types: submit, review, withdraw or
//! close, delete, and the admin review queue. Each type plugs in through [`Store`].

use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::model::now;
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};
use crate::listings::{
    ListingKind, Status, StatusChange, Transition, delete_history, record_status_change,
};
use crate::pagination::Pagination;
use crate::search::{IndexKind, outbox};
use crate::state::AppData;

/// What a lifecycle decision needs to know about one listing.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub org_id: i64,
    /// The effective status (a published demand past its date reads `expired`).
    pub status: Status,
    pub org_verified: bool,
}

/// The table-specific half of a listing type.
pub trait Store: Send + 'static {
    const KIND: ListingKind;
    /// The search index its published items live in.
    const INDEX: IndexKind;

    fn facts(conn: &mut AnyConnection, id: i64) -> diesel::QueryResult<Option<Facts>>;

    /// Sets the stored status and the timestamps and comment that go with it.
    fn set_status(
        conn: &mut AnyConnection,
        id: i64,
        to: Status,
        review_comment: Option<&str>,
        at: NaiveDateTime,
    ) -> diesel::QueryResult<()>;

    fn delete(conn: &mut AnyConnection, id: i64) -> diesel::QueryResult<usize>;

    /// The item as `viewer` may see it.
    fn render(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Value, ApiError>;

    /// Items waiting for review, oldest submission first.
    fn review_queue(
        conn: &mut AnyConnection,
        page: Pagination,
    ) -> Result<(Vec<Value>, i64), ApiError>;
}

fn not_found<S: Store>() -> ApiError {
    ApiError::not_found(S::KIND.label())
}

/// Loads the facts, hiding unpublished items from those who may not see them (404, so an
/// outsider learns nothing about another org's drafts).
pub fn visible_facts<S: Store>(
    conn: &mut AnyConnection,
    id: i64,
    user: Option<&CurrentUser>,
) -> Result<Facts, ApiError> {
    let facts = S::facts(conn, id)?.ok_or_else(not_found::<S>)?;
    let public = matches!(facts.status, Status::Published);
    if !public && !policy::sees_every_status(user, facts.org_id) {
        return Err(not_found::<S>());
    }
    Ok(facts)
}

/// Applies one lifecycle step: policy, allowed-from check, status, history, audit.
pub fn apply<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    step: Transition,
    comment: Option<&str>,
) -> Result<Value, ApiError> {
    let facts = visible_facts::<S>(conn, id, Some(user))?;
    let kind = S::KIND;
    let action = match step {
        Transition::Submit => Action::EditListing {
            kind,
            org_id: facts.org_id,
        },
        Transition::Approve | Transition::Return | Transition::Reject => Action::ReviewListings,
        Transition::Withdraw | Transition::Close => Action::RetireListing {
            kind,
            org_id: facts.org_id,
        },
    };
    policy::authorize(user, action)?;
    let to = step.target(kind, facts.status).ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!(
                "不能对状态为 {} 的{}执行 {}。",
                facts.status.as_str(),
                if kind.entity() == "achievement" {
                    "成果"
                } else {
                    "需求"
                },
                step.name()
            ),
            format!(
                "Cannot {} a {} {}.",
                step.name(),
                facts.status.as_str(),
                kind.entity()
            ),
        )
    })?;
    if step == Transition::Approve && !facts.org_verified {
        return Err(ApiError::new(ErrorCode::OwnerOrgNotVerified));
    }
    let at = now();
    let review_comment = match step {
        Transition::Approve | Transition::Return | Transition::Reject => comment,
        _ => None,
    };
    S::set_status(conn, id, to, review_comment, at)?;
    // Entering or leaving the market changes the index, in this same transaction.
    let listed = |s: Status| matches!(s, Status::Published | Status::Expired);
    if listed(facts.status) || listed(to) {
        outbox::enqueue(conn, S::INDEX, &[id])?;
    }
    record_status_change(
        conn,
        &StatusChange {
            kind,
            id,
            from: Some(facts.status),
            to,
            actor: user.id,
            comment,
            at,
        },
    )?;
    let action_name = format!("{}.{}", kind.entity(), step.name());
    audit::changed(
        conn,
        Act::new(user.id, &action_name, kind.entity(), id),
        &json!({"status": facts.status.as_str()}),
        &json!({"status": to.as_str(), "comment": comment}),
    )?;
    S::render(conn, id, Some(user))
}

async fn step<S: Store>(
    state: AppData,
    user: CurrentUser,
    id: i64,
    step: Transition,
    comment: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .db
        .write(move |conn| apply::<S>(conn, &user, id, step, comment.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /{kind}/{id}/submit` (owner): draft or returned → pending_review.
pub async fn submit<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Submit, None).await
}

/// `POST /achievements/{id}/withdraw` (owner, admin): published → withdrawn.
pub async fn withdraw<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Withdraw, None).await
}

/// `POST /demands/{id}/close` (owner, admin): published or expired → closed.
pub async fn close<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    step::<S>(state, user, path.into_inner(), Transition::Close, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: String,
    pub comment: Option<String>,
}

/// `POST /{kind}/{id}/review` (admin): approve publishes; return and reject need a comment.
pub async fn review<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let ReviewRequest { decision, comment } = body.into_inner();
    let transition = match decision.as_str() {
        "approve" => Transition::Approve,
        "return" => Transition::Return,
        "reject" => Transition::Reject,
        _ => {
            let accepted = ["approve", "return", "reject"];
            let code = ErrorCode::InvalidDecision;
            return Err(ApiError::one_of(code, "decision", &decision, &accepted));
        }
    };
    let comment = comment
        .as_deref()
        .map(|c| crate::listings::fields::text(c, "comment", 0, 2000, ErrorCode::InvalidComment))
        .transpose()?
        .filter(|c| !c.is_empty());
    if transition != Transition::Approve && comment.is_none() {
        return Err(ApiError::new(ErrorCode::CommentRequired));
    }
    step::<S>(state, user, path.into_inner(), transition, comment).await
}

/// `DELETE /{kind}/{id}` (owner): drafts only; their history goes with them.
pub async fn delete<S: Store>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db
        .write(move |conn| {
            let facts = visible_facts::<S>(conn, id, Some(&user))?;
            policy::authorize(
                &user,
                Action::EditListing {
                    kind: S::KIND,
                    org_id: facts.org_id,
                },
            )?;
            if facts.status != Status::Draft {
                return Err(ApiError::with_detail(
                    ErrorCode::InvalidTransition,
                    format!("只有草稿可以删除，此条目为 {}。", facts.status.as_str()),
                    format!(
                        "Only drafts can be deleted; this one is {}.",
                        facts.status.as_str()
                    ),
                ));
            }
            let before = S::render(conn, id, Some(&user))?;
            delete_history(conn, S::KIND, id)?;
            S::delete(conn, id)?;
            let action = format!("{}.delete", S::KIND.entity());
            audit::removed(
                conn,
                Act::new(user.id, &action, S::KIND.entity(), id),
                &before,
            )?;
            Ok(())
        })
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
        .read(move |conn| S::review_queue(conn, page))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /{kind}/{id}`: published items for everyone; every status for the owning org and
/// admins; `details`/`contact` by the policy.
pub async fn get<S: Store>(
    state: AppData,
    user: crate::auth::extract::MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let viewer = user.0;
    let view = state
        .db
        .read(move |conn| {
            visible_facts::<S>(conn, id, viewer.as_ref())?;
            S::render(conn, id, viewer.as_ref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The facts of a listing `user` may edit now (owner, draft or returned), or the error.
pub fn editable_facts<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<Facts, ApiError> {
    let facts = visible_facts::<S>(conn, id, Some(user))?;
    policy::authorize(
        user,
        Action::EditListing {
            kind: S::KIND,
            org_id: facts.org_id,
        },
    )?;
    if !facts.status.is_editable() {
        return Err(ApiError::new(ErrorCode::NotEditable));
    }
    Ok(facts)
}

/// Renders the item after a content write and audits it as `<entity>.<verb>`.
pub fn audited_write<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    verb: &str,
    before: Option<Value>,
) -> Result<Value, ApiError> {
    let after = S::render(conn, id, Some(user))?;
    let action = format!("{}.{verb}", S::KIND.entity());
    let act = Act::new(user.id, &action, S::KIND.entity(), id);
    audit::step(conn, act, before.as_ref(), &after)?;
    Ok(after)
}

/// The content half of a listing type: its create body, its PATCH body, and the validated
/// columns both turn into.
pub trait Editable: Store {
    type Input: serde::de::DeserializeOwned + Send + 'static;
    type Patch: serde::de::DeserializeOwned + Send + 'static;
    type Data;

    /// Validates a new item; `org_region` is the default region.
    fn validate(input: Self::Input, org_region: &str) -> Result<Self::Data, ApiError>;
    /// The stored item with `patch` laid over it, validated like a new one.
    fn patched(
        conn: &mut AnyConnection,
        id: i64,
        patch: Self::Patch,
    ) -> Result<Self::Data, ApiError>;
    fn insert(
        conn: &mut AnyConnection,
        data: &Self::Data,
        org_id: i64,
        user_id: i64,
        at: NaiveDateTime,
    ) -> diesel::QueryResult<i64>;
    fn update(
        conn: &mut AnyConnection,
        id: i64,
        data: &Self::Data,
        at: NaiveDateTime,
    ) -> diesel::QueryResult<()>;
}

/// `POST /{kind}` (the owning role): a new draft of the user's org.
pub async fn create<S: Editable>(
    state: AppData,
    user: CurrentUser,
    body: web::Json<S::Input>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateListing(S::KIND))?;
    let input = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let org = crate::accounts::model::find_org(conn, user.org_id)?
                .ok_or_else(|| ApiError::not_found("Org"))?;
            let data = S::validate(input, &org.region)?;
            let at = now();
            let id = S::insert(conn, &data, org.id, user.id, at)?;
            record_status_change(
                conn,
                &StatusChange {
                    kind: S::KIND,
                    id,
                    from: None,
                    to: Status::Draft,
                    actor: user.id,
                    comment: None,
                    at,
                },
            )?;
            audited_write::<S>(conn, &user, id, "create", None)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `PATCH /{kind}/{id}` (owner): drafts and returned items only.
pub async fn update<S: Editable>(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<S::Patch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            editable_facts::<S>(conn, &user, id)?;
            let before = S::render(conn, id, Some(&user))?;
            let data = S::patched(conn, id, patch)?;
            S::update(conn, id, &data, now())?;
            audited_write::<S>(conn, &user, id, "update", Some(before))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
