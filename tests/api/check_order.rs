//! Checks run in the order a person expects: authentication, then the route's permission
//! and the target's existence, then the body. Each request here carries a body that is
//! wrong, so a 400 would mean the body was read first.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{Account, spawn_app};

/// A body wrong for every endpoint: an unknown field and a string where numbers go.
fn bad_body() -> serde_json::Value {
    json!({"tt_not_a_field": 1, "amount_fen": "200万元"})
}

#[actix_rt::test]
async fn the_caller_hears_who_may_act_before_what_the_body_lacks() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let account = Account::enterprise();
    let (_, org) = app.registered(&account).await;
    let verify = format!("/api/v1/orgs/{org}/verify");
    assert_eq!(
        app.post(&verify, Some(&admin), &json!({})).await.status,
        200
    );
    let enterprise = app.token(&account.email).await;

    // An enterprise may not post achievements at all: 403, not `missing field summary`.
    let r = app
        .post(
            "/api/v1/achievements",
            Some(&enterprise),
            &json!({"title": "x"}),
        )
        .await;
    r.assert_error(403, "forbidden");
    // Only brokers open deals; only admins register, manage the pool and users.
    let r = app
        .post("/api/v1/deals", Some(&enterprise), &bad_body())
        .await;
    r.assert_error(403, "forbidden");
    for path in ["/api/v1/contracts/1/registration", "/api/v1/users"] {
        let r = app.post(path, Some(&enterprise), &bad_body()).await;
        r.assert_error(403, "forbidden");
    }
    let r = app
        .request(
            Method::PUT,
            "/api/v1/pool/2026/entries/1",
            Some(&enterprise),
            Some(&bad_body()),
        )
        .await;
    r.assert_error(403, "forbidden");
}

#[actix_rt::test]
async fn a_missing_target_is_a_404_whatever_the_body() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let patch = |path: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.request(Method::PATCH, path, Some(&admin), Some(&bad_body()))
                .await
        }
    };
    for path in [
        "/api/v1/deals/999",
        "/api/v1/achievements/999",
        "/api/v1/demands/999",
        "/api/v1/users/999",
    ] {
        patch(path).await.assert_error(404, "not_found");
    }
    for path in [
        "/api/v1/achievements/999/review",
        "/api/v1/demands/999/review",
        "/api/v1/contracts/999/decline",
        "/api/v1/contracts/999/amendments",
        "/api/v1/contracts/999/amendments/1/decline",
        "/api/v1/contracts/999/registration",
        "/api/v1/applications/999/decision",
        "/api/v1/demands/999/milestones",
        "/api/v1/milestones/999/submit",
        "/api/v1/milestones/999/review",
    ] {
        let r = app.post(path, Some(&admin), &bad_body()).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let r = app
        .request(
            Method::PUT,
            "/api/v1/pool/2026/entries/999",
            Some(&admin),
            Some(&bad_body()),
        )
        .await;
    r.assert_error(404, "not_found");
}

#[actix_rt::test]
async fn signing_in_comes_before_the_body_and_the_body_still_names_its_fault() {
    let app = spawn_app().await;
    for path in ["/api/v1/contracts", "/api/v1/deals", "/api/v1/achievements"] {
        let r = app.post(path, None, &bad_body()).await;
        r.assert_error(401, "missing_authorization");
    }
    let r = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some("not-a-token"),
            Some(&bad_body()),
        )
        .await;
    r.assert_error(401, "invalid_token");
    // Once the caller may act, the body is read and its fault named.
    let account = Account::university();
    app.registered(&account).await;
    let uni = app.token(&account.email).await;
    let r = app
        .post(
            "/api/v1/achievements",
            Some(&uni),
            &json!({"title": "钛合金"}),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "summary", "{}", r.text);
    let r = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&uni),
            Some(&json!({"name": 5})),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "name", "{}", r.text);
    // A body that is not JSON at all is still a 415 for a caller who may act.
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements",
            Some(&uni),
            Some("text/plain"),
            b"x".to_vec(),
        )
        .await;
    r.assert_error(415, "unsupported_media_type");
}

#[actix_rt::test]
async fn a_contract_step_names_the_party_before_the_body() {
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    let app = &app;
    let demo = |email: &'static str| async move {
        let r = app
            .login(email, tt_exchange::tools::seed::DEMO_PASSWORD)
            .await;
        r.body["access_token"].as_str().unwrap().to_owned()
    };
    let stat = demo("statistician@demo.qcy.example.cn").await;
    // Statisticians see contract 4 (awaiting its seller) but are no party to it.
    for step in ["decline", "amendments"] {
        let path = format!("/api/v1/contracts/4/{step}");
        let r = app.post(&path, Some(&stat), &bad_body()).await;
        r.assert_error(403, "forbidden");
    }
    // The seller may decline: now the body is read, and its fault named.
    let uni = demo("nwpu@demo.qcy.example.cn").await;
    let r = app
        .post("/api/v1/contracts/4/decline", Some(&uni), &bad_body())
        .await;
    r.assert_error(400, "invalid_request_body");
}
