//! The broker's deal pipeline, and who sees matches and deals.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

struct World {
    admin: String,
    uni: String,
    ent: String,
    broker: String,
    other_broker: String,
    demand: i64,
    achievement: i64,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let (uni, _) = member(app, Account::university(), true, &admin).await;
    let (ent, _) = member(app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(app, Account::broker(), true, &admin).await;
    let (other_broker, _) = member(app, Account::broker(), true, &admin).await;
    let achievement = published(app, "achievements", &uni, &admin, &achievement_body()).await;
    let demand = published(app, "demands", &ent, &admin, &demand_body()).await;
    app.sync_search().await;
    World {
        admin,
        uni,
        ent,
        broker,
        other_broker,
        demand,
        achievement,
    }
}

async fn open(app: &TestApp, w: &World, token: &str, extra: Value) -> Resp {
    let mut body = json!({"demand_id": w.demand, "achievement_id": w.achievement});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post("/api/v1/deals", Some(token), &body).await
}

async fn patch(app: &TestApp, id: i64, token: &str, body: Value) -> Resp {
    app.request(
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        Some(token),
        Some(&body),
    )
    .await
}

#[actix_rt::test]
async fn matches_go_both_ways_with_scores_and_reasons() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let r = app
        .get(
            &format!("/api/v1/demands/{}/matches", w.demand),
            Some(&w.broker),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = &r.body["items"][0];
    assert_eq!(first["achievement"]["id"], w.achievement);
    let score = first["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0, "{score}");
    let codes: Vec<&str> = first["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"shared_keywords")
            && codes.contains(&"same_chain")
            && codes.contains(&"trl_fits"),
        "{codes:?}"
    );
    let detail = first["reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.starts_with("关键词重合："), "{detail}");

    let r = app
        .get(
            &format!("/api/v1/achievements/{}/matches?limit=5", w.achievement),
            Some(&w.uni),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"][0]["demand"]["id"], w.demand);
    assert_eq!(r.body["items"][0]["demand"]["challenge"], false);
    app.get(
        &format!("/api/v1/demands/{}/matches?limit=51", w.demand),
        Some(&w.broker),
    )
    .await
    .assert_error(400, "invalid_query");
}

/// The detail of the price reason of the match of `id` (under `side`), if any.
fn price_reason(r: &Resp, side: &str, id: i64) -> Option<(String, String)> {
    let item = r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .find(|i| i[side]["id"] == id)
        .unwrap_or_else(|| panic!("{side} {id} among the matches: {}", r.text));
    item["reasons"]
        .as_array()?
        .iter()
        .find(|x| x["code"].as_str().is_some_and(|c| c.starts_with("price_")))
        .map(|x| {
            (
                x["code"].as_str().unwrap().into(),
                x["detail"].as_str().unwrap().into(),
            )
        })
}

#[actix_rt::test]
async fn match_reasons_read_open_budgets_and_prices() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let range = |mut b: Value, what: &str, min: Value, max: Value| {
        b[format!("{what}_min_fen")] = min;
        b[format!("{what}_max_fen")] = max;
        b
    };
    // From 30万元; and from 60万元, above the budget.
    let body = range(achievement_body(), "price", json!(30_000_000), Value::Null);
    let from30 = published(&app, "achievements", &uni, &admin, &body).await;
    let body = range(achievement_body(), "price", json!(60_000_000), Value::Null);
    let from60 = published(&app, "achievements", &uni, &admin, &body).await;
    // Up to 50万元; and from 20万元 with no top.
    let body = range(demand_body(), "budget", Value::Null, json!(50_000_000));
    let upto50 = published(&app, "demands", &ent, &admin, &body).await;
    let body = range(demand_body(), "budget", json!(20_000_000), Value::Null);
    let from20 = published(&app, "demands", &ent, &admin, &body).await;
    app.sync_search().await;

    let r = app
        .get(&format!("/api/v1/demands/{upto50}/matches"), Some(&broker))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let fits = (
        "price_within_budget".to_string(),
        "报价起点30万元在预算上限50万元以内".to_string(),
    );
    assert_eq!(price_reason(&r, "achievement", from30), Some(fits.clone()));
    assert_eq!(
        price_reason(&r, "achievement", from60),
        None,
        "starts above the budget"
    );

    let r = app
        .get(
            &format!("/api/v1/achievements/{from30}/matches"),
            Some(&broker),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(price_reason(&r, "demand", upto50), Some(fits));
    let shown = &r.body["items"][0]["demand"];
    assert!(shown.get("budget_ceiling_fen").is_none(), "{shown}");
    assert_eq!(
        price_reason(&r, "demand", from20),
        Some((
            "price_within_budget".into(),
            "预算20万元起、不设上限，可覆盖报价起点30万元".into()
        ))
    );
}

#[actix_rt::test]
async fn matches_are_for_brokers_admins_and_the_owning_org() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/api/v1/demands/{}/matches", w.demand);
    for token in [&w.broker, &w.admin, &w.ent] {
        assert_eq!(app.get(&path, Some(token)).await.status, 200);
    }
    app.get(&path, Some(&w.uni))
        .await
        .assert_error(403, "forbidden");
    app.get(&path, None)
        .await
        .assert_error(401, "missing_authorization");
    app.get("/api/v1/demands/999999/matches", Some(&w.broker))
        .await
        .assert_error(404, "not_found");
    // A draft is its org's business only: 404 to brokers and other orgs alike.
    let draft = app
        .post("/api/v1/demands", Some(&w.ent), &demand_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let draft_path = format!("/api/v1/demands/{draft}/matches");
    assert_eq!(app.get(&draft_path, Some(&w.ent)).await.status, 200);
    app.get(&draft_path, Some(&w.broker))
        .await
        .assert_error(404, "not_found");
    app.get(&draft_path, Some(&w.uni))
        .await
        .assert_error(404, "not_found");
}

#[actix_rt::test]
async fn brokers_open_deals_on_published_pairs_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    open(&app, &w, &w.uni, json!({}))
        .await
        .assert_error(403, "forbidden");
    let r = open(&app, &w, &w.broker, json!({"note": "企业急需，先约技术负责人", "next_follow_up": "2030-01-15", "from_match": true})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["stage"], "recommended");
    assert_eq!(r.body["version"], 1);
    assert!(r.body["match"]["score"].as_f64().unwrap() > 0.0);
    assert!(
        r.body["match"]["reasons"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert_eq!(r.body["events"][0]["kind"], "created");
    assert_eq!(r.body["events"][0]["note"], "企业急需，先约技术负责人");
    let id = r.body["id"].as_i64().unwrap();
    let again = open(&app, &w, &w.other_broker, json!({})).await;
    again.assert_error(409, "deal_exists");
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("/api/v1/deals/{id}"))
    );

    // Unpublished listings cannot be dealt.
    let draft = app
        .post("/api/v1/achievements", Some(&w.uni), &achievement_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/api/v1/deals",
        Some(&w.broker),
        &json!({"demand_id": w.demand, "achievement_id": draft}),
    )
    .await
    .assert_error(422, "not_published");
    app.post(
        "/api/v1/deals",
        Some(&w.broker),
        &json!({"demand_id": 999999, "achievement_id": draft}),
    )
    .await
    .assert_error(422, "reference_not_found");
}

#[actix_rt::test]
async fn stages_move_forward_with_versions_and_a_timeline() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = open(&app, &w, &w.broker, json!({})).await.body["id"]
        .as_i64()
        .unwrap();
    let r = patch(
        &app,
        id,
        &w.broker,
        json!({"version": 1, "stage": "contacted", "note": "已电话联系双方"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    // An absurd version is a conflict too, never an overflow.
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": i32::MAX, "note": "x"}),
    )
    .await
    .assert_error(409, "version_conflict");
    // A stale version is refused and changes nothing.
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": 1, "stage": "negotiating"}),
    )
    .await
    .assert_error(409, "version_conflict");
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": 2, "stage": "recommended"}),
    )
    .await
    .assert_error(409, "invalid_stage_change");
    patch(
        &app,
        id,
        &w.other_broker,
        json!({"version": 2, "stage": "negotiating"}),
    )
    .await
    .assert_error(404, "not_found");
    let r = patch(
        &app,
        id,
        &w.broker,
        json!({"version": 2, "next_follow_up": "2030-02-01"}),
    )
    .await;
    assert_eq!(r.body["next_follow_up"], "2030-02-01");
    // Lost needs a known reason and a note.
    patch(&app, id, &w.broker, json!({"version": 3, "stage": "lost"}))
        .await
        .assert_error(400, "invalid_lost_reason");
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": 3, "stage": "lost", "lost_reason": "weather"}),
    )
    .await
    .assert_error(400, "invalid_lost_reason");
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": 3, "stage": "lost", "lost_reason": "price"}),
    )
    .await
    .assert_error(400, "note_required");
    let r = patch(
        &app,
        id,
        &w.broker,
        json!({"version": 3, "stage": "lost", "lost_reason": "price", "note": "报价超出预算一倍"}),
    )
    .await;
    assert_eq!(r.body["stage"], "lost", "{}", r.text);
    assert_eq!(r.body["lost_reason"], "price");
    patch(
        &app,
        id,
        &w.broker,
        json!({"version": 4, "stage": "negotiating"}),
    )
    .await
    .assert_error(409, "invalid_stage_change");
    let kinds: Vec<(&str, &str)> = r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["to"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("created", "recommended"),
            ("stage", "contacted"),
            ("follow_up", "-"),
            ("stage", "lost")
        ]
    );
    // A lost deal frees the pair for a new one.
    assert_eq!(open(&app, &w, &w.broker, json!({})).await.status, 201);
}

