//! Offering and bid rows with their typed states, and the queries that read one offering.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{offering_bids, offerings};
use crate::states::code_enum;

code_enum!(
    /// How the price is set: at a listed price (挂牌) or by auction (拍卖).
    Mode, "offering mode" {
        Listed => "listed",
        Auction => "auction",
    }
);

code_enum!(
    /// Where an offering stands. `runoff`: a listed sale that drew several intents, now an
    /// auction among them starting at the listed price.
    OfferingStatus, "offering status" {
        Open => "open",
        Runoff => "runoff",
        Sold => "sold",
        Unsold => "unsold",
    }
);

code_enum!(
    /// An intent at the listed price (挂牌意向), or a bid in an auction or a run-off.
    BidKind, "bid kind" {
        Intent => "intent",
        Bid => "bid",
    }
);

impl OfferingStatus {
    pub fn is_open(self) -> bool {
        matches!(self, OfferingStatus::Open | OfferingStatus::Runoff)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offerings)]
pub struct OfferingRow {
    pub id: i64,
    pub achievement_id: i64,
    pub org_id: i64,
    pub created_by: i64,
    pub mode: String,
    pub status: String,
    pub transfer_mode: String,
    pub price_fen: Option<i64>,
    pub reserve_price_fen: Option<i64>,
    pub increment_fen: i64,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub initial_closes_at: NaiveDateTime,
    pub terms: String,
    pub best_bid_id: Option<i64>,
    pub best_amount_fen: Option<i64>,
    pub bid_count: i64,
    pub extensions: i32,
    pub winner_org_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OfferingRow {
    pub fn mode(&self) -> QueryResult<Mode> {
        Mode::read(&self.mode)
    }

    pub fn status(&self) -> QueryResult<OfferingStatus> {
        OfferingStatus::read(&self.status)
    }

    /// Whether bids are taken at `at`: open, and inside the window.
    pub fn accepts_bids(&self, at: NaiveDateTime) -> QueryResult<bool> {
        Ok(self.status()?.is_open() && self.opens_at <= at && at < self.closes_at)
    }

    /// The least amount the next bid may be: the listed price for an intent; in an
    /// auction the reserve, then the best bid plus the increment; in a run-off the listed
    /// price plus the increment, then the best bid plus the increment.
    pub fn minimum_next_fen(&self) -> QueryResult<i64> {
        let floor = match (self.mode()?, self.status()?) {
            (Mode::Listed, OfferingStatus::Open) => return Ok(self.price_fen.unwrap_or(0)),
            (Mode::Auction, _) if self.best_amount_fen.is_none() => {
                return Ok(self.reserve_price_fen.unwrap_or(0));
            }
            (Mode::Auction, _) => self.best_amount_fen,
            (Mode::Listed, _) => self.best_amount_fen.or(self.price_fen),
        };
        Ok(floor.unwrap_or(0).saturating_add(self.increment_fen))
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offering_bids)]
pub struct BidRow {
    pub id: i64,
    pub offering_id: i64,
    pub org_id: i64,
    pub bidder_id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<OfferingRow>> {
    offerings::table
        .find(id)
        .select(OfferingRow::as_select())
        .first(conn)
        .optional()
}

/// The offering, locked for the rest of the transaction on PostgreSQL, so concurrent
/// bids and the close of one offering run one after the other (SQLite writers are
/// serialised already): two bids at the same amount can never both be accepted.
pub fn find_locked(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<OfferingRow>> {
    if let AnyConnection::Postgresql(c) = conn {
        let found = offerings::table
            .find(id)
            .select(offerings::id)
            .for_update()
            .first::<i64>(c)
            .optional()?;
        if found.is_none() {
            return Ok(None);
        }
    }
    find(conn, id)
}

/// The bids of an offering, oldest first.
pub fn bids(conn: &mut AnyConnection, offering_id: i64) -> QueryResult<Vec<BidRow>> {
    offering_bids::table
        .filter(offering_bids::offering_id.eq(offering_id))
        .order(offering_bids::id.asc())
        .select(BidRow::as_select())
        .load(conn)
}

/// The intents of a listed sale, oldest first.
pub fn intents(conn: &mut AnyConnection, offering_id: i64) -> QueryResult<Vec<BidRow>> {
    offering_bids::table
        .filter(offering_bids::offering_id.eq(offering_id))
        .filter(offering_bids::kind.eq(BidKind::Intent.as_str()))
        .order(offering_bids::id.asc())
        .select(BidRow::as_select())
        .load(conn)
}

/// The open offering of an achievement, if any.
pub fn open_for(conn: &mut AnyConnection, achievement_id: i64) -> QueryResult<Option<i64>> {
    let open = [
        OfferingStatus::Open.as_str(),
        OfferingStatus::Runoff.as_str(),
    ];
    offerings::table
        .filter(offerings::achievement_id.eq(achievement_id))
        .filter(offerings::status.eq_any(open))
        .select(offerings::id)
        .first(conn)
        .optional()
}
