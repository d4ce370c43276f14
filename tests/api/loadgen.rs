//! A CI-sized run of the load generator: every scenario for about a second on two
//! connections against a small generated data set. It asserts only that each scenario
//! completed requests without errors; speed is measured by `BENCHMARKS.md`, not by tests.

use std::time::Duration;

use tt_exchange::tools::loadgen::{self, Options, Scenario};

use crate::helpers::{PASSWORD, spawn_app};

#[actix_rt::test]
async fn every_loadgen_scenario_completes_without_errors() {
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || {
        tt_exchange::tools::gen_data::generate(&db, 300, 120, 2_000, false)
    })
    .await
    .unwrap()
    .unwrap();
    app.sync_search().await;
    let email = "loadgen-admin@qcy.example.cn";
    app.create_user_directly(email, "admin", None).await;

    let options = Options {
        url: app.address.clone(),
        connections: 2,
        duration: Duration::from_millis(1_000),
        warmup: Duration::ZERO,
        scenarios: Scenario::ALL.to_vec(),
        admin_email: email.into(),
        admin_password: PASSWORD.into(),
        storm_connections: 1,
        meili: None,
    };
    let report = loadgen::run(&options).await.expect("load generator run");
    let table = report.table();
    println!("{table}");
    assert_eq!(report.scenarios.len(), Scenario::ALL.len(), "{table}");
    // The floor ran first, on the same connections, and every row is set against it.
    assert_eq!(report.floor.scenario, Scenario::Health);
    assert_eq!(report.floor.connections, 2);
    assert!(report.floor.stats.requests > 0, "{table}");
    assert_eq!(report.floor.stats.errors, 0, "{table}");
    assert!(table.contains("floor: /health"), "{table}");
    for r in &report.scenarios {
        let name = r.scenario.name();
        assert!(
            r.stats.requests > 0,
            "{name} completed no requests\n{table}"
        );
        assert_eq!(r.stats.errors, 0, "{name} had errors\n{table}");
        let multiple = r.floor_multiple.expect("a multiple of the floor");
        assert!(
            (multiple - r.stats.p99_ms / report.floor.stats.p99_ms).abs() < 1e-9,
            "{name}\n{table}"
        );
        if let Some(storm) = &r.storm {
            assert!(storm.stats.requests > 0, "{name}: no logins\n{table}");
            assert_eq!(storm.stats.errors, 0, "{name}: login errors\n{table}");
        }
    }
    // The JSON form carries the same rows.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["scenarios"].as_array().map(Vec::len),
        Some(Scenario::ALL.len())
    );
}
