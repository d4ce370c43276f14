//! Hostile input, property-based (proptest): request bodies and query strings of the main
//! write and search endpoints with wrong types, huge numbers and i64 overflow, empty and
//! 1 MB strings, invalid UTF-8, unknown fields, deep nesting, SQL- and filter-injection
//! strings, control characters and impossible dates. Every refusal must be a 4xx JSON
//! error of the one documented shape (never a 5xx) and leave the database as it was.
//!
//! cargo-fuzz needs a nightly toolchain, which CI does not have; proptest is the fuzzer
//! here. Each property runs on one spawned app: proptest's runner (with shrinking) runs on
//! its own thread with its own actix system and a synchronous view of the app, while the
//! test's runtime keeps serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use awc::http::Method;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tt_exchange::db::Db;

use crate::authz::challenge_body;
use crate::helpers::{Account, PASSWORD, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

// ---------------------------------------------------------------------------------------
// A synchronous client for proptest's closures.

struct Answer {
    status: u16,
    headers: awc::http::header::HeaderMap,
    text: String,
    body: Value,
}

struct Probe {
    sys: actix_rt::SystemRunner,
    client: awc::Client,
    base: String,
}

impl Probe {
    fn new(base: &str) -> Probe {
        let sys = actix_rt::System::new();
        let client = sys.block_on(async {
            awc::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .finish()
        });
        Probe {
            sys,
            client,
            base: base.to_owned(),
        }
    }

    fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, awc::http::header::HeaderValue)],
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        self.sys.block_on(async {
            let mut req = self.client.request(method, format!("{}{path}", self.base));
            if let Some(t) = token {
                req = req.insert_header(("Authorization", format!("Bearer {t}")));
            }
            if let Some(ct) = content_type {
                req = req.insert_header(("Content-Type", ct));
            }
            for (name, value) in headers {
                req = req.insert_header((*name, value.clone()));
            }
            let mut res = req.send_body(body).await.expect("request failed");
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let bytes = res.body().limit(16 << 20).await.expect("read body");
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Answer {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::Null),
                text,
            }
        })
    }

    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, &[], None, vec![])
    }
}

