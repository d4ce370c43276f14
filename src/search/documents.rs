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
use crate::listings::fields::{MAX_FEN, from_json};
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
    /// As stored: `null` is an open end, both null negotiable.
    pub price_min_fen: Option<i64>,
    pub price_max_fen: Option<i64>,
    /// The least the asking price admits (see [`floor`]): what `price_max_fen=X` filters
    /// and `price_asc` sorts on. Internal, not shown in hits.
    pub price_floor_fen: Option<i64>,
    /// The most the asking price reaches (see [`ceiling`]): what `price_desc` sorts on.
    pub price_ceiling_fen: Option<i64>,
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
    /// As stored: `null` is an open end, both null negotiable.
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    /// The most the budget reaches (see [`ceiling`]): what `budget_min_fen=Y` filters and
    /// `budget_desc` sorts on. Internal, not shown in hits.
    pub budget_ceiling_fen: Option<i64>,
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

/// Attributes indexed for filters and sorts only; [`present`] leaves them out of hits.
const INTERNAL: &[&str] = &["price_floor_fen", "price_ceiling_fen", "budget_ceiling_fen"];

/// The lower end of a range for filters and sorts: the minimum, or 0 when only a maximum
/// is given ("up to X" can be had for anything from 0); `None` when negotiable, so a
/// negotiable item never matches an amount filter.
pub fn floor(min: Option<i64>, max: Option<i64>) -> Option<i64> {
    match (min, max) {
        (None, None) => None,
        (min, _) => Some(min.unwrap_or(0)),
    }
}

/// The upper end of a range for filters and sorts: the maximum, or [`MAX_FEN`] (more than
/// any amount a filter accepts) when only a minimum is given ("from X up" reaches every
/// amount); `None` when negotiable.
pub fn ceiling(min: Option<i64>, max: Option<i64>) -> Option<i64> {
    match (min, max) {
        (None, None) => None,
        (_, max) => Some(max.unwrap_or(MAX_FEN)),
    }
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
            price_floor_fen: floor(r.price_min_fen, r.price_max_fen),
            price_ceiling_fen: ceiling(r.price_min_fen, r.price_max_fen),
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
            budget_ceiling_fen: ceiling(r.budget_min_fen, r.budget_max_fen),
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
/// other answer. The index keeps numbers, which its filters and sorts need. Attributes
/// kept for filters and sorts only are left out.
pub fn present(mut doc: Value) -> Value {
    if let Some(map) = doc.as_object_mut() {
        for key in INTERNAL {
            map.remove(*key);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_ends_count_as_zero_below_and_unbounded_above() {
        assert_eq!(floor(None, None), None);
        assert_eq!(ceiling(None, None), None);
        assert_eq!(floor(None, Some(50)), Some(0));
        assert_eq!(ceiling(None, Some(50)), Some(50));
        assert_eq!(floor(Some(30), None), Some(30));
        assert_eq!(ceiling(Some(30), None), Some(MAX_FEN));
        assert_eq!(
            (floor(Some(3), Some(5)), ceiling(Some(3), Some(5))),
            (Some(3), Some(5))
        );
    }

    #[test]
    fn hits_do_not_show_internal_attributes() {
        let doc =
            present(serde_json::json!({"id": 1, "price_min_fen": null, "price_floor_fen": 0}));
        assert_eq!(doc, serde_json::json!({"id": 1, "price_min_fen": null}));
    }
}
