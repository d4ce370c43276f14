//! Deals (对接): a broker takes one achievement and one demand towards a contract through
//! `recommended → contacted → negotiating → signed | lost`. Stages only move forward; `lost`
//! is reachable from any open stage and needs a reason and a note. Every change carries the
//! `version` it read (a stale one is a 409) and adds an event to the deal's timeline.
//!
//! - [`model`] holds rows with typed states (`Stage`, `EventKind`) and the queries on the
//!   deal tables, the only place that writes them.
//! - [`views`] shows deals to the API (parties, timeline, match) and lists them by scope.
//! - [`pipeline`] holds the operations: `open` a deal on a published pair, `advance` it
//!   (stage, note, follow-up date), `sign` it when its contract is confirmed (called by
//!   the contracts slice in its own transaction).
//! - [`engagements`] lists the deals on one achievement for its owners (a read the
//!   achievements slice composes into `GET /api/v1/achievements/{id}/engagements`).
//! - [`handlers`] answer `/api/v1/deals`.

pub mod engagements;
pub mod handlers;
pub mod model;
pub mod pipeline;
pub mod views;

pub use model::{DealRow, EventKind, Stage, find};
pub use pipeline::sign;
pub use views::{DealQuery, DealView};
