//! Search documents: their own structs, built from DB rows, public fields only (never
//! `details` or `contact`). The outbox and `reindex` both build them here, so what is
//! indexed is always what the database says now.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::achievements::model::AchievementRow;
use crate::clock::today;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, demands, orgs, pool_entries};
use crate::demands::model::DemandRow;
use crate::listings::Status;
use crate::listings::fields::from_json;
use crate::search::{Filter, IndexKind};

#[derive(Debug, Serialize)]
pub struct AchievementDoc {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub keywords: Vec<String>,
    pub inventors: Vec<String>,
    pub org_name: String,
    pub org_id: i64,
    pub chain: String,
    pub field: String,
    pub region: String,
    pub trl: i32,
    pub stage: String,
    pub transfer_modes: Vec<String>,
    pub price_min_fen: Option<i64>,
    pub price_max_fen: Option<i64>,
    pub negotiable: bool,
    pub pool_years: Vec<i32>,
    pub key_project: bool,
    pub published_at: i64,
}

#[derive(Debug, Serialize)]
pub struct DemandDoc {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub keywords: Vec<String>,
    pub org_name: String,
    pub org_id: i64,
    pub chain: String,
    pub field: String,
    pub region: String,
    pub trl_min: i32,
    pub cooperation_modes: Vec<String>,
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    pub negotiable: bool,
    pub bottleneck: bool,
    pub challenge: bool,
    pub bounty_fen: Option<i64>,
    /// A challenge's last application day (Unix seconds, 00:00 UTC); shown, not filtered.
    pub apply_by: Option<i64>,
    /// Unix seconds of the last valid day (00:00 UTC); searches filter on it.
    pub valid_until: i64,
    pub published_at: i64,
}

/// What to write for a batch of ids: documents of the published ones, deletions for the
/// rest (unpublished, withdrawn, closed, deleted).
#[derive(Debug, Default)]
pub struct Batch {
    pub upserts: Vec<Value>,
    pub deletes: Vec<i64>,
}

pub fn day_start(date: chrono::NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0)
}

/// Published demands up to their last day: expiry needs no index write, a demand past its
/// `valid_until` day simply stops matching.
pub fn unexpired() -> Filter {
    Filter::Range {
        field: "valid_until".into(),
        min: Some(day_start(today())),
        max: None,
    }
}

pub fn build(conn: &mut AnyConnection, kind: IndexKind, ids: &[i64]) -> QueryResult<Batch> {
    match kind {
        IndexKind::Achievements => achievement_batch(conn, ids),
        IndexKind::Demands => demand_batch(conn, ids),
    }
}

