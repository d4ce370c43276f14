//! One industry chain's quarter (一链一策，按季度汇报): achievements created and published,
//! demands published (bottlenecks apart), deals opened and where they stand now, registered
//! contracts signed and their turnover — each against the previous quarter and the same
//! quarter a year before — and the chain's key projects in that year's pool with how many
//! had converted by the quarter's end, against the previous quarter's end and last year's
//! pool at the same point.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde_json::{Value, json};

use crate::contracts::StatStatus;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contracts, deals, demands, pool_entries};
use crate::deals::Stage;
use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::format::percent;
use crate::stats::compare::change_bp;
use crate::stats::sheet::{Cell, Sheet};

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u32,
}

impl Quarter {
    pub fn new(year: i32, q: u32) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { year, q })
    }

    fn previous(self) -> Quarter {
        match self.q {
            1 => Quarter {
                year: self.year - 1,
                q: 4,
            },
            q => Quarter {
                year: self.year,
                q: q - 1,
            },
        }
    }

    fn a_year_before(self) -> Quarter {
        Quarter {
            year: self.year - 1,
            ..self
        }
    }

    fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.q * 3 - 2, 1)
    }

    /// First and last day, and the instants it starts and ends at.
    fn bounds(self) -> Option<(NaiveDate, NaiveDate, NaiveDateTime, NaiveDateTime)> {
        let first = self.first_day()?;
        let next = match self.q {
            4 => NaiveDate::from_ymd_opt(self.year + 1, 1, 1)?,
            q => NaiveDate::from_ymd_opt(self.year, q * 3 + 1, 1)?,
        };
        let last = next.pred_opt()?;
        Some((
            first,
            last,
            first.and_time(NaiveTime::MIN),
            next.and_time(NaiveTime::MIN),
        ))
    }

    pub fn key(self) -> String {
        format!("{}-Q{}", self.year, self.q)
    }
}

fn count() -> diesel::expression::SqlLiteral<BigInt> {
    diesel::dsl::sql::<BigInt>("CAST(COUNT(*) AS BIGINT)")
}

/// The metrics of the report, in order: (code, Chinese, English).
const METRICS: [(&str, &str, &str); 8] = [
    ("achievements_created", "新增成果", "Achievements created"),
    (
        "achievements_published",
        "发布成果",
        "Achievements published",
    ),
    ("demands_published", "发布需求", "Demands published"),
    (
        "bottleneck_demands_published",
        "其中卡脖子需求",
        "Of which bottlenecks",
    ),
    ("deals_opened", "新开对接", "Deals opened"),
    ("deals_signed", "其中已签约", "Of which signed now"),
    ("contracts_registered", "登记合同", "Registered contracts"),
    ("turnover_fen", "成交额（分）", "Turnover (fen)"),
];

/// The chain's figures in one quarter, in the order of [`METRICS`].
fn figures(conn: &mut AnyConnection, chain: &str, quarter: Quarter) -> Result<[i64; 8], ApiError> {
    let Some((first, last, start, end)) = quarter.bounds() else {
        return Ok([0; 8]);
    };
    let a = achievements::table.filter(achievements::chain.eq(chain));
    let created = a
        .filter(achievements::created_at.ge(start))
        .filter(achievements::created_at.lt(end))
        .select(count())
        .first(conn)?;
    let published = a
        .filter(achievements::published_at.ge(start))
        .filter(achievements::published_at.lt(end))
        .select(count())
        .first(conn)?;
    let d = demands::table
        .filter(demands::chain.eq(chain))
        .filter(demands::published_at.ge(start))
        .filter(demands::published_at.lt(end));
    let demands_n = d.select(count()).first(conn)?;
    let bottlenecks = d
        .filter(demands::bottleneck.eq(true))
        .select(count())
        .first(conn)?;
    let opened = deals::table
        .inner_join(demands::table.on(demands::id.eq(deals::demand_id)))
        .filter(demands::chain.eq(chain))
        .filter(deals::created_at.ge(start))
        .filter(deals::created_at.lt(end));
    let opened_n = opened.select(count()).first(conn)?;
    let signed = opened
        .filter(deals::stage.eq(Stage::Signed.as_str()))
        .select(count())
        .first(conn)?;
    let sum = diesel::dsl::sql::<Nullable<BigInt>>("CAST(SUM(stat_amount_fen) AS BIGINT)");
    let (n, turnover): (i64, Option<i64>) = contracts::table
        .filter(contracts::chain.eq(chain))
        .filter(contracts::stat_status.eq(StatStatus::Registered.as_str()))
        .filter(contracts::signed_on.between(first, last))
        .select((count(), sum))
        .first(conn)?;
    Ok([
        created,
        published,
        demands_n,
        bottlenecks,
        opened_n,
        signed,
        n,
        turnover.unwrap_or(0),
    ])
}

