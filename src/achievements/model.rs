//! Achievements (成果): rows, validated input, API views and queries.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{achievements, orgs, pool_entries};
use crate::error::{ApiError, ErrorCode};
use crate::listings::fields::{self, IpItem, double_option, from_json, to_json};
use crate::listings::{Status, StatusChangeView};
use crate::validate;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = achievements)]
pub struct AchievementRow {
    pub id: i64,
    pub org_id: i64,
    pub created_by: i64,
    pub status: String,
    pub title: String,
    pub summary: String,
    pub details: String,
    pub contact: String,
    pub keywords: String,
    pub chain: String,
    pub field: String,
    pub trl: i32,
    pub stage: String,
    pub ip_items: String,
    pub transfer_modes: String,
    pub price_min_fen: Option<i64>,
    pub price_max_fen: Option<i64>,
    pub inventors: String,
    pub region: String,
    pub review_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AchievementRow {
    pub fn status(&self) -> QueryResult<Status> {
        Status::read(&self.status)
    }
}

/// The body of `POST /achievements`; also what a PATCH is merged into before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub chain: String,
    pub field: String,
    pub trl: i32,
    pub stage: String,
    #[serde(default)]
    pub ip_items: Vec<IpItem>,
    pub transfer_modes: Vec<String>,
    #[serde(default)]
    pub price_min_fen: Option<i64>,
    #[serde(default)]
    pub price_max_fen: Option<i64>,
    #[serde(default)]
    pub inventors: Vec<String>,
    /// Defaults to the owning org's region.
    pub region: Option<String>,
}

/// The body of `PATCH /achievements/{id}`: any subset; prices may be set to null.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub contact: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub chain: Option<String>,
    pub field: Option<String>,
    pub trl: Option<i32>,
    pub stage: Option<String>,
    pub ip_items: Option<Vec<IpItem>>,
    pub transfer_modes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub price_min_fen: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub price_max_fen: Option<Option<i64>>,
    pub inventors: Option<Vec<String>>,
    pub region: Option<String>,
}

impl AchievementPatch {
    /// The stored item with this patch laid over it, ready for the same validation as a
    /// new one.
    pub fn merged_into(self, row: &AchievementRow) -> AchievementInput {
        AchievementInput {
            title: self.title.unwrap_or_else(|| row.title.clone()),
            summary: self.summary.unwrap_or_else(|| row.summary.clone()),
            details: self.details.unwrap_or_else(|| row.details.clone()),
            contact: self.contact.unwrap_or_else(|| row.contact.clone()),
            keywords: self.keywords.unwrap_or_else(|| from_json(&row.keywords)),
            chain: self.chain.unwrap_or_else(|| row.chain.clone()),
            field: self.field.unwrap_or_else(|| row.field.clone()),
            trl: self.trl.unwrap_or(row.trl),
            stage: self.stage.unwrap_or_else(|| row.stage.clone()),
            ip_items: self.ip_items.unwrap_or_else(|| from_json(&row.ip_items)),
            transfer_modes: self
                .transfer_modes
                .unwrap_or_else(|| from_json(&row.transfer_modes)),
            price_min_fen: self.price_min_fen.unwrap_or(row.price_min_fen),
            price_max_fen: self.price_max_fen.unwrap_or(row.price_max_fen),
            inventors: self.inventors.unwrap_or_else(|| from_json(&row.inventors)),
            region: Some(self.region.unwrap_or_else(|| row.region.clone())),
        }
    }
}

/// Validated content columns, written by both insert and update.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = achievements, treat_none_as_null = true)]
pub struct AchievementData {
    pub title: String,
    pub summary: String,
    pub details: String,
    pub contact: String,
    pub keywords: String,
    pub chain: String,
    pub field: String,
    pub trl: i32,
    pub stage: String,
    pub ip_items: String,
    pub transfer_modes: String,
    pub price_min_fen: Option<i64>,
    pub price_max_fen: Option<i64>,
    pub inventors: String,
    pub region: String,
}

impl AchievementInput {
    pub fn validate(self, org_region: &str) -> Result<AchievementData, ApiError> {
        let (price_min_fen, price_max_fen) = fields::fen_range(
            self.price_min_fen,
            self.price_max_fen,
            "price",
            ErrorCode::InvalidPriceRange,
        )?;
        Ok(AchievementData {
            title: validate::text(&self.title, "title", 1, 120, ErrorCode::InvalidTitle)?,
            summary: validate::text(&self.summary, "summary", 1, 2000, ErrorCode::InvalidSummary)?,
            details: validate::text(
                &self.details,
                "details",
                0,
                20_000,
                ErrorCode::InvalidDetails,
            )?,
            contact: validate::text(&self.contact, "contact", 0, 500, ErrorCode::InvalidContact)?,
            keywords: to_json(&fields::keywords(&self.keywords)?),
            chain: validate::chain(&self.chain)?,
            field: validate::field(&self.field)?,
            trl: validate::trl(self.trl, "trl")?,
            stage: validate::stage(&self.stage)?,
            ip_items: to_json(&fields::ip_items(&self.ip_items)?),
            transfer_modes: to_json(&fields::modes(
                &self.transfer_modes,
                "transfer_modes",
                ErrorCode::InvalidTransferModes,
            )?),
            price_min_fen,
            price_max_fen,
            inventors: to_json(&fields::names(
                &self.inventors,
                "inventors",
                ErrorCode::InvalidInventors,
            )?),
            region: validate::region(self.region.as_deref().unwrap_or(org_region))?,
        })
    }
}

