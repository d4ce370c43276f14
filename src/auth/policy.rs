//! Who may do what: every permission decision of the API is made here, so a rule is
//! read, changed and tested in one place. Handlers name the action; they never compare
//! roles themselves.

use crate::accounts::model::Role;
use crate::auth::extract::CurrentUser;
use crate::error::ApiError;

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
}

pub fn allows(user: &CurrentUser, action: Action) -> bool {
    match action {
        Action::CreateUser | Action::ListOrgs | Action::VerifyOrg | Action::ReadAudit => {
            user.role == Role::Admin
        }
        Action::ManageInvitations { org_id } => {
            user.role == Role::Admin || (user.org_id == org_id && !user.role.is_exchange_staff())
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
    fn members_manage_their_own_orgs_invitations() {
        let act = Action::ManageInvitations { org_id: 5 };
        assert!(allows(&user(Role::University, 5), act));
        assert!(!allows(&user(Role::University, 6), act));
        assert!(!allows(&user(Role::Statistician, 5), act));
        assert!(allows(&user(Role::Admin, 1), act));
    }
}
