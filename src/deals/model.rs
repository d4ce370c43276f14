//! Deal rows, their typed stages and event kinds, and the queries on the deal tables.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{achievements, deal_events, deals, demands};
use crate::states::code_enum;

code_enum!(
    /// Where a deal stands in the broker's pipeline.
    Stage, "deal stage" {
        Recommended => "recommended",
        Contacted => "contacted",
        Negotiating => "negotiating",
        Signed => "signed",
        Lost => "lost",
    }
);

impl Stage {
    /// The stages that close a deal; every other stage is open.
    pub const CLOSED: [Stage; 2] = [Stage::Signed, Stage::Lost];

    /// The stored codes of [`Stage::CLOSED`], for filters.
    pub fn closed_codes() -> [&'static str; 2] {
        Stage::CLOSED.map(Stage::as_str)
    }

    pub fn is_open(self) -> bool {
        !Stage::CLOSED.contains(&self)
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

code_enum!(
    /// What an entry of a deal's timeline records.
    EventKind, "deal event kind" {
        Created => "created",
        Stage => "stage",
        Note => "note",
        FollowUp => "follow_up",
    }
);

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
    pub fn stage(&self) -> QueryResult<Stage> {
        Stage::read(&self.stage)
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

impl EventRow {
    pub fn kind(&self) -> QueryResult<EventKind> {
        EventKind::read(&self.kind)
    }
}

/// One entry of a deal's timeline, to add.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub deal_id: i64,
    pub actor_id: i64,
    pub kind: EventKind,
    pub from: Option<Stage>,
    pub to: Option<Stage>,
    pub note: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// A new deal's row: stage `recommended`, version 1.
#[derive(Debug, Clone)]
pub struct NewDealRow {
    pub demand_id: i64,
    pub achievement_id: i64,
    pub broker_id: i64,
    pub next_follow_up: Option<NaiveDate>,
    pub match_json: Option<String>,
    pub at: NaiveDateTime,
}

/// A deal's changeable fields as they are after a change.
#[derive(Debug, Clone)]
pub struct DealState {
    pub stage: Stage,
    pub lost_reason: Option<String>,
    pub next_follow_up: Option<NaiveDate>,
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
        .filter(deals::stage.ne_all(Stage::closed_codes()))
        .select(deals::id)
        .first(conn)
        .optional()
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

pub fn insert(conn: &mut AnyConnection, new: &NewDealRow) -> QueryResult<i64> {
    diesel::insert_into(deals::table)
        .values((
            deals::demand_id.eq(new.demand_id),
            deals::achievement_id.eq(new.achievement_id),
            deals::broker_id.eq(new.broker_id),
            deals::stage.eq(Stage::Recommended.as_str()),
            deals::version.eq(1),
            deals::next_follow_up.eq(new.next_follow_up),
            deals::match_json.eq(new.match_json.as_deref()),
            deals::created_at.eq(new.at),
            deals::updated_at.eq(new.at),
        ))
        .returning(deals::id)
        .get_result(conn)
}

/// Writes `state` if the deal is still at `version` (compare-and-set: the check and the
/// write are one statement); `false` when it was not.
pub fn update_at_version(
    conn: &mut AnyConnection,
    id: i64,
    version: i32,
    state: &DealState,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        deals::table
            .filter(deals::id.eq(id))
            .filter(deals::version.eq(version)),
    )
    .set((
        // Incremented by the database: a client-sent i32::MAX cannot overflow here.
        deals::version.eq(deals::version + 1),
        deals::stage.eq(state.stage.as_str()),
        deals::lost_reason.eq(state.lost_reason.as_deref()),
        deals::next_follow_up.eq(state.next_follow_up),
        deals::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Moves the deal to `stage`, whatever its version (a new version all the same).
pub fn set_stage(
    conn: &mut AnyConnection,
    id: i64,
    stage: Stage,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(deals::table.find(id))
        .set((
            deals::stage.eq(stage.as_str()),
            deals::version.eq(deals::version + 1),
            deals::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn add_event(conn: &mut AnyConnection, e: &Event<'_>) -> QueryResult<()> {
    diesel::insert_into(deal_events::table)
        .values((
            deal_events::deal_id.eq(e.deal_id),
            deal_events::actor_id.eq(e.actor_id),
            deal_events::kind.eq(e.kind.as_str()),
            deal_events::from_stage.eq(e.from.map(Stage::as_str)),
            deal_events::to_stage.eq(e.to.map(Stage::as_str)),
            deal_events::note.eq(e.note),
            deal_events::created_at.eq(e.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The timelines of several deals, oldest entry first.
pub fn events_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<EventRow>> {
    deal_events::table
        .filter(deal_events::deal_id.eq_any(ids))
        .order((deal_events::deal_id.asc(), deal_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)
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

    #[test]
    fn stored_codes_parse_strictly() {
        assert_eq!(Stage::read("lost").unwrap(), Stage::Lost);
        assert!(Stage::read("won").is_err());
        assert_eq!(EventKind::read("follow_up").unwrap(), EventKind::FollowUp);
        assert!(EventKind::read("").is_err());
        assert_eq!(Stage::closed_codes(), ["signed", "lost"]);
    }
}
