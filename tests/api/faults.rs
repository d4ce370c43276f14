//! Faults: (a) the search engine unreachable under write load, (b) PostgreSQL stopped and
//! started under load (gated: `TT_TEST_PG_STOP_CMD` and `TT_TEST_PG_START_CMD` with
//! `TT_TEST_DATABASE_URL`; it stops the server every other test uses, so `.ci/run` runs it
//! on its own), (c) the real binary killed with SIGKILL during contract writes. In each,
//! every acknowledged write must be in the database afterwards (writes lost: 0) and the
//! index and turnover rollups must converge to it.

use std::future::Future;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::authz::challenge_body;
use crate::helpers::{
    Account, JWT_SECRET, PASSWORD, PgDatabase, Resp, TestApp, spawn_app, test_database_url,
};
use crate::listings::{achievement_body, demand_body, member, published};

/// A future borrowing from the test.
pub(crate) type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Polls every future to completion, concurrently (no runtime tasks needed).
pub(crate) async fn join_all<'a, T>(futures: Vec<Task<'a, T>>) -> Vec<T> {
    let mut futures: Vec<Option<Task<'a, T>>> = futures.into_iter().map(Some).collect();
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, result) in futures.iter_mut().zip(out.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// Every id a search returns, page by page.
async fn search_ids(app: &TestApp, path: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for page in 1.. {
        let r = app
            .get(&format!("{path}?per_page=100&page={page}"), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        ids.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        if items.len() < 100 {
            break;
        }
    }
    ids.sort_unstable();
    ids
}

/// Published items of an org, from the database (not the index).
async fn published_in_db(app: &TestApp, kind: &str, org: i64, token: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for page in 1.. {
        let r = app
            .get(
                &format!("/api/v1/orgs/{org}/{kind}?status=published&per_page=100&page={page}"),
                Some(token),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        ids.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        if items.len() < 100 {
            break;
        }
    }
    ids.sort_unstable();
    ids
}

/// An engine that cannot be reached: Meilisearch on a port where nothing listens.
fn unreachable_engine(s: &mut tt_exchange::config::Settings) {
    s.search_engine = tt_exchange::config::SearchEngineKind::Meilisearch;
    s.meili_url = Some("http://127.0.0.1:9".into());
}

#[actix_rt::test]
async fn a_search_engine_outage_under_write_load_loses_no_write_and_the_index_converges() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    // Some items are on the market before the outage; some of them leave it during it.
    let mut before = Vec::new();
    for _ in 0..6 {
        before.push(published(&app, "achievements", &uni, &admin, &achievement_body()).await);
    }
    app.sync_search().await;

    let app = app.restart_with(unreachable_engine).await;
    // Write load while the engine is down: 24 achievements and 12 demands published by
    // concurrent clients, 3 achievements withdrawn, 2 put into the pool.
    let started = Instant::now();
    let mut writes: Vec<Task<'_, (String, i64)>> = Vec::new();
    for _ in 0..24 {
        writes.push(Box::pin(async {
            let id = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
            ("achievement".to_owned(), id)
        }));
    }
    for i in 0..12 {
        let body = if i % 3 == 0 {
            challenge_body()
        } else {
            demand_body()
        };
        let (app, ent, admin) = (&app, &ent, &admin);
        writes.push(Box::pin(async move {
            let id = published(app, "demands", ent, admin, &body).await;
            ("demand".to_owned(), id)
        }));
    }
    for &id in &before[..3] {
        let (app, uni) = (&app, &uni);
        writes.push(Box::pin(async move {
            let r = app
                .post(
                    &format!("/api/v1/achievements/{id}/withdraw"),
                    Some(uni),
                    &json!({}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            ("withdrawn".to_owned(), id)
        }));
    }
    for &id in &before[3..5] {
        let (app, admin) = (&app, &admin);
        writes.push(Box::pin(async move {
            let r = app
                .request(
                    awc::http::Method::PUT,
                    &format!("/api/v1/pool/2026/entries/{id}"),
                    Some(admin),
                    Some(&json!({"key_project": true})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            ("pooled".to_owned(), id)
        }));
    }
    let acknowledged = join_all(writes).await;
    let load_secs = started.elapsed().as_secs_f64();
    // Searching fails cleanly meanwhile, and the backlog is visible.
    app.get("/api/v1/achievements", None)
        .await
        .assert_error(503, "search_unavailable");
    let status = app.get("/api/v1/admin/search", Some(&admin)).await;
    assert_eq!(status.body["engine"]["available"], false, "{}", status.text);
    let backlog = status.body["outbox"]["pending"].as_i64().unwrap();
    assert!(backlog >= 36, "{}", status.text);

    // The engine is back (the embedded one, whose index missed all of that).
    let app = app
        .restart_with(|s| s.search_engine = tt_exchange::config::SearchEngineKind::Embedded)
        .await;
    app.sync_search().await;
    let of = |kind: &str| -> Vec<i64> {
        acknowledged
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    // No acknowledged write is lost: each is in the database as acknowledged.
    let db_achievements = published_in_db(&app, "achievements", uni_org, &uni).await;
    let db_demands = published_in_db(&app, "demands", ent_org, &ent).await;
    for id in of("achievement") {
        assert!(db_achievements.contains(&id), "achievement {id} lost");
    }
    for id in of("demand") {
        assert!(db_demands.contains(&id), "demand {id} lost");
    }
    for id in of("withdrawn") {
        assert!(!db_achievements.contains(&id), "withdrawal of {id} lost");
    }
    let pool = app.get("/api/v1/pool/2026", None).await;
    assert_eq!(pool.body["total"], 2, "{}", pool.text);
    // The index converged to the database: the same items, pool flags included.
    assert_eq!(db_achievements.len(), 24 + 3);
    assert_eq!(db_demands.len(), 12);
    assert_eq!(
        search_ids(&app, "/api/v1/achievements").await,
        db_achievements
    );
    assert_eq!(search_ids(&app, "/api/v1/demands").await, db_demands);
    let pooled = app
        .get("/api/v1/achievements?pool_year=2026&key_project=true", None)
        .await;
    assert_eq!(pooled.body["total"], 2, "{}", pooled.text);
    let challenges = app.get("/api/v1/demands?challenge=true", None).await;
    assert_eq!(challenges.body["total"], 4, "{}", challenges.text);
    println!(
        "fault (a) search engine down: {} writes acknowledged under load in {load_secs:.1}s, {} found, 0 lost; outbox backlog {backlog} drained; index = database ({} achievements, {} demands)",
        acknowledged.len(),
        acknowledged.len(),
        db_achievements.len(),
        db_demands.len()
    );
}

// ---------------------------------------------------------------------------------------
// (b) PostgreSQL stopped and started under load.

fn shell(cmd: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(status.success(), "{cmd}: {status}");
}

/// Contract bodies between two orgs; `n` makes each one's amount (and body) unique.
fn contract(seller: i64, buyer: i64, n: u64) -> Value {
    json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": seller, "buyer_org_id": buyer,
        "signed_on": "2026-03-15", "amount_fen": 1_000_000 + n as i64, "tech_amount_fen": 1_000_000,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    })
}

async fn post_contract(app: &TestApp, token: &str, body: &Value, key: &str) -> Resp {
    app.request_with_headers(
        awc::http::Method::POST,
        "/api/v1/contracts",
        &[("Idempotency-Key", key)],
        Some(token),
        Some(body),
    )
    .await
}

/// Confirms, as the buyer, every contract that awaits the buyer's org.
async fn confirm_all(app: &TestApp, buyer: &str) -> usize {
    let mut n = 0;
    loop {
        let r = app
            .get(
                "/api/v1/contracts?consent=awaiting_me&per_page=100",
                Some(buyer),
            )
            .await;
        let items = r.body["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return n;
        }
        for c in items {
            let id = c["id"].as_i64().unwrap();
            app.confirm_contract(id, &[buyer]).await;
            n += 1;
        }
    }
}

/// The turnover answered from the rollups equals the one from a scan of the contracts
/// (a window that is not whole months forces the scan).
async fn rollups_equal_scan(app: &TestApp, admin: &str) -> usize {
    let mut compared = 0;
    for g in [
        "",
        "kind",
        "quarter,seller_region",
        "year,chain",
        "month,seller_org",
    ] {
        for basis in ["signed", "registered"] {
            let q = format!("group_by={g}&date_basis={basis}&include_unregistered=true");
            // Both from January 2000, so the zero rows of empty periods are the same.
            let rolled = app
                .get(
                    &format!("/api/v1/stats/turnover?{q}&from=2000-01-01"),
                    Some(admin),
                )
                .await;
            let scanned = app
                .get(
                    &format!("/api/v1/stats/turnover?{q}&from=2000-01-02"),
                    Some(admin),
                )
                .await;
            assert_eq!(rolled.status, 200, "{}", rolled.text);
            assert_eq!(rolled.body, scanned.body, "{q}");
            compared += 1;
        }
    }
    compared
}

#[actix_rt::test]
async fn postgres_restarted_under_load_answers_503_then_recovers_without_a_server_restart() {
    let (Some(_), Ok(stop), Ok(start)) = (
        test_database_url(),
        std::env::var("TT_TEST_PG_STOP_CMD"),
        std::env::var("TT_TEST_PG_START_CMD"),
    ) else {
        println!(
            "fault (b) skipped: set TT_TEST_DATABASE_URL, TT_TEST_PG_STOP_CMD and TT_TEST_PG_START_CMD (it stops that PostgreSQL; run it alone, as .ci/run does)"
        );
        return;
    };
    let app = crate::helpers::spawn_app_with(|s| {
        s.rate_limit_writes_per_min = 0;
        // Fail fast while the database is down.
        s.request_timeout_secs = 10;
    })
    .await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;

    use std::cell::{Cell, RefCell};
    let phase = Cell::new("before");
    let stop_at = Cell::new(false);
    let acknowledged: RefCell<Vec<u64>> = RefCell::new(Vec::new());
    let attempted: RefCell<Vec<u64>> = RefCell::new(Vec::new());
    let down_answers: RefCell<Vec<(u16, String)>> = RefCell::new(Vec::new());
    let after_ok = Cell::new(0usize);
    let serial = Cell::new(1_000u64);
    // Three clients: two writers (contracts) and a reader, until told to stop.
    let client = |write: bool| {
        let (app, uni) = (&app, &uni);
        let (phase, stop_at, acknowledged, attempted, down_answers, after_ok, serial) = (
            &phase,
            &stop_at,
            &acknowledged,
            &attempted,
            &down_answers,
            &after_ok,
            &serial,
        );
        Box::pin(async move {
            while !stop_at.get() {
                let started_in = phase.get();
                let r = if write {
                    let n = serial.get();
                    serial.set(n + 1);
                    attempted.borrow_mut().push(n);
                    let r =
                        post_contract(app, uni, &contract(uni_org, ent_org, n), &format!("pg-{n}"))
                            .await;
                    if (200..300).contains(&r.status) {
                        acknowledged.borrow_mut().push(n);
                    }
                    r
                } else {
                    app.get("/api/v1/contracts?per_page=5", Some(uni)).await
                };
                let ended_in = phase.get();
                if (200..300).contains(&r.status) {
                    if started_in == "after" {
                        after_ok.set(after_ok.get() + 1);
                    }
                } else if (started_in, ended_in) == ("before", "before") || started_in == "after" {
                    panic!("{started_in}..{ended_in}: {} {}", r.status, r.text);
                } else {
                    // Refused while the database was going down, down, or coming back:
                    // a 503 of the one error shape.
                    let code = r.body["code"].as_str().unwrap_or("?").to_owned();
                    r.assert_error(503, &code);
                    down_answers.borrow_mut().push((r.status, code));
                }
                actix_rt::time::sleep(Duration::from_millis(20)).await;
            }
        }) as Task<'_, ()>
    };
    let driver = Box::pin(async {
        actix_rt::time::sleep(Duration::from_secs(1)).await;
        phase.set("stopping");
        let stop = stop.clone();
        actix_web::web::block(move || shell(&stop)).await.unwrap();
        phase.set("down");
        actix_rt::time::sleep(Duration::from_secs(4)).await;
        phase.set("starting");
        let start = start.clone();
        actix_web::web::block(move || shell(&start)).await.unwrap();
        // The pool reconnects on its own: wait for the first success, then keep going.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = app.get("/ready", None).await;
            if r.status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "not ready again: {}", r.text);
            actix_rt::time::sleep(Duration::from_millis(200)).await;
        }
        phase.set("after");
        let deadline = Instant::now() + Duration::from_secs(60);
        while after_ok.get() < 20 {
            assert!(Instant::now() < deadline, "requests do not succeed again");
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
        stop_at.set(true);
    }) as Task<'_, ()>;
    join_all(vec![driver, client(true), client(true), client(false)]).await;

    let down = down_answers.borrow().clone();
    assert!(
        !down.is_empty(),
        "no request was refused while the database was down"
    );
    // Every acknowledged contract is there; a retry of each unanswered one with its
    // Idempotency-Key records it at most once.
    let acknowledged = acknowledged.borrow().clone();
    let attempted = attempted.borrow().clone();
    for &n in &attempted {
        let r = post_contract(
            &app,
            &uni,
            &contract(uni_org, ent_org, n),
            &format!("pg-{n}"),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        if acknowledged.contains(&n) {
            assert_eq!(r.header("idempotent-replayed").as_deref(), Some("true"));
        }
    }
    let list = app.get("/api/v1/contracts?per_page=1", Some(&admin)).await;
    assert_eq!(list.body["total"], attempted.len(), "{}", list.text);
    assert_eq!(confirm_all(&app, &ent).await, attempted.len());
    let compared = rollups_equal_scan(&app, &admin).await;
    println!(
        "fault (b) PostgreSQL stopped and started under load: {} requests refused with 503 while down ({:?}), {} after recovery succeeded without a server restart; {} contract writes acknowledged, {} found, 0 lost; rollups = scan over {compared} groupings",
        down.len(),
        down.iter()
            .map(|(_, c)| c.as_str())
            .collect::<std::collections::BTreeSet<_>>(),
        after_ok.get(),
        acknowledged.len(),
        acknowledged.len(),
    );
}

// ---------------------------------------------------------------------------------------
// (c) SIGKILL during contract writes, against the real binary.

pub(crate) struct Server {
    child: Child,
    data_dir: std::path::PathBuf,
    pub(crate) bind: String,
    database_url: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn command(
    data_dir: &std::path::Path,
    bind: &str,
    database_url: Option<&str>,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tt-exchange"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TT_DATA_DIR", data_dir)
        .env("TT_BIND", bind)
        .env("TT_JWT_SECRET", JWT_SECRET)
        .env("TT_WORKERS", "2")
        .env("TT_RATE_LIMIT_WRITES_PER_MIN", "0")
        .env("TT_RATE_LIMIT_LOGIN_PER_MIN", "0")
        .env("TT_RATE_LIMIT_REGISTER_PER_HOUR", "0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("TT_DATABASE_URL", url);
    }
    cmd
}

impl Server {
    pub(crate) fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Server {
        let bind = format!("127.0.0.1:{}", free_port());
        Server::start_on(data_dir, &bind, database_url)
    }

    fn start_on(data_dir: &std::path::Path, bind: &str, database_url: Option<&str>) -> Server {
        let child = command(data_dir, bind, database_url)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tt-exchange");
        Server {
            child,
            data_dir: data_dir.to_owned(),
            bind: bind.to_owned(),
            database_url: database_url.map(str::to_owned),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.bind)
    }

    /// SIGKILL: no shutdown code runs.
    pub(crate) fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    pub(crate) fn restart(&mut self) {
        let next = Server::start_on(&self.data_dir, &self.bind, self.database_url.as_deref());
        *self = next;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn wait_ready(server: &std::cell::RefCell<Server>, client: &awc::Client) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = server.borrow_mut().child.try_wait().unwrap() {
            panic!("tt-exchange exited: {status}");
        }
        let url = server.borrow().url("/ready");
        if let Ok(res) = client.get(url).send().await
            && res.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "tt-exchange did not get ready");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn call(
    client: &awc::Client,
    server_url: String,
    method: awc::http::Method,
    token: Option<&str>,
    headers: &[(&str, String)],
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut req = client.request(method, server_url);
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    for (k, v) in headers {
        req = req.insert_header((*k, v.clone()));
    }
    let res = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    };
    let mut res = res.ok()?;
    let status = res.status().as_u16();
    let bytes = res.body().limit(16 << 20).await.ok()?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[actix_rt::test]
async fn sigkill_during_contract_writes_loses_no_acknowledged_contract() {
    let data_dir = tempfile::tempdir().unwrap();
    let pg = test_database_url().map(|url| PgDatabase::create(&url));
    let db_url = pg.as_ref().map(|p| p.url.clone());
    // The first admin, made the way operators do.
    let out = command(data_dir.path(), "127.0.0.1:1", db_url.as_deref())
        .args([
            "create-user",
            "--email",
            "ops@qcy.example.cn",
            "--name",
            "运维管理员",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ])
        .output()
        .expect("create-user");
    assert!(
        out.status.success(),
        "create-user: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::cell::{Cell, RefCell};
    let server = RefCell::new(Server::start(data_dir.path(), db_url.as_deref()));
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    wait_ready(&server, &client).await;
    let post = |path: &str, token: Option<&str>, body: Value| {
        let url = server.borrow().url(path);
        let client = &client;
        let token = token.map(str::to_owned);
        async move {
            call(
                client,
                url,
                awc::http::Method::POST,
                token.as_deref(),
                &[],
                Some(&body),
            )
            .await
            .expect("request")
        }
    };
    let login = |email: &str| {
        let body = json!({"email": email, "password": PASSWORD});
        let p = post("/api/v1/auth/login", None, body);
        async move {
            let (s, b) = p.await;
            assert_eq!(s, 200, "{b}");
            b["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("ops@qcy.example.cn").await;
    let mut orgs = Vec::new();
    let mut tokens = Vec::new();
    for account in [Account::university(), Account::enterprise()] {
        let (s, b) = post("/api/v1/auth/register", None, account.json()).await;
        assert_eq!(s, 201, "{b}");
        let org = b["org"]["id"].as_i64().unwrap();
        let (s, b) = post(
            &format!("/api/v1/orgs/{org}/verify"),
            Some(&admin),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        orgs.push(org);
        tokens.push(login(&account.email).await);
    }
    let (uni, uni_org, ent_org) = (tokens[0].clone(), orgs[0], orgs[1]);
    // Published achievements, each to be sold by a transfer contract: a committed
    // contract takes its achievement off the market (an outbox row in the same
    // transaction), so the index must converge too.
    let total = 48u64;
    let mut achievements = Vec::new();
    for _ in 0..total {
        let (s, b) = post("/api/v1/achievements", Some(&uni), achievement_body()).await;
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_i64().unwrap();
        let (s, b) = post(
            &format!("/api/v1/achievements/{id}/submit"),
            Some(&uni),
            json!({}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = post(
            &format!("/api/v1/achievements/{id}/review"),
            Some(&admin),
            json!({"decision": "approve"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        achievements.push(id);
    }
    let body_of = |i: u64| {
        let mut b = contract(uni_org, ent_org, 700_000 + i);
        b["kind"] = json!("transfer");
        b["sub_kind"] = json!("patent");
        b["achievement_id"] = json!(achievements[i as usize]);
        b
    };

    // Six concurrent writers; the server is killed once 20 contracts are acknowledged,
    // with requests in flight.
    let next = Cell::new(0u64);
    let acknowledged: RefCell<Vec<(u64, i64)>> = RefCell::new(Vec::new());
    let unanswered: RefCell<Vec<u64>> = RefCell::new(Vec::new());
    let killed = Cell::new(false);
    let writer = || {
        let (next, acknowledged, unanswered, killed, server, client, uni, body_of) = (
            &next,
            &acknowledged,
            &unanswered,
            &killed,
            &server,
            &client,
            &uni,
            &body_of,
        );
        Box::pin(async move {
            loop {
                let i = next.get();
                if i >= total {
                    return;
                }
                next.set(i + 1);
                let url = server.borrow().url("/api/v1/contracts");
                let answer = call(
                    client,
                    url,
                    awc::http::Method::POST,
                    Some(uni),
                    &[("Idempotency-Key", format!("kill-{i}"))],
                    Some(&body_of(i)),
                )
                .await;
                match answer {
                    Some((201, b)) => {
                        acknowledged
                            .borrow_mut()
                            .push((i, b["id"].as_i64().unwrap()));
                        if acknowledged.borrow().len() >= 20 && !killed.get() {
                            killed.set(true);
                            server.borrow_mut().kill9();
                        }
                    }
                    Some((s, b)) if !killed.get() => panic!("contract {i}: {s} {b}"),
                    // No answer (or one cut short by the kill): the outcome is unknown.
                    _ => unanswered.borrow_mut().push(i),
                }
                if killed.get() {
                    return;
                }
            }
        }) as Task<'_, ()>
    };
    join_all((0..6).map(|_| writer()).collect()).await;
    assert!(killed.get(), "the server was never killed");
    let acknowledged = acknowledged.into_inner();
    let mut unanswered = unanswered.into_inner();
    // Those never sent at all are retried too (they are simply new).
    unanswered.extend(next.get()..total);

    server.borrow_mut().restart();
    wait_ready(&server, &client).await;
    let admin = login("ops@qcy.example.cn").await;
    let get = |path: &str| {
        let url = server.borrow().url(path);
        let (client, admin) = (&client, &admin);
        async move {
            call(client, url, awc::http::Method::GET, Some(admin), &[], None)
                .await
                .expect("request")
        }
    };
    // Every acknowledged contract is in the database, as acknowledged.
    for (i, id) in &acknowledged {
        let (s, b) = get(&format!("/api/v1/contracts/{id}")).await;
        assert_eq!(s, 200, "acknowledged contract {i} (id {id}) lost: {b}");
        assert_eq!(b["signed_amount_fen"], body_of(*i)["amount_fen"]);
        assert_eq!(b["achievement_id"], body_of(*i)["achievement_id"]);
    }
    // Retrying the unanswered ones with their keys records each exactly once; a replay
    // means the request had committed before the kill though its answer never came.
    let in_flight = unanswered.len() - (next.get()..total).count();
    let (_, list) = get("/api/v1/contracts?per_page=1").await;
    let committed_unanswered = list["total"].as_u64().unwrap() - acknowledged.len() as u64;
    for &i in &unanswered {
        let url = server.borrow().url("/api/v1/contracts");
        let (s, b) = call(
            &client,
            url,
            awc::http::Method::POST,
            Some(&uni),
            &[("Idempotency-Key", format!("kill-{i}"))],
            Some(&body_of(i)),
        )
        .await
        .expect("retry");
        assert_eq!(s, 201, "retry of contract {i}: {b}");
    }
    let (_, list) = get("/api/v1/contracts?per_page=1").await;
    assert_eq!(list["total"], total, "one contract per request");
    // The buyer confirms them all: only now are the achievements sold.
    let ent = tokens[1].clone();
    loop {
        let (_, mine) = {
            let url = server
                .borrow()
                .url("/api/v1/contracts?consent=awaiting_me&per_page=100");
            call(&client, url, awc::http::Method::GET, Some(&ent), &[], None)
                .await
                .expect("list")
        };
        let items = mine["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        for c in items {
            let url = server
                .borrow()
                .url(&format!("/api/v1/contracts/{}/confirm", c["id"]));
            let (s, b) = call(
                &client,
                url,
                awc::http::Method::POST,
                Some(&ent),
                &[],
                Some(&json!({})),
            )
            .await
            .expect("confirm");
            assert_eq!(s, 200, "{b}");
        }
    }

    // The index converges: every achievement was sold, so none is on the market.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, status) = get("/api/v1/admin/search").await;
        let (_, search) = get("/api/v1/achievements?per_page=1").await;
        if status["outbox"]["pending"] == 0 && search["total"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "index did not converge: {status} {search}"
        );
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, transferred) = get(&format!(
        "/api/v1/orgs/{uni_org}/achievements?status=transferred&per_page=1"
    ))
    .await;
    assert_eq!(transferred["total"], total);
    // The rollups (written in the contracts' transactions) equal a scan of the contracts.
    let mut compared = 0;
    for g in [
        "",
        "kind",
        "quarter,seller_region",
        "year,chain",
        "month,seller_org",
    ] {
        let q = format!("group_by={g}&include_unregistered=true");
        // Both from 2000 (whole months or not), so both fill the same empty periods.
        let (_, rolled) = get(&format!("/api/v1/stats/turnover?{q}&from=2000-01-01")).await;
        let (_, scanned) = get(&format!("/api/v1/stats/turnover?{q}&from=2000-01-02")).await;
        assert_eq!(rolled, scanned, "{q}");
        compared += 1;
    }
    let (_, all) = get("/api/v1/stats/turnover?include_unregistered=true").await;
    assert_eq!(all["total"]["contracts"], total);
    println!(
        "fault (c) SIGKILL during contract writes ({}): {} acknowledged before the kill, {} found after restart, 0 lost; {in_flight} in flight at the kill ({committed_unanswered} of them had committed), {} unanswered or unsent retried with their Idempotency-Key, {total} contracts in all, none twice; outbox drained, index = database; rollups = scan over {compared} groupings",
        if db_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        acknowledged.len(),
        acknowledged.len(),
        unanswered.len(),
    );
    drop(server);
    drop(pg);
}
