//! Search over HTTP: the outbox keeps the index in step with every write, answers carry
//! facets and highlights, bad parameters are 400s, and an unreachable engine loses nothing.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

fn ids(r: &crate::helpers::Resp) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn achievement(title: &str, keywords: &[&str], chain: &str, price: Option<(i64, i64)>) -> Value {
    let mut b = achievement_body();
    b["title"] = json!(title);
    b["summary"] = json!(format!("{title}，面向陕西产业链的成果转化。"));
    b["keywords"] = json!(keywords);
    b["chain"] = json!(chain);
    match price {
        Some((lo, hi)) => {
            b["price_min_fen"] = json!(lo);
            b["price_max_fen"] = json!(hi);
        }
        None => {
            b["price_min_fen"] = Value::Null;
            b["price_max_fen"] = Value::Null;
        }
    }
    b
}

async fn setup(app: &TestApp) -> (String, String, Vec<i64>) {
    let admin = app.admin_token().await;
    let (uni, _) = member(app, Account::university(), true, &admin).await;
    let mut ids = Vec::new();
    for body in [
        achievement(
            "碳化硅MOSFET栅氧可靠性提升技术",
            &["碳化硅", "MOSFET"],
            "semiconductors",
            Some((100_000_000, 300_000_000)),
        ),
        achievement(
            "SiC功率模块封装散热技术",
            &["SiC", "功率模块"],
            "semiconductors",
            None,
        ),
        achievement(
            "钛合金电子束熔丝增材制造技术",
            &["钛合金", "增材制造"],
            "additive_manufacturing",
            Some((500_000_000, 900_000_000)),
        ),
        achievement(
            "猕猴桃溃疡病生物防治技术",
            &["猕猴桃", "溃疡病"],
            "seed_industry",
            Some((10_000_000, 20_000_000)),
        ),
    ] {
        ids.push(published(app, "achievements", &uni, &admin, &body).await);
    }
    app.sync_search().await;
    (admin, uni, ids)
}

#[actix_rt::test]
async fn published_achievements_are_searchable_with_facets_and_highlights() {
    let app = spawn_app().await;
    let (_, uni, ids_) = setup(&app).await;
    // Drafts are not indexed.
    app.post(
        "/api/v1/achievements",
        Some(&uni),
        &achievement("碳化硅草稿", &[], "semiconductors", None),
    )
    .await;
    app.sync_search().await;

    let r = app
        .get("/api/v1/achievements?q=%E7%A2%B3%E5%8C%96%E7%A1%85", None)
        .await; // 碳化硅
    assert_eq!(r.status, 200, "{}", r.text);
    let mut found = ids(&r);
    found.sort();
    assert_eq!(
        found,
        [ids_[0], ids_[1]],
        "碳化硅 finds SiC through the synonyms"
    );
    assert_eq!(r.body["total"], 2);
    let first = &r.body["items"][0];
    assert!(first.get("contact").is_none() && first.get("details").is_none());
    let titles: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["highlights"]["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("<em>碳化硅</em>")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("<em>SiC</em>")),
        "{titles:?}"
    );
    assert_eq!(r.body["facets"]["chain"]["semiconductors"], 2);

    let all = app.get("/api/v1/achievements?per_page=2", None).await;
    assert_eq!(all.body["total"], 4);
    assert_eq!(ids(&all), [ids_[3], ids_[2]], "no words: newest first");
    assert_eq!(
        all.body["facets"]["chain"]["semiconductors"], 2,
        "facets count every hit, not the page"
    );
    assert_eq!(
        ids(&app
            .get("/api/v1/achievements?per_page=2&page=2", None)
            .await),
        [ids_[1], ids_[0]]
    );
}

#[actix_rt::test]
async fn filters_repeat_as_or_and_sorts_order_by_price() {
    let app = spawn_app().await;
    let (_, _, a) = setup(&app).await;
    let r = app
        .get(
            "/api/v1/achievements?chain=seed_industry&chain=additive_manufacturing",
            None,
        )
        .await;
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, [a[2], a[3]]);
    assert_eq!(
        ids(&app
            .get(
                "/api/v1/achievements?price_max_fen=150000000&sort=price_asc",
                None
            )
            .await),
        [a[3], a[0]]
    );
    assert_eq!(
        ids(&app.get("/api/v1/achievements?sort=price_desc", None).await),
        [a[2], a[0], a[3], a[1]]
    );
    assert_eq!(
        ids(&app.get("/api/v1/achievements?negotiable=true", None).await),
        [a[1]]
    );
    assert_eq!(
        ids(&app.get("/api/v1/achievements?trl_min=7", None).await),
        Vec::<i64>::new()
    );
}

