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
    assert_eq!(first.orgs as i64, count("orgs"));
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
            second.contracts
        ),
        (0, 0, 0, 0, 0, 0, 0, 0)
    );

    app.sync_search().await;
    let listed = app.get("/api/v1/achievements", None).await;
    assert_eq!(
        listed.body["total"],
        count("achievements") - 1,
        "all published but the one a demo transfer contract sold: {}",
        listed.text
    );
    // The contract lifecycle, once through.
    assert_eq!(first.contracts, 5);
    let admin = app.admin_token().await;
    let contracts = app.get("/api/v1/contracts", Some(&admin)).await.body["items"]
        .as_array()
        .unwrap()
        .clone();
    let state = |c: &serde_json::Value| {
        format!(
            "{}/{}",
            c["consent"].as_str().unwrap(),
            c["registration_status"].as_str().unwrap()
        )
    };
    let mut states: Vec<String> = contracts.iter().map(state).collect();
    states.sort();
    assert_eq!(
        states,
        [
            "awaiting_seller/not_submitted",
            "confirmed/not_submitted",
            "confirmed/registered",
            "confirmed/submitted",
            "declined/not_submitted"
        ]
    );
    let mut numbers: Vec<&str> = contracts
        .iter()
        .filter_map(|c| c["registration_no"].as_str())
        .collect();
    numbers.sort();
    assert_eq!(numbers.len(), 2);
    assert!(
        numbers[0].ends_with("000001") && numbers[1].ends_with("000002"),
        "{numbers:?}"
    );
    let turnover = app.get("/api/v1/stats/turnover", Some(&admin)).await;
    assert_eq!(turnover.body["total"]["contracts"], 2, "{}", turnover.text);
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
