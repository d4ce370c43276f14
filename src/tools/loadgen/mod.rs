//! `loadgen`: drives a running server over HTTP and reports, per scenario, throughput and
//! exact latency percentiles (nearest rank over every recorded request, no histogram
//! buckets) and the error count.
//!
//! Each scenario runs on its own for a fixed time with N concurrent connections; a
//! connection is one keep-alive HTTP/1.1 client sending its next request as soon as the
//! last answer is read (a closed loop). A request is an error when it fails in transport
//! or answers anything but 2xx. Requests finished during the warm-up are not counted.
//!
//! Accounts: the run signs in with an existing admin (`--admin-email`, `--admin-password`;
//! make one with `tt-exchange create-user --role admin`), and through the API creates a few
//! statistician accounts of its own (`loadgen-<tag>-<i>@loadgen.example.cn`) for the
//! turnover and login scenarios. Ids to read and match, and orgs to sign contracts
//! between, are found by calling the list and search endpoints first.
//!
//! Scenarios:
//!
//! | name | requests |
//! | --- | --- |
//! | `search` | public search of achievements (70 %) and demands (30 %): one or two words of the gen-data vocabulary, often with chain / region / TRL filters, a sort or page 2; facets always on |
//! | `match` | `GET /api/v1/demands/{id}/matches` as admin |
//! | `turnover` | `GET /api/v1/stats/turnover` as statistician, several groupings (time plus at most one dimension) |
//! | `contract_create` | `POST /api/v1/contracts` as admin (awaiting both parties), an `Idempotency-Key` each |
//! | `read_by_id` | `GET /api/v1/achievements/{id}`, anonymous |
//! | `login` | `POST /api/v1/auth/login` of the run's statisticians (argon2, slow on purpose) |
//! | `search_under_login` | `search` on N connections while `--storm-connections` more hammer `login` |
//!
//! The work runs on the caller's actix runtime ([`run`] spawns local tasks), as the CLI
//! and `#[actix_rt::test]` provide.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use serde_json::{Value, json};

use crate::taxonomy;
use crate::tools::gen_data::{Rng, vocabulary};

/// One load scenario of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    Search,
    Match,
    Turnover,
    ContractCreate,
    ReadById,
    Login,
    SearchUnderLogin,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Search,
        Scenario::Match,
        Scenario::Turnover,
        Scenario::ContractCreate,
        Scenario::ReadById,
        Scenario::Login,
        Scenario::SearchUnderLogin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Search => "search",
            Scenario::Match => "match",
            Scenario::Turnover => "turnover",
            Scenario::ContractCreate => "contract_create",
            Scenario::ReadById => "read_by_id",
            Scenario::Login => "login",
            Scenario::SearchUnderLogin => "search_under_login",
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub connections: usize,
    /// Measured time per scenario.
    pub duration: Duration,
    /// Unmeasured time before each scenario.
    pub warmup: Duration,
    pub scenarios: Vec<Scenario>,
    pub admin_email: String,
    pub admin_password: String,
    /// Login connections beside the search ones in `search_under_login`.
    pub storm_connections: usize,
}

/// `tt-exchange loadgen` arguments.
#[derive(Debug, clap::Args)]
pub struct LoadgenArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Concurrent keep-alive connections per scenario.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Measured time per scenario: `10s`, `500ms`, `2m`.
    #[arg(long, default_value = "10s")]
    pub duration: String,
    /// Unmeasured warm-up before each scenario.
    #[arg(long, default_value = "1s")]
    pub warmup: String,
    /// Comma-separated scenarios (default: all): search, match, turnover,
    /// contract_create, read_by_id, login, search_under_login.
    #[arg(long, value_delimiter = ',')]
    pub scenario: Vec<String>,
    /// An existing admin account (make one with `create-user --role admin`).
    #[arg(long, env = "TT_LOADGEN_ADMIN_EMAIL")]
    pub admin_email: String,
    #[arg(long, env = "TT_LOADGEN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// Login connections during `search_under_login` (default: --connections).
    #[arg(long)]
    pub storm_connections: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl LoadgenArgs {
    pub fn into_options(self) -> anyhow::Result<Options> {
        let scenarios = if self.scenario.is_empty() {
            Scenario::ALL.to_vec()
        } else {
            self.scenario
                .iter()
                .map(|s| {
                    Scenario::parse(s.trim()).ok_or_else(|| {
                        let names: Vec<&str> = Scenario::ALL.iter().map(|x| x.name()).collect();
                        anyhow!("unknown scenario {s:?}; one of {}", names.join(", "))
                    })
                })
                .collect::<anyhow::Result<_>>()?
        };
        if self.connections == 0 {
            bail!("--connections must be at least 1");
        }
        Ok(Options {
            url: self.url.trim_end_matches('/').to_owned(),
            connections: self.connections,
            duration: parse_duration(&self.duration)?,
            warmup: parse_duration(&self.warmup)?,
            scenarios,
            admin_email: self.admin_email,
            admin_password: self.admin_password,
            storm_connections: self.storm_connections.unwrap_or(self.connections),
        })
    }
}

