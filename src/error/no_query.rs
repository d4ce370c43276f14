//! [`NoQuery`]: the extractor of every route that takes no query parameters. A request
//! with any parameter is refused (400 `invalid_query`, naming the parameter), the same
//! shape as the other query errors, before the handler loads anything.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::{ApiError, ErrorCode};

/// Put in a handler's parameters: the route takes no query string. An empty query
/// string (`/me?`) is fine; `/me?tt_unknown=1` is a 400 naming `tt_unknown`.
#[derive(Debug, Clone, Copy)]
pub struct NoQuery;

/// `Ok` for a query string without parameters, else the error naming the first one.
pub fn check_no_query(query: &str) -> Result<NoQuery, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let name = match pairs.into_iter().next() {
        Some((k, _)) => k,
        None if query.split('&').all(str::is_empty) => return Ok(NoQuery),
        None => query
            .split('&')
            .find(|s| !s.is_empty())
            .unwrap_or_default()
            .to_owned(),
    };
    Err(ApiError::with_detail(
        ErrorCode::InvalidQuery,
        format!("本接口不接受查询参数，收到了 {name}。"),
        format!("This endpoint takes no query parameters; got `{name}`."),
    )
    .field(name))
}

impl FromRequest for NoQuery {
    type Error = ApiError;
    type Future = Ready<Result<NoQuery, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check_no_query(req.query_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_parameter_is_refused_and_named() {
        assert!(check_no_query("").is_ok());
        assert!(check_no_query("&").is_ok());
        for (q, name) in [
            ("tt_unknown=1", "tt_unknown"),
            ("a&b=2", "a"),
            ("%E5%B9%B4=1", "年"),
        ] {
            let e = check_no_query(q).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidQuery);
            assert_eq!(e.field_name(), Some(name), "{q}");
        }
    }
}
