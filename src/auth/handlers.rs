//! `/api/v1/auth/*` and `/api/v1/me` (with the user's own profile and password).

use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::accounts::model;
use crate::accounts::registration::{self, RegisterRequest, parse_role};
use crate::accounts::users::{self, ProfilePatch};
use crate::audit::{self, Act};
use crate::auth::account::{self, PasswordChangeRequest};
use crate::auth::extract::CurrentUser;
use crate::auth::tokens::{self, Subject};
use crate::auth::{password, throttle};
use crate::body::Body;
use crate::clock::now;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppData;
use crate::validate;

/// `POST /api/v1/auth/register`: a new org with its first user, or joining by invitation.
pub async fn register(
    state: AppData,
    _no_query: crate::error::NoQuery,
    body: Body<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.parse()?;
    let email = validate::email(&req.email)?;
    let name = validate::person_name(&req.name)?;
    password::check_strength(&req.password, &email)?;
    let membership = registration::membership(&req)?;
    let hash = password::hash(req.password).await?;

    let created = state
        .db
        .write(move |conn| registration::register(conn, membership, &email, &name, &hash))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
}

fn token_pair(state: &AppData, user: Subject, refresh: String) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state.keys.issue_access(user)?,
        token_type: "Bearer",
        expires_in: state.keys.access_ttl_secs,
        refresh_token: refresh,
        refresh_expires_in: state.keys.refresh_ttl.num_seconds(),
    })
}

/// Session events (sign-in, sign-out, a replayed refresh token) go to the audit trail too;
/// routine refresh rotation does not, it would drown the rest.
fn audit_session(
    conn: &mut crate::db::AnyConnection,
    user_id: i64,
    action: &str,
) -> Result<(), ApiError> {
    Ok(audit::happened(
        conn,
        Act::new(user_id, action, "user", user_id),
    )?)
}

