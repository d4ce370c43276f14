//! HTTP hardening around every route: security headers, CORS for configured origins only,
//! per-client rate limits and a per-request time limit. Each is a small `from_fn`
//! middleware reading its policy from [`HttpPolicy`] (registered as app data); refusals are
//! [`ApiError`]s, so they have the one JSON error shape.
//!
//! Rate limits are counted in memory, per server process: behind a load balancer with N
//! servers a client gets up to N times the configured rate. (Failed sign-ins are also
//! counted in the database, across servers: see `auth::throttle`.)

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::auth::tokens::TokenKeys;
use crate::config::{Environment, Settings};
use crate::error::{ApiError, ErrorCode};

pub const LOGIN_PATH: &str = "/api/v1/auth/login";
pub const REGISTER_PATH: &str = "/api/v1/auth/register";

const CORS_ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const CORS_ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key";
const CORS_EXPOSE_HEADERS: &str =
    "Retry-After, X-Request-Id, Idempotent-Replayed, Content-Disposition";
const CORS_MAX_AGE_SECS: &str = "600";

/// The HTTP rules in force, built once from the settings.
pub struct HttpPolicy {
    production: bool,
    cors_origins: Vec<String>,
    request_timeout: Duration,
    export_timeout: Duration,
    client_ip_header: Option<HeaderName>,
    login: Option<RateLimiter>,
    register: Option<RateLimiter>,
    writes: Option<RateLimiter>,
}

impl HttpPolicy {
    pub fn new(settings: &Settings) -> HttpPolicy {
        HttpPolicy {
            production: settings.env == Environment::Production,
            cors_origins: settings.cors_origins.clone(),
            request_timeout: Duration::from_secs(settings.request_timeout_secs),
            export_timeout: Duration::from_secs(settings.export_timeout_secs),
            client_ip_header: settings
                .client_ip_header
                .as_deref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            login: RateLimiter::new(settings.rate_limit_login_per_min, Duration::from_secs(60)),
            register: RateLimiter::new(
                settings.rate_limit_register_per_hour,
                Duration::from_secs(3600),
            ),
            writes: RateLimiter::new(settings.rate_limit_writes_per_min, Duration::from_secs(60)),
        }
    }

    /// The client's address: the TCP peer, or the configured proxy header's rightmost
    /// entry (the address the trusted proxy saw) when it is set and parses.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let value = req.headers().get(name)?.to_str().ok()?;
            let last = value.rsplit(',').map(str::trim).find(|s| !s.is_empty())?;
            last.parse::<IpAddr>()
                .ok()
                .or_else(|| last.parse::<SocketAddr>().ok().map(|a| a.ip()))
        });
        from_header.or_else(|| req.peer_addr().map(|a| a.ip()))
    }
}

/// The client as every per-client count sees it (the rate limits here and the sign-in
/// throttle in the database): its address, an IPv6 client by its /64 (one subscriber
/// usually holds a whole /64, so counting single addresses would let it rotate through
/// 2^64 of them), an IPv4-mapped IPv6 address as the IPv4 address.
pub fn client_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6.to_canonical().to_string(),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// [`client_key`] of a request's client, for the sign-in throttle.
pub fn request_client_key(req: &HttpRequest) -> String {
    let ip = match req.app_data::<Data<HttpPolicy>>() {
        Some(policy) => policy.client_ip(req),
        None => req.peer_addr().map(|a| a.ip()),
    };
    client_key(ip)
}

/// Rate-limit key of an address.
fn address_key(ip: Option<IpAddr>) -> String {
    format!("ip:{}", client_key(ip))
}

/// A rate limiter by key (GCRA, i.e. a token bucket of `limit` requests refilled evenly
/// over `period`): bursts up to the limit, then one request per `period / limit`.
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    state: Mutex<Buckets>,
}

struct Buckets {
    /// Per key, the theoretical arrival time: when its bucket is full again.
    tat: HashMap<String, Instant>,
    prune_at: usize,
}

const PRUNE_MIN: usize = 4096;

impl RateLimiter {
    /// `None` for a limit of 0 (no limit).
    pub fn new(limit: u32, period: Duration) -> Option<RateLimiter> {
        if limit == 0 {
            return None;
        }
        let interval = period / limit;
        Some(RateLimiter {
            interval,
            tolerance: period.saturating_sub(interval),
            state: Mutex::new(Buckets {
                tat: HashMap::new(),
                prune_at: PRUNE_MIN,
            }),
        })
    }

    /// Counts one request of `key`; `Err(wait)` when it is over the limit.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tat = state.tat.get(key).copied().unwrap_or(now).max(now);
        let ahead = tat.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        state.tat.insert(key.to_owned(), tat + self.interval);
        // Full buckets carry no information: drop them now and then, so memory follows
        // the number of recently active clients.
        if state.tat.len() >= state.prune_at {
            state.tat.retain(|_, t| *t > now);
            state.prune_at = (state.tat.len() * 2).max(PRUNE_MIN);
        }
        Ok(())
    }
}

/// Adds the browser-hardening headers to every answer (a handler's own value wins).
/// The API serves JSON, never pages: nothing may be framed, sniffed, referred or cached.
pub async fn security_headers<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let production = req
        .app_data::<Data<HttpPolicy>>()
        .is_some_and(|p| p.production);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    // Only in production: on a developer's http://localhost it would pin HTTPS.
    if production {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(res)
}

fn add_vary(headers: &mut HeaderMap, value: &'static str) {
    headers.append(header::VARY, HeaderValue::from_static(value));
}

