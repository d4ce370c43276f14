//! Production hardening (issue 9): start-up refusals in production, JWT key rotation,
//! security headers, CORS, request timeouts, secret-free logs, per-client rate limits and
//! graceful shutdown. Some tests run the built binary as a subprocess, to see its real
//! exit codes, signals and log output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use awc::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tt_exchange::accounts::model::Role;
use tt_exchange::auth::tokens::{Claims, key_id};
use tt_exchange::config::{Environment, Secret};

use crate::helpers::{
    Account, JWT_SECRET, PASSWORD, PgDatabase, Resp, spawn_app, spawn_app_with, test_database_url,
};

/// Random-looking and long enough for production; used nowhere else.
const PROD_SECRET: &str = "q3Vx9LmZ2rT8wKc5Nj7Hb4Yp6Fd1Gs0Ae-prod";
const ROTATED_SECRET: &str = "Zr5Kq8Wm2Xn7Lb3Vc9Tj4Hs6Pd1Fg0Ya-next";
const ALLOWED_ORIGIN: &str = "https://app.qcy.example.cn";

fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid)
}

fn all_values(r: &Resp, name: &str) -> String {
    r.headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------
// The binary as a subprocess.

/// `tt-exchange` with a fresh data dir (and database on PostgreSQL runs), no inherited
/// `TT_*` settings, JSON logs at debug level.
fn command(dir: &TempDir, pg: Option<&PgDatabase>, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tt-exchange"));
    cmd.current_dir(dir.path());
    for (var, _) in std::env::vars() {
        if var.starts_with("TT_") || var == "RUST_LOG" {
            cmd.env_remove(var);
        }
    }
    cmd.env("TT_DATA_DIR", dir.path().join("data"))
        .env("TT_BIND", "127.0.0.1:0")
        .env("TT_WORKERS", "1")
        .env("TT_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug");
    if let Some(pg) = pg {
        cmd.env("TT_DATABASE_URL", &pg.url);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A served binary: its port, and everything it writes to stdout and stderr.
struct Served {
    child: Child,
    port: u16,
    logs: Arc<Mutex<String>>,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

fn collect(stream: impl Read + Send + 'static, logs: Arc<Mutex<String>>, port: mpsc::Sender<u16>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == "listening"
                && let Some(p) = v["port"].as_u64()
            {
                let _ = port.send(p as u16);
            }
            let mut all = logs.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
        }
    });
}

fn serve(env: &[(&str, &str)]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let pg = test_database_url().map(|url| PgDatabase::create(&url));
    let mut child = command(&dir, pg.as_ref(), env)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tt-exchange");
    let logs = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    collect(child.stderr.take().unwrap(), logs.clone(), tx.clone());
    collect(child.stdout.take().unwrap(), logs.clone(), tx);
    let port = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(port) => port,
        Err(_) => {
            let _ = child.kill();
            panic!("the server did not start:\n{}", logs.lock().unwrap());
        }
    };
    Served {
        child,
        port,
        logs,
        _dir: dir,
        _pg: pg,
    }
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {within:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn call(
    client: &awc::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .expect("request");
    let bytes = res.body().await.expect("body");
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

// ---------------------------------------------------------------------------------------
// Production mode.

#[test]
fn production_refuses_to_start_without_a_real_secret() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "TT_JWT_SECRET is required"),
        (&[("TT_JWT_SECRET", "too-short-0123")], "at least 32 bytes"),
        // The test suite's own secret is a published development value.
        (&[("TT_JWT_SECRET", JWT_SECRET)], "placeholder"),
        (
            &[("TT_JWT_SECRET", "abababababababababababababababababab")],
            "does not look random",
        ),
    ];
    for (extra, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![("TT_ENV", "production")];
        env.extend_from_slice(extra);
        let out = command(&dir, None, &env)
            .arg("serve")
            .output()
            .expect("run tt-exchange");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        // Refused before anything was created or served.
        assert!(!dir.path().join("data").exists(), "{extra:?}");
    }
}

