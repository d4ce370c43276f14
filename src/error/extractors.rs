//! Turns actix's own extractor failures into the same JSON shape as every other error,
//! with human messages that name the field (see [`super::serde_text`]).

use actix_web::HttpRequest;
use actix_web::error::{Error, JsonPayloadError, PathError, QueryPayloadError};

use super::{ApiError, ErrorCode, serde_text};

/// For actix's own JSON extractor, should a route use it; the routes take their bodies as
/// `crate::body::Body`, whose errors name the field from the bytes they keep.
pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::with_detail(
            ErrorCode::PayloadTooLarge,
            format!("请求体超过了 {limit} 字节的上限。"),
            format!("The request body is larger than the limit of {limit} bytes."),
        ),
        JsonPayloadError::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType),
        JsonPayloadError::Deserialize(e) => serde_text::body_error(e, None),
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
