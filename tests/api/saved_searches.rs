//! Saved searches and alerts: the same parameters and parser as the public searches, a
//! bounded number per user, one alert per search an hour naming what arrived (titles only,
//! no gated field), and published listings as implicit saved searches (`new_match`).
//! Also the `#[ignore]`d fan-out measurement (10,000 saved searches, 10,000 listings).

use std::time::Duration as StdDuration;

use chrono::Duration;
use diesel::prelude::*;
use serde_json::{Value, json};
use tt_exchange::db::schema::saved_searches;

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};
use crate::notifications::{drained, inbox};

/// Waits until every alert check was evaluated and its notifications fanned out.
pub async fn alerts_done(app: &TestApp) {
    for _ in 0..1500 {
        let pending = app
            .db
            .read(|conn| Ok(tt_exchange::alerts::evaluate::pending(conn)?))
            .await
            .expect("pending");
        if pending == 0 {
            drained(app).await;
            return;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("the alert checks were not evaluated");
}

async fn save(app: &TestApp, token: &str, body: Value) -> crate::helpers::Resp {
    app.post("/api/v1/me/saved-searches", Some(token), &body)
        .await
}

fn of_kind(items: &[Value], kind: &str) -> Vec<Value> {
    items
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

#[actix_rt::test]
async fn saved_searches_are_checked_by_the_search_parser_bounded_and_private() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;

    let r = save(
        &app,
        &ent,
        json!({"kind": "achievements", "name": "机床",
        "params": {"q": "热误差", "chain": ["machine_tools", "new_materials"], "trl_min": 5}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(
        r.body["params"]["chain"],
        json!(["machine_tools", "new_materials"])
    );
    assert_eq!(r.body["params"]["trl_min"], "5");
    assert_eq!(
        r.body["search"],
        "/api/v1/achievements?chain=machine_tools&chain=new_materials&q=%E7%83%AD%E8%AF%AF%E5%B7%AE&trl_min=5"
    );
    // The stored search runs as is on the search endpoint.
    let run = app.get(r.body["search"].as_str().unwrap(), None).await;
    assert_eq!(run.status, 200, "{}", run.text);

    // The same errors as the search: an unknown parameter, a bad code, a bad number.
    let bad = |params: Value| json!({"kind": "demands", "name": "x", "params": params});
    save(&app, &ent, bad(json!({"stage": "pilot"})))
        .await
        .assert_error(400, "invalid_query");
    save(&app, &ent, bad(json!({"chain": "moon"})))
        .await
        .assert_error(400, "invalid_chain");
    save(&app, &ent, bad(json!({"budget_min_fen": "lots"})))
        .await
        .assert_error(400, "invalid_query");
    save(&app, &ent, bad(json!({"q": "x".repeat(201)})))
        .await
        .assert_error(400, "invalid_query");
    // Its own shape: kind, name, values.
    let r = save(
        &app,
        &ent,
        json!({"kind": "offerings", "name": "x", "params": {}}),
    )
    .await;
    r.assert_error(400, "invalid_saved_search");
    assert_eq!(r.body["field"], "kind");
    save(
        &app,
        &ent,
        json!({"kind": "demands", "name": " ", "params": {}}),
    )
    .await
    .assert_error(400, "invalid_saved_search");
    save(&app, &ent, bad(json!({"chain": {"a": 1}})))
        .await
        .assert_error(400, "invalid_saved_search");
    save(&app, &ent, bad(json!({"chain": []})))
        .await
        .assert_error(400, "invalid_saved_search");
    let many: Vec<&str> = vec!["machine_tools"; 51];
    save(&app, &ent, bad(json!({"chain": many})))
        .await
        .assert_error(400, "invalid_saved_search");
    let r = app
        .request(
            awc::http::Method::POST,
            "/api/v1/me/saved-searches",
            Some(&ent),
            Some(&json!({"kind": "demands", "name": "x", "extra": 1})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // Bounded: 20 per user.
    for i in 1..20 {
        let r = save(
            &app,
            &ent,
            json!({"kind": "demands", "name": format!("s{i}"), "params": {}}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    save(
        &app,
        &ent,
        json!({"kind": "demands", "name": "one too many"}),
    )
    .await
    .assert_error(409, "too_many_saved_searches");

    // Private: another user neither lists nor deletes it.
    let r = app.get("/api/v1/me/saved-searches", Some(&other)).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    let r = app.get("/api/v1/me/saved-searches", Some(&ent)).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 20);
    assert_eq!(r.body["items"][0]["id"], id);
    let path = format!("/api/v1/me/saved-searches/{id}");
    let r = app
        .request(awc::http::Method::DELETE, &path, Some(&other), None)
        .await;
    r.assert_error(404, "not_found");
    let r = app
        .request(awc::http::Method::DELETE, &path, Some(&ent), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = app
        .request(awc::http::Method::DELETE, &path, Some(&ent), None)
        .await;
    r.assert_error(404, "not_found");
    let r = save(&app, &ent, json!({"kind": "demands", "name": "room again"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

fn titled(title: &str) -> Value {
    let mut body = achievement_body();
    body["title"] = json!(title);
    body
}

#[actix_rt::test]
async fn a_new_listing_alerts_matching_saved_searches_once_an_hour_with_titles_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    let r = save(
        &app,
        &ent,
        json!({"kind": "achievements", "name": "热误差成果",
        "params": {"q": "热误差", "chain": "machine_tools"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let search = r.body["id"].as_i64().unwrap();
    // Another chain, and demands rather than achievements: neither matches.
    let r = save(
        &app,
        &other,
        json!({"kind": "achievements", "name": "生物医药",
        "params": {"chain": "biomedicine"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = save(
        &app,
        &other,
        json!({"kind": "demands", "name": "热误差需求", "params": {"q": "热误差"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let first = published(
        &app,
        "achievements",
        &uni,
        &admin,
        &titled("主轴热误差补偿一号"),
    )
    .await;
    alerts_done(&app).await;
    let alerts = of_kind(&inbox(&app, &ent).await, "saved_search_match");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let text = alerts[0].to_string();
    assert!(
        text.contains("主轴热误差补偿一号") && text.contains("热误差成果"),
        "{text}"
    );
    assert_eq!(alerts[0]["link"], format!("/api/v1/achievements/{first}"));
    // Gated fields of the listing never reach the text.
    assert!(
        !text.contains("张老师") && !text.contains("LSTM") && !text.contains("029"),
        "{text}"
    );
    assert!(of_kind(&inbox(&app, &other).await, "saved_search_match").is_empty());

    // Within the hour: two more arrive and wait; re-announcing the first never happens.
    published(
        &app,
        "achievements",
        &uni,
        &admin,
        &titled("主轴热误差补偿二号"),
    )
    .await;
    published(
        &app,
        "achievements",
        &uni,
        &admin,
        &titled("主轴热误差补偿三号"),
    )
    .await;
    published(
        &app,
        "achievements",
        &uni,
        &admin,
        &json!({"title": "无关的生物样本库", "chain": "biomedicine"})
            .as_object()
            .map(|o| {
                let mut b = achievement_body();
                for (k, v) in o {
                    b[k] = v.clone();
                }
                b
            })
            .unwrap(),
    )
    .await;
    alerts_done(&app).await;
    assert_eq!(
        of_kind(&inbox(&app, &ent).await, "saved_search_match").len(),
        1
    );
    // The other user's biomedicine search heard of the biomedicine achievement only.
    let theirs = of_kind(&inbox(&app, &other).await, "saved_search_match");
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert!(
        theirs[0]["title"].as_str().unwrap().contains("生物医药"),
        "{theirs:?}"
    );

    // An hour later (moved back by hand), one alert names both.
    let past = tt_exchange::clock::now() - Duration::hours(2);
    app.db
        .write(move |conn| {
            diesel::update(saved_searches::table.find(search))
                .set(saved_searches::last_alert_at.eq(Some(past)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let mut batched = Vec::new();
    for _ in 0..300 {
        batched = of_kind(&inbox(&app, &ent).await, "saved_search_match");
        if batched.len() == 2 {
            break;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert_eq!(batched.len(), 2, "{batched:?}");
    let newest = batched
        .iter()
        .max_by_key(|n| n["id"].as_i64())
        .unwrap()
        .to_string();
    assert!(
        newest.contains("2 条") && newest.contains("二号") && newest.contains("三号"),
        "{newest}"
    );
    assert!(!newest.contains("一号"), "{newest}");
    let r = app.get("/api/v1/me/saved-searches", Some(&ent)).await;
    assert!(
        r.body["items"][0]["last_alert_at"].is_string(),
        "{}",
        r.text
    );
}

#[actix_rt::test]
async fn a_published_listing_is_an_implicit_saved_search_of_its_org() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (outsider, _) = member(&app, Account::enterprise(), true, &admin).await;
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    alerts_done(&app).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    alerts_done(&app).await;
    // The demand's org hears of the new achievement in its top 10.
    let ent_matches = of_kind(&inbox(&app, &ent).await, "new_match");
    assert_eq!(ent_matches.len(), 1, "{ent_matches:?}");
    assert_eq!(ent_matches[0]["link"], format!("/api/v1/achievements/{a}"));
    let text = ent_matches[0].to_string();
    assert!(
        text.contains(&format!("/api/v1/demands/{d}/matches")),
        "{text}"
    );
    assert!(!text.contains("张老师") && !text.contains("LSTM"), "{text}");
    // A second demand, published after the achievement: the achievement's org hears.
    let mut second = demand_body();
    second["title"] = json!("数控机床热误差实时补偿需求");
    let d2 = published(&app, "demands", &ent, &admin, &second).await;
    alerts_done(&app).await;
    let uni_matches = of_kind(&inbox(&app, &uni).await, "new_match");
    assert_eq!(uni_matches.len(), 1, "{uni_matches:?}");
    assert_eq!(uni_matches[0]["link"], format!("/api/v1/demands/{d2}"));
    assert!(
        !uni_matches[0].to_string().contains("王经理"),
        "{uni_matches:?}"
    );
    assert!(of_kind(&inbox(&app, &outsider).await, "new_match").is_empty());
}
