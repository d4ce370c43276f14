//! Applications (揭榜): who may see a challenge, `apply` while it is open, `decide`
//! (shortlist, select, reject) by its enterprise, never more winners than `max_winners`.
//! Each operation takes a connection inside the caller's transaction.

use chrono::NaiveDate;
use diesel::QueryResult;
use serde::Deserialize;

use crate::achievements::model as amodel;
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::challenges::model::{self, ApplicationData, ApplicationStatus, TeamMember};
use crate::challenges::views::{self, ApplicationView};
use crate::clock::{now, today};
use crate::db::AnyConnection;
use crate::demands::model::{self as dmodel, DemandRow};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::MAX_FEN;
use crate::validate;

/// Whether `demand` takes applications on `today`.
pub fn accepting_applications(demand: &DemandRow, today: NaiveDate) -> QueryResult<bool> {
    let status = dmodel::effective_status(&demand.status, demand.valid_until, today)?;
    Ok(status == Status::Published && demand.challenge_apply_by.is_some_and(|d| today <= d))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    pub proposal: String,
    pub achievement_id: Option<i64>,
    #[serde(default)]
    pub team: Vec<TeamMember>,
    pub budget_fen: Option<i64>,
}

impl ApplicationInput {
    pub fn validate(self) -> Result<ApplicationData, ApiError> {
        let proposal = validate::text(
            &self.proposal,
            "proposal",
            1,
            20_000,
            ErrorCode::InvalidProposal,
        )?;
        if self.team.len() > 50 {
            return Err(ApiError::new(ErrorCode::InvalidTeam));
        }
        let team = self
            .team
            .iter()
            .map(|m| {
                Ok(TeamMember {
                    name: validate::text(&m.name, "team.name", 1, 50, ErrorCode::InvalidTeam)?,
                    title: validate::text(&m.title, "team.title", 0, 50, ErrorCode::InvalidTeam)?,
                    role: validate::text(&m.role, "team.role", 0, 50, ErrorCode::InvalidTeam)?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        if self.budget_fen.is_some_and(|b| !(0..=MAX_FEN).contains(&b)) {
            return Err(ApiError::new(ErrorCode::InvalidBudget));
        }
        Ok(ApplicationData {
            proposal,
            achievement_id: self.achievement_id,
            team,
            budget_fen: self.budget_fen,
        })
    }
}

/// The challenge `id` if `user` may see it: a 404 for a demand they cannot see, and
/// `not_a_challenge` for an ordinary demand.
pub fn visible_challenge(
    conn: &mut AnyConnection,
    id: i64,
    user: &CurrentUser,
) -> Result<DemandRow, ApiError> {
    let (row, _) = dmodel::find(conn, id)?.ok_or_else(|| ApiError::not_found("Demand"))?;
    // Like `GET /demands/{id}`, plus applicants still see a challenge that closed or
    // expired.
    let status = dmodel::effective_status(&row.status, row.valid_until, today())?;
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

/// Why `action` is refused: 404 to those who may not even see the item, else the
/// policy's 403 (`org_not_verified` when only verification is missing).
pub(crate) fn refused(
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

/// The user's org applies to the challenge `demand_id`: once per org, while it takes
/// applications, with one of the org's own achievements if any. The new application,
/// audited.
pub fn apply(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    demand_id: i64,
    data: impl FnOnce() -> Result<ApplicationData, ApiError>,
) -> Result<ApplicationView, ApiError> {
    let id = insert_checked(conn, user, demand_id, data)?;
    let view = views::application_view(conn, id)?;
    audit::created(
        conn,
        Act::new(user.id, "challenge.apply", "application", id),
        &view,
    )?;
    crate::notify::on::application_received(conn, id)?;
    Ok(view)
}

/// The checks of [`apply`] and the insert; the new application's id.
fn insert_checked(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    demand_id: i64,
    data: impl FnOnce() -> Result<ApplicationData, ApiError>,
) -> Result<i64, ApiError> {
    let demand = visible_challenge(conn, demand_id, user)?;
    let data = &data()?;
    if !accepting_applications(&demand, today())? {
        let apply_by = demand
            .challenge_apply_by
            .map(|d| d.to_string())
            .unwrap_or_default();
        return Err(ApiError::with_detail(
            ErrorCode::ApplicationsClosed,
            format!("此揭榜项目现在不接受申请（仅在已发布期间、{apply_by} 当天及以前接受）。"),
            format!(
                "This challenge takes no applications now (published, up to and including {apply_by})."
            ),
        ));
    }
    if let Some(a) = data.achievement_id {
        let owner = amodel::find(conn, a)?.map(|(row, _)| row.org_id);
        if owner != Some(user.org_id) {
            return Err(ApiError::with_detail(
                ErrorCode::ReferenceNotFound,
                "achievement_id 必须是贵机构自己的成果。",
                "`achievement_id` must be one of your organisation's achievements.",
            )
            .field("achievement_id"));
        }
    }
    if let Some(existing) = model::existing_application(conn, demand_id, user.org_id)? {
        return Err(ApiError::with_detail(
            ErrorCode::ApplicationExists,
            format!("贵机构已经申请过此揭榜项目：申请 {existing}。"),
            format!(
                "Your organisation has applied to this challenge already: application {existing}."
            ),
        ));
    }
    model::insert_application(conn, demand_id, user.org_id, user.id, data, now()).map_err(|e| {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::new(ErrorCode::ApplicationExists),
            e => e.into(),
        }
    })
}

/// A check of a decision to `to` on an application that is `from`, on `demand`.
fn check_decision(
    conn: &mut AnyConnection,
    demand: &DemandRow,
    from: ApplicationStatus,
    to: ApplicationStatus,
) -> Result<(), ApiError> {
    if !from.can_become(to) {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("状态为 {} 的申请不能改为 {}。", from.as_str(), to.as_str()),
            format!(
                "An application that is {} cannot be moved to {}.",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    if to == ApplicationStatus::Selected {
        let max = demand.challenge_max_winners.unwrap_or(1);
        let selected = model::selected_ids(conn, demand.id)?.len();
        if i64::try_from(selected).unwrap_or(i64::MAX) >= i64::from(max) {
            return Err(ApiError::with_detail(
                ErrorCode::WinnerLimitReached,
                format!("此揭榜项目已选定 {max} 个揭榜方，达到 max_winners 上限。"),
                format!("This challenge has its {max} winner(s) already (max_winners)."),
            ));
        }
    }
    Ok(())
}

/// The challenge of application `id` if `user` may decide on it: 404 for those who may not
/// see the application, 403 for others.
fn decidable(conn: &mut AnyConnection, user: &CurrentUser, id: i64) -> Result<DemandRow, ApiError> {
    let (app, _) =
        model::find_application(conn, id)?.ok_or_else(|| ApiError::not_found("Application"))?;
    let (demand, _) =
        dmodel::find(conn, app.demand_id)?.ok_or_else(|| ApiError::not_found("Application"))?;
    let action = Action::ManageChallenge {
        org_id: demand.org_id,
    };
    if !policy::allows(user, action) {
        let owner = demand.org_id;
        return Err(refused(user, action, owner, app.org_id, "Application"));
    }
    Ok(demand)
}

/// The challenge's enterprise (or an admin) moves application `id` to `to`, under the
/// challenge's lock. The application after, the step audited.
pub fn decide(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    outcome: impl FnOnce() -> Result<(ApplicationStatus, Option<String>), ApiError>,
) -> Result<ApplicationView, ApiError> {
    let demand = decidable(conn, user, id)?;
    let (to, comment) = outcome()?;
    let comment = comment.as_deref();
    dmodel::lock(conn, demand.id)?;
    // Read again under the lock: a concurrent decision may have moved it.
    let before = views::application_view(conn, id)?;
    let from = ApplicationStatus::read(&before.status)?;
    check_decision(conn, &demand, from, to)?;
    if !model::decide(conn, id, (from, to), comment, user.id, now())? {
        return Err(ApiError::new(ErrorCode::InvalidTransition));
    }
    let after = views::application_view(conn, id)?;
    let act = Act::new(user.id, "challenge.decide", "application", id);
    audit::step(conn, act, Some(&before), &after)?;
    crate::notify::on::application_decided(conn, id, to.as_str())?;
    Ok(after)
}
