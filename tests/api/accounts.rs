//! Admin account management, org verification and invitations.

use serde_json::json;

use crate::helpers::{Account, PASSWORD, spawn_app, spawn_app_with};

#[actix_rt::test]
async fn admins_create_staff_in_the_exchange_org() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"email": "tongji@qcy.example.cn", "password": PASSWORD, "name": "统计员", "role": "statistician"});
    let r = app.post("/api/v1/users", Some(&admin), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["role"], "statistician");
    assert_eq!(r.body["org"]["is_exchange"], true);
    assert_eq!(r.body["org"]["id"], 1);
    let token = app.token("tongji@qcy.example.cn").await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["user"]["role"], "statistician");
    // Same email again.
    app.post("/api/v1/users", Some(&admin), &body)
        .await
        .assert_error(409, "email_taken");
}

#[actix_rt::test]
async fn only_admins_create_users() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let token = app.token(&a.email).await;
    let body =
        json!({"email": "x@qcy.example.cn", "password": PASSWORD, "name": "X", "role": "admin"});
    app.post("/api/v1/users", Some(&token), &body)
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v1/users", None, &body)
        .await
        .assert_error(401, "missing_authorization");
}

#[actix_rt::test]
async fn admin_created_members_need_a_fitting_org() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, uni_org) = app.registered(&Account::university()).await;
    let mk = |role: &str, org: Option<i64>| {
        let mut b = json!({"email": format!("{role}-m@example.cn"), "password": PASSWORD, "name": "成员", "role": role});
        if let Some(o) = org {
            b["org_id"] = json!(o);
        }
        b
    };
    app.post(
        "/api/v1/users",
        Some(&admin),
        &mk("enterprise", Some(uni_org)),
    )
    .await
    .assert_error(422, "role_org_kind_mismatch");
    app.post("/api/v1/users", Some(&admin), &mk("admin", Some(uni_org)))
        .await
        .assert_error(422, "role_org_kind_mismatch");
    app.post("/api/v1/users", Some(&admin), &mk("university", None))
        .await
        .assert_error(422, "reference_not_found");
    app.post(
        "/api/v1/users",
        Some(&admin),
        &mk("university", Some(99999)),
    )
    .await
    .assert_error(422, "reference_not_found");
    let r = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &mk("university", Some(uni_org)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["org_id"], uni_org);
}

#[actix_rt::test]
async fn admins_verify_orgs_once_and_others_cannot() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = Account::enterprise();
    let (_, org_id) = app.registered(&a).await;
    let member = app.token(&a.email).await;
    let path = format!("/api/v1/orgs/{org_id}/verify");

    app.post(&path, Some(&member), &json!({}))
        .await
        .assert_error(403, "forbidden");
    app.post(&path, None, &json!({}))
        .await
        .assert_error(401, "missing_authorization");
    assert_eq!(
        app.get(&format!("/api/v1/orgs/{org_id}"), None).await.body["verified"],
        false
    );

    let r = app.post(&path, Some(&admin), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["verified"], true);
    let at = r.body["verified_at"].clone();
    assert!(at.is_string());
    let again = app.post(&path, Some(&admin), &json!({})).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body["verified_at"], at,
        "verifying twice changes nothing"
    );
    assert_eq!(
        app.get(&format!("/api/v1/orgs/{org_id}"), None).await.body["verified"],
        true
    );
    app.post("/api/v1/orgs/424242/verify", Some(&admin), &json!({}))
        .await
        .assert_error(404, "not_found");
}

#[actix_rt::test]
async fn admins_list_the_verification_queue() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, o1) = app.registered(&Account::university()).await;
    let (_, o2) = app.registered(&Account::enterprise()).await;
    app.post(
        &format!("/api/v1/orgs/{o1}/verify"),
        Some(&admin),
        &json!({}),
    )
    .await;
    let r = app.get("/api/v1/orgs?verified=false", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [o2]);
    assert_eq!(r.body["total"], 1);
    let all = app
        .get("/api/v1/orgs?per_page=2&page=2", Some(&admin))
        .await;
    assert_eq!(all.body["total"], 3, "exchange + two orgs: {}", all.text);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(all.body["page"], 2);
    assert_eq!(all.body["per_page"], 2);
    let uni = app.get("/api/v1/orgs?kind=university", Some(&admin)).await;
    assert_eq!(uni.body["total"], 1);
    app.get("/api/v1/orgs?kind=guild", Some(&admin))
        .await
        .assert_error(400, "invalid_org_kind");
}

