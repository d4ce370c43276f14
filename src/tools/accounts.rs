//! Orgs and users the data tools need, found by their natural key first (the org's name
//! key, the user's email) so that a second run adds nothing.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::accounts::model::{self, NewOrg, NewUser, OrgRow, org_name_key};
use crate::db::AnyConnection;

/// An org that is not the exchange, as the tools describe it.
pub(super) struct OrgSpec<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub region: &'a str,
}

/// The org named `spec.name`, made at `at` when missing and verified by `verified_by`
/// (if any); `true` when this call made it.
pub(super) fn ensure_org(
    conn: &mut AnyConnection,
    spec: &OrgSpec<'_>,
    verified_by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<(OrgRow, bool)> {
    let key = org_name_key(spec.name);
    if let Some(row) = model::find_org_by_key(conn, &key)? {
        return Ok((row, false));
    }
    let row = model::insert_org(
        conn,
        &NewOrg {
            name: spec.name,
            name_key: &key,
            kind: spec.kind,
            region: spec.region,
            is_exchange: false,
            created_at: at,
            updated_at: at,
        },
    )?;
    if let Some(admin) = verified_by {
        model::mark_org_verified(conn, row.id, admin, at)?;
    }
    Ok((row, true))
}

/// The id of the user with `new.email`, inserted from `new` when missing; `true` when
/// this call inserted it.
pub(super) fn ensure_user(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<(i64, bool)> {
    if let Some(user) = model::find_user_by_email(conn, new.email)? {
        return Ok((user.id, false));
    }
    Ok((model::insert_user(conn, new)?.id, true))
}
