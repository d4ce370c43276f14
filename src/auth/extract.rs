//! The current user, from the `Authorization: Bearer` access token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::accounts::model::Role;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppData;

/// A signed-in user. Handlers that take it answer 401 to anonymous requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub org_id: i64,
}

/// Signed in or anonymous, for public endpoints that show more to signed-in users. A token
/// that is present but bad is still a 401, never silently anonymous.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<CurrentUser>);

fn from_request(req: &HttpRequest) -> Result<Option<CurrentUser>, ApiError> {
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
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
    let claims = state.keys.verify_access(token)?;
    let id = claims
        .sub
        .parse::<i64>()
        .map_err(|_| ApiError::new(ErrorCode::InvalidToken))?;
    Ok(Some(CurrentUser {
        id,
        role: claims.role,
        org_id: claims.org,
    }))
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            from_request(req)
                .and_then(|u| u.ok_or_else(|| ApiError::new(ErrorCode::MissingAuthorization))),
        )
    }
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(from_request(req).map(MaybeUser))
    }
}
