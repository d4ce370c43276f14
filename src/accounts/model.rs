//! Orgs and users: database rows, their API views, and the queries on them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{orgs, users};

/// What a user may do is decided by this, through `auth::policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    University,
    Enterprise,
    Broker,
    Statistician,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::University,
        Role::Enterprise,
        Role::Broker,
        Role::Statistician,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::University => "university",
            Role::Enterprise => "enterprise",
            Role::Broker => "broker",
            Role::Statistician => "statistician",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff of the exchange itself are created by an admin, never self-registered.
    pub fn is_exchange_staff(self) -> bool {
        matches!(self, Role::Statistician | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    University,
    Institute,
    Enterprise,
    Agency,
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::University,
        OrgKind::Institute,
        OrgKind::Enterprise,
        OrgKind::Agency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::University => "university",
            OrgKind::Institute => "institute",
            OrgKind::Enterprise => "enterprise",
            OrgKind::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which roles an org of this kind can have members in. The exchange's own org holds the
/// staff roles only.
pub fn role_fits_org(role: Role, kind: OrgKind, is_exchange: bool) -> bool {
    if is_exchange {
        return role.is_exchange_staff();
    }
    matches!(
        (role, kind),
        (Role::University, OrgKind::University | OrgKind::Institute)
            | (Role::Enterprise, OrgKind::Enterprise)
            | (Role::Broker, OrgKind::Agency)
    )
}

pub const EXCHANGE_ORG_ID: i64 = 1;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = orgs)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub kind: String,
    pub region: String,
    pub is_exchange: bool,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = orgs)]
pub struct NewOrg<'a> {
    pub name: &'a str,
    pub name_key: &'a str,
    pub kind: &'a str,
    pub region: &'a str,
    pub is_exchange: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Moves on when every session of the user ends; access tokens carry the one they
    /// were issued in.
    pub session_epoch: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl<'a> NewUser<'a> {
    /// An active member of `org_id`, created `at`.
    pub fn active(
        org_id: i64,
        (email, name): (&'a str, &'a str),
        role: Role,
        password_hash: &'a str,
        at: NaiveDateTime,
    ) -> Self {
        NewUser {
            org_id,
            email,
            name,
            role: role.as_str(),
            password_hash,
            is_active: true,
            created_at: at,
            updated_at: at,
        }
    }
}

/// An org as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub is_exchange: bool,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&OrgRow> for OrgView {
    fn from(r: &OrgRow) -> Self {
        OrgView {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            region: r.region.clone(),
            is_exchange: r.is_exchange,
            verified: r.verified_at.is_some(),
            verified_at: r.verified_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&UserRow> for UserView {
    fn from(r: &UserRow) -> Self {
        UserView {
            id: r.id,
            org_id: r.org_id,
            email: r.email.clone(),
            name: r.name.clone(),
            role: r.role.clone(),
            is_active: r.is_active,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// The answer of register, create-user and `me`.
#[derive(Debug, Serialize)]
pub struct UserWithOrg {
    pub user: UserView,
    pub org: OrgView,
}

/// Org names are unique regardless of case and spacing: "西北工业大学" and " 西北工业大学 " are
/// one org.
pub fn org_name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn find_org(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<OrgRow>> {
    orgs::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_org_by_key(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<OrgRow>> {
    orgs::table
        .filter(orgs::name_key.eq(key))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_org(conn: &mut AnyConnection, new: &NewOrg<'_>) -> QueryResult<OrgRow> {
    // RETURNING a whole row does not compile through the multi-backend; the id does.
    let id: i64 = diesel::insert_into(orgs::table)
        .values(new)
        .returning(orgs::id)
        .get_result(conn)?;
    orgs::table.find(id).select(OrgRow::as_select()).first(conn)
}

pub fn mark_org_verified(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<OrgRow> {
    diesel::update(orgs::table.find(id))
        .set((
            orgs::verified_at.eq(Some(at)),
            orgs::verified_by.eq(Some(by)),
            orgs::updated_at.eq(at),
        ))
        .execute(conn)?;
    orgs::table.find(id).select(OrgRow::as_select()).first(conn)
}

/// Filters of the admin's org list.
#[derive(Debug, Default)]
pub struct OrgFilter {
    pub verified: Option<bool>,
    pub kind: Option<String>,
}

pub fn list_orgs(
    conn: &mut AnyConnection,
    filter: &OrgFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<OrgRow>, i64)> {
    let query = || {
        let mut q = orgs::table.into_boxed();
        match filter.verified {
            Some(true) => q = q.filter(orgs::verified_at.is_not_null()),
            Some(false) => q = q.filter(orgs::verified_at.is_null()),
            None => {}
        }
        if let Some(kind) = &filter.kind {
            q = q.filter(orgs::kind.eq(kind.clone()));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(orgs::id.asc())
        .offset(offset)
        .limit(limit)
        .select(OrgRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn find_user(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_user_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_user(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<UserRow> {
    let id: i64 = diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)?;
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
}

pub fn user_with_org(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<UserWithOrg>> {
    let row = users::table
        .inner_join(orgs::table)
        .filter(users::id.eq(user_id))
        .select((UserRow::as_select(), OrgRow::as_select()))
        .first::<(UserRow, OrgRow)>(conn)
        .optional()?;
    Ok(row.map(|(u, o)| UserWithOrg {
        user: (&u).into(),
        org: (&o).into(),
    }))
}

/// Filters of the admin's user list.
#[derive(Debug, Default, Clone, Copy)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub org_id: Option<i64>,
    pub active: Option<bool>,
}

/// One page of users with their orgs, in id order, and the total.
pub fn list_users(
    conn: &mut AnyConnection,
    filter: UserFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<(UserRow, OrgRow)>, i64)> {
    let query = || {
        let mut q = users::table.inner_join(orgs::table).into_boxed();
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role.as_str()));
        }
        if let Some(org_id) = filter.org_id {
            q = q.filter(users::org_id.eq(org_id));
        }
        if let Some(active) = filter.active {
            q = q.filter(users::is_active.eq(active));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(users::id.asc())
        .offset(offset)
        .limit(limit)
        .select((UserRow::as_select(), OrgRow::as_select()))
        .load(conn)?;
    Ok((rows, total))
}

/// Sets a user's role and whether the account is active.
pub fn set_role_and_active(
    conn: &mut AnyConnection,
    id: i64,
    role: Role,
    active: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(role.as_str()),
            users::is_active.eq(active),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_name(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::name.eq(name), users::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Replaces the password hash only if it is still `old` (a concurrent change wins once);
/// `false` when it was not.
pub fn replace_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    old: &str,
    new: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::password_hash.eq(old)),
    )
    .set((users::password_hash.eq(new), users::updated_at.eq(at)))
    .execute(conn)?;
    Ok(n == 1)
}