/// A body with the two ends of its `what` range set as given (`None`: null, open).
fn ranged(mut body: Value, what: &str, min: Option<i64>, max: Option<i64>) -> Value {
    body[format!("{what}_min_fen")] = json!(min);
    body[format!("{what}_max_fen")] = json!(max);
    body
}

#[actix_rt::test]
async fn amount_filters_and_sorts_read_open_ends_as_people_mean_them() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let wan = |n: i64| n * 1_000_000;
    let mut a = Vec::new();
    for (min, max) in [
        (None, Some(wan(50))), // up to 50万元
        (Some(wan(30)), None), // from 30万元
        (Some(wan(80)), None), // from 80万元
        (Some(wan(10)), Some(wan(20))),
        (None, None), // negotiable
    ] {
        let body = ranged(achievement_body(), "price", min, max);
        a.push(published(&app, "achievements", &uni, &admin, &body).await);
    }
    let mut d = Vec::new();
    for (min, max) in [
        (None, Some(wan(50))),  // up to 50万元
        (Some(wan(100)), None), // from 100万元, no top
        (None, None),           // negotiable
        (Some(wan(10)), Some(wan(20))),
    ] {
        let body = ranged(demand_body(), "budget", min, max);
        d.push(published(&app, "demands", &ent, &admin, &body).await);
    }
    app.sync_search().await;
    let got = |path: String| {
        let app = &app;
        async move {
            let r = app.get(&path, None).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            ids(&r)
        }
    };
    let sorted = |mut v: Vec<i64>| {
        v.sort();
        v
    };
    // Affordable at 40万元: "up to 50万" (starts at 0), "from 30万", 10-20万.
    let affordable = sorted(got(format!("/api/v1/achievements?price_max_fen={}", wan(40))).await);
    assert_eq!(affordable, [a[0], a[1], a[3]]);
    assert_eq!(
        got("/api/v1/achievements?price_max_fen=0".into()).await,
        [a[0]]
    );
    assert_eq!(
        got("/api/v1/achievements?negotiable=true".into()).await,
        [a[4]]
    );
    assert_eq!(
        sorted(got("/api/v1/achievements?negotiable=false".into()).await),
        a[..4]
    );
    // Lowest start first (an open start is 0); highest top first (an open top is highest,
    // ties to the newer); negotiable last.
    assert_eq!(
        got("/api/v1/achievements?sort=price_asc".into()).await,
        [a[0], a[3], a[1], a[2], a[4]]
    );
    assert_eq!(
        got("/api/v1/achievements?sort=price_desc".into()).await,
        [a[2], a[1], a[0], a[3], a[4]]
    );
    // Budgets reaching 60万元: only the open top; 50万元: the "up to 50万" one too.
    assert_eq!(
        got(format!("/api/v1/demands?budget_min_fen={}", wan(60))).await,
        [d[1]]
    );
    assert_eq!(
        sorted(got(format!("/api/v1/demands?budget_min_fen={}", wan(50))).await),
        [d[0], d[1]]
    );
    assert_eq!(
        got("/api/v1/demands?sort=budget_desc".into()).await,
        [d[1], d[0], d[3], d[2]]
    );
    // Hits show the ends as stored, and nothing of the filter attributes.
    let r = app.get("/api/v1/achievements?price_max_fen=0", None).await;
    let hit = &r.body["items"][0];
    assert_eq!(
        (&hit["price_min_fen"], &hit["price_max_fen"]),
        (&Value::Null, &json!(wan(50)))
    );
    assert_eq!(hit["negotiable"], false);
    assert!(hit.get("price_floor_fen").is_none() && hit.get("price_ceiling_fen").is_none());
    let r = app.get("/api/v1/demands?sort=budget_desc", None).await;
    let hit = &r.body["items"][0];
    assert_eq!(
        (&hit["budget_min_fen"], &hit["budget_max_fen"]),
        (&json!(wan(100)), &Value::Null)
    );
    assert!(hit.get("budget_ceiling_fen").is_none(), "{hit}");
}

