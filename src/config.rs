//! Typed configuration: built-in defaults < optional `tt.toml` < `TT_*` environment variables.
//!
//! Every key is the lower-case name of its env var without the prefix (`TT_BIND` is `bind`).
//! Unknown keys in the file are an error (a typo must not silently fall back to a default).
//! Secrets are wrapped in [`Secret`] so that printing the config never shows them.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A value that must never reach a log line.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SearchEngineKind {
    Embedded,
    Meilisearch,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// SQLite's `PRAGMA synchronous`: `full` (the default) syncs the write-ahead log at every
/// commit, so a committed write survives a power cut; `normal` syncs only at checkpoints,
/// faster but the last commits before a power cut (not a crash of the process) may be lost.
/// PostgreSQL ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    #[default]
    Full,
    Normal,
}

impl SqliteSynchronous {
    /// The pragma's value, as SQLite spells it.
    pub fn pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        }
    }
}

impl<'de> Deserialize<'de> for SqliteSynchronous {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(SqliteSynchronous::Full),
            "normal" => Ok(SqliteSynchronous::Normal),
            _ => Err(serde::de::Error::custom(format!(
                "sqlite_synchronous (TT_SQLITE_SYNCHRONOUS) must be `full` or `normal`, got {raw:?}"
            ))),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub env: Environment,
    pub bind: String,
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; otherwise a SQLite file path. Default: a file in
    /// `data_dir`. May carry a password, hence secret.
    pub database_url: Option<Secret>,
    pub db_pool_size: u32,
    /// SQLite durability (`PRAGMA synchronous`); see [`SqliteSynchronous`].
    pub sqlite_synchronous: SqliteSynchronous,
    pub search_engine: SearchEngineKind,
    pub meili_url: Option<String>,
    pub meili_key: Option<Secret>,
    pub index_prefix: String,
    /// Required in production; in development one is generated and kept in `data_dir`.
    pub jwt_secret: Option<Secret>,
    /// The secret before the last rotation: still accepted for verifying access tokens
    /// (never for signing), so sessions survive a key change.
    pub jwt_previous_secret: Option<Secret>,
    pub jwt_issuer: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_days: u64,
    pub invitation_ttl_days: u64,
    pub max_body_bytes: usize,
    pub login_max_failures_per_email: u32,
    pub login_max_failures_per_ip: u32,
    pub login_failure_window_secs: u64,
    pub log_format: LogFormat,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
    /// Browser origins allowed to call the API (`https://app.example.cn`); comma-separated
    /// in the env var, a string or a list in the file. Empty: no CORS headers at all.
    #[serde(deserialize_with = "comma_list")]
    pub cors_origins: Vec<String>,
    /// The registry point (登记点) code in registration numbers: six digits, by default
    /// Xi'an's GB/T 2260 code. Numbers read `{year}{point}{sequence:06}`, 16 digits.
    pub registry_point: String,
    /// Seller regions this registry registers: region codes or code prefixes
    /// (`61` is every Shaanxi city). Contracts with other sellers count as absorbed (吸纳).
    #[serde(deserialize_with = "comma_list")]
    pub registry_jurisdiction: Vec<String>,
    /// A handler running longer is stopped and answered `503 request_timeout`.
    pub request_timeout_secs: u64,
    /// The same for CSV/XLSX exports (`format=csv|xlsx`), which may scan many contracts.
    pub export_timeout_secs: u64,
    /// Idle keep-alive connections are closed after this; keep it above the load
    /// balancer's idle timeout.
    pub keep_alive_secs: u64,
    /// On SIGTERM, in-flight requests get this long to finish.
    pub shutdown_timeout_secs: u64,
    /// Requests per minute to `POST /api/v1/auth/login` per client address; 0: no limit.
    pub rate_limit_login_per_min: u32,
    /// Registrations per hour per client address; 0: no limit.
    pub rate_limit_register_per_hour: u32,
    /// Writes (POST, PUT, PATCH, DELETE) per minute per signed-in user, or per client
    /// address when anonymous; 0: no limit.
    pub rate_limit_writes_per_min: u32,
    /// Header carrying the client address set by a trusted reverse proxy (e.g.
    /// `X-Forwarded-For`, rightmost entry used). Unset: the TCP peer address, since a
    /// client can forge any header.
    pub client_ip_header: Option<String>,
    /// Language of error messages when `Accept-Language` names none we speak: `zh` or `en`.
    pub default_language: crate::error::Language,
    /// Shortest window an offering (挂牌 or 拍卖) may be open for; the law sets none, the
    /// operator may ask for more than the minute allowed by default.
    pub offering_min_window_secs: u64,
    /// Anti-sniping: a bid this close to an auction's close moves the close this much later.
    pub offering_extension_secs: u64,
    /// How long the run-off auction among several intents at a listed price lasts.
    pub offering_runoff_secs: u64,
    /// How often the scheduler looks for due jobs (offerings to close).
    pub scheduler_tick_ms: u64,
    /// A university's or institute's contract at an agreed price that was made public
    /// (协议定价公示) may be confirmed only once the period ended without open objections.
    pub publicity_blocks_confirmation: bool,
    /// Rendered turnover answers kept per statistics version (`stats::cache`); off answers
    /// every request from the database (for comparison).
    pub stats_cache: bool,
    /// How often a server reads the statistics version for other servers' writes: the
    /// longest a cached turnover answer can lag behind another server's commit.
    pub stats_cache_poll_ms: u64,
    /// The most bytes of rendered turnover answers a server keeps.
    pub stats_cache_max_bytes: u64,
    /// Where uploaded files live: unset for `data_dir/files`, or `s3://bucket/prefix` for
    /// an S3-compatible store shared by several servers.
    pub files_url: Option<String>,
    /// The S3 endpoint (`http://127.0.0.1:9000` for a store on the same host); unset for
    /// AWS itself or `AWS_ENDPOINT`. Addressing is path-style.
    pub files_s3_endpoint: Option<String>,
    pub files_s3_region: Option<String>,
    pub files_s3_access_key_id: Option<String>,
    pub files_s3_secret_access_key: Option<Secret>,
    /// The largest file an upload may carry.
    pub files_max_bytes: u64,
    /// What one org's distinct files may add up to (the same bytes count once).
    pub files_org_quota_bytes: u64,
    /// A file attached to nothing is removed this long after its upload or its last detach.
    pub files_grace_secs: u64,
    /// SMTP server for notification emails (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`); unset: notifications stay in the inbox.
    pub smtp_url: Option<Secret>,
    /// The sender of notification emails (`秦创原 <noreply@example.cn>`).
    pub mail_from: String,
    /// Longest wait between two tries of an email that could not be sent.
    pub mail_retry_max_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            env: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            db_pool_size: 10,
            sqlite_synchronous: SqliteSynchronous::Full,
            search_engine: SearchEngineKind::Embedded,
            meili_url: None,
            meili_key: None,
            index_prefix: "tt_".into(),
            jwt_secret: None,
            jwt_issuer: "tt-exchange".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            invitation_ttl_days: 7,
            max_body_bytes: 256 * 1024,
            login_max_failures_per_email: 5,
            login_max_failures_per_ip: 20,
            login_failure_window_secs: 15 * 60,
            log_format: LogFormat::Pretty,
            workers: None,
            jwt_previous_secret: None,
            cors_origins: Vec::new(),
            registry_point: "610100".into(),
            registry_jurisdiction: vec!["61".into(), "xixian".into()],
            request_timeout_secs: 30,
            export_timeout_secs: 120,
            keep_alive_secs: 75,
            shutdown_timeout_secs: 30,
            rate_limit_login_per_min: 30,
            rate_limit_register_per_hour: 20,
            rate_limit_writes_per_min: 120,
            client_ip_header: None,
            default_language: crate::error::Language::Zh,
            offering_min_window_secs: 60,
            offering_extension_secs: 300,
            offering_runoff_secs: 24 * 60 * 60,
            scheduler_tick_ms: 1000,
            publicity_blocks_confirmation: true,
            stats_cache: true,
            stats_cache_poll_ms: 100,
            stats_cache_max_bytes: 32 * 1024 * 1024,
            files_url: None,
            files_s3_endpoint: None,
            files_s3_region: None,
            files_s3_access_key_id: None,
            files_s3_secret_access_key: None,
            files_max_bytes: 20 * 1024 * 1024,
            files_org_quota_bytes: 2 * 1024 * 1024 * 1024,
            files_grace_secs: 24 * 60 * 60,
            smtp_url: None,
            mail_from: "秦创原技术交易 <noreply@tt-exchange.local>".into(),
            mail_retry_max_secs: 300,
        }
    }
}

