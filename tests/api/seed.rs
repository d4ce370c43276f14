//! `seed-demo` loads a whole demo exchange, every listing valid, and a second run adds
//! nothing.

use crate::helpers::spawn_app;

#[actix_rt::test]
async fn seed_demo_is_complete_valid_and_idempotent() {
    let app = spawn_app().await;
    let demo: serde_json::Value =
        serde_json::from_str(include_str!("../../seed/demo.json")).unwrap();
    let count = |k: &str| demo[k].as_array().unwrap().len() as i64;

    let db = app.db.clone();
    let first = actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.achievements as i64, count("achievements"));
    assert_eq!(first.demands as i64, count("demands"));
    assert_eq!(first.orgs as i64, count("orgs") + count("unverified_orgs"));
    assert!(first.pool_entries > 0);
    assert!(first.applications >= 4, "{first:?}");
    assert_eq!(
        first.milestones, 6,
        "two for each of the first three winners"
    );

    let db = app.db.clone();
    let second = actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            second.orgs,
            second.users,
            second.achievements,
            second.demands,
            second.pool_entries,
            second.applications,
            second.milestones,
            second.contracts,
            second.awaiting_review,
            second.targets
        ),
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    );

    app.sync_search().await;
    let listed = app.get("/api/v1/achievements", None).await;
    assert_eq!(
        listed.body["total"],
        count("achievements") - 1,
        "all published but the one a demo transfer contract sold: {}",
        listed.text
    );
    // The contract lifecycle once through, then a year and a half of history.
    assert_eq!(first.contracts, 5 + 54);
    let admin = app.admin_token().await;
    let contracts = app
        .get("/api/v1/contracts?per_page=100", Some(&admin))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(contracts.len(), 59);
    let mut states = std::collections::BTreeMap::<String, usize>::new();
    for c in &contracts {
        let state = format!(
            "{}/{}",
            c["consent"].as_str().unwrap(),
            c["registration_status"].as_str().unwrap()
        );
        *states.entry(state).or_default() += 1;
    }
    let expected: Vec<(String, usize)> = [
        ("awaiting_seller/not_submitted", 1),
        ("confirmed/not_submitted", 1 + 13),
        ("confirmed/registered", 1 + 41),
        ("confirmed/submitted", 1),
        ("declined/not_submitted", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(states.into_iter().collect::<Vec<_>>(), expected);
    let mut numbers: Vec<&str> = contracts
        .iter()
        .filter_map(|c| c["registration_no"].as_str())
        .collect();
    numbers.sort();
    assert_eq!(numbers.len(), 43);
    for (i, n) in numbers.iter().enumerate() {
        assert!(n.ends_with(&format!("{:06}", i + 1)), "{numbers:?}");
    }
    // Every statistic has shape: several kinds, regions, brokers and months.
    let distinct = |key: &str| {
        contracts
            .iter()
            .map(|c| c[key].to_string())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    assert_eq!(distinct("kind"), 5);
    assert!(
        distinct("buyer_region") >= 5,
        "{}",
        distinct("buyer_region")
    );
    assert!(distinct("broker_id") >= 3, "two brokers and none");
    let months = contracts
        .iter()
        .map(|c| c["signed_on"].as_str().unwrap()[..7].to_owned())
        .collect::<std::collections::HashSet<_>>();
    assert!(months.len() >= 17, "{months:?}");
    let turnover = app.get("/api/v1/stats/turnover", Some(&admin)).await;
    assert_eq!(turnover.body["total"]["contracts"], 43, "{}", turnover.text);
    let targets = app.get("/api/v1/stats/targets", Some(&admin)).await;
    assert_eq!(targets.body["items"].as_array().unwrap().len(), 2);
    assert!(targets.body["items"][0]["turnover_fen"].as_i64().unwrap() > 0);
    // What waits for the admin: an org to verify, listings to review.
    let queue = app.get("/api/v1/orgs?verified=false", Some(&admin)).await;
    assert_eq!(queue.body["total"], 1, "{}", queue.text);
    for kind in ["achievements", "demands"] {
        let review = app
            .get(&format!("/api/v1/review/{kind}"), Some(&admin))
            .await;
        assert_eq!(review.body["total"], 1, "{kind}: {}", review.text);
    }
    assert_eq!(
        app.get("/api/v1/demands", None).await.body["total"],
        count("demands")
    );
    // The first challenge has a winner who was paid for its first milestone.
    let challenges = app
        .get(
            "/api/v1/demands?challenge=true&sort=newest&per_page=100",
            None,
        )
        .await;
    let boards: Vec<serde_json::Value> = {
        let mut out = Vec::new();
        for c in challenges.body["items"].as_array().unwrap() {
            let r = app.get(&format!("/api/v1/demands/{}", c["id"]), None).await;
            out.push(r.body["challenge_progress"].clone());
        }
        out
    };
    let paid: Vec<&serde_json::Value> = boards
        .iter()
        .filter(|b| b["paid_fen"].as_i64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(paid.len(), 3, "{boards:?}");
    for b in paid {
        let w = &b["winners"][0];
        assert_eq!(w["accepted_bp"], 4000);
        assert_eq!(w["planned_bp"], 10_000);
    }
    let pool = app.get("/api/v1/pool/2025", None).await;
    assert!(pool.body["total"].as_i64().unwrap() > 0);
    assert_eq!(pool.body["items"][0]["key_project"], true);

    for (role, email) in &first.accounts {
        let r = app
            .login(email, tt_exchange::tools::seed::DEMO_PASSWORD)
            .await;
        assert_eq!(r.status, 200, "{role} {email}: {}", r.text);
    }
    let (_, enterprise) = first
        .accounts
        .iter()
        .find(|(r, _)| r == "enterprise")
        .unwrap();
    let login = app
        .login(enterprise, tt_exchange::tools::seed::DEMO_PASSWORD)
        .await;
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&token)).await;
    let org = me.body["org"]["id"].as_i64().unwrap();
    let own = app
        .get(
            &format!("/api/v1/orgs/{org}/demands?per_page=100"),
            Some(&token),
        )
        .await;
    let challenge = own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["challenge"].is_object())
        .expect("the demo enterprise has a challenge");
    let applications = app
        .get(
            &format!("/api/v1/demands/{}/applications", challenge["id"]),
            Some(&token),
        )
        .await;
    assert_eq!(applications.body["total"], 2, "{}", applications.text);
    let roles: Vec<&str> = first.accounts.iter().map(|(r, _)| r.as_str()).collect();
    for role in [
        "admin",
        "statistician",
        "university",
        "enterprise",
        "broker",
    ] {
        assert!(roles.contains(&role), "a demo account for {role}");
    }
}
