//! Notifications: what concerns a user reaches them, in an inbox and by email.
//!
//! A slice that changes something someone should hear of calls [`emit`] with a [`Notice`]
//! (kind, audience, texts in Chinese and English, a link to the item's API path) inside its
//! own transaction: the event lands with the change or not at all (an outbox,
//! `notification_events`). The [`worker`] turns events into one inbox row per user of the
//! audience (`notifications`, unique per user and key, so an event processed twice or a
//! daily sweep run twice lands once) and, for users who asked for it, one queued email
//! (`email_deliveries`, one per notification). The [`mail`] worker sends those through
//! SMTP off the request path, with retries and backoff. Time-based notices (milestones due,
//! follow-ups, expiring listings) and daily digests come from the [`sweep`], one scheduler
//! job that fires once a day across servers.
//!
//! Texts carry only what every recipient may read: titles, names of orgs, states and dates,
//! never a gated field (details, contacts, amounts, review comments of others' listings).

pub mod events;
pub mod handlers;
pub mod inbox;
pub mod kinds;
pub mod mail;
pub mod on;
pub mod prefs;
pub mod sweep;
pub mod texts;
pub mod worker;

pub use events::{Audience, Message, Notice, emit};
pub use kinds::{Kind, Mode};
