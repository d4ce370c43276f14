use crate::helpers::{spawn_app, spawn_app_with};

#[actix_rt::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let r = app.get("/health", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    assert!(r.header("x-request-id").is_some());
}

#[actix_rt::test]
async fn ready_checks_the_database() {
    let app = spawn_app().await;
    let r = app.get("/ready", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["database"], "ok");
}

#[actix_rt::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/health", None).await;
    app.get("/health", None).await;
    app.get("/api/v1/orgs/12345", None).await;
    app.get("/no/such/path", None).await;
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let text = r.text;
    assert!(
        text.contains(r#"tt_http_requests_total{method="GET",route="/health",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"tt_http_requests_total{method="GET",route="/api/v1/orgs/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    // Unknown paths share one label, so scanners cannot blow up the series count.
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"tt_http_request_duration_seconds_count{method="GET",route="/health"} 2"#)
    );
    assert!(text.contains(
        r#"tt_http_request_duration_seconds_bucket{method="GET",route="/health",le="+Inf"} 2"#
    ));
}

#[actix_rt::test]
async fn random_paths_and_made_up_methods_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    let mut sent = Vec::new();
    for i in 0..40 {
        let path = format!("/scan/{}/{i}", tt_exchange::auth::tokens::random_hex(6));
        let method = if i % 2 == 0 { "FOO" } else { "GET" };
        let method = awc::http::Method::from_bytes(format!("{method}{}", i % 4).as_bytes())
            .expect("method token");
        app.request(method, &path, None, None).await;
        sent.push(path);
    }
    // A made-up method on a real route keeps the route, not the method.
    let r = app
        .request(
            awc::http::Method::from_bytes(b"BREW").expect("method token"),
            "/health",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.text);
    let text = app.get("/metrics", None).await.text;
    for path in &sent {
        assert!(!text.contains(path.as_str()), "{path} in\n{text}");
    }
    for made_up in ["FOO", "GET1", "BREW"] {
        assert!(!text.contains(made_up), "{made_up} in\n{text}");
    }
    assert!(
        text.contains(
            r#"tt_http_requests_total{method="other",route="unmatched",status="404"} 40"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tt_http_requests_total{method="other",route="/health",status="405"} 1"#),
        "{text}"
    );
    let series = text
        .lines()
        .filter(|l| l.starts_with("tt_http_requests_total{"))
        .count();
    assert!(series <= 4, "{series} series:\n{text}");
}

#[actix_rt::test]
async fn taxonomy_serves_every_vocabulary_with_labels() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/taxonomy", None).await;
    assert_eq!(r.status, 200);
    for vocab in tt_exchange::taxonomy::ALL {
        let terms = r.body[vocab.name]
            .as_array()
            .unwrap_or_else(|| panic!("{} missing", vocab.name));
        assert_eq!(terms.len(), vocab.terms.len(), "{}", vocab.name);
        for t in terms {
            assert!(t["code"].is_string() && t["zh"].is_string() && t["en"].is_string());
        }
    }
    let has = |vocab: &str, code: &str, zh: &str| {
        r.body[vocab]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == code && t["zh"].as_str().unwrap().contains(zh))
    };
    assert!(has("regions", "610100", "西安"));
    assert!(has("regions", "611000", "商洛"));
    assert!(has("chains", "semiconductors", "集成电路"));
    assert!(has("roles", "broker", "经纪"));
    let licensing = r.body["contract_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "licensing")
        .unwrap();
    let subs: Vec<&str> = licensing["sub_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["exclusive", "sole", "ordinary"]);
}

#[actix_rt::test]
async fn the_error_code_table_is_served_and_unique() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/errors", None).await;
    assert_eq!(r.status, 200);
    let items = r.body["items"].as_array().unwrap();
    let mut codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"invalid_json") && codes.contains(&"too_many_login_attempts"));
    let n = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), n, "codes are unique");
}

#[actix_rt::test]
async fn a_second_server_on_the_same_embedded_data_dir_is_refused() {
    let app = spawn_app().await;
    if app.settings.uses_postgres() {
        // PostgreSQL deployments run many servers on purpose; the lock is for SQLite only.
        let lock = tt_exchange::startup::lock_data_dir(&app.settings).expect("no lock needed");
        assert!(lock.is_none());
        return;
    }
    let err = tt_exchange::startup::Application::build(app.settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("another tt-exchange process"),
        "{err}"
    );
}

#[actix_rt::test]
async fn sqlite_commits_are_synced_fully_unless_configured_otherwise() {
    let app = spawn_app().await;
    let pragma = app.db.sqlite_synchronous().expect("read the pragma");
    if app.settings.uses_postgres() {
        assert_eq!(pragma, None);
        return;
    }
    // 2 = FULL: every pooled connection, not only the first.
    let conns: Vec<_> = (0..3).map(|_| app.db.conn().expect("connection")).collect();
    assert_eq!(pragma, Some(2));
    assert_eq!(app.db.sqlite_synchronous().expect("pragma"), Some(2));
    drop(conns);
    let normal = spawn_app_with(|s| {
        s.sqlite_synchronous = tt_exchange::config::SqliteSynchronous::Normal;
    })
    .await;
    assert_eq!(normal.db.sqlite_synchronous().expect("pragma"), Some(1));
}
