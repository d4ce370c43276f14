//! `spawn_app()`: the real application on a random port with its own database (a temp
//! SQLite file, or a fresh PostgreSQL database when `TT_TEST_DATABASE_URL` is set), and
//! fixtures built through the public API.

use std::sync::LazyLock;

use awc::http::Method;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use tempfile::TempDir;
use tt_exchange::accounts::handlers::{UserInput, create_user_tx, validate_new_user};
use tt_exchange::config::{LogFormat, Secret, Settings};
use tt_exchange::db::Db;
use tt_exchange::startup::Application;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "秦岭钛合金-2026-test";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        tt_exchange::telemetry::init(LogFormat::Pretty);
    }
});

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        let name = format!("tt_test_{}", tt_exchange::auth::tokens::random_hex(8));
        let mut conn = PgConnection::establish(admin_url).expect("connect to TT_TEST_DATABASE_URL");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let base = match admin_url.rfind('/') {
            Some(i) if i > "postgres://".len() => &admin_url[..i],
            _ => admin_url,
        };
        let query = admin_url.find('?').map(|i| &admin_url[i..]).unwrap_or("");
        PgDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}{query}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

pub fn test_database_url() -> Option<String> {
    std::env::var("TT_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub engine: tt_exchange::search::Engine,
    stopper: Option<(
        actix_web::dev::ServerHandle,
        tt_exchange::search::outbox::Shutdown,
    )>,
    pub client: awc::Client,
    pub settings: Settings,
    _data_dir: TempDir,
    _pg: Option<PgDatabase>,
}

/// An HTTP answer: status, headers and the body parsed as JSON (or `Null`).
pub struct Resp {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts the status and the one error shape; returns the code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.text
        );
        let t = self.body["type"].as_str().unwrap_or_default();
        assert!(
            ["invalid_request", "auth", "internal", "system"].contains(&t),
            "{}",
            self.text
        );
        assert_eq!(self.body["link"], format!("/api/v1/errors#{code}"));
        // Four members always; `field` (a name) and `accepted` (a non-empty list of
        // values) only when known, and nothing else.
        let keys: Vec<&String> = self
            .body
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        let optional = keys
            .iter()
            .filter(|k| ["field", "accepted"].contains(&k.as_str()))
            .count();
        assert_eq!(
            keys.len() - optional,
            4,
            "error body has the four keys and maybe field and accepted: {}",
            self.text
        );
        if let Some(f) = self.body.get("field") {
            assert!(f.as_str().is_some_and(|f| !f.is_empty()), "{}", self.text);
        }
        if let Some(a) = self.body.get("accepted") {
            let values = a.as_array().expect("accepted is a list");
            assert!(!values.is_empty() && values.iter().all(Value::is_string));
        }
        let language = self.header("content-language").unwrap_or_default();
        assert!(
            ["zh-CN", "en"].contains(&language.as_str()),
            "Content-Language: {language:?}"
        );
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let data_dir = tempfile::tempdir().expect("temp dir");
    let pg = test_database_url().map(|url| PgDatabase::create(&url));
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.path().to_owned(),
        database_url: pg.as_ref().map(|p| Secret::new(p.url.clone())),
        db_pool_size: 4,
        jwt_secret: Some(Secret::new(JWT_SECRET)),
        workers: Some(1),
        // Every test comes from 127.0.0.1: per-client request rates are off unless a
        // test sets them (tests/api/security.rs).
        rate_limit_login_per_min: 0,
        rate_limit_register_per_hour: 0,
        rate_limit_writes_per_min: 0,
        ..Settings::default()
    };
    // The whole suite can run against a live Meilisearch too (each test its own indexes).
    if std::env::var("TT_TEST_SEARCH_ENGINE").as_deref() == Ok("meilisearch")
        && let Ok(url) = std::env::var("TT_TEST_MEILI_URL")
    {
        settings.search_engine = tt_exchange::config::SearchEngineKind::Meilisearch;
        settings.meili_url = Some(url);
        settings.meili_key = std::env::var("TT_TEST_MEILI_KEY").ok().map(Secret::new);
        settings.index_prefix = format!("tt_test_{}_", tt_exchange::auth::tokens::random_hex(6));
    }
    configure(&mut settings);
    start(settings, data_dir, pg).await
}