/// `10s`, `1.5s`, `500ms`, `2m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .with_context(|| format!("bad duration {s:?}: use e.g. 10s, 500ms, 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => bail!("bad duration unit in {s:?}: ms, s or m"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("bad duration {s:?}");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Latency and throughput of one kind of request over a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first few distinct errors, to tell what went wrong.
    pub first_errors: Vec<String>,
}

impl Stats {
    fn from_samples(mut s: Samples, window: Duration) -> Stats {
        s.latencies_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if s.latencies_us.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least p of the samples at or below.
            let rank = ((p * s.latencies_us.len() as f64).ceil() as usize).max(1);
            f64::from(s.latencies_us[rank - 1]) / 1000.0
        };
        let requests = s.latencies_us.len() as u64;
        Stats {
            requests,
            errors: s.errors,
            rps: requests as f64 / window.as_secs_f64().max(1e-9),
            p50_ms: pct(0.50),
            p90_ms: pct(0.90),
            p99_ms: pct(0.99),
            max_ms: pct(1.0),
            first_errors: s.first_errors,
        }
    }
}

/// One scenario's outcome. For `search_under_login`, `stats` are the searches and
/// `storm` the concurrent logins.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub scenario: Scenario,
    pub connections: usize,
    pub seconds: f64,
    #[serde(flatten)]
    pub stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
}

/// The login side of `search_under_login`.
#[derive(Debug, Clone, Serialize)]
pub struct Storm {
    pub connections: usize,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub url: String,
    pub connections: usize,
    pub duration_secs: f64,
    pub achievements_sampled: usize,
    pub demands_sampled: usize,
    pub scenarios: Vec<ScenarioReport>,
}

impl Report {
    pub fn get(&self, s: Scenario) -> Option<&ScenarioReport> {
        self.scenarios.iter().find(|r| r.scenario == s)
    }

    /// Search p99 under the login storm over its quiet value, when both ran.
    pub fn storm_ratio(&self) -> Option<f64> {
        let quiet = self.get(Scenario::Search)?.stats.p99_ms;
        let storm = self.get(Scenario::SearchUnderLogin)?.stats.p99_ms;
        (quiet > 0.0).then(|| storm / quiet)
    }

    /// A plain-text table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<22} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "scenario",
            "conns",
            "requests",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "errors"
        );
        let mut row = |name: &str, conns: usize, s: &Stats| {
            let _ = writeln!(
                out,
                "{:<22} {:>5} {:>9} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
                name, conns, s.requests, s.rps, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.errors
            );
        };
        for r in &self.scenarios {
            row(r.scenario.name(), r.connections, &r.stats);
            if let Some(storm) = &r.storm {
                row("  (login storm)", storm.connections, &storm.stats);
            }
        }
        if let Some(ratio) = self.storm_ratio() {
            let _ = writeln!(
                out,
                "search p99 under login storm / quiet search p99 = {ratio:.2}"
            );
        }
        let limited = self.scenarios.iter().any(|r| {
            r.stats
                .first_errors
                .iter()
                .chain(r.storm.iter().flat_map(|s| &s.stats.first_errors))
                .any(|e| e.contains("429"))
        });
        if limited {
            let _ = writeln!(
                out,
                "429 answers: the server's per-client rate limits apply to this one client; \
                 measure capacity with TT_RATE_LIMIT_LOGIN_PER_MIN=0 and \
                 TT_RATE_LIMIT_WRITES_PER_MIN=0 on the server"
            );
        }
        for r in &self.scenarios {
            for e in r
                .stats
                .first_errors
                .iter()
                .chain(r.storm.iter().flat_map(|s| &s.stats.first_errors))
            {
                let _ = writeln!(out, "error in {}: {e}", r.scenario.name());
            }
        }
        out
    }
}