#[actix_rt::test]
async fn bad_search_parameters_are_400s() {
    let app = spawn_app().await;
    let long_q = format!("q={}", "x".repeat(201));
    let cases = [
        ("colour=red", "invalid_query"),
        ("q=a&q=b", "invalid_query"),
        ("trl_min=high", "invalid_query"),
        ("key_project=yes", "invalid_query"),
        ("trl_min=0", "invalid_trl"),
        ("chain=steam", "invalid_chain"),
        ("region=999999", "invalid_region"),
        ("transfer_mode=gift", "invalid_transfer_modes"),
        ("sort=cheapest", "invalid_sort"),
        ("per_page=101", "invalid_pagination"),
        ("page=200&per_page=100", "invalid_pagination"),
        ("price_max_fen=-5", "invalid_query"),
        (long_q.as_str(), "invalid_query"),
    ];
    for (query, code) in cases {
        app.get(&format!("/api/v1/achievements?{query}"), None)
            .await
            .assert_error(400, code);
    }
    app.get("/api/v1/demands?budget_min_fen=x", None)
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/demands?cooperation_mode=gift", None)
        .await
        .assert_error(400, "invalid_cooperation_modes");
    app.get("/api/v1/demands?sort=price_asc", None)
        .await
        .assert_error(400, "invalid_sort");
}

