//! The current user, from the `Authorization: Bearer` access token and the database.
//!
//! The token says who is asking; the database says what they may be now. Each request
//! reads the user's role, whether the account is active and whether its org is verified,
//! so disabling a user, changing a role or verifying an org takes effect on the next
//! request, not when the token expires.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use diesel::prelude::*;

use crate::accounts::model::Role;
use crate::db::schema::{orgs, users};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppData;

/// A signed-in user. Handlers that take it answer 401 to anonymous requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub org_id: i64,
    /// The user's org is verified by the exchange (the exchange's own org always is).
    /// Unverified users act as nobody beyond their own drafts.
    pub org_verified: bool,
}

/// Signed in or anonymous, for public endpoints that show more to signed-in users. A token
/// that is present but bad is still a 401, never silently anonymous.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<CurrentUser>);

/// The user id and session epoch of a valid bearer token, if one was sent.
fn token_subject(req: &HttpRequest) -> Result<Option<(AppData, i64, i64)>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
    let state = req
        .app_data::<AppData>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?
        .clone();
    let claims = state.keys.verify_access(token)?;
    let id = claims
        .sub
        .parse::<i64>()
        .map_err(|_| ApiError::new(ErrorCode::InvalidToken))?;
    Ok(Some((state, id, claims.ep)))
}

/// The user as the database has them now: a deleted user's token is invalid, a disabled
/// user is refused, a token of a session that has ended (an earlier `epoch`) is invalid.
pub fn load_from(
    conn: &mut crate::db::AnyConnection,
    id: i64,
    epoch: i64,
) -> Result<CurrentUser, ApiError> {
    type Row = (String, i64, bool, i64, bool, Option<chrono::NaiveDateTime>);
    let row: Option<Row> = users::table
        .inner_join(orgs::table)
        .filter(users::id.eq(id))
        .select((
            users::role,
            users::org_id,
            users::is_active,
            users::session_epoch,
            orgs::is_exchange,
            orgs::verified_at,
        ))
        // `get_result`, not `first`: see `achievements::model::find`.
        .get_result(conn)
        .optional()?;
    let (role, org_id, active, current_epoch, is_exchange, verified_at) =
        row.ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
    if !active {
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    }
    if epoch != current_epoch {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidToken,
            "此登录会话已结束（密码已更改或账户曾被停用），请重新登录。",
            "This session has ended (the password was changed or the account disabled); sign in again.",
        ));
    }
    let role = Role::parse(&role)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user {id} has unknown role {role}")))?;
    Ok(CurrentUser {
        id,
        role,
        org_id,
        org_verified: is_exchange || verified_at.is_some(),
    })
}

async fn current(subject: Option<(AppData, i64, i64)>) -> Result<Option<CurrentUser>, ApiError> {
    match subject {
        None => Ok(None),
        Some((state, id, epoch)) => state
            .db
            .read(move |conn| load_from(conn, id, epoch))
            .await
            .map(Some),
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let subject = token_subject(req);
        Box::pin(async move {
            current(subject?)
                .await?
                .ok_or_else(|| ApiError::new(ErrorCode::MissingAuthorization))
        })
    }
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let subject = token_subject(req);
        Box::pin(async move { current(subject?).await.map(MaybeUser) })
    }
}
