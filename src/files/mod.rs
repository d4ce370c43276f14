//! Files (附件): uploads, their attachment to achievements, demands, challenge
//! applications, milestone reports, contracts and org verification, downloads with
//! ranges, thumbnails of pictures, and the collector of files nothing references.
//!
//! - [`store`]: the `FileStore` trait; the local directory (temp name, fsync, rename) and
//!   an S3-compatible bucket.
//! - [`upload`]: one multipart file streamed into staging, hashed, cut off at the limit.
//! - [`detect`]: the type from the content (an allow-list), bounded looks into ZIPs, names.
//! - [`range`]: `Range` headers.
//! - [`model`]: blob, file and attachment rows; the typed parents and slots.
//! - [`access`]: who reads and who attaches, per parent, from the parent's own rules.
//! - [`lifecycle`]: reserve/record an upload, read, attach, detach, list, collect.
//! - [`collector`]: the periodic removal of unreferenced files and bytes.
//! - [`thumbs`]: thumbnails, decoded with bounded dimensions and memory off the workers.
//! - [`handlers`]: `/api/v1/files`, `/api/v1/attachments`.

pub mod access;
pub mod collector;
pub mod detect;
pub mod handlers;
pub mod lifecycle;
pub mod model;
pub mod range;
pub mod store;
pub mod thumbs;
pub mod upload;

pub use lifecycle::require_contract_text;
pub use model::{Parent, Slot};
