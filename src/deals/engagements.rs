//! The deals that involve one achievement, as its owners see them: who brokers each deal,
//! for which demand of which org, where it stands and since when.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::names::{self, MemberRef};
use crate::db::AnyConnection;
use crate::db::schema::deals;
use crate::deals::model::{DealRow, Stage};
use crate::demands::model::{self as dmodel, DemandHead};
use crate::pagination::Pagination;

/// One deal on the achievement.
#[derive(Debug, Serialize)]
pub struct DealEngagement {
    pub deal_id: i64,
    pub stage: Stage,
    pub broker: MemberRef,
    pub demand: DemandHead,
    pub next_follow_up: Option<NaiveDate>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The deals on `achievement_id`, most recently changed first, in three queries per page.
pub fn for_achievement(
    conn: &mut AnyConnection,
    achievement_id: i64,
    page: Pagination,
) -> QueryResult<(Vec<DealEngagement>, i64)> {
    let query = || {
        deals::table
            .filter(deals::achievement_id.eq(achievement_id))
            .into_boxed()
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<DealRow> = query()
        .order((deals::updated_at.desc(), deals::id.desc()))
        .offset(page.offset())
        .limit(page.limit())
        .select(DealRow::as_select())
        .load(conn)?;
    let demand_ids: Vec<i64> = rows.iter().map(|r| r.demand_id).collect();
    let demands = dmodel::heads(conn, &demand_ids)?;
    let brokers = names::load(conn, rows.iter().map(|r| r.broker_id), [])?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(DealEngagement {
                deal_id: r.id,
                stage: r.stage()?,
                broker: brokers.member_of(r.broker_id)?,
                demand: demands
                    .get(&r.demand_id)
                    .cloned()
                    .ok_or(diesel::result::Error::NotFound)?,
                next_follow_up: r.next_follow_up,
                opened_at: r.created_at.and_utc(),
                updated_at: r.updated_at.and_utc(),
            })
        })
        .collect::<QueryResult<_>>()?;
    Ok((items, total))
}
