//! Saved searches and alerts: the same parameters and parser as the public searches, a
//! bounded number per user, one alert per search an hour naming what arrived (titles only,
//! no gated field), and published listings as implicit saved searches (`new_match`).
//! Also the fan-out measurement (`TT_TEST_FANOUT` saved searches and listings; 300 here,
//! 10,000 for BENCHMARKS.md).

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

/// Publishes an achievement of `uni` that differs from the fixture's by its title.
async fn publish_titled(app: &TestApp, uni: &str, admin: &str, title: &str) -> i64 {
    published(app, "achievements", uni, admin, &titled(title)).await
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

    let first = publish_titled(&app, &uni, &admin, "主轴热误差补偿一号").await;
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
    publish_titled(&app, &uni, &admin, "主轴热误差补偿二号").await;
    publish_titled(&app, &uni, &admin, "主轴热误差补偿三号").await;
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

/// Moves a saved search's last alert back by `hours` and runs the announcing step once:
/// how many searches it announced.
async fn alert_after(app: &TestApp, search: i64, hours: i64) -> usize {
    let past = tt_exchange::clock::now() - Duration::hours(hours);
    app.db
        .write(move |conn| {
            diesel::update(saved_searches::table.find(search))
                .set(saved_searches::last_alert_at.eq(Some(past)))
                .execute(conn)?;
            Ok(tt_exchange::alerts::evaluate::flush(conn)?)
        })
        .await
        .unwrap()
}

#[actix_rt::test]
async fn a_daily_search_waits_a_day_and_a_search_turned_off_records_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    let body = |alert: &str| json!({"kind": "achievements", "name": "热误差", "params": {"q": "热误差"}, "alert": alert});
    save(&app, &ent, body("weekly"))
        .await
        .assert_error(400, "invalid_saved_search");
    let r = save(&app, &ent, body("daily")).await;
    assert_eq!(
        (r.status, r.body["alert"].as_str()),
        (201, Some("daily")),
        "{}",
        r.text
    );
    let daily = r.body["id"].as_i64().unwrap();
    let r = save(&app, &other, body("off")).await;
    let off = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/me/saved-searches/{off}");
    // Only its owner changes it, to a known cadence.
    let patch = |token: String, body: Value| {
        let (app, path) = (&app, path.clone());
        async move {
            app.request(awc::http::Method::PATCH, &path, Some(&token), Some(&body))
                .await
        }
    };
    patch(ent.clone(), json!({"alert": "hourly"}))
        .await
        .assert_error(404, "not_found");
    patch(other.clone(), json!({"alert": "sometimes"}))
        .await
        .assert_error(400, "invalid_saved_search");

    publish_titled(&app, &uni, &admin, "热误差补偿一号").await;
    alerts_done(&app).await;
    let first = of_kind(&inbox(&app, &ent).await, "saved_search_match");
    assert_eq!(first.len(), 1, "a first alert comes at once: {first:?}");
    assert!(of_kind(&inbox(&app, &other).await, "saved_search_match").is_empty());

    publish_titled(&app, &uni, &admin, "热误差补偿二号").await;
    alerts_done(&app).await;
    assert_eq!(alert_after(&app, daily, 2).await, 0, "an hour is not a day");
    assert_eq!(alert_after(&app, daily, 25).await, 1, "a day is");
    let told = of_kind(&inbox(&app, &ent).await, "saved_search_match");
    assert_eq!(told.len(), 2, "{told:?}");

    // Turned on again, the search tells only what arrives from now on.
    let r = patch(
        other.clone(),
        json!({"alert": "hourly", "name": "热误差（每小时）"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["alert"].as_str(), r.body["name"].as_str()),
        (Some("hourly"), Some("热误差（每小时）"))
    );
    publish_titled(&app, &uni, &admin, "热误差补偿三号").await;
    alerts_done(&app).await;
    let theirs = of_kind(&inbox(&app, &other).await, "saved_search_match");
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    let text = theirs[0].to_string();
    assert!(
        text.contains("三号") && !text.contains("一号") && !text.contains("二号"),
        "{text}"
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

/// The fan-out cost of alerts: `TT_TEST_FANOUT` published achievements (gen-data) checked
/// against as many saved searches (20 users; a keyword, a chain and a TRL floor each),
/// printed; 300 of each in the suite, 10,000 for the numbers in BENCHMARKS.md:
/// `TT_TEST_FANOUT=10000 cargo test --release --test api saved_searches::fan_out -- --nocapture`
/// (add `TT_TEST_DATABASE_URL=...` for PostgreSQL).
#[actix_rt::test]
async fn fan_out_of_published_listings_against_saved_searches() {
    use tt_exchange::db::schema::{achievements, alert_checks, notifications, saved_search_hits};
    let scale: usize = std::env::var("TT_TEST_FANOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (listings, searches) = (scale as u64, scale);
    const USERS: usize = 20;
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || {
        tt_exchange::tools::gen_data::generate(&db, listings, 0, 0, false)
    })
    .await
    .unwrap()
    .unwrap();
    app.sync_search().await;
    let mut users = Vec::new();
    for i in 0..USERS {
        let email = format!("watcher{i}@alerts.example.cn");
        users.push(app.create_user_directly(&email, "admin", None).await);
    }
    let vocab = tt_exchange::tools::gen_data::vocabulary();
    let mut rows = Vec::new();
    for i in 0..searches {
        let chain = &vocab[i % vocab.len()];
        let word = &chain.keywords[(i / vocab.len()) % chain.keywords.len()];
        let pairs = vec![
            ("q".to_owned(), word.clone()),
            ("chain".to_owned(), chain.chain.to_owned()),
            ("trl_min".to_owned(), (1 + (i / 7) % 9).to_string()),
        ];
        rows.push((users[i % USERS], serde_json::to_string(&pairs).unwrap()));
    }
    let distinct = rows
        .iter()
        .map(|r| &r.1)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    app.db
        .write(move |conn| {
            let at = tt_exchange::clock::now();
            for (user, params) in &rows {
                diesel::insert_into(saved_searches::table)
                    .values((
                        saved_searches::user_id.eq(user),
                        saved_searches::kind.eq("achievements"),
                        saved_searches::name.eq("watch"),
                        saved_searches::params.eq(params),
                        saved_searches::created_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    // All 10,000 published at once: their checks land as a publish writes them.
    let started = std::time::Instant::now();
    app.db
        .write(|conn| {
            let ids: Vec<i64> = achievements::table.select(achievements::id).load(conn)?;
            for id in ids {
                tt_exchange::alerts::listing_changed(
                    conn,
                    tt_exchange::search::IndexKind::Achievements,
                    id,
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let queued = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..60_000 {
        let left = app
            .db
            .read(|c| Ok(alert_checks::table.count().get_result::<i64>(c)?))
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    let evaluated = started.elapsed();
    drained(&app).await;
    let fanned = started.elapsed();
    let (hits, notes): (i64, i64) = app
        .db
        .read(|c| {
            Ok((
                saved_search_hits::table.count().get_result(c)?,
                notifications::table
                    .filter(notifications::kind.eq("saved_search_match"))
                    .count()
                    .get_result(c)?,
            ))
        })
        .await
        .unwrap();
    let batches = listings.div_ceil(tt_exchange::alerts::evaluate::BATCH as u64);
    println!(
        "alerts fan-out: {listings} listings × {searches} saved searches ({distinct} distinct queries, {USERS} users): \
         checks queued in {:.2} s; evaluated in {:.1} s ({batches} batches × {distinct} engine queries = {} queries, {:.2} ms each, plus 1 matching per listing); \
         {hits} hits recorded, {notes} notifications (one per search) in the inboxes after {:.1} s",
        queued.as_secs_f64(),
        evaluated.as_secs_f64(),
        batches as usize * distinct,
        evaluated.as_secs_f64() * 1000.0 / (batches as f64 * distinct as f64),
        fanned.as_secs_f64(),
    );
    assert!(hits > 0 && notes > 0);
}
