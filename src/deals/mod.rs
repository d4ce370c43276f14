//! Deals (对接): a broker takes one achievement and one demand towards a contract through
//! `recommended → contacted → negotiating → signed | lost`. Stages only move forward; `lost`
//! is reachable from any open stage and needs a reason and a note. Every change carries the
//! `version` it read (a stale one is a 409) and adds an event to the deal's timeline.

pub mod handlers;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{achievements, deal_events, deals, demands, orgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Recommended,
    Contacted,
    Negotiating,
    Signed,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Recommended,
        Stage::Contacted,
        Stage::Negotiating,
        Stage::Signed,
        Stage::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Recommended => "recommended",
            Stage::Contacted => "contacted",
            Stage::Negotiating => "negotiating",
            Stage::Signed => "signed",
            Stage::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Signed | Stage::Lost)
    }

    fn rank(self) -> u8 {
        match self {
            Stage::Recommended => 0,
            Stage::Contacted => 1,
            Stage::Negotiating => 2,
            Stage::Signed | Stage::Lost => 3,
        }
    }

    /// Forward only (skipping allowed), `lost` from any open stage, nothing after closing.
    pub fn can_move_to(self, to: Stage) -> bool {
        self.is_open() && (to == Stage::Lost || to.rank() > self.rank())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deals)]
pub struct DealRow {
    pub id: i64,
    pub demand_id: i64,
    pub achievement_id: i64,
    pub broker_id: i64,
    pub stage: String,
    pub version: i32,
    pub lost_reason: Option<String>,
    pub next_follow_up: Option<NaiveDate>,
    pub match_json: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DealRow {
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.stage).unwrap_or(Stage::Recommended)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deal_events)]
pub struct EventRow {
    pub id: i64,
    pub deal_id: i64,
    pub actor_id: i64,
    pub kind: String,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    pub actor_id: i64,
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

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<DealRow>> {
    deals::table
        .find(id)
        .select(DealRow::as_select())
        .first(conn)
        .optional()
}

pub fn open_deal_for(
    conn: &mut AnyConnection,
    demand_id: i64,
    achievement_id: i64,
) -> QueryResult<Option<i64>> {
    deals::table
        .filter(deals::demand_id.eq(demand_id))
        .filter(deals::achievement_id.eq(achievement_id))
        .filter(deals::stage.ne_all(["signed", "lost"]))
        .select(deals::id)
        .first(conn)
        .optional()
}

pub fn add_event(
    conn: &mut AnyConnection,
    deal_id: i64,
    actor_id: i64,
    kind: &str,
    (from, to): (Option<&str>, Option<&str>),
    note: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(deal_events::table)
        .values((
            deal_events::deal_id.eq(deal_id),
            deal_events::actor_id.eq(actor_id),
            deal_events::kind.eq(kind),
            deal_events::from_stage.eq(from),
            deal_events::to_stage.eq(to),
            deal_events::note.eq(note),
            deal_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
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

/// The two orgs of a deal: (demand's org, achievement's org).
pub fn party_orgs(conn: &mut AnyConnection, row: &DealRow) -> QueryResult<(i64, i64)> {
    let d: i64 = demands::table
        .find(row.demand_id)
        .select(demands::org_id)
        .first(conn)?;
    let a: i64 = achievements::table
        .find(row.achievement_id)
        .select(achievements::org_id)
        .first(conn)?;
    Ok((d, a))
}

pub fn view(conn: &mut AnyConnection, row: DealRow) -> QueryResult<DealView> {
    views(conn, vec![row])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// The views of several deals in four queries, whatever their number.
pub fn views(conn: &mut AnyConnection, rows: Vec<DealRow>) -> QueryResult<Vec<DealView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let demand_ids: Vec<i64> = rows.iter().map(|r| r.demand_id).collect();
    let achievement_ids: Vec<i64> = rows.iter().map(|r| r.achievement_id).collect();
    let demands = demand_parties(conn, &demand_ids)?;
    let achievements = achievement_parties(conn, &achievement_ids)?;
    let mut events: HashMap<i64, Vec<EventView>> = HashMap::new();
    for e in deal_events::table
        .filter(deal_events::deal_id.eq_any(&ids))
        .order((deal_events::deal_id.asc(), deal_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?
    {
        events.entry(e.deal_id).or_default().push(EventView {
            id: e.id,
            actor_id: e.actor_id,
            kind: e.kind,
            from: e.from_stage,
            to: e.to_stage,
            note: e.note,
            at: e.created_at.and_utc(),
        });
    }
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
                stage: row.stage.clone(),
                version: row.version,
                broker_id: row.broker_id,
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

/// Who is asking for a deal list, as the policy decided.
#[derive(Debug, Clone, Copy)]
pub enum DealScope {
    All,
    Broker(i64),
    Org(i64),
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

pub fn list(
    conn: &mut AnyConnection,
    scope: DealScope,
    q: &DealQuery,
    today: NaiveDate,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<DealView>, i64)> {
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
            DealScope::All => {}
            DealScope::Broker(id) => b = b.filter(deals::broker_id.eq(id)),
            DealScope::Org(org) => {
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
                .filter(deals::stage.ne_all(["signed", "lost"]));
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
        .offset(offset)
        .limit(limit)
        .select(DealRow::as_select())
        .load(conn)?;
    Ok((views(conn, rows)?, total))
}

/// Closes an open deal as signed, because a contract for it was confirmed by both parties
/// (the contracts slice calls this in its own transaction). A deal that is no longer open
/// stays as it is.
pub fn sign(
    conn: &mut AnyConnection,
    deal_id: i64,
    actor_id: i64,
    note: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(deal) = find(conn, deal_id)? else {
        return Ok(false);
    };
    if !deal.stage().is_open() {
        return Ok(false);
    }
    diesel::update(deals::table.find(deal_id))
        .set((
            deals::stage.eq(Stage::Signed.as_str()),
            deals::version.eq(deals::version + 1),
            deals::updated_at.eq(at),
        ))
        .execute(conn)?;
    add_event(
        conn,
        deal_id,
        actor_id,
        "stage",
        (Some(deal.stage.as_str()), Some(Stage::Signed.as_str())),
        Some(note),
        at,
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_only_move_forward() {
        use Stage::*;
        assert!(Recommended.can_move_to(Contacted));
        assert!(Recommended.can_move_to(Negotiating));
        assert!(Negotiating.can_move_to(Signed));
        assert!(Contacted.can_move_to(Lost));
        assert!(!Contacted.can_move_to(Recommended));
        assert!(!Contacted.can_move_to(Contacted));
        assert!(!Signed.can_move_to(Lost));
        assert!(!Lost.can_move_to(Negotiating));
    }
}