#[actix_rt::test]
async fn only_admins_list_orgs_but_anyone_reads_one() {
    let app = spawn_app().await;
    let a = Account::broker();
    let (_, org_id) = app.registered(&a).await;
    let member = app.token(&a.email).await;
    app.get("/api/v1/orgs", Some(&member))
        .await
        .assert_error(403, "forbidden");
    let r = app.get(&format!("/api/v1/orgs/{org_id}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["kind"], "agency");
}

#[actix_rt::test]
async fn members_invite_colleagues_who_join_by_token_once() {
    let app = spawn_app().await;
    let a = Account::university();
    let (_, org_id) = app.registered(&a).await;
    let member = app.token(&a.email).await;
    let path = format!("/api/v1/orgs/{org_id}/invitations");

    let r = app
        .post(
            &path,
            Some(&member),
            &json!({"email": "Colleague@NWPU.edu.cn", "role": "university"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["email"], "colleague@nwpu.edu.cn");
    let token = r.body["token"].as_str().unwrap().to_owned();

    // The token is for that address only.
    app.register(&crate::helpers::Account::invited("someone@else.cn", &token))
        .await
        .assert_error(422, "invitation_email_mismatch");
    let joined = app
        .register(&crate::helpers::Account::invited(
            "colleague@nwpu.edu.cn",
            &token,
        ))
        .await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    assert_eq!(joined.body["org"]["id"], org_id);
    assert_eq!(joined.body["user"]["role"], "university");
    // Single use.
    app.register(&crate::helpers::Account::invited(
        "colleague2@nwpu.edu.cn",
        &token,
    ))
    .await
    .assert_error(422, "invalid_invitation");
    app.register(&crate::helpers::Account::invited(
        "x@nwpu.edu.cn",
        "inv_made_up",
    ))
    .await
    .assert_error(422, "invalid_invitation");

    // The listing shows it accepted, and never the token.
    let list = app.get(&path, Some(&member)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 1);
    assert!(list.body["items"][0]["accepted_at"].is_string());
    assert!(list.body["items"][0].get("token").is_none());
}

#[actix_rt::test]
async fn invitations_are_limited_to_members_and_fitting_roles() {
    let app = spawn_app().await;
    let a = Account::university();
    let (_, org_id) = app.registered(&a).await;
    let b = Account::enterprise();
    app.registered(&b).await;
    let outsider = app.token(&b.email).await;
    let member = app.token(&a.email).await;
    let path = format!("/api/v1/orgs/{org_id}/invitations");
    app.post(
        &path,
        Some(&outsider),
        &json!({"email": "spy@example.cn", "role": "university"}),
    )
    .await
    .assert_error(403, "forbidden");
    app.get(&path, Some(&outsider))
        .await
        .assert_error(403, "forbidden");
    app.post(
        &path,
        Some(&member),
        &json!({"email": "boss@example.cn", "role": "admin"}),
    )
    .await
    .assert_error(422, "role_org_kind_mismatch");
    app.post(
        &path,
        Some(&member),
        &json!({"email": "e@example.cn", "role": "enterprise"}),
    )
    .await
    .assert_error(422, "role_org_kind_mismatch");
    app.post(
        &path,
        Some(&member),
        &json!({"email": b.email, "role": "university"}),
    )
    .await
    .assert_error(409, "email_taken");
    // Admins may invite into any org.
    let admin = app.admin_token().await;
    let r = app
        .post(
            &path,
            Some(&admin),
            &json!({"email": "new@nwpu.edu.cn", "role": "university"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[actix_rt::test]
async fn expired_invitations_are_refused() {
    let app = spawn_app_with(|s| s.invitation_ttl_days = 0).await;
    let a = Account::enterprise();
    let (_, org_id) = app.registered(&a).await;
    let member = app.token(&a.email).await;
    let r = app
        .post(
            &format!("/api/v1/orgs/{org_id}/invitations"),
            Some(&member),
            &json!({"email": "late@example.cn", "role": "enterprise"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let token = r.body["token"].as_str().unwrap();
    app.register(&crate::helpers::Account::invited("late@example.cn", token))
        .await
        .assert_error(422, "invalid_invitation");
}