#[actix_rt::test]
async fn production_settings_made_in_code_are_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let settings = tt_exchange::config::Settings {
        env: Environment::Production,
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_owned(),
        jwt_secret: Some(Secret::new(JWT_SECRET)),
        ..Default::default()
    };
    let err = tt_exchange::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("TT_JWT_SECRET"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Key rotation.

fn forged_token(secret: &str, kid: Option<String>, user_id: i64, org_id: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        role: Role::University,
        org: org_id,
        iat: now,
        exp: now + 600,
        iss: "tt-exchange".into(),
        ep: 0,
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid;
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_rt::test]
async fn tokens_name_their_key_and_survive_a_secret_rotation() {
    let app = spawn_app().await;
    let account = Account::university();
    let (user_id, org_id) = app.registered(&account).await;
    let old = app.token(&account.email).await;
    assert_eq!(kid_of(&old), Some(key_id(JWT_SECRET.as_bytes())));

    // Rotate: a new signing secret, the old one kept for verification only.
    let app = app
        .restart_with(|s| {
            s.jwt_previous_secret = s.jwt_secret.take();
            s.jwt_secret = Some(Secret::new(ROTATED_SECRET));
        })
        .await;
    let me = app.get("/api/v1/me", Some(&old)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["user"]["id"], user_id);
    let fresh = app.token(&account.email).await;
    assert_eq!(kid_of(&fresh), Some(key_id(ROTATED_SECRET.as_bytes())));
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status, 200);

    // A token from a secret the server does not hold is refused, whatever kid it claims.
    for kid in [
        None,
        Some(key_id(ROTATED_SECRET.as_bytes())),
        Some("0badc0de".into()),
    ] {
        let forged = forged_token(
            "nobody-configured-this-secret-Qw8Er5Ty",
            kid,
            user_id,
            org_id,
        );
        app.get("/api/v1/me", Some(&forged))
            .await
            .assert_error(401, "invalid_token");
    }

    // Once the previous secret is retired, its tokens end; the new ones go on.
    let app = app.restart_with(|s| s.jwt_previous_secret = None).await;
    app.get("/api/v1/me", Some(&old))
        .await
        .assert_error(401, "invalid_token");
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status, 200);
}

// ---------------------------------------------------------------------------------------
// Security headers and CORS.

#[track_caller]
fn assert_security_headers(r: &Resp, hsts: bool) {
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(
        r.header("content-security-policy").as_deref(),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        r.header("strict-transport-security").is_some(),
        hsts,
        "HSTS only in production"
    );
}

#[actix_rt::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let account = Account::university();
    app.registered(&account).await;
    let token = app.token(&account.email).await;
    let answers = [
        app.get("/health", None).await,
        app.get("/api/v1/me", Some(&token)).await,
        app.get("/api/v1/me", None).await,
        app.get("/no/such/route", None).await,
        app.request(Method::PUT, "/api/v1/taxonomy", None, None)
            .await,
        app.login(&account.email, "wrong password 123").await,
        app.raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("application/json"),
            b"{".to_vec(),
        )
        .await,
    ];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 401, 404, 405, 401, 400]);
    for r in &answers {
        assert_security_headers(r, false);
    }

    let prod = spawn_app_with(|s| {
        s.env = Environment::Production;
        s.jwt_secret = Some(Secret::new(PROD_SECRET));
    })
    .await;
    for r in [
        prod.get("/health", None).await,
        prod.get("/api/v1/me", None).await,
    ] {
        assert_security_headers(&r, true);
        assert_eq!(
            r.header("strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains")
        );
    }
}