/// What one connection measured.
#[derive(Debug, Default)]
struct Samples {
    latencies_us: Vec<u32>,
    errors: u64,
    first_errors: Vec<String>,
}

impl Samples {
    fn error(&mut self, e: String) {
        self.errors += 1;
        if self.first_errors.len() < 3 && !self.first_errors.contains(&e) {
            self.first_errors.push(e);
        }
    }

    fn merge(&mut self, other: Samples) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < 3 && !self.first_errors.contains(&e) {
                self.first_errors.push(e);
            }
        }
    }
}

/// The kinds of request a connection sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    Search,
    Match,
    Turnover,
    ContractCreate,
    ReadById,
    Login,
}

/// Everything the requests need, found or made before the run.
struct Fixture {
    admin_token: String,
    stat_tokens: Vec<String>,
    logins: Vec<(String, String)>,
    achievement_ids: Vec<i64>,
    demand_ids: Vec<i64>,
    sellers: Vec<i64>,
    buyers: Vec<i64>,
    /// Registration numbers of this run: `8` + 8 digits of the run + a 7-digit counter.
    run_tag: u64,
    contract_seq: AtomicU64,
}

struct Req {
    method: reqwest::Method,
    path: String,
    query: Vec<(&'static str, String)>,
    token: Option<String>,
    body: Option<Value>,
    idempotency_key: Option<String>,
}

impl Req {
    fn get(path: String) -> Req {
        Req {
            method: reqwest::Method::GET,
            path,
            query: vec![],
            token: None,
            body: None,
            idempotency_key: None,
        }
    }
    fn post(path: &str, body: Value) -> Req {
        Req {
            method: reqwest::Method::POST,
            body: Some(body),
            ..Req::get(path.to_owned())
        }
    }
    fn token(mut self, t: &str) -> Req {
        self.token = Some(t.to_owned());
        self
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Sends one request and reads the whole body; `Err` with a short reason on transport
/// failure or a non-2xx answer.
async fn send(client: &reqwest::Client, base: &str, req: &Req) -> Result<Vec<u8>, String> {
    let mut b = client.request(req.method.clone(), format!("{base}{}", req.path));
    if !req.query.is_empty() {
        b = b.query(&req.query);
    }
    if let Some(t) = &req.token {
        b = b.bearer_auth(t);
    }
    if let Some(k) = &req.idempotency_key {
        b = b.header("Idempotency-Key", k);
    }
    if let Some(body) = &req.body {
        b = b.json(body);
    }
    let res = b
        .send()
        .await
        .map_err(|e| format!("{} {}: {e}", req.method, req.path))?;
    let status = res.status();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| format!("{} {}: reading body: {e}", req.method, req.path))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes);
        let text: String = text.chars().take(300).collect();
        return Err(format!("{} {} -> {status}: {text}", req.method, req.path));
    }
    Ok(bytes.to_vec())
}

async fn send_json(client: &reqwest::Client, base: &str, req: &Req) -> anyhow::Result<Value> {
    let bytes = send(client, base, req).await.map_err(|e| anyhow!(e))?;
    Ok(serde_json::from_slice(&bytes)?)
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let body = send_json(
        client,
        base,
        &Req::post(
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
        ),
    )
    .await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("login answered without an access_token"))
}

