//! Publicities as the API shows them: public (achievement, seller, buyer, proposed price,
//! period), with objections; who objected is for the seller, the exchange and the
//! objector's own org.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{self, ObjectionRow, ObjectionStatus, PublicityRow, PublicityStatus};
use crate::accounts::names::{self, Names, OrgRef};
use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::clock::{now, shanghai};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, publicities};
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;

#[derive(Debug, Clone, Serialize)]
pub struct ObjectionView {
    pub id: i64,
    pub publicity_id: i64,
    pub status: ObjectionStatus,
    pub reason: String,
    /// The objecting org: for the seller, admins and that org only.
    pub org: Option<OrgRef>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicityView {
    pub id: i64,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub org_id: i64,
    pub seller_org: OrgRef,
    pub buyer_org_id: i64,
    pub buyer_org: OrgRef,
    pub price_fen: i64,
    pub transfer_mode: String,
    pub days: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The period in Asia/Shanghai (UTC+8), as announced.
    pub starts_at_local: String,
    pub ends_at_local: String,
    pub status: PublicityStatus,
    /// Objections the exchange has not closed.
    pub open_objections: i64,
    pub objections: Vec<ObjectionView>,
}

fn objection_view(
    o: &ObjectionRow,
    seller: i64,
    user: Option<&CurrentUser>,
    names: &Names,
) -> QueryResult<ObjectionView> {
    let sees = policy::sees_bidders(user, seller) || user.is_some_and(|u| u.org_id == o.org_id);
    Ok(ObjectionView {
        id: o.id,
        publicity_id: o.publicity_id,
        status: o.status()?,
        reason: o.reason.clone(),
        org: if sees { names.org(o.org_id) } else { None },
        answer: o.answer.clone(),
        answered_at: o.answered_at.map(|t| t.and_utc()),
        resolution: o.resolution.clone(),
        closed_at: o.closed_at.map(|t| t.and_utc()),
        created_at: o.created_at.and_utc(),
    })
}

/// Views of several publicities in four queries.
pub fn views(
    conn: &mut AnyConnection,
    rows: Vec<PublicityRow>,
    user: Option<&CurrentUser>,
) -> QueryResult<Vec<PublicityView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let objections = model::objections(conn, &ids)?;
    let achievement_ids: Vec<i64> = rows.iter().map(|r| r.achievement_id).collect();
    let titles: HashMap<i64, String> = achievements::table
        .filter(achievements::id.eq_any(&achievement_ids))
        .select((achievements::id, achievements::title))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let orgs = rows
        .iter()
        .flat_map(|r| [r.org_id, r.buyer_org_id])
        .chain(objections.iter().map(|o| o.org_id));
    let names = names::load(conn, [], orgs)?;
    let at = now();
    rows.into_iter()
        .map(|r| {
            let own: Vec<&ObjectionRow> = objections
                .iter()
                .filter(|o| o.publicity_id == r.id)
                .collect();
            let open = own
                .iter()
                .filter(|o| o.status != ObjectionStatus::Closed.as_str())
                .count();
            let objections = own
                .iter()
                .map(|o| objection_view(o, r.org_id, user, &names))
                .collect::<QueryResult<Vec<_>>>()?;
            Ok(PublicityView {
                id: r.id,
                achievement_id: r.achievement_id,
                achievement_title: titles.get(&r.achievement_id).cloned().unwrap_or_default(),
                org_id: r.org_id,
                seller_org: names.org_of(r.org_id)?,
                buyer_org_id: r.buyer_org_id,
                buyer_org: names.org_of(r.buyer_org_id)?,
                price_fen: r.price_fen,
                transfer_mode: r.transfer_mode.clone(),
                days: r.days,
                starts_at: r.starts_at.and_utc(),
                ends_at: r.ends_at.and_utc(),
                starts_at_local: shanghai(r.starts_at),
                ends_at_local: shanghai(r.ends_at),
                status: r.status_at(at),
                open_objections: i64::try_from(open).unwrap_or(i64::MAX),
                objections,
            })
        })
        .collect()
}

pub fn view(
    conn: &mut AnyConnection,
    row: PublicityRow,
    user: Option<&CurrentUser>,
) -> QueryResult<PublicityView> {
    views(conn, vec![row], user)?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// One objection as `user` may see it.
pub fn objection(
    conn: &mut AnyConnection,
    o: &ObjectionRow,
    user: Option<&CurrentUser>,
) -> QueryResult<ObjectionView> {
    let p = model::find(conn, o.publicity_id)?.ok_or(diesel::result::Error::NotFound)?;
    let names = names::load(conn, [], [o.org_id])?;
    objection_view(o, p.org_id, user, &names)
}

/// `GET /api/v1/publicity` filters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicityQuery {
    pub status: Option<String>,
    pub achievement_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn check_status(q: &PublicityQuery) -> Result<Option<PublicityStatus>, ApiError> {
    q.status
        .as_deref()
        .map(|s| {
            PublicityStatus::parse(s).ok_or_else(|| {
                ApiError::one_of(ErrorCode::InvalidQuery, "status", s, PublicityStatus::CODES)
            })
        })
        .transpose()
}

type Boxed<'a> = publicities::BoxedQuery<'a, <AnyConnection as diesel::Connection>::Backend>;

fn filtered<'a>(status: Option<PublicityStatus>, achievement: Option<i64>) -> Boxed<'a> {
    let mut q = publicities::table.into_boxed();
    let at = now();
    q = match status {
        Some(PublicityStatus::Running) => q.filter(publicities::ends_at.gt(at)),
        Some(PublicityStatus::Ended) => q.filter(publicities::ends_at.le(at)),
        None => q,
    };
    if let Some(a) = achievement {
        q = q.filter(publicities::achievement_id.eq(a));
    }
    q
}

/// A page of publicities, latest end first, and the total.
pub fn list(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    status: Option<PublicityStatus>,
    q: &PublicityQuery,
    page: Pagination,
) -> QueryResult<(Vec<PublicityView>, i64)> {
    let total: i64 = filtered(status, q.achievement_id)
        .count()
        .get_result(conn)?;
    let rows: Vec<PublicityRow> = filtered(status, q.achievement_id)
        .order((publicities::ends_at.desc(), publicities::id.desc()))
        .select(PublicityRow::as_select())
        .offset(page.offset())
        .limit(page.limit())
        .load(conn)?;
    Ok((views(conn, rows, user)?, total))
}
