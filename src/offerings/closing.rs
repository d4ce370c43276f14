//! Closing an offering, run by the scheduler once its window ends (see
//! [`crate::scheduler`]): a listed sale with no intent closes unsold, with one sells to
//! it, with several turns into a run-off auction among them from the listed price (the
//! exchanges' usual rule; if nobody raises, the earliest intent wins at the listed price);
//! an auction sells to its best bid, or closes unsold. A sale records the contract between
//! the seller and the winner at the winning price, awaiting both parties, through the
//! contracts slice's own operation.

use diesel::prelude::*;

use super::model::{self, Mode, OfferingRow, OfferingStatus};
use super::views::{self, Viewer};
use crate::audit::{self, Change};
use crate::clock::now;
use crate::contracts::lifecycle::{Sale, record_sale};
use crate::contracts::model::Registry;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, offerings};
use crate::error::ApiError;
use crate::listings::Status;
use crate::listings::fields::{IpItem, from_json};
use crate::scheduler::Next;

use super::lifecycle::Rules;

/// The contract kind (and sub-kind) of a sale by transfer mode: a transfer of rights to a
/// patent (or, without one, to know-how), a non-exclusive licence unless the terms say
/// otherwise, equity (作价投资, registered as a transfer), co-development, service.
pub fn contract_kind(transfer_mode: &str, ip_items: &str) -> (&'static str, Option<&'static str>) {
    match transfer_mode {
        "transfer" => {
            let items: Vec<IpItem> = from_json(ip_items);
            let patent = items.iter().any(|i| i.kind.contains("patent"));
            ("transfer", Some(if patent { "patent" } else { "know_how" }))
        }
        "licensing" => ("licensing", Some("ordinary")),
        "equity" => ("transfer", Some("equity")),
        "co_development" => ("development", Some("cooperative")),
        _ => ("service", Some("other")),
    }
}

/// What the close decided.
enum Outcome {
    Unsold,
    Runoff,
    Sold { org: i64, amount: i64 },
}

/// The org and amount of the best bid, if any.
fn best(conn: &mut AnyConnection, row: &OfferingRow) -> QueryResult<Option<(i64, i64)>> {
    let Some(id) = row.best_bid_id else {
        return Ok(None);
    };
    let bids = model::bids(conn, row.id)?;
    Ok(bids
        .iter()
        .find(|b| b.id == id)
        .map(|b| (b.org_id, b.amount_fen)))
}

fn decide(conn: &mut AnyConnection, row: &OfferingRow) -> Result<Outcome, ApiError> {
    Ok(match (row.mode()?, row.status()?) {
        (Mode::Listed, OfferingStatus::Open) => {
            let intents = model::intents(conn, row.id)?;
            match intents.as_slice() {
                [] => Outcome::Unsold,
                [one] => Outcome::Sold {
                    org: one.org_id,
                    amount: one.amount_fen,
                },
                _ => Outcome::Runoff,
            }
        }
        (Mode::Listed, _) => match best(conn, row)? {
            Some((org, amount)) => Outcome::Sold { org, amount },
            None => match model::intents(conn, row.id)?.into_iter().next() {
                Some(i) => Outcome::Sold {
                    org: i.org_id,
                    amount: i.amount_fen,
                },
                None => Outcome::Unsold,
            },
        },
        (Mode::Auction, _) => match best(conn, row)? {
            Some((org, amount)) => Outcome::Sold { org, amount },
            None => Outcome::Unsold,
        },
    })
}

/// Whether the achievement is still on the market (it may have been withdrawn meanwhile).
fn still_published(conn: &mut AnyConnection, achievement_id: i64) -> QueryResult<bool> {
    let status: String = achievements::table
        .find(achievement_id)
        .select(achievements::status)
        .first(conn)?;
    Ok(status == Status::Published.as_str())
}

fn sell(
    conn: &mut AnyConnection,
    reg: &Registry,
    row: &OfferingRow,
    org: i64,
    amount: i64,
) -> Result<(), ApiError> {
    let ip: String = achievements::table
        .find(row.achievement_id)
        .select(achievements::ip_items)
        .first(conn)?;
    let (kind, sub_kind) = contract_kind(&row.transfer_mode, &ip);
    let sale = Sale {
        kind,
        sub_kind,
        seller_org_id: row.org_id,
        buyer_org_id: org,
        achievement_id: row.achievement_id,
        offering_id: row.id,
        amount_fen: amount,
        offered_by: row.created_by,
    };
    let contract = record_sale(conn, &sale)?;
    let view = crate::contracts::views::view(conn, reg, contract)?;
    audit::record(
        conn,
        Change {
            actor_id: None,
            action: "contract.create",
            entity: "contract",
            entity_id: Some(view.id),
            before: None,
            after: audit::snapshot(&view),
        },
    )?;
    let at = now();
    diesel::update(offerings::table.find(row.id))
        .set((
            offerings::status.eq(OfferingStatus::Sold.as_str()),
            offerings::winner_org_id.eq(org),
            offerings::contract_id.eq(view.id),
            offerings::closed_at.eq(at),
            offerings::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

fn set_status(conn: &mut AnyConnection, id: i64, status: OfferingStatus) -> QueryResult<()> {
    let at = now();
    diesel::update(offerings::table.find(id))
        .set((
            offerings::status.eq(status.as_str()),
            offerings::closed_at.eq(at),
            offerings::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Opens the run-off among several intents: bids from the listed price, for `rules.runoff`.
fn start_runoff(
    conn: &mut AnyConnection,
    row: &OfferingRow,
    rules: &Rules,
) -> QueryResult<chrono::NaiveDateTime> {
    let at = now();
    let closes = at + rules.runoff;
    diesel::update(offerings::table.find(row.id))
        .set((
            offerings::status.eq(OfferingStatus::Runoff.as_str()),
            offerings::closes_at.eq(closes),
            offerings::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(closes)
}

/// The scheduler's job: closes offering `id` if its window has ended; asks to run again at
/// the new close when a late bid moved it, or when a run-off starts. Idempotent: a closed
/// offering is left as it is.
pub fn close(
    conn: &mut AnyConnection,
    rules: &Rules,
    reg: &Registry,
    id: i64,
) -> Result<Next, ApiError> {
    let Some(row) = model::find_locked(conn, id)? else {
        return Ok(Next::Done);
    };
    if !row.status()?.is_open() {
        return Ok(Next::Done);
    }
    if row.closes_at > now() {
        return Ok(Next::At(row.closes_at));
    }
    let before = views::view(conn, row.clone(), Viewer::full())?;
    let outcome = if still_published(conn, row.achievement_id)? {
        decide(conn, &row)?
    } else {
        Outcome::Unsold
    };
    let (next, told) = match outcome {
        Outcome::Unsold => {
            set_status(conn, id, OfferingStatus::Unsold)?;
            (Next::Done, "unsold")
        }
        Outcome::Runoff => (Next::At(start_runoff(conn, &row, rules)?), "runoff"),
        Outcome::Sold { org, amount } => {
            sell(conn, reg, &row, org, amount)?;
            (Next::Done, "sold")
        }
    };
    let bidders = model::bids(conn, id)?.into_iter().map(|b| b.org_id);
    let orgs = std::iter::once(row.org_id).chain(bidders);
    crate::notify::on::offering_closed(conn, id, row.achievement_id, orgs, told)?;
    let after = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Offering"))?;
    let after = views::view(conn, after, Viewer::full())?;
    audit::record(
        conn,
        Change {
            actor_id: None,
            action: "offering.close",
            entity: "offering",
            entity_id: Some(id),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )?;
    Ok(next)
}
