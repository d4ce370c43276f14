//! The people of the exchange: the admins' user list and changes (disable or enable an
//! account, change its role within what its org's kind allows), and a user's own profile.
//! Each operation takes a connection inside the caller's transaction and typed input, and
//! is audited.

use serde::{Deserialize, Serialize};

use crate::accounts::model::{
    self, OrgKind, OrgRow, Role, UserFilter, UserRow, UserView, UserWithOrg, role_fits_org,
};
use crate::accounts::names::OrgRef;
use crate::accounts::registration::parse_role;
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::tokens;
use crate::clock::now;
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::validate;

/// `GET /api/v1/users` query: unknown parameters are a 400 `invalid_query`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub org_id: Option<i64>,
    pub active: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl UserQuery {
    pub fn filter(&self) -> UserFilter {
        UserFilter {
            role: self.role,
            org_id: self.org_id,
            active: self.active,
        }
    }
}

/// A user in the admin's list: the user and the name of their org.
#[derive(Debug, Clone, Serialize)]
pub struct UserListItem {
    #[serde(flatten)]
    pub user: UserView,
    pub org: OrgRef,
}

impl UserListItem {
    fn new(user: &UserRow, org: &OrgRow) -> Self {
        UserListItem {
            user: user.into(),
            org: OrgRef {
                id: org.id,
                name: org.name.clone(),
            },
        }
    }
}

/// One page of users, in id order.
pub fn list(
    conn: &mut AnyConnection,
    filter: UserFilter,
    page: Pagination,
) -> Result<(Vec<UserListItem>, i64), ApiError> {
    let (rows, total) = model::list_users(conn, filter, page.offset(), page.limit())?;
    let items = rows.iter().map(|(u, o)| UserListItem::new(u, o)).collect();
    Ok((items, total))
}

/// `PATCH /api/v1/users/{id}` body (admin).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// `false` disables the account (its sessions end), `true` enables it again.
    pub is_active: Option<bool>,
    pub role: Option<String>,
}

/// A change of a user by an admin, as checked at the edge.
#[derive(Debug, Clone, Copy)]
pub struct UserChange {
    pub is_active: Option<bool>,
    pub role: Option<Role>,
}

impl UserPatch {
    pub fn validate(self) -> Result<UserChange, ApiError> {
        Ok(UserChange {
            is_active: self.is_active,
            role: self.role.as_deref().map(parse_role).transpose()?,
        })
    }
}

/// The role `role` must fit the org of `user` (the rule of registration and invitations).
fn check_role_fits(conn: &mut AnyConnection, user: &UserRow, role: Role) -> Result<(), ApiError> {
    let org = model::find_org(conn, user.org_id)?.ok_or_else(|| ApiError::not_found("Org"))?;
    let kind = OrgKind::parse(&org.kind).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("org {} has kind {}", org.id, org.kind))
    })?;
    if !role_fits_org(role, kind, org.is_exchange) {
        return Err(ApiError::new(ErrorCode::RoleOrgKindMismatch));
    }
    Ok(())
}

/// Disables or enables user `id` and changes their role, as `admin`; disabling revokes
/// every refresh token of the user. An admin cannot disable themself or change their own
/// role. Audited as `user.update` when anything changed.
pub fn update(
    conn: &mut AnyConnection,
    admin: &CurrentUser,
    id: i64,
    change: UserChange,
) -> Result<UserListItem, ApiError> {
    let before = model::find_user(conn, id)?.ok_or_else(|| ApiError::not_found("User"))?;
    let old_role = parse_role(&before.role)?;
    let role = change.role.unwrap_or(old_role);
    let active = change.is_active.unwrap_or(before.is_active);
    if id == admin.id && (!active || role != old_role) {
        return Err(ApiError::new(ErrorCode::OwnAccountChange));
    }
    if role != old_role {
        check_role_fits(conn, &before, role)?;
    }
    if role != old_role || active != before.is_active {
        model::set_role_and_active(conn, id, role, active, now())?;
        if !active {
            tokens::end_sessions(conn, id)?;
        }
    }
    let (after, org) = model::find_user(conn, id)?
        .zip(model::find_org(conn, before.org_id)?)
        .ok_or_else(|| ApiError::not_found("User"))?;
    if role != old_role || active != before.is_active {
        audit::changed(
            conn,
            Act::new(admin.id, "user.update", "user", id),
            &UserView::from(&before),
            &UserView::from(&after),
        )?;
    }
    Ok(UserListItem::new(&after, &org))
}

/// `PATCH /api/v1/me` body: the user's own profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
}

impl ProfilePatch {
    /// The new name, checked like at registration; `None` changes nothing.
    pub fn validate(self) -> Result<Option<String>, ApiError> {
        self.name.as_deref().map(validate::person_name).transpose()
    }
}

/// Renames the user `user_id` (their own profile), audited as `user.update_profile`.
pub fn update_profile(
    conn: &mut AnyConnection,
    user_id: i64,
    name: Option<&str>,
) -> Result<UserWithOrg, ApiError> {
    let not_found = || ApiError::new(ErrorCode::InvalidToken);
    let before = model::user_with_org(conn, user_id)?.ok_or_else(not_found)?;
    let Some(name) = name.filter(|n| *n != before.user.name) else {
        return Ok(before);
    };
    model::set_name(conn, user_id, name, now())?;
    let after = model::user_with_org(conn, user_id)?.ok_or_else(not_found)?;
    audit::changed(
        conn,
        Act::new(user_id, "user.update_profile", "user", user_id),
        &before.user,
        &after.user,
    )?;
    Ok(after)
}
