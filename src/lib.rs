//! Backend of the Qinchuangyuan (秦创原) technology exchange.
//!
//! Universities and institutes publish research achievements, enterprises post demands,
//! brokers take matches to signed contracts, statisticians sum contract turnover. The
//! product brief is `../shared/DESIGN.md`; the HTTP interface is `openapi.yaml`.
//!
//! Map of the crate:
//!
//! | module | what lives there |
//! | --- | --- |
//! | [`config`] | typed settings: defaults < `tt.toml` < `TT_*` env vars, secrets masked |
//! | [`startup`] | builds the server: data-dir lock, database + migrations, middleware |
//! | [`routes`] | every route in one table (the OpenAPI test reads it too) |
//! | [`body`] | JSON bodies parsed by the handler after authorization and existence checks |
//! | [`error`] | the one API error type, its bilingual code table, rendering in the request's language, human messages for extractor errors |
//! | [`db`] | SQLite/PostgreSQL connection enum, pool, migrations, `read`/`write` helpers |
//! | [`auth`] | passwords, JWT and refresh tokens, current-user extractor, policy, throttle |
//! | [`accounts`] | orgs, users (the admins' list and changes, one's own profile and password), invitations, names of people and orgs for views |
//! | [`listings`] | what both listings share: `store` (the traits a type plugs in), `lifecycle` (operations), history, generic handlers |
//! | [`achievements`] | achievements (成果) and the yearly hundred-achievements pool |
//! | [`demands`] | enterprise demands (技术需求) and open challenges (揭榜挂帅) |
//! | [`challenges`] | challenge applications (揭榜), decisions, milestones and bounty payouts; the board a demand shows |
//! | [`search`] | `SearchEngine` trait, embedded (tantivy + jieba) and Meilisearch engines, outbox, reindex |
//! | [`matching`] | candidates from search, the feature scorer and its reasons |
//! | [`deals`] | the broker's pipeline: stages, versions, timeline; signed when its contract is confirmed |
//! | [`files`] | uploads (type from content, dedup by SHA-256, quotas), attachments to achievements, demands, applications, milestones, contracts and orgs, ranged downloads, thumbnails, the collector; local or S3 store |
//! | [`contracts`] | technology contracts by consent, amendments, registration (认定登记) with numbers, rollups |
//! | [`offerings`] | listed sales (挂牌) and auctions (拍卖) of achievements: bids serialised by a row lock, anti-sniping, closes that record the contract |
//! | [`publicity`] | agreed prices made public (协议定价公示), objections, and the rule that holds back confirmation meanwhile |
//! | [`alerts`] | saved searches (same parameters as the public searches) and alerts: new listings matching a saved search, or entering a listing's top 10 matches, announced off the request path |
//! | [`bookmarks`] | bookmarks of listings per user, and the counts a listing's org sees (no identities) |
//! | [`inquiries`] | questions about a listing: one thread per asking org, read by the two orgs and admins, rate-limited, notified |
//! | [`notify`] | domain events → per-user notifications (inbox), delivery settings, SMTP email with retries, the daily sweep of due dates and digests |
//! | [`scheduler`] | due jobs (offering closes) claimed once across servers, caught up after downtime |
//! | [`stats`] | turnover sums by any grouping (JSON, CSV, XLSX, SVG charts) with 同比/环比, yearly targets, the overview by chain, reports (chain quarter, conversion, brokers) |
//! | [`dashboard`] | the statistics page in the browser, embedded in the binary |
//! | [`housekeeping`] | hourly deletes of expired refresh tokens, old idempotency keys and sign-in failures |
//! | [`tools`] | the operator's tooling, apart from the domain: `seed-demo`, `gen-data`, `loadgen` |
//! | [`audit`] | the audit trail, written in the same transaction as each change |
//! | [`taxonomy`] | fixed vocabularies (chains, fields, regions, ...) with labels |
//! | [`system`] | health, readiness, metrics, spec, taxonomy and error-table endpoints |
//! | [`metrics`] | request counters, latency histograms and the access log |
//! | [`http`] | security headers, CORS, rate limits, request timeouts |
//! | [`pagination`], [`validate`] | list paging; the one module of field rules (text, names, codes, TRL, dates, email) |
//! | [`format`] | money in 万元/元 and ratios in percent, as people read them |
//! | [`states`] | `code_enum!`: typed states stored as codes, read strictly |
//! | [`clock`] | `now()` for stored timestamps, `today()` for dates |
//! | [`cli`] | the subcommands of the binary |

pub mod accounts;
pub mod achievements;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod body;
pub mod bookmarks;
pub mod challenges;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contracts;
pub mod dashboard;
pub mod db;
pub mod deals;
pub mod demands;
pub mod error;
pub mod files;
pub mod format;
pub mod housekeeping;
pub mod http;
pub mod inquiries;
pub mod listings;
pub mod matching;
pub mod metrics;
pub mod notify;
pub mod offerings;
pub mod pagination;
pub mod publicity;
pub mod routes;
pub mod scheduler;
pub mod search;
pub mod startup;
pub mod state;
pub mod states;
pub mod stats;
pub mod system;
pub mod taxonomy;
pub mod telemetry;
pub mod tools;
pub mod validate;
