//! The spec is the contract: every operation of `openapi.yaml` is driven with a valid
//! request (which must succeed) and with requests generated from its request schema and
//! parameters to be invalid (which must be refused with a 4xx), and every answer is checked
//! against the spec: the status is documented for the operation and a JSON body validates
//! against the documented schema.

use std::collections::{BTreeMap, BTreeSet};

use awc::http::Method;
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{Account, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

struct Spec {
    root: Value,
}

impl Spec {
    fn load() -> Spec {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
            .expect("openapi.yaml");
        Spec {
            root: serde_yaml_ng::from_str(&text).expect("openapi.yaml parses"),
        }
    }

    /// Follows `$ref`s to the object they name.
    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let mut target = &self.root;
            for part in r.trim_start_matches("#/").split('/') {
                target = &target[part];
            }
            assert!(!target.is_null(), "dangling $ref {r}");
            v = target;
        }
        v
    }

    fn operation(&self, method: &str, template: &str) -> &Value {
        let op = &self.root["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not in openapi.yaml");
        op
    }

    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.root["paths"].as_object().expect("paths") {
            for m in METHODS {
                if item.get(m).is_some() {
                    out.insert((m.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    /// The JSON schema of the request body, if the operation takes one.
    fn request_schema(&self, method: &str, template: &str) -> Option<&Value> {
        let body = self.operation(method, template).get("requestBody")?;
        let schema = &self.resolve(body)["content"]["application/json"]["schema"];
        (!schema.is_null()).then_some(schema)
    }

    /// Checks an answer: documented status, and a JSON body valid against its schema.
    fn check(&self, method: &str, template: &str, r: &Resp) -> Result<(), String> {
        let op = self.operation(method, template);
        let documented = &op["responses"][r.status.to_string()];
        if documented.is_null() {
            return Err(format!(
                "{method} {template}: status {} is not documented; body {}",
                r.status, r.text
            ));
        }
        let response = self.resolve(documented);
        self.check_headers(method, template, response, r)?;
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Ok(());
        };
        let Some(media) = content.get("application/json") else {
            return Ok(()); // CSV, XLSX, YAML, Prometheus text: not JSON.
        };
        if !r
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
        {
            // Several media types documented: the JSON one applies only to JSON answers.
            return if content.len() > 1 {
                Ok(())
            } else {
                Err(format!(
                    "{method} {template}: {} answered without a JSON content type",
                    r.status
                ))
            };
        }
        let mut errors = Vec::new();
        self.validate(&media["schema"], &r.body, "$", false, &mut errors);
        match errors.is_empty() {
            true => Ok(()),
            false => Err(format!(
                "{method} {template} {}: body does not match the spec:\n  {}\nbody: {}",
                r.status,
                errors.join("\n  "),
                r.text
            )),
        }
    }

    /// Every header the response documents as required is sent, with a value of its
    /// `enum` if it has one (`Content-Language` of errors, `Retry-After` of 429s).
    fn check_headers(
        &self,
        method: &str,
        template: &str,
        response: &Value,
        r: &Resp,
    ) -> Result<(), String> {
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return Ok(());
        };
        for (name, header) in headers {
            let header = self.resolve(header);
            if header.get("required") != Some(&Value::Bool(true)) {
                continue;
            }
            let Some(value) = r.header(name) else {
                return Err(format!(
                    "{method} {template} {}: required header {name} is missing",
                    r.status
                ));
            };
            if let Some(allowed) = header["schema"].get("enum").and_then(Value::as_array)
                && !allowed.contains(&Value::String(value.clone()))
            {
                return Err(format!(
                    "{method} {template} {}: {name}: {value} is not one of {allowed:?}",
                    r.status
                ));
            }
        }
        Ok(())
    }

    /// A JSON Schema (the subset openapi.yaml uses) check of `v`; `composed` is set under
    /// `allOf`, where `additionalProperties: false` of one part cannot judge the whole.
    fn validate(
        &self,
        schema: &Value,
        v: &Value,
        at: &str,
        composed: bool,
        errs: &mut Vec<String>,
    ) {
        let s = self.resolve(schema);
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.validate(part, v, at, true, errs);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(any) = s.get(key).and_then(Value::as_array) {
                let fits = any.iter().any(|part| {
                    let mut e = Vec::new();
                    self.validate(part, v, at, composed, &mut e);
                    e.is_empty()
                });
                if !fits {
                    errs.push(format!("{at}: fits none of {key}"));
                }
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let kind_ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                _ => false,
            });
            if !kind_ok {
                errs.push(format!("{at}: expected {types:?}, got {v}"));
                return;
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} is not one of {e:?}"));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            errs.push(format!("{at}: {v} is not {c}"));
        }
        match v {
            Value::Object(map) => {
                if let Some(req) = s.get("required").and_then(Value::as_array) {
                    for k in req.iter().filter_map(Value::as_str) {
                        if !map.contains_key(k) {
                            errs.push(format!("{at}: required `{k}` is missing"));
                        }
                    }
                }
                let props = s.get("properties").and_then(Value::as_object);
                for (k, value) in map {
                    match props.and_then(|p| p.get(k)) {
                        Some(p) => self.validate(p, value, &format!("{at}.{k}"), false, errs),
                        None => match s.get("additionalProperties") {
                            Some(Value::Bool(false)) if !composed => {
                                errs.push(format!("{at}: `{k}` is not in the schema"))
                            }
                            Some(extra @ Value::Object(_)) => {
                                self.validate(extra, value, &format!("{at}.{k}"), false, errs)
                            }
                            _ => {}
                        },
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.validate(item, x, &format!("{at}[{i}]"), false, errs);
                    }
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                    && items.len() as u64 > max
                {
                    errs.push(format!("{at}: more than {max} items"));
                }
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    errs.push(format!("{at}: fewer than {min} items"));
                }
            }
            Value::String(text) => {
                let len = text.chars().count() as u64;
                if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                    && len > max
                {
                    errs.push(format!("{at}: longer than {max}"));
                }
                if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                    && len < min
                {
                    errs.push(format!("{at}: shorter than {min}"));
                }
                match s.get("format").and_then(Value::as_str) {
                    Some("date") if text.parse::<chrono::NaiveDate>().is_err() => {
                        errs.push(format!("{at}: {text:?} is not a date"))
                    }
                    Some("date-time") if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
                        errs.push(format!("{at}: {text:?} is not an RFC 3339 date-time"))
                    }
                    _ => {}
                }
            }
            Value::Number(n) => {
                if let (Some(min), Some(x)) = (s.get("minimum").and_then(Value::as_f64), n.as_f64())
                    && x < min
                {
                    errs.push(format!("{at}: {x} below the minimum {min}"));
                }
                if let (Some(max), Some(x)) = (s.get("maximum").and_then(Value::as_f64), n.as_f64())
                    && x > max
                {
                    errs.push(format!("{at}: {x} above the maximum {max}"));
                }
            }
            _ => {}
        }
    }
}

