//! Technology contracts (技术合同): records both parties stand behind and the registry
//! has checked.
//!
//! - [`model`] holds rows with typed states (`Consent`, `RegistrationStatus`, `StatStatus`),
//!   views, queries.
//! - [`views`] shows contracts to the API and lists them by scope and filters.
//! - The operations: [`lifecycle`] `record` (and what every step shares), [`consent`]
//!   `confirm` | `decline`, [`amendments`] `amend` → `confirm_amendment` |
//!   `decline_amendment`, [`registration`] `request_registration` → `decide_registration`.
//!   A contract counts in statistics, signs its deal and transfers its achievement only
//!   once both parties confirmed it.
//! - [`registry`] assigns registration numbers, consecutive per year and registry point.
//! - [`rollups`] keeps monthly turnover sums in the same transaction as every change.
//! - [`idempotency`] stores the first answer of an `Idempotency-Key`.
//! - [`handlers`] answer `/api/v1/contracts`.
//!
//! Figures are never overwritten: amendments are rows, confirmed like contracts; an
//! amendment of a registered contract goes back to the registry, and statistics keep the
//! last verified figures meanwhile.

pub mod amendments;
pub mod consent;
pub mod handlers;
pub mod idempotency;
pub mod lifecycle;
pub mod model;
pub mod registration;
pub mod registry;
pub mod rollups;
pub mod views;

pub use model::{
    CONVERTING_KINDS, Consent, ContractRow, MAX_CONTRACT_FEN, RegistrationStatus, Registry,
    StatStatus, converted_achievements, converted_achievements_by,
};
pub use views::{ContractQuery, ContractView};
