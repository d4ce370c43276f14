//! Open challenges (揭榜挂帅): universities and institutes apply to a challenge demand,
//! its enterprise shortlists and selects (several winners make a horse race, 赛马制), and
//! the bounty is paid against milestones of each winner (里程碑式管理).
//!
//! Money stays exact: a milestone's `amount_fen` is fixed when it is planned, as the
//! difference of the winner's cumulative shares applied to the bounty, so a winner's
//! milestones add up to exactly the bounty when their shares reach 10,000 basis points.
//!
//! - [`model`] holds rows with typed states (`ApplicationStatus`, `MilestoneStatus`), the
//!   tranche arithmetic and the queries on the challenge tables, the only place that
//!   writes them. A challenge's demand row is the demands slice's: this slice reads it
//!   and takes its lock through that slice's queries.
//! - [`views`] shows applications and milestones, and the challenge [`Board`] that a
//!   demand's view carries (the demands slice is given it and does not import this one).
//! - The operations: [`applications`] `apply` → `decide`; [`milestones`] `plan` →
//!   `submit` → `review`.
//! - [`involvement`] reads who works on what: an org's own applications with their
//!   challenges, and the applications that name an achievement.
//! - [`handlers`] answer `/api/v1/demands/{id}/applications|milestones`,
//!   `/applications/{id}/decision`, `/milestones/{id}/submit|review` and
//!   `/me/applications`.

pub mod applications;
pub mod handlers;
pub mod involvement;
pub mod milestones;
pub mod model;
pub mod views;

// The row-level writes stay public for the demo seed.
pub use model::{
    ApplicationData, ApplicationRow, ApplicationStatus, FULL_SHARE_BP, MilestoneInput,
    MilestoneRow, MilestoneStatus, TeamMember, decide, insert_application, insert_milestone,
    review_milestone, submit_milestone, tranche_fen,
};
pub use views::{Board, ChallengeProgress};