/// One valid request that succeeded, kept to derive invalid ones from.
struct Sent {
    concrete: String,
    token: Option<String>,
    body: Option<Value>,
}

struct Driver<'a> {
    app: &'a TestApp,
    spec: Spec,
    /// Operations answered with a 2xx, with the request that did it.
    ok: BTreeMap<(String, String), Sent>,
    checked: usize,
    failures: Vec<String>,
}

impl Driver<'_> {
    /// Sends a request that must succeed, and checks the answer against the spec.
    async fn ok(
        &mut self,
        method: Method,
        template: &str,
        concrete: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let r = self
            .app
            .request(method.clone(), concrete, token, body.as_ref())
            .await;
        self.checked += 1;
        assert!(
            (200..300).contains(&r.status),
            "{method} {concrete} should succeed: {} {}",
            r.status,
            r.text
        );
        if let Err(e) = self.spec.check(method.as_str(), template, &r) {
            self.failures.push(e);
        }
        self.ok
            .entry((method.to_string(), template.to_owned()))
            .or_insert(Sent {
                concrete: concrete.to_owned(),
                token: token.map(str::to_owned),
                body,
            });
        r
    }

    /// Records a 2xx answer to a request sent otherwise than as JSON (multipart, ranges)
    /// and checks it against the spec.
    fn ok_sent(
        &mut self,
        method: Method,
        template: &str,
        concrete: &str,
        token: Option<&str>,
        r: &Resp,
    ) {
        self.checked += 1;
        assert!(
            (200..300).contains(&r.status),
            "{method} {concrete} should succeed: {} {}",
            r.status,
            r.text
        );
        if let Err(e) = self.spec.check(method.as_str(), template, r) {
            self.failures.push(e);
        }
        self.ok
            .entry((method.to_string(), template.to_owned()))
            .or_insert(Sent {
                concrete: concrete.to_owned(),
                token: token.map(str::to_owned),
                body: None,
            });
    }

    /// Sends a request that must be refused with a 4xx, and checks the answer.
    async fn refused(&mut self, method: &str, template: &str, r: Resp, what: &str) {
        self.checked += 1;
        if !(400..500).contains(&r.status) {
            self.failures.push(format!(
                "{method} {template} with {what}: expected a 4xx, got {} {}",
                r.status, r.text
            ));
            return;
        }
        if let Err(e) = self.spec.check(method, template, &r) {
            self.failures.push(format!("({what}) {e}"));
        }
    }
}

/// A value of another JSON type than `v`.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => json!(12345),
        Value::Number(_) => json!("not a number"),
        Value::Bool(_) => json!("yes"),
        Value::Array(_) => json!("not a list"),
        Value::Object(_) => json!(17),
        Value::Null => json!([1, 2]),
    }
}

