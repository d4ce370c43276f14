//! What every handler can reach: the database, token keys, settings and metrics.

use std::sync::Arc;

use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::search::Engine;

pub struct AppState {
    pub db: Db,
    pub engine: Engine,
    pub keys: TokenKeys,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
}

/// The extractor handlers take: `state: AppData`.
pub type AppData = actix_web::web::Data<AppState>;
