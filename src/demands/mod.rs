//! Demands (技术需求) posted by enterprises, including open challenges (揭榜挂帅) with a
//! bounty; same review lifecycle as achievements, then `closed`, or `expired` once past
//! `valid_until`.

pub mod model;
pub mod store;

pub use store::{Board, DemandStore, NoBoard};
