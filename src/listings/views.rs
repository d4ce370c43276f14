//! How often a published listing is read by people outside its org: counted in memory on
//! each read and written to `listing_views` in batches, so a read by id stays a read (no
//! write, no writer lock on SQLite) and a listing read thousands of times costs one upsert
//! per flush. A crash loses at most the last flush interval's counts; a failed flush keeps
//! them for the next one. The org sees the counts, never who read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Serialize;

use super::ListingKind;
use crate::auth::extract::CurrentUser;
use crate::clock::today;
use crate::db::schema::listing_views;
use crate::db::{AnyConnection, Db};
use crate::search::outbox::Shutdown;

/// How long counts stay in memory before they are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The days `recent` in [`ViewCounts`] covers, today included.
pub const RECENT_DAYS: i64 = 30;

type Key = (ListingKind, i64, NaiveDate);

/// Reads not yet written, shared by the handlers of one server.
#[derive(Default)]
pub struct Views {
    pending: Mutex<HashMap<Key, i64>>,
}

/// A listing's views for its org: all of them, and those of the last [`RECENT_DAYS`] days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ViewCounts {
    pub total: i64,
    pub recent: i64,
}

/// Whether a read counts: the listing is published and the reader is neither of its org nor
/// the exchange's staff (their reads are work, not interest). Anonymous reads count.
pub fn counts_as_view(published: bool, org_id: i64, reader: Option<&CurrentUser>) -> bool {
    published && reader.is_none_or(|u| u.org_id != org_id && !u.role.is_exchange_staff())
}

impl Views {
    pub fn record(&self, kind: ListingKind, id: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending.entry((kind, id, today())).or_default() += 1;
    }

    /// Counted on this server and not yet written.
    fn pending_of(&self, kind: ListingKind, id: i64, since: NaiveDate) -> ViewCounts {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending
            .iter()
            .filter(|((k, i, _), _)| *k == kind && *i == id)
            .fold(ViewCounts::default(), |acc, ((_, _, day), n)| ViewCounts {
                total: acc.total + n,
                recent: acc.recent + if *day >= since { *n } else { 0 },
            })
    }

    fn take(&self) -> HashMap<Key, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts counts back after a failed write, added to what came in meanwhile.
    fn restore(&self, counts: HashMap<Key, i64>) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for (key, n) in counts {
            *pending.entry(key).or_default() += n;
        }
    }

    /// Writes what is pending in one transaction; on failure keeps it for the next time.
    pub async fn flush(&self, db: &Db) {
        let counts = self.take();
        if counts.is_empty() {
            return;
        }
        let batch = counts.clone();
        if let Err(e) = db.write(move |conn| Ok(write(conn, &batch)?)).await {
            tracing::warn!(error = %e, "listing views not written; kept for the next flush");
            self.restore(counts);
        }
    }

    /// The listing's views: written ones plus this server's pending ones.
    pub fn counts(
        &self,
        conn: &mut AnyConnection,
        kind: ListingKind,
        id: i64,
    ) -> QueryResult<ViewCounts> {
        let since = today() - chrono::Duration::days(RECENT_DAYS - 1);
        let written = written(conn, kind, id, since)?;
        let pending = self.pending_of(kind, id, since);
        Ok(ViewCounts {
            total: written.total + pending.total,
            recent: written.recent + pending.recent,
        })
    }
}

/// Adds each count to its (listing, day) row.
fn write(conn: &mut AnyConnection, counts: &HashMap<Key, i64>) -> QueryResult<()> {
    for ((kind, id, day), n) in counts {
        let upsert = diesel::insert_into(listing_views::table)
            .values((
                listing_views::listing_kind.eq(kind.entity()),
                listing_views::listing_id.eq(id),
                listing_views::day.eq(day),
                listing_views::views.eq(n),
            ))
            .on_conflict((
                listing_views::listing_kind,
                listing_views::listing_id,
                listing_views::day,
            ))
            .do_update()
            .set(listing_views::views.eq(listing_views::views + excluded(listing_views::views)));
        match conn {
            AnyConnection::Postgresql(c) => upsert.execute(c)?,
            AnyConnection::Sqlite(c) => upsert.execute(c)?,
        };
    }
    Ok(())
}

fn written(
    conn: &mut AnyConnection,
    kind: ListingKind,
    id: i64,
    since: NaiveDate,
) -> QueryResult<ViewCounts> {
    let rows: Vec<(NaiveDate, i64)> = listing_views::table
        .filter(listing_views::listing_kind.eq(kind.entity()))
        .filter(listing_views::listing_id.eq(id))
        .select((listing_views::day, listing_views::views))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .fold(ViewCounts::default(), |acc, (day, n)| ViewCounts {
            total: acc.total + n,
            recent: acc.recent + if day >= since { n } else { 0 },
        }))
}

/// Writes the counts every [`FLUSH_EVERY`] until the server stops, then once more.
pub async fn run(db: Db, views: Arc<Views>, shutdown: Shutdown) {
    let tick = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while !shutdown.stopped() {
        actix_web::rt::time::sleep(tick).await;
        waited += tick;
        if waited >= FLUSH_EVERY {
            views.flush(&db).await;
            waited = Duration::ZERO;
        }
    }
    views.flush(&db).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::Role;

    fn user(role: Role, org_id: i64) -> CurrentUser {
        CurrentUser {
            id: 1,
            role,
            org_id,
            org_verified: true,
        }
    }

    #[test]
    fn only_outside_reads_of_published_listings_count() {
        assert!(counts_as_view(true, 7, None));
        assert!(counts_as_view(true, 7, Some(&user(Role::Enterprise, 8))));
        assert!(!counts_as_view(true, 7, Some(&user(Role::University, 7))));
        assert!(!counts_as_view(true, 7, Some(&user(Role::Admin, 1))));
        assert!(!counts_as_view(false, 7, None));
    }

    #[test]
    fn a_failed_flush_keeps_its_counts_beside_new_ones() {
        let views = Views::default();
        views.record(ListingKind::Achievement, 3);
        views.record(ListingKind::Achievement, 3);
        let taken = views.take();
        views.record(ListingKind::Achievement, 3);
        views.record(ListingKind::Demand, 3);
        views.restore(taken);
        let since = today();
        let a = views.pending_of(ListingKind::Achievement, 3, since);
        assert_eq!(
            a,
            ViewCounts {
                total: 3,
                recent: 3
            }
        );
        let d = views.pending_of(ListingKind::Demand, 3, since);
        assert_eq!(
            d,
            ViewCounts {
                total: 1,
                recent: 1
            }
        );
    }
}
