//! Offering an achievement and bidding on it. Each operation takes a connection inside the
//! caller's write transaction and typed input; the input is read (a closure) only once
//! the caller is known to be allowed and the target to exist.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use super::model::{self, BidKind, BidRow, Mode, OfferingRow, OfferingStatus};
use crate::achievements::model::AchievementRow;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::MAX_CONTRACT_FEN;
use crate::db::AnyConnection;
use crate::db::schema::{offering_bids, offerings};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::listings::fields::from_json;
use crate::validate;

/// The job kind that closes an offering.
pub const CLOSE_JOB: &str = "offering.close";

/// The operator's rules for offerings (from settings).
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub min_window: Duration,
    /// A bid this close to the close moves it this much later (anti-sniping).
    pub extension: Duration,
    /// How long a listed sale's run-off auction among its intents lasts.
    pub runoff: Duration,
}

impl Rules {
    pub fn from_settings(s: &crate::config::Settings) -> Rules {
        // Ten years at most, so a mistyped setting cannot overflow a timestamp.
        let secs = |v: u64| Duration::seconds(i64::try_from(v.min(10 * 366 * 86_400)).unwrap_or(0));
        Rules {
            min_window: secs(s.offering_min_window_secs),
            extension: secs(s.offering_extension_secs),
            runoff: secs(s.offering_runoff_secs),
        }
    }
}

/// The body of `POST /api/v1/achievements/{id}/offerings`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOffering {
    pub mode: Mode,
    pub transfer_mode: String,
    pub price_fen: Option<i64>,
    pub reserve_price_fen: Option<i64>,
    pub increment_fen: Option<i64>,
    /// Defaults to now.
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: DateTime<Utc>,
    pub terms: Option<String>,
}

/// An offering as checked at the edge.
#[derive(Debug, Clone)]
struct Valid {
    mode: Mode,
    transfer_mode: String,
    price_fen: Option<i64>,
    reserve_price_fen: Option<i64>,
    increment_fen: i64,
    opens_at: NaiveDateTime,
    closes_at: NaiveDateTime,
    terms: String,
}

fn invalid(field: &'static str, zh: String, en: String) -> ApiError {
    ApiError::with_detail(ErrorCode::InvalidOffering, zh, en).field(field)
}

fn fen(value: Option<i64>, field: &'static str) -> Result<Option<i64>, ApiError> {
    match value {
        Some(v) if !(1..=MAX_CONTRACT_FEN).contains(&v) => Err(invalid(
            field,
            format!("{field} 应为 1 到 {MAX_CONTRACT_FEN} 之间以分计的整数。"),
            format!("`{field}` must be an integer number of fen from 1 to {MAX_CONTRACT_FEN}."),
        )),
        v => Ok(v),
    }
}

fn required(value: Option<i64>, field: &'static str, mode: &str) -> Result<i64, ApiError> {
    value.ok_or_else(|| {
        invalid(
            field,
            format!("{mode} 需要 {field}。"),
            format!("A {mode} offering needs `{field}`."),
        )
    })
}

fn absent(value: Option<i64>, field: &'static str, mode: &str) -> Result<(), ApiError> {
    match value {
        Some(_) => Err(invalid(
            field,
            format!("{mode} 不接受 {field}。"),
            format!("A {mode} offering takes no `{field}`."),
        )),
        None => Ok(()),
    }
}

/// Prices by mode: a listed sale has a price (and an increment for a run-off, 1% by
/// default), an auction a reserve and an increment.
fn prices(req: &NewOffering) -> Result<(Option<i64>, Option<i64>, i64), ApiError> {
    let price = fen(req.price_fen, "price_fen")?;
    let reserve = fen(req.reserve_price_fen, "reserve_price_fen")?;
    let increment = fen(req.increment_fen, "increment_fen")?;
    match req.mode {
        Mode::Listed => {
            let price = required(price, "price_fen", "listed")?;
            absent(reserve, "reserve_price_fen", "listed")?;
            Ok((Some(price), None, increment.unwrap_or((price / 100).max(1))))
        }
        Mode::Auction => {
            absent(price, "price_fen", "auction")?;
            let reserve = required(reserve, "reserve_price_fen", "auction")?;
            let increment = required(increment, "increment_fen", "auction")?;
            Ok((None, Some(reserve), increment))
        }
    }
}

