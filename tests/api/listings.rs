//! Achievements and demands: validation, the review lifecycle, visibility and lists.

use awc::http::Method;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use tt_exchange::db::schema::demands;

use crate::helpers::{Account, TestApp, spawn_app};

pub fn achievement_body() -> Value {
    json!({
        "title": "数控机床主轴热误差建模与实时补偿技术",
        "summary": "基于温度场测点优化与机器学习的主轴热误差建模方法，补偿后热漂移降低80%以上。",
        "details": "采用模糊聚类选取关键温度测点，建立LSTM热误差预测模型，嵌入数控系统实时补偿。",
        "contact": "张老师 029-8849 0000",
        "keywords": ["热误差补偿", "数控机床", "精度"],
        "chain": "machine_tools",
        "field": "advanced_manufacturing",
        "trl": 6,
        "stage": "pilot",
        "ip_items": [{"kind": "invention_patent", "number": "ZL202110123456.7", "status": "granted"}],
        "transfer_modes": ["licensing", "co_development"],
        "price_min_fen": 50_000_000,
        "price_max_fen": 200_000_000,
        "inventors": ["张伟", "李娜"]
    })
}

pub fn demand_body() -> Value {
    let valid = (Utc::now().date_naive() + Duration::days(90)).to_string();
    json!({
        "title": "大型龙门加工中心热变形精度保持技术需求",
        "description": "我司龙门加工中心连续加工4小时后Z向热漂移超过30微米，需要热误差补偿方案。",
        "indicators": "热漂移≤8微米；补偿响应时间≤1秒",
        "contact": "王经理 0917-000 0000",
        "keywords": ["热变形", "龙门加工中心"],
        "chain": "machine_tools",
        "field": "advanced_manufacturing",
        "trl_min": 5,
        "budget_min_fen": 100_000_000,
        "budget_max_fen": 300_000_000,
        "cooperation_modes": ["co_development"],
        "valid_until": valid,
        "bottleneck": true
    })
}