/// `"a, b"` or `["a", "b"]` -> `["a", "b"]`, empty entries dropped.
fn comma_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let items = match Raw::deserialize(d)? {
        Raw::One(s) => s.split(',').map(str::to_owned).collect(),
        Raw::Many(v) => v,
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Secrets that were published (docs, tests, examples) or are placeholders: refused in
/// production whatever their length. Compared case-insensitively as substrings.
const KNOWN_DEV_SECRETS: &[&str] = &[
    "test-secret-test-secret",
    "change-me",
    "changeme",
    "change_me",
    "replace-me",
    "example",
    "development",
    "dev-secret",
    "insecure",
    "placeholder",
    "your-secret",
    "secret-key",
];

/// Fewer distinct bytes than this is not a random secret (`"k" * 40`, `"abab..."`).
const MIN_DISTINCT_SECRET_BYTES: usize = 10;

/// How an env var's text becomes a TOML value of the key's type.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
}

const KEYS: &[(&str, Kind)] = &[
    ("env", Kind::Str),
    ("bind", Kind::Str),
    ("data_dir", Kind::Str),
    ("database_url", Kind::Str),
    ("db_pool_size", Kind::Int),
    ("sqlite_synchronous", Kind::Str),
    ("search_engine", Kind::Str),
    ("meili_url", Kind::Str),
    ("meili_key", Kind::Str),
    ("index_prefix", Kind::Str),
    ("jwt_secret", Kind::Str),
    ("jwt_issuer", Kind::Str),
    ("access_token_ttl_secs", Kind::Int),
    ("refresh_token_ttl_days", Kind::Int),
    ("invitation_ttl_days", Kind::Int),
    ("max_body_bytes", Kind::Int),
    ("login_max_failures_per_email", Kind::Int),
    ("login_max_failures_per_ip", Kind::Int),
    ("login_failure_window_secs", Kind::Int),
    ("log_format", Kind::Str),
    ("workers", Kind::Int),
    ("jwt_previous_secret", Kind::Str),
    ("cors_origins", Kind::Str),
    ("registry_point", Kind::Str),
    ("registry_jurisdiction", Kind::Str),
    ("request_timeout_secs", Kind::Int),
    ("export_timeout_secs", Kind::Int),
    ("keep_alive_secs", Kind::Int),
    ("shutdown_timeout_secs", Kind::Int),
    ("rate_limit_login_per_min", Kind::Int),
    ("rate_limit_register_per_hour", Kind::Int),
    ("rate_limit_writes_per_min", Kind::Int),
    ("client_ip_header", Kind::Str),
    ("default_language", Kind::Str),
    ("offering_min_window_secs", Kind::Int),
    ("offering_extension_secs", Kind::Int),
    ("offering_runoff_secs", Kind::Int),
    ("scheduler_tick_ms", Kind::Int),
    ("publicity_blocks_confirmation", Kind::Bool),
    ("stats_cache", Kind::Bool),
    ("stats_cache_poll_ms", Kind::Int),
    ("stats_cache_max_bytes", Kind::Int),
    ("files_url", Kind::Str),
    ("files_s3_endpoint", Kind::Str),
    ("files_s3_region", Kind::Str),
    ("files_s3_access_key_id", Kind::Str),
    ("files_s3_secret_access_key", Kind::Str),
    ("files_max_bytes", Kind::Int),
    ("files_org_quota_bytes", Kind::Int),
    ("files_grace_secs", Kind::Int),
    ("smtp_url", Kind::Str),
    ("mail_from", Kind::Str),
    ("mail_retry_max_secs", Kind::Int),
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {var} must be an integer, got {value:?}")]
    NotAnInteger { var: String, value: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads from the process environment and `tt.toml` (or the file named by `TT_CONFIG`).
    pub fn load() -> Result<Settings, ConfigError> {
        let file = std::env::var_os("TT_CONFIG").map(PathBuf::from);
        Settings::load_from(file.as_deref(), std::env::vars())
    }

    /// The layering itself, with the environment passed in so tests need not mutate theirs.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut table = toml::Table::new();
        let default_file = Path::new("tt.toml");
        let path = match file {
            Some(p) => Some(p),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            table = text.parse::<toml::Table>().map_err(|e| ConfigError::File {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        }
        for (var, value) in env {
            let Some(key) = var.strip_prefix("TT_").map(str::to_ascii_lowercase) else {
                continue;
            };
            let Some((name, kind)) = KEYS.iter().find(|(k, _)| *k == key) else {
                continue; // TT_CONFIG, TT_TEST_* and the like are not settings.
            };
            let value = match kind {
                Kind::Str => toml::Value::String(value),
                Kind::Int => match value.trim().parse::<i64>() {
                    Ok(n) => toml::Value::Integer(n),
                    Err(_) => return Err(ConfigError::NotAnInteger { var, value }),
                },
                Kind::Bool => match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "on" | "yes" => toml::Value::Boolean(true),
                    "false" | "0" | "off" | "no" => toml::Value::Boolean(false),
                    _ => {
                        return Err(ConfigError::Invalid(format!(
                            "{var} must be true or false, got {value:?}"
                        )));
                    }
                },
            };
            table.insert((*name).to_owned(), value);
        }
        let settings: Settings = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses settings the server must not run with. Called by [`Settings::load_from`]
    /// and again by `Application::build`, so settings made in code are checked too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.env == Environment::Production {
            self.validate_production()?;
        }
        if let Some(previous) = &self.jwt_previous_secret
            && self.jwt_secret.as_ref() == Some(previous)
        {
            return Err(ConfigError::Invalid(
                "TT_JWT_PREVIOUS_SECRET must differ from TT_JWT_SECRET".into(),
            ));
        }
        if self.registry_point.len() != 6
            || !self.registry_point.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ConfigError::Invalid(
                "TT_REGISTRY_POINT must be six digits (a GB/T 2260 code)".into(),
            ));
        }
        if self.registry_jurisdiction.is_empty() {
            return Err(ConfigError::Invalid(
                "TT_REGISTRY_JURISDICTION needs at least one region code or prefix".into(),
            ));
        }
        if self.stats_cache_poll_ms == 0 {
            return Err(ConfigError::Invalid(
                "TT_STATS_CACHE_POLL_MS must be at least 1".into(),
            ));
        }
        if self.offering_min_window_secs == 0 || self.scheduler_tick_ms == 0 {
            return Err(ConfigError::Invalid(
                "TT_OFFERING_MIN_WINDOW_SECS and TT_SCHEDULER_TICK_MS must be at least 1".into(),
            ));
        }
        if self.files_max_bytes == 0 {
            return Err(ConfigError::Invalid(
                "TT_FILES_MAX_BYTES must be at least 1".into(),
            ));
        }
        if let Some(url) = &self.files_url
            && !url.is_empty()
            && let Err(e) = crate::files::store::parse_s3_url(url)
        {
            return Err(ConfigError::Invalid(e.to_string()));
        }
        if self.db_pool_size == 0 {
            return Err(ConfigError::Invalid(
                "db_pool_size must be at least 1".into(),
            ));
        }
        if self.access_token_ttl_secs == 0 || self.refresh_token_ttl_days == 0 {
            return Err(ConfigError::Invalid(
                "token lifetimes must be positive".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        if self.request_timeout_secs == 0 || self.export_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "TT_REQUEST_TIMEOUT_SECS and TT_EXPORT_TIMEOUT_SECS must be at least 1".into(),
            ));
        }
        for origin in &self.cors_origins {
            if !is_origin(origin) {
                return Err(ConfigError::Invalid(format!(
                    "TT_CORS_ORIGINS: {origin:?} is not an origin like https://app.example.cn \
                     (scheme and host, optional port, no path; `*` is not allowed)"
                )));
            }
        }
        if let Some(h) = &self.client_ip_header
            && actix_web::http::header::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            return Err(ConfigError::Invalid(format!(
                "TT_CLIENT_IP_HEADER: {h:?} is not a header name"
            )));
        }
        Ok(())
    }

    /// Production runs only with a real, random signing secret of its own and no
    /// development-only default (generated secret, unauthenticated Meilisearch).
    fn validate_production(&self) -> Result<(), ConfigError> {
        let Some(secret) = &self.jwt_secret else {
            return Err(ConfigError::Invalid(
                "TT_JWT_SECRET is required when TT_ENV=production (at least 32 random bytes, \
                 e.g. `openssl rand -hex 32`)"
                    .into(),
            ));
        };
        check_production_secret("TT_JWT_SECRET", secret)?;
        if let Some(previous) = &self.jwt_previous_secret {
            check_production_secret("TT_JWT_PREVIOUS_SECRET", previous)?;
        }
        // The secret generated for development in the data dir must not become the
        // production one by copy and paste.
        let generated = self.data_dir.join("jwt_secret");
        if let Ok(dev) = std::fs::read_to_string(&generated)
            && dev.trim() == secret.expose()
        {
            return Err(ConfigError::Invalid(format!(
                "TT_JWT_SECRET is the development secret generated in {}; generate a new one",
                generated.display()
            )));
        }
        if self.search_engine == SearchEngineKind::Meilisearch && self.meili_key.is_none() {
            return Err(ConfigError::Invalid(
                "TT_MEILI_KEY is required when TT_ENV=production and TT_SEARCH_ENGINE=meilisearch \
                 (a Meilisearch without a master key is development mode)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The database URL in force: the configured one or the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => self
                .data_dir
                .join("tt.sqlite3")
                .to_string_lossy()
                .into_owned(),
        }
    }

    pub fn uses_postgres(&self) -> bool {
        let url = self.database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

fn check_production_secret(var: &str, secret: &Secret) -> Result<(), ConfigError> {
    let value = secret.expose();
    if value.len() < 32 {
        return Err(ConfigError::Invalid(format!(
            "{var} must be at least 32 bytes long when TT_ENV=production"
        )));
    }
    let lower = value.to_ascii_lowercase();
    if KNOWN_DEV_SECRETS.iter().any(|known| lower.contains(known)) {
        return Err(ConfigError::Invalid(format!(
            "{var} is a published example or placeholder value; generate a random one \
             (e.g. `openssl rand -hex 32`)"
        )));
    }
    let mut seen = [false; 256];
    for b in value.bytes() {
        seen[usize::from(b)] = true;
    }
    if seen.iter().filter(|s| **s).count() < MIN_DISTINCT_SECRET_BYTES {
        return Err(ConfigError::Invalid(format!(
            "{var} does not look random (too few distinct characters); generate one with \
             `openssl rand -hex 32`"
        )));
    }
    Ok(())
}

/// `scheme://host[:port]`, as browsers send it in `Origin`.
fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', '*', ' '])
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

/// Printed at start-up: every setting, secrets masked, a URL's password hidden.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &mask_url_password(&self.database_url()))
            .field("db_pool_size", &self.db_pool_size)
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("search_engine", &self.search_engine)
            .field(
                "meili_url",
                &self.meili_url.as_deref().map(mask_url_password),
            )
            .field("meili_key", &self.meili_key)
            .field("index_prefix", &self.index_prefix)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .field("refresh_token_ttl_days", &self.refresh_token_ttl_days)
            .field("invitation_ttl_days", &self.invitation_ttl_days)
            .field("max_body_bytes", &self.max_body_bytes)
            .field(
                "login_max_failures_per_email",
                &self.login_max_failures_per_email,
            )
            .field("login_max_failures_per_ip", &self.login_max_failures_per_ip)
            .field("login_failure_window_secs", &self.login_failure_window_secs)
            .field("log_format", &self.log_format)
            .field("workers", &self.workers)
            .field(
                "jwt_previous_secret",
                &self.jwt_previous_secret.as_ref().map(|_| "***"),
            )
            .field("cors_origins", &self.cors_origins)
            .field("registry_point", &self.registry_point)
            .field("registry_jurisdiction", &self.registry_jurisdiction)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("export_timeout_secs", &self.export_timeout_secs)
            .field("keep_alive_secs", &self.keep_alive_secs)
            .field("shutdown_timeout_secs", &self.shutdown_timeout_secs)
            .field("rate_limit_login_per_min", &self.rate_limit_login_per_min)
            .field(
                "rate_limit_register_per_hour",
                &self.rate_limit_register_per_hour,
            )
            .field("rate_limit_writes_per_min", &self.rate_limit_writes_per_min)
            .field("client_ip_header", &self.client_ip_header)
            .field("default_language", &self.default_language)
            .field("offering_min_window_secs", &self.offering_min_window_secs)
            .field("offering_extension_secs", &self.offering_extension_secs)
            .field("offering_runoff_secs", &self.offering_runoff_secs)
            .field("scheduler_tick_ms", &self.scheduler_tick_ms)
            .field(
                "publicity_blocks_confirmation",
                &self.publicity_blocks_confirmation,
            )
            .field("stats_cache", &self.stats_cache)
            .field("stats_cache_poll_ms", &self.stats_cache_poll_ms)
            .field("stats_cache_max_bytes", &self.stats_cache_max_bytes)
            .field("files_url", &self.files_url)
            .field("files_s3_endpoint", &self.files_s3_endpoint)
            .field("files_s3_region", &self.files_s3_region)
            .field("files_s3_access_key_id", &self.files_s3_access_key_id)
            .field(
                "files_s3_secret_access_key",
                &self.files_s3_secret_access_key,
            )
            .field("files_max_bytes", &self.files_max_bytes)
            .field("files_org_quota_bytes", &self.files_org_quota_bytes)
            .field("files_grace_secs", &self.files_grace_secs)
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_ref()
                    .map(|u| mask_url_password(u.expose())),
            )
            .field("mail_from", &self.mail_from)
            .field("mail_retry_max_secs", &self.mail_retry_max_secs)
            .finish()
    }
}

/// `postgres://user:pw@host/db` -> `postgres://user:***@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
