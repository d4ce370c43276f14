//! Offerings (挂牌 and 拍卖): the two public ways the Law on Promoting the Transformation of
//! Scientific and Technological Achievements (art. 18) lets a university or institute set
//! an achievement's price on a technology exchange. (The third, an agreed price made
//! public, is [`crate::publicity`].)
//!
//! - [`model`]: offering and bid rows with typed states (`Mode`, `OfferingStatus`,
//!   `BidKind`), the row lock that serialises bids.
//! - [`lifecycle`]: `offer` (schedules the close) and `bid` (intent at the listed price, or
//!   a bid at least the increment above the best; anti-sniping extension).
//! - [`closing`]: the scheduler's job that closes an offering; a sale records the contract
//!   between seller and winner awaiting both parties, through the contracts slice.
//! - [`views`]: the public view (bidders only for the seller and admins) and list.
//! - [`handlers`]: `/api/v1/offerings`, `POST /api/v1/achievements/{id}/offerings`.

pub mod closing;
pub mod handlers;
pub mod lifecycle;
pub mod model;
pub mod views;

use std::sync::Arc;

use crate::scheduler::{Handler, Jobs};

/// Adds the close of offerings to the scheduler's jobs.
pub fn jobs(jobs: Jobs, settings: &crate::config::Settings) -> Jobs {
    let rules = lifecycle::Rules::from_settings(settings);
    let reg = crate::contracts::Registry::from_settings(settings);
    let close: Handler = Arc::new(move |conn, id| closing::close(conn, &rules, &reg, id));
    jobs.with(lifecycle::CLOSE_JOB, close)
}
