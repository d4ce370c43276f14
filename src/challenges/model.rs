//! Challenge rows (applications, milestones), their typed states, the exact money of a
//! milestone, and the queries on the challenge tables.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{challenge_applications, challenge_milestones, orgs};
use crate::error::{ApiError, ErrorCode};
use crate::listings::fields;
use crate::states::code_enum;

/// Basis points of a whole bounty.
pub const FULL_SHARE_BP: i32 = 10_000;

code_enum!(
    /// Where an application to a challenge stands.
    ApplicationStatus, "application status" {
        Submitted => "submitted",
        Shortlisted => "shortlisted",
        Selected => "selected",
        Rejected => "rejected",
    }
);

impl ApplicationStatus {
    /// Decisions only move forward: a selection or a rejection is final.
    pub fn can_become(self, to: ApplicationStatus) -> bool {
        use ApplicationStatus::*;
        matches!(
            (self, to),
            (Submitted, Shortlisted | Selected | Rejected) | (Shortlisted, Selected | Rejected)
        )
    }
}

code_enum!(
    /// Where a milestone stands: planned, reported, accepted (paid) or sent back.
    MilestoneStatus, "milestone status" {
        Pending => "pending",
        Submitted => "submitted",
        Accepted => "accepted",
        Rejected => "rejected",
    }
);

impl MilestoneStatus {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMember {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub role: String,
}

/// An application's fields after the edge checks.
#[derive(Debug, Clone)]
pub struct ApplicationData {
    pub proposal: String,
    pub achievement_id: Option<i64>,
    pub team: Vec<TeamMember>,
    pub budget_fen: Option<i64>,
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
        let bad = |field: &'static str, zh: &'static str, en: &'static str| {
            ApiError::with_detail(ErrorCode::InvalidMilestone, zh, en).field(field)
        };
        if !(1..=FULL_SHARE_BP).contains(&self.share_bp) {
            return Err(bad(
                "share_bp",
                "share_bp（占悬赏比例）应为 1 到 10,000 个基点。",
                "`share_bp` must be from 1 to 10,000 basis points of the bounty.",
            ));
        }
        if self.due_on < today {
            return Err(bad(
                "due_on",
                "due_on（到期日）不能早于今天。",
                "`due_on` cannot be in the past.",
            ));
        }
        crate::validate::text(&self.title, "title", 1, 120, ErrorCode::InvalidMilestone)
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
    pub fn status(&self) -> QueryResult<ApplicationStatus> {
        ApplicationStatus::read(&self.status)
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
    pub fn status(&self) -> QueryResult<MilestoneStatus> {
        MilestoneStatus::read(&self.status)
    }
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

/// The selected applications of a challenge (its winners) with their org, oldest first:
/// (application, org id, org name).
pub fn winners(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<Vec<(i64, i64, String)>> {
    challenge_applications::table
        .inner_join(orgs::table)
        .filter(challenge_applications::demand_id.eq(demand_id))
        .filter(challenge_applications::status.eq(ApplicationStatus::Selected.as_str()))
        .order(challenge_applications::id.asc())
        .select((challenge_applications::id, orgs::id, orgs::name))
        .load(conn)
}

pub fn selected_ids(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<Vec<i64>> {
    Ok(winners(conn, demand_id)?
        .into_iter()
        .map(|(id, _, _)| id)
        .collect())
}

/// How many applications a challenge received.
pub fn count_applications(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<i64> {
    challenge_applications::table
        .filter(challenge_applications::demand_id.eq(demand_id))
        .select(count_star())
        .first(conn)
}

/// The milestones of a challenge, by due date.
pub fn milestones_of(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<Vec<MilestoneRow>> {
    challenge_milestones::table
        .filter(challenge_milestones::demand_id.eq(demand_id))
        .order((
            challenge_milestones::due_on.asc(),
            challenge_milestones::id.asc(),
        ))
        .select(MilestoneRow::as_select())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listings::fields::MAX_FEN;

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
