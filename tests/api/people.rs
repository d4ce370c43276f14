//! People: answers name the users and orgs involved; admins list and change users; users
//! edit their profile and password; an org sees its applications; an achievement's owners
//! see who works on it.

use awc::http::Method;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{Account, PASSWORD, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

/// An account with a name of its own, so answers can be checked for it.
fn named(account: Account, name: &str) -> Account {
    Account {
        name: name.into(),
        ..account
    }
}

fn org_name(account: &Account) -> String {
    account
        .org
        .as_ref()
        .map(|o| o.0.clone())
        .unwrap_or_default()
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.request(Method::PATCH, path, Some(token), Some(&body))
        .await
}

fn challenge_body(title: &str) -> Value {
    let mut body = demand_body();
    body["title"] = json!(title);
    let apply_by = (Utc::now().date_naive() + Duration::days(30)).to_string();
    body["challenge"] =
        json!({"bounty_fen": 100_000_000i64, "apply_by": apply_by, "criteria": "现场验证"});
    body
}

struct World {
    admin: String,
    uni: String,
    uni_account: Account,
    ent: String,
    ent_account: Account,
    broker: String,
    broker_account: Account,
    achievement: i64,
    demand: i64,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let uni_account = named(Account::university(), "张教授");
    let ent_account = named(Account::enterprise(), "李总工");
    let broker_account = named(Account::broker(), "赵经纪");
    let (uni, _) = member(app, uni_account.clone(), true, &admin).await;
    let (ent, _) = member(app, ent_account.clone(), true, &admin).await;
    let (broker, _) = member(app, broker_account.clone(), true, &admin).await;
    let achievement = published(app, "achievements", &uni, &admin, &achievement_body()).await;
    let demand = published(app, "demands", &ent, &admin, &demand_body()).await;
    World {
        admin,
        uni,
        uni_account,
        ent,
        ent_account,
        broker,
        broker_account,
        achievement,
        demand,
    }
}

async fn open_deal(app: &TestApp, w: &World) -> i64 {
    let body = json!({"demand_id": w.demand, "achievement_id": w.achievement, "note": "约谈"});
    let r = app.post("/api/v1/deals", Some(&w.broker), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

#[actix_rt::test]
async fn deals_and_status_histories_name_the_broker_and_every_actor() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = open_deal(&app, &w).await;
    let path = format!("/api/v1/deals/{id}");
    let r = patch(
        &app,
        &path,
        &w.admin,
        json!({"version": 1, "note": "管理员跟进"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let deal = app.get(&path, Some(&w.uni)).await.body;
    let broker_id = deal["broker_id"].as_i64().unwrap();
    assert_eq!(deal["broker"]["id"], broker_id);
    assert_eq!(deal["broker"]["name"], "赵经纪");
    assert_eq!(deal["broker"]["org"]["name"], org_name(&w.broker_account));
    let events = deal["events"].as_array().unwrap();
    assert_eq!(events[0]["actor"]["name"], "赵经纪");
    assert_eq!(events[0]["actor"]["id"], events[0]["actor_id"]);
    assert_eq!(events[1]["actor"]["name"], "测试管理员");
    let list = app.get("/api/v1/deals", Some(&w.broker)).await.body;
    assert_eq!(list["items"][0]["broker"]["name"], "赵经纪");

    let a = app
        .get(
            &format!("/api/v1/achievements/{}", w.achievement),
            Some(&w.uni),
        )
        .await
        .body;
    let actors: Vec<&str> = a["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["actor"]["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(actors, ["张教授", "张教授", "测试管理员"], "{a}");
}

#[actix_rt::test]
async fn contracts_name_the_parties_the_recorder_and_who_confirmed_or_declined() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let uni_org = app.get("/api/v1/me", Some(&w.uni)).await.body["org"]["id"].clone();
    let ent_org = app.get("/api/v1/me", Some(&w.ent)).await.body["org"]["id"].clone();
    let body = json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": uni_org, "buyer_org_id": ent_org, "signed_on": "2026-03-15",
        "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    });
    let c = app.confirmed_contract(&w.uni, &body, &w.uni, &w.ent).await;
    assert_eq!(
        c["seller_org"],
        json!({"id": uni_org, "name": org_name(&w.uni_account)})
    );
    assert_eq!(
        c["buyer_org"],
        json!({"id": ent_org, "name": org_name(&w.ent_account)})
    );
    assert_eq!(c["broker"], Value::Null);
    assert_eq!(c["recorded_by"]["name"], "张教授");
    assert_eq!(c["seller_confirmation"]["user"]["name"], "张教授");
    assert_eq!(c["buyer_confirmation"]["user"]["name"], "李总工");
    let id = c["id"].as_i64().unwrap();
    let amend =
        json!({"amount_delta_fen": -1_000i64, "tech_amount_delta_fen": 0, "reason": "合同变更"});
    let r = app
        .post(
            &format!("/api/v1/contracts/{id}/amendments"),
            Some(&w.uni),
            &amend,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["amendments"][0]["proposed_by"]["name"], "张教授");

    let r = app.post("/api/v1/contracts", Some(&w.ent), &body).await;
    let declined = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/v1/contracts/{declined}/decline"),
            Some(&w.uni),
            &json!({"reason": "金额不符"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["declined"]["user"]["name"], "张教授");
    assert_eq!(r.body["recorded_by"]["name"], "李总工");
    let list = app.get("/api/v1/contracts", Some(&w.ent)).await.body;
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["buyer_org"]["name"], org_name(&w.ent_account));
    }
}

#[actix_rt::test]
async fn applications_name_the_applicant_and_an_org_lists_its_own() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let first = published(
        &app,
        "demands",
        &w.ent,
        &w.admin,
        &challenge_body("揭榜一：热误差补偿"),
    )
    .await;
    let second = published(
        &app,
        "demands",
        &w.ent,
        &w.admin,
        &challenge_body("揭榜二：主轴寿命"),
    )
    .await;
    let mut ids = Vec::new();
    for demand in [first, second] {
        let body = json!({"proposal": "LSTM热误差预测", "achievement_id": w.achievement});
        let r = app
            .post(
                &format!("/api/v1/demands/{demand}/applications"),
                Some(&w.uni),
                &body,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["applicant"]["name"], "张教授");
        assert_eq!(r.body["org"]["name"], org_name(&w.uni_account));
        assert_eq!(r.body["decided_by"], Value::Null);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let r = app
        .post(
            &format!("/api/v1/applications/{}/decision", ids[0]),
            Some(&w.ent),
            &json!({"decision": "select", "comment": "方案完整"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["decided_by"]["name"], "李总工");

    let mine = app.get("/api/v1/me/applications", Some(&w.uni)).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.body["total"], 2);
    assert_eq!(mine.body["items"][0]["challenge"]["demand_id"], second);
    assert_eq!(
        mine.body["items"][0]["challenge"]["title"],
        "揭榜二：主轴寿命"
    );
    assert_eq!(
        mine.body["items"][0]["challenge"]["org"]["name"],
        org_name(&w.ent_account)
    );
    assert_eq!(mine.body["items"][0]["status"], "submitted");
    let page2 = app
        .get("/api/v1/me/applications?per_page=1&page=2", Some(&w.uni))
        .await
        .body;
    assert_eq!(
        (
            page2["total"].as_i64(),
            page2["items"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        page2["items"][0]["challenge"]["title"],
        "揭榜一：热误差补偿"
    );
    let selected = app
        .get("/api/v1/me/applications?status=selected", Some(&w.uni))
        .await
        .body;
    assert_eq!(selected["total"], 1);
    assert_eq!(selected["items"][0]["id"], ids[0]);
    // Another org sees none of them; staff have no org applications; bad queries are 400.
    let other = app.get("/api/v1/me/applications", Some(&w.ent)).await.body;
    assert_eq!(other["total"], 0);
    app.get("/api/v1/me/applications", Some(&w.admin))
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v1/me/applications?org_id=1", Some(&w.uni))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/me/applications?status=won", Some(&w.uni))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/me/applications", None)
        .await
        .assert_error(401, "missing_authorization");
    // An unverified org reads its own (empty) list.
    let (fresh, _) = member(&app, Account::university(), false, &w.admin).await;
    assert_eq!(
        app.get("/api/v1/me/applications", Some(&fresh)).await.body["total"],
        0
    );
}

#[actix_rt::test]
async fn engagements_show_deals_and_applications_to_the_owners_and_admins_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let deal = open_deal(&app, &w).await;
    let challenge = published(
        &app,
        "demands",
        &w.ent,
        &w.admin,
        &challenge_body("揭榜：热误差"),
    )
    .await;
    let body = json!({"proposal": "LSTM热误差预测", "achievement_id": w.achievement});
    let r = app
        .post(
            &format!("/api/v1/demands/{challenge}/applications"),
            Some(&w.uni),
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let path = format!("/api/v1/achievements/{}/engagements", w.achievement);

    for token in [&w.uni, &w.admin] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = &r.body["deals"];
        assert_eq!(d["total"], 1);
        assert_eq!(d["items"][0]["deal_id"], deal);
        assert_eq!(d["items"][0]["stage"], "recommended");
        assert_eq!(d["items"][0]["broker"]["name"], "赵经纪");
        assert_eq!(
            d["items"][0]["broker"]["org"]["name"],
            org_name(&w.broker_account)
        );
        assert_eq!(d["items"][0]["demand"]["demand_id"], w.demand);
        assert_eq!(
            d["items"][0]["demand"]["org"]["name"],
            org_name(&w.ent_account)
        );
        let a = &r.body["applications"];
        assert_eq!(a["total"], 1);
        assert_eq!(a["items"][0]["challenge"]["demand_id"], challenge);
        assert_eq!(a["items"][0]["challenge"]["title"], "揭榜：热误差");
        assert_eq!(a["items"][0]["status"], "submitted");
        assert_eq!(a["items"][0]["org"]["name"], org_name(&w.uni_account));
    }
    // Signed-in users who see the published achievement but do not own it: 403.
    for token in [&w.ent, &w.broker] {
        app.get(&path, Some(token))
            .await
            .assert_error(403, "forbidden");
    }
    app.get(&path, None)
        .await
        .assert_error(401, "missing_authorization");
    app.get(&format!("{path}?limit=5"), Some(&w.uni))
        .await
        .assert_error(400, "invalid_query");
    // A draft is invisible to other orgs: 404, as for no achievement at all.
    let draft = app
        .post("/api/v1/achievements", Some(&w.uni), &achievement_body())
        .await;
    let draft_path = format!("/api/v1/achievements/{}/engagements", draft.body["id"]);
    let r = app.get(&draft_path, Some(&w.uni)).await;
    assert_eq!(
        (r.status, r.body["deals"]["total"].as_i64()),
        (200, Some(0))
    );
    app.get(&draft_path, Some(&w.ent))
        .await
        .assert_error(404, "not_found");
    app.get("/api/v1/achievements/999999/engagements", Some(&w.admin))
        .await
        .assert_error(404, "not_found");
}

#[actix_rt::test]
async fn audit_entries_name_their_actor() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let r = app
        .get("/api/v1/audit?action=org.verify", Some(&w.admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(item["actor"]["name"], "测试管理员");
        assert_eq!(item["actor"]["id"], item["actor_id"]);
    }
    let r = app
        .get("/api/v1/audit?action=achievement.create", Some(&w.admin))
        .await;
    assert_eq!(r.body["items"][0]["actor"]["name"], "张教授");
}

#[actix_rt::test]
async fn admins_list_users_with_filters_and_pages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let me = app.get("/api/v1/me", Some(&w.uni)).await.body;
    let (uni_id, uni_org) = (me["user"]["id"].clone(), me["org"]["id"].clone());

    let r = app
        .get(
            &format!("/api/v1/users?role=university&org_id={uni_org}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1);
    let item = &r.body["items"][0];
    assert_eq!(item["id"], uni_id);
    assert_eq!(item["name"], "张教授");
    assert_eq!(item["org"]["name"], org_name(&w.uni_account));
    assert_eq!(item["is_active"], true);
    assert!(item.get("password_hash").is_none());

    let all = app.get("/api/v1/users", Some(&w.admin)).await.body;
    assert_eq!(
        all["total"], 4,
        "an admin, a university, an enterprise and a broker user"
    );
    let page = app
        .get("/api/v1/users?per_page=2&page=2", Some(&w.admin))
        .await
        .body;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["items"][1]["name"], "赵经纪");
    let brokers = app
        .get("/api/v1/users?role=broker", Some(&w.admin))
        .await
        .body;
    assert_eq!(brokers["total"], 1);
    let inactive = app
        .get("/api/v1/users?active=false", Some(&w.admin))
        .await
        .body;
    assert_eq!(inactive["total"], 0);

    for bad in ["?email=x", "?role=king", "?active=maybe", "?org_id=abc"] {
        app.get(&format!("/api/v1/users{bad}"), Some(&w.admin))
            .await
            .assert_error(400, "invalid_query");
    }
    app.get("/api/v1/users?per_page=101", Some(&w.admin))
        .await
        .assert_error(400, "invalid_pagination");
    for token in [&w.uni, &w.ent, &w.broker] {
        app.get("/api/v1/users", Some(token))
            .await
            .assert_error(403, "forbidden");
    }
    app.get("/api/v1/users", None)
        .await
        .assert_error(401, "missing_authorization");
}

#[actix_rt::test]
async fn admins_disable_enable_and_change_roles_within_the_org_kind() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let login = app.login(&w.uni_account.email, PASSWORD).await;
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    let uni_id = app.get("/api/v1/me", Some(&w.uni)).await.body["user"]["id"].clone();
    let path = format!("/api/v1/users/{uni_id}");

    // Only admins; a university user cannot change anyone, not even itself.
    patch(&app, &path, &w.uni, json!({"is_active": false}))
        .await
        .assert_error(403, "forbidden");
    let r = patch(&app, &path, &w.admin, json!({"is_active": false})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["is_active"].clone(), r.body["name"].clone()),
        (json!(false), json!("张教授"))
    );
    // Disabled: the access token is refused, the refresh token revoked, sign-in refused.
    app.get("/api/v1/me", Some(&w.uni))
        .await
        .assert_error(403, "account_disabled");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .await
    .assert_error(401, "invalid_refresh_token");
    app.login(&w.uni_account.email, PASSWORD)
        .await
        .assert_error(403, "account_disabled");
    let inactive = app
        .get("/api/v1/users?active=false", Some(&w.admin))
        .await
        .body;
    assert_eq!(inactive["items"][0]["id"], uni_id);
    let r = patch(&app, &path, &w.admin, json!({"is_active": true})).await;
    assert_eq!(r.body["is_active"], true);
    // Enabled again, the user signs in anew: the sessions that disabling ended stay ended.
    app.get("/api/v1/me", Some(&w.uni))
        .await
        .assert_error(401, "invalid_token");
    let uni = app.token(&w.uni_account.email).await;
    assert_eq!(app.get("/api/v1/me", Some(&uni)).await.status, 200);

    // Roles only within what the org's kind allows.
    patch(&app, &path, &w.admin, json!({"role": "enterprise"}))
        .await
        .assert_error(422, "role_org_kind_mismatch");
    patch(&app, &path, &w.admin, json!({"role": "admin"}))
        .await
        .assert_error(422, "role_org_kind_mismatch");
    patch(&app, &path, &w.admin, json!({"role": "emperor"}))
        .await
        .assert_error(400, "invalid_role");
    patch(
        &app,
        &path,
        &w.admin,
        json!({"is_active": false, "email": "x@example.cn"}),
    )
    .await
    .assert_error(400, "invalid_request_body");
    let stat = app
        .create_user_directly("stat@qcy.example.cn", "statistician", None)
        .await;
    let r = patch(
        &app,
        &format!("/api/v1/users/{stat}"),
        &w.admin,
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["role"].as_str()),
        (200, Some("admin")),
        "{}",
        r.text
    );
    patch(
        &app,
        "/api/v1/users/999999",
        &w.admin,
        json!({"is_active": false}),
    )
    .await
    .assert_error(404, "not_found");

    // An admin cannot lock themself out.
    let admin_id = app.get("/api/v1/me", Some(&w.admin)).await.body["user"]["id"].clone();
    let own = format!("/api/v1/users/{admin_id}");
    patch(&app, &own, &w.admin, json!({"is_active": false}))
        .await
        .assert_error(422, "own_account_change");
    patch(&app, &own, &w.admin, json!({"role": "statistician"}))
        .await
        .assert_error(422, "own_account_change");
    assert_eq!(
        patch(&app, &own, &w.admin, json!({"is_active": true}))
            .await
            .status,
        200
    );

    let audit = app
        .get(
            &format!("/api/v1/audit?action=user.update&entity_id={uni_id}"),
            Some(&w.admin),
        )
        .await
        .body;
    assert_eq!(audit["total"], 2, "disabled, enabled: {audit}");
    assert_eq!(audit["items"][1]["after"]["is_active"], false);
}

#[actix_rt::test]
async fn users_edit_their_name_and_a_password_change_ends_the_other_sessions() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let r = patch(&app, "/api/v1/me", &w.uni, json!({"name": "  张伟教授 "})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["name"], "张伟教授");
    assert_eq!(
        app.get("/api/v1/me", Some(&w.uni)).await.body["user"]["name"],
        "张伟教授"
    );
    patch(&app, "/api/v1/me", &w.uni, json!({"name": ""}))
        .await
        .assert_error(400, "invalid_name");
    patch(&app, "/api/v1/me", &w.uni, json!({"role": "admin"}))
        .await
        .assert_error(400, "invalid_request_body");

    let email = w.uni_account.email.clone();
    let other_session = app.login(&email, PASSWORD).await.body["refresh_token"].clone();
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let new_password = "渭河北岸-量子通信-2027";
    app.post(
        "/api/v1/me/password",
        Some(&w.uni),
        &change("wrong-password-1", new_password),
    )
    .await
    .assert_error(403, "wrong_current_password");
    app.post(
        "/api/v1/me/password",
        Some(&w.uni),
        &change(PASSWORD, "aaaaaaaaaaaa"),
    )
    .await
    .assert_error(422, "weak_password");
    app.post(
        "/api/v1/me/password",
        Some(&w.uni),
        &change(PASSWORD, "short"),
    )
    .await
    .assert_error(400, "invalid_password");
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&w.uni),
            &change(PASSWORD, new_password),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let fresh = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status, 200);
    // Access tokens of the ended sessions, this one included, stop working at once.
    app.get("/api/v1/me", Some(&w.uni))
        .await
        .assert_error(401, "invalid_token");
    // The old session's refresh token is revoked; the new one works.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": other_session}),
    )
    .await
    .assert_error(401, "invalid_refresh_token");
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": r.body["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.login(&email, PASSWORD)
        .await
        .assert_error(401, "invalid_credentials");
    assert_eq!(app.login(&email, new_password).await.status, 200);

    let audit = app
        .get(
            "/api/v1/audit?entity=user&action=user.change_password",
            Some(&w.admin),
        )
        .await
        .body;
    assert_eq!(audit["total"], 1);
    assert!(!audit.to_string().contains(new_password));
    let profile = app
        .get("/api/v1/audit?action=user.update_profile", Some(&w.admin))
        .await
        .body;
    assert_eq!(profile["items"][0]["after"]["name"], "张伟教授");
}

#[actix_rt::test]
async fn wrong_current_passwords_are_throttled_like_sign_ins() {
    let app = crate::helpers::spawn_app_with(|s| s.login_max_failures_per_email = 2).await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let body =
        json!({"current_password": "wrong-password-1", "new_password": "渭河北岸-量子通信-2027"});
    for _ in 0..2 {
        app.post("/api/v1/me/password", Some(&uni), &body)
            .await
            .assert_error(403, "wrong_current_password");
    }
    let r = app.post("/api/v1/me/password", Some(&uni), &body).await;
    r.assert_error(429, "too_many_login_attempts");
    assert!(r.header("retry-after").is_some());
}
