//! Deletes rows that no longer mean anything, at start-up and then every hour: expired
//! refresh tokens, idempotency keys past their retention, and failed sign-ins older than
//! the throttle's window. The deletes run in one write transaction on the blocking pool
//! (`Db::write`), never on an async worker. On PostgreSQL every server runs it; the
//! deletes are idempotent, so that only repeats cheap work.

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::throttle;
use crate::db::schema::{idempotency_keys, refresh_tokens};
use crate::db::{AnyConnection, Db};
use crate::search::outbox::Shutdown;

/// How long an `Idempotency-Key` is remembered: a retry within this answers the first
/// result; after it the key is free again. Clients retry within minutes, so a week is
/// generous, and it keeps the table (which stores whole answers) small.
pub const IDEMPOTENCY_RETENTION_DAYS: i64 = 7;

/// How often the deletes run after the one at start-up.
pub const INTERVAL: StdDuration = StdDuration::from_secs(60 * 60);

/// Rows deleted by one [`prune`], per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub refresh_tokens: usize,
    pub idempotency_keys: usize,
    pub login_failures: usize,
}

/// Deletes, as of `now`: refresh tokens past `expires_at` (refused anyway; a replay of
/// one that old is answered `invalid_refresh_token` instead of revoking its family),
/// idempotency keys older than [`IDEMPOTENCY_RETENTION_DAYS`], and sign-in failures older
/// than `login_window` (they no longer count).
pub fn prune(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    login_window: Duration,
) -> QueryResult<Pruned> {
    let refresh_tokens =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
            .execute(conn)?;
    let idempotency_keys =
        diesel::delete(idempotency_keys::table.filter(
            idempotency_keys::created_at.le(now - Duration::days(IDEMPOTENCY_RETENTION_DAYS)),
        ))
        .execute(conn)?;
    let login_failures = throttle::prune(conn, login_window, now)?;
    Ok(Pruned {
        refresh_tokens,
        idempotency_keys,
        login_failures,
    })
}

/// How far back each kind of row still counts.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// Sign-in failures older than this no longer count.
    pub login: Duration,
    /// Files attached to nothing are kept this long (see [`crate::files::collector`]).
    pub files_grace: Duration,
}

/// The background loop: prunes now and every [`INTERVAL`] until `shutdown`, and collects
/// unreferenced files. A failed run is logged and tried again at the next interval.
pub async fn run(
    db: Db,
    windows: Windows,
    files: std::sync::Arc<dyn crate::files::store::FileStore>,
    shutdown: Shutdown,
) {
    let login_window = windows.login;
    while !shutdown.stopped() {
        match crate::files::collector::run_once(&db, &files, windows.files_grace).await {
            Ok(c) if c != Default::default() => {
                tracing::info!(?c, "housekeeping collected unreferenced files")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "file collector failed"),
        }
        let now = crate::clock::now();
        match db
            .write(move |conn| Ok(prune(conn, now, login_window)?))
            .await
        {
            Ok(pruned) if pruned != Pruned::default() => {
                tracing::info!(?pruned, "housekeeping deleted stale rows")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "housekeeping failed"),
        }
        // Sleep in short steps, so a stopped server does not wait an hour for this task.
        let mut slept = StdDuration::ZERO;
        while slept < INTERVAL && !shutdown.stopped() {
            actix_web::rt::time::sleep(StdDuration::from_secs(1)).await;
            slept += StdDuration::from_secs(1);
        }
    }
}
