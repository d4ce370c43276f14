//! `/api/v1/demands/{id}/applications`, `/applications/{id}/decision`,
//! `/demands/{id}/milestones` and `/milestones/{id}/submit|review`.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;

use crate::accounts::model::now;
use crate::audit::{self, Change, snapshot};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::challenges::{
    self as model, ApplicationInput, ApplicationQuery, ApplicationScope, ApplicationStatus,
    MilestoneInput, MilestoneStatus, MilestoneView,
};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, demands};
use crate::demands::model::{self as dmodel, DemandRow};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::{self, today};
use crate::pagination::Pagination;
use crate::state::AppData;

/// The challenge `id` if `user` may see it: a 404 for a demand they cannot see, and
/// `not_a_challenge` for an ordinary demand.
fn visible_challenge(
    conn: &mut AnyConnection,
    id: i64,
    user: &CurrentUser,
) -> Result<DemandRow, ApiError> {
    let (row, _) = dmodel::find(conn, id)?.ok_or_else(|| ApiError::not_found("Demand"))?;
    // Like `GET /demands/{id}`, plus applicants still see a challenge that closed or
    // expired.
    let status = dmodel::effective_status(&row.status, row.valid_until, today());
    if status != Status::Published
        && !policy::sees_every_status(Some(user), row.org_id)
        && model::existing_application(conn, id, user.org_id)?.is_none()
    {
        return Err(ApiError::not_found("Demand"));
    }
    if row.challenge_bounty_fen.is_none() {
        return Err(ApiError::new(ErrorCode::NotAChallenge));
    }
    Ok(row)
}

/// 403 for those who can see the record but may not act on it, 404 for everyone else.
/// Why `action` is refused: 404 to those who may not even see the item, else the
/// policy's 403 (`org_not_verified` when only verification is missing).
fn refused(
    user: &CurrentUser,
    action: Action,
    demand_org: i64,
    applicant_org: i64,
    what: &str,
) -> ApiError {
    if policy::sees_application(Some(user), demand_org, applicant_org) {
        policy::authorize(user, action)
            .err()
            .unwrap_or_else(ApiError::forbidden)
    } else {
        ApiError::not_found(what)
    }
}

