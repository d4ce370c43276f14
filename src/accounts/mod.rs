//! Orgs, users and invitations.
//!
//! - [`model`] holds the rows, their API views and the queries on `orgs` and `users`.
//! - [`names`] loads the names of the users and orgs a page of records involves, for the
//!   other slices' answers.
//! - [`registration`] (self-registration), [`invitations`] and [`users`] (the admin's
//!   user list and changes, a user's own profile) are the operations.
//! - [`handlers`] answer `/api/v1/users` and `/api/v1/orgs/*`.

pub mod handlers;
pub mod invitations;
pub mod model;
pub mod names;
pub mod registration;
pub mod users;
