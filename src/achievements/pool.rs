//! The hundred-achievements pool (百项科技成果转化项目培育库): per year, published
//! achievements curated by the exchange, some marked key supported projects, and whether
//! each has converted (a transfer, equity or licensing contract for it was confirmed by
//! both parties).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::achievements::model::{AchievementRow, AchievementView};
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::body::Body;
use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, orgs, pool_entries};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::pagination::Pagination;
use crate::search::{IndexKind, outbox};
use crate::state::AppData;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pool_entries)]
pub struct PoolEntryRow {
    pub id: i64,
    pub year: i32,
    pub achievement_id: i64,
    pub key_project: bool,
    pub note: Option<String>,
    pub added_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize)]
pub struct PoolEntryView {
    pub year: i32,
    pub achievement_id: i64,
    pub key_project: bool,
    pub note: Option<String>,
    /// The achievement was transferred under a contract.
    pub converted: bool,
    pub added_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achievement: Option<AchievementView>,
}

impl PoolEntryView {
    fn new(row: PoolEntryRow, achievement: Option<AchievementView>, converted: bool) -> Self {
        PoolEntryView {
            year: row.year,
            achievement_id: row.achievement_id,
            key_project: row.key_project,
            note: row.note,
            converted,
            added_by: row.added_by,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            achievement,
        }
    }
}

fn year(raw: i32) -> Result<i32, ApiError> {
    if (2000..=2100).contains(&raw) {
        Ok(raw)
    } else {
        Err(ApiError::new(ErrorCode::InvalidYear))
    }
}

fn find_entry(
    conn: &mut AnyConnection,
    year: i32,
    achievement_id: i64,
) -> QueryResult<Option<PoolEntryRow>> {
    pool_entries::table
        .filter(pool_entries::year.eq(year))
        .filter(pool_entries::achievement_id.eq(achievement_id))
        .select(PoolEntryRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolEntryInput {
    #[serde(default)]
    pub key_project: bool,
    pub note: Option<String>,
}

/// `PUT /api/v1/pool/{year}/entries/{achievement_id}` (admin): adds a published achievement
/// to the year's pool, or updates its entry. 201 when added, 200 when updated.
pub async fn put_entry(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(i32, i64)>,
    _no_query: crate::error::NoQuery,
    body: Body<PoolEntryInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ManagePool)?;
    let (year, achievement_id) = path.into_inner();
    let year = self::year(year)?;
    let (created, view) = state
        .db
        .write(move |conn| {
            let status: Option<String> = achievements::table
                .find(achievement_id)
                .select(achievements::status)
                .first(conn)
                .optional()?;
            let status = status.ok_or_else(|| ApiError::not_found("Achievement"))?;
            let req = body.parse()?;
            let note = req
                .note
                .as_deref()
                .map(|n| crate::validate::text(n, "note", 0, 1000, ErrorCode::InvalidRequestBody))
                .transpose()?
                .filter(|n| !n.is_empty());
            let existing = find_entry(conn, year, achievement_id)?;
            // A transferred achievement keeps its entry; only new entries need `published`.
            if existing.is_none() && status != Status::Published.as_str() {
                return Err(ApiError::with_detail(
                    ErrorCode::NotPublished,
                    "只有已发布的成果可以入库。",
                    "Only published achievements can enter the pool.",
                ));
            }
            let at = now();
            let before = existing.clone().map(|r| PoolEntryView::new(r, None, false));
            match &existing {
                Some(row) => {
                    diesel::update(pool_entries::table.find(row.id))
                        .set((
                            pool_entries::key_project.eq(req.key_project),
                            pool_entries::note.eq(&note),
                            pool_entries::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                }
                None => {
                    diesel::insert_into(pool_entries::table)
                        .values((
                            pool_entries::year.eq(year),
                            pool_entries::achievement_id.eq(achievement_id),
                            pool_entries::key_project.eq(req.key_project),
                            pool_entries::note.eq(&note),
                            pool_entries::added_by.eq(user.id),
                            pool_entries::created_at.eq(at),
                            pool_entries::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                }
            }
            let row = find_entry(conn, year, achievement_id)?
                .ok_or_else(|| ApiError::not_found("Pool entry"))?;
            outbox::enqueue(conn, IndexKind::Achievements, &[achievement_id])?;
            // A new pool year may make a published achievement match `pool_year` searches.
            crate::alerts::listing_changed(conn, IndexKind::Achievements, achievement_id)?;
            let converted = crate::contracts::converted_achievements(conn, &[achievement_id])?;
            let view = PoolEntryView::new(row, None, !converted.is_empty());
            let act = Act::new(user.id, "pool.put", "achievement", achievement_id);
            audit::step(conn, act, before.as_ref(), &view)?;
            Ok((existing.is_none(), view))
        })
        .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(view))
}

/// `DELETE /api/v1/pool/{year}/entries/{achievement_id}` (admin).
pub async fn delete_entry(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(i32, i64)>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ManagePool)?;
    let (year, achievement_id) = path.into_inner();
    let year = self::year(year)?;
    state
        .db
        .write(move |conn| {
            let row = find_entry(conn, year, achievement_id)?
                .ok_or_else(|| ApiError::not_found("Pool entry"))?;
            diesel::delete(pool_entries::table.find(row.id)).execute(conn)?;
            outbox::enqueue(conn, IndexKind::Achievements, &[achievement_id])?;
            let act = Act::new(user.id, "pool.delete", "achievement", achievement_id);
            let before = json!({"year": year, "key_project": row.key_project, "note": row.note});
            audit::removed(conn, act, &before)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolQuery {
    pub key_project: Option<bool>,
    pub chain: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/pool/{year}` (public): key projects first, each with its achievement.
pub async fn list(
    state: AppData,
    path: web::Path<i32>,
    query: web::Query<PoolQuery>,
) -> Result<HttpResponse, ApiError> {
    let year = self::year(path.into_inner())?;
    let q = query.into_inner();
    crate::listings::fields::list_filters(q.chain.as_deref(), None, None, None)?;
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| {
            let query = || {
                let mut b = pool_entries::table
                    .inner_join(achievements::table.inner_join(orgs::table))
                    .filter(pool_entries::year.eq(year))
                    .into_boxed();
                if let Some(k) = q.key_project {
                    b = b.filter(pool_entries::key_project.eq(k));
                }
                if let Some(c) = &q.chain {
                    b = b.filter(achievements::chain.eq(c.clone()));
                }
                b
            };
            let total: i64 = query().count().get_result(conn)?;
            let rows: Vec<(PoolEntryRow, AchievementRow, String)> = query()
                .order((pool_entries::key_project.desc(), pool_entries::id.asc()))
                .offset(page.offset())
                .limit(page.limit())
                .select((
                    PoolEntryRow::as_select(),
                    AchievementRow::as_select(),
                    orgs::name,
                ))
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.1.id).collect();
            let converted_ids = crate::contracts::converted_achievements(conn, &ids)?;
            let items: Vec<PoolEntryView> = rows
                .into_iter()
                .map(|(entry, a, org_name)| {
                    let converted = converted_ids.contains(&a.id);
                    PoolEntryView::new(
                        entry,
                        Some(AchievementView::summary(a, org_name)),
                        converted,
                    )
                })
                .collect();
            Ok((items, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
