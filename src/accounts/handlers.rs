//! `/api/v1/users`, `/api/v1/orgs/*`: admin account management and invitations.
//! Extract, authorize, call one operation, answer.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

use crate::accounts::invitations::{self, InvitationView, NewInvitation};
use crate::accounts::model::{
    self, EXCHANGE_ORG_ID, NewUser, OrgKind, OrgView, UserWithOrg, role_fits_org,
};
use crate::accounts::registration::parse_role;
use crate::accounts::users;
use crate::audit::{self, Act, Change, snapshot};
use crate::auth::extract::CurrentUser;
use crate::auth::password;
use crate::auth::policy::{self, Action};
use crate::auth::tokens::random_hex;
use crate::body::Body;
use crate::clock::now;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::validate;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: String,
    /// Required for university, enterprise and broker users; staff join the exchange.
    pub org_id: Option<i64>,
}

/// Validated input of [`create_user_blocking`], shared with the `create-user` CLI command.
pub struct ValidUser {
    pub email: String,
    pub name: String,
    pub role: model::Role,
    pub org_id: i64,
    pub password_hash: String,
}

/// Checks every field and hashes the password (slow: call off the async workers).
pub fn validate_new_user(req: UserInput) -> Result<ValidUser, ApiError> {
    let email = validate::email(&req.email)?;
    let name = validate::person_name(&req.name)?;
    let role = parse_role(&req.role)?;
    password::check_strength(&req.password, &email)?;
    let org_id = match (role.is_exchange_staff(), req.org_id) {
        (true, None) => EXCHANGE_ORG_ID,
        (_, Some(id)) => id,
        (false, None) => {
            return Err(ApiError::with_detail(
                ErrorCode::ReferenceNotFound,
                "此角色必须给出 org_id（所属机构）。",
                "`org_id` is required for this role.",
            )
            .field("org_id"));
        }
    };
    let password_hash = password::hash_blocking(&req.password)?;
    Ok(ValidUser {
        email,
        name,
        role,
        org_id,
        password_hash,
    })
}

/// Inserts a validated user and audits it; `actor` is `None` for the CLI.
pub fn create_user_tx(
    conn: &mut crate::db::AnyConnection,
    user: &ValidUser,
    actor: Option<i64>,
) -> Result<UserWithOrg, ApiError> {
    let org = model::find_org(conn, user.org_id)?.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::ReferenceNotFound,
            "没有这个 org_id 的机构。",
            "No org with this `org_id`.",
        )
        .field("org_id")
    })?;
    let kind = OrgKind::parse(&org.kind).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("org {} has kind {}", org.id, org.kind))
    })?;
    if !role_fits_org(user.role, kind, org.is_exchange) {
        return Err(ApiError::new(ErrorCode::RoleOrgKindMismatch));
    }
    if model::find_user_by_email(conn, &user.email)?.is_some() {
        return Err(ApiError::new(ErrorCode::EmailTaken));
    }
    let at = now();
    let row = model::insert_user(
        conn,
        &NewUser::active(
            org.id,
            (&user.email, &user.name),
            user.role,
            &user.password_hash,
            at,
        ),
    )?;
    let result = UserWithOrg {
        user: (&row).into(),
        org: (&org).into(),
    };
    audit::record(
        conn,
        Change {
            actor_id: actor,
            action: "user.create",
            entity: "user",
            entity_id: Some(row.id),
            before: None,
            after: snapshot(&result.user),
        },
    )?;
    Ok(result)
}

