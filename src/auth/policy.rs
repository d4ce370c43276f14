//! Who may do what: every permission decision of the API is made here, so a rule is
//! read, changed and tested in one place. Handlers name the action; they never compare
//! roles themselves.

use crate::accounts::model::Role;
use crate::auth::extract::CurrentUser;
use crate::error::{ApiError, ErrorCode};
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
    /// Confirm or decline a contract or an amendment as a user of the party `party_org`.
    ConfirmContract {
        party_org: i64,
    },
    /// Apply for registration (认定登记): the seller's side or the contract's broker.
    RequestRegistration {
        seller_org: i64,
        broker: Option<i64>,
    },
    /// Decide registration (认定登记).
    RegisterContract,
    /// Read turnover statistics.
    ReadStats,
    /// Read the conversion figures of the university or institute `org_id`: statistics
    /// staff any, its own users theirs.
    ReadConversion {
        org_id: i64,
    },
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
    /// List users, disable or enable them, change their roles.
    ManageUsers,
    /// Read the challenge applications of one's own org.
    ReadOwnApplications,
    /// See who is working on an achievement of `org_id`: its deals and the challenge
    /// applications that name it.
    SeeEngagements {
        org_id: i64,
    },
    /// Set the price of an achievement of `org_id` the ways the law allows: offer it
    /// (挂牌 or 拍卖) or publish an agreed price (协议定价公示).
    PriceAchievement {
        org_id: i64,
    },
    /// Register intent at a listed price, or bid in an auction, for an achievement of
    /// `seller_org`: verified enterprises other than the seller.
    Bid {
        seller_org: i64,
    },
    /// Object to a publicity of `seller_org`: verified member users other than the seller's.
    Object {
        seller_org: i64,
    },
    /// Answer an objection to a publicity of `org_id`: the seller.
    AnswerObjection {
        org_id: i64,
    },
    /// Close an objection: the exchange.
    CloseObjection,
}

/// Which rows of a list a user reaches; each slice turns it into its own filter, so the
/// policy names no slice's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    All,
    /// A broker: what it brokers (and, for contracts, what its own org is a party to).
    Broker {
        user_id: i64,
        org_id: i64,
    },
    /// What concerns the user's org.
    Org(i64),
}

fn broker_reach(user: &CurrentUser) -> Reach {
    Reach::Broker {
        user_id: user.id,
        org_id: user.org_id,
    }
}

