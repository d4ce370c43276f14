//! actix's own extractor failures and routing misses answer in the one JSON error shape.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[actix_rt::test]
async fn unknown_routes_and_methods_are_json() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_error(404, "route_not_found");
    app.request(Method::DELETE, "/api/v1/taxonomy", None, None)
        .await
        .assert_error(405, "method_not_allowed");
}

#[actix_rt::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let r = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("application/json"),
            b"{\"email\": ".to_vec(),
        )
        .await;
    r.assert_error(400, "invalid_json");
}

#[actix_rt::test]
async fn wrong_types_and_unknown_fields_are_400s() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": 5, "password": "x"}),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "email");
    assert_eq!(r.body["message"], "字段 email 应为字符串，收到整数 5。");
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "a@b.cn", "password": "x", "admin": true}),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "admin");
    assert_eq!(r.body["accepted"], json!(["email", "password"]));
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("未知的字段 admin"),
        "{}",
        r.text
    );
}

#[actix_rt::test]
async fn a_body_without_json_content_type_is_a_415() {
    let app = spawn_app().await;
    let r = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await;
    r.assert_error(415, "unsupported_media_type");
}

#[actix_rt::test]
async fn oversized_bodies_are_a_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 2048).await;
    let big = json!({"email": "a@b.cn", "password": "x".repeat(4096)});
    app.post("/api/v1/auth/login", None, &big)
        .await
        .assert_error(413, "payload_too_large");
}

#[actix_rt::test]
async fn bad_query_and_path_parameters_are_400s() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.get("/api/v1/orgs?per_page=lots", Some(&admin))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/orgs?colour=red", Some(&admin))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/orgs?per_page=101", Some(&admin))
        .await
        .assert_error(400, "invalid_pagination");
    app.get("/api/v1/orgs?page=0", Some(&admin))
        .await
        .assert_error(400, "invalid_pagination");
    app.get("/api/v1/orgs/not-a-number", None)
        .await
        .assert_error(400, "invalid_path");
    app.get("/api/v1/orgs/999999", None)
        .await
        .assert_error(404, "not_found");
}

/// A NUL in the strings sign-in and token endpoints look up (PostgreSQL refuses it as text)
/// is a clean refusal, never a 500.
#[actix_rt::test]
async fn nul_bytes_in_credentials_are_refused_cleanly() {
    let app = crate::helpers::spawn_app().await;
    for (path, body) in [
        (
            "/api/v1/auth/login",
            serde_json::json!({"email": "a\u{0}@b.cn", "password": "x\u{0}yyyyyyyyyy"}),
        ),
        (
            "/api/v1/auth/refresh",
            serde_json::json!({"refresh_token": "abc\u{0}def"}),
        ),
        (
            "/api/v1/auth/logout",
            serde_json::json!({"refresh_token": "abc\u{0}def"}),
        ),
        (
            "/api/v1/auth/register",
            serde_json::json!({"email": "new@b.cn", "password": "秦岭钛合金-2026-x", "name": "王", "invitation_token": "t\u{0}k"}),
        ),
    ] {
        let r = app.post(path, None, &body).await;
        if path == "/api/v1/auth/logout" {
            // Signing out an unknown token is a no-op by design.
            assert_eq!(r.status, 204, "{}", r.text);
            continue;
        }
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text
        );
        assert!(r.body["code"].is_string(), "{path}: {}", r.text);
    }
}
