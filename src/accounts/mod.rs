//! Orgs, users and invitations.

pub mod handlers;
pub mod invitations;
pub mod model;
pub mod registration;
