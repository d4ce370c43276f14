//! The subcommands of the one binary.

use clap::{Parser, Subcommand};

use crate::accounts::handlers::{UserInput, create_user_tx, validate_new_user};
use crate::config::Settings;
use crate::startup::{Application, lock_data_dir, open_database};

#[derive(Debug, Parser)]
#[command(
    name = "tt-exchange",
    version,
    about = "Qinchuangyuan technology exchange backend"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild the search indexes from the database.
    Reindex,
    /// Load demonstration data.
    SeedDemo,
    /// Generate synthetic data for benchmarks.
    GenData {
        /// A named size: small (10k achievements, 5k demands, 100k contracts) or large
        /// (200k, 50k, 1M). Explicit counts override its parts.
        #[arg(long, value_parser = ["small", "large"])]
        size: Option<String>,
        #[arg(long)]
        achievements: Option<u64>,
        #[arg(long)]
        demands: Option<u64>,
        #[arg(long)]
        contracts: Option<u64>,
    },
    /// Drive a running server over HTTP and print latency and throughput per scenario.
    Loadgen(crate::tools::loadgen::LoadgenArgs),
    /// Create a user of any role; this is how the first admin is made.
    CreateUser {
        #[arg(long)]
        email: String,
        /// Also read from TT_CREATE_USER_PASSWORD, to keep it out of shell history.
        #[arg(long, env = "TT_CREATE_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// The org for university, enterprise and broker users; staff join the exchange.
        #[arg(long)]
        org_id: Option<i64>,
    },
}

/// Runs one subcommand; serving the API is the default.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings),
        Command::CreateUser {
            email,
            password,
            name,
            role,
            org_id,
        } => {
            let req = UserInput {
                email,
                password,
                name,
                role,
                org_id,
            };
            create_user(&settings, req).await
        }
        Command::SeedDemo => seed_demo(&settings).await,
        Command::Reindex => reindex(&settings).await,
        Command::Loadgen(args) => loadgen(args).await,
        Command::GenData {
            size,
            achievements,
            demands,
            contracts,
        } => {
            let counts = gen_counts(size.as_deref(), [achievements, demands, contracts])?;
            gen_data(&settings, counts).await
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    tracing::info!(settings = ?settings, "starting");
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "listening");
    app.run_until_stopped().await?;
    Ok(())
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let _lock = lock_data_dir(settings)?;
    drop(open_database(settings)?);
    println!("migrations are up to date");
    Ok(())
}

async fn create_user(settings: &Settings, req: UserInput) -> anyhow::Result<()> {
    let _lock = lock_data_dir(settings)?;
    let db = open_database(settings)?;
    let created = actix_web::web::block(move || {
        let valid = validate_new_user(req)?;
        db.write_blocking(|conn| create_user_tx(conn, &valid, None))
    })
    .await?
    .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    println!(
        "created user {} <{}> with role {} in org {} ({})",
        created.user.id, created.user.email, created.user.role, created.org.id, created.org.name
    );
    Ok(())
}

/// Demonstration and synthetic data never go into a production database.
fn refuse_production(settings: &Settings, command: &str) -> anyhow::Result<()> {
    if settings.env == crate::config::Environment::Production {
        anyhow::bail!("{command} refuses to run with TT_ENV=production");
    }
    Ok(())
}

async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    refuse_production(settings, "seed-demo")?;
    let _lock = lock_data_dir(settings)?;
    let db = open_database(settings)?;
    let report = actix_web::web::block(move || crate::tools::seed::seed_demo(&db))
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "demo data: added {} orgs, {} users, {} achievements, {} demands, {} pool entries, {} challenge applications, {} milestones, {} contracts, {} listings awaiting review, {} targets, {} publicities (协议定价公示)",
        report.orgs,
        report.users,
        report.achievements,
        report.demands,
        report.pool_entries,
        report.applications,
        report.milestones,
        report.contracts,
        report.awaiting_review,
        report.targets,
        report.publicities
    );
    println!(
        "sign in with any of these (password {}):",
        crate::tools::seed::DEMO_PASSWORD
    );
    for (role, email) in &report.accounts {
        println!("  {role:<13} {email}");
    }
    Ok(())
}

async fn reindex(settings: &Settings) -> anyhow::Result<()> {
    let _lock = lock_data_dir(settings)?;
    let db = open_database(settings)?;
    let engine = crate::startup::build_engine(settings)?;
    let report = crate::search::reindex::reindex(
        &db,
        &engine,
        &crate::search::IndexKind::ALL,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for (kind, n) in &report.indexed {
        println!("{}: {n} documents indexed and swapped in", kind.name());
    }
    if report.caught_up > 0 {
        println!(
            "{} items changed meanwhile; queued for the outbox",
            report.caught_up
        );
    }
    Ok(())
}

async fn loadgen(args: crate::tools::loadgen::LoadgenArgs) -> anyhow::Result<()> {
    let json = args.json;
    let options = args.into_options()?;
    let report = crate::tools::loadgen::run(&options).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// Achievements, demands and contracts to generate: a named size, explicit counts
/// overriding its parts.
fn gen_counts(size: Option<&str>, explicit: [Option<u64>; 3]) -> anyhow::Result<[u64; 3]> {
    let named = size
        .map(|s| {
            crate::tools::gen_data::size(s)
                .ok_or_else(|| anyhow::anyhow!("unknown size {s:?}: small or large"))
        })
        .transpose()?
        .unwrap_or((0, 0, 0));
    let [a, d, c] = explicit;
    Ok([
        a.unwrap_or(named.0),
        d.unwrap_or(named.1),
        c.unwrap_or(named.2),
    ])
}

async fn gen_data(settings: &Settings, counts: [u64; 3]) -> anyhow::Result<()> {
    refuse_production(settings, "gen-data")?;
    let [achievements, demands, contracts] = counts;
    let _lock = lock_data_dir(settings)?;
    let db = open_database(settings)?;
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let started = std::time::Instant::now();
    let report = actix_web::web::block(move || {
        crate::tools::gen_data::generate(&db, achievements, demands, contracts, show)
    })
    .await?
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let secs = started.elapsed().as_secs_f64();
    let rows = (report.achievements + report.demands + report.contracts) as f64;
    println!(
        "generated {} achievements, {} demands, {} contracts in {secs:.1} s ({:.0} rows/s)",
        report.achievements,
        report.demands,
        report.contracts,
        rows / secs.max(1e-9)
    );
    Ok(())
}