#[actix_rt::test]
async fn every_change_reaches_the_index() {
    let app = spawn_app().await;
    let (admin, uni, a) = setup(&app).await;
    // Withdrawn: gone.
    let r = app
        .post(
            &format!("/api/v1/achievements/{}/withdraw", a[3]),
            Some(&uni),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Pool membership is searchable.
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/pool/2026/entries/{}", a[2]),
            Some(&admin),
            Some(&json!({"key_project": true})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.sync_search().await;
    assert!(
        ids(&app
            .get("/api/v1/achievements?q=%E7%8C%95%E7%8C%B4%E6%A1%83", None)
            .await)
        .is_empty()
    ); // 猕猴桃
    assert_eq!(
        ids(&app.get("/api/v1/achievements?pool_year=2026", None).await),
        [a[2]]
    );
    assert_eq!(
        ids(&app.get("/api/v1/achievements?key_project=true", None).await),
        [a[2]]
    );
    app.request(
        Method::DELETE,
        &format!("/api/v1/pool/2026/entries/{}", a[2]),
        Some(&admin),
        None,
    )
    .await;
    app.sync_search().await;
    assert!(ids(&app.get("/api/v1/achievements?pool_year=2026", None).await).is_empty());

    // Demands: challenges and bottlenecks filter; closing removes.
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let plain = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let mut challenge = demand_body();
    challenge["bottleneck"] = json!(false);
    challenge["challenge"] = json!({"bounty_fen": 500_000_000, "apply_by": (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string(), "criteria": "热漂移指标"});
    let ch = published(&app, "demands", &ent, &admin, &challenge).await;
    app.sync_search().await;
    assert_eq!(
        ids(&app.get("/api/v1/demands?challenge=true", None).await),
        [ch]
    );
    assert_eq!(
        ids(&app.get("/api/v1/demands?bottleneck=true", None).await),
        [plain]
    );
    assert_eq!(
        ids(&app.get("/api/v1/demands?sort=bounty_desc", None).await),
        [ch, plain]
    );
    let r = app
        .get("/api/v1/demands?q=%E7%83%AD%E5%8F%98%E5%BD%A2", None)
        .await; // 热变形
    assert_eq!(r.body["total"], 2, "{}", r.text);
    assert!(
        r.body["items"][0]["highlights"]["title"]
            .as_str()
            .unwrap()
            .contains("<em>")
    );
    app.post(
        &format!("/api/v1/demands/{plain}/close"),
        Some(&ent),
        &json!({}),
    )
    .await;
    app.sync_search().await;
    assert_eq!(ids(&app.get("/api/v1/demands", None).await), [ch]);
}

#[actix_rt::test]
async fn admins_see_engine_health_and_backlog() {
    let app = spawn_app().await;
    let (admin, uni, _) = setup(&app).await;
    let r = app.get("/api/v1/admin/search", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["engine"]["available"], true);
    assert_eq!(r.body["engine"]["documents"]["achievements"], 4);
    assert_eq!(r.body["outbox"]["pending"], 0);
    app.get("/api/v1/admin/search", Some(&uni))
        .await
        .assert_error(403, "forbidden");
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.body["search"], "ok", "{}", ready.text);
}

/// An engine that cannot be reached: Meilisearch on a port where nothing listens.
fn unreachable_engine(s: &mut tt_exchange::config::Settings) {
    s.search_engine = tt_exchange::config::SearchEngineKind::Meilisearch;
    s.meili_url = Some("http://127.0.0.1:9".into());
}

#[actix_rt::test]
async fn writes_made_while_the_engine_is_down_are_indexed_once_it_is_back() {
    // First run: the embedded index exists (and is in step: nothing published yet).
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    // The engine goes away.
    let app = app.restart_with(unreachable_engine).await;
    let id = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let r = app.get("/api/v1/achievements", None).await;
    r.assert_error(503, "search_unavailable");
    assert!(r.header("retry-after").is_some());
    let ready = app.get("/ready", None).await;
    ready.assert_error(503, "not_ready");
    assert!(ready.body["message"].as_str().unwrap().contains("搜索引擎"));
    let status = app.get("/api/v1/admin/search", Some(&admin)).await;
    assert_eq!(status.body["engine"]["available"], false, "{}", status.text);
    assert!(
        status.body["outbox"]["pending"].as_i64().unwrap() >= 1,
        "{}",
        status.text
    );

    // The engine is back (the embedded one, whose index was not rebuilt): the backlog drains.
    let app = app
        .restart_with(|s| s.search_engine = tt_exchange::config::SearchEngineKind::Embedded)
        .await;
    app.sync_search().await;
    let r = app
        .get("/api/v1/achievements?q=%E7%83%AD%E8%AF%AF%E5%B7%AE", None)
        .await; // 热误差
    assert_eq!(ids(&r), [id], "{}", r.text);
}

#[actix_rt::test]
async fn reindex_rebuilds_a_lost_index_from_the_database() {
    use tt_exchange::search::{IndexKind, SearchEngine, Target};
    let app = spawn_app().await;
    let (_, _, a) = setup(&app).await;
    // The index loses documents behind the exchange's back.
    app.engine
        .delete(&Target::live(IndexKind::Achievements), a.clone())
        .await
        .unwrap();
    assert_eq!(app.get("/api/v1/achievements", None).await.body["total"], 0);
    let report =
        tt_exchange::search::reindex::reindex(&app.db, &app.engine, &IndexKind::ALL, false)
            .await
            .unwrap();
    assert_eq!(
        report.indexed,
        [(IndexKind::Achievements, 4), (IndexKind::Demands, 0)]
    );
    let r = app.get("/api/v1/achievements", None).await;
    assert_eq!(r.body["total"], 4, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/achievements?q=SiC", None).await.body["total"],
        2
    );
}

/// Pages without words (which the embedded engine answers from a cache kept per index
/// generation) follow every publication and withdrawal, facets included.
#[actix_rt::test]
async fn browsing_pages_follow_every_change() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let page = "/api/v1/achievements?sort=newest&per_page=5";
    let browse = || async {
        let r = app.get(page, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r
    };
    let first = published(
        &app,
        "achievements",
        &uni,
        &admin,
        &achievement("钛合金增材制造", &["钛合金"], "metal_materials", None),
    )
    .await;
    app.sync_search().await;
    for _ in 0..2 {
        let r = browse().await;
        assert_eq!(ids(&r), vec![first]);
        assert_eq!(
            r.body["facets"]["chain"]["metal_materials"], 1,
            "{}",
            r.text
        );
    }
    let second = published(
        &app,
        "achievements",
        &uni,
        &admin,
        &achievement("碳化硅功率器件", &["碳化硅"], "semiconductors", None),
    )
    .await;
    app.sync_search().await;
    let r = browse().await;
    assert_eq!(ids(&r), vec![second, first]);
    assert_eq!(r.body["facets"]["chain"]["semiconductors"], 1, "{}", r.text);
    let w = app
        .post(
            &format!("/api/v1/achievements/{first}/withdraw"),
            Some(&uni),
            &json!({}),
        )
        .await;
    assert_eq!(w.status, 200, "{}", w.text);
    app.sync_search().await;
    let r = browse().await;
    assert_eq!(ids(&r), vec![second]);
    assert!(
        r.body["facets"]["chain"].get("metal_materials").is_none(),
        "{}",
        r.text
    );
    assert_eq!(r.body["total"], 1);
}

/// A fresh index's full resync replaces what was queued for it before (as after
/// `gen-data`): each published item is queued once.
#[actix_rt::test]
async fn a_fresh_resync_queues_each_item_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    for _ in 0..3 {
        published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    }
    app.sync_search().await;
    let queued = app
        .db
        .write(|conn| {
            use tt_exchange::search::{IndexKind, outbox};
            outbox::enqueue_all(conn, IndexKind::Achievements)?;
            outbox::enqueue_all(conn, IndexKind::Achievements)?;
            let before = outbox::backlog(conn)?.pending;
            let queued = outbox::resync_fresh(conn, IndexKind::Achievements)?;
            let after = outbox::backlog(conn)?.pending;
            Ok((before, queued, after))
        })
        .await
        .unwrap();
    assert_eq!(queued, (6, 3, 3));
}
