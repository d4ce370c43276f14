//! A year and a half of the demo's contracts, so every statistic has shape: three a month
//! across the five kinds, the demo's universities and enterprises in their regions, two
//! in three brought by a demo broker, all confirmed by both parties and three in four
//! registered. Recorded through the contracts slice's own operations, like the rest.

use crate::auth::extract::CurrentUser;
use crate::contracts::consent;
use crate::contracts::model::Registry;
use crate::db::AnyConnection;
use crate::error::ApiError;

use super::contracts::{Deal, Member, actor, record, register};

/// How many contracts: three a month for eighteen months.
const COUNT: usize = 54;
/// The oldest is signed this many days ago.
const SPAN_DAYS: i64 = 540;

const KINDS: [(&str, Option<&str>); 10] = [
    ("development", Some("commissioned")),
    ("transfer", Some("patent")),
    ("licensing", Some("ordinary")),
    ("service", Some("training")),
    ("consulting", None),
    ("development", Some("cooperative")),
    ("licensing", Some("exclusive")),
    ("service", Some("brokerage")),
    ("transfer", Some("know_how")),
    ("service", Some("other")),
];

/// The parties of the demo's contracts.
pub(super) struct Parties<'a> {
    pub sellers: &'a [Member],
    pub buyers: &'a [Member],
    pub brokers: &'a [Member],
}

/// The `i`-th contract of the history: spread over kinds, parties, brokers, amounts and
/// the months (deterministic, so every run of a fresh demo is the same).
fn nth<'a>(p: &Parties<'_>, i: usize) -> Deal<'a> {
    let (kind, sub_kind) = KINDS[i % KINDS.len()];
    let broker = (i % 3 != 2 && !p.brokers.is_empty()).then(|| p.brokers[i % p.brokers.len()].1);
    let days = SPAN_DAYS * i64::try_from(i).unwrap_or(0) / i64::try_from(COUNT).unwrap_or(1);
    Deal {
        kind,
        sub_kind,
        seller: p.sellers[(i * 5) % p.sellers.len()],
        buyer: p.buyers[(i * 7 + 3) % p.buyers.len()],
        days_ago: 12 + days,
        wan_yuan: 20 + i64::try_from((i * 73) % 480).unwrap_or(0),
        // A transfer would take the seller's listing off the market; the others name it.
        link_achievement: kind != "transfer",
        broker,
    }
}

/// Records the history; the number of contracts recorded.
pub(super) fn seed(
    conn: &mut AnyConnection,
    admin: &CurrentUser,
    reg: &Registry,
    parties: &Parties<'_>,
) -> Result<usize, ApiError> {
    if parties.sellers.is_empty() || parties.buyers.is_empty() {
        return Ok(0);
    }
    for i in 0..COUNT {
        let deal = nth(parties, i);
        let id = record(conn, &deal, deal.buyer)?;
        consent::confirm(conn, &actor(deal.seller), id)?;
        if i % 4 != 3 {
            register(conn, admin, reg, id, deal.seller)?;
        }
    }
    Ok(COUNT)
}