/// `POST /api/v1/auth/login`.
pub async fn login(
    state: AppData,
    req: HttpRequest,
    _no_query: crate::error::NoQuery,
    body: Body<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        email,
        password: pw,
    } = body.parse()?;
    let email = email.trim().to_lowercase();
    let client = crate::http::request_client_key(&req);
    let pair = throttle::pair_subject(&email, &client);
    let s = &state.settings;
    let window = Duration::seconds(s.login_failure_window_secs as i64);
    let limits = [
        (pair.clone(), s.login_max_failures_per_email),
        (
            throttle::client_subject(&client),
            s.login_max_failures_per_ip,
        ),
    ];

    // Counted as a failure before the password is checked (see `throttle`), so
    // concurrent guesses cannot slip past the limit.
    let lookup_email = email.clone();
    let (user, attempt) = state
        .db
        .write(move |conn| {
            let attempt = throttle::begin(conn, &limits, window, now())?;
            Ok((model::find_user_by_email(conn, &lookup_email)?, attempt))
        })
        .await?;

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !password::verify(pw, stored).await? {
        tracing::info!(email_hash = %&tokens::token_hash(&email)[..12], "failed sign-in");
        return Err(ApiError::new(ErrorCode::InvalidCredentials));
    }
    let Some(user) = user else {
        return Err(ApiError::new(ErrorCode::InvalidCredentials));
    };
    let ttl = state.keys.refresh_ttl;
    let (user_id, active, stored_role) = (user.id, user.is_active, user.role.clone());
    let (org_id, epoch) = (user.org_id, user.session_epoch);
    let signed_in = state
        .db
        .write(move |conn| {
            throttle::forgive(conn, &attempt, &pair)?;
            if !active {
                return Ok(None);
            }
            let role = parse_role(&stored_role)?;
            let token = tokens::issue_refresh(conn, user_id, None, ttl)?;
            audit_session(conn, user_id, "auth.login")?;
            Ok(Some((role, token)))
        })
        .await?;
    let Some((role, refresh)) = signed_in else {
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    };
    let subject = Subject {
        id: user_id,
        role,
        org_id,
        epoch,
    };
    Ok(HttpResponse::Ok().json(token_pair(&state, subject, refresh)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

enum RefreshOutcome {
    Rotated { subject: Subject, token: String },
    Refused(ErrorCode),
}

/// `POST /api/v1/auth/refresh`: spends the token and returns a new pair.
pub async fn refresh(
    state: AppData,
    _no_query: crate::error::NoQuery,
    body: Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.parse()?.refresh_token;
    let ttl = state.keys.refresh_ttl;
    // Refusals that revoke must commit, so they are returned as values, not errors.
    let outcome = state
        .db
        .write(move |conn| {
            let Some(row) = tokens::find_refresh(conn, &presented)? else {
                return Ok(RefreshOutcome::Refused(ErrorCode::InvalidRefreshToken));
            };
            if row.revoked_at.is_some() {
                return Ok(RefreshOutcome::Refused(ErrorCode::InvalidRefreshToken));
            }
            if row.used_at.is_none() && row.expires_at <= now() {
                return Ok(RefreshOutcome::Refused(ErrorCode::InvalidRefreshToken));
            }
            if row.used_at.is_some() || !tokens::spend_refresh(conn, row.id)? {
                tokens::revoke_family(conn, &row.family_id)?;
                audit_session(conn, row.user_id, "auth.refresh_reused")?;
                tracing::warn!(
                    user_id = row.user_id,
                    "refresh token reused; session revoked"
                );
                return Ok(RefreshOutcome::Refused(ErrorCode::RefreshTokenReused));
            }
            let user = model::find_user(conn, row.user_id)?;
            let Some(user) = user.filter(|u| u.is_active) else {
                tokens::revoke_family(conn, &row.family_id)?;
                return Ok(RefreshOutcome::Refused(ErrorCode::AccountDisabled));
            };
            let token = tokens::issue_refresh(conn, user.id, Some(&row.family_id), ttl)?;
            let subject = Subject {
                id: user.id,
                role: parse_role(&user.role)?,
                org_id: user.org_id,
                epoch: user.session_epoch,
            };
            Ok(RefreshOutcome::Rotated { subject, token })
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated { subject, token } => {
            Ok(HttpResponse::Ok().json(token_pair(&state, subject, token)?))
        }
        RefreshOutcome::Refused(code) => Err(ApiError::new(code)),
    }
}

/// `POST /api/v1/auth/logout`: revokes the session the refresh token belongs to. Always
/// 204, so it reveals nothing about the token.
pub async fn logout(
    state: AppData,
    _no_query: crate::error::NoQuery,
    body: Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.parse()?.refresh_token;
    state
        .db
        .write(move |conn| {
            if let Some(row) = tokens::find_refresh(conn, &presented)?
                && tokens::revoke_family(conn, &row.family_id)? > 0
            {
                audit_session(conn, row.user_id, "auth.logout")?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`: the user and org, and how many notifications wait unread.
#[derive(serde::Serialize)]
struct MeView {
    #[serde(flatten)]
    me: model::UserWithOrg,
    unread_notifications: i64,
}

/// `GET /api/v1/me`.
pub async fn me(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let (found, unread) = state
        .db
        .read(move |conn| {
            let me = model::user_with_org(conn, user.id)?;
            Ok((me, crate::notify::inbox::unread_count(conn, user.id)?))
        })
        .await?;
    let me = found.ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
    if !me.user.is_active {
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    }
    Ok(HttpResponse::Ok().json(MeView {
        me,
        unread_notifications: unread,
    }))
}

/// `PATCH /api/v1/me`: the user's own profile (`name`).
pub async fn update_me(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    let name = body.parse()?.validate()?;
    let me = state
        .db
        .write(move |conn| users::update_profile(conn, user.id, name.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(me))
}

/// `POST /api/v1/me/password`: checks the current password (counted like a sign-in, so it
/// cannot be guessed faster than at login), stores the new one, ends every session of the
/// user and answers a token pair for a new one.
pub async fn change_password(
    state: AppData,
    req: HttpRequest,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChangeRequest {
        current_password,
        new_password,
    } = body.parse()?;
    let client = crate::http::request_client_key(&req);
    let s = &state.settings;
    let window = Duration::seconds(s.login_failure_window_secs as i64);
    let (per_email, per_client) = (s.login_max_failures_per_email, s.login_max_failures_per_ip);
    let checked = new_password.clone();
    let (row, attempt, pair) = state
        .db
        .write(move |conn| {
            let row = model::find_user(conn, user.id)?
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
            password::check_strength(&checked, &row.email)?;
            let pair = throttle::pair_subject(&row.email, &client);
            let limits = [
                (pair.clone(), per_email),
                (throttle::client_subject(&client), per_client),
            ];
            let attempt = throttle::begin(conn, &limits, window, now())?;
            Ok((row, attempt, pair))
        })
        .await?;
    if !password::verify(current_password, Some(row.password_hash.clone())).await? {
        return Err(ApiError::new(ErrorCode::WrongCurrentPassword));
    }
    let new_hash = password::hash(new_password).await?;
    let ttl = state.keys.refresh_ttl;
    let (refresh, epoch) = state
        .db
        .write(move |conn| {
            throttle::forgive(conn, &attempt, &pair)?;
            account::change_password(conn, user.id, &row.password_hash, &new_hash, ttl)
        })
        .await?;
    let subject = Subject {
        id: user.id,
        role: user.role,
        org_id: user.org_id,
        epoch,
    };
    let pair = token_pair(&state, subject, refresh)?;
    Ok(HttpResponse::Ok().json(pair))
}