/// The window: it may open now or later (a minute of clock skew forgiven), stays open at
/// least the operator's minimum, and closes within a year.
fn window(
    req: &NewOffering,
    rules: &Rules,
    at: NaiveDateTime,
) -> Result<(NaiveDateTime, NaiveDateTime), ApiError> {
    let opens = req.opens_at.map(|t| t.naive_utc()).unwrap_or(at).max(at);
    if req
        .opens_at
        .is_some_and(|t| t.naive_utc() < at - Duration::minutes(1))
    {
        return Err(invalid(
            "opens_at",
            "opens_at（开始时间）不能早于现在。".into(),
            "`opens_at` cannot be in the past.".into(),
        ));
    }
    let closes = req.closes_at.naive_utc();
    let secs = rules.min_window.num_seconds();
    if closes < opens + rules.min_window || closes > at + Duration::days(366) {
        return Err(invalid(
            "closes_at",
            format!("closes_at（截止时间）应晚于开始时间至少 {secs} 秒，且在一年之内。"),
            format!("`closes_at` must be at least {secs} s after the opening and within a year."),
        ));
    }
    Ok((
        crate::clock::truncate(opens),
        crate::clock::truncate(closes),
    ))
}

fn check(req: NewOffering, rules: &Rules, at: NaiveDateTime) -> Result<Valid, ApiError> {
    let (price_fen, reserve_price_fen, increment_fen) = prices(&req)?;
    let (opens_at, closes_at) = window(&req, rules, at)?;
    let terms = req.terms.as_deref().unwrap_or("");
    Ok(Valid {
        mode: req.mode,
        transfer_mode: req.transfer_mode,
        price_fen,
        reserve_price_fen,
        increment_fen,
        opens_at,
        closes_at,
        terms: validate::text(terms, "terms", 0, 5000, ErrorCode::InvalidOffering)?,
    })
}

/// The achievement as its reader may see it: 404 unless published, or the reader's own.
pub fn visible_achievement(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<AchievementRow, ApiError> {
    let (row, _) = crate::achievements::model::find(conn, id)?
        .ok_or_else(|| ApiError::not_found("Achievement"))?;
    let published = row.status()? == Status::Published;
    if published || policy::sees_every_status(user, row.org_id) {
        Ok(row)
    } else {
        Err(ApiError::not_found("Achievement"))
    }
}

/// The achievement's owner may set its price: it must be published and offer that mode.
pub fn check_priceable(row: &AchievementRow, transfer_mode: &str) -> Result<(), ApiError> {
    if row.status()? != Status::Published {
        return Err(ApiError::new(ErrorCode::NotPublished));
    }
    let modes: Vec<String> = from_json(&row.transfer_modes);
    if !modes.iter().any(|m| m == transfer_mode) {
        let accepted: Vec<&str> = modes.iter().map(String::as_str).collect();
        return Err(ApiError::one_of(
            ErrorCode::TransferModeNotOffered,
            "transfer_mode",
            transfer_mode,
            &accepted,
        ));
    }
    Ok(())
}

/// Offers a published achievement at a listed price or by auction, and schedules its
/// close. One open offering per achievement.
pub fn offer(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    rules: &Rules,
    achievement_id: i64,
    input: impl FnOnce() -> Result<NewOffering, ApiError>,
) -> Result<OfferingRow, ApiError> {
    let a = visible_achievement(conn, Some(user), achievement_id)?;
    policy::authorize(user, Action::PriceAchievement { org_id: a.org_id })?;
    let at = now();
    let v = check(input()?, rules, at)?;
    check_priceable(&a, &v.transfer_mode)?;
    if model::open_for(conn, a.id)?.is_some() {
        return Err(ApiError::new(ErrorCode::OfferingExists));
    }
    let id: i64 = diesel::insert_into(offerings::table)
        .values((
            (
                offerings::achievement_id.eq(a.id),
                offerings::org_id.eq(a.org_id),
                offerings::created_by.eq(user.id),
                offerings::mode.eq(v.mode.as_str()),
                offerings::status.eq(OfferingStatus::Open.as_str()),
                offerings::transfer_mode.eq(&v.transfer_mode),
                offerings::price_fen.eq(v.price_fen),
                offerings::reserve_price_fen.eq(v.reserve_price_fen),
                offerings::increment_fen.eq(v.increment_fen),
                offerings::opens_at.eq(v.opens_at),
                offerings::closes_at.eq(v.closes_at),
                offerings::initial_closes_at.eq(v.closes_at),
            ),
            (
                offerings::terms.eq(&v.terms),
                offerings::bid_count.eq(0),
                offerings::extensions.eq(0),
                offerings::created_at.eq(at),
                offerings::updated_at.eq(at),
            ),
        ))
        .returning(offerings::id)
        .get_result(conn)?;
    crate::scheduler::schedule(conn, CLOSE_JOB, id, v.closes_at)?;
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Offering"))
}

/// The body of `POST /api/v1/offerings/{id}/bids`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBid {
    pub amount_fen: i64,
}

