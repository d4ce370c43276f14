//! Who may do what: every permission decision of the API is made here, so a rule is
//! read, changed and tested in one place. Handlers name the action; they never compare
//! roles themselves.

use crate::accounts::model::Role;
use crate::auth::extract::CurrentUser;
use crate::error::ApiError;
use crate::listings::ListingKind;

/// Something a user wants to do, with the facts the decision needs.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    CreateUser,
    ListOrgs,
    VerifyOrg,
    ReadAudit,
    /// Invite someone into `org_id`, or list that org's invitations.
    ManageInvitations {
        org_id: i64,
    },
    /// Create a draft listing for one's own org.
    CreateListing(ListingKind),
    /// Edit, submit or delete a listing of `org_id`.
    EditListing {
        kind: ListingKind,
        org_id: i64,
    },
    /// Take a published listing of `org_id` off the market (withdraw or close).
    RetireListing {
        kind: ListingKind,
        org_id: i64,
    },
    /// Approve, return or reject; read the review queue.
    ReviewListings,
    /// Put achievements into the yearly pool or take them out.
    ManagePool,
    /// See the search engine's health and the outbox backlog.
    ReadSearchStatus,
    /// See match suggestions for a listing of `org_id`.
    SeeMatches {
        org_id: i64,
    },
    /// Open a deal (brokers).
    CreateDeal,
    /// Move a deal along, add notes, set its follow-up.
    EditDeal {
        broker_id: i64,
    },
    /// Record a contract between these orgs (optionally for a broker's deal).
    RecordContract {
        seller_org: i64,
        buyer_org: i64,
        deal_broker: Option<i64>,
    },
    /// Correct a contract's amounts with an amendment.
    AmendContract {
        seller_org: i64,
        buyer_org: i64,
        broker: Option<i64>,
    },
    /// Decide registration (认定登记).
    RegisterContract,
    /// Read turnover statistics.
    ReadStats,
    /// Set yearly turnover targets.
    SetTargets,
    /// Apply to an open challenge (揭榜) for one's own org.
    ApplyToChallenge,
    /// Decide applications and plan and review milestones of a challenge of `org_id`.
    ManageChallenge {
        org_id: i64,
    },
    /// Report on a milestone of the winning org `winner_org`.
    ReportMilestone {
        winner_org: i64,
    },
}

/// Whose contracts a list shows: statisticians and admins all, brokers theirs, other
/// users their org's (as seller or buyer).
pub fn contract_scope(user: &CurrentUser) -> crate::contracts::ContractScope {
    use crate::contracts::ContractScope;
    match user.role {
        Role::Admin | Role::Statistician => ContractScope::All,
        Role::Broker => ContractScope::Broker {
            user_id: user.id,
            org_id: user.org_id,
        },
        Role::University | Role::Enterprise => ContractScope::Org(user.org_id),
    }
}

/// One contract: the two parties, the broker, statisticians and admins.
pub fn sees_contract(user: &CurrentUser, seller: i64, buyer: i64, broker: Option<i64>) -> bool {
    match user.role {
        Role::Admin | Role::Statistician => true,
        Role::Broker => broker == Some(user.id) || user.org_id == seller || user.org_id == buyer,
        Role::University | Role::Enterprise => user.org_id == seller || user.org_id == buyer,
    }
}

/// Which deals a user's list shows: brokers their own, admins all, the orgs of the two
/// listings theirs; statisticians none.
pub fn deal_scope(user: &CurrentUser) -> Result<crate::deals::DealScope, ApiError> {
    use crate::deals::DealScope;
    match user.role {
        Role::Admin => Ok(DealScope::All),
        Role::Broker => Ok(DealScope::Broker(user.id)),
        Role::University | Role::Enterprise => Ok(DealScope::Org(user.org_id)),
        Role::Statistician => Err(ApiError::forbidden()),
    }
}

/// One deal: its broker, admins, and members of the two orgs whose listings it joins.
pub fn sees_deal(
    user: &CurrentUser,
    broker_id: i64,
    demand_org: i64,
    achievement_org: i64,
) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Broker => user.id == broker_id,
        Role::University | Role::Enterprise => {
            user.org_id == demand_org || user.org_id == achievement_org
        }
        Role::Statistician => false,
    }
}

/// A challenge's applications and milestone reports: the challenge's org and admins see
/// all of them, an applicant org its own.
pub fn sees_application(user: Option<&CurrentUser>, demand_org: i64, applicant_org: i64) -> bool {
    sees_every_status(user, demand_org) || user.is_some_and(|u| u.org_id == applicant_org)
}

/// The role that owns listings of this kind.
pub fn owner_role(kind: ListingKind) -> Role {
    match kind {
        ListingKind::Achievement => Role::University,
        ListingKind::Demand => Role::Enterprise,
    }
}

fn is_owner(user: &CurrentUser, kind: ListingKind, org_id: i64) -> bool {
    user.org_id == org_id && user.role == owner_role(kind)
}

/// Members of the owning org and admins see a listing in every status, with its history.
pub fn sees_every_status(user: Option<&CurrentUser>, org_id: i64) -> bool {
    user.is_some_and(|u| u.role == Role::Admin || u.org_id == org_id)
}

/// `details` and `contact` are for signed-in users of verified orgs, brokers and admins
/// (and the owning org). `user_org_verified` is about the signed-in user's own org.
pub fn sees_restricted_fields(
    user: Option<&CurrentUser>,
    user_org_verified: bool,
    org_id: i64,
) -> bool {
    match user {
        None => false,
        Some(u) => {
            matches!(u.role, Role::Admin | Role::Broker) || u.org_id == org_id || user_org_verified
        }
    }
}