#[actix_rt::test]
async fn deals_are_seen_by_their_broker_the_two_orgs_and_admins() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = open(&app, &w, &w.broker, json!({"next_follow_up": "2020-01-01"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/deals/{id}");
    for token in [&w.broker, &w.admin, &w.uni, &w.ent] {
        assert_eq!(app.get(&path, Some(token)).await.status, 200);
        assert_eq!(app.get("/api/v1/deals", Some(token)).await.body["total"], 1);
    }
    app.get(&path, Some(&w.other_broker))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/api/v1/deals", Some(&w.other_broker)).await.body["total"],
        0
    );
    // Orgs see but do not move deals.
    patch(
        &app,
        id,
        &w.ent,
        json!({"version": 1, "stage": "contacted"}),
    )
    .await
    .assert_error(403, "forbidden");
    // Filters.
    assert_eq!(
        app.get("/api/v1/deals?follow_up_due=true", Some(&w.broker))
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/deals?stage=signed", Some(&w.broker))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/deals?chain=machine_tools", Some(&w.admin))
            .await
            .body["total"],
        1
    );
    app.get("/api/v1/deals?stage=won", Some(&w.admin))
        .await
        .assert_error(400, "invalid_query");
    let audit = app
        .get(
            &format!("/api/v1/audit?entity=deal&entity_id={id}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(audit.body["items"][0]["action"], "deal.create");
}
