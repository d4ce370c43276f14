//! Demands: rows, validated input, API views and queries.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{demands, orgs};
use crate::error::{ApiError, ErrorCode};
use crate::listings::fields::{self, MAX_FEN, double_option, from_json, to_json};
use crate::listings::{Status, StatusChangeView};
use crate::validate;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = demands)]
pub struct DemandRow {
    pub id: i64,
    pub org_id: i64,
    pub created_by: i64,
    pub status: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub contact: String,
    pub keywords: String,
    pub chain: String,
    pub field: String,
    pub trl_min: i32,
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    pub cooperation_modes: String,
    pub region: String,
    pub valid_until: NaiveDate,
    pub bottleneck: bool,
    pub challenge_bounty_fen: Option<i64>,
    pub challenge_apply_by: Option<NaiveDate>,
    pub challenge_criteria: Option<String>,
    pub challenge_max_winners: Option<i32>,
    pub review_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A published demand whose last valid day has passed reads as expired.
pub fn effective_status(
    stored: &str,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Status> {
    Ok(match Status::read(stored)? {
        Status::Published if valid_until < today => Status::Expired,
        s => s,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub bounty_fen: i64,
    #[serde(deserialize_with = "validate::date")]
    pub apply_by: NaiveDate,
    pub criteria: String,
    #[serde(default = "one")]
    pub max_winners: i32,
}

fn one() -> i32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub indicators: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub chain: String,
    pub field: String,
    pub trl_min: i32,
    #[serde(default)]
    pub budget_min_fen: Option<i64>,
    #[serde(default)]
    pub budget_max_fen: Option<i64>,
    pub cooperation_modes: Vec<String>,
    pub region: Option<String>,
    #[serde(deserialize_with = "validate::date")]
    pub valid_until: NaiveDate,
    #[serde(default)]
    pub bottleneck: bool,
    #[serde(default)]
    pub challenge: Option<Challenge>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub indicators: Option<String>,
    pub contact: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub chain: Option<String>,
    pub field: Option<String>,
    pub trl_min: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    pub budget_min_fen: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub budget_max_fen: Option<Option<i64>>,
    pub cooperation_modes: Option<Vec<String>>,
    pub region: Option<String>,
    #[serde(default, deserialize_with = "validate::opt_date")]
    pub valid_until: Option<NaiveDate>,
    pub bottleneck: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub challenge: Option<Option<Challenge>>,
}

impl DemandRow {
    pub fn challenge(&self) -> Option<Challenge> {
        Some(Challenge {
            bounty_fen: self.challenge_bounty_fen?,
            apply_by: self.challenge_apply_by?,
            criteria: self.challenge_criteria.clone()?,
            max_winners: self.challenge_max_winners.unwrap_or(1),
        })
    }
}

impl DemandPatch {
    pub fn merged_into(self, row: &DemandRow) -> DemandInput {
        DemandInput {
            title: self.title.unwrap_or_else(|| row.title.clone()),
            description: self.description.unwrap_or_else(|| row.description.clone()),
            indicators: self.indicators.unwrap_or_else(|| row.indicators.clone()),
            contact: self.contact.unwrap_or_else(|| row.contact.clone()),
            keywords: self.keywords.unwrap_or_else(|| from_json(&row.keywords)),
            chain: self.chain.unwrap_or_else(|| row.chain.clone()),
            field: self.field.unwrap_or_else(|| row.field.clone()),
            trl_min: self.trl_min.unwrap_or(row.trl_min),
            budget_min_fen: self.budget_min_fen.unwrap_or(row.budget_min_fen),
            budget_max_fen: self.budget_max_fen.unwrap_or(row.budget_max_fen),
            cooperation_modes: self
                .cooperation_modes
                .unwrap_or_else(|| from_json(&row.cooperation_modes)),
            region: Some(self.region.unwrap_or_else(|| row.region.clone())),
            valid_until: self.valid_until.unwrap_or(row.valid_until),
            bottleneck: self.bottleneck.unwrap_or(row.bottleneck),
            challenge: self.challenge.unwrap_or_else(|| row.challenge()),
        }
    }
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = demands, treat_none_as_null = true)]
pub struct DemandData {
    pub title: String,
    pub description: String,
    pub indicators: String,
    pub contact: String,
    pub keywords: String,
    pub chain: String,
    pub field: String,
    pub trl_min: i32,
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    pub cooperation_modes: String,
    pub region: String,
    pub valid_until: NaiveDate,
    pub bottleneck: bool,
    pub challenge_bounty_fen: Option<i64>,
    pub challenge_apply_by: Option<NaiveDate>,
    pub challenge_criteria: Option<String>,
    pub challenge_max_winners: Option<i32>,
}

fn challenge(
    c: Option<Challenge>,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Result<Option<Challenge>, ApiError> {
    let Some(c) = c else { return Ok(None) };
    let bad = |field: &'static str, zh: &'static str, en: &'static str| {
        ApiError::with_detail(ErrorCode::InvalidChallenge, zh, en).field(field)
    };
    if !(1..=MAX_FEN).contains(&c.bounty_fen) {
        return Err(bad(
            "challenge.bounty_fen",
            "challenge.bounty_fen（悬赏金额）应为以分计的正整数。",
            "`challenge.bounty_fen` must be a positive integer number of fen.",
        ));
    }
    if c.apply_by <= today || c.apply_by > valid_until {
        return Err(bad(
            "challenge.apply_by",
            "challenge.apply_by（申请截止日期）应为将来的日期，且不晚于 valid_until。",
            "`challenge.apply_by` must be in the future and not after `valid_until`.",
        ));
    }
    if !(1..=20).contains(&c.max_winners) {
        return Err(bad(
            "challenge.max_winners",
            "challenge.max_winners（揭榜方名额）应为 1 到 20。",
            "`challenge.max_winners` must be from 1 to 20.",
        ));
    }
    let criteria = validate::text(
        &c.criteria,
        "challenge.criteria",
        1,
        5000,
        ErrorCode::InvalidChallenge,
    )?;
    Ok(Some(Challenge { criteria, ..c }))
}

impl DemandInput {
    pub fn validate(self, org_region: &str, today: NaiveDate) -> Result<DemandData, ApiError> {
        let (budget_min_fen, budget_max_fen) = fields::fen_range(
            self.budget_min_fen,
            self.budget_max_fen,
            "budget",
            ErrorCode::InvalidBudgetRange,
        )?;
        let valid_until = fields::future_date(
            self.valid_until,
            today,
            "valid_until",
            ErrorCode::InvalidValidUntil,
        )?;
        let challenge = challenge(self.challenge, valid_until, today)?;
        Ok(DemandData {
            title: validate::text(&self.title, "title", 1, 120, ErrorCode::InvalidTitle)?,
            description: validate::text(
                &self.description,
                "description",
                1,
                5000,
                ErrorCode::InvalidDescription,
            )?,
            indicators: validate::text(
                &self.indicators,
                "indicators",
                0,
                5000,
                ErrorCode::InvalidIndicators,
            )?,
            contact: validate::text(&self.contact, "contact", 0, 500, ErrorCode::InvalidContact)?,
            keywords: to_json(&fields::keywords(&self.keywords)?),
            chain: validate::chain(&self.chain)?,
            field: validate::field(&self.field)?,
            trl_min: validate::trl(self.trl_min, "trl_min")?,
            budget_min_fen,
            budget_max_fen,
            cooperation_modes: to_json(&fields::modes(
                &self.cooperation_modes,
                "cooperation_modes",
                ErrorCode::InvalidCooperationModes,
            )?),
            region: validate::region(self.region.as_deref().unwrap_or(org_region))?,
            valid_until,
            bottleneck: self.bottleneck,
            challenge_bounty_fen: challenge.as_ref().map(|c| c.bounty_fen),
            challenge_apply_by: challenge.as_ref().map(|c| c.apply_by),
            challenge_max_winners: challenge.as_ref().map(|c| c.max_winners),
            challenge_criteria: challenge.map(|c| c.criteria),
        })
    }
}

/// A demand as the API shows it; `contact`, `review_comment` and `status_history` only
/// for viewers allowed to see them.
#[derive(Debug, Clone, Serialize)]
pub struct DemandView {
    pub id: i64,
    pub status: String,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub description: String,
    pub indicators: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub keywords: Vec<String>,
    pub chain: String,
    pub field: String,
    pub trl_min: i32,
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    pub negotiable: bool,
    pub cooperation_modes: Vec<String>,
    pub region: String,
    pub valid_until: NaiveDate,
    pub bottleneck: bool,
    pub challenge: Option<Challenge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_history: Option<Vec<StatusChangeView>>,
    /// The challenge board (applications, winners, milestones, money); single reads only,
    /// given by the slice that keeps challenges (see `store::Board`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_progress: Option<serde_json::Value>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DemandView {
    pub fn summary(row: DemandRow, org_name: String, today: NaiveDate) -> QueryResult<Self> {
        let status = effective_status(&row.status, row.valid_until, today)?;
        let challenge = row.challenge();
        Ok(DemandView {
            id: row.id,
            status: status.as_str().to_owned(),
            org_id: row.org_id,
            org_name,
            keywords: from_json(&row.keywords),
            cooperation_modes: from_json(&row.cooperation_modes),
            negotiable: row.budget_min_fen.is_none() && row.budget_max_fen.is_none(),
            budget_min_fen: row.budget_min_fen,
            budget_max_fen: row.budget_max_fen,
            title: row.title,
            description: row.description,
            indicators: row.indicators,
            contact: None,
            chain: row.chain,
            field: row.field,
            trl_min: row.trl_min,
            region: row.region,
            valid_until: row.valid_until,
            bottleneck: row.bottleneck,
            challenge,
            review_comment: None,
            status_history: None,
            challenge_progress: None,
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
            published_at: row.published_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<(DemandRow, String)>> {
    demands::table
        .inner_join(orgs::table)
        .filter(demands::id.eq(id))
        .select((DemandRow::as_select(), orgs::name))
        // `get_result`, not `first`: see `achievements::model::find`.
        .get_result(conn)
        .optional()
}

/// What a record that points at a demand shows of it: its title, its org, and for a
/// challenge its application deadline.
#[derive(Debug, Clone, Serialize)]
pub struct DemandHead {
    pub demand_id: i64,
    pub title: String,
    pub org: crate::accounts::names::OrgRef,
    pub apply_by: Option<NaiveDate>,
}

/// The heads of several demands by id, in one query.
pub fn heads(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, DemandHead>> {
    let rows: Vec<(i64, String, i64, String, Option<NaiveDate>)> = demands::table
        .inner_join(orgs::table)
        .filter(demands::id.eq_any(ids))
        .select((
            demands::id,
            demands::title,
            orgs::id,
            orgs::name,
            demands::challenge_apply_by,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, org_id, org_name, apply_by)| {
            let org = crate::accounts::names::OrgRef {
                id: org_id,
                name: org_name,
            };
            let head = DemandHead {
                demand_id: id,
                title,
                org,
                apply_by,
            };
            (id, head)
        })
        .collect())
}

/// Takes the demand's row lock on PostgreSQL for the rest of the transaction, so that
/// writes about one demand by other slices (a challenge's selections and milestone plans)
/// run one after the other (SQLite writers are serialised already).
pub fn lock(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        demands::table
            .find(id)
            .select(demands::id)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok(())
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandListQuery {
    pub chain: Option<String>,
    pub field: Option<String>,
    pub region: Option<String>,
    pub bottleneck: Option<bool>,
    pub challenge: Option<bool>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub use crate::listings::ListScope as Scope;

pub fn list(
    conn: &mut AnyConnection,
    scope: Scope,
    q: &DemandListQuery,
    today: NaiveDate,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<DemandView>, i64)> {
    // `expired` is not stored: it is `published` past `valid_until`.
    let wanted: Option<Status> = match scope {
        Scope::Public
        | Scope::Org {
            all_statuses: false,
            ..
        } => Some(Status::Published),
        Scope::Org {
            all_statuses: true, ..
        } => q.status.as_deref().and_then(Status::parse),
        Scope::ReviewQueue => Some(Status::PendingReview),
    };
    let query = || {
        let mut b = demands::table.inner_join(orgs::table).into_boxed();
        match wanted {
            Some(Status::Published) => {
                b = b
                    .filter(demands::status.eq(Status::Published.as_str()))
                    .filter(demands::valid_until.ge(today))
            }
            Some(Status::Expired) => {
                b = b
                    .filter(demands::status.eq(Status::Published.as_str()))
                    .filter(demands::valid_until.lt(today))
            }
            Some(s) => b = b.filter(demands::status.eq(s.as_str())),
            None => {}
        }
        if let Scope::Org { org_id, .. } = scope {
            b = b.filter(demands::org_id.eq(org_id));
        }
        if let Some(v) = &q.chain {
            b = b.filter(demands::chain.eq(v.clone()));
        }
        if let Some(v) = &q.field {
            b = b.filter(demands::field.eq(v.clone()));
        }
        if let Some(v) = &q.region {
            b = b.filter(demands::region.eq(v.clone()));
        }
        if let Some(v) = q.bottleneck {
            b = b.filter(demands::bottleneck.eq(v));
        }
        match q.challenge {
            Some(true) => b = b.filter(demands::challenge_bounty_fen.is_not_null()),
            Some(false) => b = b.filter(demands::challenge_bounty_fen.is_null()),
            None => {}
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let ordered = match scope {
        Scope::Public => query().order((demands::published_at.desc(), demands::id.desc())),
        Scope::Org { .. } => query().order((demands::updated_at.desc(), demands::id.desc())),
        Scope::ReviewQueue => query().order((demands::submitted_at.asc(), demands::id.asc())),
    };
    let rows: Vec<(DemandRow, String)> = ordered
        .offset(offset)
        .limit(limit)
        .select((DemandRow::as_select(), orgs::name))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(r, n)| DemandView::summary(r, n, today))
            .collect::<QueryResult<_>>()?,
        total,
    ))
}
