//! Turns actix's own extractor failures into the same JSON shape as every other error,
//! with human messages that name the field (see [`super::serde_text`]).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{Error, JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};

use super::{ApiError, ErrorCode, serde_text};
use crate::state::AppData;

/// The body of a JSON request, kept so that a deserialization error can be traced to
/// the field it is in: serde_json reports only a line and a column.
#[derive(Clone)]
struct RawJson(Bytes);

/// Reads a JSON body of known length within the size limit, keeps a copy for error
/// messages and hands the same bytes on. Other requests pass untouched (a too-large or
/// chunked body is left to the JSON extractor, which refuses or reads it as before).
pub async fn keep_json_body<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let limit = req
        .app_data::<AppData>()
        .map_or(0, |s| s.settings.max_body_bytes);
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if crate::body::is_json(req.headers()) && length.is_some_and(|n| n > 0 && n <= limit) {
        match req.extract::<Bytes>().await {
            Ok(bytes) => {
                req.extensions_mut().insert(RawJson(bytes.clone()));
                req.set_payload(Payload::from(bytes));
            }
            Err(_) => {
                let error = ApiError::new(ErrorCode::InvalidRequestBody);
                return Ok(req.error_response(error).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

pub fn json(err: JsonPayloadError, req: &HttpRequest) -> Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::with_detail(
            ErrorCode::PayloadTooLarge,
            format!("请求体超过了 {limit} 字节的上限。"),
            format!("The request body is larger than the limit of {limit} bytes."),
        ),
        JsonPayloadError::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType),
        JsonPayloadError::Deserialize(e) => {
            let body = req.extensions().get::<RawJson>().cloned();
            serde_text::body_error(e, body.as_ref().map(|b| &b.0[..]))
        }
        _ => ApiError::new(ErrorCode::InvalidJson),
    };
    api.into()
}

pub fn query(err: QueryPayloadError, req: &HttpRequest) -> Error {
    let QueryPayloadError::Deserialize(e) = &err else {
        return ApiError::new(ErrorCode::InvalidQuery).into();
    };
    serde_text::query_error(&e.to_string(), req.query_string()).into()
}

pub fn path(err: PathError, req: &HttpRequest) -> Error {
    let PathError::Deserialize(e) = &err else {
        return ApiError::new(ErrorCode::InvalidPath).into();
    };
    let params: Vec<(String, String)> = req
        .match_info()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    serde_text::path_error(&e.to_string(), &params).into()
}

pub fn payload(err: actix_web::error::PayloadError, _req: &HttpRequest) -> Error {
    match err {
        actix_web::error::PayloadError::Overflow => {
            ApiError::new(ErrorCode::PayloadTooLarge).into()
        }
        _ => ApiError::new(ErrorCode::InvalidRequestBody).into(),
    }
}

/// The error of a JSON body that does not parse as its type, naming the field: for
/// bodies parsed by the handler (`crate::body::Body`).
pub fn body_error(e: &serde_json::Error, body: Option<&[u8]>) -> ApiError {
    serde_text::body_error(e, body)
}
