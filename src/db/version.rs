//! The version of what statistics read (`stats_version`, bumped by triggers in the same
//! transaction as any change of the turnover rollups, the contracts, an org's or a user's
//! name), as this process last saw it.
//!
//! The number only grows. This process learns it three ways, none of them a blocking-pool
//! hop of the request that asks: [`crate::db::Db::write`] reads it on its connection right
//! after each commit (so the next request on this server sees its own writes), a background
//! task polls it (`stats::cache::run`, for other processes' writes), and a statistics query
//! reads it inside its own snapshot. `stats::cache` serves a rendered answer only while its
//! version is the one seen here.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::stats_version;

/// What a cached answer is valid for: the data version it was computed at and the
/// [`DataVersion::epoch`] of the time, which moves when a commit's version could not be
/// read (a cached answer is then dropped rather than risked).
pub type Tag = (i64, u64);

#[derive(Debug, Default)]
pub struct DataVersion {
    seen: AtomicI64,
    epoch: AtomicU64,
}

impl DataVersion {
    /// The version and epoch as last seen.
    pub fn current(&self) -> Tag {
        // The epoch first: a version raised between the two loads only makes a miss.
        let epoch = self.epoch.load(Ordering::Acquire);
        (self.seen.load(Ordering::Acquire), epoch)
    }

    /// Records a version read from the database (never lowers what was seen).
    pub fn observe(&self, version: i64) {
        self.seen.fetch_max(version, Ordering::AcqRel);
    }

    /// After a commit whose version could not be read: nothing cached before stays valid.
    pub fn forget(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads the version on `conn` and records it.
    pub fn refresh(&self, conn: &mut AnyConnection) -> QueryResult<i64> {
        let version = read(conn)?;
        self.observe(version);
        Ok(version)
    }

    /// Reads the version after a commit of this process; on failure, [`Self::forget`].
    pub fn after_commit(&self, conn: &mut AnyConnection) {
        if let Err(e) = self.refresh(conn) {
            tracing::debug!(error = %e, "cannot read the statistics version after a commit");
            self.forget();
        }
    }
}

/// The version in the database, as `conn` sees it (inside a snapshot: the snapshot's).
pub fn read(conn: &mut AnyConnection) -> QueryResult<i64> {
    // `get_result`, not `first`: see `achievements::model::find`.
    stats_version::table
        .filter(stats_version::id.eq(1))
        .select(stats_version::version)
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_never_goes_back_and_forgetting_moves_the_epoch() {
        let v = DataVersion::default();
        v.observe(5);
        v.observe(3);
        assert_eq!(v.current(), (5, 0));
        v.forget();
        assert_eq!(v.current(), (5, 1));
    }
}
