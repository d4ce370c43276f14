//! A user's own password change: the new hash replaces the one the current password was
//! checked against, every session of the user ends (refresh tokens revoked, access tokens
//! of the old session epoch refused at once) and a new one starts for the caller, audited
//! as `user.change_password`.

use chrono::Duration;
use serde::Deserialize;

use crate::accounts::model;
use crate::audit::{self, Act};
use crate::auth::tokens;
use crate::clock::now;
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};

/// `POST /api/v1/me/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Stores `new_hash` if the password is still the one checked (`checked_hash`), revokes
/// every refresh token of the user and issues the refresh token of a new session. A
/// concurrent change of the same password wins once; the other is told the current
/// password is wrong.
pub fn change_password(
    conn: &mut AnyConnection,
    user_id: i64,
    checked_hash: &str,
    new_hash: &str,
    ttl: Duration,
) -> Result<(String, i64), ApiError> {
    if !model::replace_password_hash(conn, user_id, checked_hash, new_hash, now())? {
        return Err(ApiError::new(ErrorCode::WrongCurrentPassword));
    }
    let epoch = tokens::end_sessions(conn, user_id)?;
    let refresh = tokens::issue_refresh(conn, user_id, None, ttl)?;
    audit::happened(
        conn,
        Act::new(user_id, "user.change_password", "user", user_id),
    )?;
    Ok((refresh, epoch))
}
