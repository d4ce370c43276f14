//! The kinds of notification a user can receive, and how each may be delivered.

use crate::states::code_enum;

code_enum!(
    /// What a notification is about; users choose a delivery [`Mode`] per kind.
    Kind, "notification kind" {
        ListingReviewed => "listing_reviewed",
        DealOpened => "deal_opened",
        DealMoved => "deal_moved",
        ContractAwaiting => "contract_awaiting",
        ContractConfirmed => "contract_confirmed",
        ContractDeclined => "contract_declined",
        ContractRegistered => "contract_registered",
        ContractAmendment => "contract_amendment",
        ApplicationReceived => "application_received",
        ApplicationDecided => "application_decided",
        MilestoneSubmitted => "milestone_submitted",
        MilestoneReviewed => "milestone_reviewed",
        MilestoneDueSoon => "milestone_due_soon",
        MilestoneOverdue => "milestone_overdue",
        FollowUpDue => "follow_up_due",
        ListingExpiring => "listing_expiring",
        SavedSearchMatch => "saved_search_match",
        NewMatch => "new_match",
        InquiryMessage => "inquiry_message",
        OfferingBid => "offering_bid",
        OfferingClosed => "offering_closed",
        PublicityObjection => "publicity_objection",
    }
);

code_enum!(
    /// How a kind reaches a user: the inbox always; email at once or in a daily digest.
    Mode, "notification mode" {
        Inbox => "inbox",
        Email => "email",
        Digest => "digest",
    }
);
