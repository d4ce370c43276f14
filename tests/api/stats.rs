//! Turnover statistics: every grouping equals the brute-force sum over the raw contracts
//! (random contracts, amendments and registrations from a fixed seed), on both databases.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::member;

/// A small deterministic generator (no crate needed for a fixed-seed property test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

const DIMS: [&str; 11] = [
    "year",
    "quarter",
    "month",
    "seller_region",
    "buyer_region",
    "chain",
    "field",
    "kind",
    "seller_kind",
    "seller_org",
    "broker",
];

fn key_of(c: &Value, dim: &str, basis: &str) -> String {
    let date = c[if basis == "registered" {
        "registered_on"
    } else {
        "signed_on"
    }]
    .as_str()
    .unwrap_or("");
    let (y, m) = (&date[..4], &date[5..7]);
    match dim {
        "year" => y.to_owned(),
        "quarter" => format!("{y}-Q{}", m.parse::<u32>().unwrap().div_ceil(3)),
        "month" => format!("{y}-{m}"),
        "seller_org" => c["seller_org_id"].to_string(),
        "broker" => c["broker_id"]
            .as_i64()
            .map(|b| b.to_string())
            .unwrap_or_default(),
        other => c[other].as_str().unwrap().to_owned(),
    }
}

type Sums = BTreeMap<Vec<String>, (i64, i64, i64)>;

pub(crate) fn brute_force(
    contracts: &[Value],
    dims: &[&str],
    basis: &str,
    include_unregistered: bool,
    from: &str,
    to: &str,
) -> Sums {
    let mut out = Sums::new();
    for c in contracts {
        // From the raw fields: nothing counts before both parties confirmed; a contract the
        // registry verified counts its verified figures, even while an amendment awaits it
        // again; a confirmed one counts its current figures only with include_unregistered.
        let confirmed = c["consent"] == "confirmed";
        let verified = c["verified_tech_amount_fen"].as_i64();
        let counted = confirmed
            && match (basis, include_unregistered) {
                ("registered", _) | ("signed", false) => verified.is_some(),
                _ => true,
            };
        let (amount, tech) = match verified {
            Some(t) => (c["verified_amount_fen"].as_i64().unwrap(), t),
            None => (
                c["amount_fen"].as_i64().unwrap(),
                c["tech_amount_fen"].as_i64().unwrap(),
            ),
        };
        let date = c[if basis == "registered" {
            "registered_on"
        } else {
            "signed_on"
        }]
        .as_str();
        let Some(date) = date else { continue };
        if !counted || date < from || date > to {
            continue;
        }
        let key: Vec<String> = dims.iter().map(|d| key_of(c, d, basis)).collect();
        let e = out.entry(key).or_default();
        e.0 += 1;
        e.1 += amount;
        e.2 += tech;
    }
    out
}