fn ids_of(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Finds ids and orgs through the API and makes the run's statistician accounts.
async fn prepare(opts: &Options) -> anyhow::Result<Fixture> {
    let base = opts.url.as_str();
    let c = client()?;
    send(&c, base, &Req::get("/health".into()))
        .await
        .map_err(|e| anyhow!("server not reachable at {base}: {e}"))?;
    let admin_token = login(&c, base, &opts.admin_email, &opts.admin_password)
        .await
        .with_context(|| {
            format!(
                "signing in as {}; make the account first with \
                 `tt-exchange create-user --role admin --email ... --name ...`",
                opts.admin_email
            )
        })?;

    let mut achievement_ids = Vec::new();
    let mut demand_ids = Vec::new();
    for chain in taxonomy::CHAINS.codes() {
        for (path, ids) in [
            ("/api/v1/achievements", &mut achievement_ids),
            ("/api/v1/demands", &mut demand_ids),
        ] {
            let mut req = Req::get(path.into());
            req.query = vec![("chain", chain.to_owned()), ("per_page", "100".into())];
            ids.extend(ids_of(&send_json(&c, base, &req).await?));
        }
    }
    if achievement_ids.is_empty() || demand_ids.is_empty() {
        bail!(
            "the server has no published achievements or demands to search, read and match; \
             load some with `tt-exchange gen-data --size small` (and let the outbox drain)"
        );
    }

    let orgs = |kind: &'static str| {
        let mut req = Req::get("/api/v1/orgs".into()).token(&admin_token);
        req.query = vec![("kind", kind.into()), ("per_page", "100".into())];
        req
    };
    let mut sellers = ids_of(&send_json(&c, base, &orgs("university")).await?);
    sellers.extend(ids_of(&send_json(&c, base, &orgs("institute")).await?));
    let buyers = ids_of(&send_json(&c, base, &orgs("enterprise")).await?);
    if sellers.is_empty() || buyers.is_empty() {
        bail!("need at least one university or institute org and one enterprise org");
    }

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let run_tag = now.as_secs() % 100_000_000;
    let tag = format!("{:x}", now.as_micros() % (1 << 40));
    let password = format!("Loadgen-秦创原-{tag}");
    let mut logins = Vec::new();
    let mut stat_tokens = Vec::new();
    for i in 0..4 {
        let email = format!("loadgen-{tag}-{i}@loadgen.example.cn");
        let req = Req::post(
            "/api/v1/users",
            json!({"email": email, "password": password, "name": format!("压测统计员{i}"),
                   "role": "statistician"}),
        )
        .token(&admin_token);
        send(&c, base, &req)
            .await
            .map_err(|e| anyhow!("creating statistician {email}: {e}"))?;
        stat_tokens.push(login(&c, base, &email, &password).await?);
        logins.push((email, password.clone()));
    }
    Ok(Fixture {
        admin_token,
        stat_tokens,
        logins,
        achievement_ids,
        demand_ids,
        sellers,
        buyers,
        run_tag,
        contract_seq: AtomicU64::new(0),
    })
}

const TURNOVER_QUERIES: &[&str] = &[
    "group_by=year",
    "group_by=year,seller_region",
    "group_by=quarter,chain",
    "group_by=month&from=2024-01-01&to=2024-12-31",
    "group_by=kind",
    "group_by=field&include_unregistered=true",
    "group_by=year,buyer_region&date_basis=registered",
    "group_by=seller_kind&from=2023-01-01&to=2025-06-30",
    "group_by=year,seller_org",
    "group_by=quarter",
];

