//! Publicity rows (协议定价公示) and objections with their typed states.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{publicities, publicity_objections};
use crate::states::code_enum;

code_enum!(
    /// Whether a publicity's period is still running (computed from `ends_at`).
    PublicityStatus, "publicity status" {
        Running => "running",
        Ended => "ended",
    }
);

code_enum!(
    /// An objection stays open, answered or not, until the exchange closes it.
    ObjectionStatus, "objection status" {
        Open => "open",
        Answered => "answered",
        Closed => "closed",
    }
);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = publicities)]
pub struct PublicityRow {
    pub id: i64,
    pub achievement_id: i64,
    pub org_id: i64,
    pub buyer_org_id: i64,
    pub price_fen: i64,
    pub transfer_mode: String,
    pub days: i32,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl PublicityRow {
    pub fn status_at(&self, at: NaiveDateTime) -> PublicityStatus {
        if at < self.ends_at {
            PublicityStatus::Running
        } else {
            PublicityStatus::Ended
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = publicity_objections)]
pub struct ObjectionRow {
    pub id: i64,
    pub publicity_id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub reason: String,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
    pub closed_by: Option<i64>,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl ObjectionRow {
    pub fn status(&self) -> QueryResult<ObjectionStatus> {
        ObjectionStatus::read(&self.status)
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<PublicityRow>> {
    publicities::table
        .find(id)
        .select(PublicityRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_objection(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<ObjectionRow>> {
    publicity_objections::table
        .find(id)
        .select(ObjectionRow::as_select())
        .first(conn)
        .optional()
}

/// The objections of these publicities, oldest first.
pub fn objections(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<ObjectionRow>> {
    publicity_objections::table
        .filter(publicity_objections::publicity_id.eq_any(ids))
        .order(publicity_objections::id.asc())
        .select(ObjectionRow::as_select())
        .load(conn)
}

/// How many objections of a publicity the exchange has not closed.
pub fn open_objections(conn: &mut AnyConnection, id: i64) -> QueryResult<i64> {
    publicity_objections::table
        .filter(publicity_objections::publicity_id.eq(id))
        .filter(publicity_objections::status.ne(ObjectionStatus::Closed.as_str()))
        .count()
        .get_result(conn)
}
