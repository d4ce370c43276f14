//! Reports for the action plan: broker performance against sums computed here from the
//! deals we made and the contracts the API shows.

use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};
use crate::stats::{brute_force, random_exchange};

async fn patch_stage(app: &TestApp, deal: &Value, token: &str, stages: &[&str]) {
    let id = deal["id"].as_i64().unwrap();
    let mut version = deal["version"].as_i64().unwrap();
    for stage in stages {
        let mut body = json!({"version": version, "stage": stage, "note": "跟进"});
        if *stage == "lost" {
            body["lost_reason"] = json!("price");
        }
        let r = app
            .request(
                awc::http::Method::PATCH,
                &format!("/api/v1/deals/{id}"),
                Some(token),
                Some(&body),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        version = r.body["version"].as_i64().unwrap();
    }
}

async fn open_deal(app: &TestApp, token: &str, demand: i64, achievement: i64) -> Value {
    let body = json!({"demand_id": demand, "achievement_id": achievement, "note": "推荐"});
    let r = app.post("/api/v1/deals", Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// The line of broker `id` in a report.
fn line(report: &Value, id: i64) -> Value {
    report["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["broker"]["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("broker {id} missing: {report}"))
}

#[actix_rt::test]
async fn broker_performance_counts_deals_conversion_and_brokered_turnover() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 42).await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let mut pairs = vec![];
    for i in 0..3 {
        let mut a = achievement_body();
        a["title"] = json!(format!("{} {i}", a["title"].as_str().unwrap()));
        let mut d = demand_body();
        d["title"] = json!(format!("{} {i}", d["title"].as_str().unwrap()));
        pairs.push((
            published(&app, "demands", &ent, &admin, &d).await,
            published(&app, "achievements", &uni, &admin, &a).await,
        ));
    }
    let (a, _) = member(&app, Account::broker(), true, &admin).await;
    let (b, _) = member(&app, Account::broker(), true, &admin).await;
    let id_of = |t: &str| {
        let (app, t) = (&app, t.to_owned());
        async move {
            app.get("/api/v1/me", Some(&t)).await.body["user"]["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (a_id, b_id) = (id_of(&a).await, id_of(&b).await);
    let d = open_deal(&app, &a, pairs[0].0, pairs[0].1).await;
    patch_stage(&app, &d, &a, &["contacted", "signed"]).await;
    let d = open_deal(&app, &a, pairs[1].0, pairs[1].1).await;
    patch_stage(&app, &d, &a, &["lost"]).await;
    open_deal(&app, &a, pairs[2].0, pairs[2].1).await;
    let d = open_deal(&app, &b, pairs[0].0, pairs[1].1).await;
    patch_stage(&app, &d, &b, &["negotiating", "signed"]).await;
    let d = open_deal(&app, &b, pairs[1].0, pairs[2].1).await;
    patch_stage(&app, &d, &b, &["contacted"]).await;

    let all = app.get("/api/v1/stats/brokers", Some(&admin)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let la = line(&all.body, a_id);
    assert_eq!(
        la["deals"],
        json!({"recommended": 1, "contacted": 0, "negotiating": 0, "signed": 1, "lost": 1})
    );
    assert_eq!(
        (la["opened"].clone(), la["signed"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(
        (la["conversion_bp"].clone(), la["conversion_pct"].clone()),
        (json!(3333), json!(33.3))
    );
    assert_eq!(
        la["median_days_to_signed"], 0.0,
        "signed the day it was opened"
    );
    let lb = line(&all.body, b_id);
    assert_eq!(
        (lb["opened"].clone(), lb["conversion_bp"].clone()),
        (json!(2), json!(5000))
    );
    // Each broker's org is an agency with the same figures.
    let agency = all.body["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["org"]["id"] == la["broker"]["org"]["id"])
        .cloned()
        .unwrap();
    assert_eq!(agency["deals"], la["deals"]);

    // Brokered turnover: the registered contracts naming the broker, as turnover counts them.
    for (q, from, to) in [
        ("", "0000-01-01", "9999-12-31"),
        ("?year=2025", "2025-01-01", "2025-12-31"),
    ] {
        let r = app
            .get(&format!("/api/v1/stats/brokers{q}"), Some(&admin))
            .await;
        let want = brute_force(&contracts, &["broker"], "signed", false, from, to);
        let mut checked = 0;
        for b in r.body["brokers"].as_array().unwrap() {
            let key = vec![b["broker"]["id"].to_string()];
            let (n, amount, tech) = want.get(&key).copied().unwrap_or_default();
            assert_eq!(
                (b["contracts"].as_i64(), b["turnover_fen"].as_i64()),
                (Some(n), Some(amount)),
                "{q} {b}"
            );
            assert_eq!(b["tech_turnover_fen"], tech, "{q}");
            checked += usize::from(n > 0);
        }
        assert!(checked >= 2, "{q}: {checked} brokers with contracts");
        // Sorted by turnover.
        let turnover: Vec<i64> = r.body["brokers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["turnover_fen"].as_i64().unwrap())
            .collect();
        assert!(turnover.windows(2).all(|w| w[0] >= w[1]), "{turnover:?}");
    }
    // Deals are opened today: none in 2025.
    let y = app
        .get("/api/v1/stats/brokers?year=2025", Some(&admin))
        .await;
    assert_eq!(line(&y.body, a_id)["opened"], 0);

    // Exports and refusals.
    let csv = app
        .get("/api/v1/stats/brokers?format=csv", Some(&admin))
        .await;
    assert!(
        csv.text
            .starts_with("\u{feff}经纪人ID,经纪人,所属机构,对接：已推荐"),
        "{}",
        csv.text
    );
    let svg = app
        .get("/api/v1/stats/brokers?format=svg", Some(&admin))
        .await;
    assert!(svg.text.starts_with("<svg ") && svg.text.contains("技术经理人促成的登记合同成交额"));
    app.get("/api/v1/stats/brokers?stage=signed", Some(&admin))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/v1/stats/brokers", Some(&uni))
        .await
        .assert_error(403, "forbidden");
}

/// The registered contracts each seller sold, by kind, from the contracts the API shows.
fn conversion_brute_force(
    contracts: &[Value],
    year: &str,
) -> std::collections::BTreeMap<i64, [i64; 6]> {
    let mut out = std::collections::BTreeMap::new();
    for c in contracts {
        let registered = c["consent"] == "confirmed" && c["verified_tech_amount_fen"].is_i64();
        let in_year = c["signed_on"].as_str().unwrap_or("").starts_with(year);
        let seller_kind = c["seller_kind"].as_str().unwrap_or("");
        if !registered || !in_year || !["university", "institute"].contains(&seller_kind) {
            continue;
        }
        let e: &mut [i64; 6] = out.entry(c["seller_org_id"].as_i64().unwrap()).or_default();
        match (c["kind"].as_str().unwrap(), c["sub_kind"].as_str()) {
            ("transfer", Some("equity")) => e[2] += 1,
            ("transfer", _) => e[0] += 1,
            ("licensing", _) => e[1] += 1,
            _ => {}
        }
        e[3] += 1;
        e[4] += c["verified_amount_fen"].as_i64().unwrap();
        e[5] += c["verified_tech_amount_fen"].as_i64().unwrap();
    }
    out
}

#[actix_rt::test]
async fn conversion_by_university_equals_the_brute_force_and_each_reads_its_own() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 5).await;
    for (q, year) in [("", ""), ("?year=2025", "2025")] {
        let r = app
            .get(&format!("/api/v1/stats/conversion{q}"), Some(&admin))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let want = conversion_brute_force(&contracts, year);
        assert!(!want.is_empty());
        for o in r.body["orgs"].as_array().unwrap() {
            let id = o["org"]["id"].as_i64().unwrap();
            let got = [
                "transfers",
                "licences",
                "equity",
                "contracts",
                "amount_fen",
                "tech_amount_fen",
            ]
            .map(|k| o[k].as_i64().unwrap());
            assert_eq!(
                got,
                want.get(&id).copied().unwrap_or_default(),
                "{q} org {id}"
            );
        }
        let listed: Vec<i64> = r.body["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["org"]["id"].as_i64().unwrap())
            .collect();
        assert!(
            want.keys().all(|k| listed.contains(k)),
            "every seller listed"
        );
    }
    // A university user reads its own org, and no other.
    let (uni, org) = member(&app, Account::university(), true, &admin).await;
    let own = app.get("/api/v1/stats/conversion", Some(&uni)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let orgs = own.body["orgs"].as_array().unwrap();
    assert_eq!((orgs.len(), orgs[0]["org"]["id"].as_i64()), (1, Some(org)));
    let other = contracts[0]["seller_org_id"].as_i64().unwrap();
    app.get(
        &format!("/api/v1/stats/conversion?org_id={other}"),
        Some(&uni),
    )
    .await
    .assert_error(403, "forbidden");
    app.get("/api/v1/stats/conversion?org_id=x", Some(&admin))
        .await
        .assert_error(400, "invalid_query");
}

#[actix_rt::test]
async fn conversion_counts_the_demo_pool_as_the_pool_shows_it() {
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    let admin = app.admin_token().await;
    let pool = app.get("/api/v1/pool/2025?per_page=100", None).await;
    assert_eq!(pool.status, 200, "{}", pool.text);
    let entries = pool.body["items"].as_array().unwrap();
    let converted = entries.iter().filter(|e| e["converted"] == true).count() as i64;
    let r = app
        .get("/api/v1/stats/conversion?year=2025", Some(&admin))
        .await;
    let sum = |k: &str| {
        r.body["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o[k].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(
        (sum("pool_entries"), sum("pool_converted")),
        (entries.len() as i64, converted)
    );
    assert!(sum("pool_entries") > 0);
}

/// The value of `metric` in a quarterly report: (now, previous quarter, a year before).
fn metric(r: &Value, name: &str) -> (i64, i64, i64) {
    let m = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap();
    let n = |k: &str| m[k].as_i64().unwrap();
    (
        n("value"),
        n("previous_quarter"),
        n("same_quarter_last_year"),
    )
}

#[actix_rt::test]
async fn a_chain_quarter_counts_listings_deals_and_contracts_against_earlier_quarters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 9).await;
    let all = brute_force(
        &contracts,
        &["quarter", "chain"],
        "signed",
        false,
        "0000-01-01",
        "9999-12-31",
    );
    let chain = contracts[0]["chain"].as_str().unwrap().to_owned();
    let sums = |q: &str| {
        all.get(&vec![q.to_owned(), chain.clone()])
            .copied()
            .unwrap_or_default()
    };
    let path = format!("/api/v1/stats/chains/{chain}/quarterly?year=2025&quarter=2");
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["previous_quarter"].clone(),
            r.body["same_quarter_last_year"].clone()
        ),
        (json!("2025-Q1"), json!("2024-Q2"))
    );
    let (now, prev, before) = (sums("2025-Q2"), sums("2025-Q1"), sums("2024-Q2"));
    assert_eq!(
        metric(&r.body, "contracts_registered"),
        (now.0, prev.0, before.0),
        "{chain}"
    );
    assert_eq!(
        metric(&r.body, "turnover_fen"),
        (now.1, prev.1, before.1),
        "{chain}"
    );
    let m = r.body["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "turnover_fen")
        .unwrap()
        .clone();
    let expected =
        (prev.1 != 0).then(|| ((now.1 - prev.1) as f64 * 10_000.0 / prev.1 as f64).round() as i64);
    assert_eq!(m["pop_change_bp"], json!(expected));

    // Listings and deals of today's quarter: what we add is what the report adds.
    let current = "/api/v1/stats/chains/machine_tools/quarterly";
    let before = app.get(current, Some(&admin)).await.body;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let mut second = achievement_body();
    second["title"] = json!("数控机床主轴热误差建模与实时补偿技术（二期）");
    published(&app, "achievements", &uni, &admin, &second).await;
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let deal = open_deal(&app, &broker, d, a).await;
    patch_stage(&app, &deal, &broker, &["signed"]).await;
    let after = app.get(current, Some(&admin)).await.body;
    for (name, added) in [
        ("achievements_created", 2),
        ("achievements_published", 2),
        ("demands_published", 1),
        ("deals_opened", 1),
        ("deals_signed", 1),
    ] {
        assert_eq!(
            metric(&after, name).0 - metric(&before, name).0,
            added,
            "{name}"
        );
    }
    app.get("/api/v1/stats/chains/no_such_chain/quarterly", Some(&admin))
        .await
        .assert_error(404, "not_found");
    app.get(&format!("{current}?quarter=5"), Some(&admin))
        .await
        .assert_error(400, "invalid_query");
    let svg = app
        .get(&format!("{current}?format=svg"), Some(&admin))
        .await;
    assert!(svg.text.starts_with("<svg "));
}

/// The pool in a chain's quarter: key projects of the quarter's year and how many had
/// converted by the end of the quarter and of the previous one (contracts signed by then),
/// last year's pool at the same point; non-key entries and non-converting contracts apart.
#[actix_rt::test]
async fn a_chain_quarter_counts_key_pool_projects_converted_by_each_quarters_end() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let mut body = achievement_body();
        body["title"] = json!(format!("数控机床主轴热误差建模与实时补偿技术（{n}期）"));
        ids.push(published(&app, "achievements", &uni, &admin, &body).await);
    }
    // 2025: two key projects and one entry that is not key; 2024: one key project.
    for (year, id, key) in [
        (2025, ids[0], true),
        (2025, ids[1], true),
        (2025, ids[2], false),
        (2024, ids[3], true),
    ] {
        let r = app
            .request(
                awc::http::Method::PUT,
                &format!("/api/v1/pool/{year}/entries/{id}"),
                Some(&admin),
                Some(&json!({"key_project": key})),
            )
            .await;
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
    }
    // A development contract converts nothing; then conversions in 2025-Q1 and 2025-Q2 (and
    // of the entry that is not key), and of last year's key project on 2024-06-30.
    for (id, kind, sub_kind, signed_on) in [
        (ids[1], "development", "commissioned", "2024-01-05"),
        (ids[0], "transfer", "patent", "2025-02-10"),
        (ids[1], "licensing", "ordinary", "2025-05-20"),
        (ids[2], "transfer", "patent", "2025-05-21"),
        (ids[3], "licensing", "ordinary", "2024-06-30"),
    ] {
        let body = json!({
            "kind": kind, "sub_kind": sub_kind, "achievement_id": id,
            "seller_org_id": uni_org, "buyer_org_id": ent_org, "signed_on": signed_on,
            "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
            "chain": "machine_tools", "field": "advanced_manufacturing"
        });
        app.confirmed_contract(&ent, &body, &uni, &ent).await;
    }
    let pool = |quarter: u32| {
        let app = &app;
        let admin = &admin;
        async move {
            let path =
                format!("/api/v1/stats/chains/machine_tools/quarterly?year=2025&quarter={quarter}");
            let r = app.get(&path, Some(admin)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["pool"].clone()
        }
    };
    assert_eq!(
        pool(2).await,
        json!({"year": 2025, "key_projects": 2, "converted": 2, "converted_by_previous_quarter": 1,
               "converted_in_quarter": 1, "last_year": {"year": 2024, "key_projects": 1, "converted": 1}})
    );
    assert_eq!(
        pool(1).await,
        json!({"year": 2025, "key_projects": 2, "converted": 1, "converted_by_previous_quarter": 0,
               "converted_in_quarter": 1, "last_year": {"year": 2024, "key_projects": 1, "converted": 0}})
    );
}