/// A registered user of a new org; verified by an admin when `verified`.
pub async fn member(app: &TestApp, account: Account, verified: bool, admin: &str) -> (String, i64) {
    let (_, org_id) = app.registered(&account).await;
    if verified {
        let r = app
            .post(
                &format!("/api/v1/orgs/{org_id}/verify"),
                Some(admin),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    (app.token(&account.email).await, org_id)
}

async fn create(app: &TestApp, kind: &str, token: &str, body: &Value) -> i64 {
    let r = app
        .post(&format!("/api/v1/{kind}"), Some(token), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn step(
    app: &TestApp,
    kind: &str,
    id: i64,
    action: &str,
    token: &str,
    body: Value,
) -> crate::helpers::Resp {
    app.post(&format!("/api/v1/{kind}/{id}/{action}"), Some(token), &body)
        .await
}

/// Creates, submits and approves; returns the id.
pub async fn published(app: &TestApp, kind: &str, owner: &str, admin: &str, body: &Value) -> i64 {
    let id = create(app, kind, owner, body).await;
    assert_eq!(
        step(app, kind, id, "submit", owner, json!({})).await.status,
        200
    );
    let r = step(
        app,
        kind,
        id,
        "review",
        admin,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    id
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> crate::helpers::Resp {
    app.request(Method::PATCH, path, Some(token), Some(&body))
        .await
}

#[actix_rt::test]
async fn a_new_achievement_is_a_draft_of_the_owners_org() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, org_id) = member(
        &app,
        Account::university().org("西北工业大学", "university", "610100"),
        false,
        &admin,
    )
    .await;
    let mut body = achievement_body();
    body.as_object_mut().unwrap().remove("price_min_fen");
    body.as_object_mut().unwrap().remove("price_max_fen");
    let r = app.post("/api/v1/achievements", Some(&uni), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["org_id"], org_id);
    assert_eq!(r.body["org_name"], "西北工业大学");
    assert_eq!(r.body["region"], "610100", "defaults to the org's region");
    assert_eq!(r.body["negotiable"], true);
    assert_eq!(r.body["details"], body["details"]);
    assert_eq!(r.body["status_history"][0]["to"], "draft");
    assert_eq!(r.body["ip_items"][0]["number"], "ZL202110123456.7");
}

#[actix_rt::test]
async fn only_the_owning_roles_create_listings() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    app.post("/api/v1/achievements", Some(&ent), &achievement_body())
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v1/achievements", Some(&broker), &achievement_body())
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v1/achievements", None, &achievement_body())
        .await
        .assert_error(401, "missing_authorization");
    app.post("/api/v1/demands", Some(&uni), &demand_body())
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v1/demands", Some(&admin), &demand_body())
        .await
        .assert_error(403, "forbidden");
    create(&app, "demands", &ent, &demand_body()).await;
}

#[actix_rt::test]
async fn achievement_fields_are_validated_at_the_edge() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), false, &admin).await;
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("title", json!("钛".repeat(121)), 400, "invalid_title"),
        ("title", json!("   "), 400, "invalid_title"),
        ("summary", json!("摘".repeat(2001)), 400, "invalid_summary"),
        (
            "details",
            json!("详".repeat(20_001)),
            400,
            "invalid_details",
        ),
        ("chain", json!("steam_engines"), 400, "invalid_chain"),
        ("field", json!("alchemy"), 400, "invalid_field"),
        ("region", json!("110000"), 400, "invalid_region"),
        ("trl", json!(0), 400, "invalid_trl"),
        ("trl", json!(10), 400, "invalid_trl"),
        ("stage", json!("mass"), 400, "invalid_stage"),
        (
            "ip_items",
            json!([{"kind": "trademark", "number": "1", "status": "granted"}]),
            400,
            "invalid_ip_items",
        ),
        (
            "ip_items",
            json!([{"kind": "invention_patent", "number": "1", "status": "lapsed"}]),
            400,
            "invalid_ip_items",
        ),
        ("transfer_modes", json!([]), 400, "invalid_transfer_modes"),
        (
            "transfer_modes",
            json!(["gift"]),
            400,
            "invalid_transfer_modes",
        ),
        (
            "price_min_fen",
            json!(300_000_000),
            400,
            "invalid_price_range",
        ),
        ("price_min_fen", json!(-1), 400, "invalid_price_range"),
        (
            "price_max_fen",
            json!(10_000_000),
            400,
            "invalid_price_range",
        ),
        ("price_max_fen", json!(-1), 400, "invalid_price_range"),
        ("price_max_fen", json!(1.5), 400, "invalid_request_body"),
        (
            "price_max_fen",
            json!("200000000"),
            400,
            "invalid_request_body",
        ),
        ("keywords", json!(["k".repeat(31)]), 400, "invalid_keywords"),
        ("inventors", json!([""]), 400, "invalid_inventors"),
        ("colour", json!("red"), 400, "invalid_request_body"),
    ];
    for (field, value, status, code) in cases {
        let mut body = achievement_body();
        body[field] = value;
        let r = app.post("/api/v1/achievements", Some(&uni), &body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str().unwrap_or_default()),
            (status, code),
            "{field}: {}",
            r.text
        );
    }
    // An amount beyond i64 is refused by the parser, not wrapped around.
    let overflow = achievement_body()
        .to_string()
        .replace("200000000", "99999999999999999999999");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/achievements",
            Some(&uni),
            Some("application/json"),
            overflow.into_bytes(),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    // Nothing was stored by the refused requests.
    let mine = app.get("/api/v1/orgs/2/achievements", Some(&uni)).await;
    assert_eq!(mine.body["total"], 0, "{}", mine.text);
}