#[actix_rt::test]
async fn without_configured_origins_there_are_no_cors_headers() {
    let app = spawn_app().await;
    let origin = [("Origin", ALLOWED_ORIGIN)];
    let r = app
        .request_with_headers(Method::GET, "/api/v1/taxonomy", &origin, None, None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(!all_values(&r, "vary").contains("Origin"));
    let preflight = app
        .request_with_headers(
            Method::OPTIONS,
            "/api/v1/achievements",
            &[
                ("Origin", ALLOWED_ORIGIN),
                ("Access-Control-Request-Method", "POST"),
            ],
            None,
            None,
        )
        .await;
    preflight.assert_error(405, "method_not_allowed");
    assert!(preflight.header("access-control-allow-origin").is_none());
    assert!(preflight.header("access-control-allow-methods").is_none());
}

#[actix_rt::test]
async fn cors_answers_configured_origins_only() {
    let app = spawn_app_with(|s| {
        s.cors_origins = vec![ALLOWED_ORIGIN.into(), "http://localhost:5173".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.request_with_headers(
                Method::OPTIONS,
                "/api/v1/achievements",
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "POST"),
                    (
                        "Access-Control-Request-Headers",
                        "authorization, content-type",
                    ),
                ],
                None,
                None,
            )
            .await
        }
    };

    let ok = preflight(ALLOWED_ORIGIN).await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some(ALLOWED_ORIGIN)
    );
    let methods = ok.header("access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = ok.header("access-control-allow-headers").unwrap();
    for h in ["Authorization", "Content-Type", "Idempotency-Key"] {
        assert!(headers.contains(h), "{headers}");
    }
    assert!(ok.header("access-control-max-age").is_some());
    assert!(all_values(&ok, "vary").contains("Origin"));
    assert_security_headers(&ok, false);

    let refused = preflight("https://evil.example.com").await;
    refused.assert_error(403, "cors_origin_not_allowed");
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(all_values(&refused, "vary").contains("Origin"));

    // Actual requests: the allowed origin may read the answer (and its Retry-After and
    // request id); another origin gets the answer without the header, so the browser
    // withholds it.
    let get = |origin: &'static str| {
        let app = &app;
        async move {
            app.request_with_headers(
                Method::GET,
                "/api/v1/taxonomy",
                &[("Origin", origin)],
                None,
                None,
            )
            .await
        }
    };
    let allowed = get("http://localhost:5173").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:5173")
    );
    let exposed = allowed.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("Retry-After") && exposed.contains("X-Request-Id"));
    assert!(all_values(&allowed, "vary").contains("Origin"));
    let other = get("https://evil.example.com").await;
    assert_eq!(other.status, 200);
    assert!(other.header("access-control-allow-origin").is_none());
    assert!(all_values(&other, "vary").contains("Origin"));
    // Errors carry the CORS headers too, so a browser client can read them.
    let err = app
        .request_with_headers(
            Method::GET,
            "/api/v1/me",
            &[("Origin", ALLOWED_ORIGIN)],
            None,
            None,
        )
        .await;
    err.assert_error(401, "missing_authorization");
    assert_eq!(
        err.header("access-control-allow-origin").as_deref(),
        Some(ALLOWED_ORIGIN)
    );
}

// ---------------------------------------------------------------------------------------
// Request timeouts.

/// Sends `head` and `first` part of a body over a raw connection; returns the stream.
fn open_request(port: u16, path: &str, body: &[u8], sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..sent]).unwrap();
    stream.flush().unwrap();
    stream
}

/// Reads a whole `Connection: close` answer: status and JSON body.
fn read_answer(mut stream: TcpStream) -> (u16, String, Value) {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, head.to_owned(), json)
}

#[actix_rt::test]
async fn a_request_over_the_time_limit_is_answered_503_request_timeout() {
    let app = spawn_app_with(|s| s.request_timeout_secs = 1).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let body = Account::university().json().to_string().into_bytes();
    // A client that never finishes its body holds the handler until the limit.
    let started = Instant::now();
    let (status, head, json) = actix_web::rt::task::spawn_blocking(move || {
        let stream = open_request(port, "/api/v1/auth/register", &body, 10);
        read_answer(stream)
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(status, 503, "{head}\n{json}");
    assert_eq!(json["code"], "request_timeout");
    assert_eq!(json["type"], "system");
    assert_eq!(json["link"], "/api/v1/errors#request_timeout");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("x-content-type-options: nosniff")
    );
    // Ordinary requests are unaffected.
    assert_eq!(app.get("/health", None).await.status, 200);
}

// ---------------------------------------------------------------------------------------
// Rate limits.

#[track_caller]
fn assert_rate_limited(r: &Resp, max_wait: u64) {
    r.assert_error(429, "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After missing: {:?}", r.headers));
    assert!((1..=max_wait).contains(&wait), "Retry-After {wait}");
}

