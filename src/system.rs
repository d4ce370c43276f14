//! Operational endpoints: liveness, readiness, metrics, the spec, the vocabularies and the
//! error-code table.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use serde_json::json;

use crate::error::{ApiError, ErrorCode, code_table};
use crate::search::SearchEngine;
use crate::state::AppData;
use crate::taxonomy;

/// The spec served at `/openapi.yaml`, compiled in so it always matches this build.
pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when the database and the search engine answer; the message names what is down.
pub async fn ready(state: AppData) -> Result<HttpResponse, ApiError> {
    let database = state.db.ping().await;
    let search = state.engine.health().await;
    let mut down = Vec::new();
    if database.is_err() {
        down.push("the database");
    }
    if !search.available {
        down.push("the search engine");
    }
    if !down.is_empty() {
        return Err(ApiError::with_message(
            ErrorCode::NotReady,
            format!("Not ready: {} is unavailable.", down.join(" and ")),
        )
        .retry_after(5)
        .with_cause(anyhow::anyhow!(
            "database: {database:?}; search: {:?}",
            search.error
        )));
    }
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok", "search": "ok"})))
}

pub async fn metrics(state: AppData) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(OPENAPI_YAML)
}

pub async fn taxonomy() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .json(taxonomy::taxonomy_json())
}

pub async fn errors() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "items": code_table() }))
}

/// Unknown routes get the same JSON error shape as everything else.
pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::RouteNotFound))
}

pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::MethodNotAllowed))
}