fn demand_org(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<i64> {
    demands::table
        .find(demand_id)
        .select(demands::org_id)
        .first(conn)
}

fn comment(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(raw
        .map(|c| fields::text(c, "comment", 0, 2000, ErrorCode::InvalidComment))
        .transpose()?
        .filter(|c| !c.is_empty()))
}

/// `POST /api/v1/demands/{id}/applications` (揭榜): university and institute users, for
/// their verified org, once per org, while the challenge is published and up to its
/// `apply_by` day.
pub async fn apply(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ApplyToChallenge)?;
    let data = body.into_inner().validate()?;
    let demand_id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let demand = visible_challenge(conn, demand_id, &user)?;
            if !model::accepting_applications(&demand, today()) {
                let apply_by = demand.challenge_apply_by.map(|d| d.to_string()).unwrap_or_default();
                return Err(ApiError::with_message(
                    ErrorCode::ApplicationsClosed,
                    format!("This challenge takes no applications now (published, up to and including {apply_by})."),
                ));
            }
            if let Some(a) = data.achievement_id {
                let owner: Option<i64> = achievements::table
                    .find(a)
                    .select(achievements::org_id)
                    .first(conn)
                    .optional()?;
                if owner != Some(user.org_id) {
                    return Err(ApiError::with_message(
                        ErrorCode::ReferenceNotFound,
                        "`achievement_id` must be one of your organisation's achievements.",
                    ));
                }
            }
            if let Some(existing) = model::existing_application(conn, demand_id, user.org_id)? {
                return Err(ApiError::with_message(
                    ErrorCode::ApplicationExists,
                    format!("Your organisation has applied to this challenge already: application {existing}."),
                ));
            }
            let id = model::insert_application(conn, demand_id, user.org_id, user.id, &data, now())
                .map_err(|e| match e {
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    ) => ApiError::new(ErrorCode::ApplicationExists),
                    e => e.into(),
                })?;
            let view = model::application_view(conn, id)?;
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "challenge.apply",
                    entity: "application",
                    entity_id: Some(id),
                    before: None,
                    after: snapshot(&view),
                },
            )?;
            Ok(view)
        })
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
                ApiError::with_message(
                    ErrorCode::InvalidStatus,
                    "`status` must be submitted, shortlisted, selected or rejected.",
                )
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
            Ok(model::list_applications(
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

impl DecisionRequest {
    /// The chosen outcome and the trimmed comment; `rejected` needs a comment.
    fn parse<T: Copy + PartialEq>(
        &self,
        choices: &[(&str, T)],
        rejected: T,
        what: &str,
    ) -> Result<(T, Option<String>), ApiError> {
        let to = choices
            .iter()
            .find(|(name, _)| *name == self.decision)
            .map(|(_, outcome)| *outcome)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                ApiError::with_message(
                    ErrorCode::InvalidDecision,
                    format!("`decision` must be one of {}.", names.join(", ")),
                )
            })?;
        let comment = comment(self.comment.as_deref())?;
        if to == rejected && comment.is_none() {
            return Err(ApiError::with_message(
                ErrorCode::CommentRequired,
                format!("Rejecting {what} needs a `comment` saying why."),
            ));
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
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (to, comment) = body.parse(
        &[
            ("shortlist", ApplicationStatus::Shortlisted),
            ("select", ApplicationStatus::Selected),
            ("reject", ApplicationStatus::Rejected),
        ],
        ApplicationStatus::Rejected,
        "an application",
    )?;
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let (app, _) = model::find_application(conn, id)?
                .ok_or_else(|| ApiError::not_found("Application"))?;
            let (demand, _) = dmodel::find(conn, app.demand_id)?
                .ok_or_else(|| ApiError::not_found("Application"))?;
            let action = Action::ManageChallenge {
                org_id: demand.org_id,
            };
            if !policy::allows(&user, action) {
                return Err(refused(
                    &user,
                    action,
                    demand.org_id,
                    app.org_id,
                    "Application",
                ));
            }
            model::lock_demand(conn, demand.id)?;
            // Read again under the lock: a concurrent decision may have moved it.
            let before = model::application_view(conn, id)?;
            let from =
                ApplicationStatus::parse(&before.status).unwrap_or(ApplicationStatus::Submitted);
            if !from.can_become(to) {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidTransition,
                    format!(
                        "An application that is {} cannot be moved to {}.",
                        from.as_str(),
                        to.as_str()
                    ),
                ));
            }
            if to == ApplicationStatus::Selected {
                let max = i64::from(demand.challenge_max_winners.unwrap_or(1));
                if model::count_selected(conn, demand.id)? >= max {
                    return Err(ApiError::with_message(
                        ErrorCode::WinnerLimitReached,
                        format!("This challenge has its {max} winner(s) already (max_winners)."),
                    ));
                }
            }
            if !model::decide(conn, id, (from, to), comment.as_deref(), user.id, now())? {
                return Err(ApiError::new(ErrorCode::InvalidTransition));
            }
            let after = model::application_view(conn, id)?;
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "challenge.decide",
                    entity: "application",
                    entity_id: Some(id),
                    before: snapshot(&before),
                    after: snapshot(&after),
                },
            )?;
            Ok(after)
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
    body: web::Json<MilestoneInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let title = input.validate(today())?;
    let demand_id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let demand = visible_challenge(conn, demand_id, &user)?;
            policy::authorize(&user, Action::ManageChallenge { org_id: demand.org_id })?;
            model::lock_demand(conn, demand_id)?;
            let application_id = match input.application_id {
                Some(a) => {
                    let winner = model::find_application(conn, a)?.filter(|(app, _)| {
                        app.demand_id == demand_id && app.status() == ApplicationStatus::Selected
                    });
                    winner.map(|(app, _)| app.id).ok_or_else(|| {
                        ApiError::with_message(
                            ErrorCode::NotAWinner,
                            format!("Application {a} is not a selected application of this challenge."),
                        )
                    })?
                }
                None => match model::selected_ids(conn, demand_id)?.as_slice() {
                    [] => {
                        return Err(ApiError::with_message(
                            ErrorCode::NotAWinner,
                            "Select a winner before planning milestones.",
                        ));
                    }
                    [only] => *only,
                    _ => return Err(ApiError::new(ErrorCode::ApplicationRequired)),
                },
            };
            let prior = model::planned_bp(conn, application_id)?;
            if prior + input.share_bp > model::FULL_SHARE_BP {
                return Err(ApiError::with_message(
                    ErrorCode::ShareLimitExceeded,
                    format!(
                        "This winner's milestones plan {prior} basis points already; at most {} more.",
                        model::FULL_SHARE_BP - prior
                    ),
                ));
            }
            let bounty = demand.challenge_bounty_fen.unwrap_or(0);
            let amount = model::tranche_fen(bounty, prior, input.share_bp);
            let id = model::insert_milestone(
                conn,
                demand_id,
                application_id,
                &title,
                &input,
                amount,
                user.id,
                now(),
            )?;
            let row = model::find_milestone(conn, id)?.ok_or_else(|| ApiError::not_found("Milestone"))?;
            let view = MilestoneView::new(row, today(), true);
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "milestone.create",
                    entity: "milestone",
                    entity_id: Some(id),
                    before: None,
                    after: snapshot(&view),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub report: String,
}