#[actix_rt::test]
async fn sign_ins_are_rate_limited_per_client() {
    let app = spawn_app_with(|s| {
        s.rate_limit_login_per_min = 3;
        s.client_ip_header = Some("X-Forwarded-For".into());
    })
    .await;
    let account = Account::university();
    app.registered(&account).await;
    let body = json!({"email": account.email, "password": PASSWORD});
    let login = |client: &'static str| {
        let (app, body) = (&app, &body);
        async move {
            app.request_with_headers(
                Method::POST,
                "/api/v1/auth/login",
                &[("X-Forwarded-For", client)],
                None,
                Some(body),
            )
            .await
        }
    };
    // Behind the proxy, the rightmost address is the client it saw.
    let a = "198.51.100.7, 203.0.113.10";
    for _ in 0..3 {
        assert_eq!(login(a).await.status, 200);
    }
    let limited = login(a).await;
    assert_rate_limited(&limited, 60);
    // Other clients are unaffected, and reads are never limited.
    assert_eq!(login("203.0.113.11").await.status, 200);
    assert_eq!(app.get("/api/v1/taxonomy", None).await.status, 200);
    assert_rate_limited(&login(a).await, 60);
}

#[actix_rt::test]
async fn forwarded_headers_are_ignored_unless_configured() {
    let app = spawn_app_with(|s| s.rate_limit_login_per_min = 2).await;
    let body = json!({"email": "nobody@example.cn", "password": "wrong-password-123"});
    for (i, forged) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let r = app
            .request_with_headers(
                Method::POST,
                "/api/v1/auth/login",
                &[("X-Forwarded-For", forged)],
                None,
                Some(&body),
            )
            .await;
        if i < 2 {
            r.assert_error(401, "invalid_credentials");
        } else {
            assert_rate_limited(&r, 60);
        }
    }
}

#[actix_rt::test]
async fn registrations_are_rate_limited_per_client() {
    let app = spawn_app_with(|s| {
        s.rate_limit_register_per_hour = 2;
        s.client_ip_header = Some("X-Real-IP".into());
    })
    .await;
    let register = |client: &'static str| {
        let app = &app;
        async move {
            app.request_with_headers(
                Method::POST,
                "/api/v1/auth/register",
                &[("X-Real-IP", client)],
                None,
                Some(&Account::enterprise().json()),
            )
            .await
        }
    };
    assert_eq!(register("192.0.2.1").await.status, 201);
    assert_eq!(register("192.0.2.1").await.status, 201);
    let limited = register("192.0.2.1").await;
    assert_rate_limited(&limited, 3600);
    assert_eq!(register("192.0.2.2").await.status, 201);
}

#[actix_rt::test]
async fn writes_are_rate_limited_per_user_and_reads_are_not() {
    let app = spawn_app_with(|s| s.rate_limit_writes_per_min = 3).await;
    let a = Account::university();
    let (_, org_a) = app.registered(&a).await;
    let b = Account::university();
    app.registered(&b).await;
    let (ta, tb) = (app.token(&a.email).await, app.token(&b.email).await);
    let invite = |token: String, n: usize| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/orgs/{org_a}/invitations"),
                Some(&token),
                &json!({"email": format!("colleague{n}@nwpu.edu.cn"), "role": "university"}),
            )
            .await
        }
    };
    for n in 0..3 {
        assert_eq!(invite(ta.clone(), n).await.status, 201);
    }
    let limited = invite(ta.clone(), 3).await;
    assert_rate_limited(&limited, 60);
    // Nothing was written by the refused request.
    let list = app
        .get(&format!("/api/v1/orgs/{org_a}/invitations"), Some(&ta))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 3, "{}", list.text);
    // Another user from the same address has a bucket of their own (and is refused by
    // the policy, not the limiter).
    invite(tb, 4).await.assert_error(403, "forbidden");
    // Anonymous writes count per address.
    for _ in 0..3 {
        let r = app
            .post(
                "/api/v1/auth/logout",
                None,
                &json!({"refresh_token": "rt_x"}),
            )
            .await;
        assert_eq!(r.status, 204);
    }
    assert_rate_limited(
        &app.post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": "rt_x"}),
        )
        .await,
        60,
    );
}

// ---------------------------------------------------------------------------------------
// Logs and graceful shutdown (the binary as a subprocess).

