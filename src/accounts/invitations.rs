//! Invitations: the only way into an existing org. A member (or an admin) invites an
//! email address with a role; the invitee registers with the token. Only the token's
//! SHA-256 is stored; it is single-use and expires.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::tokens::token_hash;
use crate::db::AnyConnection;
use crate::db::schema::invitations;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: String,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub accepted_by: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct InvitationView {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub role: String,
    pub invited_by: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<i64>,
    /// Present only in the answer that creates the invitation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<&InvitationRow> for InvitationView {
    fn from(r: &InvitationRow) -> Self {
        InvitationView {
            id: r.id,
            org_id: r.org_id,
            email: r.email.clone(),
            role: r.role.clone(),
            invited_by: r.invited_by,
            created_at: r.created_at.and_utc(),
            expires_at: r.expires_at.and_utc(),
            accepted_at: r.accepted_at.map(|t| t.and_utc()),
            accepted_by: r.accepted_by,
            token: None,
        }
    }
}

pub struct NewInvitation<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub role: &'a str,
    pub token: &'a str,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, new: &NewInvitation<'_>) -> QueryResult<InvitationRow> {
    diesel::insert_into(invitations::table)
        .values((
            invitations::org_id.eq(new.org_id),
            invitations::email.eq(new.email),
            invitations::role.eq(new.role),
            invitations::token_hash.eq(token_hash(new.token)),
            invitations::invited_by.eq(new.invited_by),
            invitations::created_at.eq(new.created_at),
            invitations::expires_at.eq(new.expires_at),
        ))
        .returning(invitations::id)
        .get_result::<i64>(conn)
        .and_then(|id| {
            invitations::table
                .find(id)
                .select(InvitationRow::as_select())
                .first(conn)
        })
}

/// The unexpired, unused invitation with this token, if any.
pub fn find_live(
    conn: &mut AnyConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash(token)))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// `false` if someone else accepted it first.
pub fn mark_accepted(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null()),
    )
    .set((
        invitations::accepted_at.eq(Some(at)),
        invitations::accepted_by.eq(Some(user_id)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn list_for_org(
    conn: &mut AnyConnection,
    org_id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<InvitationRow>, i64)> {
    let total = invitations::table
        .filter(invitations::org_id.eq(org_id))
        .count()
        .get_result(conn)?;
    let rows = invitations::table
        .filter(invitations::org_id.eq(org_id))
        .order(invitations::id.desc())
        .offset(offset)
        .limit(limit)
        .select(InvitationRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
