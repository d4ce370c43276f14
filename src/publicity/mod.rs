//! Publicity of agreed prices (协议定价公示): the Law on Promoting the Transformation of
//! Scientific and Technological Achievements (art. 18) lets a university or institute set
//! a price by agreement, but the achievement's name and the proposed price must be made
//! public before the deal closes. Anyone may read them; verified members of other orgs
//! may object; the seller answers; the exchange closes objections.
//!
//! - [`model`]: publicity and objection rows with typed states.
//! - [`notices`]: `publish`, `object`, `answer`, `close`, and [`notices::guard`], the rule
//!   the contracts slice applies when a contract at that price would take effect
//!   (configurable: `publicity_blocks_confirmation`, on by default).
//! - [`views`], [`handlers`].

pub mod handlers;
pub mod model;
pub mod notices;
pub mod views;

pub use notices::guard;