/// Whose contracts a list shows: statisticians and admins all, brokers theirs, other
/// users their org's (as seller or buyer).
pub fn contract_reach(user: &CurrentUser) -> Reach {
    match user.role {
        Role::Admin | Role::Statistician => Reach::All,
        Role::Broker => broker_reach(user),
        Role::University | Role::Enterprise => Reach::Org(user.org_id),
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
pub fn deal_reach(user: &CurrentUser) -> Result<Reach, ApiError> {
    match user.role {
        Role::Admin => Ok(Reach::All),
        Role::Broker => Ok(broker_reach(user)),
        Role::University | Role::Enterprise => Ok(Reach::Org(user.org_id)),
        Role::Statistician => Err(ApiError::with_detail(
            ErrorCode::Forbidden,
            "只有技术经纪人（broker）、管理员（admin）和相关机构的用户可以查看对接。",
            "Only brokers, admins and users of the orgs involved may see deals.",
        )),
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

/// Who bid in an offering of `org_id`: the seller's members and admins; others see the
/// amounts and times only.
pub fn sees_bidders(user: Option<&CurrentUser>, org_id: i64) -> bool {
    user.is_some_and(|u| u.role == Role::Admin || u.org_id == org_id)
}

/// Members of the owning org and admins see a listing in every status, with its history.
pub fn sees_every_status(user: Option<&CurrentUser>, org_id: i64) -> bool {
    user.is_some_and(|u| u.role == Role::Admin || u.org_id == org_id)
}

/// `details` and `contact` are for signed-in users of verified orgs (brokers included),
/// admins and the owning org; an unverified account sees what anonymous users see.
pub fn sees_restricted_fields(user: Option<&CurrentUser>, org_id: i64) -> bool {
    user.is_some_and(|u| u.role == Role::Admin || u.org_id == org_id || u.org_verified)
}

/// Whether the user may ask the org `owner_org` about one of its listings (an inquiry): a
/// user of another verified org, not the exchange's staff (who read every thread anyway).
pub fn may_inquire(user: &CurrentUser, owner_org: i64) -> bool {
    user.org_verified && !user.role.is_exchange_staff() && user.org_id != owner_org
}

/// Whether the user may read and answer an inquiry between `orgs`: their users; admins
/// read only.
pub fn in_inquiry(user: &CurrentUser, orgs: (i64, i64)) -> bool {
    user.org_id == orgs.0 || user.org_id == orgs.1
}

/// Whether the user acts for a verified org (the exchange's own staff always do). Users of
/// unverified orgs act as nobody beyond their own drafts.
fn acts(user: &CurrentUser) -> bool {
    user.org_verified
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
        Action::CreateDeal => user.role == Role::Broker && acts(user),
        Action::RecordContract {
            seller_org,
            buyer_org,
            deal_broker,
        } => {
            user.role == Role::Admin
                || (acts(user)
                    && (deal_broker == Some(user.id)
                        || (!user.role.is_exchange_staff()
                            && (user.org_id == seller_org || user.org_id == buyer_org))))
        }
        Action::AmendContract {
            seller_org,
            buyer_org,
            broker,
        } => {
            user.role == Role::Admin
                || (acts(user)
                    && (broker == Some(user.id)
                        || (!user.role.is_exchange_staff()
                            && (user.org_id == seller_org || user.org_id == buyer_org))))
        }
        Action::ConfirmContract { party_org } => {
            acts(user) && !user.role.is_exchange_staff() && user.org_id == party_org
        }
        Action::RequestRegistration { seller_org, broker } => {
            user.role == Role::Admin
                || (acts(user)
                    && (broker == Some(user.id)
                        || (!user.role.is_exchange_staff() && user.org_id == seller_org)))
        }
        Action::RegisterContract => user.role == Role::Admin,
        Action::ReadStats => matches!(user.role, Role::Admin | Role::Statistician),
        Action::ReadConversion { org_id } => {
            matches!(user.role, Role::Admin | Role::Statistician)
                || (acts(user) && user.role == Role::University && user.org_id == org_id)
        }
        Action::SetTargets => user.role == Role::Admin,
        Action::EditDeal { broker_id } => {
            user.role == Role::Admin || (acts(user) && user.id == broker_id)
        }
        Action::SeeMatches { org_id } => {
            user.role == Role::Admin
                || (user.role == Role::Broker && acts(user))
                || user.org_id == org_id
        }
        Action::ApplyToChallenge => user.role == owner_role(ListingKind::Achievement) && acts(user),
        Action::ManageChallenge { org_id } => {
            user.role == Role::Admin || (acts(user) && is_owner(user, ListingKind::Demand, org_id))
        }
        Action::ReportMilestone { winner_org } => {
            acts(user) && is_owner(user, ListingKind::Achievement, winner_org)
        }
        Action::ReviewListings | Action::ManagePool | Action::ReadSearchStatus => {
            user.role == Role::Admin
        }
        Action::ManageUsers => user.role == Role::Admin,
        // Reading is not speaking for the org: unverified members read their own too.
        Action::ReadOwnApplications => !user.role.is_exchange_staff(),
        Action::SeeEngagements { org_id } => user.role == Role::Admin || user.org_id == org_id,
        Action::PriceAchievement { org_id } | Action::AnswerObjection { org_id } => {
            acts(user) && is_owner(user, ListingKind::Achievement, org_id)
        }
        Action::Bid { seller_org } => {
            acts(user) && user.role == Role::Enterprise && user.org_id != seller_org
        }
        Action::Object { seller_org } => {
            acts(user) && !user.role.is_exchange_staff() && user.org_id != seller_org
        }
        Action::CloseObjection => user.role == Role::Admin,
    }
}

/// `Ok`, a 403 `org_not_verified` when only the org's verification is missing (the user
/// learns what to do), or a 403 `forbidden` saying who may act instead.
pub fn authorize(user: &CurrentUser, action: Action) -> Result<(), ApiError> {
    if allows(user, action) {
        return Ok(());
    }
    let verified = CurrentUser {
        org_verified: true,
        ..*user
    };
    if !user.org_verified && allows(&verified, action) {
        Err(ApiError::new(ErrorCode::OrgNotVerified))
    } else {
        let (zh, en) = who_may(action);
        let role = user.role.as_str();
        Err(ApiError::with_detail(
            ErrorCode::Forbidden,
            format!("只有{zh}可以执行此操作（您的角色：{role}）。"),
            format!("Only {en} may do this (your role: {role})."),
        ))
    }
}

/// Who may take `action`, in Chinese and English, for the 403 message; kept next to
/// [`allows`] so the two change together.
fn who_may(action: Action) -> (&'static str, &'static str) {
    const ADMINS: (&str, &str) = ("交易所管理员（admin）", "exchange admins (admin)");
    match action {
        Action::CreateUser
        | Action::ListOrgs
        | Action::VerifyOrg
        | Action::ReadAudit
        | Action::ReviewListings
        | Action::ManagePool
        | Action::ReadSearchStatus
        | Action::RegisterContract
        | Action::ManageUsers
        | Action::SetTargets
        | Action::CloseObjection => ADMINS,
        Action::PriceAchievement { .. } | Action::AnswerObjection { .. } => (
            "成果所属机构的高校或科研院所用户（university）",
            "university users of the achievement's organisation",
        ),
        Action::Bid { .. } => (
            "成果所属机构以外的企业用户（enterprise）",
            "enterprise users of organisations other than the seller",
        ),
        Action::Object { .. } => (
            "卖方以外机构的高校、企业或技术经纪人用户",
            "users of member organisations other than the seller",
        ),
        Action::ReadOwnApplications => (
            "高校、企业或技术经纪人用户（交易所工作人员除外）",
            "users of member organisations (not exchange staff)",
        ),
        Action::SeeEngagements { .. } => (
            "成果所属机构的用户或管理员（admin）",
            "users of the achievement's organisation and admins (admin)",
        ),
        Action::ManageInvitations { .. } => (
            "该机构的高校、企业或技术经纪人用户，以及管理员",
            "members of that organisation (not exchange staff) and admins",
        ),
        Action::CreateListing(kind)
        | Action::EditListing { kind, .. }
        | Action::RetireListing { kind, .. } => listing_roles(action, kind),
        Action::SeeMatches { .. } => (
            "条目所属机构的用户、技术经纪人（broker）或管理员（admin）",
            "users of the owning organisation, brokers (broker) and admins",
        ),
        Action::CreateDeal => ("技术经纪人（broker）", "brokers (broker)"),
        Action::EditDeal { .. } => (
            "该对接的技术经纪人（broker）或管理员（admin）",
            "the deal's broker and admins",
        ),
        Action::RecordContract { .. } | Action::AmendContract { .. } => (
            "合同双方机构的用户、该合同的技术经纪人或管理员（admin）",
            "users of the two parties, the contract's broker and admins",
        ),
        Action::ConfirmContract { .. } => (
            "该方机构的高校或企业用户",
            "users of that party's organisation",
        ),
        Action::RequestRegistration { .. } => (
            "卖方机构的用户、该合同的技术经纪人或管理员（admin）",
            "users of the seller's organisation, the contract's broker and admins",
        ),
        Action::ReadStats => (
            "统计人员（statistician）或管理员（admin）",
            "statisticians (statistician) and admins (admin)",
        ),
        Action::ReadConversion { .. } => (
            "统计人员（statistician）、管理员（admin）或该单位的高校院所用户（university）",
            "statisticians, admins and the organisation's own university users",
        ),
        Action::ApplyToChallenge => (
            "高校或科研院所用户（university）",
            "university users (university)",
        ),
        Action::ManageChallenge { .. } => (
            "发榜企业的用户（enterprise）或管理员（admin）",
            "enterprise users of the challenge's organisation and admins",
        ),
        Action::ReportMilestone { .. } => (
            "中选揭榜方机构的高校用户（university）",
            "university users of the winning organisation",
        ),
    }
}

/// [`who_may`] for the listing actions.
fn listing_roles(action: Action, kind: ListingKind) -> (&'static str, &'static str) {
    let owners = |kind: ListingKind| match kind {
        ListingKind::Achievement => (
            "所属机构的高校或科研院所用户（university）",
            "university users of the owning organisation",
        ),
        ListingKind::Demand => (
            "所属机构的企业用户（enterprise）",
            "enterprise users of the owning organisation",
        ),
    };
    match action {
        Action::CreateListing(ListingKind::Achievement) => (
            "高校或科研院所用户（university）",
            "university users (university)",
        ),
        Action::CreateListing(ListingKind::Demand) => {
            ("企业用户（enterprise）", "enterprise users (enterprise)")
        }
        Action::EditListing { .. } => owners(kind),
        _ => match kind {
            ListingKind::Achievement => (
                "所属机构的高校用户（university）或管理员（admin）",
                "university users of the owning organisation and admins",
            ),
            ListingKind::Demand => (
                "所属机构的企业用户（enterprise）或管理员（admin）",
                "enterprise users of the owning organisation and admins",
            ),
        },
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
            org_verified: true,
        }
    }

    fn unverified(role: Role, org_id: i64) -> CurrentUser {
        CurrentUser {
            org_verified: false,
            ..user(role, org_id)
        }
    }

    #[test]
    fn unverified_users_act_as_nobody_beyond_their_drafts() {
        let b = unverified(Role::Broker, 9);
        assert_eq!(
            authorize(&b, Action::CreateDeal).unwrap_err().code(),
            ErrorCode::OrgNotVerified
        );
        assert_eq!(
            authorize(&b, Action::ReadStats).unwrap_err().code(),
            ErrorCode::Forbidden
        );
        let e = unverified(Role::Enterprise, 5);
        let record = Action::RecordContract {
            seller_org: 6,
            buyer_org: 5,
            deal_broker: None,
        };
        assert!(!allows(&e, record));
        assert!(allows(&user(Role::Enterprise, 5), record));
        assert!(allows(&e, Action::CreateListing(ListingKind::Demand)));
        let confirm = Action::ConfirmContract { party_org: 5 };
        assert!(!allows(&e, confirm));
        assert!(!allows(&user(Role::Admin, 1), confirm));
        assert!(!allows(
            &unverified(Role::University, 7),
            Action::ApplyToChallenge
        ));
    }

    #[test]
    fn a_refusal_names_who_may_act() {
        let e = authorize(&user(Role::Broker, 9), Action::ReadStats).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
        let zh = e.message_in(crate::error::Language::Zh);
        assert!(zh.contains("统计人员") && zh.contains("broker"), "{zh}");
        let en = e.message_in(crate::error::Language::En);
        assert!(
            en.contains("statisticians") && en.contains("your role: broker"),
            "{en}"
        );
    }

    #[test]
    fn admin_only_actions() {
        for action in [
            Action::CreateUser,
            Action::ListOrgs,
            Action::VerifyOrg,
            Action::ReadAudit,
            Action::ManageUsers,
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
        assert!(!sees_restricted_fields(None, 5));
        assert!(sees_restricted_fields(Some(&user(Role::Broker, 9)), 5));
        assert!(!sees_restricted_fields(
            Some(&unverified(Role::Broker, 9)),
            5
        ));
        assert!(!sees_restricted_fields(
            Some(&unverified(Role::Enterprise, 9)),
            5
        ));
        assert!(sees_restricted_fields(
            Some(&unverified(Role::University, 5)),
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
    fn engagements_are_for_the_owning_org_and_admins() {
        let see = Action::SeeEngagements { org_id: 5 };
        assert!(allows(&user(Role::University, 5), see));
        assert!(allows(&unverified(Role::University, 5), see));
        assert!(allows(&user(Role::Admin, 1), see));
        assert!(!allows(&user(Role::University, 6), see));
        assert!(!allows(&user(Role::Broker, 9), see));
        assert!(allows(
            &user(Role::University, 5),
            Action::ReadOwnApplications
        ));
        assert!(!allows(&user(Role::Admin, 1), Action::ReadOwnApplications));
    }

    #[test]
    fn prices_are_set_by_the_owner_and_bid_by_other_verified_enterprises() {
        let price = Action::PriceAchievement { org_id: 5 };
        assert!(allows(&user(Role::University, 5), price));
        assert!(!allows(&user(Role::University, 6), price));
        assert!(!allows(&user(Role::Admin, 1), price));
        assert_eq!(
            authorize(&unverified(Role::University, 5), price)
                .unwrap_err()
                .code(),
            ErrorCode::OrgNotVerified
        );
        let bid = Action::Bid { seller_org: 5 };
        assert!(allows(&user(Role::Enterprise, 7), bid));
        assert!(!allows(&user(Role::Enterprise, 5), bid));
        assert!(!allows(&user(Role::University, 7), bid));
        assert!(!allows(&user(Role::Broker, 7), bid));
        assert_eq!(
            authorize(&unverified(Role::Enterprise, 7), bid)
                .unwrap_err()
                .code(),
            ErrorCode::OrgNotVerified
        );
        let object = Action::Object { seller_org: 5 };
        assert!(allows(&user(Role::Broker, 7), object));
        assert!(!allows(&user(Role::University, 5), object));
        assert!(!allows(&user(Role::Admin, 1), object));
        assert!(allows(&user(Role::Admin, 1), Action::CloseObjection));
        assert!(sees_bidders(Some(&user(Role::University, 5)), 5));
        assert!(!sees_bidders(Some(&user(Role::Enterprise, 7)), 5));
        assert!(!sees_bidders(None, 5));
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
