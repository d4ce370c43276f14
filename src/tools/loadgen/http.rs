//! The HTTP side of the load generator: one request as data, a keep-alive client, and
//! sending with a short reason on failure.

use std::time::Duration;

use anyhow::anyhow;
use serde_json::{Value, json};

/// One request, built before it is sent.
pub(super) struct Req {
    /// Another server than the run's (a direct Meilisearch).
    pub base: Option<std::sync::Arc<str>>,
    pub method: reqwest::Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub token: Option<String>,
    pub body: Option<Value>,
    pub idempotency_key: Option<String>,
}

impl Req {
    pub fn get(path: String) -> Req {
        Req {
            base: None,
            method: reqwest::Method::GET,
            path,
            query: vec![],
            token: None,
            body: None,
            idempotency_key: None,
        }
    }
    pub fn post(path: &str, body: Value) -> Req {
        Req {
            method: reqwest::Method::POST,
            body: Some(body),
            ..Req::get(path.to_owned())
        }
    }
    pub fn token(mut self, t: &str) -> Req {
        self.token = Some(t.to_owned());
        self
    }
    pub fn query(mut self, query: Vec<(&'static str, String)>) -> Req {
        self.query = query;
        self
    }
    /// `POST /api/v1/auth/login`.
    pub fn login(email: &str, password: &str) -> Req {
        Req::post(
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
        )
    }
}

/// A client of one keep-alive connection.
pub(super) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Sends one request and reads the whole body; `Err` with a short reason on transport
/// failure or a non-2xx answer.
pub(super) async fn send(
    client: &reqwest::Client,
    base: &str,
    req: &Req,
) -> Result<Vec<u8>, String> {
    let base = req.base.as_deref().unwrap_or(base);
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

pub(super) async fn send_json(
    client: &reqwest::Client,
    base: &str,
    req: &Req,
) -> anyhow::Result<Value> {
    let bytes = send(client, base, req).await.map_err(|e| anyhow!(e))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Signs in; the access token.
pub(super) async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let body = send_json(client, base, &Req::login(email, password)).await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("login answered without an access_token"))
}

/// The ids of a list answer's items.
pub(super) fn ids_of(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}
