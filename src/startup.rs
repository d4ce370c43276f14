//! Builds the application from settings: data dir and its lock, database and migrations,
//! token keys, and the HTTP server with its error handlers, middleware and connection
//! limits. On SIGTERM the server stops accepting connections and lets in-flight requests
//! finish (up to `shutdown_timeout_secs`) before the process exits.

use std::fs::File;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::tokens::{TokenKeys, load_or_create_secret};
use crate::config::{SearchEngineKind, Settings};
use crate::db::{Backend, Db};
use crate::error::extractors;
use crate::http::{self as hardening, HttpPolicy};
use crate::metrics::{Metrics, observe};
use crate::search::Engine;
use crate::search::embedded::EmbeddedEngine;
use crate::search::meili::MeiliEngine;
use crate::search::outbox::{self, Shutdown};
use crate::state::AppState;
use crate::{routes, system};

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    engine: Engine,
    shutdown: Shutdown,
    views: Arc<crate::listings::views::Views>,
    /// Held for the life of the server: the embedded database allows one process.
    _lock: Option<File>,
}

/// Refuses a second process on the same embedded data dir instead of letting two corrupt
/// it. (PostgreSQL deployments run many servers and take no lock.)
pub fn lock_data_dir(settings: &Settings) -> anyhow::Result<Option<File>> {
    if settings.uses_postgres() {
        return Ok(None);
    }
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    let path = settings.data_dir.join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another tt-exchange process is using the data directory {}; stop it, or give \
             this one its own TT_DATA_DIR",
            settings.data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).context("cannot lock the data directory"),
    }
}

/// Opens the database named by the settings and applies pending migrations.
pub fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    let url = settings.database_url();
    let db = Db::connect_with(&url, settings.db_pool_size, settings.sqlite_synchronous)
        .with_context(|| format!("cannot open the database ({:?})", Backend::of_url(&url)))?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    let rebuilt = db
        .write_blocking(|conn| Ok(crate::contracts::rollups::ensure(conn)?))
        .map_err(|e| anyhow::anyhow!("cannot build the turnover rollups: {e:?}"))?;
    if rebuilt {
        tracing::info!("rebuilt the turnover rollups from the contracts");
    }
    Ok(db)
}

/// The engine named by the settings; the embedded one lives in `data_dir/index`.
pub fn build_engine(settings: &Settings) -> anyhow::Result<Engine> {
    Ok(match settings.search_engine {
        SearchEngineKind::Embedded => {
            let root = settings.data_dir.join("index");
            Engine::Embedded(Arc::new(
                EmbeddedEngine::open(&root).map_err(|e| anyhow::anyhow!("{e}"))?,
            ))
        }
        SearchEngineKind::Meilisearch => {
            let url = settings
                .meili_url
                .as_deref()
                .context("TT_MEILI_URL is required when TT_SEARCH_ENGINE=meilisearch")?;
            let key = settings.meili_key.as_ref().map(|k| k.expose());
            Engine::Meilisearch(
                MeiliEngine::new(url, key, &settings.index_prefix)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            )
        }
    })
}

/// The background tasks: the outbox worker, the scheduler (offering closes) and the hourly
/// housekeeping, stopped together.
fn spawn_background(
    db: &Db,
    engine: &Engine,
    settings: &Settings,
    files: &Arc<crate::files::store::Files>,
) -> Shutdown {
    let shutdown = Shutdown::default();
    actix_web::rt::spawn(outbox::run_worker(
        db.clone(),
        engine.clone(),
        shutdown.clone(),
    ));
    let mailer = match crate::notify::mail::Mailer::from_settings(settings) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "email disabled: the SMTP settings are not usable");
            None
        }
    };
    let email = mailer.is_some();
    if email {
        tracing::info!("notification emails are sent through the configured SMTP server");
    } else {
        tracing::info!(
            "no SMTP server configured (TT_SMTP_URL): notifications go to the inbox only"
        );
    }
    actix_web::rt::spawn(crate::alerts::evaluate::run(
        db.clone(),
        engine.clone(),
        shutdown.clone(),
    ));
    actix_web::rt::spawn(crate::notify::worker::run(
        db.clone(),
        email,
        shutdown.clone(),
    ));
    if let Some(mailer) = mailer {
        actix_web::rt::spawn(crate::notify::mail::run(
            db.clone(),
            mailer,
            shutdown.clone(),
        ));
    }
    let jobs = crate::offerings::jobs(crate::scheduler::Jobs::default(), settings);
    let jobs = crate::notify::sweep::jobs(jobs, email);
    actix_web::rt::spawn(crate::scheduler::run(
        db.clone(),
        jobs,
        Duration::from_millis(settings.scheduler_tick_ms),
        shutdown.clone(),
    ));
    if settings.stats_cache {
        actix_web::rt::spawn(crate::stats::cache::run(
            db.clone(),
            Duration::from_millis(settings.stats_cache_poll_ms),
            shutdown.clone(),
        ));
    }
    actix_web::rt::spawn(crate::housekeeping::run(
        db.clone(),
        crate::housekeeping::Windows {
            login: chrono::Duration::seconds(settings.login_failure_window_secs as i64),
            files_grace: chrono::Duration::seconds(
                i64::try_from(settings.files_grace_secs).unwrap_or(i64::MAX / 1000),
            ),
        },
        files.store.clone(),
        shutdown.clone(),
    ));
    shutdown
}