fn too_low(min: i64) -> ApiError {
    ApiError::with_detail(
        ErrorCode::BidTooLow,
        format!("出价至少应为 {min} 分。"),
        format!("The bid must be at least {min} fen."),
    )
    .field("amount_fen")
}

/// Why `org` may not place this bid on `row` now, if it may not.
fn check_bid(
    conn: &mut AnyConnection,
    row: &OfferingRow,
    org: i64,
    amount: i64,
) -> Result<BidKind, ApiError> {
    let has_intent = model::intents(conn, row.id)?
        .iter()
        .any(|b| b.org_id == org);
    match (row.mode()?, row.status()?) {
        (Mode::Listed, OfferingStatus::Open) => {
            if Some(amount) != row.price_fen {
                return Err(ApiError::new(ErrorCode::BidNotListedPrice).field("amount_fen"));
            }
            if has_intent {
                return Err(ApiError::new(ErrorCode::IntentExists));
            }
            Ok(BidKind::Intent)
        }
        (Mode::Listed, _) if !has_intent => Err(ApiError::new(ErrorCode::NotInRunoff)),
        _ => {
            let min = row.minimum_next_fen()?;
            if amount < min {
                return Err(too_low(min));
            }
            Ok(BidKind::Bid)
        }
    }
}

fn bid_org(conn: &mut AnyConnection, bid: i64) -> QueryResult<i64> {
    offering_bids::table
        .find(bid)
        .select(offering_bids::org_id)
        .first(conn)
}

/// Registers an intent at the listed price, or a bid in an auction or a run-off. Bids of
/// one offering are serialised by its row lock, so each is checked against the best bid
/// committed before it. A bid within the extension window of the close moves the close
/// later by that window (anti-sniping); the close job notices when it runs.
pub fn bid(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    rules: &Rules,
    id: i64,
    input: impl FnOnce() -> Result<NewBid, ApiError>,
) -> Result<(OfferingRow, BidRow), ApiError> {
    let row = model::find_locked(conn, id)?.ok_or_else(|| ApiError::not_found("Offering"))?;
    policy::authorize(
        user,
        Action::Bid {
            seller_org: row.org_id,
        },
    )?;
    let amount = input()?.amount_fen;
    if !(1..=MAX_CONTRACT_FEN).contains(&amount) {
        return Err(ApiError::new(ErrorCode::InvalidAmounts).field("amount_fen"));
    }
    let at = now();
    if !row.accepts_bids(at)? {
        return Err(ApiError::new(ErrorCode::BiddingClosed));
    }
    let kind = check_bid(conn, &row, user.org_id, amount)?;
    let bid_id: i64 = diesel::insert_into(offering_bids::table)
        .values((
            offering_bids::offering_id.eq(id),
            offering_bids::org_id.eq(user.org_id),
            offering_bids::bidder_id.eq(user.id),
            offering_bids::kind.eq(kind.as_str()),
            offering_bids::amount_fen.eq(amount),
            offering_bids::created_at.eq(at),
        ))
        .returning(offering_bids::id)
        .get_result(conn)?;
    let snipe = kind == BidKind::Bid && row.closes_at - at <= rules.extension;
    let closes_at = if snipe {
        row.closes_at + rules.extension
    } else {
        row.closes_at
    };
    let (best_id, best_amount) = match kind {
        BidKind::Bid => (Some(bid_id), Some(amount)),
        BidKind::Intent => (row.best_bid_id, row.best_amount_fen),
    };
    diesel::update(offerings::table.find(id))
        .set((
            offerings::best_bid_id.eq(best_id),
            offerings::best_amount_fen.eq(best_amount),
            offerings::bid_count.eq(row.bid_count + 1),
            offerings::closes_at.eq(closes_at),
            offerings::extensions.eq(row.extensions + i32::from(snipe)),
            offerings::updated_at.eq(at),
        ))
        .execute(conn)?;
    let overtaken = match (kind, row.best_bid_id) {
        (BidKind::Bid, Some(best)) => Some(bid_org(conn, best)?).filter(|o| *o != user.org_id),
        _ => None,
    };
    let parties = (row.achievement_id, row.org_id);
    crate::notify::on::offering_bid(conn, id, parties, overtaken, user.id)?;
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Offering"))?;
    let bid = offering_bids::table
        .find(bid_id)
        .select(BidRow::as_select())
        .first(conn)?;
    Ok((row, bid))
}