/// A pool membership as shown on the achievement.
#[derive(Debug, Clone, Serialize)]
pub struct PoolMark {
    pub year: i32,
    pub key_project: bool,
}

/// An achievement as the API shows it. `details`, `contact`, `review_comment` and
/// `status_history` are present only for viewers allowed to see them.
#[derive(Debug, Clone, Serialize)]
pub struct AchievementView {
    pub id: i64,
    pub status: String,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub keywords: Vec<String>,
    pub chain: String,
    pub field: String,
    pub trl: i32,
    pub stage: String,
    pub ip_items: Vec<IpItem>,
    pub transfer_modes: Vec<String>,
    pub price_min_fen: Option<i64>,
    pub price_max_fen: Option<i64>,
    pub negotiable: bool,
    pub inventors: Vec<String>,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<Vec<PoolMark>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_history: Option<Vec<StatusChangeView>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AchievementView {
    /// The public summary form used in lists.
    pub fn summary(row: AchievementRow, org_name: String) -> Self {
        AchievementView {
            id: row.id,
            status: row.status.clone(),
            org_id: row.org_id,
            org_name,
            keywords: from_json(&row.keywords),
            ip_items: from_json(&row.ip_items),
            transfer_modes: from_json(&row.transfer_modes),
            inventors: from_json(&row.inventors),
            negotiable: row.price_min_fen.is_none() && row.price_max_fen.is_none(),
            price_min_fen: row.price_min_fen,
            price_max_fen: row.price_max_fen,
            title: row.title,
            summary: row.summary,
            details: None,
            contact: None,
            chain: row.chain,
            field: row.field,
            trl: row.trl,
            stage: row.stage,
            region: row.region,
            pool: None,
            review_comment: None,
            status_history: None,
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
            published_at: row.published_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<(AchievementRow, String)>> {
    achievements::table
        .inner_join(orgs::table)
        .filter(achievements::id.eq(id))
        .select((AchievementRow::as_select(), orgs::name))
        // `get_result`, not `first`: at most one row by key, and `first`'s `LIMIT ?` makes
        // SQLite re-prepare the statement at every execution (it reads bound LIMIT values
        // when planning, so rebinding one expires the statement): 14 % of the server's CPU
        // in reads by id went to re-parsing.
        .get_result(conn)
        .optional()
}

pub fn pool_marks(conn: &mut AnyConnection, id: i64) -> QueryResult<Vec<PoolMark>> {
    let rows: Vec<(i32, bool)> = pool_entries::table
        .filter(pool_entries::achievement_id.eq(id))
        .order(pool_entries::year.desc())
        .select((pool_entries::year, pool_entries::key_project))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(year, key_project)| PoolMark { year, key_project })
        .collect())
}

/// Filters of the listing reads. The search issue replaces the public list with the engine.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementListQuery {
    pub chain: Option<String>,
    pub field: Option<String>,
    pub region: Option<String>,
    pub stage: Option<String>,
    pub trl_min: Option<i32>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub use crate::listings::ListScope as Scope;

pub fn list(
    conn: &mut AnyConnection,
    scope: Scope,
    q: &AchievementListQuery,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AchievementView>, i64)> {
    let status_filter: Option<String> = match scope {
        Scope::Public
        | Scope::Org {
            all_statuses: false,
            ..
        } => Some(Status::Published.as_str().into()),
        Scope::Org {
            all_statuses: true, ..
        } => q.status.clone(),
        Scope::ReviewQueue => Some("pending_review".into()),
    };
    let query = || {
        let mut b = achievements::table.inner_join(orgs::table).into_boxed();
        if let Some(s) = &status_filter {
            b = b.filter(achievements::status.eq(s.clone()));
        }
        if let Scope::Org { org_id, .. } = scope {
            b = b.filter(achievements::org_id.eq(org_id));
        }
        if let Some(v) = &q.chain {
            b = b.filter(achievements::chain.eq(v.clone()));
        }
        if let Some(v) = &q.field {
            b = b.filter(achievements::field.eq(v.clone()));
        }
        if let Some(v) = &q.region {
            b = b.filter(achievements::region.eq(v.clone()));
        }
        if let Some(v) = &q.stage {
            b = b.filter(achievements::stage.eq(v.clone()));
        }
        if let Some(v) = q.trl_min {
            b = b.filter(achievements::trl.ge(v));
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let ordered = match scope {
        Scope::Public => {
            query().order((achievements::published_at.desc(), achievements::id.desc()))
        }
        Scope::Org { .. } => {
            query().order((achievements::updated_at.desc(), achievements::id.desc()))
        }
        Scope::ReviewQueue => {
            query().order((achievements::submitted_at.asc(), achievements::id.asc()))
        }
    };
    let rows: Vec<(AchievementRow, String)> = ordered
        .offset(offset)
        .limit(limit)
        .select((AchievementRow::as_select(), orgs::name))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(r, n)| AchievementView::summary(r, n))
            .collect(),
        total,
    ))
}
