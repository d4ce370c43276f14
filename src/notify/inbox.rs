//! Each user's inbox: rows land once per (user, key); lists put unread first.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::notifications;
use crate::error::i18n;
use crate::notify::Kind;
use crate::notify::events::Message;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
    pub link: String,
    pub read_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
}

/// A notification as its user reads it, in the request's language.
#[derive(Debug, Serialize)]
pub struct NotificationView {
    pub id: i64,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// The API path of the item it is about.
    pub link: String,
    pub read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl NotificationView {
    pub fn new(row: NotificationRow) -> QueryResult<NotificationView> {
        Ok(NotificationView {
            id: row.id,
            kind: Kind::read(&row.kind)?,
            title: i18n::pick(row.title_zh, row.title_en),
            body: i18n::pick(row.body_zh, row.body_en),
            link: row.link,
            read: row.read_at.is_some(),
            read_at: row.read_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        })
    }
}

/// Inserts the notification unless the user has one with this key; its id when new.
pub fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: Kind,
    message: &Message,
    key: &str,
) -> QueryResult<Option<i64>> {
    let values = (
        notifications::user_id.eq(user_id),
        notifications::kind.eq(kind.as_str()),
        notifications::title_zh.eq(&message.zh.title),
        notifications::title_en.eq(&message.en.title),
        notifications::body_zh.eq(&message.zh.body),
        notifications::body_en.eq(&message.en.body),
        notifications::link.eq(&message.link),
        notifications::dedupe_key.eq(key),
        notifications::created_at.eq(now()),
    );
    let insert = diesel::insert_into(notifications::table)
        .values(values)
        .on_conflict((notifications::user_id, notifications::dedupe_key))
        .do_nothing()
        .returning(notifications::id);
    match conn {
        AnyConnection::Postgresql(c) => insert.get_result(c).optional(),
        AnyConnection::Sqlite(c) => insert.get_result(c).optional(),
    }
}

/// What the inbox list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub unread_only: bool,
}

/// A page of the user's notifications, unread first, newest first within each; the total.
pub fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    filter: Filter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<NotificationView>, i64)> {
    let query = || {
        let mut q = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .into_boxed();
        if let Some(k) = filter.kind {
            q = q.filter(notifications::kind.eq(k.as_str()));
        }
        if filter.unread_only {
            q = q.filter(notifications::read_at.is_null());
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<NotificationRow> = query()
        .order((
            notifications::read_at.is_null().desc(),
            notifications::id.desc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(NotificationView::new)
        .collect::<QueryResult<_>>()?;
    Ok((items, total))
}

/// Marks the user's notifications read: the `ids` given (others' ids are ignored), or all.
pub fn mark_read(
    conn: &mut AnyConnection,
    user_id: i64,
    ids: Option<&[i64]>,
) -> QueryResult<usize> {
    let mut q = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(ids) = ids {
        q = q.filter(notifications::id.eq_any(ids));
    }
    q.set(notifications::read_at.eq(now())).execute(conn)
}

pub fn unread_count(conn: &mut AnyConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}
