//! Achievements (成果): university and institute research results, their review lifecycle,
//! and the yearly hundred-achievements pool (百项科技成果转化项目培育库).

pub mod handlers;
pub mod model;
pub mod pool;
pub mod store;

pub use store::AchievementStore;

use crate::db::AnyConnection;
use crate::db::schema::achievements;
use crate::listings::store::Store;
use crate::listings::{ListingKind, Status, StatusChange, record_status_change};
use crate::search::{IndexKind, outbox};
use diesel::prelude::*;

/// Takes a published achievement off the market because a transfer contract for it was
/// confirmed by both parties: status `transferred`, out of the index (through the outbox),
/// with the step in its status history. Anything not published stays as it is.
pub fn mark_transferred(
    conn: &mut AnyConnection,
    achievement_id: i64,
    actor: i64,
    comment: &str,
) -> QueryResult<bool> {
    let status: Option<String> = achievements::table
        .find(achievement_id)
        .select(achievements::status)
        .first(conn)
        .optional()?;
    if status.as_deref() != Some(Status::Published.as_str()) {
        return Ok(false);
    }
    let at = crate::clock::now();
    AchievementStore::set_status(conn, achievement_id, Status::Transferred, None, at)?;
    record_status_change(
        conn,
        &StatusChange {
            kind: ListingKind::Achievement,
            id: achievement_id,
            from: Some(Status::Published),
            to: Status::Transferred,
            actor,
            comment: Some(comment),
            at,
        },
    )?;
    outbox::enqueue(conn, IndexKind::Achievements, &[achievement_id])?;
    Ok(true)
}
