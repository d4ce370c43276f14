//! Notification emails through a real SMTP server on loopback (Debian's
//! `python3-aiosmtpd`, writing a Maildir): sent once per notification, retried after the
//! server was down (the write that caused it never fails), daily digests. The test starts
//! the server itself with the Python named by `TT_TEST_SMTPD` (set by `.ci/run`) or, when
//! unset, `/usr/bin/python3` if it has `aiosmtpd`; without one it says it is skipped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use diesel::prelude::*;
use serde_json::json;
use tt_exchange::config::Secret;
use tt_exchange::db::schema::email_deliveries;

use crate::helpers::{Account, TestApp, spawn_app_with};
use crate::listings::{achievement_body, demand_body, member, published};
use crate::notifications::run_sweep;

/// The Python that runs aiosmtpd, if there is one.
pub fn smtpd_python() -> Option<String> {
    let candidate = std::env::var("TT_TEST_SMTPD")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/usr/bin/python3".into());
    let ok = Command::new(&candidate)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(candidate)
}

/// aiosmtpd on `127.0.0.1:port`, storing what it receives in a Maildir.
pub struct Smtpd {
    python: String,
    pub port: u16,
    maildir: PathBuf,
    child: Option<Child>,
}

impl Smtpd {
    pub fn start(python: &str, maildir: &Path) -> Smtpd {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut s = Smtpd {
            python: python.to_owned(),
            port,
            maildir: maildir.to_owned(),
            child: None,
        };
        s.up();
        s
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    pub fn up(&mut self) {
        let child = Command::new(&self.python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(50));
        }
        panic!("aiosmtpd did not start on port {}", self.port);
    }

    /// Stops the server (its port refuses connections until `up`).
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(50));
        }
    }

    /// Every message received so far: its headers, then its body decoded.
    pub fn messages(&self) -> Vec<String> {
        self.raw().iter().map(|m| decoded(m)).collect()
    }

    /// Every message received so far, raw.
    pub fn raw(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(dir) = std::fs::read_dir(self.maildir.join(sub)) {
                for entry in dir.flatten() {
                    if let Ok(text) = std::fs::read_to_string(entry.path()) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    /// Waits until `n` messages arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..750 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            actix_rt::time::sleep(StdDuration::from_millis(20)).await;
        }
        panic!("{n} messages did not arrive; got {:?}", self.messages());
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        self.down();
    }
}

/// The headers and the base64 body decoded (CRLF line ends as the server stored them).
fn decoded(raw: &str) -> String {
    use base64::Engine;
    let raw = raw.replace("\r\n", "\n");
    let Some((head, body)) = raw.split_once("\n\n") else {
        return raw;
    };
    if !head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        return raw;
    }
    let compact: String = body.split_whitespace().collect();
    let text = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    format!("{head}\n\n{text}")
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

async fn set(app: &TestApp, token: &str, kind: &str, mode: &str) {
    let body = json!({"settings": [{"kind": kind, "mode": mode}]});
    let r = app
        .request(
            awc::http::Method::PUT,
            "/api/v1/me/notification-settings",
            Some(token),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["email_available"], true);
}

/// `(status, attempts, last_error)` of every delivery, in id order.
async fn deliveries(app: &TestApp) -> Vec<(String, i32, Option<String>)> {
    app.db
        .read(|conn| {
            Ok(email_deliveries::table
                .order(email_deliveries::id)
                .select((
                    email_deliveries::status,
                    email_deliveries::attempts,
                    email_deliveries::last_error,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[actix_rt::test]
async fn emails_reach_a_real_smtp_server_once_also_after_it_was_down() {
    let Some(python) = smtpd_python() else {
        println!(
            "skipped: no Python with aiosmtpd (apt-get install python3-aiosmtpd, or TT_TEST_SMTPD)"
        );
        return;
    };
    let maildir = tempfile::tempdir().unwrap();
    let mut smtpd = Smtpd::start(&python, &maildir.path().join("box"));
    let port = smtpd.port;
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        s.mail_from = "秦创原技术交易 <noreply@qcy.example.cn>".into();
        s.mail_retry_max_secs = 1;
        s.scheduler_tick_ms = 50;
    })
    .await;
    let admin = app.admin_token().await;
    let uni_account = Account::university();
    let uni_email = uni_account.email.clone();
    let (uni, _) = member(&app, uni_account, true, &admin).await;
    let ent_account = Account::enterprise();
    let ent_email = ent_account.email.clone();
    let (ent, _) = member(&app, ent_account, true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    set(&app, &uni, "listing_reviewed", "email").await;
    set(&app, &uni, "deal_opened", "email").await;
    set(&app, &ent, "deal_opened", "digest").await;
    set(&app, &ent, "listing_reviewed", "digest").await;

    // Immediate: one email, to the user, in Chinese with the English below and the link.
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let first = smtpd.wait_for(1).await;
    let m = &first[0];
    assert!(header(m, "To").unwrap().contains(&uni_email), "{m}");
    assert!(
        header(m, "From")
            .unwrap()
            .contains("noreply@qcy.example.cn"),
        "{m}"
    );
    assert!(
        m.contains("已通过审核并发布") && m.contains("was approved and published"),
        "{m}"
    );
    assert!(m.contains(&format!("/api/v1/achievements/{a}")), "{m}");

    // The server is down: the approval still succeeds, the email waits and is retried.
    smtpd.down();
    let b = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    for _ in 0..750 {
        let d = deliveries(&app).await;
        if d.len() == 2 && d[1].1 >= 2 {
            assert_eq!(d[1].0, "pending");
            assert!(d[1].2.is_some(), "the error is kept: {d:?}");
            break;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(
        deliveries(&app).await[1].1 >= 2,
        "tried at least twice while down"
    );
    assert_eq!(smtpd.messages().len(), 1);
    smtpd.up();
    let got = smtpd.wait_for(2).await;
    assert!(
        got.iter()
            .any(|m| m.contains(&format!("/api/v1/achievements/{b}")))
    );

    // A deal: the university is emailed at once, the enterprise gets it in its digest.
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    app.sync_search().await;
    let r = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": d, "achievement_id": a}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    smtpd.wait_for(3).await;
    run_sweep(&app).await;
    let all = smtpd.wait_for(4).await;
    let digest = all
        .iter()
        .find(|m| header(m, "To").is_some_and(|t| t.contains(&ent_email)))
        .expect("the enterprise's digest");
    assert!(
        digest.contains("Notifications of") && digest.contains("开启了对接"),
        "{digest}"
    );
    assert!(
        digest.contains("已通过审核并发布"),
        "its reviewed demand too: {digest}"
    );

    // Never twice: a later sweep sends no second digest; every Message-ID is unique.
    run_sweep(&app).await;
    actix_rt::time::sleep(StdDuration::from_millis(1500)).await;
    let all = smtpd.messages();
    assert_eq!(all.len(), 4, "{all:?}");
    let mut ids: Vec<&str> = all.iter().filter_map(|m| header(m, "Message-ID")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    let d = deliveries(&app).await;
    assert!(d.iter().all(|(s, _, _)| s == "sent"), "{d:?}");
}
