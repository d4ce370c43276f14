//! The statistics dashboard (`GET /dashboard`): one static page of our own HTML, CSS and
//! JavaScript, compiled into the binary (no CDN, no framework). A statistician or admin
//! signs in on it; the access token stays in the page's memory; the charts are the API's
//! own `format=svg` answers and the downloads its CSV and XLSX.
//!
//! The page gets its own Content-Security-Policy: scripts, styles, images and requests
//! from this origin only, images also from the `blob:` URLs the charts are shown through.

use actix_web::HttpResponse;
use actix_web::http::header;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");

/// Only our own files; charts through `blob:` URLs; no frames, forms or base changes.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(body)
}

/// `GET /dashboard`.
pub async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

/// `GET /dashboard/app.js`.
pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /dashboard/app.css`.
pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}
