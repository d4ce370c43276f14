//! The alert worker: evaluates queued checks against saved searches once the listings are
//! indexed, records hits, and announces them batched per search.
//!
//! Cost: one engine query per *distinct* saved query of a kind per batch of up to
//! [`BATCH`] listings (restricted to the batch's ids, so each query touches few
//! documents), whatever the number of listings in the batch. Two servers may take the
//! same check after a lease runs out: hits are unique per (search, listing) and match
//! notices are keyed, so nothing is announced twice.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::Duration;
use diesel::prelude::*;

use crate::alerts::matches;
use crate::alerts::saved::{Alert, SavedSearchRow};
use crate::clock::now;
use crate::db::schema::{
    achievements, alert_checks, demands, saved_search_hits, saved_searches, search_outbox,
};
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::notify::{Audience, Kind, Notice, emit, texts};
use crate::search::outbox::Shutdown;
use crate::search::{Engine, Fetch, Filter, FilterValue, IndexKind, SearchEngine, Shape};

/// Checks taken at once: the listings one engine query per saved query covers.
pub const BATCH: i64 = 1000;
/// How long a taken check stays invisible to other servers.
const LEASE_SECS: i64 = 300;

#[derive(Debug, Clone, Queryable)]
struct Check {
    id: i64,
    kind: String,
    listing_id: i64,
}

/// Due checks whose listing's index update has landed (no search outbox row left), leased.
fn claim(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<Check>> {
    let at = now();
    let pending_index = search_outbox::table
        .filter(search_outbox::index_name.eq(alert_checks::kind))
        .filter(search_outbox::doc_id.eq(alert_checks::listing_id));
    let checks: Vec<Check> = alert_checks::table
        .filter(alert_checks::available_at.le(at))
        .filter(diesel::dsl::not(diesel::dsl::exists(pending_index)))
        .order(alert_checks::id.asc())
        .limit(limit)
        .select((
            alert_checks::id,
            alert_checks::kind,
            alert_checks::listing_id,
        ))
        .load(conn)?;
    let ids: Vec<i64> = checks.iter().map(|c| c.id).collect();
    for chunk in ids.chunks(500) {
        diesel::update(alert_checks::table.filter(alert_checks::id.eq_any(chunk)))
            .set(alert_checks::available_at.eq(at + Duration::seconds(LEASE_SECS)))
            .execute(conn)?;
    }
    Ok(checks)
}

/// The saved searches of a kind grouped by their stored parameters: identical queries run
/// once.
fn searches_of(
    conn: &mut AnyConnection,
    kind: IndexKind,
) -> QueryResult<BTreeMap<String, Vec<i64>>> {
    let rows: Vec<(i64, String)> = saved_searches::table
        .filter(saved_searches::kind.eq(kind.name()))
        .filter(saved_searches::alert.ne(Alert::Off.as_str()))
        .select((saved_searches::id, saved_searches::params))
        .load(conn)?;
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, params) in rows {
        groups.entry(params).or_default().push(id);
    }
    Ok(groups)
}

/// Which of `ids` each saved query of `kind` matches, by the engine: (search, listing).
async fn saved_hits(
    db: &Db,
    engine: &Engine,
    kind: IndexKind,
    ids: &[i64],
) -> Result<Vec<(i64, i64)>, ApiError> {
    let groups = db.read(move |conn| Ok(searches_of(conn, kind)?)).await?;
    let within = Filter::In(
        "id".into(),
        ids.iter().map(|i| FilterValue::Int(*i)).collect(),
    );
    let mut hits = Vec::new();
    for (params, searches) in groups {
        let pairs: Vec<(String, String)> = serde_json::from_str(&params).unwrap_or_default();
        // A search the parser refuses today (a code retired from a vocabulary) alerts no more.
        let Ok(mut query) = crate::search::handlers::saved_query(kind, pairs) else {
            continue;
        };
        query.filters.push(within.clone());
        query.offset = 0;
        query.limit = ids.len();
        query.fetch = Fetch::Attributes(&[("id", Shape::Int)]);
        let found = engine.search(kind, &query).await?;
        for listing in found.hits.iter().filter_map(|d| d["id"].as_i64()) {
            hits.extend(searches.iter().map(|s| (*s, listing)));
        }
    }
    Ok(hits)
}

/// The titles of listings of a kind.
fn titles(
    conn: &mut AnyConnection,
    kind: IndexKind,
    ids: &[i64],
) -> QueryResult<BTreeMap<i64, String>> {
    let rows: Vec<(i64, String)> = match kind {
        IndexKind::Achievements => achievements::table
            .filter(achievements::id.eq_any(ids))
            .select((achievements::id, achievements::title))
            .load(conn)?,
        IndexKind::Demands => demands::table
            .filter(demands::id.eq_any(ids))
            .select((demands::id, demands::title))
            .load(conn)?,
    };
    Ok(rows.into_iter().collect())
}

/// Records hits not seen before (a listing matching a search again stays one hit).
fn record(conn: &mut AnyConnection, kind: IndexKind, hits: &[(i64, i64)]) -> QueryResult<usize> {
    let mut listings: Vec<i64> = hits.iter().map(|h| h.1).collect();
    listings.sort_unstable();
    listings.dedup();
    let titles = titles(conn, kind, &listings)?;
    let at = now();
    let mut landed = 0;
    for (search, listing) in hits {
        let Some(title) = titles.get(listing) else {
            continue;
        };
        let insert = diesel::insert_into(saved_search_hits::table)
            .values((
                saved_search_hits::saved_search_id.eq(search),
                saved_search_hits::listing_id.eq(listing),
                saved_search_hits::title.eq(title),
                saved_search_hits::created_at.eq(at),
            ))
            .on_conflict((
                saved_search_hits::saved_search_id,
                saved_search_hits::listing_id,
            ))
            .do_nothing();
        landed += match conn {
            AnyConnection::Postgresql(c) => insert.execute(c)?,
            AnyConnection::Sqlite(c) => insert.execute(c)?,
        };
    }
    Ok(landed)
}

