//! Challenges as the API shows them: applications, milestones, and the challenge board
//! on a demand (applications, winners, milestones, money), which the demands slice shows
//! through [`Board`] without knowing this slice.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::names::{self, Names, OrgRef, UserRef};
use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::challenges::applications::accepting_applications;
use crate::challenges::model::{
    self, ApplicationRow, ApplicationStatus, MilestoneRow, MilestoneStatus, TeamMember,
};
use crate::clock::today;
use crate::db::AnyConnection;
use crate::db::schema::challenge_applications;
use crate::demands::model::DemandRow;
use crate::error::ApiError;
use crate::listings::fields::from_json;

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub demand_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org: OrgRef,
    pub applicant_id: i64,
    pub applicant: UserRef,
    pub status: String,
    pub proposal: String,
    pub achievement_id: Option<i64>,
    pub team: Vec<TeamMember>,
    pub budget_fen: Option<i64>,
    pub decision_comment: Option<String>,
    /// Who made the last decision; null before one.
    pub decided_by: Option<UserRef>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    fn new(row: ApplicationRow, names: &Names) -> QueryResult<Self> {
        let org = names.org_of(row.org_id)?;
        Ok(ApplicationView {
            id: row.id,
            demand_id: row.demand_id,
            org_id: row.org_id,
            org_name: org.name.clone(),
            org,
            applicant_id: row.applicant_id,
            applicant: names.user_of(row.applicant_id)?,
            decided_by: row.decided_by.and_then(|id| names.user(id)),
            team: from_json(&row.team),
            status: row.status()?.as_str().to_owned(),
            proposal: row.proposal,
            achievement_id: row.achievement_id,
            budget_fen: row.budget_fen,
            decision_comment: row.decision_comment,
            decided_at: row.decided_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
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
    pub fn new(row: MilestoneRow, today: NaiveDate, detailed: bool) -> QueryResult<Self> {
        let status = row.status()?;
        Ok(MilestoneView {
            id: row.id,
            demand_id: row.demand_id,
            application_id: row.application_id,
            overdue: row.due_on < today && status != MilestoneStatus::Accepted,
            title: row.title,
            due_on: row.due_on,
            share_bp: row.share_bp,
            amount_fen: row.amount_fen,
            status: status.as_str().to_owned(),
            submissions: row.submissions,
            report: row.report.filter(|_| detailed),
            review_comment: row.review_comment.filter(|_| detailed),
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
            reviewed_at: row.reviewed_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        })
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

/// The views of several applications, with the names of their orgs and people loaded in
/// one query for all of them.
pub fn application_views(
    conn: &mut AnyConnection,
    rows: Vec<ApplicationRow>,
) -> QueryResult<Vec<ApplicationView>> {
    let people = rows
        .iter()
        .flat_map(|r| [Some(r.applicant_id), r.decided_by])
        .flatten();
    let names = names::load(conn, people, rows.iter().map(|r| r.org_id))?;
    rows.into_iter()
        .map(|r| ApplicationView::new(r, &names))
        .collect()
}

pub fn application_view(conn: &mut AnyConnection, id: i64) -> QueryResult<ApplicationView> {
    let row = challenge_applications::table
        .filter(challenge_applications::id.eq(id))
        .select(ApplicationRow::as_select())
        .first(conn)?;
    application_views(conn, vec![row])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
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
    let rows: Vec<ApplicationRow> = query()
        .order(challenge_applications::id.asc())
        .offset(offset)
        .limit(limit)
        .select(ApplicationRow::as_select())
        .load(conn)?;
    Ok((application_views(conn, rows)?, total))
}

/// One winner's line of the board: its milestones and what they paid of `bounty`.
fn winner_view(
    (application_id, org_id, org_name): (i64, i64, String),
    mine: Vec<MilestoneRow>,
    bounty: i64,
    today: NaiveDate,
    detailed: bool,
) -> QueryResult<WinnerView> {
    let (mut planned_bp, mut accepted_bp, mut paid_fen) = (0, 0, 0);
    for m in &mine {
        planned_bp += m.share_bp;
        if m.status()? == MilestoneStatus::Accepted {
            accepted_bp += m.share_bp;
            paid_fen += m.amount_fen;
        }
    }
    Ok(WinnerView {
        application_id,
        org_id,
        org_name,
        planned_bp,
        accepted_bp,
        paid_fen,
        remaining_fen: bounty - paid_fen,
        milestones: mine
            .into_iter()
            .map(|m| MilestoneView::new(m, today, detailed))
            .collect::<QueryResult<_>>()?,
    })
}

/// The challenge board of `demand`; `detailed` adds milestone reports and comments.
pub fn progress(
    conn: &mut AnyConnection,
    demand: &DemandRow,
    today: NaiveDate,
    detailed: impl Fn(i64) -> bool,
) -> QueryResult<ChallengeProgress> {
    let bounty = demand.challenge_bounty_fen.unwrap_or(0);
    let applications = model::count_applications(conn, demand.id)?;
    let winners = model::winners(conn, demand.id)?;
    let mut by_winner: HashMap<i64, Vec<MilestoneRow>> = HashMap::new();
    for m in model::milestones_of(conn, demand.id)? {
        by_winner.entry(m.application_id).or_default().push(m);
    }
    let mut board = ChallengeProgress {
        applications,
        accepting_applications: accepting_applications(demand, today)?,
        winners: Vec::with_capacity(winners.len()),
        paid_fen: 0,
        remaining_fen: if winners.is_empty() { bounty } else { 0 },
    };
    for winner in winners {
        let show = detailed(winner.1);
        let mine = by_winner.remove(&winner.0).unwrap_or_default();
        let line = winner_view(winner, mine, bounty, today, show)?;
        board.paid_fen += line.paid_fen;
        board.remaining_fen += line.remaining_fen;
        board.winners.push(line);
    }
    Ok(board)
}

/// The challenge board on a demand's single view, for the demands slice: for a challenge,
/// with milestone reports and comments to those who see the winner's application.
pub struct Board;

impl crate::demands::Board for Board {
    fn board(
        conn: &mut AnyConnection,
        demand: &DemandRow,
        viewer: Option<&CurrentUser>,
    ) -> Result<Option<serde_json::Value>, ApiError> {
        if demand.challenge_bounty_fen.is_none() {
            return Ok(None);
        }
        let board = progress(conn, demand, today(), |winner_org| {
            policy::sees_application(viewer, demand.org_id, winner_org)
        })?;
        Ok(Some(
            serde_json::to_value(board).map_err(ApiError::internal)?,
        ))
    }
}
