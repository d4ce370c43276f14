//! One connection type over SQLite and PostgreSQL, its pool, migrations, and the only way
//! handlers touch the database: [`Db::read`] and [`Db::write`], which run diesel on the
//! blocking pool so sync queries never stall an async worker.

pub mod schema;
pub mod version;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::SqliteSynchronous;
use crate::error::{ApiError, i18n};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Every query in the crate is written once against this type.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections of the configured backend directly (the derive's `establish` would
/// try each backend in turn), and sets SQLite's per-connection pragmas.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    url: String,
    synchronous: SqliteSynchronous,
}

const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                let synchronous = format!(
                    "{SQLITE_PRAGMAS} PRAGMA synchronous = {};",
                    self.synchronous.pragma()
                );
                conn.batch_execute(&synchronous)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Cheap to clone; shared by every worker.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite allows one writer at a time; taking turns here avoids `SQLITE_BUSY` on lock
    /// upgrades inside deferred transactions. PostgreSQL writers do not take it.
    sqlite_writer: Arc<Mutex<()>>,
    /// The statistics version as this process last saw it (see [`version`]).
    version: Arc<version::DataVersion>,
}

impl Db {
    /// A pool with the default settings (SQLite: `synchronous = FULL`).
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        Db::connect_with(url, pool_size, SqliteSynchronous::default())
    }

    pub fn connect_with(
        url: &str,
        pool_size: u32,
        synchronous: SqliteSynchronous,
    ) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url);
        let manager = Manager {
            backend,
            url: url.to_owned(),
            synchronous,
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // A pooled PostgreSQL connection may have been cut by the server or the
            // network: check it at checkout. A SQLite connection is a handle on a local
            // file that cannot go stale; checking it cost a `SELECT 1` on every request.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_timeout(Duration::from_secs(5))
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
            version: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The statistics version as this process last saw it.
    pub fn version(&self) -> &version::DataVersion {
        &self.version
    }

    /// A connection for synchronous callers (CLI, migrations); request paths use `read`/`write`.
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` on the blocking pool with a pooled connection, in the request's language
    /// (labels and reasons built there read as the caller asked).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let lang = i18n::current();
        actix_web::web::block(move || {
            i18n::with_language(lang, || {
                let mut conn = pool.get()?;
                f(&mut conn)
            })
        })
        .await?
    }

    /// Runs `f` in one transaction on the blocking pool: all of it lands or none of it.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let lang = i18n::current();
        actix_web::web::block(move || i18n::with_language(lang, || db.write_blocking(f))).await?
    }

    /// The synchronous core of [`Db::write`], for the CLI.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
    {
        let mut conn = self.pool.get()?;
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let conn: &mut AnyConnection = &mut conn;
        let done = conn.transaction(f)?;
        // Before the caller answers: its next request on this server sees this commit.
        self.version.after_commit(conn);
        Ok(done)
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.into_iter().map(|v| v.to_string()).collect())
    }

    /// SQLite's `PRAGMA synchronous` on a pooled connection (0 off, 1 normal, 2 full,
    /// 3 extra); `None` on PostgreSQL, which has no such pragma.
    pub fn sqlite_synchronous(&self) -> Result<Option<i32>, ApiError> {
        #[derive(diesel::QueryableByName)]
        struct Pragma {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let mut conn = self.pool.get()?;
        match &mut *conn {
            AnyConnection::Sqlite(c) => {
                let row: Pragma = diesel::sql_query("PRAGMA synchronous").get_result(c)?;
                Ok(Some(row.synchronous))
            }
            AnyConnection::Postgresql(_) => Ok(None),
        }
    }

    /// Readiness: can we get a connection and run a query?
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.read(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

/// `u64` counts out of `COUNT(*)`, which both backends return as BIGINT.
pub fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