#[actix_rt::test]
async fn demand_fields_are_validated_at_the_edge() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ent, _) = member(&app, Account::enterprise(), false, &admin).await;
    let today = Utc::now().date_naive();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "valid_until",
            json!(today.to_string()),
            "invalid_valid_until",
        ),
        ("valid_until", json!("2020-01-01"), "invalid_valid_until"),
        ("valid_until", json!("next week"), "invalid_request_body"),
        ("budget_min_fen", json!(400_000_000), "invalid_budget_range"),
        ("budget_max_fen", json!(-5), "invalid_budget_range"),
        ("trl_min", json!(12), "invalid_trl"),
        (
            "cooperation_modes",
            json!(["charity"]),
            "invalid_cooperation_modes",
        ),
        ("description", json!(""), "invalid_description"),
        (
            "challenge",
            json!({"bounty_fen": 0, "apply_by": (today + Duration::days(10)).to_string(), "criteria": "方案先进"}),
            "invalid_challenge",
        ),
        (
            "challenge",
            json!({"bounty_fen": 100, "apply_by": (today + Duration::days(200)).to_string(), "criteria": "方案先进"}),
            "invalid_challenge",
        ),
        (
            "challenge",
            json!({"bounty_fen": 100, "apply_by": (today + Duration::days(10)).to_string(), "criteria": "  "}),
            "invalid_challenge",
        ),
    ];
    for (field, value, code) in cases {
        let mut body = demand_body();
        body[field] = value;
        let r = app.post("/api/v1/demands", Some(&ent), &body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str().unwrap_or_default()),
            (400, code),
            "{field}: {}",
            r.text
        );
    }
    let mut challenge = demand_body();
    challenge["challenge"] = json!({"bounty_fen": 500_000_000, "apply_by": (today + Duration::days(30)).to_string(), "criteria": "热漂移指标与成本", "max_winners": 2});
    let r = app.post("/api/v1/demands", Some(&ent), &challenge).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["challenge"]["bounty_fen"], 500_000_000);
    assert_eq!(r.body["challenge"]["max_winners"], 2);
}