async fn start(settings: Settings, data_dir: TempDir, pg: Option<PgDatabase>) -> TestApp {
    // A stopped predecessor on the same data dir may take a moment to release its lock.
    let mut tries = 0;
    let app = loop {
        match Application::build(settings.clone()).await {
            Ok(app) => break app,
            Err(e) if tries < 50 && e.to_string().contains("another tt-exchange process") => {
                tries += 1;
                actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("build app: {e:#}"),
        }
    };
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let engine = app.engine().clone();
    let stopper = Some(app.stopper());
    actix_rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .finish();
    TestApp {
        address,
        db,
        engine,
        stopper,
        client,
        settings,
        _data_dir: data_dir,
        _pg: pg,
    }
}

impl TestApp {
    /// Stops this server and starts another on the same database and data dir.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        if let Some((handle, shutdown)) = self.stopper.take() {
            handle.stop(true).await;
            shutdown
                .stop_and_wait(std::time::Duration::from_secs(10))
                .await;
        }
        let mut settings = self.settings.clone();
        configure(&mut settings);
        let data_dir =
            std::mem::replace(&mut self._data_dir, tempfile::tempdir().expect("temp dir"));
        let pg = self._pg.take();
        start(settings, data_dir, pg).await
    }

    /// Another server on this one's PostgreSQL database, with its own data dir: what a
    /// deployment behind a load balancer runs. `None` on SQLite, which allows one process.
    pub async fn second_server(&self, configure: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let url = self._pg.as_ref()?.url.clone();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = self.settings.clone();
        settings.data_dir = data_dir.path().to_owned();
        settings.database_url = Some(Secret::new(url));
        configure(&mut settings);
        Some(start(settings, data_dir, None).await)
    }

    /// Waits until the search outbox is drained, so searches see every committed change.
    pub async fn sync_search(&self) {
        for _ in 0..1000 {
            let backlog = self
                .db
                .read(|conn| Ok(tt_exchange::search::outbox::backlog(conn)?))
                .await
                .expect("backlog");
            if backlog.pending == 0 {
                return;
            }
            actix_rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the search outbox did not drain");
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        read(res.expect("request failed")).await
    }

    /// Like [`TestApp::request`], with extra request headers.
    pub async fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        read(res.expect("request failed")).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        read(req.send_body(body).await.expect("request failed")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in and returns the access token; panics if that fails.
    pub async fn token(&self, email: &str) -> String {
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status, 200, "login {email}: {}", r.text);
        r.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Creates a user the way the `create-user` command does (how the first admin is made).
    pub async fn create_user_directly(&self, email: &str, role: &str, org_id: Option<i64>) -> i64 {
        let db = self.db.clone();
        let req = UserInput {
            email: email.into(),
            password: PASSWORD.into(),
            name: "测试管理员".into(),
            role: role.into(),
            org_id,
        };
        let created = actix_web::web::block(move || {
            let valid = validate_new_user(req)?;
            db.write_blocking(|conn| create_user_tx(conn, &valid, None))
        })
        .await
        .expect("blocking")
        .expect("create user");
        created.user.id
    }

    /// Like [`create_user_directly`], returning the user id (for brokers in fixtures).
    pub async fn create_user_directly_in(
        &self,
        email: &str,
        role: &str,
        org_id: Option<i64>,
    ) -> i64 {
        let org_id = match (role, org_id) {
            ("broker", None) => {
                let (_, org) = self.registered(&Account::broker()).await;
                Some(org)
            }
            (_, o) => o,
        };
        self.create_user_directly(email, role, org_id).await
    }

    /// Confirms contract `id` as each of `tokens` (a party whose side is confirmed already
    /// answers 409, which is fine here); panics on anything else.
    pub async fn confirm_contract(&self, id: i64, tokens: &[&str]) -> Value {
        let mut last = Value::Null;
        for t in tokens {
            let r = self
                .post(
                    &format!("/api/v1/contracts/{id}/confirm"),
                    Some(t),
                    &json!({}),
                )
                .await;
            assert!(
                r.status == 200 || r.body["code"] == "consent_settled",
                "confirm {id}: {}",
                r.text
            );
            if r.status == 200 {
                last = r.body;
            }
        }
        last
    }

    /// Records a contract as `recorder` and has both parties confirm it; returns it.
    pub async fn confirmed_contract(
        &self,
        recorder: &str,
        body: &Value,
        seller: &str,
        buyer: &str,
    ) -> Value {
        let r = self.post("/api/v1/contracts", Some(recorder), body).await;
        assert_eq!(r.status, 201, "record: {}", r.text);
        let id = r.body["id"].as_i64().expect("id");
        let c = self.confirm_contract(id, &[seller, buyer]).await;
        assert_eq!(c["consent"], "confirmed", "{c}");
        c
    }

    /// Uploads a contract text and attaches it to contract `id` as `token` (a party, the
    /// broker or an admin): registration requests need it.
    pub async fn with_contract_text(&self, id: i64, token: &str) {
        let pdf = crate::files::pdf("技术合同");
        let file = crate::files::uploaded(self, token, "技术合同.pdf", &pdf).await;
        let r = crate::files::attach(self, token, "contract", id, "contract_text", file).await;
        assert!(
            r.status == 201 || r.status == 200,
            "attach contract text: {}",
            r.text
        );
    }

    /// The seller's side applies for registration and the registry registers contract `id`,
    /// verifying `verified_tech` fen (the whole tech amount when `None`) on `on` (today when
    /// `None`); returns the registry's answer.
    pub async fn register_contract(
        &self,
        id: i64,
        seller: &str,
        admin: &str,
        verified_tech: Option<i64>,
        on: Option<&str>,
    ) -> Resp {
        self.with_contract_text(id, seller).await;
        let r = self
            .post(
                &format!("/api/v1/contracts/{id}/registration-request"),
                Some(seller),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "registration request {id}: {}", r.text);
        let tech =
            verified_tech.unwrap_or_else(|| r.body["tech_amount_fen"].as_i64().expect("tech"));
        let mut body = json!({"status": "registered", "verified_tech_amount_fen": tech});
        if let Some(on) = on {
            body["registered_on"] = json!(on);
        }
        self.post(
            &format!("/api/v1/contracts/{id}/registration"),
            Some(admin),
            &body,
        )
        .await
    }

    pub async fn admin_token(&self) -> String {
        let email = format!(
            "admin-{}@qcy.example.cn",
            tt_exchange::auth::tokens::random_hex(4)
        );
        self.create_user_directly(&email, "admin", None).await;
        self.token(&email).await
    }

    pub async fn register(&self, account: &Account) -> Resp {
        self.post("/api/v1/auth/register", None, &account.json())
            .await
    }

    /// Registers `account` (must succeed) and returns `(user_id, org_id)`.
    pub async fn registered(&self, account: &Account) -> (i64, i64) {
        let r = self.register(account).await;
        assert_eq!(r.status, 201, "register: {}", r.text);
        (
            r.body["user"]["id"].as_i64().unwrap(),
            r.body["org"]["id"].as_i64().unwrap(),
        )
    }
}

async fn read<S>(mut res: awc::ClientResponse<S>) -> Resp
where
    S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().limit(16 * 1024 * 1024).await.expect("read body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}

/// Builder of a self-registration body.
#[derive(Clone)]
pub struct Account {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Option<String>,
    pub org: Option<(String, String, String)>,
    pub invitation_token: Option<String>,
}

impl Account {
    fn with(role: &str, org_name: &str, kind: &str) -> Account {
        let tag = tt_exchange::auth::tokens::random_hex(4);
        Account {
            email: format!("{role}-{tag}@example.cn"),
            password: PASSWORD.into(),
            name: "王小明".into(),
            role: Some(role.into()),
            org: Some((format!("{org_name}{tag}"), kind.into(), "610100".into())),
            invitation_token: None,
        }
    }
    pub fn university() -> Account {
        Account::with("university", "西北工业大学", "university")
    }
    pub fn enterprise() -> Account {
        Account::with("enterprise", "陕西钛业有限公司", "enterprise")
    }
    pub fn broker() -> Account {
        Account::with("broker", "西安技术转移中心", "agency")
    }
    pub fn invited(email: &str, token: &str) -> Account {
        Account {
            email: email.into(),
            password: PASSWORD.into(),
            name: "李同事".into(),
            role: None,
            org: None,
            invitation_token: Some(token.into()),
        }
    }
    pub fn email(mut self, email: &str) -> Self {
        self.email = email.into();
        self
    }
    pub fn password(mut self, password: &str) -> Self {
        self.password = password.into();
        self
    }
    pub fn role(mut self, role: &str) -> Self {
        self.role = Some(role.into());
        self
    }
    pub fn org(mut self, name: &str, kind: &str, region: &str) -> Self {
        self.org = Some((name.into(), kind.into(), region.into()));
        self
    }
    pub fn json(&self) -> Value {
        let mut v = json!({"email": self.email, "password": self.password, "name": self.name});
        if let Some(role) = &self.role {
            v["role"] = json!(role);
        }
        if let Some((name, kind, region)) = &self.org {
            v["org"] = json!({"name": name, "kind": kind, "region": region});
        }
        if let Some(t) = &self.invitation_token {
            v["invitation_token"] = json!(t);
        }
        v
    }
}
