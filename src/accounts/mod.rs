//! Orgs, users and invitations.
//!
//! - [`model`] holds the rows, their API views and the queries on `orgs` and `users`.
//! - [`names`] loads the names of the users and orgs a page of records involves, for the
//!   other slices' answers.

pub mod handlers;
pub mod invitations;
pub mod model;
pub mod names;
pub mod registration;