/// Announces the unannounced hits of every search whose last alert is its interval old
/// (an hour or a day, see [`Alert`]): one notification each, naming the new listings.
pub fn flush(conn: &mut AnyConnection) -> QueryResult<usize> {
    let at = now();
    let cutoff = |a: Alert| at - a.interval().unwrap_or_default();
    let last = saved_searches::last_alert_at;
    let due_as = |a: Alert| {
        saved_searches::alert
            .eq(a.as_str())
            .and(last.is_null().or(last.le(cutoff(a))))
    };
    let pending = saved_search_hits::table
        .filter(saved_search_hits::saved_search_id.eq(saved_searches::id))
        .filter(saved_search_hits::notified_at.is_null());
    let due: Vec<SavedSearchRow> = saved_searches::table
        .filter(diesel::dsl::exists(pending))
        .filter(due_as(Alert::Hourly).or(due_as(Alert::Daily)))
        .order(saved_searches::id.asc())
        .limit(500)
        .select(SavedSearchRow::as_select())
        .load(conn)?;
    for search in &due {
        announce(conn, search, at)?;
    }
    Ok(due.len())
}

/// One search's alert: its new listings (the newest few named), then marked announced.
fn announce(
    conn: &mut AnyConnection,
    search: &SavedSearchRow,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    let unannounced = saved_search_hits::table
        .filter(saved_search_hits::saved_search_id.eq(search.id))
        .filter(saved_search_hits::notified_at.is_null());
    let hits: Vec<(i64, String)> = unannounced
        .order(saved_search_hits::id.asc())
        .select((saved_search_hits::listing_id, saved_search_hits::title))
        .load(conn)?;
    let message = texts::saved_search_match(&search.kind, search.id, &search.name, &hits);
    let audience = Audience::users([search.user_id]);
    let key = format!(
        "saved-search:{}:{}",
        search.id,
        at.and_utc().timestamp_micros()
    );
    emit(
        conn,
        &Notice::new(Kind::SavedSearchMatch, audience, message).keyed(key),
    )?;
    diesel::update(unannounced)
        .set(saved_search_hits::notified_at.eq(at))
        .execute(conn)?;
    diesel::update(saved_searches::table.find(search.id))
        .set(saved_searches::last_alert_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Takes one batch of checks, records the saved searches' hits, announces new matches of
/// published listings, and flushes due alerts; how many checks it took.
pub async fn run_once(db: &Db, engine: &Engine, limit: i64) -> Result<usize, ApiError> {
    // A read first: an idle server does not take SQLite's one writer every poll.
    if !db.read(|conn| Ok(has_work(conn)?)).await? {
        return Ok(0);
    }
    let checks = db.write(move |conn| Ok(claim(conn, limit)?)).await?;
    for kind in IndexKind::ALL {
        let mut ids: Vec<i64> = checks
            .iter()
            .filter(|c| c.kind == kind.name())
            .map(|c| c.listing_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            continue;
        }
        let hits = saved_hits(db, engine, kind, &ids).await?;
        db.write(move |conn| Ok(record(conn, kind, &hits)?)).await?;
        matches::announce(db, engine, kind, &ids).await?;
    }
    let done: Vec<i64> = checks.iter().map(|c| c.id).collect();
    db.write(move |conn| {
        for chunk in done.chunks(500) {
            diesel::delete(alert_checks::table.filter(alert_checks::id.eq_any(chunk)))
                .execute(conn)?;
        }
        flush(conn)?;
        Ok(())
    })
    .await?;
    Ok(checks.len())
}

/// The background loop: busy while checks come, polling gently when idle (a poll also
/// flushes alerts that waited for their hour).
pub async fn run(db: Db, engine: Engine, shutdown: Shutdown) {
    let mut idle = StdDuration::from_millis(50);
    while !shutdown.stopped() {
        match run_once(&db, &engine, BATCH).await {
            Ok(n) if n > 0 => idle = StdDuration::from_millis(50),
            Ok(_) => {
                actix_web::rt::time::sleep(idle).await;
                idle = (idle * 2).min(StdDuration::from_millis(1000));
            }
            Err(e) => {
                tracing::warn!(error = ?e, "alert worker error; the checks come back after their lease");
                actix_web::rt::time::sleep(StdDuration::from_secs(1)).await;
            }
        }
    }
}

/// Whether a check is due or an alert waits to be announced.
fn has_work(conn: &mut AnyConnection) -> QueryResult<bool> {
    let checks = alert_checks::table.filter(alert_checks::available_at.le(now()));
    let unannounced = saved_search_hits::table.filter(saved_search_hits::notified_at.is_null());
    Ok(
        diesel::select(diesel::dsl::exists(checks)).get_result(conn)?
            || diesel::select(diesel::dsl::exists(unannounced)).get_result(conn)?,
    )
}

/// Checks not yet evaluated (tests wait for zero).
pub fn pending(conn: &mut AnyConnection) -> QueryResult<i64> {
    alert_checks::table.count().get_result(conn)
}
