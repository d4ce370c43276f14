//! The status history of a listing: one row per lifecycle step, shown to its owner and
//! admins, written in the same transaction as the step.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::names::{self, UserRef};
use crate::db::AnyConnection;
use crate::db::schema::status_changes;
use crate::listings::{ListingKind, Status};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = status_changes)]
pub struct StatusChangeRow {
    pub id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One step of an item's status history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChangeView {
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<i64>,
    /// Who took the step, by name.
    pub actor: Option<UserRef>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<StatusChangeRow> for StatusChangeView {
    fn from(r: StatusChangeRow) -> Self {
        StatusChangeView {
            from: r.from_status,
            to: r.to_status,
            actor_id: r.actor_id,
            actor: None,
            comment: r.comment,
            at: r.created_at.and_utc(),
        }
    }
}

/// One step of the status history, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    pub kind: ListingKind,
    pub id: i64,
    pub from: Option<Status>,
    pub to: Status,
    pub actor: i64,
    pub comment: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn record_status_change(conn: &mut AnyConnection, c: &StatusChange<'_>) -> QueryResult<()> {
    diesel::insert_into(status_changes::table)
        .values((
            status_changes::entity.eq(c.kind.entity()),
            status_changes::entity_id.eq(c.id),
            status_changes::from_status.eq(c.from.map(Status::as_str)),
            status_changes::to_status.eq(c.to.as_str()),
            status_changes::actor_id.eq(Some(c.actor)),
            status_changes::comment.eq(c.comment),
            status_changes::created_at.eq(c.at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn history(
    conn: &mut AnyConnection,
    kind: ListingKind,
    id: i64,
) -> QueryResult<Vec<StatusChangeView>> {
    let rows = status_changes::table
        .filter(status_changes::entity.eq(kind.entity()))
        .filter(status_changes::entity_id.eq(id))
        .order(status_changes::id.asc())
        .select(StatusChangeRow::as_select())
        .load(conn)?;
    let names = names::load(conn, rows.iter().filter_map(|r| r.actor_id), [])?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let actor = r.actor_id.and_then(|id| names.user(id));
            StatusChangeView {
                actor,
                ..StatusChangeView::from(r)
            }
        })
        .collect())
}

pub fn delete_history(conn: &mut AnyConnection, kind: ListingKind, id: i64) -> QueryResult<usize> {
    diesel::delete(
        status_changes::table
            .filter(status_changes::entity.eq(kind.entity()))
            .filter(status_changes::entity_id.eq(id)),
    )
    .execute(conn)
}