/// The chain's key projects in the pool of `year`, and how many had converted by the end
/// of each of `days`.
fn key_projects<const N: usize>(
    conn: &mut AnyConnection,
    chain: &str,
    year: i32,
    days: [Option<NaiveDate>; N],
) -> Result<(i64, [i64; N]), ApiError> {
    let ids: Vec<i64> = pool_entries::table
        .inner_join(achievements::table)
        .filter(pool_entries::year.eq(year))
        .filter(pool_entries::key_project.eq(true))
        .filter(achievements::chain.eq(chain))
        .select(achievements::id)
        .load(conn)?;
    let mut converted = [0; N];
    for (n, day) in converted.iter_mut().zip(days) {
        if let Some(day) = day {
            *n = crate::contracts::converted_achievements_by(conn, &ids, day)?.len() as i64;
        }
    }
    Ok((ids.len() as i64, converted))
}

/// The key projects of a quarter's pool year, and how many had converted by the end of the
/// quarter and of the previous one; last year's pool by the end of the same quarter then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolProgress {
    pub key_projects: i64,
    pub converted: i64,
    pub converted_by_previous_quarter: i64,
    pub last_year_key_projects: i64,
    pub last_year_converted: i64,
}

fn pool_progress(
    conn: &mut AnyConnection,
    chain: &str,
    quarter: Quarter,
) -> Result<PoolProgress, ApiError> {
    let end = |q: Quarter| q.bounds().map(|(_, last, _, _)| last);
    let (n, [now, prev]) = key_projects(
        conn,
        chain,
        quarter.year,
        [end(quarter), end(quarter.previous())],
    )?;
    let (n_last, [last]) = key_projects(
        conn,
        chain,
        quarter.year - 1,
        [end(quarter.a_year_before())],
    )?;
    Ok(PoolProgress {
        key_projects: n,
        converted: now,
        converted_by_previous_quarter: prev,
        last_year_key_projects: n_last,
        last_year_converted: last,
    })
}

/// The report: the quarter, the previous one, the same one a year before, and the pool.
#[derive(Debug, Clone)]
pub struct Report {
    pub chain: String,
    pub chain_label: String,
    pub quarter: Quarter,
    pub current: [i64; 8],
    pub previous: [i64; 8],
    pub year_before: [i64; 8],
    pub pool: PoolProgress,
}

pub fn report(conn: &mut AnyConnection, chain: &str, quarter: Quarter) -> Result<Report, ApiError> {
    Ok(Report {
        chain: chain.to_owned(),
        chain_label: crate::taxonomy::CHAINS.label(chain),
        quarter,
        current: figures(conn, chain, quarter)?,
        previous: figures(conn, chain, quarter.previous())?,
        year_before: figures(conn, chain, quarter.a_year_before())?,
        pool: pool_progress(conn, chain, quarter)?,
    })
}

