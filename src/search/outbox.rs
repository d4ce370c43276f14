//! The transactional outbox that keeps the indexes in step with the database.
//!
//! Writers call [`enqueue`] inside their own transaction, so a change and its index update
//! land together or not at all. The worker claims rows by leasing them (moving
//! `available_at` forward; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several servers
//! drain side by side), builds the documents from the database as it is *now*, writes them
//! to the engine, and deletes the rows. A failure backs the rows off exponentially; a
//! crashed worker's lease simply runs out. Rows are idempotent: processing one twice is
//! harmless.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use serde::Serialize;

use crate::clock::now;
use crate::db::schema::search_outbox;
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::search::documents::{self, published_ids};
use crate::search::{
    Engine, IndexKind, SearchEngine, SearchError, SearchResult, Submitted, Target,
};

/// How long a claimed row stays invisible to other workers.
const LEASE_SECS: i64 = 120;
/// Longest wait between retries of a failing row.
const MAX_BACKOFF_SECS: i64 = 300;

pub fn enqueue(conn: &mut AnyConnection, kind: IndexKind, ids: &[i64]) -> QueryResult<()> {
    let at = now();
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                search_outbox::index_name.eq(kind.name()),
                search_outbox::doc_id.eq(*id),
                search_outbox::attempts.eq(0),
                search_outbox::available_at.eq(at),
                search_outbox::created_at.eq(at),
            )
        })
        .collect();
    // Multi-row INSERT is not expressible through the multi-backend; run it on the
    // concrete connection.
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(search_outbox::table).values(chunk);
        match conn {
            AnyConnection::Postgresql(c) => insert.execute(c)?,
            AnyConnection::Sqlite(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Queues every published item of `kind` (after an index was created empty).
pub fn enqueue_all(conn: &mut AnyConnection, kind: IndexKind) -> QueryResult<usize> {
    let mut after = 0;
    let mut total = 0;
    loop {
        let ids = published_ids(conn, kind, after, 1000)?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        enqueue(conn, kind, &ids)?;
        total += ids.len();
        after = last;
    }
    Ok(total)
}

/// Queues every published item for an index that was just created empty. Rows already
/// waiting for it are dropped first: the full resync covers them (so a fresh server after
/// `gen-data` indexes each item once, not twice), and an empty index has nothing to delete.
pub fn resync_fresh(conn: &mut AnyConnection, kind: IndexKind) -> QueryResult<usize> {
    diesel::delete(
        search_outbox::table
            .filter(search_outbox::index_name.eq(kind.name()))
            .filter(search_outbox::available_at.le(now())),
    )
    .execute(conn)?;
    enqueue_all(conn, kind)
}

/// After a restart, rows waiting out a backoff are retried at once.
pub fn release_all(conn: &mut AnyConnection) -> QueryResult<usize> {
    let at = now();
    diesel::update(search_outbox::table.filter(search_outbox::available_at.gt(at)))
        .set(search_outbox::available_at.eq(at))
        .execute(conn)
}

#[derive(Debug, Clone, QueryableByName, Queryable)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub index_name: String,
    #[diesel(sql_type = BigInt)]
    pub doc_id: i64,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

const PG_CLAIM: &str = "UPDATE search_outbox SET available_at = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM search_outbox WHERE available_at <= $2 ORDER BY id LIMIT $3 \
     FOR UPDATE SKIP LOCKED) RETURNING id, index_name, doc_id, attempts";

/// Leases up to `limit` due rows.
pub fn claim(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<Claimed>> {
    let at = now();
    let lease = at + chrono::Duration::seconds(LEASE_SECS);
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(PG_CLAIM)
            .bind::<Timestamp, _>(lease)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load(pg),
        AnyConnection::Sqlite(_) => {
            // One process per SQLite file (the data-dir lock), and this runs in a write
            // transaction: no other claimer can interleave.
            let rows: Vec<Claimed> = search_outbox::table
                .filter(search_outbox::available_at.le(at))
                .order(search_outbox::id.asc())
                .limit(limit)
                .select((
                    search_outbox::id,
                    search_outbox::index_name,
                    search_outbox::doc_id,
                    search_outbox::attempts,
                ))
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            diesel::update(search_outbox::table.filter(search_outbox::id.eq_any(&ids)))
                .set((
                    search_outbox::available_at.eq(lease),
                    search_outbox::attempts.eq(search_outbox::attempts + 1),
                ))
                .execute(conn)?;
            Ok(rows
                .into_iter()
                .map(|r| Claimed {
                    attempts: r.attempts + 1,
                    ..r
                })
                .collect())
        }
    }
}

fn complete(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(search_outbox::table.filter(search_outbox::id.eq_any(ids))).execute(conn)
}

fn retry_later(conn: &mut AnyConnection, rows: &[Claimed], error: &str) -> QueryResult<()> {
    let at = now();
    for r in rows {
        diesel::update(search_outbox::table.find(r.id))
            .set((
                search_outbox::available_at
                    .eq(at + crate::clock::backoff(r.attempts, MAX_BACKOFF_SECS)),
                search_outbox::last_error.eq(Some(error.chars().take(500).collect::<String>())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One claimed batch handed to the engine: the outbox rows of each index and what the
/// engine was given for them, waiting to be confirmed.
pub struct InFlight {
    /// How many rows were claimed (the next batch grows while batches come back full).
    pub claimed: usize,
    parts: Vec<(IndexKind, Vec<Claimed>, SearchResult<Submitted>)>,
}

/// Claims up to `limit` due rows, builds their documents from the database as it is now
/// and hands them to the engine without waiting; `None` when nothing is due.
pub async fn submit_batch(
    db: &Db,
    engine: &Engine,
    limit: i64,
) -> Result<Option<InFlight>, ApiError> {
    let claimed = db.write(move |conn| Ok(claim(conn, limit)?)).await?;
    if claimed.is_empty() {
        return Ok(None);
    }
    let n = claimed.len();
    let mut by_kind: BTreeMap<&'static str, (IndexKind, BTreeSet<i64>, Vec<Claimed>)> =
        BTreeMap::new();
    for row in claimed {
        let Some(kind) = IndexKind::parse(&row.index_name) else {
            tracing::error!(index = %row.index_name, "outbox row for an unknown index; dropped");
            let id = row.id;
            db.write(move |conn| Ok(complete(conn, &[id])?)).await?;
            continue;
        };
        let e = by_kind
            .entry(kind.name())
            .or_insert_with(|| (kind, BTreeSet::new(), Vec::new()));
        e.1.insert(row.doc_id);
        e.2.push(row);
    }
    let mut parts = Vec::new();
    for (_, (kind, ids, rows)) in by_kind {
        let ids: Vec<i64> = ids.into_iter().collect();
        let batch = db
            .read(move |conn| Ok(documents::build(conn, kind, &ids)?))
            .await?;
        let submitted = engine
            .submit(&Target::live(kind), batch.upserts, batch.deletes)
            .await;
        parts.push((kind, rows, submitted));
    }
    Ok(Some(InFlight { claimed: n, parts }))
}

/// Waits for a batch the engine was handed and deletes its rows, or backs them off for a
/// retry (they are rebuilt from the database then, so a newer batch that landed meanwhile
/// is never undone). Returns how many rows it completed.
pub async fn settle_batch(db: &Db, engine: &Engine, batch: InFlight) -> Result<usize, ApiError> {
    let mut done = 0;
    for (kind, rows, submitted) in batch.parts {
        let result = match submitted {
            Ok(s) => engine.settle(s).await,
            Err(e) => Err(e),
        };
        let row_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        match result {
            Ok(()) => {
                done += db.write(move |conn| Ok(complete(conn, &row_ids)?)).await?;
            }
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(index = kind.name(), error = %message, rows = rows.len(), "index sync failed; will retry");
                db.write(move |conn| Ok(retry_later(conn, &rows, &message)?))
                    .await?;
            }
        }
    }
    Ok(done)
}

/// Drains one batch and waits for it; returns how many rows it completed.
pub async fn drain_once(db: &Db, engine: &Engine, limit: i64) -> Result<usize, ApiError> {
    match submit_batch(db, engine, limit).await? {
        Some(batch) => settle_batch(db, engine, batch).await,
        None => Ok(0),
    }
}

/// The backlog as `/api/v1/admin/search` reports it.
#[derive(Debug, Serialize)]
pub struct Backlog {
    pub pending: i64,
    /// Rows that failed at least once and wait for a retry.
    pub retrying: i64,
    pub oldest_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

pub fn backlog(conn: &mut AnyConnection) -> QueryResult<Backlog> {
    let pending: i64 = search_outbox::table.count().get_result(conn)?;
    let retrying: i64 = search_outbox::table
        .filter(search_outbox::last_error.is_not_null())
        .count()
        .get_result(conn)?;
    let oldest: Option<NaiveDateTime> = search_outbox::table
        .select(diesel::dsl::min(search_outbox::created_at))
        .first(conn)?;
    let last_error: Option<String> = search_outbox::table
        .filter(search_outbox::last_error.is_not_null())
        .order(search_outbox::id.desc())
        .select(search_outbox::last_error)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    Ok(Backlog {
        pending,
        retrying,
        oldest_at: oldest.map(|t| t.and_utc()),
        last_error,
    })
}

/// Stops the worker when the server stops, and tells when its last batch is done.
#[derive(Clone, Default)]
pub struct Shutdown {
    stop: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
}

impl Shutdown {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether the server has stopped (background tasks poll this).
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Stops the worker and waits (up to `limit`) for its batch in flight to finish.
    pub async fn stop_and_wait(&self, limit: Duration) {
        self.stop();
        let started = std::time::Instant::now();
        while !self.finished.load(Ordering::SeqCst) && started.elapsed() < limit {
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Rows a batch starts with, and the most it grows to while batches come back full.
const MIN_BATCH: i64 = 200;
const MAX_BATCH: i64 = 5_000;
/// Batches handed to the engine and not yet confirmed: Meilisearch applies queued tasks
/// together (auto-batching), so a backlog drains at its pace, not at one round trip a
/// batch. Each is confirmed, oldest first, before its rows leave the outbox.
const IN_FLIGHT: usize = 4;

/// The background drain loop: busy while there is work, polling gently when idle, backing
/// off while the engine is down. A backlog is sent in growing batches, several in flight.
pub async fn run_worker(db: Db, engine: Engine, shutdown: Shutdown) {
    let mut idle = Duration::from_millis(50);
    let mut limit = MIN_BATCH;
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    while !shutdown.stopped() {
        let settle_one = match submit_batch(&db, &engine, limit).await {
            Ok(Some(batch)) => {
                idle = Duration::from_millis(50);
                let full = batch.claimed as i64 >= limit;
                limit = if full {
                    (limit * 2).min(MAX_BATCH)
                } else {
                    MIN_BATCH
                };
                in_flight.push_back(batch);
                in_flight.len() >= IN_FLIGHT
            }
            Ok(None) if in_flight.is_empty() => {
                actix_web::rt::time::sleep(idle).await;
                idle = (idle * 2).min(Duration::from_millis(500));
                false
            }
            Ok(None) => true,
            Err(e) => {
                tracing::warn!(error = ?e, "search outbox worker error");
                actix_web::rt::time::sleep(Duration::from_secs(1)).await;
                true
            }
        };
        if settle_one {
            settle_oldest(&db, &engine, &mut in_flight).await;
        }
    }
    while !in_flight.is_empty() {
        settle_oldest(&db, &engine, &mut in_flight).await;
    }
    shutdown.finished.store(true, Ordering::SeqCst);
}

async fn settle_oldest(db: &Db, engine: &Engine, in_flight: &mut VecDeque<InFlight>) {
    if let Some(batch) = in_flight.pop_front()
        && let Err(e) = settle_batch(db, engine, batch).await
    {
        // The rows stay leased and come back when the lease runs out.
        tracing::warn!(error = ?e, "search outbox worker error");
    }
}

/// Readies the engine at start-up: creates indexes, applies settings, queues a full resync
/// of any index that was created empty. An unreachable engine is logged, not fatal: writes
/// keep landing in the outbox and the worker catches up when it is back.
pub async fn prepare(db: &Db, engine: &Engine) {
    match engine.prepare().await {
        Ok(fresh) => {
            for kind in fresh {
                match db.write(move |conn| Ok(resync_fresh(conn, kind)?)).await {
                    Ok(n) => {
                        tracing::info!(index = kind.name(), queued = n, "new index; resync queued")
                    }
                    Err(e) => tracing::error!(error = ?e, "cannot queue the resync"),
                }
            }
        }
        Err(SearchError::Unavailable(e)) => {
            tracing::error!(error = %e, "search engine unavailable at start-up; writes are kept in the outbox")
        }
        Err(e) => tracing::error!(error = %e, "search engine could not be prepared"),
    }
    if let Err(e) = db.write(|conn| Ok(release_all(conn)?)).await {
        tracing::error!(error = ?e, "cannot release the outbox backlog");
    }
}
