//! Saved searches and alerts: people are told when a new listing concerns them.
//!
//! A user keeps up to [`saved::MAX_PER_USER`] saved searches: the parameters of
//! `GET /api/v1/achievements` or `GET /api/v1/demands`, checked by the same parser. When a
//! listing is published (or changed while published) the publishing transaction calls
//! [`listing_changed`], which writes an `alert_checks` row (an outbox). The [`evaluate`]
//! worker takes a batch of checks once their listings are in the search index and, off
//! the request path:
//! - runs each distinct saved query of the listings' kind once per batch through the
//!   search engine, restricted to the batch's ids (`id IN (...)`), so the engine decides
//!   what matches exactly as the search endpoint would; every (search, listing) hit is
//!   recorded once, so a listing that matches again later is not announced again;
//! - treats every published listing of the other side as an implicit saved search
//!   ([`matches`]): a new listing that ranks in its top 10 matches tells its org.
//!
//! Hits are announced batched: one `saved_search_match` notification per search and hour
//! (or day: the search's [`saved::Alert`], which may also be off), listing what arrived
//! since the last one. Texts carry
//! titles and names only, never a gated field.

pub mod evaluate;
pub mod handlers;
pub mod matches;
pub mod saved;

use diesel::prelude::*;

use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::alert_checks;
use crate::search::IndexKind;

/// Queues the alert check of a listing that was published or changed while published, in
/// the caller's transaction.
pub fn listing_changed(conn: &mut AnyConnection, kind: IndexKind, id: i64) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(alert_checks::table)
        .values((
            alert_checks::kind.eq(kind.name()),
            alert_checks::listing_id.eq(id),
            alert_checks::attempts.eq(0),
            alert_checks::available_at.eq(at),
            alert_checks::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