/// A milestone with its application's org and its challenge's org.
fn milestone_parties(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<(model::MilestoneRow, i64, i64), ApiError> {
    let row = model::find_milestone(conn, id)?.ok_or_else(|| ApiError::not_found("Milestone"))?;
    let (app, _) = model::find_application(conn, row.application_id)?
        .ok_or_else(|| ApiError::not_found("Milestone"))?;
    let owner = demand_org(conn, row.demand_id)?;
    Ok((row, app.org_id, owner))
}

/// Saves the change of a milestone to the audit trail and returns its new view.
fn audited_milestone(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    before: model::MilestoneRow,
    action: &str,
) -> Result<MilestoneView, ApiError> {
    let id = before.id;
    let after = model::find_milestone(conn, id)?.ok_or_else(|| ApiError::not_found("Milestone"))?;
    let after = MilestoneView::new(after, today(), true);
    audit::record(
        conn,
        Change {
            actor_id: Some(user.id),
            action,
            entity: "milestone",
            entity_id: Some(id),
            before: snapshot(&MilestoneView::new(before, today(), true)),
            after: snapshot(&after),
        },
    )?;
    Ok(after)
}

/// `POST /api/v1/milestones/{id}/submit` (the winner): a report on a pending milestone,
/// or again after a rejection.
pub async fn submit_milestone(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<SubmitRequest>,
) -> Result<HttpResponse, ApiError> {
    let report = fields::text(&body.report, "report", 1, 20_000, ErrorCode::InvalidReport)?;
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let (row, winner_org, owner) = milestone_parties(conn, id)?;
            let action = Action::ReportMilestone { winner_org };
            if !policy::allows(&user, action) {
                return Err(refused(&user, action, owner, winner_org, "Milestone"));
            }
            let from = row.status();
            if !from.can_submit() || !model::submit_milestone(conn, id, from, &report, now())? {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidTransition,
                    format!("A milestone that is {} cannot be submitted.", from.as_str()),
                ));
            }
            audited_milestone(conn, &user, row, "milestone.submit")
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
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (to, comment) = body.parse(
        &[
            ("accept", MilestoneStatus::Accepted),
            ("reject", MilestoneStatus::Rejected),
        ],
        MilestoneStatus::Rejected,
        "a milestone",
    )?;
    let id = path.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let (row, winner_org, owner) = milestone_parties(conn, id)?;
            let action = Action::ManageChallenge { org_id: owner };
            if !policy::allows(&user, action) {
                return Err(refused(&user, action, owner, winner_org, "Milestone"));
            }
            if !model::review_milestone(conn, id, to, comment.as_deref(), now())? {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidTransition,
                    format!(
                        "Only a submitted milestone can be reviewed; this one is {}.",
                        row.status().as_str()
                    ),
                ));
            }
            audited_milestone(conn, &user, row, "milestone.review")
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
