//! The README's tour of the demo is run as printed: every `curl` between the tour markers,
//! against a freshly seeded demo, with the roles' tokens for `$ADMIN`, `$UNI`, ...; the
//! status after each `# →` must be what the README says.

use std::collections::HashMap;

use actix_web::http::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

/// One `curl` of the tour.
#[derive(Debug)]
struct Call {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    expect: u16,
}

/// Splits a shell line into words: `'…'` literally, `"…"` with `\\"` and `$VAR` expanded.
fn words(line: &str, vars: &HashMap<&str, String>) -> Vec<String> {
    let (mut out, mut cur, mut chars) = (Vec::new(), String::new(), line.chars().peekable());
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                cur.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        '$' => {
                            let mut name = String::new();
                            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric())
                            {
                                name.push(n);
                                chars.next();
                            }
                            cur.push_str(vars.get(name.as_str()).map_or("", String::as_str));
                        }
                        c => cur.push(c),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                }
                in_word = false;
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// The URL as curl sends it, its non-ASCII characters percent-encoded for the client.
fn encoded(url: &str) -> String {
    url.chars()
        .map(|c| match c.is_ascii() {
            true => c.to_string(),
            false => c.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
        })
        .collect()
}

fn call(words: &[String], expect: u16) -> Call {
    let mut c = Call {
        method: Method::GET,
        path: String::new(),
        headers: vec![],
        body: None,
        expect,
    };
    let mut explicit = None;
    let mut query: Vec<String> = vec![];
    let mut it = words.iter().skip(1);
    while let Some(w) = it.next() {
        match w.as_str() {
            "-s" | "-G" => {}
            "--data-urlencode" => {
                let pair = it.next().unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                query.push(format!("{k}={}", crate::match_quality::url_encode(v)));
            }
            "-X" => explicit = it.next().map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
            "-H" => {
                let h = it.next().unwrap();
                let (k, v) = h.split_once(':').unwrap();
                c.headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" => c.body = it.next().cloned(),
            url => c.path = encoded(url.trim_start_matches("localhost:8080")),
        }
    }
    if !query.is_empty() {
        let sep = if c.path.contains('?') { '&' } else { '?' };
        c.path = format!("{}{sep}{}", c.path, query.join("&"));
    }
    c.method = explicit.unwrap_or(if c.body.is_some() {
        Method::POST
    } else {
        Method::GET
    });
    c
}

/// The tour's calls, continuation lines joined, each with the status its `# →` names.
fn tour(readme: &str, vars: &HashMap<&str, String>) -> Vec<Call> {
    let start = readme.find("<!-- tour:start -->").expect("tour start");
    let end = readme.find("<!-- tour:end -->").expect("tour end");
    let joined = readme[start..end].replace("\\\n", " ");
    let lines: Vec<&str> = joined.lines().map(str::trim).collect();
    let mut calls = vec![];
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("curl ") {
            let expect = lines[i + 1]
                .strip_prefix("# → ")
                .and_then(|r| r.get(..3))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no `# → status` after {line}"));
            calls.push(call(&words(line, vars), expect));
        }
    }
    calls
}

async fn tokens(app: &TestApp) -> HashMap<&'static str, String> {
    let mut vars = HashMap::new();
    for (var, email) in [
        ("ADMIN", "admin@demo.qcy.example.cn"),
        ("STAT", "statistician@demo.qcy.example.cn"),
        ("UNI", "nwpu@demo.qcy.example.cn"),
        ("ENT", "qinding-cnc@demo.qcy.example.cn"),
        ("BROKER", "qinzhi-transfer@demo.qcy.example.cn"),
    ] {
        let r = app
            .login(email, tt_exchange::tools::seed::DEMO_PASSWORD)
            .await;
        assert_eq!(r.status, 200, "{email}: {}", r.text);
        vars.insert(var, r.body["access_token"].as_str().unwrap().to_owned());
    }
    vars
}

#[actix_rt::test]
async fn the_readme_tour_works_as_printed() {
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    app.sync_search().await;
    let vars = tokens(&app).await;
    let calls = tour(include_str!("../../README.md"), &vars);
    assert!(calls.len() >= 20, "{} calls", calls.len());
    for c in calls {
        let headers: Vec<(&str, &str)> = c
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = c
            .body
            .as_deref()
            .map(|b| serde_json::from_str::<Value>(b).unwrap());
        let r = app
            .request_with_headers(c.method.clone(), &c.path, &headers, None, body.as_ref())
            .await;
        assert_eq!(r.status, c.expect, "{} {}: {}", c.method, c.path, r.text);
    }
}