/// Runs `f` on a thread of its own and waits without blocking the test's runtime (which
/// keeps the app's background tasks going); a panic in `f` is re-raised here.
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::spawn(f);
    while !handle.is_finished() {
        actix_rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

/// The one error shape: `message`, `code`, `type`, `link`, and only `field` (a name) and
/// `accepted` (a non-empty list of strings) besides, with a 4xx status.
fn check_refusal(a: &Answer, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        (400..500).contains(&a.status),
        "{what}: expected a 4xx, got {} {}",
        a.status,
        a.text
    );
    let obj = a.body.as_object();
    prop_assert!(obj.is_some(), "{what}: not a JSON object: {}", a.text);
    let obj = obj.unwrap();
    let mut keys: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !["field", "accepted"].contains(k))
        .collect();
    keys.sort_unstable();
    prop_assert_eq!(keys, ["code", "link", "message", "type"], "{}", what);
    if let Some(field) = obj.get("field") {
        prop_assert!(
            field.as_str().is_some_and(|f| !f.is_empty()),
            "{what}: {}",
            a.text
        );
    }
    if let Some(accepted) = obj.get("accepted") {
        let values = accepted.as_array();
        prop_assert!(
            values.is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string)),
            "{what}: {}",
            a.text
        );
    }
    let language = a
        .headers
        .get("content-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    prop_assert!(
        ["zh-CN", "en"].contains(&language),
        "{what}: Content-Language {language:?}"
    );
    let code = a.body["code"].as_str().unwrap_or_default();
    prop_assert!(!code.is_empty(), "{what}: {}", a.text);
    prop_assert!(
        a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {}",
        a.text
    );
    prop_assert!(
        ["invalid_request", "auth", "system"].contains(&a.body["type"].as_str().unwrap_or("")),
        "{what}: {}",
        a.text
    );
    prop_assert_eq!(
        a.body["link"].as_str().unwrap_or(""),
        format!("/api/v1/errors#{code}"),
        "{}",
        what
    );
    let ct = a
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    prop_assert!(
        ct.starts_with("application/json"),
        "{what}: content-type {ct}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The database, before and after.

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every table a write endpoint touches (not the outbox, which the worker drains, nor
/// sign-in bookkeeping).
const TABLES: &[&str] = &[
    "orgs",
    "users",
    "invitations",
    "audit_log",
    "achievements",
    "demands",
    "status_changes",
    "pool_entries",
    "deals",
    "deal_events",
    "contracts",
    "contract_amendments",
    "idempotency_keys",
    "stats_targets",
    "turnover_rollups",
    "challenge_applications",
    "challenge_milestones",
    "offerings",
    "offering_bids",
    "publicities",
    "publicity_objections",
    "scheduled_jobs",
    "notification_settings",
    "saved_searches",
    "inquiries",
    "inquiry_messages",
];

fn counts(db: &Db) -> Vec<(&'static str, i64)> {
    let mut conn = db.conn().expect("connection");
    TABLES
        .iter()
        .map(|t| {
            let c: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}"))
                .get_result(&mut *conn)
                .expect("count");
            (*t, c.n)
        })
        .collect()
}

/// The counts, and the stored form of the records that PATCH-like endpoints change.
fn snapshot(db: &Db, probe: &Probe, t: &Targets) -> (Vec<(&'static str, i64)>, Vec<String>) {
    let reads = t
        .watched
        .iter()
        .map(|(path, token)| {
            let a = probe.get(path, Some(token));
            assert_eq!(a.status, 200, "{path}: {}", a.text);
            a.text
        })
        .collect();
    (counts(db), reads)
}

// ---------------------------------------------------------------------------------------
// The endpoints and what their fields are.

/// How a field is checked, so that only surely-invalid values are generated for it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Validated text (no control characters, bounded length); `true` when required.
    Text(bool),
    /// A code of a vocabulary (or a number-like code such as a registration number).
    Code,
    Email,
    /// Anything goes in the content (a password): only types and size are wrong.
    Free,
    /// A `YYYY-MM-DD` date.
    Date,
    /// An integer, with the values that are out of its range.
    Int(&'static [i64]),
    /// An integer query parameter kept in JSON (a saved search's `params`): a number, its
    /// string and a one-value array are the same parameter there, so only values out of
    /// range, non-numbers and shapes a query string cannot carry are hostile.
    QueryInt(&'static [i64]),
    /// A reference id.
    Id,
    Bool,
    /// A list of texts or codes.
    List,
    /// A list of objects.
    ObjList,
    Object,
}

const FEN_BAD: &[i64] = &[-1, i64::MIN, i64::MAX, 100_000_000_000_000_001];
const TRL_BAD: &[i64] = &[0, 10, -1, i64::MAX, i64::MIN, 4_294_967_302];
const DELTA_BAD: &[i64] = &[i64::MAX, i64::MIN];
/// A contract is worth at most 10^13 fen (1,000亿元).
const CONTRACT_FEN_BAD: &[i64] = &[-1, i64::MIN, i64::MAX, 10_000_000_000_001];
const VERSION_BAD: &[i64] = &[i64::MAX, i64::MIN, 0, -1, 2_147_483_648, 9_999];
const TARGET_BAD: &[i64] = &[0, -1, i64::MIN, i64::MAX];
const WINNERS_BAD: &[i64] = &[0, -1, i64::MAX, i64::MIN];
const DAYS_BAD: &[i64] = &[14, 91, 0, -1, i64::MAX, i64::MIN, 4_294_967_311];

#[derive(Clone)]
struct Endpoint {
    method: Method,
    path: String,
    token: Option<String>,
    base: Value,
    /// Field paths (`a` or `a.b`) and kinds.
    fields: Vec<(&'static str, Kind)>,
}

#[derive(Clone)]
struct Targets {
    endpoints: Vec<Endpoint>,
    /// GETs whose answers must not change when a request is refused.
    watched: Vec<(String, String)>,
    admin: String,
    uni: String,
    uni_org: i64,
    ent_org: i64,
}

async fn targets(app: &TestApp) -> Targets {
    use Kind::*;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(app, Account::broker(), true, &admin).await;
    let draft = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    let draft = draft.body["id"].as_i64().unwrap();
    let achievement = published(app, "achievements", &uni, &admin, &achievement_body()).await;
    let demand = published(app, "demands", &ent, &admin, &demand_body()).await;
    let challenge = published(app, "demands", &ent, &admin, &challenge_body()).await;
    let deal = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": demand, "achievement_id": achievement}),
        )
        .await;
    assert_eq!(deal.status, 201, "{}", deal.text);
    let deal = deal.body["id"].as_i64().unwrap();
    let contract = app
        .confirmed_contract(&uni, &contract_body(uni_org, ent_org), &uni, &ent)
        .await["id"]
        .as_i64()
        .unwrap();
    let pending = app
        .post(
            "/api/v1/contracts",
            Some(&uni),
            &contract_body(uni_org, ent_org),
        )
        .await;
    assert_eq!(pending.status, 201, "{}", pending.text);
    let pending = pending.body["id"].as_i64().unwrap();
    let submitted = app
        .confirmed_contract(&uni, &contract_body(uni_org, ent_org), &uni, &ent)
        .await["id"]
        .as_i64()
        .unwrap();
    app.with_contract_text(submitted, &uni).await;
    let r = app
        .post(
            &format!("/api/v1/contracts/{submitted}/registration-request"),
            Some(&uni),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let achievement_fields = vec![
        ("title", Text(true)),
        ("summary", Text(true)),
        ("details", Text(false)),
        ("contact", Text(false)),
        ("keywords", List),
        ("chain", Code),
        ("field", Code),
        ("trl", Int(TRL_BAD)),
        ("stage", Code),
        ("ip_items", ObjList),
        ("transfer_modes", List),
        ("price_min_fen", Int(FEN_BAD)),
        ("price_max_fen", Int(FEN_BAD)),
        ("inventors", List),
    ];
    let demand_fields = vec![
        ("title", Text(true)),
        ("description", Text(true)),
        ("indicators", Text(false)),
        ("contact", Text(false)),
        ("keywords", List),
        ("chain", Code),
        ("field", Code),
        ("trl_min", Int(TRL_BAD)),
        ("budget_min_fen", Int(FEN_BAD)),
        ("budget_max_fen", Int(FEN_BAD)),
        ("cooperation_modes", List),
        ("valid_until", Date),
        ("bottleneck", Bool),
    ];
    let mut challenge_fields = demand_fields.clone();
    challenge_fields.extend([
        ("challenge", Object),
        ("challenge.bounty_fen", Int(FEN_BAD)),
        ("challenge.apply_by", Date),
        ("challenge.criteria", Text(true)),
        ("challenge.max_winners", Int(WINNERS_BAD)),
    ]);
    let contract_fields = vec![
        ("kind", Code),
        ("sub_kind", Code),
        ("seller_org_id", Id),
        ("buyer_org_id", Id),
        ("signed_on", Date),
        ("amount_fen", Int(CONTRACT_FEN_BAD)),
        ("tech_amount_fen", Int(CONTRACT_FEN_BAD)),
        ("chain", Code),
        ("field", Code),
    ];
    // Prices set by law: an achievement to offer, an open listed sale to bid on, and a
    // running publicity to object to.
    let to_offer = published(app, "achievements", &uni, &admin, &achievement_body()).await;
    let closes = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let offering_base = json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": 1_000_000,
        "increment_fen": 10_000, "opens_at": null, "closes_at": closes, "terms": "普通许可"});
    let r = app
        .post(
            &format!("/api/v1/achievements/{achievement}/offerings"),
            Some(&uni),
            &offering_base,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let offering = r.body["id"].as_i64().unwrap();
    let publicity_base = json!({"buyer_org_id": ent_org, "price_fen": 1_000_000, "transfer_mode": "licensing", "days": 15});
    let r = app
        .post(
            &format!("/api/v1/achievements/{achievement}/publicity"),
            Some(&uni),
            &publicity_base,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let publicity = r.body["id"].as_i64().unwrap();
    let register = Account::university()
        .email("hostile@example.cn")
        .org("秦岭测试大学", "university", "610100")
        .json();
    let endpoints = vec![
        Endpoint {
            method: Method::POST,
            path: "/api/v1/achievements".into(),
            token: Some(uni.clone()),
            base: achievement_body(),
            fields: achievement_fields.clone(),
        },
        Endpoint {
            method: Method::PATCH,
            path: format!("/api/v1/achievements/{draft}"),
            token: Some(uni.clone()),
            base: achievement_body(),
            fields: achievement_fields,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/demands".into(),
            token: Some(ent.clone()),
            base: demand_body(),
            fields: demand_fields,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/demands".into(),
            token: Some(ent.clone()),
            base: challenge_body(),
            fields: challenge_fields,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/contracts".into(),
            token: Some(uni.clone()),
            base: contract_body(uni_org, ent_org),
            fields: contract_fields,
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/contracts/{contract}/amendments"),
            token: Some(uni.clone()),
            base: json!({"amount_delta_fen": 100, "tech_amount_delta_fen": 0, "reason": "补充协议"}),
            fields: vec![
                ("amount_delta_fen", Int(DELTA_BAD)),
                ("tech_amount_delta_fen", Int(DELTA_BAD)),
                ("reason", Text(true)),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/deals".into(),
            token: Some(broker.clone()),
            // The pair has an open deal, but every generated variant is refused earlier.
            base: json!({"demand_id": demand, "achievement_id": achievement, "note": "初次对接", "next_follow_up": "2026-12-20"}),
            fields: vec![
                ("demand_id", Id),
                ("achievement_id", Id),
                ("note", Text(false)),
                ("next_follow_up", Date),
                ("from_match", Bool),
            ],
        },
        Endpoint {
            method: Method::PATCH,
            path: format!("/api/v1/deals/{deal}"),
            token: Some(broker.clone()),
            base: json!({"version": 1, "stage": "contacted", "note": "已联系", "next_follow_up": "2026-12-20"}),
            fields: vec![
                ("version", Int(VERSION_BAD)),
                ("stage", Code),
                ("note", Text(false)),
                ("next_follow_up", Date),
            ],
        },
        Endpoint {
            method: Method::PUT,
            path: "/api/v1/stats/targets/2026".into(),
            token: Some(admin.clone()),
            base: json!({"amount_fen": 400_000_000_000i64}),
            fields: vec![("amount_fen", Int(TARGET_BAD))],
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/auth/register".into(),
            token: None,
            base: register,
            fields: vec![
                ("email", Email),
                ("password", Free),
                ("name", Text(true)),
                ("role", Code),
                ("org", Object),
                ("org.name", Text(true)),
                ("org.kind", Code),
                ("org.region", Code),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/demands/{challenge}/applications"),
            token: Some(uni.clone()),
            base: json!({"proposal": "采用温度场测点优化与LSTM热误差预测模型。", "team": [{"name": "张伟", "title": "教授"}], "budget_fen": 80_000_000}),
            fields: vec![
                ("proposal", Text(true)),
                ("team", ObjList),
                ("budget_fen", Int(FEN_BAD)),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/users".into(),
            token: Some(admin.clone()),
            base: json!({"email": "tj-hostile@qcy.example.cn", "password": PASSWORD, "name": "统计员", "role": "statistician"}),
            fields: vec![
                ("email", Email),
                ("password", Free),
                ("name", Text(true)),
                ("role", Code),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/achievements/{to_offer}/offerings"),
            token: Some(uni.clone()),
            base: offering_base,
            fields: vec![
                ("mode", Code),
                ("transfer_mode", Code),
                ("price_fen", Int(FEN_BAD)),
                ("increment_fen", Int(FEN_BAD)),
                ("opens_at", Date),
                ("closes_at", Date),
                ("terms", Text(false)),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/offerings/{offering}/bids"),
            token: Some(ent.clone()),
            base: json!({"amount_fen": 1_000_000}),
            fields: vec![("amount_fen", Int(FEN_BAD))],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/achievements/{to_offer}/publicity"),
            token: Some(uni.clone()),
            base: publicity_base,
            fields: vec![
                ("buyer_org_id", Id),
                ("price_fen", Int(FEN_BAD)),
                ("transfer_mode", Code),
                ("days", Int(DAYS_BAD)),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/publicity/{publicity}/objections"),
            token: Some(broker.clone()),
            base: json!({"reason": "价格偏低"}),
            fields: vec![("reason", Text(true))],
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/me/notifications/read".into(),
            token: Some(uni.clone()),
            base: json!({"all": true}),
            fields: vec![("all", Bool)],
        },
        Endpoint {
            method: Method::PUT,
            path: "/api/v1/me/notification-settings".into(),
            token: Some(uni.clone()),
            base: json!({"settings": [{"kind": "deal_opened", "mode": "email"}]}),
            // A list: an empty one is a valid no-op, so it is not among the hostile values.
            fields: vec![("settings", ObjList)],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/api/v1/achievements/{achievement}/inquiries"),
            token: Some(ent.clone()),
            base: json!({"body": "请问是否支持普通许可？"}),
            fields: vec![("body", Text(true))],
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/me/saved-searches".into(),
            token: Some(uni.clone()),
            base: json!({"kind": "demands", "name": "热误差需求",
                         "params": {"q": "热误差", "chain": "machine_tools", "trl_min": 5}}),
            fields: vec![
                ("kind", Code),
                ("name", Text(true)),
                ("params", Object),
                ("params.chain", Code),
                ("params.trl_min", QueryInt(TRL_BAD)),
            ],
        },
        Endpoint {
            method: Method::PUT,
            path: format!("/api/v1/pool/2026/entries/{achievement}"),
            token: Some(admin.clone()),
            base: json!({"key_project": true, "note": "重点培育"}),
            fields: vec![("key_project", Bool), ("note", Text(false))],
        },
    ];
    Targets {
        endpoints,
        watched: vec![
            (format!("/api/v1/achievements/{draft}"), uni.clone()),
            (format!("/api/v1/deals/{deal}"), broker),
            (format!("/api/v1/contracts/{contract}"), uni.clone()),
            (format!("/api/v1/contracts/{pending}"), uni.clone()),
            (format!("/api/v1/contracts/{submitted}"), uni.clone()),
            ("/api/v1/stats/targets".into(), admin.clone()),
            ("/api/v1/pool/2026".into(), admin.clone()),
            (format!("/api/v1/offerings/{offering}"), uni.clone()),
            (format!("/api/v1/publicity/{publicity}"), uni.clone()),
        ],
        admin,
        uni,
        uni_org,
        ent_org,
    }
}

fn contract_body(seller: i64, buyer: i64) -> Value {
    json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": seller, "buyer_org_id": buyer,
        "signed_on": "2026-03-15", "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    })
}

// ---------------------------------------------------------------------------------------
// Generators.

/// A value for a field: JSON, or raw text spliced into the body (numbers JSON cannot hold).
#[derive(Debug, Clone)]
enum Hostile {
    Json(Value),
    Raw(String),
}

const INJECTIONS: &[&str] = &[
    "' OR '1'='1",
    "'; DROP TABLE contracts; --",
    "1; DELETE FROM achievements",
    "\" OR 1=1 --",
    "machine_tools' OR chain != '",
    "chain = \"semiconductors\" OR id > 0",
    "id > 0 OR status = draft",
    "*",
    "%",
    "_",
    "\\",
    "${jndi:ldap://x/a}",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "NULL",
    "null",
    "0x7fffffff",
    "machine_tools\u{0}",
    "ｍａｃｈｉｎｅ_tools",
];

const IMPOSSIBLE_DATES: &[&str] = &[
    "2026-02-30",
    "2026-02-29",
    "2025-13-01",
    "2026-00-10",
    "2026-04-31",
    "0000-00-00",
    "20260105",
    "2026/01/05",
    "2026-01-05T00:00:00Z",
    "9999999999-01-01",
    "",
    "today",
];

/// Real dates in chrono's eyes, but not `YYYY-MM-DD` days from 1900 to 2999: refused in
/// bodies and queries alike.
const SIGNED_YEAR_DATES: &[&str] = &[
    "-2026-01-05",
    "+99999-01-01",
    "+10000-01-01",
    "0000-01-01",
    "0999-12-31",
    "1899-12-31",
    "3000-01-01",
    "2026-1-5",
];

const CONTROL: &[char] = &[
    '\u{0}', '\u{1}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
];

fn big_string() -> impl Strategy<Value = Hostile> {
    // 1 MB and a bit: past the body limit.
    (1_048_576usize..1_100_000).prop_map(|n| Hostile::Json(Value::String("钛".repeat(n / 3))))
}

fn with_control() -> impl Strategy<Value = Hostile> {
    // In the middle: at either end a control character that is also white space (VT, FF,
    // NEL) is trimmed away, which is fine.
    (
        "[a-z钛]{1,10}",
        prop::sample::select(CONTROL),
        "[a-z钛]{1,10}",
    )
        .prop_map(|(a, c, b)| Hostile::Json(Value::String(format!("{a}{c}{b}"))))
}

fn overflow() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        Just(Hostile::Raw("9223372036854775808".into())),
        Just(Hostile::Raw("-9223372036854775809".into())),
        Just(Hostile::Raw("18446744073709551616".into())),
        Just(Hostile::Raw("1e400".into())),
        Just(Hostile::Raw("-1e400".into())),
        Just(Hostile::Raw("1.5".into())),
        Just(Hostile::Raw("1e3".into())),
        Just(Hostile::Raw("NaN".into())),
        Just(Hostile::Raw("Infinity".into())),
        Just(Hostile::Raw("0x10".into())),
        Just(Hostile::Raw("01".into())),
        "[0-9]{20,400}".prop_map(Hostile::Raw),
    ]
}

fn wrong_type_for_string() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        any::<i64>().prop_map(|n| Hostile::Json(json!(n))),
        any::<bool>().prop_map(|b| Hostile::Json(json!(b))),
        Just(Hostile::Json(json!([]))),
        Just(Hostile::Json(json!({}))),
        Just(Hostile::Json(json!(["a"]))),
        Just(Hostile::Json(json!({"$ne": null}))),
        Just(Hostile::Json(json!(1.5))),
    ]
}

fn wrong_type_for_number() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        any::<i64>().prop_map(|n| Hostile::Json(json!(n.to_string()))),
        Just(Hostile::Json(json!(""))),
        any::<bool>().prop_map(|b| Hostile::Json(json!(b))),
        Just(Hostile::Json(json!([1]))),
        Just(Hostile::Json(json!({"value": 1}))),
        prop::sample::select(INJECTIONS).prop_map(|s| Hostile::Json(json!(s))),
    ]
}

fn deep(n: usize) -> Hostile {
    Hostile::Raw(format!("{}{}", "[".repeat(n), "]".repeat(n)))
}

fn deep_value() -> impl Strategy<Value = Hostile> {
    (129usize..20_000).prop_map(deep)
}

/// Surely-invalid values for a field of this kind.
fn hostile_for(kind: Kind) -> BoxedStrategy<Hostile> {
    match kind {
        Kind::Text(required) => {
            let empty: BoxedStrategy<Hostile> = if required {
                prop_oneof![
                    Just(Hostile::Json(json!(""))),
                    " {1,40}".prop_map(|s| Hostile::Json(json!(s))),
                    Just(Hostile::Json(json!("\u{3000}\t\n")))
                ]
                .boxed()
            } else {
                with_control().boxed()
            };
            prop_oneof![
                wrong_type_for_string(),
                big_string(),
                with_control(),
                empty,
                deep_value()
            ]
            .boxed()
        }
        Kind::Code => prop_oneof![
            wrong_type_for_string(),
            big_string(),
            with_control(),
            prop::sample::select(INJECTIONS).prop_map(|s| Hostile::Json(json!(s))),
            Just(Hostile::Json(json!(""))),
            "[A-Z]{1,8}'[ -~]{0,20}".prop_map(|s| Hostile::Json(json!(s))),
        ]
        .boxed(),
        Kind::Email => prop_oneof![
            wrong_type_for_string(),
            big_string(),
            with_control(),
            Just(Hostile::Json(json!(""))),
            Just(Hostile::Json(json!("no-at-sign"))),
            Just(Hostile::Json(json!("a b@example.cn"))),
            Just(Hostile::Json(json!("@example.cn"))),
        ]
        .boxed(),
        Kind::Free => prop_oneof![
            wrong_type_for_string(),
            big_string(),
            Just(Hostile::Json(json!("")))
        ]
        .boxed(),
        Kind::Date => prop_oneof![
            wrong_type_for_string(),
            prop::sample::select(IMPOSSIBLE_DATES).prop_map(|s| Hostile::Json(json!(s))),
            prop::sample::select(SIGNED_YEAR_DATES).prop_map(|s| Hostile::Json(json!(s))),
            prop::sample::select(INJECTIONS).prop_map(|s| Hostile::Json(json!(s))),
            with_control(),
            big_string(),
        ]
        .boxed(),
        Kind::Int(bad) => prop_oneof![
            prop::sample::select(bad).prop_map(|n| Hostile::Json(json!(n))),
            overflow(),
            wrong_type_for_number(),
            deep_value(),
        ]
        .boxed(),
        Kind::QueryInt(bad) => prop_oneof![
            prop::sample::select(bad).prop_map(|n| Hostile::Json(json!(n))),
            prop::sample::select(bad).prop_map(|n| Hostile::Json(json!(n.to_string()))),
            prop::sample::select(bad).prop_map(|n| Hostile::Json(json!([n]))),
            prop::sample::select(INJECTIONS).prop_map(|s| Hostile::Json(json!(s))),
            Just(Hostile::Json(json!(""))),
            Just(Hostile::Json(json!([]))),
            Just(Hostile::Json(json!([[1]]))),
            Just(Hostile::Json(json!({"value": 1}))),
            any::<bool>().prop_map(|b| Hostile::Json(json!(b))),
            overflow(),
            deep_value(),
        ]
        .boxed(),
        Kind::Id => prop_oneof![
            prop::sample::select(&[i64::MAX, i64::MIN, -1, 0][..])
                .prop_map(|n| Hostile::Json(json!(n))),
            overflow(),
            wrong_type_for_number(),
        ]
        .boxed(),
        Kind::Bool => prop_oneof![
            Just(Hostile::Json(json!("true"))),
            Just(Hostile::Json(json!(1))),
            Just(Hostile::Json(json!(0))),
            Just(Hostile::Json(json!([true]))),
            Just(Hostile::Json(json!("yes"))),
            Just(Hostile::Raw("True".into())),
        ]
        .boxed(),
        Kind::List => prop_oneof![
            Just(Hostile::Json(json!("热误差"))),
            Just(Hostile::Json(json!({"0": "热误差"}))),
            any::<i64>().prop_map(|n| Hostile::Json(json!([n]))),
            Just(Hostile::Json(json!([null]))),
            Just(Hostile::Json(json!([[]]))),
            Just(Hostile::Json(json!([{}]))),
            with_control().prop_map(|h| match h {
                Hostile::Json(v) => Hostile::Json(json!([v])),
                raw => raw,
            }),
            deep_value(),
            big_string().prop_map(|h| match h {
                Hostile::Json(v) => Hostile::Json(json!([v])),
                raw => raw,
            }),
        ]
        .boxed(),
        Kind::ObjList => prop_oneof![
            Just(Hostile::Json(json!("x"))),
            Just(Hostile::Json(json!({}))),
            Just(Hostile::Json(json!([1]))),
            Just(Hostile::Json(json!([{"unknown_field": 1}]))),
            Just(Hostile::Json(json!([{"name": 1}]))),
            Just(Hostile::Json(
                json!([{"kind": "invention_patent", "number": "ZL1", "status": "granted", "x": 1}])
            )),
            with_control().prop_map(|h| match h {
                Hostile::Json(v) =>
                    Hostile::Json(json!([{"name": v, "kind": v, "number": v, "status": v}])),
                raw => raw,
            }),
            deep_value(),
        ]
        .boxed(),
        Kind::Object => prop_oneof![
            Just(Hostile::Json(json!("x"))),
            Just(Hostile::Json(json!([]))),
            Just(Hostile::Json(json!(7))),
            Just(Hostile::Json(json!({"is_admin": true}))),
            (1usize..400).prop_map(|n| {
                let mut v = json!(1);
                for _ in 0..n {
                    v = json!({"a": v});
                }
                Hostile::Json(v)
            }),
            deep_value(),
        ]
        .boxed(),
    }
}

const PLACEHOLDER: &str = "\u{1}__hostile__\u{1}";

/// The base body with one field replaced; raw values are spliced into the text.
fn with_field(base: &Value, field: &str, value: &Hostile) -> Vec<u8> {
    let mut body = base.clone();
    let slot = match field.split_once('.') {
        Some((outer, inner)) => &mut body[outer][inner],
        None => &mut body[field],
    };
    match value {
        Hostile::Json(v) => {
            *slot = v.clone();
            serde_json::to_vec(&body).unwrap()
        }
        Hostile::Raw(text) => {
            *slot = json!(PLACEHOLDER);
            let quoted = serde_json::to_string(&json!(PLACEHOLDER)).unwrap();
            serde_json::to_string(&body)
                .unwrap()
                .replace(&quoted, text)
                .into_bytes()
        }
    }
}

/// A whole-body mutation of a valid body.
#[derive(Debug, Clone)]
enum BodyMutation {
    Field(usize, Hostile),
    UnknownField(&'static str, Hostile),
    UnknownNested(&'static str),
    Truncate(usize),
    /// Bytes that are not UTF-8 (or a lone surrogate escape) inside the first string.
    BadUtf8(Vec<u8>),
    Nest(usize),
    Replace(Vec<u8>),
    DuplicateKey,
    ContentType(&'static str),
}

fn body_mutation(fields: Vec<(&'static str, Kind)>) -> BoxedStrategy<BodyMutation> {
    let unknown = prop::sample::select(
        &[
            "is_admin",
            "__proto__",
            "$where",
            "password_hash",
            "created_by",
            "x-unknown",
        ][..],
    );
    let field = (0..fields.len()).prop_flat_map(move |i| {
        hostile_for(fields[i].1).prop_map(move |h| BodyMutation::Field(i, h))
    });
    prop_oneof![
        8 => field,
        2 => (unknown.clone(), any::<i64>()).prop_map(|(k, n)| BodyMutation::UnknownField(k, Hostile::Json(json!(n)))),
        1 => unknown.prop_map(BodyMutation::UnknownNested),
        2 => (0usize..10_000).prop_map(BodyMutation::Truncate),
        2 => prop_oneof![
            Just(vec![0xff]),
            Just(vec![0xc3]),
            Just(vec![0xed, 0xa0, 0x80]),
            Just(vec![0xf4, 0x90, 0x80, 0x80]),
            Just(b"\\ud800".to_vec()),
            Just(b"\\udfff".to_vec()),
            Just(vec![0x80, 0x80]),
            prop::collection::vec(0x80u8..=0xff, 1..8)
                .prop_filter("not UTF-8", |b| std::str::from_utf8(b).is_err()),
        ].prop_map(BodyMutation::BadUtf8),
        1 => (129usize..50_000).prop_map(BodyMutation::Nest),
        2 => prop_oneof![
            Just(Vec::new()),
            Just(b"null".to_vec()),
            Just(b"[]".to_vec()),
            Just(b"0".to_vec()),
            Just(b"\"x\"".to_vec()),
            Just(b"true".to_vec()),
            Just(b"{".to_vec()),
            Just(b"{\"a\":}".to_vec()),
            Just("\u{feff}{}".as_bytes().to_vec()),
            Just(vec![b'a'; 1_100_000]),
            prop::collection::vec(any::<u8>(), 0..512),
        ].prop_map(BodyMutation::Replace),
        1 => Just(BodyMutation::DuplicateKey),
        1 => prop::sample::select(&["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""][..]).prop_map(BodyMutation::ContentType),
    ]
    .boxed()
}

fn first_key(base: &Value) -> String {
    base.as_object().unwrap().keys().next().unwrap().clone()
}

/// Applies a mutation to an endpoint's base body: `(content type, bytes, description)`.
fn apply(e: &Endpoint, m: &BodyMutation) -> (Option<&'static str>, Vec<u8>, String) {
    let json_ct = Some("application/json");
    let base = &e.base;
    match m {
        BodyMutation::Field(i, value) => {
            let field = e.fields[*i].0;
            let desc = format!("{field} = {}", describe(value));
            (json_ct, with_field(base, field, value), desc)
        }
        BodyMutation::UnknownField(k, v) => {
            let mut b = base.clone();
            b[*k] = match v {
                Hostile::Json(v) => v.clone(),
                Hostile::Raw(_) => json!(1),
            };
            (
                json_ct,
                serde_json::to_vec(&b).unwrap(),
                format!("unknown field {k}"),
            )
        }
        BodyMutation::UnknownNested(k) => {
            let mut b = base.clone();
            let nested = e
                .fields
                .iter()
                .find(|(f, kind)| matches!(kind, Kind::Object) && !f.contains('.'))
                .map(|(f, _)| *f);
            match nested {
                Some(f) => b[f][*k] = json!(true),
                None => b[*k] = json!({"nested": true}),
            }
            (
                json_ct,
                serde_json::to_vec(&b).unwrap(),
                format!("unknown nested field {k}"),
            )
        }
        BodyMutation::Truncate(at) => {
            let text = serde_json::to_vec(base).unwrap();
            let cut = at % (text.len() - 1);
            (json_ct, text[..cut].to_vec(), format!("truncated at {cut}"))
        }
        BodyMutation::BadUtf8(bytes) => {
            let text = serde_json::to_vec(base).unwrap();
            let at = text
                .windows(2)
                .position(|w| w == b":\"")
                .map(|p| p + 2)
                .unwrap_or(1);
            let mut out = text[..at].to_vec();
            out.extend_from_slice(bytes);
            out.extend_from_slice(&text[at..]);
            (json_ct, out, format!("bytes {bytes:02x?} in a string"))
        }
        BodyMutation::Nest(n) => {
            let key = first_key(base);
            let mut out = Vec::new();
            for _ in 0..*n {
                out.extend_from_slice(format!("{{\"{key}\":").as_bytes());
            }
            out.extend_from_slice(&serde_json::to_vec(base).unwrap());
            out.extend(std::iter::repeat_n(b'}', *n));
            (json_ct, out, format!("nested {n} deep"))
        }
        BodyMutation::Replace(bytes) => (
            json_ct,
            bytes.clone(),
            format!(
                "body of {} bytes: {:?}",
                bytes.len(),
                &bytes[..bytes.len().min(24)]
            ),
        ),
        BodyMutation::DuplicateKey => {
            let key = first_key(base);
            let text = serde_json::to_string(base).unwrap();
            let dup = format!(
                "{{\"{key}\":{},{}",
                serde_json::to_string(&base[&key]).unwrap(),
                &text[1..]
            );
            (json_ct, dup.into_bytes(), format!("duplicate key {key}"))
        }
        BodyMutation::ContentType(ct) => (
            if ct.is_empty() { None } else { Some(*ct) },
            serde_json::to_vec(base).unwrap(),
            format!("content type {ct:?}"),
        ),
    }
}

fn describe(h: &Hostile) -> String {
    let s = match h {
        Hostile::Json(v) => v.to_string(),
        Hostile::Raw(r) => format!("raw {r}"),
    };
    if s.len() > 80 {
        format!(
            "{}… ({} bytes)",
            s.chars().take(40).collect::<String>(),
            s.len()
        )
    } else {
        s
    }
}

#[actix_rt::test]
async fn hostile_bodies_are_refused_cleanly_and_change_nothing() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    let db = app.db.clone();
    let base = app.address.clone();
    let tried = Arc::new(AtomicUsize::new(0));
    let n = tried.clone();
    let seen = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let codes = seen.clone();
    let result = off_thread(move || {
        let probe = Probe::new(&base);
        let endpoints = t.endpoints.clone();
        let strategy = (0..endpoints.len())
            .prop_flat_map(move |i| (Just(i), body_mutation(endpoints[i].fields.clone())));
        let mut r = runner(384);
        r.run(&strategy, |(i, m)| {
            n.fetch_add(1, Ordering::Relaxed);
            let e = &t.endpoints[i];
            let (ct, bytes, desc) = apply(e, &m);
            let what = format!("{} {} with {desc}", e.method, e.path);
            let before = snapshot(&db, &probe, &t);
            let a = probe.send(
                e.method.clone(),
                &e.path,
                e.token.as_deref(),
                &[],
                ct,
                bytes,
            );
            check_refusal(&a, &what)?;
            *codes
                .lock()
                .unwrap()
                .entry(format!(
                    "{} {}",
                    a.status,
                    a.body["code"].as_str().unwrap_or("")
                ))
                .or_insert(0) += 1;
            let after = snapshot(&db, &probe, &t);
            prop_assert!(
                before == after,
                "{what}: the database changed: {before:?} → {after:?}"
            );
            Ok(())
        })
        .map_err(|e| e.to_string())
    })
    .await;
    println!(
        "hostile bodies: {} generated requests over 13 endpoints; answers: {:?}",
        tried.load(Ordering::Relaxed),
        seen.lock().unwrap()
    );
    result.unwrap();
}

// ---------------------------------------------------------------------------------------
// Query strings and path parameters.

/// Percent-encodes every byte (control characters, UTF-8 and all).
fn encode_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        // Plausible values, so some requests get through to the engine and the database.
        prop::sample::select(
            &[
                "machine_tools", "semiconductors", "610100", "pilot", "licensing", "true",
                "false", "1", "20", "100", "2026", "2026-01-01", "newest", "price_asc",
                "quarter,seller_region", "year", "csv", "signed", "registered", "draft",
                "published", "submitted", "development", "热误差", "SiC 碳化硅",
            ][..]
        )
        .prop_map(encode_all),
        prop::sample::select(INJECTIONS).prop_map(encode_all),
        prop::sample::select(IMPOSSIBLE_DATES).prop_map(encode_all),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("1e400".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just(String::new()),
        "[0-9]{19,60}",
        "\\PC{0,300}".prop_map(|s| encode_all(&s)),
        with_control().prop_map(|h| match h {
            Hostile::Json(Value::String(s)) => encode_all(&s),
            _ => String::new(),
        }),
        // Broken escapes and bytes that do not decode to UTF-8.
        prop::sample::select(&["%", "%G1", "%FF", "%C3", "%ED%A0%80", "%00", "%2", "a%zzb", "%%"][..])
            .prop_map(str::to_owned),
        (3000usize..4000).prop_map(|n| "x".repeat(n)),
        prop::sample::select(&["quarter,quarter", "planet", ",,,", "year,month,quarter,seller_region,buyer_region,chain,field,kind,seller_kind,seller_org,broker", "broker,"][..])
            .prop_map(str::to_owned),
    ]
}

struct QueryTarget {
    path: String,
    known: &'static [&'static str],
}

fn query_targets(t: &Targets, achievement: i64, challenge: i64) -> Vec<QueryTarget> {
    const PAGE: &[&str] = &["page", "per_page"];
    vec![
        QueryTarget {
            path: "/api/v1/achievements".into(),
            known: &[
                "q",
                "chain",
                "field",
                "region",
                "stage",
                "trl_min",
                "trl_max",
                "price_max_fen",
                "transfer_mode",
                "pool_year",
                "key_project",
                "org_id",
                "negotiable",
                "sort",
                "page",
                "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/demands".into(),
            known: &[
                "q",
                "chain",
                "field",
                "region",
                "trl_min",
                "trl_max",
                "budget_min_fen",
                "cooperation_mode",
                "org_id",
                "bottleneck",
                "challenge",
                "sort",
                "page",
                "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/offerings".into(),
            known: &[
                "mode",
                "status",
                "chain",
                "achievement_id",
                "closing_within_hours",
                "page",
                "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/publicity".into(),
            known: &["status", "achievement_id", "page", "per_page"],
        },
        QueryTarget {
            path: "/api/v1/stats/turnover".into(),
            known: &[
                "group_by",
                "year",
                "from",
                "to",
                "date_basis",
                "include_unregistered",
                "format",
            ],
        },
        QueryTarget {
            path: "/api/v1/contracts".into(),
            known: &[
                "kind",
                "registration_status",
                "region",
                "chain",
                "signed_from",
                "signed_to",
                "page",
                "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/deals".into(),
            known: &["stage", "chain", "follow_up_due", "page", "per_page"],
        },
        QueryTarget {
            path: "/api/v1/audit".into(),
            known: &[
                "entity",
                "entity_id",
                "actor_id",
                "action",
                "page",
                "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/orgs".into(),
            known: &["verified", "kind", "page", "per_page"],
        },
        QueryTarget {
            path: "/api/v1/pool/2026".into(),
            known: &["key_project", "chain", "page", "per_page"],
        },
        QueryTarget {
            path: format!("/api/v1/orgs/{}/achievements", t.uni_org),
            known: &[
                "status", "chain", "field", "region", "stage", "trl_min", "page", "per_page",
            ],
        },
        QueryTarget {
            path: "/api/v1/review/achievements".into(),
            known: PAGE,
        },
        QueryTarget {
            path: "/api/v1/me/notifications".into(),
            known: &["kind", "unread", "page", "per_page"],
        },
        QueryTarget {
            path: format!("/api/v1/achievements/{achievement}/matches"),
            known: &["limit"],
        },
        QueryTarget {
            path: format!("/api/v1/demands/{challenge}/applications"),
            known: &["status", "page", "per_page"],
        },
    ]
}

const HOSTILE_NAMES: &[&str] = &[
    "filter",
    "chain[]",
    "q%00",
    "%FF",
    "sort;DROP",
    "page%20",
    "__proto__",
    "",
    "CHAIN",
];

#[actix_rt::test]
async fn hostile_query_strings_and_path_ids_never_crash_a_handler() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    let achievement = published(&app, "achievements", &t.uni, &t.admin, &achievement_body()).await;
    let challenge = {
        let (ent, _) = member(&app, Account::enterprise(), true, &t.admin).await;
        published(&app, "demands", &ent, &t.admin, &challenge_body()).await
    };
    app.sync_search().await;
    let targets_q = query_targets(&t, achievement, challenge);
    let known_names: Vec<Vec<&'static str>> = targets_q.iter().map(|q| q.known.to_vec()).collect();
    let base = app.address.clone();
    let admin = t.admin.clone();
    let db = app.db.clone();
    let tried = Arc::new(AtomicUsize::new(0));
    let n = tried.clone();
    let result = off_thread(move || {
        let probe = Probe::new(&base);
        let before = counts(&db);
        let strategy = (0..targets_q.len()).prop_flat_map(move |i| {
            let known = known_names[i].clone();
            let name = prop_oneof![
                4 => prop::sample::select(known),
                1 => prop::sample::select(HOSTILE_NAMES),
            ];
            (Just(i), prop::collection::vec((name, query_value()), 0..5))
        });
        let mut r = runner(384);
        r.run(&strategy, |(i, pairs)| {
            n.fetch_add(1, Ordering::Relaxed);
            let target = &targets_q[i];
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let path = format!("{}?{}", target.path, query.join("&"));
            let a = probe.get(&path, Some(&admin));
            let what = format!("GET {path:.300}");
            prop_assert!(a.status < 500, "{what}: {} {}", a.status, a.text);
            if a.status == 200 {
                // Accepted: every name was known, and the answer is the endpoint's own.
                prop_assert!(
                    pairs.iter().all(|(k, _)| target.known.contains(k)),
                    "{what}: an unknown parameter was accepted"
                );
                let csv_or_xlsx = pairs.iter().any(|(k, v)| *k == "format" && v != "json");
                prop_assert!(csv_or_xlsx || a.body.is_object(), "{what}: {}", a.text);
            } else {
                check_refusal(&a, &what)?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;

        // Path parameters that are not ids.
        let ids = prop_oneof![
            prop::sample::select(
                &[
                    "-1",
                    "0",
                    "99999999999999999999",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "abc",
                    "1.5",
                    "1e3",
                    "%00",
                    "%FF",
                    "1%3BDROP",
                    "%E7%83%AD",
                    "0x10",
                    "1+1",
                    "%20",
                    "1%2F2",
                ][..]
            )
            .prop_map(str::to_owned),
            "[0-9]{19,40}",
        ];
        let paths = prop::sample::select(
            &[
                "/api/v1/achievements/{}",
                "/api/v1/demands/{}",
                "/api/v1/deals/{}",
                "/api/v1/contracts/{}",
                "/api/v1/orgs/{}",
                "/api/v1/pool/{}",
                "/api/v1/orgs/{}/achievements",
                "/api/v1/demands/{}/matches",
                "/api/v1/demands/{}/applications",
                "/api/v1/stats/targets/{}",
            ][..],
        );
        let mut r = runner(128);
        r.run(&(paths, ids), |(template, id)| {
            n.fetch_add(1, Ordering::Relaxed);
            let path = template.replace("{}", &id);
            let method = if template.contains("targets") {
                Method::PUT
            } else {
                Method::GET
            };
            let a = probe.send(
                method,
                &path,
                Some(&admin),
                &[],
                Some("application/json"),
                br#"{"amount_fen": 100}"#.to_vec(),
            );
            check_refusal(&a, &path)
        })
        .map_err(|e| e.to_string())?;
        let after = counts(&db);
        if before != after {
            return Err(format!(
                "reads changed the database: {before:?} → {after:?}"
            ));
        }
        Ok::<(), String>(())
    })
    .await;
    println!(
        "hostile query strings and path ids: {} generated requests",
        tried.load(Ordering::Relaxed)
    );
    result.unwrap();
}

/// `from`/`to` of the turnover statistics: accepted exactly when both are real dates in
/// order (2026-02-30 is not), answered from either the rollups or the scan.
#[actix_rt::test]
async fn turnover_dates_are_accepted_exactly_when_they_exist() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let base = app.address.clone();
    let tried = Arc::new(AtomicUsize::new(0));
    let n = tried.clone();
    let result = off_thread(move || {
        let probe = Probe::new(&base);
        let date = prop_oneof![
            4 => (1990i32..2100, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            1 => prop::sample::select(IMPOSSIBLE_DATES).prop_map(str::to_owned),
            1 => prop::sample::select(SIGNED_YEAR_DATES).prop_map(str::to_owned),
            1 => (-100_000i32..100_000, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        ];
        let mut r = runner(256);
        r.run(&(date.clone(), date), |(from, to)| {
            n.fetch_add(1, Ordering::Relaxed);
            let parse = |s: &str| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|d| s.len() == 10 && (1900..=2999).contains(&chrono::Datelike::year(d)))
            };
            let valid = matches!((parse(&from), parse(&to)), (Some(f), Some(t)) if f <= t);
            let path = format!(
                "/api/v1/stats/turnover?group_by=month&from={}&to={}",
                encode_all(&from),
                encode_all(&to)
            );
            let a = probe.get(&path, Some(&admin));
            if valid {
                prop_assert_eq!(a.status, 200, "{}: {}", path, a.text);
                prop_assert_eq!(a.body["total"]["contracts"].as_i64(), Some(0));
            } else {
                check_refusal(&a, &path)?;
                prop_assert_eq!(a.status, 400, "{}", path);
                prop_assert_eq!(a.body["code"].as_str(), Some("invalid_query"));
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
    })
    .await;
    println!(
        "turnover dates: {} generated from/to pairs",
        tried.load(Ordering::Relaxed)
    );
    result.unwrap();
}

// ---------------------------------------------------------------------------------------
// Text that is data, not code.

/// What a title becomes, or `None` when it must be refused.
fn stored_title(raw: &str) -> Option<String> {
    let t = raw.trim();
    let n = t.chars().count();
    let control = t
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r');
    ((1..=120).contains(&n) && !control).then(|| t.to_owned())
}

#[actix_rt::test]
async fn injection_strings_are_stored_verbatim_or_refused_whole() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    let db = app.db.clone();
    let base = app.address.clone();
    let tried = Arc::new(AtomicUsize::new(0));
    let n = tried.clone();
    let result = off_thread(move || {
        let probe = Probe::new(&base);
        let title = prop_oneof![
            prop::sample::select(INJECTIONS).prop_map(str::to_owned),
            (prop::sample::select(INJECTIONS), "\\PC{0,20}").prop_map(|(a, b)| format!("{b}{a}")),
            "\\PC{0,130}",
            "[ \t\n\u{3000}]{0,3}[a-z钛' \"%;]{0,30}[ \t\n\u{3000}]{0,3}",
            with_control().prop_map(|h| match h {
                Hostile::Json(Value::String(s)) => s,
                _ => String::new(),
            }),
        ];
        let mut r = runner(192);
        r.run(&title, |title| {
            n.fetch_add(1, Ordering::Relaxed);
            let mut body = achievement_body();
            body["title"] = json!(title);
            let before = counts(&db);
            let a = probe.send(
                Method::POST,
                "/api/v1/achievements",
                Some(&t.uni),
                &[],
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            );
            let what = format!("title {title:?}");
            match stored_title(&title) {
                Some(stored) => {
                    prop_assert_eq!(a.status, 201, "{}: {}", what, a.text);
                    let id = a.body["id"].as_i64().unwrap();
                    let back = probe.get(&format!("/api/v1/achievements/{id}"), Some(&t.uni));
                    prop_assert_eq!(
                        back.body["title"].as_str(),
                        Some(stored.as_str()),
                        "{}",
                        what
                    );
                }
                None => {
                    check_refusal(&a, &what)?;
                    prop_assert_eq!(a.body["code"].as_str(), Some("invalid_title"), "{}", what);
                    prop_assert_eq!(before, counts(&db), "{}", what);
                }
            }
            // The same text as a search query and as a filter value.
            let q = encode_all(&title);
            for path in [
                format!("/api/v1/achievements?q={q}"),
                format!("/api/v1/demands?q={q}&sort=relevance"),
                format!("/api/v1/achievements?chain={q}"),
                format!("/api/v1/demands?region={q}"),
            ] {
                let s = probe.get(&path, None);
                prop_assert!(s.status < 500, "{}: {} {}", path, s.status, s.text);
                if s.status != 200 {
                    check_refusal(&s, &path)?;
                }
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
    })
    .await;
    println!(
        "injection and control-character titles: {} generated inputs (each also as a query and a filter)",
        tried.load(Ordering::Relaxed)
    );
    result.unwrap();
}

// ---------------------------------------------------------------------------------------
// Idempotency keys.

#[actix_rt::test]
async fn idempotency_keys_are_validated_and_replayed() {
    use awc::http::header::HeaderValue;
    let app = spawn_app().await;
    let t = targets(&app).await;
    let db = app.db.clone();
    let base = app.address.clone();
    let tried = Arc::new(AtomicUsize::new(0));
    let n = tried.clone();
    let result = off_thread(move || {
        let probe = Probe::new(&base);
        let used = std::cell::RefCell::new(std::collections::HashSet::new());
        let serial = std::cell::Cell::new(0u64);
        let key = prop_oneof![
            "[ -~]{0,210}".prop_map(String::into_bytes),
            "[a-zA-Z0-9-]{1,60}".prop_map(String::into_bytes),
            "[ \t]{0,4}[!-~]{190,205}[ \t]{0,4}".prop_map(String::into_bytes),
            prop::collection::vec(
                prop_oneof![0x20u8..=0x7e, 0x80u8..=0xff, Just(b'\t')],
                0..40
            ),
        ];
        let mut r = runner(160);
        r.run(&key, |key| {
            n.fetch_add(1, Ordering::Relaxed);
            serial.set(serial.get() + 1);
            let value = HeaderValue::from_bytes(&key).expect("a sendable header value");
            let trimmed = std::str::from_utf8(&key)
                .ok()
                .filter(|s| s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)))
                .map(str::trim);
            let valid = trimmed.is_some_and(|k| !k.is_empty() && k.len() <= 200);
            // Each request a different body, so a reused key is always another body's.
            let mut body = contract_body(t.uni_org, t.ent_org);
            body["amount_fen"] = json!(1_200_000_000i64 + serial.get() as i64);
            let body = serde_json::to_vec(&body).unwrap();
            let before = counts(&db);
            let send = || {
                probe.send(
                    Method::POST,
                    "/api/v1/contracts",
                    Some(&t.uni),
                    &[("Idempotency-Key", value.clone())],
                    Some("application/json"),
                    body.clone(),
                )
            };
            let a = send();
            let what = format!("Idempotency-Key {key:?}");
            let fresh = valid && used.borrow_mut().insert(trimmed.unwrap().to_owned());
            if !valid {
                check_refusal(&a, &what)?;
                prop_assert_eq!(a.status, 400, "{}", what);
                prop_assert_eq!(&before, &counts(&db), "{}", what);
            } else if !fresh {
                // The key was spent on another body.
                check_refusal(&a, &what)?;
                prop_assert_eq!(&before, &counts(&db), "{}", what);
            } else {
                prop_assert_eq!(a.status, 201, "{}: {}", what, a.text);
                let again = send();
                prop_assert_eq!(again.status, 201, "{}: {}", what, again.text);
                prop_assert_eq!(&again.body["id"], &a.body["id"]);
                prop_assert_eq!(
                    again
                        .headers
                        .get("idempotent-replayed")
                        .and_then(|v| v.to_str().ok()),
                    Some("true")
                );
                let after = counts(&db);
                let contracts =
                    |c: &[(&str, i64)]| c.iter().find(|(t, _)| *t == "contracts").unwrap().1;
                prop_assert_eq!(contracts(&after), contracts(&before) + 1, "{}", what);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
    })
    .await;
    println!(
        "idempotency keys: {} generated header values",
        tried.load(Ordering::Relaxed)
    );
    result.unwrap();
}
