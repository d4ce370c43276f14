//! Slows password guessing without letting anyone lock someone else out. Failed sign-ins
//! are counted per (email, client) pair and per client, where the client is the address
//! as [`crate::http::client_key`] sees it (IPv6 by its /64): after too many failures of
//! one pair or from one client within the window, sign-in answers 429 with
//! `Retry-After`. Failures of an account from one client never stop the account's owner
//! signing in from another. Failures are kept in the database, so every API server sees
//! the same counts.
//!
//! Checking and counting are one step: [`begin`] runs in the sign-in's write transaction,
//! takes a lock per subject (PostgreSQL: transaction-scoped advisory locks; SQLite:
//! writers already take turns in [`crate::db::Db::write`]), checks the counts and records
//! the attempt as a failure before the password is verified, so N concurrent guesses
//! cannot all pass the check before any is counted. A right password then takes its
//! attempt back ([`forgive`]).

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::AnyConnection;
use crate::db::schema::login_failures;
use crate::error::{ApiError, ErrorCode};

/// The failures of one account from one client.
pub fn pair_subject(email: &str, client: &str) -> String {
    format!("email+client:{email}|{client}")
}

/// All failures from one client, whatever the account.
pub fn client_subject(client: &str) -> String {
    format!("client:{client}")
}

/// One sign-in attempt, counted as a failure until [`forgive`] takes it back.
#[derive(Debug)]
pub struct Attempt {
    ids: Vec<i64>,
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

/// Serialises attempts on the same subjects until the transaction ends. Locks are taken
/// in one order, so two attempts cannot wait for each other.
fn lock(conn: &mut AnyConnection, subjects: &[&str]) -> QueryResult<()> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Ok(()); // SQLite: `Db::write` holds the only writer's turn.
    };
    let mut sorted = subjects.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for subject in sorted {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<Text, _>(subject)
            .execute(pg)?;
    }
    Ok(())
}

/// Checks every `(subject, limit)` and counts the attempt against each: `Err(429)` (and
/// nothing counted) when one is at its limit. Must run inside a write transaction
/// (`Db::write`), which holds the locks until it commits.
pub fn begin(
    conn: &mut AnyConnection,
    subjects: &[(String, u32)],
    window: Duration,
    now: NaiveDateTime,
) -> Result<Attempt, ApiError> {
    let names: Vec<&str> = subjects.iter().map(|(s, _)| s.as_str()).collect();
    lock(conn, &names)?;
    let since = now - window;
    for (subject, limit) in subjects {
        let (count, oldest) = recent(conn, subject, since)?;
        if count >= i64::from(*limit) {
            let free_at = oldest.unwrap_or(now) + window;
            let wait = (free_at - now).num_seconds().max(1) as u64;
            return Err(ApiError::new(ErrorCode::TooManyLoginAttempts).retry_after(wait));
        }
    }
    let mut ids = Vec::with_capacity(names.len());
    for subject in names {
        diesel::delete(
            login_failures::table
                .filter(login_failures::subject.eq(subject))
                .filter(login_failures::created_at.le(since)),
        )
        .execute(conn)?;
        let id = diesel::insert_into(login_failures::table)
            .values((
                login_failures::subject.eq(subject),
                login_failures::created_at.eq(now),
            ))
            .returning(login_failures::id)
            .get_result(conn)?;
        ids.push(id);
    }
    Ok(Attempt { ids })
}

/// The password was right: the attempt was no failure, and the account's earlier
/// failures from this client (`pair`) are forgiven. The client's failures on other
/// accounts stay.
pub fn forgive(conn: &mut AnyConnection, attempt: &Attempt, pair: &str) -> QueryResult<usize> {
    let own = diesel::delete(login_failures::table.filter(login_failures::id.eq_any(&attempt.ids)))
        .execute(conn)?;
    let earlier = diesel::delete(login_failures::table.filter(login_failures::subject.eq(pair)))
        .execute(conn)?;
    Ok(own + earlier)
}

/// Failures older than `window` count for nothing; housekeeping deletes them.
pub fn prune(conn: &mut AnyConnection, window: Duration, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::created_at.le(now - window)))
        .execute(conn)
}
