//! The deal operations: `open` a deal on a published pair, `advance` it, `sign` it. Each
//! takes a connection inside the caller's transaction and typed input, and writes only
//! the deal tables (a deal's row and its timeline).

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::achievements::model as amodel;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::{now, today};
use crate::db::AnyConnection;
use crate::deals::model::{self, DealRow, DealState, Event, EventKind, NewDealRow, Stage};
use crate::demands::model::{self as dmodel, DemandRow};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::taxonomy;
use crate::validate::optional_text;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub demand_id: i64,
    pub achievement_id: i64,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub next_follow_up: Option<NaiveDate>,
    /// Keep the match's score and reasons on the deal (the pair must be a current match).
    #[serde(default)]
    pub from_match: bool,
    /// The inquiry the deal comes from: one side is its listing, the other a listing of
    /// the org that asked (`inquiries::store::fits_deal`).
    pub inquiry_id: Option<i64>,
}

/// A deal to open, as checked at the edge; `match_info` is the match it started from.
#[derive(Debug, Clone)]
pub struct NewDeal {
    pub demand_id: i64,
    pub achievement_id: i64,
    pub note: Option<String>,
    pub next_follow_up: Option<NaiveDate>,
    pub match_info: Option<serde_json::Value>,
}

fn note(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    optional_text(raw, "note", ErrorCode::InvalidRequestBody)
}

impl DealInput {
    pub fn validate(self) -> Result<NewDeal, ApiError> {
        Ok(NewDeal {
            note: note(self.note.as_deref())?,
            demand_id: self.demand_id,
            achievement_id: self.achievement_id,
            next_follow_up: self.next_follow_up,
            match_info: None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealPatch {
    /// The version the client read; a stale one is a 409.
    pub version: i32,
    pub stage: Option<String>,
    pub lost_reason: Option<String>,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::patch_date")]
    pub next_follow_up: Option<Option<NaiveDate>>,
}

/// A change of a deal, as checked at the edge.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: i32,
    pub stage: Option<Stage>,
    pub lost_reason: Option<String>,
    pub note: Option<String>,
    /// `Some(None)` clears the date.
    pub next_follow_up: Option<Option<NaiveDate>>,
}

impl DealPatch {
    /// Something to change; `lost` with a known reason and a note, a reason only with it.
    pub fn validate(self) -> Result<Change, ApiError> {
        let note = note(self.note.as_deref())?;
        if self.stage.is_none() && self.note.is_none() && self.next_follow_up.is_none() {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidRequestBody,
                "没有要修改的内容：请随 version 一起发送 stage、note 或 next_follow_up。",
                "Nothing to change: send `stage`, `note` or `next_follow_up` with the `version`.",
            ));
        }
        let stage = self
            .stage
            .as_deref()
            .map(|s| {
                Stage::parse(s).ok_or_else(|| {
                    ApiError::one_of(ErrorCode::InvalidRequestBody, "stage", s, Stage::CODES)
                })
            })
            .transpose()?;
        if stage == Some(Stage::Lost) {
            match self.lost_reason.as_deref() {
                Some(r) if taxonomy::LOSS_REASONS.contains(r) => {}
                _ => {
                    return Err(ApiError::new(ErrorCode::InvalidLostReason)
                        .field("lost_reason")
                        .accepted(taxonomy::LOSS_REASONS.codes()));
                }
            }
            if note.is_none() {
                return Err(ApiError::new(ErrorCode::NoteRequired));
            }
        } else if self.lost_reason.is_some() {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidLostReason,
                "lost_reason 只能与 stage: lost 一起使用。",
                "`lost_reason` goes with `stage: lost` only.",
            )
            .field("lost_reason"));
        }
        Ok(Change {
            version: self.version,
            stage,
            lost_reason: self.lost_reason,
            note,
            next_follow_up: self.next_follow_up,
        })
    }
}

/// The demand of a new deal on this pair: both must exist and be published (the demand
/// unexpired).
pub fn published_pair(
    conn: &mut AnyConnection,
    demand_id: i64,
    achievement_id: i64,
) -> Result<DemandRow, ApiError> {
    let demand = dmodel::find(conn, demand_id)?;
    let achievement = amodel::find(conn, achievement_id)?;
    let (demand, _) = demand.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::ReferenceNotFound,
            "没有这个需求。",
            "No such demand.",
        )
    })?;
    let (achievement, _) = achievement.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::ReferenceNotFound,
            "没有这个成果。",
            "No such achievement.",
        )
    })?;
    if dmodel::effective_status(&demand.status, demand.valid_until, today())? != Status::Published
        || achievement.status()? != Status::Published
    {
        return Err(ApiError::with_detail(
            ErrorCode::NotPublished,
            "需求和成果都必须已发布（且需求未过期）。",
            "Both the demand and the achievement must be published (and the demand unexpired).",
        ));
    }
    Ok(demand)
}

