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
        down.push(("数据库", "the database"));
    }
    if !search.available {
        down.push(("搜索引擎", "the search engine"));
    }
    if !down.is_empty() {
        let zh: Vec<&str> = down.iter().map(|d| d.0).collect();
        let en: Vec<&str> = down.iter().map(|d| d.1).collect();
        return Err(ApiError::with_detail(
            ErrorCode::NotReady,
            format!("服务尚未就绪：{}不可用。", zh.join("和")),
            format!("Not ready: {} is unavailable.", en.join(" and ")),
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

pub async fn taxonomy(_no_query: crate::error::NoQuery) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .json(taxonomy::taxonomy_json())
}

/// Every code with its messages in both languages; `message` is in the request's.
pub async fn errors(_no_query: crate::error::NoQuery) -> HttpResponse {
    let lang = crate::error::i18n::current();
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_LANGUAGE, lang.tag()))
        .json(json!({ "items": code_table(lang) }))
}

/// Unknown routes get the same JSON error shape as everything else.
pub async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::RouteNotFound))
}

pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::MethodNotAllowed))
}
