//! Open challenges (揭榜挂帅): universities and institutes apply to a challenge demand,
//! its enterprise shortlists and selects (several winners make a horse race, 赛马制), and
//! the bounty is paid against milestones of each winner (里程碑式管理).
//!
//! Money stays exact: a milestone's `amount_fen` is fixed when it is planned, as the
//! difference of the winner's cumulative shares applied to the bounty, so a winner's
//! milestones add up to exactly the bounty when their shares reach 10,000 basis points.

pub mod handlers;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{challenge_applications, challenge_milestones, demands, orgs};
use crate::demands::model::DemandRow;
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::{self, MAX_FEN, from_json};

/// Basis points of a whole bounty.
pub const FULL_SHARE_BP: i32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    Submitted,
    Shortlisted,
    Selected,
    Rejected,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::Shortlisted => "shortlisted",
            ApplicationStatus::Selected => "selected",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ApplicationStatus::Submitted,
            ApplicationStatus::Shortlisted,
            ApplicationStatus::Selected,
            ApplicationStatus::Rejected,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Decisions only move forward: a selection or a rejection is final.
    pub fn can_become(self, to: ApplicationStatus) -> bool {
        use ApplicationStatus::*;
        matches!(
            (self, to),
            (Submitted, Shortlisted | Selected | Rejected) | (Shortlisted, Selected | Rejected)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneStatus {
    Pending,
    Submitted,
    Accepted,
    Rejected,
}

impl MilestoneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneStatus::Pending => "pending",
            MilestoneStatus::Submitted => "submitted",
            MilestoneStatus::Accepted => "accepted",
            MilestoneStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MilestoneStatus::Pending,
            MilestoneStatus::Submitted,
            MilestoneStatus::Accepted,
            MilestoneStatus::Rejected,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The winner reports on a pending milestone, or again after a rejection.
    pub fn can_submit(self) -> bool {
        matches!(self, MilestoneStatus::Pending | MilestoneStatus::Rejected)
    }
}

/// The part of the bounty a milestone pays: what the winner's cumulative share is worth
/// after it minus what it was worth before (floors of exact `i128` products).
pub fn tranche_fen(bounty_fen: i64, prior_bp: i32, share_bp: i32) -> i64 {
    let worth = |bp: i32| {
        let v = i128::from(bounty_fen) * i128::from(bp) / i128::from(FULL_SHARE_BP);
        i64::try_from(v).unwrap_or(i64::MAX)
    };
    worth(prior_bp + share_bp) - worth(prior_bp)
}

/// Whether `demand` takes applications on `today`.
pub fn accepting_applications(demand: &DemandRow, today: NaiveDate) -> bool {
    let status = crate::demands::model::effective_status(&demand.status, demand.valid_until, today);
    status == Status::Published && demand.challenge_apply_by.is_some_and(|d| today <= d)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMember {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub role: String,
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

/// An application's fields after the edge checks.
#[derive(Debug, Clone)]
pub struct ApplicationData {
    pub proposal: String,
    pub achievement_id: Option<i64>,
    pub team: Vec<TeamMember>,
    pub budget_fen: Option<i64>,
}

impl ApplicationInput {
    pub fn validate(self) -> Result<ApplicationData, ApiError> {
        let proposal = fields::text(
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
                    name: fields::text(&m.name, "team.name", 1, 50, ErrorCode::InvalidTeam)?,
                    title: fields::text(&m.title, "team.title", 0, 50, ErrorCode::InvalidTeam)?,
                    role: fields::text(&m.role, "team.role", 0, 50, ErrorCode::InvalidTeam)?,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub title: String,
    #[serde(deserialize_with = "crate::validate::date")]
    pub due_on: NaiveDate,
    pub share_bp: i32,
    pub application_id: Option<i64>,
}

impl MilestoneInput {
    /// The title, trimmed; the rest is checked against `today` and the share bounds.
    pub fn validate(&self, today: NaiveDate) -> Result<String, ApiError> {
        let bad = |m: &str| ApiError::with_message(ErrorCode::InvalidMilestone, m.to_owned());
        if !(1..=FULL_SHARE_BP).contains(&self.share_bp) {
            return Err(bad(
                "`share_bp` must be from 1 to 10,000 basis points of the bounty.",
            ));
        }
        if self.due_on < today {
            return Err(bad("`due_on` cannot be in the past."));
        }
        fields::text(&self.title, "title", 1, 120, ErrorCode::InvalidMilestone)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenge_applications)]
pub struct ApplicationRow {
    pub id: i64,
    pub demand_id: i64,
    pub org_id: i64,
    pub applicant_id: i64,
    pub status: String,
    pub proposal: String,
    pub achievement_id: Option<i64>,
    pub team: String,
    pub budget_fen: Option<i64>,
    pub decision_comment: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ApplicationRow {
    pub fn status(&self) -> ApplicationStatus {
        ApplicationStatus::parse(&self.status).unwrap_or(ApplicationStatus::Submitted)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub demand_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub applicant_id: i64,
    pub status: String,
    pub proposal: String,
    pub achievement_id: Option<i64>,
    pub team: Vec<TeamMember>,
    pub budget_fen: Option<i64>,
    pub decision_comment: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    fn new(row: ApplicationRow, org_name: String) -> Self {
        ApplicationView {
            id: row.id,
            demand_id: row.demand_id,
            org_id: row.org_id,
            org_name,
            applicant_id: row.applicant_id,
            team: from_json(&row.team),
            status: row.status,
            proposal: row.proposal,
            achievement_id: row.achievement_id,
            budget_fen: row.budget_fen,
            decision_comment: row.decision_comment,
            decided_at: row.decided_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenge_milestones)]
pub struct MilestoneRow {
    pub id: i64,
    pub demand_id: i64,
    pub application_id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub share_bp: i32,
    pub amount_fen: i64,
    pub status: String,
    pub report: Option<String>,
    pub review_comment: Option<String>,
    pub submissions: i32,
    pub created_by: i64,
    pub submitted_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl MilestoneRow {
    pub fn status(&self) -> MilestoneStatus {
        MilestoneStatus::parse(&self.status).unwrap_or(MilestoneStatus::Pending)
    }
}

/// A milestone; `report` and `review_comment` only for the challenge's org, the winner
/// and admins.
#[derive(Debug, Clone, Serialize)]
pub struct MilestoneView {
    pub id: i64,
    pub demand_id: i64,
    pub application_id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub share_bp: i32,
    pub amount_fen: i64,
    pub status: String,
    /// Due date passed and not accepted yet.
    pub overdue: bool,
    pub submissions: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_comment: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl MilestoneView {
    pub fn new(row: MilestoneRow, today: NaiveDate, detailed: bool) -> Self {
        MilestoneView {
            id: row.id,
            demand_id: row.demand_id,
            application_id: row.application_id,
            overdue: row.due_on < today && row.status() != MilestoneStatus::Accepted,
            title: row.title,
            due_on: row.due_on,
            share_bp: row.share_bp,
            amount_fen: row.amount_fen,
            status: row.status,
            submissions: row.submissions,
            report: row.report.filter(|_| detailed),
            review_comment: row.review_comment.filter(|_| detailed),
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
            reviewed_at: row.reviewed_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        }
    }
}

/// One selected application with its milestones and money.
#[derive(Debug, Clone, Serialize)]
pub struct WinnerView {
    pub application_id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// Basis points of the bounty planned in milestones so far.
    pub planned_bp: i32,
    pub accepted_bp: i32,
    pub paid_fen: i64,
    /// The bounty less what was paid.
    pub remaining_fen: i64,
    pub milestones: Vec<MilestoneView>,
}

/// The challenge board on `GET /api/v1/demands/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ChallengeProgress {
    pub applications: i64,
    pub accepting_applications: bool,
    pub winners: Vec<WinnerView>,
    /// Paid to all winners together.
    pub paid_fen: i64,
    /// Still to pay: each winner's bounty less its payments; the bounty while nobody is
    /// selected.
    pub remaining_fen: i64,
}

/// Takes the challenge's row lock on PostgreSQL so that concurrent selections and
/// milestone plans see each other's counts (SQLite writers are serialised already).
pub fn lock_demand(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        demands::table
            .find(demand_id)
            .select(demands::id)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok(())
}

pub fn find_application(
    conn: &mut AnyConnection,
    id: i64,
) -> QueryResult<Option<(ApplicationRow, String)>> {
    challenge_applications::table
        .inner_join(orgs::table)
        .filter(challenge_applications::id.eq(id))
        .select((ApplicationRow::as_select(), orgs::name))
        .first(conn)
        .optional()
}

pub fn application_view(conn: &mut AnyConnection, id: i64) -> QueryResult<ApplicationView> {
    challenge_applications::table
        .inner_join(orgs::table)
        .filter(challenge_applications::id.eq(id))
        .select((ApplicationRow::as_select(), orgs::name))
        .first(conn)
        .map(|(row, name)| ApplicationView::new(row, name))
}

pub fn insert_application(
    conn: &mut AnyConnection,
    demand_id: i64,
    org_id: i64,
    applicant_id: i64,
    data: &ApplicationData,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(challenge_applications::table)
        .values((
            challenge_applications::demand_id.eq(demand_id),
            challenge_applications::org_id.eq(org_id),
            challenge_applications::applicant_id.eq(applicant_id),
            challenge_applications::status.eq(ApplicationStatus::Submitted.as_str()),
            challenge_applications::proposal.eq(&data.proposal),
            challenge_applications::achievement_id.eq(data.achievement_id),
            challenge_applications::team.eq(fields::to_json(&data.team)),
            challenge_applications::budget_fen.eq(data.budget_fen),
            challenge_applications::created_at.eq(at),
            challenge_applications::updated_at.eq(at),
        ))
        .returning(challenge_applications::id)
        .get_result(conn)
}

pub fn existing_application(
    conn: &mut AnyConnection,
    demand_id: i64,
    org_id: i64,
) -> QueryResult<Option<i64>> {
    challenge_applications::table
        .filter(challenge_applications::demand_id.eq(demand_id))
        .filter(challenge_applications::org_id.eq(org_id))
        .select(challenge_applications::id)
        .first(conn)
        .optional()
}

pub fn count_selected(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<i64> {
    challenge_applications::table
        .filter(challenge_applications::demand_id.eq(demand_id))
        .filter(challenge_applications::status.eq(ApplicationStatus::Selected.as_str()))
        .select(count_star())
        .first(conn)
}

pub fn selected_ids(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<Vec<i64>> {
    challenge_applications::table
        .filter(challenge_applications::demand_id.eq(demand_id))
        .filter(challenge_applications::status.eq(ApplicationStatus::Selected.as_str()))
        .order(challenge_applications::id.asc())
        .select(challenge_applications::id)
        .load(conn)
}

/// Moves the application from `from` to `to`; `false` when it was no longer in `from`.
pub fn decide(
    conn: &mut AnyConnection,
    id: i64,
    (from, to): (ApplicationStatus, ApplicationStatus),
    comment: Option<&str>,
    actor: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = challenge_applications::table
        .find(id)
        .filter(challenge_applications::status.eq(from.as_str()));
    let n = diesel::update(target)
        .set((
            challenge_applications::status.eq(to.as_str()),
            challenge_applications::decision_comment.eq(comment),
            challenge_applications::decided_by.eq(Some(actor)),
            challenge_applications::decided_at.eq(Some(at)),
            challenge_applications::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Whose applications a list shows.
#[derive(Debug, Clone, Copy)]
pub enum ApplicationScope {
    All,
    Org(i64),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn list_applications(
    conn: &mut AnyConnection,
    demand_id: i64,
    scope: ApplicationScope,
    status: Option<ApplicationStatus>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ApplicationView>, i64)> {
    let query = || {
        let mut b = challenge_applications::table
            .inner_join(orgs::table)
            .filter(challenge_applications::demand_id.eq(demand_id))
            .into_boxed();
        if let ApplicationScope::Org(org_id) = scope {
            b = b.filter(challenge_applications::org_id.eq(org_id));
        }
        if let Some(s) = status {
            b = b.filter(challenge_applications::status.eq(s.as_str()));
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<(ApplicationRow, String)> = query()
        .order(challenge_applications::id.asc())
        .offset(offset)
        .limit(limit)
        .select((ApplicationRow::as_select(), orgs::name))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(r, n)| ApplicationView::new(r, n))
            .collect(),
        total,
    ))
}

pub fn find_milestone(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<MilestoneRow>> {
    challenge_milestones::table
        .find(id)
        .select(MilestoneRow::as_select())
        .first(conn)
        .optional()
}

/// Basis points already planned for one winner.
pub fn planned_bp(conn: &mut AnyConnection, application_id: i64) -> QueryResult<i32> {
    let shares: Vec<i32> = challenge_milestones::table
        .filter(challenge_milestones::application_id.eq(application_id))
        .select(challenge_milestones::share_bp)
        .load(conn)?;
    Ok(shares.iter().sum())
}

#[allow(clippy::too_many_arguments)]
pub fn insert_milestone(
    conn: &mut AnyConnection,
    demand_id: i64,
    application_id: i64,
    title: &str,
    input: &MilestoneInput,
    amount_fen: i64,
    created_by: i64,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(challenge_milestones::table)
        .values((
            challenge_milestones::demand_id.eq(demand_id),
            challenge_milestones::application_id.eq(application_id),
            challenge_milestones::title.eq(title),
            challenge_milestones::due_on.eq(input.due_on),
            challenge_milestones::share_bp.eq(input.share_bp),
            challenge_milestones::amount_fen.eq(amount_fen),
            challenge_milestones::status.eq(MilestoneStatus::Pending.as_str()),
            challenge_milestones::submissions.eq(0),
            challenge_milestones::created_by.eq(created_by),
            challenge_milestones::created_at.eq(at),
            challenge_milestones::updated_at.eq(at),
        ))
        .returning(challenge_milestones::id)
        .get_result(conn)
}

/// Records the winner's report; `false` when the milestone was no longer in `from`.
pub fn submit_milestone(
    conn: &mut AnyConnection,
    id: i64,
    from: MilestoneStatus,
    report: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = challenge_milestones::table
        .find(id)
        .filter(challenge_milestones::status.eq(from.as_str()));
    let n = diesel::update(target)
        .set((
            challenge_milestones::status.eq(MilestoneStatus::Submitted.as_str()),
            challenge_milestones::report.eq(Some(report)),
            challenge_milestones::submissions.eq(challenge_milestones::submissions + 1),
            challenge_milestones::submitted_at.eq(Some(at)),
            challenge_milestones::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Accepts or rejects a submitted milestone; `false` when it was no longer submitted.
pub fn review_milestone(
    conn: &mut AnyConnection,
    id: i64,
    to: MilestoneStatus,
    comment: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = challenge_milestones::table
        .find(id)
        .filter(challenge_milestones::status.eq(MilestoneStatus::Submitted.as_str()));
    let n = diesel::update(target)
        .set((
            challenge_milestones::status.eq(to.as_str()),
            challenge_milestones::review_comment.eq(comment),
            challenge_milestones::reviewed_at.eq(Some(at)),
            challenge_milestones::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// The challenge board of `demand`; `detailed` adds milestone reports and comments.
pub fn progress(
    conn: &mut AnyConnection,
    demand: &DemandRow,
    today: NaiveDate,
    detailed: impl Fn(i64) -> bool,
) -> QueryResult<ChallengeProgress> {
    let bounty = demand.challenge_bounty_fen.unwrap_or(0);
    let applications: i64 = challenge_applications::table
        .filter(challenge_applications::demand_id.eq(demand.id))
        .select(count_star())
        .first(conn)?;
    let winners: Vec<(i64, i64, String)> = challenge_applications::table
        .inner_join(orgs::table)
        .filter(challenge_applications::demand_id.eq(demand.id))
        .filter(challenge_applications::status.eq(ApplicationStatus::Selected.as_str()))
        .order(challenge_applications::id.asc())
        .select((challenge_applications::id, orgs::id, orgs::name))
        .load(conn)?;
    let milestones: Vec<MilestoneRow> = challenge_milestones::table
        .filter(challenge_milestones::demand_id.eq(demand.id))
        .order((
            challenge_milestones::due_on.asc(),
            challenge_milestones::id.asc(),
        ))
        .select(MilestoneRow::as_select())
        .load(conn)?;
    let mut board = ChallengeProgress {
        applications,
        accepting_applications: accepting_applications(demand, today),
        winners: Vec::with_capacity(winners.len()),
        paid_fen: 0,
        remaining_fen: if winners.is_empty() { bounty } else { 0 },
    };
    let mut by_winner: HashMap<i64, Vec<MilestoneRow>> = HashMap::new();
    for m in milestones {
        by_winner.entry(m.application_id).or_default().push(m);
    }
    for (application_id, org_id, org_name) in winners {
        let show = detailed(org_id);
        let mine = by_winner.remove(&application_id).unwrap_or_default();
        let planned_bp = mine.iter().map(|m| m.share_bp).sum();
        let accepted: Vec<&MilestoneRow> = mine
            .iter()
            .filter(|m| m.status() == MilestoneStatus::Accepted)
            .collect();
        let accepted_bp = accepted.iter().map(|m| m.share_bp).sum();
        let paid_fen: i64 = accepted.iter().map(|m| m.amount_fen).sum();
        board.paid_fen += paid_fen;
        board.remaining_fen += bounty - paid_fen;
        board.winners.push(WinnerView {
            application_id,
            org_id,
            org_name,
            planned_bp,
            accepted_bp,
            paid_fen,
            remaining_fen: bounty - paid_fen,
            milestones: mine
                .into_iter()
                .map(|m| MilestoneView::new(m, today, show))
                .collect(),
        });
    }
    Ok(board)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tranches_add_up_to_the_bounty_exactly() {
        // Awkward bounties and shares whose products do not divide by 10,000.
        for bounty in [1_i64, 7, 99_999, 1_000_003, 123_456_789_013, MAX_FEN] {
            for shares in [
                vec![3333, 3333, 3334],
                vec![1, 9999],
                vec![10_000],
                vec![7, 13, 4980, 5000],
            ] {
                let mut prior = 0;
                let mut sum = 0;
                for s in &shares {
                    let t = tranche_fen(bounty, prior, *s);
                    assert!(t >= 0);
                    sum += t;
                    prior += s;
                }
                assert_eq!(sum, bounty, "bounty {bounty} shares {shares:?}");
            }
        }
        assert_eq!(tranche_fen(1_000_000, 0, 2500), 250_000);
        assert_eq!(tranche_fen(10, 0, 3333), 3);
        assert_eq!(tranche_fen(10, 3333, 3333), 3);
        assert_eq!(tranche_fen(10, 6666, 3334), 4);
    }

    #[test]
    fn decisions_only_move_forward() {
        use ApplicationStatus::*;
        assert!(Submitted.can_become(Shortlisted));
        assert!(Submitted.can_become(Selected));
        assert!(Shortlisted.can_become(Rejected));
        assert!(!Selected.can_become(Rejected));
        assert!(!Rejected.can_become(Selected));
        assert!(!Shortlisted.can_become(Shortlisted));
        assert!(MilestoneStatus::Rejected.can_submit());
        assert!(!MilestoneStatus::Accepted.can_submit());
        assert!(!MilestoneStatus::Submitted.can_submit());
    }
}