/// Requests derived from a valid one to be invalid: each required property missing,
/// each present property of the wrong type, an unknown property, broken JSON, the body
/// sent as `text/plain` (415), and a path id that is not an integer.
async fn refuse_generated(d: &mut Driver<'_>, method: &str, template: &str) {
    let Some(sent) = d.ok.get(&(method.to_owned(), template.to_owned())) else {
        return;
    };
    let (concrete, token, body) = (sent.concrete.clone(), sent.token.clone(), sent.body.clone());
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let app = d.app;
    let schema = d.spec.request_schema(method, template).cloned();
    if let (Some(schema), Some(Value::Object(valid))) = (schema, body) {
        let schema = d.spec.resolve(&schema).clone();
        let required: Vec<String> = schema["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for k in &required {
            let mut b = valid.clone();
            b.remove(k);
            let r = app
                .request(
                    m.clone(),
                    &concrete,
                    token.as_deref(),
                    Some(&Value::Object(b)),
                )
                .await;
            d.refused(method, template, r, &format!("`{k}` missing"))
                .await;
        }
        for (k, v) in &valid {
            let mut b = valid.clone();
            b.insert(k.clone(), wrong_type(v));
            let r = app
                .request(
                    m.clone(),
                    &concrete,
                    token.as_deref(),
                    Some(&Value::Object(b)),
                )
                .await;
            d.refused(method, template, r, &format!("`{k}` of the wrong type"))
                .await;
        }
        let mut b = valid.clone();
        b.insert("zz_unknown_field".into(), json!(1));
        let r = app
            .request(
                m.clone(),
                &concrete,
                token.as_deref(),
                Some(&Value::Object(b)),
            )
            .await;
        d.refused(method, template, r, "an unknown field").await;
        let r = app
            .raw(
                m.clone(),
                &concrete,
                token.as_deref(),
                Some("application/json"),
                b"{\"broken".to_vec(),
            )
            .await;
        d.refused(method, template, r, "broken JSON").await;
        let r = app
            .raw(
                m.clone(),
                &concrete,
                token.as_deref(),
                Some("text/plain"),
                Value::Object(valid.clone()).to_string().into_bytes(),
            )
            .await;
        d.refused(method, template, r, "a text/plain body").await;
    }
    // Path ids that are not integers.
    if template.contains('{') && !template.contains("{year}") {
        let bad: String = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "abc" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let body = d.ok[&(method.to_owned(), template.to_owned())].body.clone();
        let r = app
            .request(m.clone(), &bad, token.as_deref(), body.as_ref())
            .await;
        d.refused(method, template, r, "a non-integer path id")
            .await;
    }
    // Integer, boolean and enum query parameters with values that are none of those.
    let params = d.spec.operation(method, template)["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for p in params {
        let p = d.spec.resolve(&p).clone();
        if p["in"] != "query" {
            continue;
        }
        let schema = d.spec.resolve(&p["schema"]).clone();
        let typed = matches!(schema["type"].as_str(), Some("integer" | "boolean"))
            || schema.get("enum").is_some();
        if !typed {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default();
        let sep = if concrete.contains('?') { '&' } else { '?' };
        let path = format!("{concrete}{sep}{name}=zz%27%20OR%201%3D1");
        let r = app.request(m.clone(), &path, token.as_deref(), None).await;
        d.refused(method, template, r, &format!("query `{name}` garbage"))
            .await;
    }
}

/// Files: upload (multipart), download whole and in part, the thumbnail, attach, list,
/// detach (`uni` owns the published achievement `a1`).
async fn files_operations(d: &mut Driver<'_>, uni: &str, a1: i64) {
    use Method as M;
    let png = crate::files::png(64, 40);
    let r = crate::files::upload(d.app, Some(uni), "样机照片.png", &png).await;
    d.ok_sent(M::POST, "/api/v1/files", "/api/v1/files", Some(uni), &r);
    let f = r.body["id"].as_i64().unwrap();
    let r = d
        .ok(
            M::POST,
            "/api/v1/attachments",
            "/api/v1/attachments",
            Some(uni),
            Some(json!({"parent": "achievement", "parent_id": a1, "slot": "image", "file_id": f})),
        )
        .await;
    let file = format!("/api/v1/files/{f}");
    d.ok(M::GET, "/api/v1/files/{id}", &file, None, None).await;
    let part = d
        .app
        .request_with_headers(M::GET, &file, &[("Range", "bytes=0-9")], Some(uni), None)
        .await;
    assert_eq!(part.status, 206);
    d.ok_sent(M::GET, "/api/v1/files/{id}", &file, Some(uni), &part);
    d.ok(
        M::GET,
        "/api/v1/files/{id}/thumbnail",
        &format!("{file}/thumbnail"),
        Some(uni),
        None,
    )
    .await;
    let attachment = r.body["id"].as_i64().unwrap();
    d.ok(
        M::GET,
        "/api/v1/attachments",
        &format!("/api/v1/attachments?parent=achievement&parent_id={a1}"),
        None,
        None,
    )
    .await;
    d.ok(
        M::DELETE,
        "/api/v1/attachments/{id}",
        &format!("/api/v1/attachments/{attachment}"),
        Some(uni),
        None,
    )
    .await;
}

/// The people operations: the admins' user list and changes, a user's own profile and
/// password, an org's applications, an achievement's engagements (`a1` has a deal and an
/// application naming it, `uni` owns it).
async fn people_operations(d: &mut Driver<'_>, admin: &str, uni: &str, a1: i64) {
    use Method as M;
    let app = d.app;
    d.ok(
        M::GET,
        "/api/v1/users",
        "/api/v1/users?role=university&active=true",
        Some(admin),
        None,
    )
    .await;
    let (leaver, _) = app.registered(&Account::broker()).await;
    d.ok(
        M::PATCH,
        "/api/v1/users/{id}",
        &format!("/api/v1/users/{leaver}"),
        Some(admin),
        Some(json!({"is_active": false})),
    )
    .await;
    let (me, _) = crate::listings::member(app, Account::enterprise(), true, admin).await;
    d.ok(
        M::PATCH,
        "/api/v1/me",
        "/api/v1/me",
        Some(&me),
        Some(json!({"name": "李晓东"})),
    )
    .await;
    let change = json!({"current_password": crate::helpers::PASSWORD, "new_password": "渭河北岸-量子通信-2027"});
    d.ok(
        M::POST,
        "/api/v1/me/password",
        "/api/v1/me/password",
        Some(&me),
        Some(change),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/me/applications",
        "/api/v1/me/applications",
        Some(uni),
        None,
    )
    .await;
    let r = d
        .ok(
            M::GET,
            "/api/v1/achievements/{id}/engagements",
            &format!("/api/v1/achievements/{a1}/engagements"),
            Some(uni),
            None,
        )
        .await;
    assert_eq!(r.body["deals"]["total"], 1, "{}", r.text);
    assert_eq!(r.body["applications"]["total"], 1, "{}", r.text);
}

/// The inbox and notification settings of `uni`, whose achievements were reviewed (so
/// its inbox has notifications once the worker ran).
async fn notification_operations(d: &mut Driver<'_>, uni: &str) {
    use Method as M;
    let first = crate::notifications::wait_for(d.app, uni, "listing_reviewed").await;
    d.ok(
        M::GET,
        "/api/v1/me/notifications",
        "/api/v1/me/notifications?kind=listing_reviewed&unread=true&per_page=5",
        Some(uni),
        None,
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/me/notifications/read",
        "/api/v1/me/notifications/read",
        Some(uni),
        Some(json!({"ids": [first["id"]]})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/me/notification-settings",
        "/api/v1/me/notification-settings",
        Some(uni),
        None,
    )
    .await;
    d.ok(
        M::PUT,
        "/api/v1/me/notification-settings",
        "/api/v1/me/notification-settings",
        Some(uni),
        Some(json!({"settings": [{"kind": "deal_opened", "mode": "email"}]})),
    )
    .await;
}

/// `uni`'s saved searches: created, listed, deleted.
async fn saved_search_operations(d: &mut Driver<'_>, uni: &str) {
    use Method as M;
    let r = d
        .ok(
            M::POST,
            "/api/v1/me/saved-searches",
            "/api/v1/me/saved-searches",
            Some(uni),
            Some(json!({"kind": "demands", "name": "热误差需求",
                        "params": {"q": "热误差", "chain": ["machine_tools"], "budget_min_fen": 1_000_000}})),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    d.ok(
        M::PATCH,
        "/api/v1/me/saved-searches/{id}",
        &format!("/api/v1/me/saved-searches/{id}"),
        Some(uni),
        Some(json!({"name": "热误差需求（每日）", "alert": "daily"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/me/saved-searches",
        "/api/v1/me/saved-searches",
        Some(uni),
        None,
    )
    .await;
    d.ok(
        M::DELETE,
        "/api/v1/me/saved-searches/{id}",
        &format!("/api/v1/me/saved-searches/{id}"),
        Some(uni),
        None,
    )
    .await;
}

/// `ent` bookmarks `uni`'s published achievement; `uni` reads the count.
async fn bookmark_operations(d: &mut Driver<'_>, admin: &str, uni: &str) {
    use Method as M;
    let a =
        crate::listings::published(d.app, "achievements", uni, admin, &achievement_body()).await;
    let (ent, _) = crate::listings::member(d.app, Account::enterprise(), true, admin).await;
    let path = format!("/api/v1/me/bookmarks/achievements/{a}");
    d.ok(
        M::PUT,
        "/api/v1/me/bookmarks/{kind}/{id}",
        &path,
        Some(&ent),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/me/bookmarks",
        "/api/v1/me/bookmarks?page=1&per_page=10",
        Some(&ent),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/achievements/{id}/stats",
        &format!("/api/v1/achievements/{a}/stats"),
        Some(uni),
        None,
    )
    .await;
    d.ok(
        M::DELETE,
        "/api/v1/me/bookmarks/{kind}/{id}",
        &path,
        Some(&ent),
        None,
    )
    .await;
    let r = d
        .ok(
            M::POST,
            "/api/v1/achievements/{id}/inquiries",
            &format!("/api/v1/achievements/{a}/inquiries"),
            Some(&ent),
            Some(json!({"body": "请问是否支持普通许可？"})),
        )
        .await;
    let inquiry = r.body["id"].as_i64().unwrap();
    let thread = format!("/api/v1/inquiries/{inquiry}/messages");
    d.ok(
        M::POST,
        "/api/v1/inquiries/{id}/messages",
        &thread,
        Some(uni),
        Some(json!({"body": "支持。"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/inquiries/{id}/messages",
        &format!("{thread}?page=1&per_page=5"),
        Some(&ent),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/me/inquiries",
        "/api/v1/me/inquiries?per_page=5",
        Some(uni),
        None,
    )
    .await;
    let dm = crate::listings::published(
        d.app,
        "demands",
        &ent,
        admin,
        &crate::listings::demand_body(),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/demands/{id}/inquiries",
        &format!("/api/v1/demands/{dm}/inquiries"),
        Some(uni),
        Some(json!({"body": "我们有相关成果，可以交流吗？"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/demands/{id}/stats",
        &format!("/api/v1/demands/{dm}/stats"),
        Some(&ent),
        None,
    )
    .await;
}

/// Offerings (挂牌, 拍卖) and publicity (公示) of `uni`'s new achievement.
async fn pricing_operations(d: &mut Driver<'_>, admin: &str, uni: &str) {
    use Method as M;
    let app = d.app;
    let a = crate::listings::published(app, "achievements", uni, admin, &achievement_body()).await;
    let (ent, ent_org) = crate::listings::member(app, Account::enterprise(), true, admin).await;
    let (other, _) = crate::listings::member(app, Account::enterprise(), true, admin).await;
    let closes = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let r = d
        .ok(
            M::POST,
            "/api/v1/achievements/{id}/offerings",
            &format!("/api/v1/achievements/{a}/offerings"),
            Some(uni),
            Some(json!({"mode": "auction", "transfer_mode": "licensing", "reserve_price_fen": 1_000_000,
                        "increment_fen": 50_000, "closes_at": closes, "terms": "普通许可"})),
        )
        .await;
    let o = r.body["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/offerings/{id}/bids",
        &format!("/api/v1/offerings/{o}/bids"),
        Some(&ent),
        Some(json!({"amount_fen": 1_000_000})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/offerings",
        "/api/v1/offerings?mode=auction&status=open&chain=machine_tools&closing_within_hours=2",
        None,
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/offerings/{id}",
        &format!("/api/v1/offerings/{o}"),
        Some(uni),
        None,
    )
    .await;
    let r = d
        .ok(
            M::POST,
            "/api/v1/achievements/{id}/publicity",
            &format!("/api/v1/achievements/{a}/publicity"),
            Some(uni),
            Some(json!({"buyer_org_id": ent_org, "price_fen": 80_000_000, "transfer_mode": "licensing", "days": 15})),
        )
        .await;
    let p = r.body["id"].as_i64().unwrap();
    let r = d
        .ok(
            M::POST,
            "/api/v1/publicity/{id}/objections",
            &format!("/api/v1/publicity/{p}/objections"),
            Some(&other),
            Some(json!({"reason": "价格偏低"})),
        )
        .await;
    let objection = r.body["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/objections/{id}/answer",
        &format!("/api/v1/objections/{objection}/answer"),
        Some(uni),
        Some(json!({"answer": "已有第三方评估报告"})),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/objections/{id}/close",
        &format!("/api/v1/objections/{objection}/close"),
        Some(admin),
        Some(json!({"resolution": "异议不成立"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/publicity",
        "/api/v1/publicity?status=running",
        None,
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/publicity/{id}",
        &format!("/api/v1/publicity/{p}"),
        Some(uni),
        None,
    )
    .await;
}

#[actix_rt::test]
async fn every_operation_answers_as_the_spec_says() {
    let app = spawn_app().await;
    let mut d = Driver {
        app: &app,
        spec: Spec::load(),
        ok: BTreeMap::new(),
        checked: 0,
        failures: Vec::new(),
    };
    use Method as M;
    let admin = app.admin_token().await;
    let year = Utc::now().year();
    let today = Utc::now().date_naive();

    // System.
    for p in [
        "/health",
        "/ready",
        "/metrics",
        "/openapi.yaml",
        "/dashboard",
        "/dashboard/app.js",
        "/dashboard/app.css",
        "/api/v1/taxonomy",
        "/api/v1/errors",
    ] {
        d.ok(M::GET, p, p, None, None).await;
    }

    // Accounts and auth.
    let uni_account = Account::university();
    let r = d
        .ok(
            M::POST,
            "/api/v1/auth/register",
            "/api/v1/auth/register",
            None,
            Some(uni_account.json()),
        )
        .await;
    let uni_org = r.body["org"]["id"].as_i64().unwrap();
    let login = json!({"email": uni_account.email, "password": uni_account.password});
    let r = d
        .ok(
            M::POST,
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            None,
            Some(login),
        )
        .await;
    let refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let r = d
        .ok(
            M::POST,
            "/api/v1/auth/refresh",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    let refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let uni = r.body["access_token"].as_str().unwrap().to_owned();
    d.ok(M::GET, "/api/v1/me", "/api/v1/me", Some(&uni), None)
        .await;
    let statistician = json!({"email": "tongji@qcy.example.cn", "password": crate::helpers::PASSWORD, "name": "统计员", "role": "statistician"});
    d.ok(
        M::POST,
        "/api/v1/users",
        "/api/v1/users",
        Some(&admin),
        Some(statistician),
    )
    .await;
    let stat = app.token("tongji@qcy.example.cn").await;
    d.ok(
        M::GET,
        "/api/v1/orgs",
        "/api/v1/orgs?verified=false",
        Some(&admin),
        None,
    )
    .await;
    let org_path = format!("/api/v1/orgs/{uni_org}");
    d.ok(M::GET, "/api/v1/orgs/{id}", &org_path, None, None)
        .await;
    d.ok(
        M::POST,
        "/api/v1/orgs/{id}/verify",
        &format!("{org_path}/verify"),
        Some(&admin),
        Some(json!({})),
    )
    .await;
    let inv = json!({"email": "colleague@nwpu.edu.cn", "role": "university"});
    d.ok(
        M::POST,
        "/api/v1/orgs/{id}/invitations",
        &format!("{org_path}/invitations"),
        Some(&uni),
        Some(inv),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/orgs/{id}/invitations",
        &format!("{org_path}/invitations"),
        Some(&uni),
        None,
    )
    .await;
    let (ent, ent_org) = crate::listings::member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = crate::listings::member(&app, Account::broker(), true, &admin).await;

    // Achievements.
    let r = d
        .ok(
            M::POST,
            "/api/v1/achievements",
            "/api/v1/achievements",
            Some(&uni),
            Some(achievement_body()),
        )
        .await;
    let a1 = r.body["id"].as_i64().unwrap();
    let a = format!("/api/v1/achievements/{a1}");
    d.ok(M::GET, "/api/v1/achievements/{id}", &a, Some(&uni), None)
        .await;
    d.ok(
        M::PATCH,
        "/api/v1/achievements/{id}",
        &a,
        Some(&uni),
        Some(json!({"title": "数控机床主轴热误差建模与补偿技术"})),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/achievements/{id}/submit",
        &format!("{a}/submit"),
        Some(&uni),
        Some(json!({})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/review/achievements",
        "/api/v1/review/achievements",
        Some(&admin),
        None,
    )
    .await;
    let approve = json!({"decision": "approve", "comment": "材料齐全"});
    d.ok(
        M::POST,
        "/api/v1/achievements/{id}/review",
        &format!("{a}/review"),
        Some(&admin),
        Some(approve.clone()),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/orgs/{id}/achievements",
        &format!("{org_path}/achievements"),
        Some(&uni),
        None,
    )
    .await;
    let r = d
        .app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await;
    let draft = r.body["id"].as_i64().unwrap();
    d.ok(
        M::DELETE,
        "/api/v1/achievements/{id}",
        &format!("/api/v1/achievements/{draft}"),
        Some(&uni),
        None,
    )
    .await;
    let a2 =
        crate::listings::published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    d.ok(
        M::POST,
        "/api/v1/achievements/{id}/withdraw",
        &format!("/api/v1/achievements/{a2}/withdraw"),
        Some(&uni),
        Some(json!({})),
    )
    .await;

    // Demands, one of them an open challenge.
    let mut challenge = demand_body();
    challenge["challenge"] = json!({"bounty_fen": 500_000_000i64, "apply_by": (today + Duration::days(20)).to_string(), "criteria": "现场验证"});
    let r = d
        .ok(
            M::POST,
            "/api/v1/demands",
            "/api/v1/demands",
            Some(&ent),
            Some(challenge),
        )
        .await;
    let d1 = r.body["id"].as_i64().unwrap();
    let dp = format!("/api/v1/demands/{d1}");
    d.ok(M::GET, "/api/v1/demands/{id}", &dp, Some(&ent), None)
        .await;
    d.ok(
        M::PATCH,
        "/api/v1/demands/{id}",
        &dp,
        Some(&ent),
        Some(json!({"indicators": "热漂移≤8微米"})),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/demands/{id}/submit",
        &format!("{dp}/submit"),
        Some(&ent),
        Some(json!({})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/review/demands",
        "/api/v1/review/demands",
        Some(&admin),
        None,
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/demands/{id}/review",
        &format!("{dp}/review"),
        Some(&admin),
        Some(approve.clone()),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/orgs/{id}/demands",
        &format!("/api/v1/orgs/{ent_org}/demands"),
        None,
        None,
    )
    .await;
    let r = d
        .app
        .post("/api/v1/demands", Some(&ent), &demand_body())
        .await;
    let draft = r.body["id"].as_i64().unwrap();
    d.ok(
        M::DELETE,
        "/api/v1/demands/{id}",
        &format!("/api/v1/demands/{draft}"),
        Some(&ent),
        None,
    )
    .await;
    let d2 = crate::listings::published(&app, "demands", &ent, &admin, &demand_body()).await;
    let d3 = crate::listings::published(&app, "demands", &ent, &admin, &demand_body()).await;
    d.ok(
        M::POST,
        "/api/v1/demands/{id}/close",
        &format!("/api/v1/demands/{d3}/close"),
        Some(&ent),
        Some(json!({})),
    )
    .await;

    // Search, pool, matches.
    app.sync_search().await;
    d.ok(
        M::GET,
        "/api/v1/achievements",
        "/api/v1/achievements?q=%E7%83%AD%E8%AF%AF%E5%B7%AE&chain=machine_tools&sort=newest",
        None,
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/demands",
        "/api/v1/demands?challenge=true",
        None,
        None,
    )
    .await;
    let entry = format!("/api/v1/pool/{year}/entries/{a1}");
    d.ok(
        M::PUT,
        "/api/v1/pool/{year}/entries/{achievement_id}",
        &entry,
        Some(&admin),
        Some(json!({"key_project": true, "note": "重点支持"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/pool/{year}",
        &format!("/api/v1/pool/{year}"),
        None,
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/admin/search",
        "/api/v1/admin/search",
        Some(&admin),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/demands/{id}/matches",
        &format!("/api/v1/demands/{d2}/matches?limit=5"),
        Some(&broker),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/achievements/{id}/matches",
        &format!("{a}/matches?limit=5"),
        Some(&uni),
        None,
    )
    .await;

    // The challenge.
    let application = json!({"proposal": "LSTM热误差预测与补偿", "achievement_id": a1, "team": [{"name": "张伟", "title": "教授"}], "budget_fen": 100_000_000i64});
    let r = d
        .ok(
            M::POST,
            "/api/v1/demands/{id}/applications",
            &format!("{dp}/applications"),
            Some(&uni),
            Some(application),
        )
        .await;
    let app_id = r.body["id"].as_i64().unwrap();
    d.ok(
        M::GET,
        "/api/v1/demands/{id}/applications",
        &format!("{dp}/applications?status=submitted"),
        Some(&ent),
        None,
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/applications/{id}/decision",
        &format!("/api/v1/applications/{app_id}/decision"),
        Some(&ent),
        Some(json!({"decision": "select", "comment": "方案完整"})),
    )
    .await;
    let plan = json!({"title": "样机试制", "due_on": (today + Duration::days(40)).to_string(), "share_bp": 4000, "application_id": app_id});
    let r = d
        .ok(
            M::POST,
            "/api/v1/demands/{id}/milestones",
            &format!("{dp}/milestones"),
            Some(&ent),
            Some(plan),
        )
        .await;
    let ms = r.body["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/milestones/{id}/submit",
        &format!("/api/v1/milestones/{ms}/submit"),
        Some(&uni),
        Some(json!({"report": "样机完成"})),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/milestones/{id}/review",
        &format!("/api/v1/milestones/{ms}/review"),
        Some(&ent),
        Some(json!({"decision": "accept", "comment": "通过"})),
    )
    .await;
    d.ok(M::GET, "/api/v1/demands/{id}", &dp, None, None).await;

    // Deals and contracts.
    let r = d.ok(M::POST, "/api/v1/deals", "/api/v1/deals", Some(&broker), Some(json!({"demand_id": d2, "achievement_id": a1, "note": "约谈", "next_follow_up": (today + Duration::days(3)).to_string()}))).await;
    let deal = r.body["id"].as_i64().unwrap();
    d.ok(
        M::GET,
        "/api/v1/deals",
        "/api/v1/deals?stage=recommended",
        Some(&broker),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/deals/{id}",
        &format!("/api/v1/deals/{deal}"),
        Some(&broker),
        None,
    )
    .await;
    d.ok(
        M::PATCH,
        "/api/v1/deals/{id}",
        &format!("/api/v1/deals/{deal}"),
        Some(&broker),
        Some(json!({"version": 1, "stage": "contacted", "note": "已联系"})),
    )
    .await;
    let contract = json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": uni_org, "buyer_org_id": ent_org, "signed_on": today.to_string(),
        "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    });
    let r = d
        .ok(
            M::POST,
            "/api/v1/contracts",
            "/api/v1/contracts",
            Some(&uni),
            Some(contract.clone()),
        )
        .await;
    let c = r.body["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/confirm",
        &format!("/api/v1/contracts/{c}/confirm"),
        Some(&ent),
        Some(json!({})),
    )
    .await;
    let declined = app
        .post("/api/v1/contracts", Some(&uni), &contract)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/decline",
        &format!("/api/v1/contracts/{declined}/decline"),
        Some(&ent),
        Some(json!({"reason": "金额与约定不符"})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/contracts",
        "/api/v1/contracts",
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/contracts/{id}",
        &format!("/api/v1/contracts/{c}"),
        Some(&uni),
        None,
    )
    .await;
    let amend = json!({"amount_delta_fen": -200_000_000i64, "tech_amount_delta_fen": -100_000_000i64, "reason": "合同变更"});
    let r = d
        .ok(
            M::POST,
            "/api/v1/contracts/{id}/amendments",
            &format!("/api/v1/contracts/{c}/amendments"),
            Some(&uni),
            Some(amend.clone()),
        )
        .await;
    let a = r.body["amendments"][0]["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/amendments/{amendment_id}/confirm",
        &format!("/api/v1/contracts/{c}/amendments/{a}/confirm"),
        Some(&ent),
        Some(json!({})),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/contracts/{c}/amendments"),
            Some(&uni),
            &amend,
        )
        .await;
    let a = r.body["amendments"][1]["id"].as_i64().unwrap();
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/amendments/{amendment_id}/decline",
        &format!("/api/v1/contracts/{c}/amendments/{a}/decline"),
        Some(&ent),
        Some(json!({"reason": "未经协商"})),
    )
    .await;
    d.app.with_contract_text(c, &uni).await;
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/registration-request",
        &format!("/api/v1/contracts/{c}/registration-request"),
        Some(&uni),
        Some(json!({})),
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/contracts/{id}/registration",
        &format!("/api/v1/contracts/{c}/registration"),
        Some(&admin),
        Some(json!({"status": "registered", "verified_tech_amount_fen": 800_000_000i64, "comment": "符合技术合同认定规则"})),
    )
    .await;

    people_operations(&mut d, &admin, &uni, a1).await;
    files_operations(&mut d, &uni, a1).await;
    pricing_operations(&mut d, &admin, &uni).await;
    notification_operations(&mut d, &uni).await;
    saved_search_operations(&mut d, &uni).await;
    bookmark_operations(&mut d, &admin, &uni).await;

    // Statistics and the audit trail.
    d.ok(
        M::GET,
        "/api/v1/stats/turnover",
        "/api/v1/stats/turnover?group_by=quarter,seller_region&include_unregistered=true",
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/targets",
        "/api/v1/stats/targets",
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::PUT,
        "/api/v1/stats/targets/{year}",
        &format!("/api/v1/stats/targets/{year}"),
        Some(&admin),
        Some(json!({"amount_fen": 5_000_000_000i64})),
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/chains",
        "/api/v1/stats/chains",
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/chains",
        &format!("/api/v1/stats/chains?year={year}"),
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/chains/{chain}/quarterly",
        &format!("/api/v1/stats/chains/machine_tools/quarterly?year={year}&quarter=1"),
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/conversion",
        &format!("/api/v1/stats/conversion?year={year}"),
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/brokers",
        &format!("/api/v1/stats/brokers?year={year}"),
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/stats/turnover",
        &format!("/api/v1/stats/turnover?group_by=month,chain&year={year}"),
        Some(&stat),
        None,
    )
    .await;
    d.ok(
        M::GET,
        "/api/v1/audit",
        "/api/v1/audit?entity=contract",
        Some(&admin),
        None,
    )
    .await;
    d.ok(
        M::DELETE,
        "/api/v1/pool/{year}/entries/{achievement_id}",
        &entry,
        Some(&admin),
        None,
    )
    .await;
    d.ok(
        M::POST,
        "/api/v1/auth/logout",
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;

    let valid = d.checked;
    let all = d.spec.operations();
    let served: BTreeSet<(String, String)> = d.ok.keys().cloned().collect();
    let untested: Vec<_> = all.difference(&served).collect();
    assert!(
        untested.is_empty(),
        "operations without a successful valid request: {untested:?}"
    );

    // Now the generated invalid requests, for every operation.
    for (method, template) in &all {
        refuse_generated(&mut d, method, template).await;
    }
    println!(
        "spec contract: {} operations, {valid} valid requests, {} generated invalid requests, {} answers checked",
        all.len(),
        d.checked - valid,
        d.checked
    );
    assert!(
        d.failures.is_empty(),
        "{} answers break the spec:\n{}",
        d.failures.len(),
        d.failures.join("\n")
    );
}

/// The checker itself must catch what it is there to catch.
#[test]
fn the_checker_rejects_answers_that_break_the_spec() {
    let spec = Spec::load();
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut errs = Vec::new();
    spec.validate(
        &error,
        &json!({"message": "m", "code": "not_found", "type": "invalid_request", "link": "/x"}),
        "$",
        false,
        &mut errs,
    );
    assert!(errs.is_empty(), "{errs:?}");
    for bad in [
        json!({"message": "m", "code": "not_found", "type": "invalid_request"}),
        json!({"message": 1, "code": "not_found", "type": "invalid_request", "link": "/x"}),
        json!({"message": "m", "code": "not_found", "type": "nonsense", "link": "/x"}),
        json!([]),
    ] {
        let mut errs = Vec::new();
        spec.validate(&error, &bad, "$", false, &mut errs);
        assert!(!errs.is_empty(), "{bad} passed as an Error");
    }
    let milestone = json!({"$ref": "#/components/schemas/Milestone"});
    let mut errs = Vec::new();
    spec.validate(
        &milestone,
        &json!({"id": 1, "demand_id": 1, "application_id": 1, "title": "t", "due_on": "2026-02-30",
                "share_bp": 10_001, "amount_fen": 1, "status": "paid", "overdue": false,
                "submissions": 0, "submitted_at": null, "reviewed_at": null, "created_at": "yesterday"}),
        "$",
        false,
        &mut errs,
    );
    assert_eq!(
        errs.len(),
        4,
        "bad date, share above the maximum, unknown status, bad date-time: {errs:?}"
    );

    let answer = |status: u16, body: Value| Resp {
        status,
        headers: {
            let mut h = awc::http::header::HeaderMap::new();
            h.insert(
                awc::http::header::CONTENT_TYPE,
                awc::http::header::HeaderValue::from_static("application/json"),
            );
            h
        },
        text: body.to_string(),
        body,
    };
    let ok = json!({"status": "ok"});
    assert!(
        spec.check("GET", "/health", &answer(418, ok.clone()))
            .is_err()
    );
    assert!(
        spec.check("GET", "/api/v1/me", &answer(200, json!({"id": "x"})))
            .is_err()
    );
    // An error without its documented Content-Language, or with one not documented.
    let unsigned = json!({"message": "m", "code": "missing_authorization", "type": "auth",
                          "link": "/api/v1/errors#missing_authorization"});
    let mut r = answer(401, unsigned);
    assert!(spec.check("GET", "/api/v1/me", &r).is_err());
    let language = awc::http::header::CONTENT_LANGUAGE;
    r.headers
        .insert(language.clone(), "fr".parse().expect("header value"));
    assert!(spec.check("GET", "/api/v1/me", &r).is_err());
    r.headers
        .insert(language, "zh-CN".parse().expect("header value"));
    assert_eq!(spec.check("GET", "/api/v1/me", &r), Ok(()));
}

/// Writes over the configured rate are refused as the spec documents for every write.
#[actix_rt::test]
async fn rate_limited_writes_answer_as_the_spec_says() {
    let app = crate::helpers::spawn_app_with(|s| s.rate_limit_writes_per_min = 1).await;
    let spec = Spec::load();
    let admin = app.admin_token().await;
    let path = format!("/api/v1/stats/targets/{}", Utc::now().year());
    let body = json!({"amount_fen": 5_000_000_000i64});
    let first = app
        .request(Method::PUT, &path, Some(&admin), Some(&body))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let second = app
        .request(Method::PUT, &path, Some(&admin), Some(&body))
        .await;
    second.assert_error(429, "rate_limited");
    assert!(second.header("retry-after").is_some());
    spec.check("PUT", "/api/v1/stats/targets/{year}", &second)
        .unwrap();
}
