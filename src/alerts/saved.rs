//! The saved searches of a user: create (checked by the search parser), list, delete.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::{saved_search_hits, saved_searches};
use crate::error::{ApiError, ErrorCode};
use crate::search::IndexKind;
use crate::states::code_enum;

code_enum! {
    /// How often a saved search may alert its owner; hits in between are batched.
    Alert, "alert cadence" {
        Hourly => "hourly",
        Daily => "daily",
        Off => "off",
    }
}

impl Alert {
    /// The least time between two alerts of one search; `None` when it does not alert.
    pub fn interval(self) -> Option<chrono::Duration> {
        match self {
            Alert::Hourly => Some(chrono::Duration::hours(1)),
            Alert::Daily => Some(chrono::Duration::days(1)),
            Alert::Off => None,
        }
    }
}

/// Saved searches one user may keep: each costs one engine query per batch of new
/// listings, so the number is bounded.
pub const MAX_PER_USER: i64 = 20;
/// Parameter values one saved search may carry.
const MAX_PAIRS: usize = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = saved_searches)]
pub struct SavedSearchRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub name: String,
    pub params: String,
    pub last_alert_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub alert: String,
}

/// `POST /api/v1/me/saved-searches` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSavedSearch {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub params: Map<String, Value>,
    /// `hourly` (the default), `daily` or `off`.
    pub alert: Option<String>,
}

/// `PATCH /api/v1/me/saved-searches/{id}` body: what changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchPatch {
    pub name: Option<String>,
    pub alert: Option<String>,
}

/// A saved search as its owner reads it; `params` in the shape it was given (a repeated
/// parameter as an array).
#[derive(Debug, Serialize)]
pub struct SavedSearchView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub params: Map<String, Value>,
    /// The search's path with its query string.
    pub search: String,
    pub alert: String,
    pub last_alert_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn invalid(field: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidSavedSearch).field(field.to_owned())
}

/// The query pairs of a `params` object: strings, numbers and booleans, or arrays of them.
fn pairs_of(params: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut pairs = Vec::new();
    for (name, value) in params {
        let values = match value {
            Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
            v => scalar(v).map(|s| vec![s]),
        };
        let values = values
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid("params"))?;
        pairs.extend(values.into_iter().map(|v| (name.clone(), v)));
    }
    if pairs.len() > MAX_PAIRS {
        return Err(invalid("params"));
    }
    Ok(pairs)
}

/// The stored pairs back as an object: one value a string, several an array.
fn params_of(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(k) {
            Some(Value::Array(a)) => a.push(Value::String(v.clone())),
            Some(one) => *one = Value::Array(vec![one.take(), Value::String(v.clone())]),
            None => {
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    map
}

/// The stored pairs of a row (written by [`create`], so they parse).
pub fn stored_pairs(row: &SavedSearchRow) -> Vec<(String, String)> {
    serde_json::from_str(&row.params).unwrap_or_default()
}

impl SavedSearchView {
    pub fn new(row: SavedSearchRow) -> SavedSearchView {
        let pairs = stored_pairs(&row);
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let search = match query.is_empty() {
            true => format!("/api/v1/{}", row.kind),
            false => format!("/api/v1/{}?{}", row.kind, query.join("&")),
        };
        SavedSearchView {
            id: row.id,
            kind: row.kind,
            name: row.name,
            params: params_of(&pairs),
            search,
            alert: row.alert,
            last_alert_at: row.last_alert_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        }
    }
}

/// Percent-encodes a query component (unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A saved search that passed [`check`].
#[derive(Debug)]
pub struct Checked {
    kind: IndexKind,
    name: String,
    pairs: Vec<(String, String)>,
    alert: Alert,
}

fn checked_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(invalid("name"));
    }
    Ok(name)
}

fn checked_alert(raw: Option<&str>) -> Result<Alert, ApiError> {
    raw.map_or(Ok(Alert::Hourly), |a| {
        Alert::parse(a).ok_or_else(|| invalid("alert"))
    })
}

