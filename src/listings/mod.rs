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
mod history;
pub mod lifecycle;
pub mod store;
pub mod views;

pub use history::{StatusChange, StatusChangeView, delete_history, history, record_status_change};

use crate::states::code_enum;

code_enum! {
    /// Where a listing is in its review lifecycle (see the module doc).
    Status, "listing status" {
        Draft => "draft",
        PendingReview => "pending_review",
        Published => "published",
        Returned => "returned",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Transferred => "transferred",
        Closed => "closed",
        Expired => "expired",
    }
}

impl Status {
    /// Owners may change the content only before review or after it was sent back.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }

    /// Published items are on the market: searchable, matchable, dealable.
    pub fn is_listed(self) -> bool {
        matches!(self, Status::Published | Status::Expired)
    }
}

/// Which items of a listing type a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// Published items of every org, newest first.
    Public,
    /// One org's items; `all_statuses` for its members and admins.
    Org { org_id: i64, all_statuses: bool },
    /// Pending review, oldest submission first.
    ReviewQueue,
}

/// Which of the two listing types a generic operation is working on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// The entity's name in Chinese messages.
    pub fn zh(self) -> &'static str {
        match self {
            ListingKind::Achievement => "成果",
            ListingKind::Demand => "需求",
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
        for &s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(Status::read("publish").is_err());
    }
}
