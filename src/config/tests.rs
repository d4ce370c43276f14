//! Tests of the parent module.
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

const GOOD: &str = "Vq8s3Lx0pZk2Tn7Rw5Yb9Hc4Jd6Mf1Ga-x";

fn production(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut pairs = vec![("TT_ENV", "production")];
    pairs.extend_from_slice(extra);
    Settings::load_from(None, env(&pairs))
}

#[test]
fn production_requires_a_long_random_secret() {
    let err = production(&[]).unwrap_err().to_string();
    assert!(err.contains("TT_JWT_SECRET is required"), "{err}");
    let err = production(&[("TT_JWT_SECRET", "short")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 32 bytes"), "{err}");
    let repeated = "k".repeat(40);
    let err = production(&[("TT_JWT_SECRET", &repeated)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not look random"), "{err}");
    assert!(production(&[("TT_JWT_SECRET", GOOD)]).is_ok());
    // Development runs without one (a secret is generated into the data dir).
    assert!(Settings::load_from(None, env(&[])).is_ok());
}

#[test]
fn production_refuses_development_defaults() {
    // The test suite's secret, and placeholders from docs, whatever their length.
    for known in [
        "test-secret-test-secret-test-secret-0123",
        "please-CHANGE-ME-before-going-live-0123456789",
        "an-example-secret-for-the-readme-0123456789",
    ] {
        let err = production(&[("TT_JWT_SECRET", known)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("placeholder"), "{known}: {err}");
    }
    // The secret generated for development in the data dir.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jwt_secret"), format!("{GOOD}\n")).unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let err = production(&[("TT_JWT_SECRET", GOOD), ("TT_DATA_DIR", data_dir)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("development secret generated"), "{err}");
    // Meilisearch without a master key.
    let meili = [
        ("TT_JWT_SECRET", GOOD),
        ("TT_SEARCH_ENGINE", "meilisearch"),
        ("TT_MEILI_URL", "http://127.0.0.1:7700"),
    ];
    let err = production(&meili).unwrap_err().to_string();
    assert!(err.contains("TT_MEILI_KEY"), "{err}");
    let mut keyed = meili.to_vec();
    keyed.push(("TT_MEILI_KEY", "a-master-key"));
    assert!(production(&keyed).is_ok());
    // The previous secret obeys the same rules, and cannot be the current one.
    let err = production(&[("TT_JWT_SECRET", GOOD), ("TT_JWT_PREVIOUS_SECRET", "old")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("TT_JWT_PREVIOUS_SECRET"), "{err}");
    let err = Settings::load_from(
        None,
        env(&[("TT_JWT_SECRET", GOOD), ("TT_JWT_PREVIOUS_SECRET", GOOD)]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("must differ"), "{err}");
}

#[test]
fn cors_origins_are_a_checked_list() {
    let s = Settings::load_from(
        None,
        env(&[(
            "TT_CORS_ORIGINS",
            " https://app.qcy.example.cn, http://localhost:5173 ,",
        )]),
    )
    .unwrap();
    assert_eq!(
        s.cors_origins,
        ["https://app.qcy.example.cn", "http://localhost:5173"]
    );
    assert!(
        Settings::load_from(None, env(&[]))
            .unwrap()
            .cors_origins
            .is_empty()
    );
    for bad in ["*", "app.example.cn", "https://app.example.cn/", "ftp://x"] {
        let err = Settings::load_from(None, env(&[("TT_CORS_ORIGINS", bad)]));
        assert!(err.is_err(), "{bad} accepted");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tt.toml");
    std::fs::write(&file, "cors_origins = [\"https://a.example.cn\"]\n").unwrap();
    let s = Settings::load_from(Some(&file), env(&[])).unwrap();
    assert_eq!(s.cors_origins, ["https://a.example.cn"]);
}

#[test]
fn sqlite_synchronous_is_full_unless_set_to_normal() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.sqlite_synchronous, SqliteSynchronous::Full);
    let s = Settings::load_from(None, env(&[("TT_SQLITE_SYNCHRONOUS", "NORMAL")])).unwrap();
    assert_eq!(s.sqlite_synchronous, SqliteSynchronous::Normal);
    assert_eq!(s.sqlite_synchronous.pragma(), "NORMAL");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tt.toml");
    std::fs::write(&file, "sqlite_synchronous = \"normal\"\n").unwrap();
    let s = Settings::load_from(Some(&file), env(&[("TT_SQLITE_SYNCHRONOUS", "full")])).unwrap();
    assert_eq!(s.sqlite_synchronous, SqliteSynchronous::Full);
    for bad in ["off", "2", "", "fullest"] {
        let err = Settings::load_from(None, env(&[("TT_SQLITE_SYNCHRONOUS", bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("TT_SQLITE_SYNCHRONOUS"), "{bad}: {err}");
        assert!(err.contains("`full` or `normal`"), "{bad}: {err}");
    }
}

#[test]
fn debug_output_masks_secrets() {
    let s = Settings::load_from(
        None,
        env(&[
            ("TT_JWT_SECRET", "super-secret-value-1234567890abcdef"),
            ("TT_DATABASE_URL", "postgres://tt:hunter2pass@db.local/tt"),
            ("TT_MEILI_KEY", "meili-master-key"),
            ("TT_JWT_PREVIOUS_SECRET", "previous-secret-value-0987654321"),
        ]),
    )
    .unwrap();
    let printed = format!("{s:?}");
    assert!(!printed.contains("super-secret-value"));
    assert!(!printed.contains("hunter2pass"));
    assert!(!printed.contains("meili-master-key"));
    assert!(!printed.contains("previous-secret-value"));
    assert!(printed.contains("postgres://tt:***@db.local/tt"));
}
