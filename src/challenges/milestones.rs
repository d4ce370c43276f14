//! Milestones (里程碑): the challenge's enterprise `plan`s them for a winner (shares of the
//! bounty, never past 10,000 bp a winner), the winner `submit`s a report, the enterprise
//! `review`s it (accepting pays its amount). Each operation takes a connection inside the
//! caller's transaction.

use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::challenges::applications::{refused, visible_challenge};
use crate::challenges::model::{
    self, ApplicationStatus, FULL_SHARE_BP, MilestoneInput, MilestoneRow, MilestoneStatus,
    tranche_fen,
};
use crate::challenges::views::MilestoneView;
use crate::clock::{now, today};
use crate::db::AnyConnection;
use crate::demands::model::{self as dmodel, DemandRow};
use crate::error::{ApiError, ErrorCode};

/// The winner a new milestone is for: the given application if it is a selected one of
/// this challenge, else the only winner.
fn winner_of(
    conn: &mut AnyConnection,
    demand_id: i64,
    given: Option<i64>,
) -> Result<i64, ApiError> {
    if let Some(a) = given {
        let found = model::find_application(conn, a)?.filter(|(app, _)| app.demand_id == demand_id);
        let selected = match found {
            Some((app, _)) => app.status()? == ApplicationStatus::Selected,
            None => false,
        };
        if !selected {
            return Err(ApiError::with_detail(
                ErrorCode::NotAWinner,
                format!("申请 {a} 不是此揭榜项目已选定的申请。"),
                format!("Application {a} is not a selected application of this challenge."),
            )
            .field("application_id"));
        }
        return Ok(a);
    }
    match model::selected_ids(conn, demand_id)?.as_slice() {
        [] => Err(ApiError::with_detail(
            ErrorCode::NotAWinner,
            "请先选定揭榜方，再安排里程碑。",
            "Select a winner before planning milestones.",
        )),
        [only] => Ok(*only),
        _ => Err(ApiError::new(ErrorCode::ApplicationRequired)),
    }
}

/// The challenge `demand_id` if `user` may plan its milestones: 404 for those who may not
/// see it, 403 for others.
fn plannable(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    demand_id: i64,
) -> Result<DemandRow, ApiError> {
    let demand = visible_challenge(conn, demand_id, user)?;
    let org_id = demand.org_id;
    policy::authorize(user, Action::ManageChallenge { org_id })?;
    Ok(demand)
}

/// The challenge's enterprise (or an admin) plans a milestone titled `title` under the
/// challenge's lock; its amount is the tranche of its share. The new milestone, audited.
pub fn plan(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    demand_id: i64,
    input: impl FnOnce() -> Result<(MilestoneInput, String), ApiError>,
) -> Result<MilestoneView, ApiError> {
    let demand = plannable(conn, user, demand_id)?;
    let (input, title) = input()?;
    let (input, title) = (&input, title.as_str());
    dmodel::lock(conn, demand_id)?;
    let application_id = winner_of(conn, demand_id, input.application_id)?;
    let prior = model::planned_bp(conn, application_id)?;
    if prior + input.share_bp > FULL_SHARE_BP {
        return Err(ApiError::with_detail(
            ErrorCode::ShareLimitExceeded,
            format!(
                "该揭榜方的里程碑已安排 {prior} 个基点，最多还能安排 {}。",
                FULL_SHARE_BP - prior
            ),
            format!(
                "This winner's milestones plan {prior} basis points already; at most {} more.",
                FULL_SHARE_BP - prior
            ),
        ));
    }
    let bounty = demand.challenge_bounty_fen.unwrap_or(0);
    let amount = tranche_fen(bounty, prior, input.share_bp);
    let id = model::insert_milestone(
        conn,
        demand_id,
        application_id,
        title,
        input,
        amount,
        user.id,
        now(),
    )?;
    let view = MilestoneView::new(found(conn, id)?, today(), true)?;
    let act = Act::new(user.id, "milestone.create", "milestone", id);
    audit::created(conn, act, &view)?;
    Ok(view)
}

/// Saves the change of a milestone (`before` it, as read) to the audit trail and returns
/// its new view.
fn audited(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    before: MilestoneRow,
    action: &str,
) -> Result<MilestoneView, ApiError> {
    let id = before.id;
    let row = found(conn, id)?;
    let (application, title, status) = (row.application_id, row.title.clone(), row.status.clone());
    crate::notify::on::milestone_step(conn, application, &title, &status, user.id)?;
    let after = MilestoneView::new(row, today(), true)?;
    let before = MilestoneView::new(before, today(), true)?;
    let act = Act::new(user.id, action, "milestone", id);
    audit::step(conn, act, Some(&before), &after)?;
    Ok(after)
}

fn found(conn: &mut AnyConnection, id: i64) -> Result<MilestoneRow, ApiError> {
    model::find_milestone(conn, id)?.ok_or_else(|| ApiError::not_found("Milestone"))
}

/// Who acts on a milestone: its winner reports, the challenge's org reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MilestoneRole {
    Reporter,
    Reviewer,
}

/// Milestone `id` if `user` may act on it as `role`: 404 for those who may not see it,
/// 403 for others.
fn actionable(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    role: MilestoneRole,
) -> Result<MilestoneRow, ApiError> {
    let row = found(conn, id)?;
    let (app, _) = model::find_application(conn, row.application_id)?
        .ok_or_else(|| ApiError::not_found("Milestone"))?;
    let (demand, _) =
        dmodel::find(conn, row.demand_id)?.ok_or_else(|| ApiError::not_found("Milestone"))?;
    let (winner_org, owner) = (app.org_id, demand.org_id);
    let action = match role {
        MilestoneRole::Reporter => Action::ReportMilestone { winner_org },
        MilestoneRole::Reviewer => Action::ManageChallenge { org_id: owner },
    };
    if !policy::allows(user, action) {
        return Err(refused(user, action, owner, winner_org, "Milestone"));
    }
    Ok(row)
}

/// The winner reports on a pending milestone, or again after a rejection. The milestone
/// after, the step audited.
pub fn submit(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    report: impl FnOnce() -> Result<String, ApiError>,
) -> Result<MilestoneView, ApiError> {
    let row = actionable(conn, user, id, MilestoneRole::Reporter)?;
    let report = &report()?;
    let from = row.status()?;
    if !from.can_submit() || !model::submit_milestone(conn, id, from, report, now())? {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("状态为 {} 的里程碑不能提交。", from.as_str()),
            format!("A milestone that is {} cannot be submitted.", from.as_str()),
        ));
    }
    audited(conn, user, row, "milestone.submit")
}

/// The challenge's enterprise (or an admin) accepts (pays) or rejects a submitted
/// milestone. The milestone after, the step audited.
pub fn review(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    outcome: impl FnOnce() -> Result<(MilestoneStatus, Option<String>), ApiError>,
) -> Result<MilestoneView, ApiError> {
    let row = actionable(conn, user, id, MilestoneRole::Reviewer)?;
    let (to, comment) = outcome()?;
    let comment = comment.as_deref();
    if !model::review_milestone(conn, id, to, comment, now())? {
        let status = row.status()?.as_str();
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("只有已提交（submitted）的里程碑可以验收，此里程碑为 {status}。"),
            format!("Only a submitted milestone can be reviewed; this one is {status}."),
        ));
    }
    audited(conn, user, row, "milestone.review")
}
