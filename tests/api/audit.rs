//! Every write leaves an audit entry that admins can read.

use serde_json::json;

use crate::helpers::{Account, spawn_app};

#[actix_rt::test]
async fn writes_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = Account::enterprise();
    let (user_id, org_id) = app.registered(&a).await;
    app.post(
        &format!("/api/v1/orgs/{org_id}/verify"),
        Some(&admin),
        &json!({}),
    )
    .await;

    let r = app
        .get(
            &format!("/api/v1/audit?entity=org&entity_id={org_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["org.verify", "org.create"], "newest first");
    let verify = &items[0];
    assert_eq!(verify["before"]["verified"], false);
    assert_eq!(verify["after"]["verified"], true);
    assert!(verify["actor_id"].is_i64());
    assert!(verify["created_at"].is_string());
    assert_eq!(items[1]["actor_id"], user_id);

    let users = app
        .get(
            &format!("/api/v1/audit?entity=user&entity_id={user_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(users.body["total"], 1);
    assert_eq!(users.body["items"][0]["action"], "user.register");
    assert!(
        !users.text.contains("argon2"),
        "no password hash in the audit trail"
    );

    let by_action = app
        .get("/api/v1/audit?action=user.create&per_page=1", Some(&admin))
        .await;
    assert_eq!(
        by_action.body["total"], 1,
        "the admin made by create-user: {}",
        by_action.text
    );
    assert!(by_action.body["items"][0]["actor_id"].is_null());
}

#[actix_rt::test]
async fn only_admins_read_the_audit_trail() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let token = app.token(&a.email).await;
    app.get("/api/v1/audit", Some(&token))
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v1/audit", None)
        .await
        .assert_error(401, "missing_authorization");
}

#[actix_rt::test]
async fn sign_in_sign_out_and_token_replay_are_audited() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = Account::university();
    let (user_id, _) = app.registered(&a).await;
    let first = app.login(&a.email, crate::helpers::PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first}),
        )
        .await
        .body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": first}),
    )
    .await
    .assert_error(401, "refresh_token_reused");
    let third = app.login(&a.email, crate::helpers::PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": third}),
    )
    .await;
    let _ = second;
    let r = app
        .get(
            &format!("/api/v1/audit?entity=user&entity_id={user_id}"),
            Some(&admin),
        )
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "auth.logout",
            "auth.login",
            "auth.refresh_reused",
            "auth.login",
            "user.register"
        ]
    );
}

/// The trail's filters are codes: anything else, a NUL above all (which PostgreSQL refuses
/// as text), is a 400, not a 500.
#[actix_rt::test]
async fn audit_filters_take_codes_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for bad in [
        "action=%00",
        "entity=%00",
        "action=deal%20create",
        "entity=",
        "action=Deal",
    ] {
        app.get(&format!("/api/v1/audit?{bad}"), Some(&admin))
            .await
            .assert_error(400, "invalid_query");
    }
    let r = app
        .get("/api/v1/audit?entity=user&action=auth.login", Some(&admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