fn search_request(rng: &mut Rng) -> Req {
    let vocab = vocabulary();
    let t = &vocab[rng.below(vocab.len())];
    let demands = rng.below(10) < 3;
    let mut q: Vec<(&'static str, String)> = Vec::new();
    let r = rng.below(100);
    if r < 90 {
        let a = &t.keywords[rng.below(t.keywords.len())];
        let text = if r < 20 {
            format!("{a} {}", t.keywords[rng.below(t.keywords.len())])
        } else {
            a.clone()
        };
        q.push(("q", text));
    }
    if rng.below(100) < 40 {
        q.push(("chain", t.chain.to_owned()));
    }
    if rng.below(100) < 15 {
        let regions: Vec<&str> = taxonomy::REGIONS.codes().collect();
        q.push(("region", rng.pick(&regions).to_owned()));
    }
    if rng.below(100) < 20 {
        q.push(("trl_min", (1 + rng.below(6)).to_string()));
    }
    if !demands && rng.below(100) < 10 {
        let stages: Vec<&str> = taxonomy::STAGES.codes().collect();
        q.push(("stage", rng.pick(&stages).to_owned()));
    }
    if rng.below(100) < 10 {
        let sort = match (demands, rng.below(2)) {
            (false, 0) => "price_asc",
            (true, 0) => "budget_desc",
            _ => "newest",
        };
        q.push(("sort", sort.into()));
    }
    if rng.below(100) < 10 {
        q.push(("page", "2".into()));
    }
    let path = if demands {
        "/api/v1/demands"
    } else {
        "/api/v1/achievements"
    };
    let mut req = Req::get(path.into());
    req.query = q;
    req
}

fn request(load: Load, fx: &Fixture, rng: &mut Rng) -> Req {
    match load {
        Load::Search => search_request(rng),
        Load::Match => {
            let id = fx.demand_ids[rng.below(fx.demand_ids.len())];
            let mut req = Req::get(format!("/api/v1/demands/{id}/matches")).token(&fx.admin_token);
            req.query = vec![("limit", "10".into())];
            req
        }
        Load::Turnover => {
            let q = TURNOVER_QUERIES[rng.below(TURNOVER_QUERIES.len())];
            let token = &fx.stat_tokens[rng.below(fx.stat_tokens.len())];
            Req::get(format!("/api/v1/stats/turnover?{q}")).token(token)
        }
        Load::ContractCreate => {
            let seq = fx.contract_seq.fetch_add(1, Ordering::Relaxed) % 10_000_000;
            let seller = fx.sellers[rng.below(fx.sellers.len())];
            let mut buyer = fx.buyers[rng.below(fx.buyers.len())];
            if buyer == seller {
                buyer = fx.buyers[0];
            }
            let kinds = [
                ("development", Some("commissioned")),
                ("development", Some("cooperative")),
                ("transfer", Some("patent")),
                ("licensing", Some("exclusive")),
                ("consulting", None),
                ("service", Some("training")),
            ];
            let (kind, sub_kind) = kinds[rng.below(kinds.len())];
            let chains: Vec<&str> = taxonomy::CHAINS.codes().collect();
            let fields: Vec<&str> = taxonomy::FIELDS.codes().collect();
            let signed = crate::listings::fields::today()
                - chrono::Duration::days(1 + rng.below(700) as i64);
            let amount = (1 + rng.below(50_000) as i64) * 100_000;
            let mut req = Req::post(
                "/api/v1/contracts",
                json!({
                    "kind": kind,
                    "sub_kind": sub_kind,
                    "seller_org_id": seller,
                    "buyer_org_id": buyer,
                    "signed_on": signed,
                    "amount_fen": amount,
                    "tech_amount_fen": amount / 10 * 9,
                    "chain": rng.pick(&chains),
                    "field": rng.pick(&fields),
                }),
            )
            .token(&fx.admin_token);
            req.idempotency_key = Some(format!("loadgen-{}-{seq}", fx.run_tag));
            req
        }
        Load::ReadById => {
            let id = fx.achievement_ids[rng.below(fx.achievement_ids.len())];
            Req::get(format!("/api/v1/achievements/{id}"))
        }
        Load::Login => {
            let (email, password) = &fx.logins[rng.below(fx.logins.len())];
            Req::post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
        }
    }
}

/// One closed-loop connection until `until`; counts what finished after `measure_from`.
async fn connection(
    base: Arc<str>,
    fx: Arc<Fixture>,
    load: Load,
    seed: u64,
    measure_from: Instant,
    until: Instant,
) -> Samples {
    let mut samples = Samples::default();
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            samples.error(format!("building the HTTP client: {e}"));
            return samples;
        }
    };
    let mut rng = Rng::new(seed);
    while Instant::now() < until {
        let req = request(load, &fx, &mut rng);
        let started = Instant::now();
        let outcome = send(&client, &base, &req).await;
        let done = Instant::now();
        if done < measure_from {
            continue;
        }
        match outcome {
            Ok(_) => {
                let us = done.duration_since(started).as_micros();
                samples
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            Err(e) => samples.error(e),
        }
    }
    samples
}

