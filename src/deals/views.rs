//! Deals as the API shows them: the two parties, the timeline, the match it started
//! from; and the list by scope and filters.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::names::{self, MemberRef, Names, UserRef};
use crate::auth::policy::Reach;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, deals, demands, orgs};
use crate::deals::model::{self, DealRow, EventRow, Stage};
use crate::pagination::Pagination;

#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    pub actor_id: i64,
    pub actor: UserRef,
    /// `created`, `stage`, `note` or `follow_up`.
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// One side of the deal as shown on it.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub id: i64,
    pub title: String,
    pub org_id: i64,
    pub org_name: String,
}

#[derive(Debug, Serialize)]
pub struct DealView {
    pub id: i64,
    pub stage: String,
    pub version: i32,
    pub broker_id: i64,
    /// The broker with their agency.
    pub broker: MemberRef,
    pub demand_id: i64,
    pub achievement_id: i64,
    pub demand: Party,
    pub achievement: Party,
    pub chain: String,
    pub lost_reason: Option<String>,
    pub next_follow_up: Option<NaiveDate>,
    /// The match this deal started from: `{score, reasons}`.
    #[serde(rename = "match")]
    pub match_info: Option<serde_json::Value>,
    pub events: Vec<EventView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The listings of one side of several deals, with their chain, by id.
type Parties = HashMap<i64, (Party, String)>;

fn to_parties(rows: Vec<(i64, String, i64, String, String)>) -> Parties {
    rows.into_iter()
        .map(|(id, title, org_id, org_name, chain)| {
            let party = Party {
                id,
                title,
                org_id,
                org_name,
            };
            (id, (party, chain))
        })
        .collect()
}

fn achievement_parties(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Parties> {
    let rows = achievements::table
        .inner_join(orgs::table)
        .filter(achievements::id.eq_any(ids))
        .select((
            achievements::id,
            achievements::title,
            achievements::org_id,
            orgs::name,
            achievements::chain,
        ))
        .load(conn)?;
    Ok(to_parties(rows))
}

fn demand_parties(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Parties> {
    let rows = demands::table
        .inner_join(orgs::table)
        .filter(demands::id.eq_any(ids))
        .select((
            demands::id,
            demands::title,
            demands::org_id,
            orgs::name,
            demands::chain,
        ))
        .load(conn)?;
    Ok(to_parties(rows))
}

/// The timelines of several deals by deal id, from their event rows; a stored kind or
/// stage that does not parse is an error.
fn timelines(rows: Vec<EventRow>, names: &Names) -> QueryResult<HashMap<i64, Vec<EventView>>> {
    let mut events: HashMap<i64, Vec<EventView>> = HashMap::new();
    let stage = |s: Option<String>| -> QueryResult<Option<String>> {
        s.map(|s| Stage::read(&s).map(|s| s.as_str().to_owned()))
            .transpose()
    };
    for e in rows {
        let kind = e.kind()?;
        events.entry(e.deal_id).or_default().push(EventView {
            id: e.id,
            actor_id: e.actor_id,
            actor: names.user_of(e.actor_id)?,
            kind: kind.as_str().to_owned(),
            from: stage(e.from_stage)?,
            to: stage(e.to_stage)?,
            note: e.note,
            at: e.created_at.and_utc(),
        });
    }
    Ok(events)
}

pub fn view(conn: &mut AnyConnection, row: DealRow) -> QueryResult<DealView> {
    views(conn, vec![row])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// The views of several deals in five queries, whatever their number: the two sides, the
/// timelines, and the names of the brokers and of everyone on the timelines.
pub fn views(conn: &mut AnyConnection, rows: Vec<DealRow>) -> QueryResult<Vec<DealView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let demand_ids: Vec<i64> = rows.iter().map(|r| r.demand_id).collect();
    let achievement_ids: Vec<i64> = rows.iter().map(|r| r.achievement_id).collect();
    let demands = demand_parties(conn, &demand_ids)?;
    let achievements = achievement_parties(conn, &achievement_ids)?;
    let event_rows = model::events_of(conn, &ids)?;
    let people = rows
        .iter()
        .map(|r| r.broker_id)
        .chain(event_rows.iter().map(|e| e.actor_id));
    let names = names::load(conn, people, [])?;
    let mut events = timelines(event_rows, &names)?;
    rows.into_iter()
        .map(|row| {
            // Both listings are foreign keys of the deal; a missing one is a broken row.
            let party = |parties: &Parties, id: i64| {
                parties
                    .get(&id)
                    .cloned()
                    .ok_or(diesel::result::Error::NotFound)
            };
            let (demand, chain) = party(&demands, row.demand_id)?;
            let (achievement, _) = party(&achievements, row.achievement_id)?;
            Ok(DealView {
                id: row.id,
                stage: row.stage()?.as_str().to_owned(),
                version: row.version,
                broker_id: row.broker_id,
                broker: names.member_of(row.broker_id)?,
                demand_id: row.demand_id,
                achievement_id: row.achievement_id,
                demand,
                achievement,
                chain,
                lost_reason: row.lost_reason,
                next_follow_up: row.next_follow_up,
                match_info: row
                    .match_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok()),
                events: events.remove(&row.id).unwrap_or_default(),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealQuery {
    pub stage: Option<String>,
    pub broker_id: Option<i64>,
    pub chain: Option<String>,
    /// Open deals whose follow-up date is today or past.
    pub follow_up_due: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A deal list's filters, checked at the edge.
#[derive(Debug, Clone, Copy)]
pub struct ListArgs<'a> {
    pub scope: Reach,
    pub query: &'a DealQuery,
    pub today: NaiveDate,
    pub page: Pagination,
}

pub fn list(conn: &mut AnyConnection, args: ListArgs<'_>) -> QueryResult<(Vec<DealView>, i64)> {
    let ListArgs {
        scope,
        query: q,
        today,
        ..
    } = args;
    let org_demands = |org: i64| {
        demands::table
            .filter(demands::org_id.eq(org))
            .select(demands::id)
    };
    let org_achievements = |org: i64| {
        achievements::table
            .filter(achievements::org_id.eq(org))
            .select(achievements::id)
    };
    let query = || {
        let mut b = deals::table.into_boxed();
        match scope {
            Reach::All => {}
            Reach::Broker { user_id, .. } => b = b.filter(deals::broker_id.eq(user_id)),
            Reach::Org(org) => {
                b = b.filter(
                    deals::demand_id
                        .eq_any(org_demands(org))
                        .or(deals::achievement_id.eq_any(org_achievements(org))),
                )
            }
        }
        if let Some(s) = &q.stage {
            b = b.filter(deals::stage.eq(s.clone()));
        }
        if let Some(id) = q.broker_id {
            b = b.filter(deals::broker_id.eq(id));
        }
        if let Some(c) = &q.chain {
            b = b.filter(
                deals::demand_id.eq_any(
                    demands::table
                        .filter(demands::chain.eq(c.clone()))
                        .select(demands::id),
                ),
            );
        }
        if q.follow_up_due == Some(true) {
            b = b
                .filter(deals::next_follow_up.le(today))
                .filter(deals::stage.ne_all(Stage::closed_codes()));
        }
        b
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<DealRow> = query()
        // Due follow-ups first; deals without a date last on both backends.
        .order((
            deals::next_follow_up.is_null().asc(),
            deals::next_follow_up.asc(),
            deals::id.desc(),
        ))
        .offset(args.page.offset())
        .limit(args.page.limit())
        .select(DealRow::as_select())
        .load(conn)?;
    Ok((views(conn, rows)?, total))
}