/// Checks a new saved search: its kind, its name, its cadence, and its parameters by the
/// search parser.
pub fn check(input: NewSavedSearch) -> Result<Checked, ApiError> {
    let kind = IndexKind::parse(&input.kind).ok_or_else(|| invalid("kind"))?;
    let name = checked_name(&input.name)?;
    let alert = checked_alert(input.alert.as_deref())?;
    let pairs = pairs_of(&input.params)?;
    crate::search::handlers::saved_query(kind, pairs.clone())?;
    Ok(Checked {
        kind,
        name,
        pairs,
        alert,
    })
}

/// A checked change: a new name and/or cadence.
pub type CheckedPatch = (Option<String>, Option<Alert>);

pub fn check_patch(input: SavedSearchPatch) -> Result<CheckedPatch, ApiError> {
    let name = input.name.as_deref().map(checked_name).transpose()?;
    let alert = match input.alert.as_deref() {
        Some(a) => Some(checked_alert(Some(a))?),
        None => None,
    };
    Ok((name, alert))
}

/// Saves a checked search for the user, unless they have [`MAX_PER_USER`] already.
pub fn create(
    conn: &mut AnyConnection,
    user_id: i64,
    Checked {
        kind,
        name,
        pairs,
        alert,
    }: Checked,
) -> Result<SavedSearchView, ApiError> {
    let count: i64 = saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if count >= MAX_PER_USER {
        return Err(ApiError::new(ErrorCode::TooManySavedSearches));
    }
    let params = serde_json::to_string(&pairs).map_err(ApiError::internal)?;
    diesel::insert_into(saved_searches::table)
        .values((
            saved_searches::user_id.eq(user_id),
            saved_searches::kind.eq(kind.name()),
            saved_searches::name.eq(&name),
            saved_searches::params.eq(&params),
            saved_searches::alert.eq(alert.as_str()),
            saved_searches::created_at.eq(now()),
        ))
        .execute(conn)?;
    let row = saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .order(saved_searches::id.desc())
        .select(SavedSearchRow::as_select())
        .first(conn)?;
    Ok(SavedSearchView::new(row))
}

/// The user's saved searches, oldest first.
pub fn list(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Vec<SavedSearchView>> {
    let rows = saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .order(saved_searches::id.asc())
        .select(SavedSearchRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(SavedSearchView::new).collect())
}

/// Renames one of the user's saved searches or changes how often it alerts; another
/// user's is a 404. Hits that arrive while a search is off are not recorded, so turning
/// it on again announces only what comes after.
pub fn update(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
    (name, alert): CheckedPatch,
) -> Result<SavedSearchView, ApiError> {
    let mine = saved_searches::table
        .filter(saved_searches::id.eq(id))
        .filter(saved_searches::user_id.eq(user_id));
    let row: SavedSearchRow = mine
        .select(SavedSearchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("SavedSearch"))?;
    let name = name.unwrap_or(row.name);
    let alert = alert.map_or(row.alert, |a| a.as_str().to_owned());
    diesel::update(mine)
        .set((
            saved_searches::name.eq(&name),
            saved_searches::alert.eq(&alert),
        ))
        .execute(conn)?;
    let row = saved_searches::table
        .find(id)
        .select(SavedSearchRow::as_select())
        .first(conn)?;
    Ok(SavedSearchView::new(row))
}

/// Deletes one of the user's saved searches with its hits; another user's is a 404.
pub fn delete(conn: &mut AnyConnection, user_id: i64, id: i64) -> Result<(), ApiError> {
    let mine = saved_searches::table
        .filter(saved_searches::id.eq(id))
        .filter(saved_searches::user_id.eq(user_id));
    let found: Option<i64> = mine.select(saved_searches::id).first(conn).optional()?;
    if found.is_none() {
        return Err(ApiError::not_found("Saved search"));
    }
    diesel::delete(saved_search_hits::table.filter(saved_search_hits::saved_search_id.eq(id)))
        .execute(conn)?;
    diesel::delete(saved_searches::table.find(id)).execute(conn)?;
    Ok(())
}