/// Runs `groups` of (load, connections) together; one [`Samples`] per group.
async fn drive(
    opts: &Options,
    fx: &Arc<Fixture>,
    groups: &[(Load, usize)],
    seed: u64,
) -> anyhow::Result<Vec<Samples>> {
    let base: Arc<str> = Arc::from(opts.url.as_str());
    let measure_from = Instant::now() + opts.warmup;
    let until = measure_from + opts.duration;
    let mut handles = Vec::new();
    for (g, &(load, n)) in groups.iter().enumerate() {
        for i in 0..n {
            let s = seed
                .wrapping_mul(0x2545_f491_4f6c_dd1d)
                .wrapping_add((g * 1000 + i) as u64 + 1);
            handles.push((
                g,
                actix_web::rt::spawn(connection(
                    base.clone(),
                    fx.clone(),
                    load,
                    s,
                    measure_from,
                    until,
                )),
            ));
        }
    }
    let mut out: Vec<Samples> = groups.iter().map(|_| Samples::default()).collect();
    for (g, h) in handles {
        let samples = h
            .await
            .map_err(|e| anyhow!("a connection task failed: {e}"))?;
        out[g].merge(samples);
    }
    Ok(out)
}

/// Runs every scenario of `opts` in turn against the server at `opts.url`.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    if opts.connections == 0 {
        bail!("connections must be at least 1");
    }
    let mut fx = Arc::new(prepare(opts).await?);
    let mut signed_in = Instant::now();
    let mut scenarios = Vec::new();
    for (n, &scenario) in opts.scenarios.iter().enumerate() {
        // Access tokens live 15 minutes by default: sign in again well before that.
        if signed_in.elapsed() > Duration::from_secs(300) {
            let c = client()?;
            let admin = login(&c, &opts.url, &opts.admin_email, &opts.admin_password).await?;
            let mut stats = Vec::new();
            for (email, password) in &fx.logins {
                stats.push(login(&c, &opts.url, email, password).await?);
            }
            let old = &fx;
            fx = Arc::new(Fixture {
                admin_token: admin,
                stat_tokens: stats,
                logins: old.logins.clone(),
                achievement_ids: old.achievement_ids.clone(),
                demand_ids: old.demand_ids.clone(),
                sellers: old.sellers.clone(),
                buyers: old.buyers.clone(),
                run_tag: old.run_tag,
                contract_seq: AtomicU64::new(old.contract_seq.load(Ordering::Relaxed)),
            });
            signed_in = Instant::now();
        }
        let c = opts.connections;
        let load = match scenario {
            Scenario::Search | Scenario::SearchUnderLogin => Load::Search,
            Scenario::Match => Load::Match,
            Scenario::Turnover => Load::Turnover,
            Scenario::ContractCreate => Load::ContractCreate,
            Scenario::ReadById => Load::ReadById,
            Scenario::Login => Load::Login,
        };
        let mut groups = vec![(load, c)];
        if scenario == Scenario::SearchUnderLogin && opts.storm_connections > 0 {
            groups.push((Load::Login, opts.storm_connections));
        }
        let mut samples = drive(opts, &fx, &groups, n as u64 + 1).await?.into_iter();
        let stats = Stats::from_samples(samples.next().unwrap_or_default(), opts.duration);
        let storm = samples.next().map(|s| Storm {
            connections: opts.storm_connections,
            stats: Stats::from_samples(s, opts.duration),
        });
        scenarios.push(ScenarioReport {
            scenario,
            connections: c,
            seconds: opts.duration.as_secs_f64(),
            stats,
            storm,
        });
    }
    Ok(Report {
        url: opts.url.clone(),
        connections: opts.connections,
        duration_secs: opts.duration.as_secs_f64(),
        achievements_sampled: fx.achievement_ids.len(),
        demands_sampled: fx.demand_ids.len(),
        scenarios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Samples {
            latencies_us: (1..=100).rev().map(|i| i * 1000).collect(),
            errors: 0,
            first_errors: vec![],
        };
        let st = Stats::from_samples(s, Duration::from_secs(2));
        assert_eq!(st.requests, 100);
        assert_eq!(st.rps, 50.0);
        assert_eq!(st.p50_ms, 50.0);
        assert_eq!(st.p90_ms, 90.0);
        assert_eq!(st.p99_ms, 99.0);
        assert_eq!(st.max_ms, 100.0);
    }

    #[test]
    fn search_requests_use_the_vocabulary() {
        let mut rng = Rng::new(7);
        let with_q = (0..200)
            .map(|_| search_request(&mut rng))
            .filter(|r| r.query.iter().any(|(k, v)| *k == "q" && !v.is_empty()))
            .count();
        assert!(with_q > 150, "{with_q}");
    }
}
