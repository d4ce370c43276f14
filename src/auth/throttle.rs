//! Slows password guessing: after too many failed sign-ins for one email or from one
//! client address within a window, sign-in answers 429 with `Retry-After`. Failures are
//! kept in the database, so every API server sees the same counts.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::login_failures;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_email: u32,
    pub per_ip: u32,
    pub window: Duration,
}

pub fn email_subject(email: &str) -> String {
    format!("email:{email}")
}

pub fn ip_subject(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Failures of `subject` since `since`: how many, and when the oldest was.
fn recent(
    conn: &mut AnyConnection,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::created_at.gt(since))
        .select((count_star(), min(login_failures::created_at)))
        .first(conn)
}

/// `Err(429)` when either subject is over its limit.
pub fn check(
    conn: &mut AnyConnection,
    subjects: &[(&str, u32)],
    window: Duration,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let since = now - window;
    for (subject, limit) in subjects {
        let (count, oldest) = recent(conn, subject, since)?;
        if count >= i64::from(*limit) {
            let free_at = oldest.unwrap_or(now) + window;
            let wait = (free_at - now).num_seconds().max(1) as u64;
            return Err(ApiError::new(ErrorCode::TooManyLoginAttempts).retry_after(wait));
        }
    }
    Ok(())
}

pub fn record_failure(
    conn: &mut AnyConnection,
    subjects: &[&str],
    window: Duration,
    now: NaiveDateTime,
) -> QueryResult<()> {
    for subject in subjects {
        diesel::delete(
            login_failures::table
                .filter(login_failures::subject.eq(*subject))
                .filter(login_failures::created_at.le(now - window)),
        )
        .execute(conn)?;
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::subject.eq(*subject),
                login_failures::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A successful sign-in forgives the account's failures (not the address's).
pub fn clear(conn: &mut AnyConnection, subject: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::subject.eq(subject))).execute(conn)
}
