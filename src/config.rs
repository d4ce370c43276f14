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
    pub search_engine: SearchEngineKind,
    pub meili_url: Option<String>,
    pub meili_key: Option<Secret>,
    pub index_prefix: String,
    /// Required in production; in development one is generated and kept in `data_dir`.
    pub jwt_secret: Option<Secret>,
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            env: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            db_pool_size: 10,
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
        }
    }
}

/// How an env var's text becomes a TOML value of the key's type.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
}

const KEYS: &[(&str, Kind)] = &[
    ("env", Kind::Str),
    ("bind", Kind::Str),
    ("data_dir", Kind::Str),
    ("database_url", Kind::Str),
    ("db_pool_size", Kind::Int),
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
            };
            table.insert((*name).to_owned(), value);
        }
        let settings: Settings = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.env == Environment::Production {
            match &self.jwt_secret {
                None => {
                    return Err(ConfigError::Invalid(
                        "TT_JWT_SECRET is required when TT_ENV=production".into(),
                    ));
                }
                Some(s) if s.expose().len() < 32 => {
                    return Err(ConfigError::Invalid(
                        "TT_JWT_SECRET must be at least 32 bytes long".into(),
                    ));
                }
                Some(_) => {}
            }
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

/// Printed at start-up: every setting, secrets masked, a URL's password hidden.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &mask_url_password(&self.database_url()))
            .field("db_pool_size", &self.db_pool_size)
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
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_overrides_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tt.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\ndb_pool_size = 3\n").unwrap();
        let s = Settings::load_from(Some(&file), env(&[("TT_DB_POOL_SIZE", "7")])).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.db_pool_size, 7);
        assert_eq!(s.jwt_issuer, "tt-exchange");
    }

    #[test]
    fn unknown_file_key_and_bad_integer_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tt.toml");
        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        assert!(Settings::load_from(Some(&file), env(&[])).is_err());
        let err = Settings::load_from(None, env(&[("TT_WORKERS", "many")])).unwrap_err();
        assert!(err.to_string().contains("TT_WORKERS"));
    }

    #[test]
    fn production_requires_a_long_secret() {
        assert!(Settings::load_from(None, env(&[("TT_ENV", "production")])).is_err());
        let short = env(&[("TT_ENV", "production"), ("TT_JWT_SECRET", "short")]);
        assert!(Settings::load_from(None, short).is_err());
        let ok = env(&[("TT_ENV", "production"), ("TT_JWT_SECRET", &"k".repeat(40))]);
        assert!(Settings::load_from(None, ok).is_ok());
    }

    #[test]
    fn debug_output_masks_secrets() {
        let s = Settings::load_from(
            None,
            env(&[
                ("TT_JWT_SECRET", "super-secret-value-1234567890abcdef"),
                ("TT_DATABASE_URL", "postgres://tt:hunter2pass@db.local/tt"),
                ("TT_MEILI_KEY", "meili-master-key"),
            ]),
        )
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("super-secret-value"));
        assert!(!printed.contains("hunter2pass"));
        assert!(!printed.contains("meili-master-key"));
        assert!(printed.contains("postgres://tt:***@db.local/tt"));
    }
}
