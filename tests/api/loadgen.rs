//! A CI-sized run of the load generator: every scenario for about a second on two
//! connections against a small generated data set. It asserts only that each scenario
//! completed requests without errors; speed is measured by `BENCHMARKS.md`, not by tests.

use std::time::Duration;

use tt_exchange::config::SearchEngineKind;
use tt_exchange::tools::loadgen::{self, MeiliTarget, Options, Scenario};

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

    // On a live Meilisearch (TT_TEST_SEARCH_ENGINE=meilisearch), `meili_search` sends the
    // search mix straight to this app's own indexes too.
    let s = &app.settings;
    let meili = match (&s.search_engine, &s.meili_url) {
        (SearchEngineKind::Meilisearch, Some(url)) => Some(MeiliTarget {
            url: url.trim_end_matches('/').to_owned(),
            key: s.meili_key.as_ref().map(|k| k.expose().to_owned()),
            prefix: s.index_prefix.clone(),
        }),
        _ => {
            println!(
                "meili_search skipped: the app runs on the embedded engine (set TT_TEST_SEARCH_ENGINE=meilisearch and TT_TEST_MEILI_URL)"
            );
            None
        }
    };
    let mut scenarios = Scenario::ALL.to_vec();
    if meili.is_some() {
        scenarios.insert(1, Scenario::MeiliSearch);
    }
    let options = Options {
        url: app.address.clone(),
        connections: 2,
        duration: Duration::from_millis(1_000),
        warmup: Duration::ZERO,
        scenarios: scenarios.clone(),
        admin_email: email.into(),
        admin_password: PASSWORD.into(),
        storm_connections: 1,
        meili,
    };
    let report = loadgen::run(&options).await.expect("load generator run");
    let table = report.table();
    println!("{table}");
    assert_eq!(report.scenarios.len(), scenarios.len(), "{table}");
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
        Some(scenarios.len())
    );
}
