//! Both migration sets must produce exactly the tables and columns of `src/db/schema.rs`
//! (names, types, nullability). SQLite is checked in every run; PostgreSQL in the run with
//! `TT_TEST_DATABASE_URL` (CI runs both).

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use tt_exchange::db::{AnyConnection, Backend, Db};

type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

/// Tables and columns as declared in schema.rs, types normalised per backend.
fn expected(backend: Backend) -> Columns {
    let text = include_str!("../../src/db/schema.rs");
    let mut out = Columns::new();
    let mut table: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.ends_with('{') && line.contains('(') && !line.starts_with("diesel") {
            table = line.split_whitespace().next().map(str::to_owned);
            out.entry(table.clone().unwrap()).or_default();
        } else if line == "}" {
            table = None;
        } else if let (Some(t), Some((name, ty))) =
            (&table, line.trim_end_matches(',').split_once(" -> "))
        {
            let (inner, not_null) = match ty
                .strip_prefix("Nullable<")
                .and_then(|s| s.strip_suffix('>'))
            {
                Some(inner) => (inner, false),
                None => (ty, true),
            };
            let sql = match (backend, inner) {
                (Backend::Sqlite, "BigInt") => "BIGINT",
                (Backend::Sqlite, "Text") => "TEXT",
                (Backend::Sqlite, "Bool") => "BOOLEAN",
                (Backend::Sqlite, "Timestamp") => "TIMESTAMP",
                (Backend::Sqlite, "Integer") => "INTEGER",
                (Backend::Sqlite, "Date") => "DATE",
                (Backend::Postgres, "Integer") => "integer",
                (Backend::Postgres, "Date") => "date",
                (Backend::Postgres, "BigInt") => "bigint",
                (Backend::Postgres, "Text") => "text",
                (Backend::Postgres, "Bool") => "boolean",
                (Backend::Postgres, "Timestamp") => "timestamp without time zone",
                other => panic!("unmapped type {other:?}"),
            };
            out.get_mut(t)
                .unwrap()
                .insert(name.to_owned(), (sql.to_owned(), not_null));
        }
    }
    out
}

fn actual(conn: &mut AnyConnection, backend: Backend) -> Columns {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, \
             CASE WHEN p.pk = 1 AND p.type = 'INTEGER' THEN 'BIGINT' ELSE p.type END AS data_type, \
             (p.\"notnull\" = 1 OR p.pk = 1) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, (is_nullable = 'NO') AS not_null \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let mut out = Columns::new();
    for c in diesel::sql_query(sql)
        .load::<Col>(conn)
        .expect("introspect")
    {
        out.entry(c.table_name)
            .or_default()
            .insert(c.column_name, (c.data_type, c.not_null));
    }
    out
}

fn check(db: &Db) {
    let mut conn = db.conn().expect("connection");
    let got = actual(&mut conn, db.backend());
    let want = expected(db.backend());
    assert!(
        !want.is_empty() && want.contains_key("users"),
        "schema.rs parsed"
    );
    assert_eq!(
        got,
        want,
        "{:?} migrations differ from schema.rs",
        db.backend()
    );
}

#[test]
fn sqlite_migrations_match_schema_rs() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("schema.sqlite3");
    let db = Db::connect(url.to_str().unwrap(), 1).unwrap();
    db.migrate().unwrap();
    check(&db);
}

#[test]
fn the_test_database_matches_schema_rs() {
    // SQLite above; here PostgreSQL when the run has one (CI's second pass).
    let Some(admin) = crate::helpers::test_database_url() else {
        return sqlite_migrations_match_schema_rs();
    };
    let pg = crate::helpers::PgDatabase::create(&admin);
    let db = Db::connect(&pg.url, 1).unwrap();
    db.migrate().unwrap();
    assert_eq!(db.backend(), Backend::Postgres);
    check(&db);
}

#[test]
fn both_migration_sets_have_the_same_steps() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
    );
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

#[test]
fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("pragmas.sqlite3");
    let db = Db::connect(url.to_str().unwrap(), 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.conn().unwrap();
    let mut pragma = |name: &str| -> String {
        let column = if name == "busy_timeout" {
            "timeout"
        } else {
            name
        };
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}"
        ))
        .get_result::<Pragma>(&mut *conn)
        .unwrap()
        .value
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("foreign_keys"), "1");
    assert_eq!(pragma("busy_timeout"), "5000");
    // Foreign keys are enforced: a user of a missing org is refused.
    let err = diesel::sql_query(
        "INSERT INTO users (org_id, email, name, role, password_hash, is_active, created_at, updated_at) \
         VALUES (999, 'x@y.cn', 'x', 'university', 'h', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    .execute(&mut *conn);
    assert!(err.is_err(), "foreign key enforced");
}