pub fn to_json(r: &Report) -> Value {
    let p = &r.pool;
    let metrics: Vec<Value> = METRICS
        .iter()
        .enumerate()
        .map(|(i, (code, zh, en))| {
            let (now, prev, before) = (r.current[i], r.previous[i], r.year_before[i]);
            json!({
                "metric": code, "label": pick(*zh, *en),
                "value": now, "previous_quarter": prev, "same_quarter_last_year": before,
                "pop_change_bp": change_bp(now, prev), "pop_change_pct": change_bp(now, prev).map(percent),
                "yoy_change_bp": change_bp(now, before), "yoy_change_pct": change_bp(now, before).map(percent),
            })
        })
        .collect();
    json!({
        "chain": r.chain, "chain_label": r.chain_label,
        "quarter": r.quarter.key(), "previous_quarter": r.quarter.previous().key(),
        "same_quarter_last_year": r.quarter.a_year_before().key(),
        "metrics": metrics,
        "pool": {
            "year": r.quarter.year,
            "key_projects": p.key_projects, "converted": p.converted,
            "converted_by_previous_quarter": p.converted_by_previous_quarter,
            "converted_in_quarter": p.converted - p.converted_by_previous_quarter,
            "last_year": {
                "year": r.quarter.year - 1,
                "key_projects": p.last_year_key_projects, "converted": p.last_year_converted,
            },
        },
    })
}

pub fn sheet(r: &Report) -> Sheet {
    let headers = [
        (pick("指标", "Metric")).to_owned(),
        r.quarter.key(),
        r.quarter.previous().key(),
        r.quarter.a_year_before().key(),
        pick("环比（%）", "PoP (%)").to_owned(),
        pick("同比（%）", "YoY (%)").to_owned(),
    ]
    .to_vec();
    let mut rows: Vec<Vec<Cell>> = METRICS
        .iter()
        .enumerate()
        .map(|(i, (_, zh, en))| {
            let (now, prev, before) = (r.current[i], r.previous[i], r.year_before[i]);
            vec![
                Cell::Text(pick(*zh, *en).to_owned()),
                Cell::Int(now),
                Cell::Int(prev),
                Cell::Int(before),
                Cell::Decimal(change_bp(now, prev).map(percent)),
                Cell::Decimal(change_bp(now, before).map(percent)),
            ]
        })
        .collect();
    let p = &r.pool;
    let pool_rows = [
        (
            (
                "百项成果库重点项目（年度）",
                "Key pool projects (of the year)",
            ),
            [p.key_projects, p.key_projects, p.last_year_key_projects],
        ),
        (
            (
                "其中截至季末已转化",
                "Of which converted by the quarter's end",
            ),
            [
                p.converted,
                p.converted_by_previous_quarter,
                p.last_year_converted,
            ],
        ),
    ];
    for ((zh, en), [now, prev, before]) in pool_rows {
        rows.push(vec![
            Cell::Text(pick(zh, en).to_owned()),
            Cell::Int(now),
            Cell::Int(prev),
            Cell::Int(before),
            Cell::Decimal(change_bp(now, prev).map(percent)),
            Cell::Decimal(change_bp(now, before).map(percent)),
        ]);
    }
    let name = pick(
        format!("{}{}", r.chain_label, r.quarter.key()),
        format!("{} {}", r.chain_label, r.quarter.key()),
    );
    Sheet {
        name: name.chars().take(31).collect(),
        headers,
        rows,
    }
}

/// Turnover of the quarter against the previous one and the same one a year before.
pub fn to_svg(r: &Report) -> String {
    let t = 7;
    let bars = vec![
        (r.quarter.a_year_before().key(), r.year_before[t]),
        (r.quarter.previous().key(), r.previous[t]),
        (r.quarter.key(), r.current[t]),
    ];
    let title = pick(
        format!(
            "{}{}技术合同成交额（同比、环比）",
            r.chain_label,
            r.quarter.key()
        ),
        format!(
            "{} turnover, {} against the previous quarter and a year before",
            r.chain_label,
            r.quarter.key()
        ),
    );
    let source = pick(
        "数据来源：秦创原技术交易平台 · 已认定登记的技术合同 · 按签订日期",
        "Source: Qinchuangyuan technology exchange · registered contracts · by signing date",
    );
    crate::stats::chart::bars_svg_in_order(&title, source, bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_step_back_across_the_year() {
        let q = Quarter::new(2026, 1).unwrap();
        assert_eq!(
            (q.previous().key(), q.a_year_before().key()),
            ("2025-Q4".into(), "2025-Q1".into())
        );
        let (first, last, _, _) = Quarter::new(2026, 4).unwrap().bounds().unwrap();
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2026-10-01".into(), "2026-12-31".into())
        );
        assert!(Quarter::new(2026, 5).is_none());
    }
}