#[actix_rt::test]
async fn review_publishes_only_for_verified_orgs_and_keeps_a_history() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, org_id) = member(&app, Account::university(), false, &admin).await;
    let id = create(&app, "achievements", &uni, &achievement_body()).await;
    let r = step(&app, "achievements", id, "submit", &uni, json!({})).await;
    assert_eq!(r.body["status"], "pending_review", "{}", r.text);
    assert!(r.body["submitted_at"].is_string());
    // Only admins review.
    step(
        &app,
        "achievements",
        id,
        "review",
        &uni,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(403, "forbidden");
    step(
        &app,
        "achievements",
        id,
        "review",
        &admin,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(422, "owner_org_not_verified");
    app.post(
        &format!("/api/v1/orgs/{org_id}/verify"),
        Some(&admin),
        &json!({}),
    )
    .await;
    let r = step(
        &app,
        "achievements",
        id,
        "review",
        &admin,
        json!({"decision": "approve", "comment": "符合入库条件"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "published");
    assert!(r.body["published_at"].is_string());
    let hist: Vec<&str> = r.body["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(hist, ["draft", "pending_review", "published"]);
    assert_eq!(r.body["status_history"][2]["comment"], "符合入库条件");
    // Approving twice is not a thing.
    step(
        &app,
        "achievements",
        id,
        "review",
        &admin,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(409, "invalid_transition");
    step(
        &app,
        "achievements",
        id,
        "review",
        &admin,
        json!({"decision": "maybe"}),
    )
    .await
    .assert_error(400, "invalid_decision");

    let audit = app
        .get(
            &format!("/api/v1/audit?entity=achievement&entity_id={id}"),
            Some(&admin),
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "achievement.approve",
            "achievement.submit",
            "achievement.create"
        ]
    );
}

#[actix_rt::test]
async fn returned_items_are_fixed_and_resubmitted_rejected_ones_are_final() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let id = create(&app, "demands", &ent, &demand_body()).await;
    step(&app, "demands", id, "submit", &ent, json!({})).await;
    step(
        &app,
        "demands",
        id,
        "review",
        &admin,
        json!({"decision": "return"}),
    )
    .await
    .assert_error(400, "comment_required");
    step(
        &app,
        "demands",
        id,
        "review",
        &admin,
        json!({"decision": "return", "comment": "长".repeat(2001)}),
    )
    .await
    .assert_error(400, "invalid_comment");
    let r = step(
        &app,
        "demands",
        id,
        "review",
        &admin,
        json!({"decision": "return", "comment": "请补充技术指标"}),
    )
    .await;
    assert_eq!(r.body["status"], "returned", "{}", r.text);
    assert_eq!(r.body["review_comment"], "请补充技术指标");
    let r = patch(
        &app,
        &format!("/api/v1/demands/{id}"),
        &ent,
        json!({"indicators": "热漂移≤5微米", "budget_min_fen": null, "budget_max_fen": null}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["indicators"], "热漂移≤5微米");
    assert_eq!(r.body["negotiable"], true);
    step(&app, "demands", id, "submit", &ent, json!({})).await;
    let r = step(
        &app,
        "demands",
        id,
        "review",
        &admin,
        json!({"decision": "reject", "comment": "不属于技术需求"}),
    )
    .await;
    assert_eq!(r.body["status"], "rejected");
    step(&app, "demands", id, "submit", &ent, json!({}))
        .await
        .assert_error(409, "invalid_transition");
    patch(
        &app,
        &format!("/api/v1/demands/{id}"),
        &ent,
        json!({"title": "再试一次"}),
    )
    .await
    .assert_error(409, "not_editable");
}

#[actix_rt::test]
async fn only_owners_edit_and_only_drafts_and_returned_items() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (other_uni, _) = member(&app, Account::university(), true, &admin).await;
    let id = create(&app, "achievements", &uni, &achievement_body()).await;
    let path = format!("/api/v1/achievements/{id}");
    // Another org cannot even see the draft.
    patch(&app, &path, &other_uni, json!({"title": "改标题"}))
        .await
        .assert_error(404, "not_found");
    let r = patch(
        &app,
        &path,
        &uni,
        json!({"title": "  改进的热误差补偿技术 ", "price_min_fen": null, "price_max_fen": null}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["title"], "改进的热误差补偿技术");
    assert_eq!(r.body["negotiable"], true);
    assert_eq!(
        r.body["summary"],
        achievement_body()["summary"],
        "untouched fields stay"
    );
    patch(&app, &path, &uni, json!({"trl": 11}))
        .await
        .assert_error(400, "invalid_trl");
    patch(&app, &path, &uni, json!({"owner": 1}))
        .await
        .assert_error(400, "invalid_request_body");
    step(&app, "achievements", id, "submit", &uni, json!({})).await;
    patch(&app, &path, &uni, json!({"title": "审核中修改"}))
        .await
        .assert_error(409, "not_editable");
    step(
        &app,
        "achievements",
        id,
        "review",
        &admin,
        json!({"decision": "approve"}),
    )
    .await;
    patch(&app, &path, &other_uni, json!({"title": "别人的"}))
        .await
        .assert_error(403, "forbidden");
    patch(&app, &path, &uni, json!({"title": "已发布修改"}))
        .await
        .assert_error(409, "not_editable");
}

#[actix_rt::test]
async fn who_sees_what() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (unverified, _) = member(&app, Account::enterprise(), false, &admin).await;
    let (verified, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let (unverified_broker, _) = member(&app, Account::broker(), false, &admin).await;
    let draft = create(&app, "achievements", &uni, &achievement_body()).await;
    let path = format!("/api/v1/achievements/{draft}");
    app.get(&path, None).await.assert_error(404, "not_found");
    app.get(&path, Some(&verified))
        .await
        .assert_error(404, "not_found");
    assert_eq!(app.get(&path, Some(&uni)).await.status, 200);
    assert_eq!(app.get(&path, Some(&admin)).await.status, 200);

    let id = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let path = format!("/api/v1/achievements/{id}");
    let public = app.get(&path, None).await;
    assert_eq!(public.status, 200);
    assert!(
        public.body.get("details").is_none() && public.body.get("contact").is_none(),
        "{}",
        public.text
    );
    assert!(public.body.get("status_history").is_none());
    for token in [&unverified, &unverified_broker] {
        let r = app.get(&path, Some(token)).await;
        assert!(
            r.body.get("details").is_none() && r.body.get("contact").is_none(),
            "unverified orgs (brokers too) do not see details"
        );
    }
    for token in [&verified, &broker, &admin, &uni] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(r.body["details"], achievement_body()["details"]);
        assert_eq!(r.body["contact"], achievement_body()["contact"]);
    }
    assert!(app.get(&path, Some(&admin)).await.body["status_history"].is_array());
    assert!(
        app.get(&path, Some(&verified))
            .await
            .body
            .get("status_history")
            .is_none()
    );
    app.get(&path, Some("bad-token"))
        .await
        .assert_error(401, "invalid_token");
}

#[actix_rt::test]
async fn owners_withdraw_published_achievements() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (other, _) = member(&app, Account::university(), true, &admin).await;
    let id = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    step(&app, "achievements", id, "withdraw", &other, json!({}))
        .await
        .assert_error(403, "forbidden");
    step(&app, "achievements", id, "close", &uni, json!({}))
        .await
        .assert_error(404, "route_not_found");
    let r = step(&app, "achievements", id, "withdraw", &uni, json!({})).await;
    assert_eq!(r.body["status"], "withdrawn", "{}", r.text);
    app.get(&format!("/api/v1/achievements/{id}"), None)
        .await
        .assert_error(404, "not_found");
    step(&app, "achievements", id, "withdraw", &uni, json!({}))
        .await
        .assert_error(409, "invalid_transition");
}

#[actix_rt::test]
async fn only_drafts_are_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let draft = create(&app, "achievements", &uni, &achievement_body()).await;
    let submitted = create(&app, "achievements", &uni, &achievement_body()).await;
    step(&app, "achievements", submitted, "submit", &uni, json!({})).await;
    let del = |id: i64, token: String| {
        let app = &app;
        async move {
            app.request(
                Method::DELETE,
                &format!("/api/v1/achievements/{id}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    del(submitted, uni.clone())
        .await
        .assert_error(409, "invalid_transition");
    del(draft, admin.clone())
        .await
        .assert_error(403, "forbidden");
    let r = del(draft, uni.clone()).await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.get(&format!("/api/v1/achievements/{draft}"), Some(&uni))
        .await
        .assert_error(404, "not_found");
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?entity=achievement&entity_id={draft}&action=achievement.delete"
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(audit.body["total"], 1);
    assert_eq!(audit.body["items"][0]["before"]["status"], "draft");
}

#[actix_rt::test]
async fn demands_past_valid_until_read_as_expired_and_can_be_closed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ent, org_id) = member(&app, Account::enterprise(), true, &admin).await;
    let id = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let live = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    app.db
        .write(move |conn| {
            // Time passing, as far as the database and the index know.
            diesel::update(demands::table.find(id))
                .set(demands::valid_until.eq(yesterday))
                .execute(conn)?;
            tt_exchange::search::outbox::enqueue(
                conn,
                tt_exchange::search::IndexKind::Demands,
                &[id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let r = app.get(&format!("/api/v1/demands/{id}"), Some(&ent)).await;
    assert_eq!(r.body["status"], "expired", "{}", r.text);
    app.get(&format!("/api/v1/demands/{id}"), None)
        .await
        .assert_error(404, "not_found");
    app.sync_search().await;
    let public = app.get("/api/v1/demands", None).await;
    let ids: Vec<i64> = public.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [live]);
    let expired = app
        .get(
            &format!("/api/v1/orgs/{org_id}/demands?status=expired"),
            Some(&ent),
        )
        .await;
    assert_eq!(expired.body["total"], 1, "{}", expired.text);
    assert_eq!(expired.body["items"][0]["id"], id);
    let r = step(&app, "demands", id, "close", &ent, json!({})).await;
    assert_eq!(r.body["status"], "closed", "{}", r.text);
    step(&app, "demands", live, "withdraw", &ent, json!({}))
        .await
        .assert_error(404, "route_not_found");
    let r = step(&app, "demands", live, "close", &admin, json!({})).await;
    assert_eq!(r.body["status"], "closed");
}

#[actix_rt::test]
async fn lists_for_the_public_owners_and_reviewers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, org_id) = member(&app, Account::university(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    let mut photonics = achievement_body();
    photonics["chain"] = json!("photonics");
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let b = published(&app, "achievements", &uni, &admin, &photonics).await;
    let first_pending = create(&app, "achievements", &uni, &achievement_body()).await;
    let second_pending = create(&app, "achievements", &uni, &achievement_body()).await;
    step(
        &app,
        "achievements",
        first_pending,
        "submit",
        &uni,
        json!({}),
    )
    .await;
    step(
        &app,
        "achievements",
        second_pending,
        "submit",
        &uni,
        json!({}),
    )
    .await;
    create(&app, "achievements", &uni, &achievement_body()).await;

    app.sync_search().await;
    let ids = |r: &crate::helpers::Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let public = app.get("/api/v1/achievements", None).await;
    assert_eq!(ids(&public), [b, a], "published only, newest first");
    assert!(public.body["items"][0].get("details").is_none());
    assert_eq!(
        ids(&app.get("/api/v1/achievements?chain=photonics", None).await),
        [b]
    );
    app.get("/api/v1/achievements?chain=nope", None)
        .await
        .assert_error(400, "invalid_chain");
    app.get("/api/v1/achievements?colour=x", None)
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/achievements?status=draft", None)
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/orgs/99999/achievements", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/v1/orgs/99999/demands", None)
        .await
        .assert_error(404, "not_found");

    let mine = app
        .get(&format!("/api/v1/orgs/{org_id}/achievements"), Some(&uni))
        .await;
    assert_eq!(mine.body["total"], 5, "{}", mine.text);
    let drafts = app
        .get(
            &format!("/api/v1/orgs/{org_id}/achievements?status=draft"),
            Some(&uni),
        )
        .await;
    assert_eq!(drafts.body["total"], 1);
    let outsider = app
        .get(&format!("/api/v1/orgs/{org_id}/achievements"), Some(&other))
        .await;
    assert_eq!(outsider.body["total"], 2, "outsiders see published only");

    let queue = app.get("/api/v1/review/achievements", Some(&admin)).await;
    assert_eq!(ids(&queue), [first_pending, second_pending], "oldest first");
    app.get("/api/v1/review/achievements", Some(&uni))
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v1/review/demands", None)
        .await
        .assert_error(401, "missing_authorization");
}

/// Sets or removes (`None`: key left out) the two ends of a range in a body.
fn with_range(mut body: Value, what: &str, min: Option<Value>, max: Option<Value>) -> Value {
    for (end, value) in [("min", min), ("max", max)] {
        let key = format!("{what}_{end}_fen");
        match value {
            Some(v) => body[&key] = v,
            None => {
                body.as_object_mut().unwrap().remove(&key);
            }
        }
    }
    body
}

#[actix_rt::test]
async fn price_and_budget_ranges_may_be_open_at_either_end() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), false, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), false, &admin).await;
    let (n, wan50, wan30) = (Value::Null, json!(50_000_000), json!(30_000_000));
    let cases = [
        // (min sent, max sent, min stored, max stored, negotiable)
        (Some(n.clone()), Some(wan50.clone()), &n, &wan50, false),
        (None, Some(wan50.clone()), &n, &wan50, false),
        (Some(wan30.clone()), Some(n.clone()), &wan30, &n, false),
        (Some(wan30.clone()), None, &wan30, &n, false),
        (
            Some(wan30.clone()),
            Some(wan50.clone()),
            &wan30,
            &wan50,
            false,
        ),
        (Some(n.clone()), Some(n.clone()), &n, &n, true),
        (None, None, &n, &n, true),
    ];
    for (kind, what, token, base) in [
        ("achievements", "price", &uni, achievement_body()),
        ("demands", "budget", &ent, demand_body()),
    ] {
        let (lo, hi) = (format!("{what}_min_fen"), format!("{what}_max_fen"));
        for (min, max, want_min, want_max, negotiable) in cases.clone() {
            let body = with_range(base.clone(), what, min.clone(), max.clone());
            let r = app
                .post(&format!("/api/v1/{kind}"), Some(token), &body)
                .await;
            assert_eq!(r.status, 201, "{kind} {min:?}..{max:?}: {}", r.text);
            let id = r.body["id"].as_i64().unwrap();
            let read = app.get(&format!("/api/v1/{kind}/{id}"), Some(token)).await;
            for answer in [&r.body, &read.body] {
                assert_eq!(
                    (&answer[&lo], &answer[&hi], &answer["negotiable"]),
                    (want_min, want_max, &json!(negotiable)),
                    "{kind} {min:?}..{max:?}"
                );
            }
        }
        // min > max: refused, naming the minimum.
        let body = with_range(
            base.clone(),
            what,
            Some(json!(60_000_000)),
            Some(wan50.clone()),
        );
        let r = app
            .post(&format!("/api/v1/{kind}"), Some(token), &body)
            .await;
        r.assert_error(400, &format!("invalid_{what}_range"));
        assert_eq!(r.body["field"], lo.as_str(), "{}", r.text);
    }
}

#[actix_rt::test]
async fn a_patch_opens_one_end_of_a_range_with_null() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), false, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), false, &admin).await;
    for (kind, what, token, base) in [
        ("achievements", "price", &uni, achievement_body()),
        ("demands", "budget", &ent, demand_body()),
    ] {
        let (lo, hi) = (format!("{what}_min_fen"), format!("{what}_max_fen"));
        let body = with_range(base, what, Some(json!(30_000_000)), Some(json!(50_000_000)));
        let id = create(&app, kind, token, &body).await;
        let path = format!("/api/v1/{kind}/{id}");
        // "Up to 50万元": the minimum opened, the maximum kept.
        let r = patch(&app, &path, token, json!({ lo.as_str(): null })).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            (&r.body[&lo], &r.body[&hi]),
            (&Value::Null, &json!(50_000_000))
        );
        assert_eq!(r.body["negotiable"], false);
        // A minimum above the stored maximum is refused, naming the field.
        let r = patch(&app, &path, token, json!({ lo.as_str(): 60_000_000 })).await;
        r.assert_error(400, &format!("invalid_{what}_range"));
        assert_eq!(r.body["field"], lo.as_str());
        // "From 60万元": the maximum opened in the same patch.
        let r = patch(
            &app,
            &path,
            token,
            json!({ lo.as_str(): 60_000_000, hi.as_str(): null }),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            (&r.body[&lo], &r.body[&hi]),
            (&json!(60_000_000), &Value::Null)
        );
        // Both open: negotiable; the read shows what is stored.
        patch(&app, &path, token, json!({ lo.as_str(): null })).await;
        let read = app.get(&path, Some(token)).await;
        assert_eq!(
            (&read.body[&lo], &read.body[&hi]),
            (&Value::Null, &Value::Null)
        );
        assert_eq!(read.body["negotiable"], true);
    }
}
