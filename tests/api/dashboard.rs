//! The statistics dashboard in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver) on loopback. It signs in as the demo statistician, waits for
//! every chart, downloads the CSV, checks the phone width, and saves a screenshot to
//! `target/dashboard.png`. Runs when `TT_TEST_CHROMEDRIVER` names the chromedriver binary
//! (`.ci/run` installs Chromium and sets it), like the live Meilisearch suite.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// A WebDriver session on a chromedriver child process, ended on drop.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: awc::Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn call(
    client: &awc::Client,
    method: awc::http::Method,
    url: &str,
    body: Option<Value>,
) -> Value {
    let req = client.request(method, url).timeout(Duration::from_secs(60));
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .unwrap_or_else(|e| panic!("{url}: {e}"));
    let bytes = res.body().limit(64 << 20).await.expect("webdriver body");
    let v: Value = serde_json::from_slice(&bytes).expect("webdriver json");
    assert!(res.status().is_success(), "{url}: {v}");
    v["value"].clone()
}

impl Browser {
    async fn start(chromedriver: &str) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let (base, client) = (format!("http://127.0.0.1:{port}"), awc::Client::default());
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=zh-CN"]}}}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            client,
        };
        let s = call(
            &b.client,
            awc::http::Method::POST,
            &format!("{}/session", b.base),
            Some(caps),
        )
        .await;
        b.session = s["sessionId"].as_str().expect("session id").to_owned();
        b
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        call(&self.client, awc::http::Method::POST, &url, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        call(&self.client, awc::http::Method::GET, &url, None).await
    }

    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    async fn element(&self, css: &str) -> String {
        let e = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        e.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect(css)
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/value"), json!({"text": text}))
            .await;
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    /// Polls `script` until it returns true, for up to `secs`.
    async fn wait_for(&self, script: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.script(script).await != true {
            assert!(Instant::now() < deadline, "timed out waiting for {script}");
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Standard base64, as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | u32::from(value(*c)) << (18 - 6 * i));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[actix_rt::test]
async fn the_dashboard_signs_in_draws_every_chart_and_downloads_in_chromium() {
    let Ok(chromedriver) = std::env::var("TT_TEST_CHROMEDRIVER") else {
        eprintln!(
            "skipped: set TT_TEST_CHROMEDRIVER to the chromedriver binary to run the browser test"
        );
        return;
    };
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    let b = Browser::start(&chromedriver).await;
    b.post("/url", json!({"url": format!("{}/dashboard", app.address)}))
        .await;
    b.type_into("#email", "statistician@demo.qcy.example.cn")
        .await;
    b.type_into("#password", tt_exchange::tools::seed::DEMO_PASSWORD)
        .await;
    let started = b.script("return performance.now()").await.as_f64().unwrap();
    b.click("#signin button").await;
    b.wait_for("return document.body.dataset.ready === 'true'", 60)
        .await;
    let ready = b.script("return performance.now()").await.as_f64().unwrap();
    eprintln!(
        "dashboard: signed in to every chart drawn in {:.0} ms",
        ready - started
    );

    // Every chart is an SVG of the API that loaded and has a size.
    let charts = b
        .script("return Array.from(document.querySelectorAll('img.chart')).map(i => [i.dataset.loaded === 'true', i.naturalWidth])")
        .await;
    let charts = charts.as_array().unwrap();
    assert_eq!(charts.len(), 7);
    assert!(
        charts
            .iter()
            .all(|c| c[0] == true && c[1].as_i64() > Some(0)),
        "{charts:?}"
    );
    let form = b
        .script("return getComputedStyle(document.querySelector('#signin')).display")
        .await;
    assert_eq!(form, "none", "the sign-in form goes away");
    let target = b
        .script("return document.querySelector('#target').textContent")
        .await;
    assert!(target.as_str().unwrap().contains("万元 / 目标"), "{target}");

    // A download: the CSV arrives with its bytes.
    b.click("[data-download=csv]").await;
    b.wait_for(
        "return Number(document.querySelector('#download-status').dataset.bytes || 0) > 100",
        20,
    )
    .await;

    b.script("window.scrollTo(0, 0)").await;
    let shot = b.get("/screenshot").await;
    let png = base64_decode(shot.as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/target", env!("CARGO_MANIFEST_DIR")));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/dashboard.png"), &png).unwrap();

    // A phone's width: one column, nothing wider than the screen.
    b.post("/window/rect", json!({"width": 390, "height": 844}))
        .await;
    let fits = b
        .script("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(fits, true);
    let columns = b.script("return getComputedStyle(document.querySelector('#board')).gridTemplateColumns.split(' ').length").await;
    assert_eq!(columns, 1);
}

#[test]
fn base64_decodes_what_webdriver_sends() {
    assert_eq!(base64_decode("iVBORw=="), b"\x89PNG");
    assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
}