/// CORS for the configured origins only. A preflight from one of them is answered here
/// (204 with the allowed methods and headers); from any other origin it is
/// `403 cors_origin_not_allowed`. Actual requests pass either way, with
/// `Access-Control-Allow-Origin` only for allowed origins, so the browser withholds the
/// answer from other sites. Without configured origins this does nothing.
pub async fn cors<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(policy) = req.app_data::<Data<HttpPolicy>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let origins = &policy.cors_origins;
    if origins.is_empty() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed = origin.clone().filter(|o| {
        o.to_str()
            .is_ok_and(|o| origins.iter().any(|a| a.eq_ignore_ascii_case(o)))
    });
    let preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let answer = match allowed {
            Some(origin) => HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, CORS_ALLOW_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, CORS_MAX_AGE_SECS))
                .finish(),
            None => ApiError::new(ErrorCode::CorsOriginNotAllowed).error_response(),
        };
        let mut res = req.into_response(answer).map_into_right_body();
        add_vary(
            res.headers_mut(),
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        return Ok(res);
    }
    let mut res = next.call(req).await?.map_into_left_body();
    let headers = res.headers_mut();
    add_vary(headers, "Origin");
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(CORS_EXPOSE_HEADERS),
        );
    }
    Ok(res)
}

/// Which limit a request counts against, and under which key.
fn rate_limit_bucket<'a>(
    req: &ServiceRequest,
    policy: &'a HttpPolicy,
) -> Option<(&'static str, &'a RateLimiter, String)> {
    let method = req.method();
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let address = || address_key(policy.client_ip(req.request()));
    if *method == Method::POST && req.path() == LOGIN_PATH {
        return Some(("login", policy.login.as_ref()?, address()));
    }
    if *method == Method::POST && req.path() == REGISTER_PATH {
        return Some(("register", policy.register.as_ref()?, address()));
    }
    let writes = policy.writes.as_ref()?;
    // A signed-in user is one client wherever they connect from; a bad token falls back
    // to the address (the handler answers 401 anyway).
    let user = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .and_then(|token| {
            let keys = req.app_data::<Data<TokenKeys>>()?;
            keys.verify_access(token.trim()).ok()
        })
        .map(|claims| format!("user:{}", claims.sub));
    Some(("writes", writes, user.unwrap_or_else(address)))
}

/// Answers `429 rate_limited` with `Retry-After` to a client over its limit.
pub async fn rate_limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(policy) = req.app_data::<Data<HttpPolicy>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if let Some((bucket, limiter, key)) = rate_limit_bucket(&req, &policy)
        && let Err(wait) = limiter.check(&key, Instant::now())
    {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(bucket, client = %key, retry_after = secs, "rate limited");
        let error = ApiError::new(ErrorCode::RateLimited).retry_after(secs);
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// CSV and XLSX exports of turnover may scan many contracts, and a file upload carries up
/// to `files_max_bytes` over a client's uplink: they get the longer limit.
fn is_export(req: &ServiceRequest) -> bool {
    (req.method() == actix_web::http::Method::POST && req.path() == "/api/v1/files")
        || req
            .query_string()
            .split('&')
            .any(|pair| matches!(pair, "format=csv" | "format=xlsx"))
}

/// Stops a request whose handler takes longer than the limit and answers
/// `503 request_timeout`, so a stuck dependency cannot pile up requests. The handler's
/// future is dropped; database work already handed to a blocking thread still finishes
/// (and commits), which is why the error message tells clients to check before repeating
/// a write.
pub async fn timeout<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(policy) = req.app_data::<Data<HttpPolicy>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let limit = if is_export(&req) {
        policy.export_timeout
    } else {
        policy.request_timeout
    };
    // The request must not be cloned here: routing, further in, needs it unshared.
    let (method, uri) = (req.method().clone(), req.uri().clone());
    match actix_web::rt::time::timeout(limit, next.call(req)).await {
        Ok(res) => Ok(res?.map_into_left_body()),
        Err(_) => {
            tracing::warn!(
                method = %method,
                path = %uri.path(),
                limit_secs = limit.as_secs(),
                "request timed out"
            );
            // The request went down with the dropped handler; the answer travels back
            // through the outer middleware on a stand-in with the same method and URI.
            let stand_in = actix_web::test::TestRequest::default()
                .method(method)
                .uri(&uri.to_string())
                .to_http_request();
            let error = ApiError::new(ErrorCode::RequestTimeout);
            Ok(ServiceResponse::new(stand_in, error.error_response()).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_limit_then_refills_evenly() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60)).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
        }
        let wait = limiter.check("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // Other keys have their own bucket.
        assert!(limiter.check("b", t0).is_ok());
        // One request's worth refills after 20 s, not the whole burst.
        assert!(limiter.check("a", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.check("a", t0 + Duration::from_secs(20)).is_err());
        // A full period later the whole burst is back.
        let later = t0 + Duration::from_secs(200);
        for _ in 0..3 {
            assert!(limiter.check("a", later).is_ok());
        }
        assert!(RateLimiter::new(0, Duration::from_secs(60)).is_none());
    }

    #[test]
    fn idle_buckets_are_pruned() {
        let limiter = RateLimiter::new(10, Duration::from_secs(1)).unwrap();
        let t0 = Instant::now();
        for i in 0..PRUNE_MIN - 1 {
            limiter.check(&format!("k{i}"), t0).unwrap();
        }
        let later = t0 + Duration::from_secs(5);
        limiter.check("fresh", later).unwrap();
        let state = limiter.state.lock().unwrap();
        assert!(state.tat.len() < 10, "{}", state.tat.len());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(Some(mapped)), "ip:10.0.0.1");
        assert_eq!(client_key(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(client_key(None), "unknown");
    }
}