/// The groups of an answer, without the zero rows of empty periods.
pub(crate) fn from_api(body: &Value, dims: &[&str]) -> Sums {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["contracts"] != 0)
        .map(|r| {
            let key = dims
                .iter()
                .map(|d| r[*d].as_str().unwrap().to_owned())
                .collect();
            (
                key,
                (
                    r["contracts"].as_i64().unwrap(),
                    r["amount_fen"].as_i64().unwrap(),
                    r["tech_amount_fen"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

/// A randomised mix of records, confirmations, declines, amendments (confirmed, declined
/// or left pending) and registrations (registered, refused, re-verified after an
/// amendment); returns every contract as the API shows it.
pub(crate) async fn random_exchange(app: &TestApp, admin: &str, seed: u64) -> Vec<Value> {
    let mut orgs = Vec::new();
    let mut tokens: std::collections::HashMap<i64, String> = Default::default();
    for (kind, region) in [
        ("university", "610100"),
        ("institute", "610300"),
        ("university", "610403"),
    ] {
        let (token, id) = member(
            app,
            Account::university().org(&format!("卖方{region}"), kind, region),
            true,
            admin,
        )
        .await;
        orgs.push(("seller", id));
        tokens.insert(id, token);
    }
    for region in ["610400", "610800", "other_province"] {
        let (token, id) = member(
            app,
            Account::enterprise().org(&format!("买方{region}"), "enterprise", region),
            true,
            admin,
        )
        .await;
        orgs.push(("buyer", id));
        tokens.insert(id, token);
    }
    let mut brokers = Vec::new();
    for i in 0..2 {
        let email = format!("stats-broker{i}@example.cn");
        brokers.push(app.create_user_directly_in(&email, "broker", None).await);
    }
    let sellers: Vec<i64> = orgs
        .iter()
        .filter(|o| o.0 == "seller")
        .map(|o| o.1)
        .collect();
    let buyers: Vec<i64> = orgs
        .iter()
        .filter(|o| o.0 == "buyer")
        .map(|o| o.1)
        .collect();
    let kinds = [
        ("development", Some("commissioned")),
        ("transfer", Some("patent")),
        ("licensing", Some("exclusive")),
        ("consulting", None),
        ("service", Some("training")),
    ];
    let chains = [
        "machine_tools",
        "semiconductors",
        "new_materials",
        "biomedicine",
    ];
    let fields = [
        "advanced_manufacturing",
        "electronic_information",
        "new_materials",
    ];
    let mut rng = Lcg(seed);
    for i in 0..40 {
        let (kind, sub) = *rng.pick(&kinds);
        let amount = rng.range(0, 5_000_000_000);
        let tech = rng.range(0, amount);
        let signed = format!(
            "{}-{:02}-{:02}",
            rng.range(2024, 2025),
            rng.range(1, 12),
            rng.range(1, 28)
        );
        let (seller, buyer) = (*rng.pick(&sellers), *rng.pick(&buyers));
        let mut body = json!({
            "kind": kind, "sub_kind": sub,
            "seller_org_id": seller, "buyer_org_id": buyer,
            "signed_on": signed, "amount_fen": amount, "tech_amount_fen": tech,
            "chain": *rng.pick(&chains), "field": *rng.pick(&fields)
        });
        if rng.next().is_multiple_of(2) {
            body["broker_id"] = json!(*rng.pick(&brokers));
        }
        let _ = i;
        let (st, bt) = (tokens[&seller].clone(), tokens[&buyer].clone());
        let r = app.post("/api/v1/contracts", Some(admin), &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        random_life(app, admin, &mut rng, id, (&st, &bt)).await;
    }
    let all = app.get("/api/v1/contracts?per_page=100", Some(admin)).await;
    all.body["items"].as_array().unwrap().clone()
}

async fn post_ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, Some(token), &body).await;
    assert!(r.status < 300, "{path}: {}", r.text);
    r.body
}

/// An amendment proposed by the seller, then left pending, declined or confirmed.
async fn random_amendment(app: &TestApp, rng: &mut Lcg, c: &str, (seller, buyer): (&str, &str)) {
    let body = json!({"amount_delta_fen": rng.range(0, 1_000_000), "tech_amount_delta_fen": 0, "reason": "补充协议"});
    let v = post_ok(app, &format!("{c}/amendments"), seller, body).await;
    let a = v["amendments"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    match rng.next() % 3 {
        0 => {}
        1 => {
            post_ok(
                app,
                &format!("{c}/amendments/{a}/decline"),
                buyer,
                json!({"reason": "不同意"}),
            )
            .await;
        }
        _ => {
            post_ok(
                app,
                &format!("{c}/amendments/{a}/confirm"),
                buyer,
                json!({}),
            )
            .await;
        }
    }
}

/// One contract's random life after it was recorded (awaiting both parties).
async fn random_life(
    app: &TestApp,
    admin: &str,
    rng: &mut Lcg,
    id: i64,
    (seller, buyer): (&str, &str),
) {
    let c = format!("/api/v1/contracts/{id}");
    match rng.next() % 6 {
        0 => return,
        1 => {
            post_ok(
                app,
                &format!("{c}/decline"),
                buyer,
                json!({"reason": "条款未谈妥"}),
            )
            .await;
            return;
        }
        2 => {
            post_ok(app, &format!("{c}/confirm"), seller, json!({})).await;
            return;
        }
        _ => {
            post_ok(app, &format!("{c}/confirm"), seller, json!({})).await;
            post_ok(app, &format!("{c}/confirm"), buyer, json!({})).await;
        }
    }
    if rng.next().is_multiple_of(3) {
        random_amendment(app, rng, &c, (seller, buyer)).await;
    }
    if rng.next().is_multiple_of(4) {
        return;
    }
    let id = c
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("contract id");
    app.with_contract_text(id, seller).await;
    post_ok(app, &format!("{c}/registration-request"), seller, json!({})).await;
    let v = app.get(&c, Some(admin)).await.body;
    let tech = v["tech_amount_fen"].as_i64().unwrap();
    let on = format!("2026-{:02}-{:02}", rng.range(1, 9), rng.range(1, 28));
    let register = json!({"status": "registered", "registered_on": on, "verified_tech_amount_fen": rng.range(0, tech)});
    if rng.next().is_multiple_of(4) {
        post_ok(
            app,
            &format!("{c}/registration"),
            admin,
            json!({"status": "not_registered", "comment": "不属于技术合同"}),
        )
        .await;
        return;
    }
    post_ok(app, &format!("{c}/registration"), admin, register).await;
    if rng.next().is_multiple_of(2) {
        // An amendment after registration: back to the registry, maybe verified again.
        random_amendment(app, rng, &c, (seller, buyer)).await;
        if rng.next().is_multiple_of(2)
            && app.get(&c, Some(admin)).await.body["registration_status"] == "submitted"
        {
            let on = format!("2026-{:02}-28", rng.range(9, 11));
            post_ok(
                app,
                &format!("{c}/registration"),
                admin,
                json!({"status": "registered", "registered_on": on, "verified_tech_amount_fen": 0}),
            )
            .await;
        }
    }
}

#[actix_rt::test]
async fn every_grouping_equals_the_brute_force_sum() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 20_261_125).await;
    assert_eq!(contracts.len(), 40);
    let mut groupings: Vec<Vec<&str>> = DIMS.iter().map(|d| vec![*d]).collect();
    groupings.push(vec![]);
    groupings.push(vec!["quarter", "seller_region"]);
    groupings.push(vec!["year", "chain", "kind", "broker"]);
    groupings.push(vec![
        "seller_org",
        "buyer_region",
        "field",
        "seller_kind",
        "month",
    ]);
    for basis in ["signed", "registered"] {
        for include in [false, true] {
            // Whole months are answered from the rollups, other windows from the contracts.
            for (from, to) in [
                ("0000-01-01", "9999-12-31"),
                ("2024-04-01", "2025-06-30"),
                ("2024-04-15", "2025-06-20"),
            ] {
                for dims in &groupings {
                    let mut path = format!(
                        "/api/v1/stats/turnover?date_basis={basis}&include_unregistered={include}"
                    );
                    if from != "0000-01-01" {
                        path.push_str(&format!("&from={from}&to={to}"));
                    }
                    if !dims.is_empty() {
                        path.push_str(&format!("&group_by={}", dims.join(",")));
                    }
                    let r = app.get(&path, Some(&admin)).await;
                    assert_eq!(r.status, 200, "{path}: {}", r.text);
                    let want = brute_force(&contracts, dims, basis, include, from, to);
                    let total: (i64, i64, i64) = want
                        .values()
                        .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
                    assert_eq!(r.body["total"]["contracts"], total.0, "{path}");
                    assert_eq!(r.body["total"]["amount_fen"], total.1, "{path}");
                    assert_eq!(r.body["total"]["tech_amount_fen"], total.2, "{path}");
                    if !dims.is_empty() {
                        assert_eq!(from_api(&r.body, dims), want, "{path}");
                    }
                }
            }
        }
    }
}

#[actix_rt::test]
async fn turnover_has_labels_exports_csv_and_is_for_statisticians() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    random_exchange(&app, &admin, 7).await;
    let r = app
        .get(
            "/api/v1/stats/turnover?group_by=quarter,seller_region&include_unregistered=true",
            Some(&admin),
        )
        .await;
    let row = &r.body["rows"][0];
    assert!(
        row["quarter_label"].as_str().unwrap().contains("年第"),
        "{}",
        r.text
    );
    assert!(
        ["西安市", "宝鸡市", "杨凌示范区"].contains(&row["seller_region_label"].as_str().unwrap())
    );
    let csv = app
        .get(
            "/api/v1/stats/turnover?group_by=chain&format=csv",
            Some(&admin),
        )
        .await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.text.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = csv.text.trim_end().split("\r\n").collect();
    assert!(
        lines[0].contains("产业链") && lines[0].contains("成交额（万元）"),
        "{}",
        lines[0]
    );
    assert!(lines.last().unwrap().starts_with("合计"));
    let json_total =
        app.get("/api/v1/stats/turnover", Some(&admin)).await.body["total"]["amount_fen"]
            .as_i64()
            .unwrap();
    assert!(
        lines.last().unwrap().contains(&format!(",{json_total},")),
        "{}",
        lines.last().unwrap()
    );

    let xlsx = app
        .get(
            "/api/v1/stats/turnover?group_by=chain,kind&format=xlsx",
            Some(&admin),
        )
        .await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.text);
    assert!(
        xlsx.header("content-type")
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.text.as_bytes().starts_with(b"PK"), "an XLSX is a zip");

    app.create_user_directly("tongji2@qcy.example.cn", "statistician", None)
        .await;
    let statistician = app.token("tongji2@qcy.example.cn").await;
    assert_eq!(
        app.get("/api/v1/stats/turnover", Some(&statistician))
            .await
            .status,
        200
    );
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    app.get("/api/v1/stats/turnover", Some(&ent))
        .await
        .assert_error(403, "forbidden");
    for bad in [
        "group_by=planet",
        "group_by=year,year",
        "from=2026-13-01",
        "format=pdf",
        "date_basis=paid",
        "colour=red",
    ] {
        app.get(&format!("/api/v1/stats/turnover?{bad}"), Some(&admin))
            .await
            .assert_error(400, "invalid_query");
    }
}

#[actix_rt::test]
async fn yearly_targets_show_progress_against_last_year() {
    use awc::http::Method;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (st, seller) = member(&app, Account::university(), true, &admin).await;
    let (bt, buyer) = member(&app, Account::enterprise(), true, &admin).await;
    let today = chrono::Utc::now().date_naive();
    let this_year = today.format("%Y").to_string().parse::<i32>().unwrap();
    let same_day_last_year = {
        use chrono::Datelike;
        today
            .with_year(today.year() - 1)
            .unwrap_or(today - chrono::Duration::days(365))
    };
    for (signed, amount) in [
        (today, 300_000_000i64),
        (same_day_last_year, 200_000_000i64),
    ] {
        let c = app
            .confirmed_contract(
                &admin,
                &json!({"kind": "consulting", "seller_org_id": seller,
                        "buyer_org_id": buyer, "signed_on": signed.to_string(), "amount_fen": amount, "tech_amount_fen": 0,
                        "chain": "machine_tools", "field": "advanced_manufacturing"}),
                &st,
                &bt,
            )
            .await;
        let id = c["id"].as_i64().unwrap();
        let r = app
            .register_contract(id, &st, &admin, None, Some(&today.to_string()))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let put = |year: i32, body: Value, token: String| {
        let app = &app;
        async move {
            app.request(
                Method::PUT,
                &format!("/api/v1/stats/targets/{year}"),
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    let r = put(
        this_year,
        json!({"amount_fen": 1_200_000_000i64}),
        admin.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["turnover_fen"], 300_000_000i64);
    assert_eq!(r.body["share_bp"], 2500);
    assert_eq!(r.body["last_year_same_period_fen"], 200_000_000i64);
    assert_eq!(r.body["growth_bp"], 5000);
    put(1999, json!({"amount_fen": 1}), admin.clone())
        .await
        .assert_error(400, "invalid_year");
    put(this_year, json!({"amount_fen": 0}), admin.clone())
        .await
        .assert_error(422, "invalid_amounts");
    app.create_user_directly("tongji3@qcy.example.cn", "statistician", None)
        .await;
    let statistician = app.token("tongji3@qcy.example.cn").await;
    put(this_year, json!({"amount_fen": 5}), statistician.clone())
        .await
        .assert_error(403, "forbidden");
    let list = app.get("/api/v1/stats/targets", Some(&statistician)).await;
    assert_eq!(list.body["items"][0]["year"], this_year);
    assert_eq!(list.body["items"][0]["target_fen"], 1_200_000_000i64);
}

#[actix_rt::test]
async fn the_chain_overview_counts_listings_deals_contracts_and_pool_conversion() {
    use awc::http::Method;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let a = crate::listings::published(
        &app,
        "achievements",
        &uni,
        &admin,
        &crate::listings::achievement_body(),
    )
    .await;
    let d = crate::listings::published(
        &app,
        "demands",
        &ent,
        &admin,
        &crate::listings::demand_body(),
    )
    .await;
    app.request(
        Method::PUT,
        &format!("/api/v1/pool/2026/entries/{a}"),
        Some(&admin),
        Some(&json!({"key_project": true})),
    )
    .await;
    let deal = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": d, "achievement_id": a}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let c = app
        .post(
            "/api/v1/contracts",
            Some(&broker),
            &json!({"kind": "transfer", "sub_kind": "patent", "seller_org_id": uni_org,
                    "buyer_org_id": ent_org, "deal_id": deal, "signed_on": "2026-01-10", "amount_fen": 800_000_000i64, "tech_amount_fen": 800_000_000i64}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    let id = c.body["id"].as_i64().unwrap();
    app.confirm_contract(id, &[&uni, &ent]).await;
    let r = app.register_contract(id, &uni, &admin, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.get("/api/v1/stats/chains", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mt = r.body["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chain"] == "machine_tools")
        .unwrap()
        .clone();
    assert_eq!(mt["chain_label"], "高端机床");
    assert_eq!(
        mt["published_achievements"], 0,
        "transferred, no longer on the market"
    );
    assert_eq!(mt["open_demands"], 1);
    assert_eq!(mt["bottleneck_demands"], 1);
    assert_eq!(mt["deals"]["signed"], 1);
    assert_eq!(mt["registered_contracts"], 1);
    assert_eq!(mt["turnover_fen"], 800_000_000i64);
    assert_eq!(
        r.body["pool"][0],
        json!({"year": 2026, "entries": 1, "key_projects": 1, "converted": 1})
    );
    app.get("/api/v1/stats/chains", Some(&uni))
        .await
        .assert_error(403, "forbidden");
}

#[actix_rt::test]
async fn gen_data_fills_the_exchange_with_consistent_synthetic_data() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let db = app.db.clone();
    let report = actix_web::web::block(move || {
        tt_exchange::tools::gen_data::generate(&db, 120, 30, 2_500, false)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (report.achievements, report.demands, report.contracts),
        (120, 30, 2_500)
    );
    let all = app
        .get(
            "/api/v1/stats/turnover?include_unregistered=true",
            Some(&admin),
        )
        .await;
    assert_eq!(all.body["total"]["contracts"], 2_500, "{}", all.text);
    let by_kind = app
        .get(
            "/api/v1/stats/turnover?include_unregistered=true&group_by=kind",
            Some(&admin),
        )
        .await;
    let sum: i64 = by_kind.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contracts"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 2_500);
    // The rollups gen-data summed while generating equal a scan of the contracts (a window
    // that is not whole months forces the scan; both fill the empty periods from 2000).
    for g in ["kind", "quarter,seller_region", "year,chain"] {
        for basis in ["signed", "registered"] {
            let q = format!("group_by={g}&date_basis={basis}&include_unregistered=true");
            let rolled = app
                .get(
                    &format!("/api/v1/stats/turnover?{q}&from=2000-01-01"),
                    Some(&admin),
                )
                .await;
            let scanned = app
                .get(
                    &format!("/api/v1/stats/turnover?{q}&from=2000-01-02"),
                    Some(&admin),
                )
                .await;
            assert_eq!(rolled.body, scanned.body, "{q}");
        }
    }
    app.sync_search().await;
    assert_eq!(
        app.get("/api/v1/achievements", None).await.body["total"],
        120
    );
    assert_eq!(app.get("/api/v1/demands", None).await.body["total"], 30);
    // A second run adds more, with fresh registration numbers.
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::gen_data::generate(&db, 0, 0, 100, false))
        .await
        .unwrap()
        .unwrap();
    let all = app
        .get(
            "/api/v1/stats/turnover?include_unregistered=true",
            Some(&admin),
        )
        .await;
    assert_eq!(all.body["total"]["contracts"], 2_600);
}
