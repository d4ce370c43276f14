//! What achievements and demands share: the review lifecycle, its status history, and the
//! generic transition handlers (submit, review, withdraw/close, delete).
//!
//! ```text
//! draft → pending_review → published | returned | rejected
//! returned → pending_review
//! published → withdrawn | transferred   (achievements)
//! published → closed | expired          (demands; expired is read from valid_until)
//! ```

pub mod fields;
pub mod handlers;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::status_changes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    PendingReview,
    Published,
    Returned,
    Rejected,
    Withdrawn,
    Transferred,
    Closed,
    Expired,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::PendingReview,
        Status::Published,
        Status::Returned,
        Status::Rejected,
        Status::Withdrawn,
        Status::Transferred,
        Status::Closed,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingReview => "pending_review",
            Status::Published => "published",
            Status::Returned => "returned",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
            Status::Transferred => "transferred",
            Status::Closed => "closed",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Owners may change the content only before review or after it was sent back.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
}

/// Which of the two listing types a generic operation is working on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    Achievement,
    Demand,
}

impl ListingKind {
    /// The entity name in the audit log and status history.
    pub fn entity(self) -> &'static str {
        match self {
            ListingKind::Achievement => "achievement",
            ListingKind::Demand => "demand",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ListingKind::Achievement => "Achievement",
            ListingKind::Demand => "Demand",
        }
    }
}

/// A lifecycle step and who takes it is decided by `auth::policy`; which steps exist is
/// decided here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Approve,
    Return,
    Reject,
    /// Achievements leave the market.
    Withdraw,
    /// Demands stop taking offers.
    Close,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Return => "return",
            Transition::Reject => "reject",
            Transition::Withdraw => "withdraw",
            Transition::Close => "close",
        }
    }

    /// The status this step leads to from `from` (the effective status), if allowed.
    pub fn target(self, kind: ListingKind, from: Status) -> Option<Status> {
        use Status::*;
        match (self, kind, from) {
            (Transition::Submit, _, Draft | Returned) => Some(PendingReview),
            (Transition::Approve, _, PendingReview) => Some(Published),
            (Transition::Return, _, PendingReview) => Some(Returned),
            (Transition::Reject, _, PendingReview) => Some(Rejected),
            (Transition::Withdraw, ListingKind::Achievement, Published) => Some(Withdrawn),
            (Transition::Close, ListingKind::Demand, Published | Expired) => Some(Closed),
            _ => None,
        }
    }
}

/// The body of `Store::set_status` for a listing table (both have the same lifecycle
/// columns): the status, and the timestamp or review comment that goes with it.
macro_rules! set_listing_status {
    ($table:ident, $conn:expr, $id:expr, $to:expr, $comment:expr, $at:expr) => {{
        use diesel::prelude::*;
        let target = $table::table.find($id);
        diesel::update(target)
            .set(($table::status.eq($to.as_str()), $table::updated_at.eq($at)))
            .execute($conn)?;
        match $to {
            Status::PendingReview => {
                diesel::update(target)
                    .set($table::submitted_at.eq(Some($at)))
                    .execute($conn)?;
            }
            Status::Published => {
                diesel::update(target)
                    .set((
                        $table::published_at.eq(Some($at)),
                        $table::review_comment.eq($comment),
                    ))
                    .execute($conn)?;
            }
            Status::Returned | Status::Rejected => {
                diesel::update(target)
                    .set($table::review_comment.eq($comment))
                    .execute($conn)?;
            }
            _ => {}
        }
        Ok(())
    }};
}
pub(crate) use set_listing_status;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = status_changes)]
pub struct StatusChangeRow {
    pub id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One step of an item's status history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChangeView {
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<StatusChangeRow> for StatusChangeView {
    fn from(r: StatusChangeRow) -> Self {
        StatusChangeView {
            from: r.from_status,
            to: r.to_status,
            actor_id: r.actor_id,
            comment: r.comment,
            at: r.created_at.and_utc(),
        }
    }
}

/// One step of the status history, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    pub kind: ListingKind,
    pub id: i64,
    pub from: Option<Status>,
    pub to: Status,
    pub actor: i64,
    pub comment: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn record_status_change(conn: &mut AnyConnection, c: &StatusChange<'_>) -> QueryResult<()> {
    diesel::insert_into(status_changes::table)
        .values((
            status_changes::entity.eq(c.kind.entity()),
            status_changes::entity_id.eq(c.id),
            status_changes::from_status.eq(c.from.map(Status::as_str)),
            status_changes::to_status.eq(c.to.as_str()),
            status_changes::actor_id.eq(Some(c.actor)),
            status_changes::comment.eq(c.comment),
            status_changes::created_at.eq(c.at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn history(
    conn: &mut AnyConnection,
    kind: ListingKind,
    id: i64,
) -> QueryResult<Vec<StatusChangeView>> {
    let rows = status_changes::table
        .filter(status_changes::entity.eq(kind.entity()))
        .filter(status_changes::entity_id.eq(id))
        .order(status_changes::id.asc())
        .select(StatusChangeRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(StatusChangeView::from).collect())
}

pub fn delete_history(conn: &mut AnyConnection, kind: ListingKind, id: i64) -> QueryResult<usize> {
    diesel::delete(
        status_changes::table
            .filter(status_changes::entity.eq(kind.entity()))
            .filter(status_changes::entity_id.eq(id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_steps() {
        use ListingKind::*;
        use Status::*;
        assert_eq!(
            Transition::Submit.target(Achievement, Draft),
            Some(PendingReview)
        );
        assert_eq!(
            Transition::Submit.target(Demand, Returned),
            Some(PendingReview)
        );
        assert_eq!(Transition::Submit.target(Demand, Published), None);
        assert_eq!(Transition::Approve.target(Achievement, Draft), None);
        assert_eq!(Transition::Withdraw.target(Demand, Published), None);
        assert_eq!(Transition::Close.target(Achievement, Published), None);
        assert_eq!(Transition::Close.target(Demand, Expired), Some(Closed));
        assert_eq!(
            Transition::Reject.target(Achievement, PendingReview),
            Some(Rejected)
        );
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
