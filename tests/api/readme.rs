//! Every `curl` in the README's `sh` blocks is run as printed: the blocks in README order
//! against one freshly seeded demo (the roles' tokens as `$ADMIN`, `$UNI`, ...), except a
//! block under `<!-- readme: fresh exchange -->`, which runs on an empty exchange. After each
//! `curl` comes `# → STATUS`, optionally followed by the JSON the answer contains, where
//! `...` stands for any value or for more members: both are checked. Tokens in an answer
//! become `$ACCESS_TOKEN` and `$REFRESH_TOKEN`, as a reader copies them.

use std::collections::HashMap;

use actix_web::http::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

mod pattern;
mod shell;

use pattern::Pattern;

const README: &str = include_str!("../../README.md");
const FRESH: &str = "<!-- readme: fresh exchange -->";

/// One `sh` block of the README.
struct Block {
    fresh: bool,
    text: String,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut out = vec![];
    let mut rest = readme;
    while let Some(at) = rest.find("```sh\n") {
        let fresh = rest[..at].trim_end().ends_with(FRESH);
        let body = &rest[at + 6..];
        let end = body.find("```").expect("unclosed sh block");
        out.push(Block {
            fresh,
            text: body[..end].to_owned(),
        });
        rest = &body[end..];
    }
    out
}

/// A `curl` as printed, and what the README says it answers.
struct Example {
    command: String,
    status: u16,
    pattern: Option<Pattern>,
}

/// The examples of a block: each line starting with `curl` up to its end, then its `# →`.
fn examples(block: &str) -> Vec<Example> {
    let mut out = vec![];
    let mut at = 0;
    while at < block.len() {
        let line_end = block[at..].find('\n').map_or(block.len(), |n| at + n + 1);
        if block[at..].starts_with("curl ") {
            let end = at + shell::command_len(&block[at..]);
            let (status, pattern) = expectation(&block[end..])
                .unwrap_or_else(|| panic!("no `# → STATUS` after {}", &block[at..end]));
            out.push(Example {
                command: block[at..end].to_owned(),
                status,
                pattern,
            });
            at = end;
        } else {
            at = line_end;
        }
    }
    out
}

/// `# → 201 {...}` on the line after a command; the JSON may continue on `#` lines.
fn expectation(after: &str) -> Option<(u16, Option<Pattern>)> {
    let mut lines = after.trim_start_matches('\n').lines();
    let rest = lines.next()?.trim().strip_prefix("# → ")?;
    let status = rest.get(..3)?.parse().ok()?;
    let json = rest[3..].trim_start();
    if !json.starts_with('{') {
        return Some((status, None));
    }
    let mut text = json.to_owned();
    for more in lines.map_while(|l| l.trim().strip_prefix('#')) {
        if pattern::balanced(&text) {
            break;
        }
        text.push(' ');
        text.push_str(more.trim());
    }
    let parsed = Pattern::parse(&text).unwrap_or_else(|e| panic!("README pattern {text}: {e}"));
    Some((status, Some(parsed)))
}

/// The roles' tokens, signed in by the tour's own `login` shell function and `ROLE=$(login …)`
/// lines, run by bash and curl against the test server (by the API when curl is missing).
async fn demo_tokens(app: &TestApp) -> HashMap<String, String> {
    let start = README.find("login() {").expect("the tour's login function");
    let end = start
        + README[start..]
            .find("```")
            .expect("end of the tour's block");
    let lines: Vec<&str> = README[start..end].lines().collect();
    let roles: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("=$(login ").map(|(role, _)| role))
        .collect();
    assert_eq!(roles, ["ADMIN", "STAT", "UNI", "ENT", "BROKER"]);
    let script = format!(
        "{}\n{}",
        README[start..end].replace("localhost:8080", &app.address),
        roles
            .iter()
            .map(|r| format!("echo \"{r}=${r}\""))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let vars = match std::process::Command::new("curl").arg("--version").output() {
        Ok(_) => shell_tokens(script).await,
        Err(_) => api_tokens(app, &lines).await,
    };
    for (role, token) in &vars {
        let me = app.get("/api/v1/me", Some(token)).await;
        assert_eq!(
            me.status, 200,
            "${role} from the README's login: {}",
            me.text
        );
    }
    vars
}