pub fn allows(user: &CurrentUser, action: Action) -> bool {
    match action {
        Action::CreateUser | Action::ListOrgs | Action::VerifyOrg | Action::ReadAudit => {
            user.role == Role::Admin
        }
        Action::ManageInvitations { org_id } => {
            user.role == Role::Admin || (user.org_id == org_id && !user.role.is_exchange_staff())
        }
        Action::CreateListing(kind) => user.role == owner_role(kind),
        Action::EditListing { kind, org_id } => is_owner(user, kind, org_id),
        Action::RetireListing { kind, org_id } => {
            user.role == Role::Admin || is_owner(user, kind, org_id)
        }
        Action::CreateDeal => user.role == Role::Broker,
        Action::RecordContract {
            seller_org,
            buyer_org,
            deal_broker,
        } => {
            user.role == Role::Admin
                || deal_broker == Some(user.id)
                || (!user.role.is_exchange_staff()
                    && (user.org_id == seller_org || user.org_id == buyer_org))
        }
        Action::AmendContract {
            seller_org,
            buyer_org,
            broker,
        } => {
            user.role == Role::Admin
                || broker == Some(user.id)
                || (!user.role.is_exchange_staff()
                    && (user.org_id == seller_org || user.org_id == buyer_org))
        }
        Action::RegisterContract => user.role == Role::Admin,
        Action::ReadStats => matches!(user.role, Role::Admin | Role::Statistician),
        Action::SetTargets => user.role == Role::Admin,
        Action::EditDeal { broker_id } => user.role == Role::Admin || user.id == broker_id,
        Action::SeeMatches { org_id } => {
            matches!(user.role, Role::Admin | Role::Broker) || user.org_id == org_id
        }
        Action::ApplyToChallenge => user.role == owner_role(ListingKind::Achievement),
        Action::ManageChallenge { org_id } => {
            user.role == Role::Admin || is_owner(user, ListingKind::Demand, org_id)
        }
        Action::ReportMilestone { winner_org } => {
            is_owner(user, ListingKind::Achievement, winner_org)
        }
        Action::ReviewListings | Action::ManagePool | Action::ReadSearchStatus => {
            user.role == Role::Admin
        }
    }
}

/// `Ok` or a 403 `forbidden`.
pub fn authorize(user: &CurrentUser, action: Action) -> Result<(), ApiError> {
    if allows(user, action) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, org_id: i64) -> CurrentUser {
        CurrentUser {
            id: 10,
            role,
            org_id,
        }
    }

    #[test]
    fn admin_only_actions() {
        for action in [
            Action::CreateUser,
            Action::ListOrgs,
            Action::VerifyOrg,
            Action::ReadAudit,
        ] {
            assert!(allows(&user(Role::Admin, 1), action));
            for role in [
                Role::University,
                Role::Enterprise,
                Role::Broker,
                Role::Statistician,
            ] {
                assert!(!allows(&user(role, 5), action), "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn listing_owners_are_the_matching_role_of_the_owning_org() {
        let a = ListingKind::Achievement;
        let d = ListingKind::Demand;
        assert!(allows(
            &user(Role::University, 5),
            Action::EditListing { kind: a, org_id: 5 }
        ));
        assert!(!allows(
            &user(Role::University, 5),
            Action::EditListing { kind: d, org_id: 5 }
        ));
        assert!(!allows(
            &user(Role::University, 6),
            Action::EditListing { kind: a, org_id: 5 }
        ));
        assert!(!allows(
            &user(Role::Admin, 1),
            Action::EditListing { kind: a, org_id: 5 }
        ));
        assert!(allows(
            &user(Role::Admin, 1),
            Action::RetireListing { kind: d, org_id: 5 }
        ));
        assert!(allows(&user(Role::Enterprise, 7), Action::CreateListing(d)));
        assert!(!allows(&user(Role::Broker, 7), Action::CreateListing(d)));
        assert!(!sees_restricted_fields(None, false, 5));
        assert!(sees_restricted_fields(
            Some(&user(Role::Broker, 9)),
            false,
            5
        ));
        assert!(!sees_restricted_fields(
            Some(&user(Role::Enterprise, 9)),
            false,
            5
        ));
        assert!(sees_restricted_fields(
            Some(&user(Role::Enterprise, 9)),
            true,
            5
        ));
    }

    #[test]
    fn challenge_roles() {
        let manage = Action::ManageChallenge { org_id: 5 };
        assert!(allows(&user(Role::Enterprise, 5), manage));
        assert!(allows(&user(Role::Admin, 1), manage));
        assert!(!allows(&user(Role::Enterprise, 6), manage));
        assert!(!allows(&user(Role::University, 5), manage));
        assert!(allows(&user(Role::University, 7), Action::ApplyToChallenge));
        assert!(!allows(
            &user(Role::Enterprise, 7),
            Action::ApplyToChallenge
        ));
        assert!(!allows(&user(Role::Broker, 7), Action::ApplyToChallenge));
        let report = Action::ReportMilestone { winner_org: 7 };
        assert!(allows(&user(Role::University, 7), report));
        assert!(!allows(&user(Role::University, 8), report));
        assert!(!allows(&user(Role::Admin, 1), report));
        assert!(sees_application(Some(&user(Role::University, 7)), 5, 7));
        assert!(!sees_application(Some(&user(Role::University, 8)), 5, 7));
        assert!(sees_application(Some(&user(Role::Enterprise, 5)), 5, 7));
        assert!(!sees_application(None, 5, 7));
    }

    #[test]
    fn members_manage_their_own_orgs_invitations() {
        let act = Action::ManageInvitations { org_id: 5 };
        assert!(allows(&user(Role::University, 5), act));
        assert!(!allows(&user(Role::University, 6), act));
        assert!(!allows(&user(Role::Statistician, 5), act));
        assert!(allows(&user(Role::Admin, 1), act));
    }
}
