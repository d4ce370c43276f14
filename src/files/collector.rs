//! Removes files that nothing references once their grace period has passed, then the
//! bytes no file uses. Runs with the hourly housekeeping. The rows go first, in one
//! transaction; the bytes are deleted from the store after it commits, so a crash between
//! the two leaves at worst unreferenced bytes (never a row whose bytes are gone). An upload
//! of the same bytes meanwhile re-touches the blob first, which keeps it out of a run.

use std::sync::Arc;

use chrono::Duration;

use super::lifecycle;
use super::store::FileStore;
use crate::db::Db;
use crate::error::ApiError;

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    pub files: usize,
    pub blobs: usize,
}

/// One run as of now.
pub async fn run_once(
    db: &Db,
    store: &Arc<dyn FileStore>,
    grace: Duration,
) -> Result<Collected, ApiError> {
    let at = crate::clock::now();
    let (files, keys) = db
        .write(move |conn| lifecycle::collect(conn, at, grace))
        .await?;
    let mut blobs = 0;
    for key in &keys {
        match store.delete(key).await {
            Ok(()) => blobs += 1,
            Err(e) => tracing::warn!(error = ?e, key, "collector could not delete bytes"),
        }
    }
    Ok(Collected { files, blobs })
}
