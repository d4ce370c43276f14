//! A small scheduler of due jobs: rows of `scheduled_jobs` (`kind`, `ref_id`, `due_at`),
//! run by every server's background loop.
//!
//! Why a table and not timers: servers restart and there may be several of them. A job is
//! claimed and run in **one** write transaction, and deleted in it when done: on
//! PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so two servers never run the same job
//! and neither waits for the other; on SQLite the single writer (and the data-dir lock of
//! one process) serialises the claim. A job whose effects committed is gone; one whose
//! transaction failed is still there. Jobs due while every server was down run at the next
//! start (catching up). A failing job is retried with backoff, its error kept.
//!
//! The loop runs on the blocking pool through [`Db::write`], like the search outbox
//! worker, never on an async worker. The scheduler knows no domain: slices hand it
//! [`Handler`]s by kind (see `startup`).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::clock::now;
use crate::db::schema::scheduled_jobs;
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::search::outbox::Shutdown;

/// What a job asks for after it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done: the job is deleted.
    Done,
    /// Run again at this time (an auction's close moved later).
    At(NaiveDateTime),
}

/// Runs the job of one kind for `ref_id`, inside the claiming transaction.
pub type Handler = Arc<dyn Fn(&mut AnyConnection, i64) -> Result<Next, ApiError> + Send + Sync>;

/// The handlers by kind.
#[derive(Clone, Default)]
pub struct Jobs {
    handlers: Vec<(&'static str, Handler)>,
}

impl Jobs {
    pub fn with(mut self, kind: &'static str, handler: Handler) -> Jobs {
        self.handlers.push((kind, handler));
        self
    }

    fn handler(&self, kind: &str) -> Option<&Handler> {
        self.handlers
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, h)| h)
    }
}

/// Schedules (or moves) the one job of `kind` for `ref_id`, in the caller's transaction.
pub fn schedule(
    conn: &mut AnyConnection,
    kind: &str,
    ref_id: i64,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    let moved = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::kind.eq(kind))
            .filter(scheduled_jobs::ref_id.eq(ref_id)),
    )
    .set(scheduled_jobs::due_at.eq(due_at))
    .execute(conn)?;
    if moved == 0 {
        diesel::insert_into(scheduled_jobs::table)
            .values((
                scheduled_jobs::kind.eq(kind),
                scheduled_jobs::ref_id.eq(ref_id),
                scheduled_jobs::due_at.eq(due_at),
                scheduled_jobs::attempts.eq(0),
                scheduled_jobs::created_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    ref_id: i64,
}

const PG_CLAIM: &str = "SELECT id, kind, ref_id FROM scheduled_jobs WHERE due_at <= $1 \
     ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";
const SQLITE_CLAIM: &str = "SELECT id, kind, ref_id FROM scheduled_jobs WHERE due_at <= ? \
     ORDER BY due_at, id LIMIT 1";

/// The earliest due job nobody else holds, locked until the transaction ends.
fn claim(conn: &mut AnyConnection, at: NaiveDateTime) -> QueryResult<Option<Claimed>> {
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(PG_CLAIM)
            .bind::<Timestamp, _>(at)
            .get_result(pg)
            .optional(),
        AnyConnection::Sqlite(lite) => diesel::sql_query(SQLITE_CLAIM)
            .bind::<Timestamp, _>(at)
            .get_result(lite)
            .optional(),
    }
}

/// Longest wait before a failing job is tried again.
const MAX_BACKOFF_SECS: i64 = 300;

/// How one claimed job went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done { kind: String, ref_id: i64 },
    Moved { kind: String, ref_id: i64 },
    Failed { kind: String, ref_id: i64 },
}

/// Claims and runs one due job in one transaction; `None` when nothing is due. The
/// handler runs in a savepoint, so a failure rolls back its effects only and is recorded
/// on the job (retried after a backoff).
pub fn run_one(conn: &mut AnyConnection, jobs: &Jobs) -> Result<Option<Ran>, ApiError> {
    let at = now();
    let Some(job) = claim(conn, at)? else {
        return Ok(None);
    };
    let target = scheduled_jobs::table.find(job.id);
    let outcome = match jobs.handler(&job.kind) {
        Some(h) => conn.transaction(|c| h(c, job.ref_id)),
        None => Err(ApiError::internal(anyhow::anyhow!(
            "no handler for job kind {}",
            job.kind
        ))),
    };
    let (kind, ref_id) = (job.kind, job.ref_id);
    match outcome {
        Ok(Next::Done) => {
            diesel::delete(target).execute(conn)?;
            Ok(Some(Ran::Done { kind, ref_id }))
        }
        Ok(Next::At(due)) => {
            diesel::update(target)
                .set(scheduled_jobs::due_at.eq(due))
                .execute(conn)?;
            Ok(Some(Ran::Moved { kind, ref_id }))
        }
        Err(e) => {
            tracing::warn!(kind = %kind, ref_id, error = ?e, "scheduled job failed; will retry");
            let attempts: i32 = target.select(scheduled_jobs::attempts).first(conn)?;
            diesel::update(target)
                .set((
                    scheduled_jobs::attempts.eq(attempts + 1),
                    scheduled_jobs::due_at
                        .eq(at + crate::clock::backoff(attempts + 1, MAX_BACKOFF_SECS)),
                    scheduled_jobs::last_error.eq(Some(format!("{:?}", e.code()))),
                ))
                .execute(conn)?;
            Ok(Some(Ran::Failed { kind, ref_id }))
        }
    }
}

/// Runs due jobs, each in its own transaction, until none is due (at most `limit`).
pub async fn run_due(db: &Db, jobs: &Jobs, limit: usize) -> Result<Vec<Ran>, ApiError> {
    let mut ran = Vec::new();
    while ran.len() < limit {
        let jobs = jobs.clone();
        match db.write(move |conn| run_one(conn, &jobs)).await? {
            Some(r) => ran.push(r),
            None => break,
        }
    }
    Ok(ran)
}

/// The background loop: runs what is due at start (catching up after downtime), then
/// every `tick`, until `shutdown`.
pub async fn run(db: Db, jobs: Jobs, tick: StdDuration, shutdown: Shutdown) {
    while !shutdown.stopped() {
        match run_due(&db, &jobs, 100).await {
            Ok(ran) if !ran.is_empty() => tracing::debug!(jobs = ran.len(), "scheduler ran"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "scheduler error"),
        }
        let step = tick.min(StdDuration::from_millis(200));
        let mut slept = StdDuration::ZERO;
        while slept < tick && !shutdown.stopped() {
            actix_web::rt::time::sleep(step).await;
            slept += step;
        }
    }
}