/// Opens a deal of `broker_id` on the pair, at `recommended`; one open deal a pair.
pub fn open(conn: &mut AnyConnection, broker_id: i64, new: &NewDeal) -> Result<DealRow, ApiError> {
    if let Some(existing) = model::open_deal_for(conn, new.demand_id, new.achievement_id)? {
        return Err(ApiError::with_detail(
            ErrorCode::DealExists,
            format!(
                "该需求与成果之间已有进行中的对接：对接 {existing}（GET /api/v1/deals/{existing}）。"
            ),
            format!(
                "An open deal for this pair exists already: deal {existing} (GET /api/v1/deals/{existing})."
            ),
        ));
    }
    let at = now();
    let id = model::insert(
        conn,
        &NewDealRow {
            demand_id: new.demand_id,
            achievement_id: new.achievement_id,
            broker_id,
            next_follow_up: new.next_follow_up,
            match_json: new.match_info.as_ref().map(|m| m.to_string()),
            at,
        },
    )?;
    model::add_event(
        conn,
        &Event {
            deal_id: id,
            actor_id: broker_id,
            kind: EventKind::Created,
            from: None,
            to: Some(Stage::Recommended),
            note: new.note.as_deref(),
            at,
        },
    )?;
    let pair = (new.demand_id, new.achievement_id);
    crate::notify::on::deal_opened(conn, id, pair, broker_id)?;
    found(conn, id)
}

fn found(conn: &mut AnyConnection, id: i64) -> Result<DealRow, ApiError> {
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Deal"))
}

/// The deal if `user` may see it: its broker, admins, the orgs of its two listings.
pub fn visible(conn: &mut AnyConnection, user: &CurrentUser, id: i64) -> Result<DealRow, ApiError> {
    let row = found(conn, id)?;
    let (demand_org, achievement_org) = model::party_orgs(conn, &row)?;
    if !policy::sees_deal(user, row.broker_id, demand_org, achievement_org) {
        return Err(ApiError::not_found("Deal"));
    }
    Ok(row)
}

/// The deal if `user` may change it: its broker and admins.
pub fn editable(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<DealRow, ApiError> {
    let row = visible(conn, user, id)?;
    policy::authorize(
        user,
        Action::EditDeal {
            broker_id: row.broker_id,
        },
    )?;
    Ok(row)
}

/// The timeline entries a change adds: its stage move or its note, and a changed
/// follow-up date (`follow_up` says how).
fn events_of_change<'a>(
    row: &DealRow,
    from: Stage,
    change: &'a Change,
    follow_up: Option<&'a str>,
    base: Event<'a>,
) -> Vec<Event<'a>> {
    let mut events = Vec::new();
    match change.stage {
        Some(to) => events.push(Event {
            kind: EventKind::Stage,
            from: Some(from),
            to: Some(to),
            ..base
        }),
        None if change.note.is_some() => events.push(base),
        None => {}
    }
    if change
        .next_follow_up
        .is_some_and(|d| d != row.next_follow_up)
    {
        events.push(Event {
            kind: EventKind::FollowUp,
            note: follow_up,
            ..base
        });
    }
    events
}

/// Applies `change` to the deal `row` (as read by [`editable`]): the stage only forward,
/// the version compared and set in one statement, the timeline extended.
pub fn advance(
    conn: &mut AnyConnection,
    actor_id: i64,
    row: DealRow,
    change: &Change,
) -> Result<DealRow, ApiError> {
    let from = row.stage()?;
    if let Some(to) = change.stage
        && !from.can_move_to(to)
    {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidStageChange,
            format!(
                "处于 {} 阶段的对接不能转到 {}。",
                from.as_str(),
                to.as_str()
            ),
            format!("A {} deal cannot move to {}.", from.as_str(), to.as_str()),
        ));
    }
    let at = now();
    let state = DealState {
        stage: change.stage.unwrap_or(from),
        lost_reason: change.lost_reason.clone().or(row.lost_reason.clone()),
        next_follow_up: change.next_follow_up.unwrap_or(row.next_follow_up),
    };
    if !model::update_at_version(conn, row.id, change.version, &state, at)? {
        return Err(ApiError::with_detail(
            ErrorCode::VersionConflict,
            format!(
                "对接当前版本为 {}，您提交的是 {}，请重新加载。",
                row.version, change.version
            ),
            format!(
                "The deal is at version {}, you sent {}; reload it.",
                row.version, change.version
            ),
        ));
    }
    let follow_up = change.next_follow_up.map(|date| {
        date.map(|d| format!("下次跟进：{d}"))
            .unwrap_or_else(|| "取消跟进日期".into())
    });
    let note = Event {
        deal_id: row.id,
        actor_id,
        kind: EventKind::Note,
        from: None,
        to: None,
        note: change.note.as_deref(),
        at,
    };
    for event in events_of_change(&row, from, change, follow_up.as_deref(), note) {
        model::add_event(conn, &event)?;
    }
    if let Some(to) = change.stage.filter(|to| *to != from) {
        let pair = (row.demand_id, row.achievement_id);
        let stages = (from.as_str(), to.as_str());
        crate::notify::on::deal_moved(conn, row.id, pair, stages, actor_id)?;
    }
    found(conn, row.id)
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
) -> diesel::QueryResult<bool> {
    let Some(deal) = model::find(conn, deal_id)? else {
        return Ok(false);
    };
    let from = deal.stage()?;
    if !from.is_open() {
        return Ok(false);
    }
    model::set_stage(conn, deal_id, Stage::Signed, at)?;
    model::add_event(
        conn,
        &Event {
            deal_id,
            actor_id,
            kind: EventKind::Stage,
            from: Some(from),
            to: Some(Stage::Signed),
            note: Some(note),
            at,
        },
    )?;
    let pair = (deal.demand_id, deal.achievement_id);
    let stages = (from.as_str(), Stage::Signed.as_str());
    crate::notify::on::deal_moved(conn, deal_id, pair, stages, actor_id)?;
    Ok(true)
}