async fn shell_tokens(script: String) -> HashMap<String, String> {
    let out = actix_web::web::block(move || {
        std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
    })
    .await
    .unwrap()
    .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn api_tokens(app: &TestApp, lines: &[&str]) -> HashMap<String, String> {
    eprintln!("curl not found: the tour's login lines are run through the API instead");
    let mut vars = HashMap::new();
    for line in lines {
        let Some((role, rest)) = line.split_once("=$(login ") else {
            continue;
        };
        let email = rest.split(')').next().unwrap_or_default();
        let r = app
            .login(email, tt_exchange::tools::seed::DEMO_PASSWORD)
            .await;
        assert_eq!(r.status, 200, "{email}: {}", r.text);
        let token = r.body["access_token"].as_str().unwrap().to_owned();
        vars.insert(role.to_owned(), token);
    }
    vars
}

/// Runs one example and checks its status and printed JSON; keeps tokens it answers.
async fn run(app: &TestApp, example: &Example, vars: &mut HashMap<String, String>) {
    let call = shell::curl(&example.command, vars);
    let headers: Vec<(&str, &str)> = call
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = call.body.as_deref().map(|b| {
        serde_json::from_str::<Value>(b).unwrap_or_else(|e| panic!("README body {b}: {e}"))
    });
    let r = match &call.form {
        // A file upload, as curl sends it: multipart/form-data with one `file` part.
        Some((path, name)) => {
            let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
                .unwrap_or_else(|e| panic!("README file {path}: {e}"));
            let token = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, v)| v.strip_prefix("Bearer "));
            let body = crate::files::multipart(name, &bytes);
            let ct = crate::files::content_type();
            app.raw(call.method.clone(), &call.path, token, Some(&ct), body)
                .await
        }
        None => {
            app.request_with_headers(
                call.method.clone(),
                &call.path,
                &headers,
                None,
                body.as_ref(),
            )
            .await
        }
    };
    let what = format!("{} {}", call.method, call.path);
    assert_eq!(r.status, example.status, "{what}: {}", r.text);
    if let Some(p) = &example.pattern
        && let Err(e) = p.matches(&r.body)
    {
        panic!(
            "{what}: the README says {p:?}, the answer differs at {e}: {}",
            r.text
        );
    }
    for (member, var) in [
        ("access_token", "ACCESS_TOKEN"),
        ("refresh_token", "REFRESH_TOKEN"),
    ] {
        if let Some(token) = r.body[member].as_str() {
            vars.insert(var.to_owned(), token.to_owned());
        }
    }
    if call.method != Method::GET {
        app.sync_search().await;
    }
}

#[actix_rt::test]
async fn every_readme_example_works_as_printed() {
    let all = blocks(README);
    let (fresh, demo): (Vec<_>, Vec<_>) = all.iter().partition(|b| b.fresh);
    assert!(
        !fresh.is_empty() && demo.len() >= 10,
        "README blocks not found"
    );

    let app = spawn_app().await;
    let mut vars = HashMap::new();
    for example in fresh.iter().flat_map(|b| examples(&b.text)) {
        run(&app, &example, &mut vars).await;
    }

    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    app.sync_search().await;
    let mut vars = demo_tokens(&app).await;
    let mut count = 0;
    for example in demo.iter().flat_map(|b| examples(&b.text)) {
        run(&app, &example, &mut vars).await;
        count += 1;
    }
    assert!(count >= 50, "only {count} README examples on the demo");
}

#[test]
fn a_curl_without_its_status_is_refused() {
    let block = "curl -s localhost:8080/api/v1/me\n# nothing said\n";
    assert!(std::panic::catch_unwind(|| examples(block)).is_err());
    let block = "curl -s localhost:8080/api/v1/me \\\n  -H 'a: b'\n# → 401 {\"code\": ...}\n";
    let found = examples(block);
    assert_eq!((found.len(), found[0].status), (1, 401));
}
