//! Turnover statistics (技术合同成交额): sums of contract amounts (signed + amendments),
//! grouped by any of the dimensions of [`Dim`], exact to the fen, as JSON, CSV or XLSX;
//! yearly targets; the overview by industry chain.
//!
//! - [`query`] parses the query string into a [`TurnoverQuery`] (dimensions, period,
//!   [`Basis`]) and the answer's [`Format`].
//! - [`turnover`] builds the SQL and labels the groups. Groupings by time and at most one
//!   other dimension, over whole months, read the monthly rollups kept by
//!   `contracts::rollups` (milliseconds at a million contracts); any other request
//!   aggregates the `contracts` table itself. Both give the same answer (tested).
//! - [`periods`] adds the empty periods of a time series as zero rows.
//! - [`export`] writes the table as JSON, CSV (formula-safe) and XLSX.
//! - [`targets`] keeps each year's target and reports progress towards it.
//! - [`chains`] sums achievements, demands, deals and contracts by industry chain (today,
//!   or within one year); [`chains_export`] writes that overview as CSV and XLSX.
//! - [`cache`] keeps rendered turnover answers per statistics version (exact on one
//!   server, at most one poll interval behind another server's commit).
//! - [`handlers`] answer `/api/v1/stats`.
//!
//! Statistics only read other slices' tables; the one table they write is `stats_targets`.

pub mod brokers;
pub mod cache;
pub mod chains;
pub mod chains_export;
pub mod chart;
pub mod compare;
pub mod conversion;
pub mod export;
pub mod handlers;
pub mod periods;
pub mod quarterly;
pub mod query;
pub mod sheet;
pub mod targets;
pub mod turnover;

pub use export::{to_csv, to_xlsx};
pub use query::{Basis, Dim, Format, TurnoverQuery};
pub use targets::{NewTarget, TargetProgress};
pub use turnover::{Row, Totals, turnover};
