//! The names of the people and orgs a record involves, for the answers that show them
//! (`broker: {id, name, org}`, `actor: {id, name}`, `seller_org: {id, name}`). A page of
//! records collects the ids it needs and loads them with [`load`] in one query per table
//! (users with their orgs, and orgs), never one query per record.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{orgs, users};

/// An org named on a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// A user named on a record: who acted, confirmed, applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

/// A user with their org, where the org matters too (a deal's broker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    pub id: i64,
    pub name: String,
    pub org: OrgRef,
}

/// The names loaded for one page of records, by id.
#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<i64, MemberRef>,
    orgs: HashMap<i64, OrgRef>,
}

/// A name a foreign key promises; missing, the row is broken.
fn required<T>(found: Option<T>) -> QueryResult<T> {
    found.ok_or(diesel::result::Error::NotFound)
}

impl Names {
    pub fn member(&self, id: i64) -> Option<MemberRef> {
        self.users.get(&id).cloned()
    }

    pub fn user(&self, id: i64) -> Option<UserRef> {
        self.users.get(&id).map(|m| UserRef {
            id: m.id,
            name: m.name.clone(),
        })
    }

    pub fn org(&self, id: i64) -> Option<OrgRef> {
        self.orgs.get(&id).cloned()
    }

    /// The user a non-null foreign key names.
    pub fn user_of(&self, id: i64) -> QueryResult<UserRef> {
        required(self.user(id))
    }

    pub fn member_of(&self, id: i64) -> QueryResult<MemberRef> {
        required(self.member(id))
    }

    pub fn org_of(&self, id: i64) -> QueryResult<OrgRef> {
        required(self.org(id))
    }
}

/// The names of `user_ids` (with their orgs) and of `org_ids`: at most two queries,
/// whatever the number of ids; none for an empty list.
pub fn load(
    conn: &mut AnyConnection,
    user_ids: impl IntoIterator<Item = i64>,
    org_ids: impl IntoIterator<Item = i64>,
) -> QueryResult<Names> {
    let user_ids: Vec<i64> = user_ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let org_ids: Vec<i64> = org_ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut names = Names::default();
    if !user_ids.is_empty() {
        let rows: Vec<(i64, String, i64, String)> = users::table
            .inner_join(orgs::table)
            .filter(users::id.eq_any(&user_ids))
            .select((users::id, users::name, orgs::id, orgs::name))
            .load(conn)?;
        for (id, name, org_id, org_name) in rows {
            let org = OrgRef {
                id: org_id,
                name: org_name,
            };
            names.orgs.insert(org_id, org.clone());
            names.users.insert(id, MemberRef { id, name, org });
        }
    }
    let missing: Vec<i64> = org_ids
        .into_iter()
        .filter(|id| !names.orgs.contains_key(id))
        .collect();
    if !missing.is_empty() {
        let rows: Vec<(i64, String)> = orgs::table
            .filter(orgs::id.eq_any(&missing))
            .select((orgs::id, orgs::name))
            .load(conn)?;
        for (id, name) in rows {
            names.orgs.insert(id, OrgRef { id, name });
        }
    }
    Ok(names)
}
