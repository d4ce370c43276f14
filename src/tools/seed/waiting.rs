//! What waits for someone in the demo: an org waiting for the exchange's verification
//! (with a member who can sign in), an achievement and a demand waiting for review, and
//! the yearly turnover targets of this year and the last. Each only when missing, so a
//! rerun adds nothing.

use chrono::Datelike;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::model::Role;
use crate::achievements::AchievementStore;
use crate::auth::extract::CurrentUser;
use crate::clock::today;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, demands, stats_targets};
use crate::demands::DemandStore;
use crate::error::ApiError;
use crate::listings::lifecycle;
use crate::listings::store::{Editable, Store};
use crate::listings::{ListingKind, Transition};
use crate::stats::targets::{self, NewTarget};

use super::{DemoOrg, Owners, SeedReport, fail, owner};

/// Listings the demo leaves in the admin's review queue.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AwaitingReview {
    #[serde(default)]
    achievements: Vec<Value>,
    #[serde(default)]
    demands: Vec<Value>,
}

/// The demo's turnover targets: last year's and this year's, in fen (0.6 and 1 亿元).
const TARGETS_FEN: [(i32, i64); 2] = [(1, 6_000_000_000), (0, 10_000_000_000)];

/// Orgs that registered but are not verified yet, each with one member.
pub(super) fn unverified_orgs(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    orgs: &[DemoOrg],
    hash: &str,
) -> Result<(), ApiError> {
    for org in orgs {
        let (_, role, email) = super::demo_org(conn, report, org, None, hash)?;
        report
            .accounts
            .push((format!("{} (unverified)", role.as_str()), email));
    }
    Ok(())
}

/// The owner of a demo listing, acting for its verified org.
fn acting(owner: &super::Owner, role: Role) -> CurrentUser {
    CurrentUser {
        id: owner.user,
        role,
        org_id: owner.org,
        org_verified: true,
    }
}

/// Whether `org` has a listing titled `title` already, so a rerun adds nothing.
fn has_title<S: Store>(conn: &mut AnyConnection, org: i64, title: &str) -> QueryResult<bool> {
    match S::KIND {
        ListingKind::Achievement => diesel::select(diesel::dsl::exists(
            achievements::table
                .filter(achievements::org_id.eq(org))
                .filter(achievements::title.eq(title)),
        ))
        .get_result(conn),
        ListingKind::Demand => diesel::select(diesel::dsl::exists(
            demands::table
                .filter(demands::org_id.eq(org))
                .filter(demands::title.eq(title)),
        ))
        .get_result(conn),
    }
}

/// Drafts each listing of one type through the listings slice's own operations and
/// submits it, as a member of `role`.
fn submit_all<S: Editable>(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    (raws, role): (Vec<Value>, Role),
    owners: &Owners,
) -> Result<(), ApiError> {
    for mut raw in raws {
        let owner = owner(owners, &mut raw)?;
        if S::KIND == ListingKind::Demand {
            super::date_demand(&mut raw, today())?;
        }
        let title = raw["title"].as_str().unwrap_or_default().to_owned();
        if has_title::<S>(conn, owner.org, &title)? {
            continue;
        }
        let input = serde_json::from_value(raw).map_err(|e| fail(format!("{title}: {e}")))?;
        submit::<S>(conn, &acting(owner, role), input)?;
        report.awaiting_review += 1;
    }
    Ok(())
}

/// The demo's listings waiting for the admin's review.
pub(super) fn awaiting_review(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    waiting: AwaitingReview,
    owners: &Owners,
) -> Result<(), ApiError> {
    let achievements = (waiting.achievements, Role::University);
    submit_all::<AchievementStore>(conn, report, achievements, owners)?;
    submit_all::<DemandStore>(conn, report, (waiting.demands, Role::Enterprise), owners)
}

fn submit<S: Editable>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    input: S::Input,
) -> Result<(), ApiError> {
    let draft = lifecycle::create::<S>(conn, user, input)?;
    let id = draft["id"]
        .as_i64()
        .ok_or_else(|| fail("a draft without an id".into()))?;
    lifecycle::apply::<S>(conn, user, id, Transition::Submit, None)?;
    Ok(())
}

/// This year's and last year's targets, set by the admin where none is set.
pub(super) fn targets(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    admin: i64,
) -> Result<(), ApiError> {
    let today = today();
    for (back, amount_fen) in TARGETS_FEN {
        let year = today.year() - back;
        let set: i64 = stats_targets::table
            .filter(stats_targets::year.eq(year))
            .count()
            .get_result(conn)?;
        if set == 0 {
            targets::set(conn, admin, NewTarget { year, amount_fen }, today)?;
            report.targets += 1;
        }
    }
    Ok(())
}