/// One worker's app: state, extractor limits and errors, middleware, the route table.
fn app(
    state: web::Data<AppState>,
    max_body: usize,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::from(state.http.clone()))
        .app_data(web::Data::from(state.metrics.clone()))
        .app_data(web::Data::from(state.keys.clone()))
        .app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(max_body)
                .error_handler(extractors::json),
        )
        .app_data(web::PayloadConfig::default().limit(max_body))
        .app_data(web::QueryConfig::default().error_handler(extractors::query))
        .app_data(web::PathConfig::default().error_handler(extractors::path))
        // Outermost last: every answer, refusals included, is logged and counted and
        // carries the security and CORS headers.
        .wrap(Compress::default())
        .wrap(from_fn(hardening::timeout))
        .wrap(from_fn(hardening::rate_limit))
        .wrap(from_fn(hardening::cors))
        .wrap(from_fn(hardening::security_headers))
        .wrap(from_fn(observe))
        // Outside everything that may answer an error, so each is in the client's language.
        .wrap(from_fn(crate::error::i18n::negotiate))
        .configure(routes::configure)
        .default_service(web::to(system::route_not_found))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.validate()?;
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
        let lock = lock_data_dir(&settings)?;
        let db = open_database(&settings)?;
        let engine = build_engine(&settings)?;
        outbox::prepare(&db, &engine).await;
        // jieba's dictionaries load in a blocking thread, not on the first request.
        actix_web::rt::task::spawn_blocking(|| {
            let _ = crate::search::terms::query_words("预热");
            crate::matching::warm_up();
        });
        let files = Arc::new(
            crate::files::store::Files::open(&settings).with_context(|| {
                format!(
                    "cannot open the file store under {}",
                    settings.data_dir.display()
                )
            })?,
        );
        let shutdown = spawn_background(&db, &engine, &settings, &files);
        let views = Arc::new(crate::listings::views::Views::default());
        actix_web::rt::spawn(crate::listings::views::run(
            db.clone(),
            views.clone(),
            shutdown.clone(),
        ));
        let secret = load_or_create_secret(&settings)?;
        let previous = settings
            .jwt_previous_secret
            .as_ref()
            .map(|s| s.expose().as_bytes());
        let keys = TokenKeys::new(&secret, previous, &settings);
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            db: db.clone(),
            engine: engine.clone(),
            keys: Arc::new(keys),
            settings: Arc::new(settings.clone()),
            metrics: Arc::new(Metrics::default()),
            http: Arc::new(HttpPolicy::new(&settings)),
            files,
            views: views.clone(),
            stats_cache: Arc::new(crate::stats::cache::AnswerCache::new(
                settings.stats_cache,
                usize::try_from(settings.stats_cache_max_bytes).unwrap_or(usize::MAX),
            )),
        });
        let max_body = settings.max_body_bytes;
        let mut server = HttpServer::new(move || app(state.clone(), max_body))
            // Slow or idle clients cannot hold connections: the request head must arrive within
            // 10 s, and a connection is dropped 5 s after its answer if the client does not
            // close it. (Slow bodies count against the request timeout.)
            .client_request_timeout(Duration::from_secs(10))
            .client_disconnect_timeout(Duration::from_secs(5))
            .keep_alive(Duration::from_secs(settings.keep_alive_secs))
            .shutdown_timeout(settings.shutdown_timeout_secs)
            .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            db,
            engine,
            shutdown,
            views,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops the HTTP server and the outbox worker (tests restart apps on one database).
    pub fn stopper(&self) -> (actix_web::dev::ServerHandle, Shutdown) {
        (self.server.handle(), self.shutdown.clone())
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _lock = self._lock;
        let result = self.server.await;
        self.shutdown.stop();
        // The last counted reads, before the process ends.
        self.views.flush(&self.db).await;
        result
    }
}
