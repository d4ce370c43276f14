//! Offerings as the API shows them, and the public list. Amounts and times of bids are
//! public (a market is fair only if everyone sees the price move); who bid is for the
//! seller and the exchange only, and each bidder recognises its own bids (`mine`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{self, BidKind, BidRow, Mode, OfferingRow, OfferingStatus};
use crate::accounts::names::{self, OrgRef};
use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::clock::{now, shanghai};
use crate::db::AnyConnection;
use crate::db::schema::{achievements, offerings};
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;

/// Who reads: the seller's members and admins see bidders; a bidder sees its own.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub sees_bidders: bool,
    pub org: Option<i64>,
}

impl Viewer {
    pub fn of(user: Option<&CurrentUser>, seller_org: i64) -> Viewer {
        Viewer {
            sees_bidders: policy::sees_bidders(user, seller_org),
            org: user.map(|u| u.org_id),
        }
    }

    /// The exchange's own view (audit trail, the scheduler).
    pub fn full() -> Viewer {
        Viewer {
            sees_bidders: true,
            org: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BidView {
    pub id: i64,
    pub kind: BidKind,
    pub amount_fen: i64,
    pub created_at: DateTime<Utc>,
    pub created_at_local: String,
    /// The bidder's org: for the seller and admins only (null for others).
    pub org: Option<OrgRef>,
    /// Whether the reader's org placed this bid.
    pub mine: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferingView {
    pub id: i64,
    pub achievement_id: i64,
    pub achievement_title: String,
    pub org_id: i64,
    pub seller_org: OrgRef,
    pub mode: Mode,
    pub status: OfferingStatus,
    pub transfer_mode: String,
    pub price_fen: Option<i64>,
    pub reserve_price_fen: Option<i64>,
    pub increment_fen: i64,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub initial_closes_at: DateTime<Utc>,
    /// The same times in Asia/Shanghai (UTC+8), as the exchange announces them.
    pub opens_at_local: String,
    pub closes_at_local: String,
    pub accepting_bids: bool,
    /// The best bid so far (auctions and run-offs).
    pub best_amount_fen: Option<i64>,
    /// The least the next bid may be, while bids are taken.
    pub minimum_next_bid_fen: Option<i64>,
    pub bid_count: i64,
    /// How many times a late bid moved the close (anti-sniping).
    pub extensions: i32,
    pub terms: String,
    /// The winner and the contract: for the seller, admins and the winner only.
    pub winner_org: Option<OrgRef>,
    pub contract_id: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The bid history, oldest first (one offering's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bids: Option<Vec<BidView>>,
}

fn bid_view(b: &BidRow, viewer: Viewer, orgs: &names::Names) -> BidView {
    BidView {
        id: b.id,
        kind: BidKind::read(&b.kind).unwrap_or(BidKind::Bid),
        amount_fen: b.amount_fen,
        created_at: b.created_at.and_utc(),
        created_at_local: shanghai(b.created_at),
        org: viewer.sees_bidders.then(|| orgs.org(b.org_id)).flatten(),
        mine: viewer.org == Some(b.org_id),
    }
}

fn one(
    r: OfferingRow,
    title: String,
    viewer: Viewer,
    orgs: &names::Names,
) -> QueryResult<OfferingView> {
    let accepting = r.accepts_bids(now())?;
    let sees_winner =
        viewer.sees_bidders || (viewer.org.is_some() && viewer.org == r.winner_org_id);
    Ok(OfferingView {
        id: r.id,
        achievement_id: r.achievement_id,
        achievement_title: title,
        org_id: r.org_id,
        seller_org: orgs.org_of(r.org_id)?,
        mode: r.mode()?,
        status: r.status()?,
        minimum_next_bid_fen: if accepting {
            Some(r.minimum_next_fen()?)
        } else {
            None
        },
        transfer_mode: r.transfer_mode,
        price_fen: r.price_fen,
        reserve_price_fen: r.reserve_price_fen,
        increment_fen: r.increment_fen,
        opens_at: r.opens_at.and_utc(),
        closes_at: r.closes_at.and_utc(),
        initial_closes_at: r.initial_closes_at.and_utc(),
        opens_at_local: shanghai(r.opens_at),
        closes_at_local: shanghai(r.closes_at),
        accepting_bids: accepting,
        best_amount_fen: r.best_amount_fen,
        bid_count: r.bid_count,
        extensions: r.extensions,
        terms: r.terms,
        winner_org: if sees_winner {
            r.winner_org_id.and_then(|o| orgs.org(o))
        } else {
            None
        },
        contract_id: if sees_winner { r.contract_id } else { None },
        closed_at: r.closed_at.map(|t| t.and_utc()),
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
        bids: None,
    })
}

fn titles(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    Ok(achievements::table
        .filter(achievements::id.eq_any(ids))
        .select((achievements::id, achievements::title))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Several offerings in three queries: the rows given, the titles, the org names.
pub fn views(
    conn: &mut AnyConnection,
    rows: Vec<(OfferingRow, Viewer)>,
) -> QueryResult<Vec<OfferingView>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.achievement_id).collect();
    let titles = titles(conn, &ids)?;
    let orgs = rows
        .iter()
        .flat_map(|(r, _)| [Some(r.org_id), r.winner_org_id])
        .flatten();
    let names = names::load(conn, [], orgs)?;
    rows.into_iter()
        .map(|(r, v)| {
            let title = titles.get(&r.achievement_id).cloned().unwrap_or_default();
            one(r, title, v, &names)
        })
        .collect()
}

/// One offering with its bid history.
pub fn view(
    conn: &mut AnyConnection,
    row: OfferingRow,
    viewer: Viewer,
) -> QueryResult<OfferingView> {
    let bids = model::bids(conn, row.id)?;
    let names = names::load(conn, [], bids.iter().map(|b| b.org_id))?;
    let mut v = views(conn, vec![(row, viewer)])?
        .pop()
        .ok_or(diesel::result::Error::NotFound)?;
    v.bids = Some(bids.iter().map(|b| bid_view(b, viewer, &names)).collect());
    Ok(v)
}

/// `GET /api/v1/offerings` filters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferingQuery {
    pub mode: Option<String>,
    pub status: Option<String>,
    pub chain: Option<String>,
    pub achievement_id: Option<i64>,
    /// Open offerings closing within this many hours, soonest first.
    pub closing_within_hours: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The filters, checked.
#[derive(Debug, Clone)]
pub struct Filters {
    mode: Option<Mode>,
    status: Option<OfferingStatus>,
    chain: Option<String>,
    achievement_id: Option<i64>,
    closing_within: Option<Duration>,
}

pub fn filters(q: &OfferingQuery) -> Result<Filters, ApiError> {
    let mode = q
        .mode
        .as_deref()
        .map(|m| {
            Mode::parse(m)
                .ok_or_else(|| ApiError::one_of(ErrorCode::InvalidQuery, "mode", m, Mode::CODES))
        })
        .transpose()?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            OfferingStatus::parse(s).ok_or_else(|| {
                ApiError::one_of(ErrorCode::InvalidQuery, "status", s, OfferingStatus::CODES)
            })
        })
        .transpose()?;
    let chain = q.chain.as_deref().map(crate::validate::chain).transpose()?;
    let closing_within = match q.closing_within_hours {
        Some(h) if !(1..=24 * 366).contains(&h) => {
            return Err(ApiError::with_detail(
                ErrorCode::InvalidQuery,
                "closing_within_hours 应为 1 到 8784 之间的整数。",
                "`closing_within_hours` must be an integer from 1 to 8784.",
            )
            .field("closing_within_hours"));
        }
        h => h.map(Duration::hours),
    };
    Ok(Filters {
        mode,
        status,
        chain,
        achievement_id: q.achievement_id,
        closing_within,
    })
}

fn filtered<'a>(
    f: &'a Filters,
) -> offerings::BoxedQuery<'a, <AnyConnection as diesel::Connection>::Backend> {
    let mut q = offerings::table.into_boxed();
    if let Some(m) = f.mode {
        q = q.filter(offerings::mode.eq(m.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(offerings::status.eq(s.as_str()));
    }
    if let Some(a) = f.achievement_id {
        q = q.filter(offerings::achievement_id.eq(a));
    }
    if let Some(c) = &f.chain {
        let in_chain = achievements::table
            .filter(achievements::chain.eq(c))
            .select(achievements::id);
        q = q.filter(offerings::achievement_id.eq_any(in_chain));
    }
    if let Some(w) = f.closing_within {
        let open = [
            OfferingStatus::Open.as_str(),
            OfferingStatus::Runoff.as_str(),
        ];
        q = q
            .filter(offerings::status.eq_any(open))
            .filter(offerings::closes_at.le(now() + w));
    }
    q
}

/// A page of offerings, as `user` may see them, and the total.
pub fn list(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    f: &Filters,
    page: Pagination,
) -> QueryResult<(Vec<OfferingView>, i64)> {
    let total: i64 = filtered(f).count().get_result(conn)?;
    let mut q = filtered(f);
    q = match f.closing_within {
        Some(_) => q.order((offerings::closes_at.asc(), offerings::id.asc())),
        None => q.order(offerings::id.desc()),
    };
    let rows: Vec<OfferingRow> = q
        .select(OfferingRow::as_select())
        .offset(page.offset())
        .limit(page.limit())
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let v = Viewer::of(user, r.org_id);
            (r, v)
        })
        .collect();
    Ok((views(conn, rows)?, total))
}
