//! `/api/v1/demands/{id}/applications`, `/applications/{id}/decision`,
//! `/demands/{id}/milestones` and `/milestones/{id}/submit|review`: extract, check the
//! shape, call one operation of [`applications`] or [`milestones`], answer.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::body::Body;
use crate::challenges::applications::{self, ApplicationInput, visible_challenge};
use crate::challenges::involvement::{self, OwnApplicationQuery};
use crate::challenges::milestones;
use crate::challenges::model::{ApplicationStatus, MilestoneInput, MilestoneStatus};
use crate::challenges::views::{self, ApplicationQuery, ApplicationScope};
use crate::clock::today;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::validate::optional_text;

/// `POST /api/v1/demands/{id}/applications` (揭榜): university and institute users, for
/// their verified org, once per org, while the challenge is published and up to its
/// `apply_by` day.
pub async fn apply(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ApplyToChallenge)?;
    let demand_id = path.into_inner();
    let view = state
        .db
        .write(move |conn| applications::apply(conn, &user, demand_id, || body.parse()?.validate()))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/v1/demands/{id}/applications`: the challenge's org and admins see all of
/// them, anyone else their own org's.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(|s| {
            ApplicationStatus::parse(s).ok_or_else(|| {
                let accepted = ApplicationStatus::CODES;
                ApiError::one_of(ErrorCode::InvalidStatus, "status", s, accepted)
            })
        })
        .transpose()?;
    let page = Pagination::new(q.page, q.per_page)?;
    let demand_id = path.into_inner();
    let (items, total) = state
        .db
        .read(move |conn| {
            let demand = visible_challenge(conn, demand_id, &user)?;
            let scope = match policy::sees_every_status(Some(&user), demand.org_id) {
                true => ApplicationScope::All,
                false => ApplicationScope::Org(user.org_id),
            };
            Ok(views::list_applications(
                conn,
                demand_id,
                scope,
                status,
                page.offset(),
                page.limit(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// A decision with an optional comment: the body of an application decision and of a
/// milestone review.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: String,
    pub comment: Option<String>,
}

/// The outcomes a decision body may name, and the one that needs a comment.
trait Outcome: Copy + PartialEq + 'static {
    const CHOICES: &'static [(&'static str, Self)];
    const REJECTED: Self;
    /// What is decided on, for the English message.
    const WHAT: &'static str;
}

impl Outcome for ApplicationStatus {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("shortlist", ApplicationStatus::Shortlisted),
        ("select", ApplicationStatus::Selected),
        ("reject", ApplicationStatus::Rejected),
    ];
    const REJECTED: Self = ApplicationStatus::Rejected;
    const WHAT: &'static str = "an application";
}

impl Outcome for MilestoneStatus {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("accept", MilestoneStatus::Accepted),
        ("reject", MilestoneStatus::Rejected),
    ];
    const REJECTED: Self = MilestoneStatus::Rejected;
    const WHAT: &'static str = "a milestone";
}

impl DecisionRequest {
    /// The chosen outcome and the trimmed comment; rejecting needs a comment.
    fn outcome<T: Outcome>(self) -> Result<(T, Option<String>), ApiError> {
        let to = T::CHOICES
            .iter()
            .find(|(name, _)| *name == self.decision)
            .map(|(_, outcome)| *outcome)
            .ok_or_else(|| {
                let names: Vec<&str> = T::CHOICES.iter().map(|(n, _)| *n).collect();
                let code = ErrorCode::InvalidDecision;
                ApiError::one_of(code, "decision", &self.decision, &names)
            })?;
        let comment = optional_text(
            self.comment.as_deref(),
            "comment",
            ErrorCode::InvalidComment,
        )?;
        if to == T::REJECTED && comment.is_none() {
            return Err(ApiError::with_detail(
                ErrorCode::CommentRequired,
                "驳回时需要填写 comment 说明理由。",
                format!("Rejecting {} needs a `comment` saying why.", T::WHAT),
            )
            .field("comment"));
        }
        Ok((to, comment))
    }
}

/// `POST /api/v1/applications/{id}/decision` (the challenge's enterprise or an admin):
/// `shortlist | select | reject`; never more selections than `max_winners`.
pub async fn decide(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            applications::decide(conn, &user, id, || {
                body.parse()?.outcome::<ApplicationStatus>()
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/demands/{id}/milestones` (the challenge's enterprise or an admin): plans
/// a milestone of a selected application; one winner's shares never pass 10,000 bp.
pub async fn create_milestone(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<MilestoneInput>,
) -> Result<HttpResponse, ApiError> {
    let demand_id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            milestones::plan(conn, &user, demand_id, || {
                let input = body.parse()?;
                let title = input.validate(today())?;
                Ok((input, title))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub report: String,
}

/// `POST /api/v1/milestones/{id}/submit` (the winner): a report on a pending milestone,
/// or again after a rejection.
pub async fn submit_milestone(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<SubmitRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            milestones::submit(conn, &user, id, || {
                let report = body.parse()?.report;
                crate::validate::text(&report, "report", 1, 20_000, ErrorCode::InvalidReport)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/milestones/{id}/review` (the challenge's enterprise or an admin):
/// `accept` pays the milestone's amount; `reject` (with a comment) sends it back.
pub async fn review_milestone(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            milestones::review(conn, &user, id, || {
                body.parse()?.outcome::<MilestoneStatus>()
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/v1/me/applications`: the applications of the user's org, newest first, each
/// with its challenge; `status` filters.
pub async fn mine(
    state: AppData,
    user: CurrentUser,
    query: web::Query<OwnApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadOwnApplications)?;
    let q = query.into_inner();
    let page = Pagination::new(q.page, q.per_page)?;
    let (status, org_id) = (q.status, user.org_id);
    let (items, total) = state
        .db
        .read(move |conn| Ok(involvement::of_org(conn, org_id, status, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
