//! Reads of who is working on what: the applications of one org with their challenges
//! (`GET /api/v1/me/applications`), and the applications that name one achievement (for
//! its engagements). Names and challenges are loaded for a whole page at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::names::{self, OrgRef};
use crate::challenges::model::{ApplicationRow, ApplicationStatus};
use crate::challenges::views::{ApplicationView, application_views};
use crate::db::AnyConnection;
use crate::db::schema::challenge_applications;
use crate::demands::model::{self as dmodel, DemandHead};
use crate::pagination::Pagination;

/// `GET /api/v1/me/applications` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnApplicationQuery {
    pub status: Option<ApplicationStatus>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One application of the user's org, with the challenge it answers.
#[derive(Debug, Serialize)]
pub struct OwnApplication {
    #[serde(flatten)]
    pub application: ApplicationView,
    pub challenge: DemandHead,
}

/// An application that names an achievement, as its engagements show it.
#[derive(Debug, Serialize)]
pub struct ApplicationEngagement {
    pub application_id: i64,
    pub status: ApplicationStatus,
    /// The applicant org.
    pub org: OrgRef,
    pub challenge: DemandHead,
    pub applied_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// The challenge of each row; a missing demand is a broken row.
fn challenges_of(
    conn: &mut AnyConnection,
    rows: &[ApplicationRow],
) -> QueryResult<Vec<DemandHead>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.demand_id).collect();
    let heads = dmodel::heads(conn, &ids)?;
    rows.iter()
        .map(|r| {
            heads
                .get(&r.demand_id)
                .cloned()
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}

type Backend = <AnyConnection as Connection>::Backend;

/// One page of the applications `query` selects, newest first, and their total.
fn paged<'a>(
    conn: &mut AnyConnection,
    query: impl Fn() -> challenge_applications::BoxedQuery<'a, Backend>,
    page: Pagination,
) -> QueryResult<(Vec<ApplicationRow>, i64)> {
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(challenge_applications::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(ApplicationRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The applications of `org_id`, newest first, optionally of one status.
pub fn of_org(
    conn: &mut AnyConnection,
    org_id: i64,
    status: Option<ApplicationStatus>,
    page: Pagination,
) -> QueryResult<(Vec<OwnApplication>, i64)> {
    let query = || {
        let mut b = challenge_applications::table
            .filter(challenge_applications::org_id.eq(org_id))
            .into_boxed();
        if let Some(s) = status {
            b = b.filter(challenge_applications::status.eq(s.as_str()));
        }
        b
    };
    let (rows, total) = paged(conn, query, page)?;
    let challenges = challenges_of(conn, &rows)?;
    let items = application_views(conn, rows)?
        .into_iter()
        .zip(challenges)
        .map(|(application, challenge)| OwnApplication {
            application,
            challenge,
        })
        .collect();
    Ok((items, total))
}

/// The applications that name `achievement_id`, newest first.
pub fn naming_achievement(
    conn: &mut AnyConnection,
    achievement_id: i64,
    page: Pagination,
) -> QueryResult<(Vec<ApplicationEngagement>, i64)> {
    let query = || {
        challenge_applications::table
            .filter(challenge_applications::achievement_id.eq(achievement_id))
            .into_boxed()
    };
    let (rows, total) = paged(conn, query, page)?;
    let challenges = challenges_of(conn, &rows)?;
    let orgs = names::load(conn, [], rows.iter().map(|r| r.org_id))?;
    rows.into_iter()
        .zip(challenges)
        .map(|(r, challenge)| {
            Ok(ApplicationEngagement {
                application_id: r.id,
                status: r.status()?,
                org: orgs.org_of(r.org_id)?,
                challenge,
                applied_at: r.created_at.and_utc(),
                decided_at: r.decided_at.map(|t| t.and_utc()),
            })
        })
        .collect::<QueryResult<_>>()
        .map(|items| (items, total))
}
