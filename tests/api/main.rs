//! Black-box tests over HTTP: one binary, each test its own app and database.
//! Run against PostgreSQL by setting `TT_TEST_DATABASE_URL` (a server URL whose user may
//! create databases); SQLite otherwise.

mod accounts;
mod audit;
mod auth;
mod authz;
mod bookmarks;
mod challenges;
mod check_order;
mod contracts;
mod dashboard;
mod deals;
mod email;
mod errors;
mod faults;
mod files;
mod helpers;
mod hostile;
mod housekeeping;
mod i18n;
mod inquiries;
mod listings;
mod loadgen;
mod match_quality;
mod notifications;
mod offerings;
mod openapi;
mod people;
mod pool;
mod readme;
mod saved_searches;
mod schema;
mod search_api;
mod search_conformance;
mod search_relevance;
mod security;
mod seed;
mod spec_contract;
mod stats;
mod stats_cache;
mod stats_periods;
mod stats_reports;
mod system;
mod unknown_params;