#[actix_rt::test]
async fn logs_never_contain_passwords_tokens_or_secrets() {
    let jwt_secret = "Lg7Qp2Xw9Zr4Tn6Vb1Hk8Jm3Fc5Ds0Ya-logs";
    let previous_secret = "Pv3Xq8Lm1Zr6Tw9Kb4Hn7Jc2Fd5Gs0Ea-prev";
    let mut server = serve(&[
        ("TT_ENV", "production"),
        ("TT_JWT_SECRET", jwt_secret),
        ("TT_JWT_PREVIOUS_SECRET", previous_secret),
        ("TT_MEILI_KEY", "meili-key-Hq4Wz8Rt2Yp6"),
    ]);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut secrets: Vec<String> = vec![
        jwt_secret.into(),
        previous_secret.into(),
        "meili-key-Hq4Wz8Rt2Yp6".into(),
    ];

    let password_a = "Ts7-秦岭钛合金-secret-A";
    let wrong_password = "Wr0ng-guess-secret-B9";
    let password_b = "Inv1ted-colleague-secret-C4";
    secrets.extend([password_a, wrong_password, password_b].map(String::from));
    let account = Account::university().password(password_a);
    let (status, body) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/register"),
        None,
        Some(account.json()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let org_id = body["org"]["id"].as_i64().unwrap();
    let login_body = |pw: &str| json!({"email": account.email, "password": pw});
    let (status, _) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/login"),
        None,
        Some(login_body(wrong_password)),
    )
    .await;
    assert_eq!(status, 401);
    let (status, pair) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/login"),
        None,
        Some(login_body(password_a)),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &client,
        Method::GET,
        &server.url("/api/v1/me"),
        Some(&access),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, pair2) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/refresh"),
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(status, 200, "{pair2}");
    let access2 = pair2["access_token"].as_str().unwrap().to_owned();
    let refresh2 = pair2["refresh_token"].as_str().unwrap().to_owned();
    // A replayed refresh token (refused, and logged as a reuse) must not be logged.
    let (status, _) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/refresh"),
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, inv) = call(
        &client,
        Method::POST,
        &server.url(&format!("/api/v1/orgs/{org_id}/invitations")),
        Some(&access2),
        Some(json!({"email": "colleague@nwpu.edu.cn", "role": "university"})),
    )
    .await;
    assert_eq!(status, 201, "{inv}");
    let invitation = inv["token"].as_str().unwrap().to_owned();
    let joiner = Account::invited("colleague@nwpu.edu.cn", &invitation).password(password_b);
    let (status, joined) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/register"),
        None,
        Some(joiner.json()),
    )
    .await;
    assert_eq!(status, 201, "{joined}");
    let (status, _) = call(
        &client,
        Method::POST,
        &server.url("/api/v1/auth/logout"),
        None,
        Some(json!({"refresh_token": refresh2})),
    )
    .await;
    assert_eq!(status, 204);
    // A forged bearer token is refused and not logged either.
    let forged = forged_token("forged-secret-Mx8Kq3Lz7Wp2Rv5Tn", None, 1, org_id);
    let (status, _) = call(
        &client,
        Method::GET,
        &server.url("/api/v1/me"),
        Some(&forged),
        None,
    )
    .await;
    assert_eq!(status, 401);
    secrets.extend([access, refresh, access2, refresh2, invitation, forged]);

    server.sigterm();
    let status = server.wait_exit(Duration::from_secs(30));
    let logs = server.logs();
    assert!(status.success(), "{status:?}\n{logs}");
    // The capture works: the access log and the masked settings are there.
    assert!(logs.contains("/api/v1/auth/refresh"), "{logs}");
    assert!(
        logs.contains("\"jwt_secret\"") || logs.contains("jwt_secret:"),
        "{logs}"
    );
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "the logs contain {secret:?}:\n{logs}"
        );
        // Nor a recognisable part of a token (the JWT signature, say).
        if let Some(tail) = secret.rsplit('.').next().filter(|t| t.len() >= 20) {
            assert!(!logs.contains(tail), "the logs contain part of {secret:?}");
        }
    }
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut server = serve(&[]);
    let account = Account::university();
    let body = account.json().to_string().into_bytes();
    // A registration is in flight: the server is reading its body when SIGTERM comes.
    let mut stream = open_request(server.port, "/api/v1/auth/register", &body, 20);
    std::thread::sleep(Duration::from_millis(300));
    server.sigterm();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited with a request in flight:\n{}",
        server.logs()
    );
    stream.write_all(&body[20..]).unwrap();
    let (status, head, json) = read_answer(stream);
    assert_eq!(status, 201, "{head}\n{json}\n{}", server.logs());
    assert_eq!(json["user"]["email"], account.email);
    let exit = server.wait_exit(Duration::from_secs(30));
    assert!(exit.success(), "{exit:?}\n{}", server.logs());
    // New connections were no longer accepted once it stopped.
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_err());
}
