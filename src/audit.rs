//! The audit trail: every write by a user is recorded in the same transaction as the
//! write (who, when, what, before and after), and admins can read it.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::names::{self, UserRef};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::audit_log;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppData;

/// One audited change; `before`/`after` are API views (never secrets or hashes).
#[derive(Debug)]
pub struct Change<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Who did what to which record: the fixed part of an audited step.
#[derive(Debug, Clone, Copy)]
pub struct Act<'a> {
    pub actor: i64,
    pub action: &'a str,
    pub entity: &'a str,
    pub id: i64,
}

impl<'a> Act<'a> {
    pub fn new(actor: i64, action: &'a str, entity: &'a str, id: i64) -> Act<'a> {
        Act {
            actor,
            action,
            entity,
            id,
        }
    }

    fn change(
        self,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Change<'a> {
        Change {
            actor_id: Some(self.actor),
            action: self.action,
            entity: self.entity,
            entity_id: Some(self.id),
            before,
            after,
        }
    }
}

/// Records a new record: nothing before, its view after.
pub fn created<T: Serialize>(conn: &mut AnyConnection, act: Act<'_>, after: &T) -> QueryResult<()> {
    record(conn, act.change(None, snapshot(after)))
}

/// Records a change of a record with its views before and after.
pub fn changed<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    act: Act<'_>,
    before: &B,
    after: &A,
) -> QueryResult<()> {
    record(conn, act.change(snapshot(before), snapshot(after)))
}

/// Records a step: a creation when there is nothing `before`, else a change.
pub fn step<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    act: Act<'_>,
    before: Option<&B>,
    after: &A,
) -> QueryResult<()> {
    match before {
        Some(b) => changed(conn, act, b, after),
        None => created(conn, act, after),
    }
}

/// Records a removal with the record's view before it.
pub fn removed<B: Serialize>(
    conn: &mut AnyConnection,
    act: Act<'_>,
    before: &B,
) -> QueryResult<()> {
    record(conn, act.change(snapshot(before), None))
}

/// Records a step that has no view to keep (an acceptance, a deletion).
pub fn happened(conn: &mut AnyConnection, act: Act<'_>) -> QueryResult<()> {
    record(conn, act.change(None, None))
}

/// A view as JSON for `before`/`after`.
pub fn snapshot<T: Serialize>(view: &T) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

pub fn record(conn: &mut AnyConnection, change: Change<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(change.actor_id),
            audit_log::action.eq(change.action),
            audit_log::entity.eq(change.entity),
            audit_log::entity_id.eq(change.entity_id),
            audit_log::before_json.eq(change.before.map(|v| v.to_string())),
            audit_log::after_json.eq(change.after.map(|v| v.to_string())),
            audit_log::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize)]
pub struct AuditView {
    pub id: i64,
    pub actor_id: Option<i64>,
    /// Who acted, by name; null for the command line.
    pub actor: Option<UserRef>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditView {
            id: r.id,
            actor_id: r.actor_id,
            actor: None,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
            created_at: r.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn list(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    page: Pagination,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    let query = || {
        let mut b = audit_log::table.into_boxed();
        if let Some(e) = &q.entity {
            b = b.filter(audit_log::entity.eq(e.clone()));
        }
        if let Some(id) = q.entity_id {
            b = b.filter(audit_log::entity_id.eq(id));
        }
        if let Some(id) = q.actor_id {
            b = b.filter(audit_log::actor_id.eq(id));
        }
        if let Some(a) = &q.action {
            b = b.filter(audit_log::action.eq(a.clone()));
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(audit_log::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// One page of records with their actors' names (one more query for the whole page).
pub fn named_list(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    page: Pagination,
) -> QueryResult<(Vec<AuditView>, i64)> {
    let (rows, total) = list(conn, q, page)?;
    let names = names::load(conn, rows.iter().filter_map(|r| r.actor_id), [])?;
    let items = rows
        .into_iter()
        .map(|r| {
            let actor = r.actor_id.and_then(|id| names.user(id));
            AuditView {
                actor,
                ..AuditView::from(r)
            }
        })
        .collect();
    Ok((items, total))
}

/// `GET /api/v1/audit` (admin): newest first.
pub async fn list_handler(
    state: AppData,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadAudit)?;
    let q = query.into_inner();
    for (name, value) in [("entity", &q.entity), ("action", &q.action)] {
        if let Some(v) = value
            && !is_code(v)
        {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidQuery,
                format!("查询参数 {name} 应为 contract 或 deal.create 这样的代码。"),
                format!("`{name}` is a code like `contract` or `deal.create`."),
            )
            .field(name));
        }
    }
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| Ok(named_list(conn, &q, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Entities and actions are codes written by this crate (`deal`, `contract.registration`);
/// anything else matches nothing, and a NUL would be refused by PostgreSQL as text.
fn is_code(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}