fn achievement_batch(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Batch> {
    let rows: Vec<(AchievementRow, String)> = achievements::table
        .inner_join(orgs::table)
        .filter(achievements::id.eq_any(ids))
        .filter(achievements::status.eq(Status::Published.as_str()))
        .select((AchievementRow::as_select(), orgs::name))
        .load(conn)?;
    let pool: Vec<(i64, i32, bool)> = pool_entries::table
        .filter(pool_entries::achievement_id.eq_any(ids))
        .select((
            pool_entries::achievement_id,
            pool_entries::year,
            pool_entries::key_project,
        ))
        .load(conn)?;
    let mut years: HashMap<i64, (Vec<i32>, bool)> = HashMap::new();
    for (id, year, key) in pool {
        let e = years.entry(id).or_default();
        e.0.push(year);
        e.1 |= key;
    }
    let mut batch = Batch::default();
    for (r, org_name) in rows {
        let (mut pool_years, key_project) = years.remove(&r.id).unwrap_or_default();
        pool_years.sort_unstable();
        let doc = AchievementDoc {
            id: r.id,
            keywords: from_json(&r.keywords),
            inventors: from_json(&r.inventors),
            transfer_modes: from_json(&r.transfer_modes),
            negotiable: r.price_min_fen.is_none() && r.price_max_fen.is_none(),
            published_at: r.published_at.map(|t| t.and_utc().timestamp()).unwrap_or(0),
            title: r.title,
            summary: r.summary,
            org_name,
            org_id: r.org_id,
            chain: r.chain,
            field: r.field,
            region: r.region,
            trl: r.trl,
            stage: r.stage,
            price_min_fen: r.price_min_fen,
            price_max_fen: r.price_max_fen,
            pool_years,
            key_project,
        };
        batch
            .upserts
            .push(serde_json::to_value(doc).unwrap_or(Value::Null));
    }
    deletions(&mut batch, ids);
    Ok(batch)
}

fn demand_batch(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Batch> {
    let rows: Vec<(DemandRow, String)> = demands::table
        .inner_join(orgs::table)
        .filter(demands::id.eq_any(ids))
        .filter(demands::status.eq(Status::Published.as_str()))
        .select((DemandRow::as_select(), orgs::name))
        .load(conn)?;
    let mut batch = Batch::default();
    for (r, org_name) in rows {
        let doc = DemandDoc {
            id: r.id,
            keywords: from_json(&r.keywords),
            cooperation_modes: from_json(&r.cooperation_modes),
            negotiable: r.budget_min_fen.is_none() && r.budget_max_fen.is_none(),
            challenge: r.challenge_bounty_fen.is_some(),
            bounty_fen: r.challenge_bounty_fen,
            apply_by: r.challenge_apply_by.map(day_start),
            valid_until: day_start(r.valid_until),
            published_at: r.published_at.map(|t| t.and_utc().timestamp()).unwrap_or(0),
            title: r.title,
            description: r.description,
            indicators: r.indicators,
            org_name,
            org_id: r.org_id,
            chain: r.chain,
            field: r.field,
            region: r.region,
            trl_min: r.trl_min,
            budget_min_fen: r.budget_min_fen,
            budget_max_fen: r.budget_max_fen,
            bottleneck: r.bottleneck,
        };
        batch
            .upserts
            .push(serde_json::to_value(doc).unwrap_or(Value::Null));
    }
    deletions(&mut batch, ids);
    Ok(batch)
}

fn deletions(batch: &mut Batch, ids: &[i64]) {
    let kept: std::collections::HashSet<i64> = batch
        .upserts
        .iter()
        .filter_map(|d| d["id"].as_i64())
        .collect();
    batch.deletes = ids
        .iter()
        .copied()
        .filter(|id| !kept.contains(id))
        .collect();
}

/// Ids of published items after `after`, in id order, for `reindex`.
pub fn published_ids(
    conn: &mut AnyConnection,
    kind: IndexKind,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    match kind {
        IndexKind::Achievements => achievements::table
            .filter(achievements::status.eq(Status::Published.as_str()))
            .filter(achievements::id.gt(after))
            .order(achievements::id.asc())
            .limit(limit)
            .select(achievements::id)
            .load(conn),
        IndexKind::Demands => demands::table
            .filter(demands::status.eq(Status::Published.as_str()))
            .filter(demands::id.gt(after))
            .order(demands::id.asc())
            .limit(limit)
            .select(demands::id)
            .load(conn),
    }
}

pub fn published_count(conn: &mut AnyConnection, kind: IndexKind) -> QueryResult<i64> {
    match kind {
        IndexKind::Achievements => achievements::table
            .filter(achievements::status.eq(Status::Published.as_str()))
            .count()
            .get_result(conn),
        IndexKind::Demands => demands::table
            .filter(demands::status.eq(Status::Published.as_str()))
            .count()
            .get_result(conn),
    }
}

/// A document as the API shows it: the days it is indexed with as Unix seconds
/// (`valid_until`, `apply_by`) become `YYYY-MM-DD`, `published_at` RFC 3339, like every
/// other answer. The index keeps numbers, which its filters and sorts need.
pub fn present(mut doc: Value) -> Value {
    let at = |v: &Value| {
        v.as_i64()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
    };
    for day in ["valid_until", "apply_by"] {
        if let Some(t) = at(&doc[day]) {
            doc[day] = Value::String(t.date_naive().to_string());
        }
    }
    if let Some(t) = at(&doc["published_at"]) {
        doc["published_at"] = Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    doc
}
