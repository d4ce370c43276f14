//! The operations on bookmarks: put, delete, list, count.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::extract::CurrentUser;
use crate::clock::{now, today};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, bookmarks, demands};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;

/// Bookmarks one user may keep.
pub const MAX_PER_USER: i64 = 500;

/// The two kinds of listing, as they appear in paths (`achievements`, `demands`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    Achievements,
    Demands,
}

impl ListingKind {
    pub fn parse(s: &str) -> Result<ListingKind, ApiError> {
        match s {
            "achievements" => Ok(ListingKind::Achievements),
            "demands" => Ok(ListingKind::Demands),
            other => Err(ApiError::one_of(
                ErrorCode::InvalidPath,
                "kind",
                other,
                &["achievements", "demands"],
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListingKind::Achievements => "achievements",
            ListingKind::Demands => "demands",
        }
    }

    /// The same kind as the listings slice names it.
    pub fn listing(self) -> crate::listings::ListingKind {
        match self {
            ListingKind::Achievements => crate::listings::ListingKind::Achievement,
            ListingKind::Demands => crate::listings::ListingKind::Demand,
        }
    }

    fn label(self) -> &'static str {
        match self {
            ListingKind::Achievements => "Achievement",
            ListingKind::Demands => "Demand",
        }
    }
}

/// A listing's title, org and status as the market sees it (an expired demand reads as
/// expired), or `None`.
fn facts(
    conn: &mut AnyConnection,
    kind: ListingKind,
    id: i64,
) -> QueryResult<Option<(String, i64, Status)>> {
    Ok(match kind {
        ListingKind::Achievements => {
            let row: Option<(String, i64, String)> = achievements::table
                .find(id)
                .select((
                    achievements::title,
                    achievements::org_id,
                    achievements::status,
                ))
                .first(conn)
                .optional()?;
            match row {
                Some((t, o, s)) => Some((t, o, Status::read(&s)?)),
                None => None,
            }
        }
        ListingKind::Demands => {
            let row: Option<(String, i64, String, chrono::NaiveDate)> = demands::table
                .find(id)
                .select((
                    demands::title,
                    demands::org_id,
                    demands::status,
                    demands::valid_until,
                ))
                .first(conn)
                .optional()?;
            match row {
                Some((t, o, s, v)) => Some((
                    t,
                    o,
                    crate::demands::model::effective_status(&s, v, today())?,
                )),
                None => None,
            }
        }
    })
}

/// The listing's org when `user` may read it (published, or their org's, or an admin),
/// else a 404 that says nothing of its existence.
pub fn readable(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    kind: ListingKind,
    id: i64,
) -> Result<(String, i64, Status), ApiError> {
    match facts(conn, kind, id)? {
        Some(f) if crate::listings::lifecycle::may_see(f.2, f.1, Some(user)) => Ok(f),
        _ => Err(ApiError::not_found(kind.label())),
    }
}

/// A bookmark as its user reads it.
#[derive(Debug, Serialize)]
pub struct BookmarkView {
    pub kind: &'static str,
    pub listing_id: i64,
    pub title: String,
    /// Whether the listing is on the market (published) now.
    pub available: bool,
    pub link: String,
    pub created_at: DateTime<Utc>,
}

fn view(
    kind: ListingKind,
    id: i64,
    title: String,
    status: Status,
    at: NaiveDateTime,
) -> BookmarkView {
    BookmarkView {
        kind: kind.as_str(),
        listing_id: id,
        title,
        available: status == Status::Published,
        link: format!("/api/v1/{}/{id}", kind.as_str()),
        created_at: at.and_utc(),
    }
}

/// Bookmarks a listing the user may read; `true` when it is new (a second put is a no-op).
pub fn put(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    kind: ListingKind,
    id: i64,
) -> Result<(bool, BookmarkView), ApiError> {
    let (title, _, status) = readable(conn, user, kind, id)?;
    let existing: Option<NaiveDateTime> = bookmarks::table
        .filter(bookmarks::user_id.eq(user.id))
        .filter(bookmarks::kind.eq(kind.as_str()))
        .filter(bookmarks::listing_id.eq(id))
        .select(bookmarks::created_at)
        .first(conn)
        .optional()?;
    if let Some(at) = existing {
        return Ok((false, view(kind, id, title, status, at)));
    }
    let count: i64 = bookmarks::table
        .filter(bookmarks::user_id.eq(user.id))
        .count()
        .get_result(conn)?;
    if count >= MAX_PER_USER {
        return Err(ApiError::new(ErrorCode::TooManyBookmarks));
    }
    let at = now();
    diesel::insert_into(bookmarks::table)
        .values((
            bookmarks::user_id.eq(user.id),
            bookmarks::kind.eq(kind.as_str()),
            bookmarks::listing_id.eq(id),
            bookmarks::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok((true, view(kind, id, title, status, at)))
}

/// Removes the user's bookmark; 404 when there is none.
pub fn delete(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: ListingKind,
    id: i64,
) -> Result<(), ApiError> {
    let n = diesel::delete(
        bookmarks::table
            .filter(bookmarks::user_id.eq(user_id))
            .filter(bookmarks::kind.eq(kind.as_str()))
            .filter(bookmarks::listing_id.eq(id)),
    )
    .execute(conn)?;
    match n {
        0 => Err(ApiError::not_found("Bookmark")),
        _ => Ok(()),
    }
}

/// A page of the user's bookmarks, newest first; the total.
pub fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<BookmarkView>, i64), ApiError> {
    let mine = || bookmarks::table.filter(bookmarks::user_id.eq(user_id));
    let total = mine().count().get_result(conn)?;
    let rows: Vec<(String, i64, NaiveDateTime)> = mine()
        .order(bookmarks::id.desc())
        .offset(offset)
        .limit(limit)
        .select((
            bookmarks::kind,
            bookmarks::listing_id,
            bookmarks::created_at,
        ))
        .load(conn)?;
    let mut items = Vec::with_capacity(rows.len());
    for (kind, id, at) in rows {
        let kind = ListingKind::parse(&kind)?;
        if let Some((title, _, status)) = facts(conn, kind, id)? {
            items.push(view(kind, id, title, status, at));
        }
    }
    Ok((items, total))
}

/// How many users keep the listing.
pub fn count(conn: &mut AnyConnection, kind: ListingKind, id: i64) -> QueryResult<i64> {
    bookmarks::table
        .filter(bookmarks::kind.eq(kind.as_str()))
        .filter(bookmarks::listing_id.eq(id))
        .count()
        .get_result(conn)
}