/// `POST /api/v1/users` (admin): any role, including statisticians and admins.
pub async fn create_user(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<UserInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateUser)?;
    let req = body.parse()?;
    let valid = web::block(move || validate_new_user(req)).await??;
    let created = state
        .db
        .write(move |conn| create_user_tx(conn, &valid, Some(user.id)))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgListQuery {
    pub verified: Option<bool>,
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/orgs` (admin): e.g. `?verified=false` is the verification queue.
pub async fn list_orgs(
    state: AppData,
    user: CurrentUser,
    query: web::Query<OrgListQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ListOrgs)?;
    let q = query.into_inner();
    if let Some(kind) = &q.kind {
        OrgKind::parse(kind).ok_or_else(|| {
            let kinds = crate::taxonomy::ORG_KINDS;
            ApiError::unknown_code(ErrorCode::InvalidOrgKind, "kind", kind, kinds)
        })?;
    }
    let page = Pagination::new(q.page, q.per_page)?;
    let filter = model::OrgFilter {
        verified: q.verified,
        kind: q.kind,
    };
    let (rows, total) = state
        .db
        .read(move |conn| {
            Ok(model::list_orgs(
                conn,
                &filter,
                page.offset(),
                page.limit(),
            )?)
        })
        .await?;
    let items: Vec<OrgView> = rows.iter().map(OrgView::from).collect();
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/orgs/{id}`: public; an org's name, kind, region and verification.
pub async fn get_org(
    state: AppData,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let org = state
        .db
        .read(move |conn| Ok(model::find_org(conn, id)?))
        .await?;
    let org = org.ok_or_else(|| ApiError::not_found("Org"))?;
    Ok(HttpResponse::Ok().json(OrgView::from(&org)))
}

/// `POST /api/v1/orgs/{id}/verify` (admin). Idempotent: verifying a verified org changes
/// nothing.
pub async fn verify_org(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::VerifyOrg)?;
    let id = path.into_inner();
    let org = state
        .db
        .write(move |conn| {
            let before = model::find_org(conn, id)?.ok_or_else(|| ApiError::not_found("Org"))?;
            if before.verified_at.is_some() {
                return Ok(OrgView::from(&before));
            }
            let after = model::mark_org_verified(conn, id, user.id, now())?;
            let (before, after) = (OrgView::from(&before), OrgView::from(&after));
            audit::changed(
                conn,
                Act::new(user.id, "org.verify", "org", id),
                &before,
                &after,
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(org))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub email: String,
    pub role: String,
}

/// `POST /api/v1/orgs/{id}/invitations` (members of the org, admins): the answer carries
/// the token once; pass it to the invitee, who registers with `invitation_token`.
pub async fn create_invitation(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<InvitationInput>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    policy::authorize(&user, Action::ManageInvitations { org_id })?;
    let req = body.parse()?;
    let email = validate::email(&req.email)?;
    let role = parse_role(&req.role)?;
    let ttl = Duration::days(state.settings.invitation_ttl_days as i64);
    let view = state
        .db
        .write(move |conn| {
            let org = model::find_org(conn, org_id)?.ok_or_else(|| ApiError::not_found("Org"))?;
            let kind = OrgKind::parse(&org.kind).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("org {} has kind {}", org.id, org.kind))
            })?;
            if !role_fits_org(role, kind, org.is_exchange) {
                return Err(ApiError::new(ErrorCode::RoleOrgKindMismatch));
            }
            if model::find_user_by_email(conn, &email)?.is_some() {
                return Err(ApiError::new(ErrorCode::EmailTaken));
            }
            let token = format!("inv_{}", random_hex(24));
            let at = now();
            let row = invitations::insert(
                conn,
                &NewInvitation {
                    org_id,
                    email: &email,
                    role: role.as_str(),
                    token: &token,
                    invited_by: user.id,
                    created_at: at,
                    expires_at: at + ttl,
                },
            )?;
            let mut view = InvitationView::from(&row);
            audit::created(
                conn,
                Act::new(user.id, "invitation.create", "invitation", row.id),
                &view,
            )?;
            view.token = Some(token);
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/orgs/{id}/invitations` (members of the org, admins), newest first.
pub async fn list_invitations(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    policy::authorize(&user, Action::ManageInvitations { org_id })?;
    let page = Pagination::new(query.page, query.per_page)?;
    let (rows, total) = state
        .db
        .read(move |conn| {
            if model::find_org(conn, org_id)?.is_none() {
                return Err(ApiError::not_found("Org"));
            }
            Ok(invitations::list_for_org(
                conn,
                org_id,
                page.offset(),
                page.limit(),
            )?)
        })
        .await?;
    let items: Vec<InvitationView> = rows.iter().map(InvitationView::from).collect();
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/users` (admin): filters `role`, `org_id`, `active`; in id order.
pub async fn list_users(
    state: AppData,
    user: CurrentUser,
    query: web::Query<users::UserQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ManageUsers)?;
    let q = query.into_inner();
    let page = Pagination::new(q.page, q.per_page)?;
    let filter = q.filter();
    let (items, total) = state
        .db
        .read(move |conn| users::list(conn, filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `PATCH /api/v1/users/{id}` (admin): `is_active` disables or enables the account
/// (disabling ends its sessions), `role` changes it within what the org's kind allows.
pub async fn update_user(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<users::UserPatch>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ManageUsers)?;
    let id = path.into_inner();
    let item = state
        .db
        .write(move |conn| {
            model::find_user(conn, id)?.ok_or_else(|| ApiError::not_found("User"))?;
            let change = body.parse()?.validate()?;
            users::update(conn, &user, id, change)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
