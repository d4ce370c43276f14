//! What every handler can reach: the database, token keys, settings, metrics and the HTTP
//! policy. Middleware reads its own parts (`HttpPolicy`, `Metrics`, `TokenKeys`), which
//! the app registers on their own, so `http` and `metrics` do not depend on this module.

use std::sync::Arc;

use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::http::HttpPolicy;
use crate::metrics::Metrics;
use crate::search::Engine;

pub struct AppState {
    pub db: Db,
    pub engine: Engine,
    pub keys: Arc<TokenKeys>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Security headers, CORS, rate limits and timeouts (see `crate::http`).
    pub http: Arc<HttpPolicy>,
    /// Where uploaded files live (local directory or S3) and where uploads are staged.
    pub files: Arc<crate::files::store::Files>,
    /// Listing reads counted in memory and written in batches (see `listings::views`).
    pub views: Arc<crate::listings::views::Views>,
    /// Rendered turnover answers per statistics version (see `stats::cache`).
    pub stats_cache: Arc<crate::stats::cache::AnswerCache>,
}

/// The extractor handlers take: `state: AppData`.
pub type AppData = actix_web::web::Data<AppState>;
