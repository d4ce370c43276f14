//! The turnover answer cache (`stats::cache`): an answer reflects a change of anything it
//! shows on the next request to the same server (a contract confirmed or registered, a
//! broker's or an org's new name); a second server on the same PostgreSQL catches up within
//! its poll interval; and the cached answers are byte for byte the answers computed
//! without the cache.

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::member;
use crate::stats::random_exchange;

/// Requests covering the rollups (time plus one dimension), the scan (two dimensions, a
/// period not of whole months), comparisons and every cached format.
const QUERIES: [&str; 9] = [
    "group_by=year",
    "group_by=year,seller_org",
    "group_by=quarter,broker&include_unregistered=true",
    "group_by=chain,kind",
    "group_by=month&from=2024-01-05&to=2025-12-31",
    "group_by=year&compare=yoy",
    "group_by=seller_region&format=csv",
    "group_by=year&format=svg",
    "group_by=chain&date_basis=registered",
];

/// The answer to `q` in `lang`, as bytes (status 200 asserted).
async fn answer(app: &TestApp, token: &str, q: &str, lang: &str) -> String {
    let r = app
        .request_with_headers(
            Method::GET,
            &format!("/api/v1/stats/turnover?{q}"),
            &[("Accept-Language", lang)],
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{q}: {}", r.text);
    r.text
}

/// Every query in both languages, each asked twice (the second from the cache when on);
/// both askings must agree.
async fn all_answers(app: &TestApp, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in QUERIES {
        for lang in ["zh", "en"] {
            let first = answer(app, token, q, lang).await;
            let again = answer(app, token, q, lang).await;
            assert_eq!(first, again, "{q} ({lang}) asked twice");
            out.push(first);
        }
    }
    out
}

async fn total(app: &TestApp, token: &str, q: &str) -> i64 {
    let body: Value = serde_json::from_str(&answer(app, token, q, "zh").await).expect("json");
    body["total"]["amount_fen"].as_i64().expect("total")
}

/// A label of `key` in the `dim` grouping of `q`.
async fn label(app: &TestApp, token: &str, q: &str, dim: &str, key: &str) -> Option<String> {
    let body: Value = serde_json::from_str(&answer(app, token, q, "zh").await).expect("json");
    body["rows"]
        .as_array()?
        .iter()
        .find(|r| r[dim] == key)
        .and_then(|r| r[format!("{dim}_label")].as_str().map(str::to_owned))
}

/// A seller and a buyer (verified), and a broker: (seller token, seller org, buyer token,
/// buyer org, broker id, broker token).
async fn parties(app: &TestApp, admin: &str) -> (String, i64, String, i64, i64, String) {
    let (st, seller) = member(
        app,
        Account::university().org("缓存卖方大学", "university", "610100"),
        true,
        admin,
    )
    .await;
    let (bt, buyer) = member(
        app,
        Account::enterprise().org("缓存买方公司", "enterprise", "610400"),
        true,
        admin,
    )
    .await;
    let email = "cache-broker@example.cn";
    let broker = app.create_user_directly_in(email, "broker", None).await;
    let broker_token = app.token(email).await;
    (st, seller, bt, buyer, broker, broker_token)
}

#[actix_rt::test]
async fn a_cached_answer_follows_every_change_on_the_same_server() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    random_exchange(&app, &admin, 21).await;
    let (st, seller, bt, buyer, broker, broker_token) = parties(&app, &admin).await;
    all_answers(&app, &admin).await;

    let registered = total(&app, &admin, "group_by=year").await;
    let counted = total(&app, &admin, "group_by=year&include_unregistered=true").await;
    let body = json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": seller, "buyer_org_id": buyer, "broker_id": broker,
        "signed_on": "2025-03-10", "amount_fen": 1_234_500, "tech_amount_fen": 1_000_000,
        "chain": "semiconductors", "field": "new_materials"
    });
    let c = app.confirmed_contract(&admin, &body, &st, &bt).await;
    let id = c["id"].as_i64().expect("id");
    assert_eq!(
        total(&app, &admin, "group_by=year&include_unregistered=true").await,
        counted + 1_234_500,
        "a confirmed contract counts on the next request"
    );
    assert_eq!(total(&app, &admin, "group_by=year").await, registered);
    let r = app.register_contract(id, &st, &admin, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        total(&app, &admin, "group_by=year").await,
        registered + 1_234_500,
        "a registration counts on the next request"
    );

    let by_broker = "group_by=quarter,broker&include_unregistered=true";
    let key = broker.to_string();
    assert!(
        label(&app, &admin, by_broker, "broker", &key)
            .await
            .is_some()
    );
    let r = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&broker_token),
            Some(&json!({"name": "改名的经纪人"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        label(&app, &admin, by_broker, "broker", &key)
            .await
            .as_deref(),
        Some("改名的经纪人"),
        "a broker's new name shows on the next request"
    );

    // Org names change only in the database (no route renames an org): the trigger sees it.
    let by_org = "group_by=year,seller_org";
    app.db
        .write(move |conn| {
            use diesel::prelude::*;
            use tt_exchange::db::schema::orgs;
            diesel::update(orgs::table.filter(orgs::id.eq(seller)))
                .set(orgs::name.eq("更名后的大学"))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("rename");
    assert_eq!(
        label(&app, &admin, by_org, "seller_org", &seller.to_string())
            .await
            .as_deref(),
        Some("更名后的大学"),
        "an org's new name shows on the next request"
    );

    // The cached answers are the uncached ones, byte for byte.
    let cached = all_answers(&app, &admin).await;
    let app = app.restart_with(|s| s.stats_cache = false).await;
    let admin = app.admin_token().await;
    assert_eq!(all_answers(&app, &admin).await, cached);
}

#[actix_rt::test]
async fn a_second_server_catches_up_within_its_poll_interval() {
    let app = spawn_app().await;
    let Some(second) = app.second_server(|s| s.stats_cache_poll_ms = 50).await else {
        eprintln!("skipped: two servers share a database only on PostgreSQL");
        return;
    };
    let admin = app.admin_token().await;
    let (st, seller, bt, buyer, _, _) = parties(&app, &admin).await;
    let q = "group_by=year&include_unregistered=true";
    let before = total(&second, &admin, q).await;
    assert_eq!(total(&second, &admin, q).await, before, "cached");
    let body = json!({
        "kind": "consulting", "seller_org_id": seller, "buyer_org_id": buyer,
        "signed_on": "2025-05-20", "amount_fen": 777_700, "tech_amount_fen": 700_000,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    });
    app.confirmed_contract(&admin, &body, &st, &bt).await;
    assert_eq!(total(&app, &admin, q).await, before + 777_700, "the writer");
    let start = Instant::now();
    while total(&second, &admin, q).await != before + 777_700 {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "the second server still answers the old figure after 3 s"
        );
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("the second server caught up after {:?}", start.elapsed());
    let cached = all_answers(&second, &admin).await;
    assert_eq!(
        all_answers(&app, &admin).await,
        cached,
        "both servers agree"
    );
}
