//! Who may read and who may attach to each kind of parent, from the parent's own facts and
//! the rules in `auth::policy`: a file is readable by exactly those who may read its
//! parent (and by its uploader's org), nobody else.

use diesel::prelude::*;

use super::model::{Parent, Slot};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::challenges::model as challenges;
use crate::contracts::model as contracts;
use crate::db::AnyConnection;
use crate::db::schema::{demands, orgs};
use crate::error::ApiError;
use crate::listings::store::Store;
use crate::listings::{ListingKind, Status};

/// What a viewer may do with one parent's attachments.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The viewer may see the parent at all (else it answers 404, as the parent would).
    pub visible: bool,
    /// Slots whose files the viewer may read: every slot, or only the public ones
    /// (a published achievement's images).
    pub reads: Reads,
    /// The action that attaching or detaching needs.
    pub attach: Option<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Nothing,
    PublicOnly,
    Everything,
}

impl Access {
    fn hidden() -> Access {
        Access {
            visible: false,
            reads: Reads::Nothing,
            attach: None,
        }
    }

    /// Whether a file in `slot` is readable.
    pub fn reads(&self, slot: Slot) -> bool {
        match self.reads {
            Reads::Nothing => false,
            Reads::PublicOnly => slot == Slot::Image,
            Reads::Everything => true,
        }
    }
}

fn not_found(parent: Parent) -> ApiError {
    ApiError::not_found(match parent {
        Parent::Achievement => "Achievement",
        Parent::Demand => "Demand",
        Parent::Application => "Application",
        Parent::Milestone => "Milestone",
        Parent::Contract => "Contract",
        Parent::Org => "Organisation",
    })
}

/// The viewer's access to `parent` `id`; 404 when it does not exist.
pub fn access(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    parent: Parent,
    id: i64,
) -> Result<Access, ApiError> {
    let found = match parent {
        Parent::Achievement => listing::<crate::achievements::AchievementStore>(conn, user, id)?,
        Parent::Demand => listing::<crate::demands::DemandStore>(conn, user, id)?,
        Parent::Application => application(conn, user, id)?,
        Parent::Milestone => milestone(conn, user, id)?,
        Parent::Contract => contract(conn, user, id)?,
        Parent::Org => org(conn, user, id)?,
    };
    found.ok_or_else(|| not_found(parent))
}

/// Listings: visible as the listing is (published, or to its org and admins). Images are
/// public with it; documents follow `details` (signed-in users of verified orgs, the
/// owner, admins). The owner attaches.
fn listing<S: Store>(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<Option<Access>, ApiError> {
    let Some(facts) = S::facts(conn, id)? else {
        return Ok(None);
    };
    let visible =
        facts.status == Status::Published || policy::sees_every_status(user, facts.org_id);
    if !visible {
        return Ok(Some(Access::hidden()));
    }
    let reads = if policy::sees_restricted_fields(user, facts.org_id) {
        Reads::Everything
    } else {
        Reads::PublicOnly
    };
    let kind: ListingKind = S::KIND;
    Ok(Some(Access {
        visible,
        reads,
        attach: Some(Action::EditListing {
            kind,
            org_id: facts.org_id,
        }),
    }))
}

fn by_application_rule(visible: bool, applicant_org: i64) -> Access {
    if !visible {
        return Access::hidden();
    }
    Access {
        visible,
        reads: Reads::Everything,
        // The applicant org's verified university users speak for the application.
        attach: Some(Action::ReportMilestone {
            winner_org: applicant_org,
        }),
    }
}

fn demand_org(conn: &mut AnyConnection, demand_id: i64) -> QueryResult<i64> {
    demands::table
        .find(demand_id)
        .select(demands::org_id)
        .first(conn)
}

/// Applications: the challenge's org, the applicant org and admins.
fn application(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<Option<Access>, ApiError> {
    let Some((row, _)) = challenges::find_application(conn, id)? else {
        return Ok(None);
    };
    let owner = demand_org(conn, row.demand_id)?;
    let visible = policy::sees_application(user, owner, row.org_id);
    Ok(Some(by_application_rule(visible, row.org_id)))
}

/// Milestone reports: as their application.
fn milestone(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<Option<Access>, ApiError> {
    let Some(m) = challenges::find_milestone(conn, id)? else {
        return Ok(None);
    };
    let Some((app, _)) = challenges::find_application(conn, m.application_id)? else {
        return Ok(None);
    };
    let owner = demand_org(conn, m.demand_id)?;
    let visible = policy::sees_application(user, owner, app.org_id);
    Ok(Some(by_application_rule(visible, app.org_id)))
}

/// Contracts: the parties, the broker, statisticians and the registry (admins); those who
/// may amend it attach its text and scans.
fn contract(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<Option<Access>, ApiError> {
    let Some(row) = contracts::find(conn, id)? else {
        return Ok(None);
    };
    let visible = user.is_some_and(|u| {
        policy::sees_contract(u, row.seller_org_id, row.buyer_org_id, row.broker_id)
    });
    if !visible {
        return Ok(Some(Access::hidden()));
    }
    Ok(Some(Access {
        visible,
        reads: Reads::Everything,
        attach: Some(Action::AmendContract {
            seller_org: row.seller_org_id,
            buyer_org: row.buyer_org_id,
            broker: row.broker_id,
        }),
    }))
}

/// An org's verification documents: its members and admins; its members attach them
/// (before verification too: that is what they are for).
fn org(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<Option<Access>, ApiError> {
    let exists: Option<i64> = orgs::table
        .find(id)
        .select(orgs::id)
        .first(conn)
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    if !policy::sees_every_status(user, id) {
        return Ok(Some(Access::hidden()));
    }
    Ok(Some(Access {
        visible: true,
        reads: Reads::Everything,
        attach: Some(Action::ManageInvitations { org_id: id }),
    }))
}
