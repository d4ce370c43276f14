//! JSON request bodies read with the request but parsed by the handler when it is ready
//! for them: after authentication, the route's permission and the target's existence.
//! A person who may not act, or who names something that is not there, learns that first,
//! not that a field of a body they may not send was missing. [`Body::parse`] answers the
//! same errors as actix's JSON extractor would (`415`, `413`, `400 invalid_json`,
//! `400 invalid_request_body` naming the field).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// A JSON body of `T`, not parsed yet; extracting it never fails.
pub struct Body<T> {
    read: Result<Bytes, ApiError>,
    _of: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Body<T> {
    /// The body as `T`, or the error the JSON extractor would have answered.
    pub fn parse(self) -> Result<T, ApiError> {
        let bytes = self.read?;
        serde_json::from_slice(&bytes)
            .map_err(|e| crate::error::extractors::body_error(&e, Some(&bytes)))
    }
}

/// Whether the request says its body is JSON (`application/json` or `…+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// The error a body that could not be read answers.
fn unreadable(e: &actix_web::Error) -> ApiError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::new(ErrorCode::PayloadTooLarge),
        _ => ApiError::new(ErrorCode::InvalidRequestBody),
    }
}

impl<T> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The byte limit is the app's `PayloadConfig` (`max_body_bytes`).
        let json = is_json(req.headers());
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let read = match json {
                false => Err(ApiError::new(ErrorCode::UnsupportedMediaType)),
                true => bytes.await.map_err(|e| unreadable(&e)),
            };
            Ok(Body {
                read,
                _of: PhantomData,
            })
        })
    }
}
