//! Yearly turnover targets (年度目标) and each year's progress towards its target, with
//! the growth over the same period of the year before.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Act};

use crate::contracts::StatStatus;
use crate::db::AnyConnection;
use crate::db::schema::{contracts, stats_targets};
use crate::error::{ApiError, ErrorCode};
use crate::format::percent;

#[derive(Debug, Serialize)]
pub struct TargetProgress {
    pub year: i32,
    pub target_fen: i64,
    /// Registered turnover of the year so far (the whole year for past years).
    pub turnover_fen: i64,
    /// turnover / target in basis points (10000 = 100 %), rounded down.
    pub share_bp: i64,
    /// `share_bp` as a percentage with one decimal, for people.
    pub share_percent: f64,
    /// The same period of the previous year.
    pub last_year_same_period_fen: i64,
    /// Growth over that period in basis points; null when last year had none.
    pub growth_bp: Option<i64>,
    /// `growth_bp` as a percentage with one decimal.
    pub growth_percent: Option<f64>,
    pub through: NaiveDate,
}

/// The body of `PUT /api/v1/stats/targets/{year}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub amount_fen: i64,
}

/// A target checked at the edge: a year of this century, a positive amount.
#[derive(Debug, Clone, Copy)]
pub struct NewTarget {
    pub year: i32,
    pub amount_fen: i64,
}

impl NewTarget {
    pub fn parse(year: i32, req: &TargetInput) -> Result<NewTarget, ApiError> {
        if !(2000..=2100).contains(&year) {
            return Err(ApiError::new(ErrorCode::InvalidYear));
        }
        let amount_fen = req.amount_fen;
        if !(1..=crate::listings::fields::MAX_FEN).contains(&amount_fen) {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidAmounts,
                "amount_fen 应为以分计的正整数。",
                "`amount_fen` must be a positive integer number of fen.",
            )
            .field("amount_fen"));
        }
        Ok(NewTarget { year, amount_fen })
    }
}

/// Registered turnover (signed basis) between two dates, inclusive.
fn registered_sum(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<i64> {
    let sum: Option<i64> = contracts::table
        .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
        .filter(contracts::signed_on.ge(from))
        .filter(contracts::signed_on.le(to))
        .select(diesel::dsl::sql::<Nullable<BigInt>>(
            "CAST(SUM(stat_amount_fen) AS BIGINT)",
        ))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

fn ratio_bp(num: i64, den: i64) -> Option<i64> {
    if den == 0 {
        return None;
    }
    i64::try_from(i128::from(num) * 10_000 / i128::from(den)).ok()
}

/// The progress of `year` towards `target` as of `today`.
fn year_progress(
    conn: &mut AnyConnection,
    year: i32,
    target: i64,
    today: NaiveDate,
) -> QueryResult<TargetProgress> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let end_of_year = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    let through = if today < end_of_year {
        today.max(start)
    } else {
        end_of_year
    };
    let turnover = registered_sum(conn, start, through)?;
    let last_start = NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or(start);
    // Same day last year; 29 February falls back to the 28th.
    let last_through = through
        .with_year(year - 1)
        .or_else(|| NaiveDate::from_ymd_opt(year - 1, through.month(), 28))
        .unwrap_or(last_start);
    let last = registered_sum(conn, last_start, last_through)?;
    let share_bp = ratio_bp(turnover, target).unwrap_or(0);
    let growth_bp = ratio_bp(turnover - last, last);
    Ok(TargetProgress {
        year,
        target_fen: target,
        turnover_fen: turnover,
        share_bp,
        share_percent: percent(share_bp),
        last_year_same_period_fen: last,
        growth_bp,
        growth_percent: growth_bp.map(percent),
        through,
    })
}

/// Every year's target and progress, latest year first.
pub fn progress(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Vec<TargetProgress>> {
    let rows: Vec<(i32, i64)> = stats_targets::table
        .order(stats_targets::year.desc())
        .select((stats_targets::year, stats_targets::amount_fen))
        .load(conn)?;
    rows.into_iter()
        .map(|(year, target)| year_progress(conn, year, target, today))
        .collect()
}

/// Sets (or replaces) the target of a year, audited, and answers its progress.
pub fn set(
    conn: &mut AnyConnection,
    actor_id: i64,
    target: NewTarget,
    today: NaiveDate,
) -> Result<TargetProgress, ApiError> {
    let NewTarget { year, amount_fen } = target;
    let at = crate::clock::now();
    let before: Option<i64> = stats_targets::table
        .filter(stats_targets::year.eq(year))
        .select(stats_targets::amount_fen)
        .first(conn)
        .optional()?;
    let values = (
        stats_targets::amount_fen.eq(amount_fen),
        stats_targets::updated_by.eq(actor_id),
        stats_targets::updated_at.eq(at),
    );
    match before {
        Some(_) => {
            diesel::update(stats_targets::table.filter(stats_targets::year.eq(year)))
                .set(values)
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(stats_targets::table)
                .values((stats_targets::year.eq(year), values))
                .execute(conn)?;
        }
    }
    let act = Act::new(actor_id, "stats.target", "stats_target", i64::from(year));
    let after = json!({"amount_fen": amount_fen});
    let before = before.map(|b| json!({"amount_fen": b}));
    audit::step(conn, act, before.as_ref(), &after)?;
    progress(conn, today)?
        .into_iter()
        .find(|t| t.year == year)
        .ok_or_else(|| ApiError::not_found("Target"))
}
