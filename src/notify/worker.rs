//! The fan-out worker: turns events of the outbox into inbox rows (and queued emails).
//!
//! A batch is claimed and processed in one write transaction (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so servers drain side by side; the single writer on SQLite). Each event runs
//! in a savepoint: a failing one is backed off with its error kept, the others land. An
//! inbox row is unique per (user, key), so an event seen twice lands once.

use std::time::Duration as StdDuration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::clock::now;
use crate::db::schema::{notification_events, users};
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::notify::events::{Audience, Message};
use crate::notify::{Kind, inbox, mail};
use crate::search::outbox::Shutdown;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_events)]
struct EventRow {
    id: i64,
    kind: String,
    audience: String,
    message: String,
    dedupe_key: Option<String>,
    attempts: i32,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

const PG_CLAIM: &str = "SELECT id FROM notification_events WHERE available_at <= $1 \
     ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED";

/// Due events nobody else holds, locked until the transaction ends.
fn claim(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<EventRow>> {
    let at = now();
    let ids: Vec<i64> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(PG_CLAIM)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load::<Id>(pg)?
            .into_iter()
            .map(|r| r.id)
            .collect(),
        AnyConnection::Sqlite(_) => notification_events::table
            .filter(notification_events::available_at.le(at))
            .order(notification_events::id.asc())
            .limit(limit)
            .select(notification_events::id)
            .load(conn)?,
    };
    notification_events::table
        .filter(notification_events::id.eq_any(&ids))
        .order(notification_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
}

/// The active users an audience names, without the actor: `(id, email)`.
pub fn recipients(
    conn: &mut AnyConnection,
    audience: &Audience,
) -> QueryResult<Vec<(i64, String)>> {
    let except = audience.except.unwrap_or(-1);
    users::table
        .filter(
            users::org_id
                .eq_any(&audience.orgs)
                .or(users::id.eq_any(&audience.users)),
        )
        .filter(users::is_active.eq(true))
        .filter(users::id.ne(except))
        .order(users::id.asc())
        .select((users::id, users::email))
        .load(conn)
}

/// Lands one event: an inbox row per recipient and, where asked, an email queued.
fn fan_out(conn: &mut AnyConnection, row: &EventRow, email: bool) -> Result<usize, ApiError> {
    let kind = Kind::read(&row.kind)?;
    let audience: Audience = serde_json::from_str(&row.audience).map_err(ApiError::internal)?;
    let message: Message = serde_json::from_str(&row.message).map_err(ApiError::internal)?;
    let key = row
        .dedupe_key
        .clone()
        .unwrap_or_else(|| format!("event-id:{}", row.id));
    let mut landed = 0;
    for (user_id, address) in recipients(conn, &audience)? {
        let Some(id) = inbox::insert(conn, user_id, kind, &message, &key)? else {
            continue;
        };
        landed += 1;
        if email && crate::notify::prefs::mode(conn, user_id, kind)? == crate::notify::Mode::Email {
            mail::queue_one(conn, user_id, &address, id, &message)?;
        }
    }
    Ok(landed)
}

const MAX_BACKOFF_SECS: i64 = 300;

/// Processes up to `limit` due events in the caller's transaction; how many it took.
pub fn process(conn: &mut AnyConnection, limit: i64, email: bool) -> Result<usize, ApiError> {
    let rows = claim(conn, limit)?;
    for row in &rows {
        let target = notification_events::table.find(row.id);
        match conn.transaction(|c| fan_out(c, row, email)) {
            Ok(_) => {
                diesel::delete(target).execute(conn)?;
            }
            Err(e) => {
                tracing::warn!(event = row.id, error = ?e, "notification event failed; will retry");
                diesel::update(target)
                    .set((
                        notification_events::attempts.eq(row.attempts + 1),
                        notification_events::available_at
                            .eq(now() + crate::clock::backoff(row.attempts + 1, MAX_BACKOFF_SECS)),
                        notification_events::last_error.eq(Some(format!("{:?}", e.code()))),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(rows.len())
}

/// The background loop: drains events while there are some, polls gently when idle.
pub async fn run(db: Db, email: bool, shutdown: Shutdown) {
    let mut idle = StdDuration::from_millis(50);
    while !shutdown.stopped() {
        // A read first: an idle server does not take SQLite's one writer every poll.
        let work = async {
            match db.read(|conn| Ok(due(conn)?)).await? {
                true => db.write(move |conn| process(conn, 100, email)).await,
                false => Ok(0),
            }
        };
        match work.await {
            Ok(n) if n > 0 => idle = StdDuration::from_millis(50),
            Ok(_) => {
                actix_web::rt::time::sleep(idle).await;
                idle = (idle * 2).min(StdDuration::from_millis(500));
            }
            Err(e) => {
                tracing::warn!(error = ?e, "notification worker error");
                actix_web::rt::time::sleep(StdDuration::from_secs(1)).await;
            }
        }
    }
}

/// Whether an event is due.
fn due(conn: &mut AnyConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notification_events::table.filter(notification_events::available_at.le(now())),
    ))
    .get_result(conn)
}

/// Events not yet fanned out (tests wait for zero).
pub fn pending(conn: &mut AnyConnection) -> QueryResult<i64> {
    notification_events::table.count().get_result(conn)
}
