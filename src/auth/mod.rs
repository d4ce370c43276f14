//! Passwords, tokens, the current-user extractor, sign-in throttling, and the policy
//! module where every permission decision is made.

pub mod account;
pub mod extract;
pub mod handlers;
pub mod password;
pub mod policy;
pub mod throttle;
pub mod tokens;
