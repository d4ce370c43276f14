//! Self-registration: a new org with its first user, or joining an org by invitation.

use serde::Deserialize;

use crate::accounts::invitations;
use crate::accounts::model::{
    self, NewOrg, NewUser, OrgKind, OrgRow, Role, UserWithOrg, org_name_key, role_fits_org,
};
use crate::audit::{self, Act};
use crate::clock::now;
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};
use crate::validate;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Option<String>,
    pub org: Option<OrgInput>,
    pub invitation_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    pub name: String,
    pub kind: String,
    pub region: String,
}

/// Where a self-registered user's org comes from: a new org, or an invitation.
pub enum Membership {
    NewOrg {
        role: Role,
        name: String,
        kind: OrgKind,
        region: String,
    },
    Invited {
        token: String,
        role: Option<Role>,
    },
}

pub fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| {
        ApiError::unknown_code(ErrorCode::InvalidRole, "role", raw, crate::taxonomy::ROLES)
    })
}

pub fn membership(req: &RegisterRequest) -> Result<Membership, ApiError> {
    let role = req.role.as_deref().map(parse_role).transpose()?;
    match (&req.org, &req.invitation_token) {
        (Some(org), None) => {
            let role = role.ok_or_else(|| {
                ApiError::with_detail(
                    ErrorCode::InvalidRole,
                    "缺少 role（角色）。",
                    "`role` is required.",
                )
                .field("role")
            })?;
            if role.is_exchange_staff() {
                return Err(ApiError::new(ErrorCode::RoleNotSelfRegistrable));
            }
            let kind = OrgKind::parse(&org.kind).ok_or_else(|| {
                let kinds = crate::taxonomy::ORG_KINDS;
                ApiError::unknown_code(ErrorCode::InvalidOrgKind, "org.kind", &org.kind, kinds)
            })?;
            if !role_fits_org(role, kind, false) {
                return Err(ApiError::new(ErrorCode::RoleOrgKindMismatch));
            }
            Ok(Membership::NewOrg {
                role,
                name: validate::org_name(&org.name)?,
                kind,
                region: validate::region(&org.region)?,
            })
        }
        (None, Some(token)) => Ok(Membership::Invited {
            token: token.clone(),
            role,
        }),
        _ => Err(ApiError::new(ErrorCode::OrgOrInvitationRequired)),
    }
}

/// The org a registering user joins: a new one, or the inviting one (checked).
fn org_of(
    conn: &mut AnyConnection,
    membership: Membership,
    email: &str,
    at: chrono::NaiveDateTime,
) -> Result<(OrgRow, Role, Option<invitations::InvitationRow>), ApiError> {
    match membership {
        Membership::NewOrg {
            role,
            name,
            kind,
            region,
        } => {
            let key = org_name_key(&name);
            if model::find_org_by_key(conn, &key)?.is_some() {
                return Err(ApiError::new(ErrorCode::OrgNameTaken));
            }
            let org = model::insert_org(
                conn,
                &NewOrg {
                    name: &name,
                    name_key: &key,
                    kind: kind.as_str(),
                    region: &region,
                    is_exchange: false,
                    created_at: at,
                    updated_at: at,
                },
            )?;
            Ok((org, role, None))
        }
        Membership::Invited { token, role } => {
            let inv = invitations::find_live(conn, &token, at)?
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidInvitation))?;
            if inv.email != email {
                return Err(ApiError::new(ErrorCode::InvitationEmailMismatch));
            }
            let invited_role = parse_role(&inv.role)?;
            if role.is_some_and(|r| r != invited_role) {
                return Err(ApiError::with_detail(
                    ErrorCode::RoleOrgKindMismatch,
                    "该邀请是给另一个角色的。",
                    "The invitation is for another role.",
                )
                .field("role"));
            }
            let org = model::find_org(conn, inv.org_id)?
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidInvitation))?;
            Ok((org, invited_role, Some(inv)))
        }
    }
}

/// Registers the user (and the new org, or accepts the invitation), audited.
pub fn register(
    conn: &mut AnyConnection,
    membership: Membership,
    email: &str,
    name: &str,
    hash: &str,
) -> Result<UserWithOrg, ApiError> {
    if model::find_user_by_email(conn, email)?.is_some() {
        return Err(ApiError::new(ErrorCode::EmailTaken));
    }
    let at = now();
    let (org, role, invitation) = org_of(conn, membership, email, at)?;
    let user = model::insert_user(
        conn,
        &NewUser::active(org.id, (email, name), role, hash, at),
    )?;
    let result = UserWithOrg {
        user: (&user).into(),
        org: (&org).into(),
    };
    match invitation {
        None => audit::created(
            conn,
            Act::new(user.id, "org.create", "org", org.id),
            &result.org,
        )?,
        Some(inv) => {
            if !invitations::mark_accepted(conn, inv.id, user.id, at)? {
                return Err(ApiError::new(ErrorCode::InvalidInvitation));
            }
            audit::happened(
                conn,
                Act::new(user.id, "invitation.accept", "invitation", inv.id),
            )?;
        }
    }
    audit::created(
        conn,
        Act::new(user.id, "user.register", "user", user.id),
        &result.user,
    )?;
    Ok(result)
}
