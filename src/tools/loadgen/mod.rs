//! `loadgen`: drives a running server over HTTP and reports, per scenario, throughput and
//! exact latency percentiles (nearest rank over every recorded request, no histogram
//! buckets) and the error count.
//!
//! Each scenario runs on its own for a fixed time with N concurrent connections; a
//! connection is one keep-alive HTTP/1.1 client sending its next request as soon as the
//! last answer is read (a closed loop). A request is an error when it fails in transport
//! or answers anything but 2xx. Requests finished during the warm-up are not counted.
//!
//! Accounts: the run signs in with an existing admin (`--admin-email`, `--admin-password`;
//! make one with `tt-exchange create-user --role admin`), and through the API creates a few
//! statistician accounts of its own (`loadgen-<tag>-<i>@loadgen.example.cn`) for the
//! turnover and login scenarios. Ids to read and match, and orgs to sign contracts
//! between, are found by calling the list and search endpoints first.
//!
//! Scenarios:
//!
//! | name | requests |
//! | --- | --- |
//! | `search` | public search of achievements (70 %) and demands (30 %): one or two words of the gen-data vocabulary, often with chain / region / TRL filters, a sort or page 2; facets always on |
//! | `match` | `GET /api/v1/demands/{id}/matches` as admin |
//! | `turnover` | `GET /api/v1/stats/turnover` as statistician, several groupings (time plus at most one dimension) |
//! | `contract_create` | `POST /api/v1/contracts` as admin (awaiting both parties), an `Idempotency-Key` each |
//! | `read_by_id` | `GET /api/v1/achievements/{id}` (70 %) or `GET /api/v1/demands/{id}` (30 %), anonymous, over ids sampled from several sort orders |
//! | `login` | `POST /api/v1/auth/login` of the run's statisticians (argon2, slow on purpose) |
//! | `search_under_login` | `search` on N connections while `--storm-connections` more hammer `login` |
//! | `meili_search` | the `search` mix sent straight to Meilisearch (`--meili-url`): each request's parameters go through the server's own parsing and Meilisearch request building, and the body is posted to `/indexes/{uid}/search`; the same seed as `search`, so the same queries in the same order |
//! | `bid_hot` | `POST /api/v1/offerings/{id}/bids` on one auction the run opens, by 8 enterprises of its own, each bid the next step up; a bid that lost the race (`422 bid_too_low`) is a served request, not an error |
//!
//! The floor: before the scenarios, the run measures `GET /health` (no database, no
//! search: the cheapest answer through the same middleware) on the same number of
//! connections, and reports each scenario's p99 as a multiple of that p99.
//!
//! The work runs on the caller's actix runtime ([`run`] spawns local tasks), as the CLI
//! and `#[actix_rt::test]` provide.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;

mod fixture;
mod http;
mod report;
mod scenarios;

pub use report::{Report, ScenarioReport, Stats, Storm};

/// One load scenario of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    Search,
    Match,
    Turnover,
    ContractCreate,
    ReadById,
    Login,
    SearchUnderLogin,
    BidHot,
    /// `GET /health`: the floor every run measures first; not selectable.
    Health,
    /// The `search` mix sent to a direct Meilisearch; only with `--meili-url`.
    MeiliSearch,
}

impl Scenario {
    /// The scenarios against our server a run makes by default.
    pub const ALL: [Scenario; 8] = [
        Scenario::Search,
        Scenario::Match,
        Scenario::Turnover,
        Scenario::ContractCreate,
        Scenario::ReadById,
        Scenario::Login,
        Scenario::SearchUnderLogin,
        Scenario::BidHot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Search => "search",
            Scenario::Match => "match",
            Scenario::Turnover => "turnover",
            Scenario::ContractCreate => "contract_create",
            Scenario::ReadById => "read_by_id",
            Scenario::Login => "login",
            Scenario::SearchUnderLogin => "search_under_login",
            Scenario::BidHot => "bid_hot",
            Scenario::Health => "health",
            Scenario::MeiliSearch => "meili_search",
        }
    }

    /// A selectable scenario by name (`health` is not: every run measures it first).
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL
            .into_iter()
            .chain([Scenario::MeiliSearch])
            .find(|x| x.name() == s)
    }

    /// The seed of its connections' random streams: `meili_search` draws the very
    /// queries of `search`, in the same order.
    fn seed(self) -> u64 {
        match self {
            Scenario::MeiliSearch => Scenario::Search as u64 + 1,
            s => s as u64 + 1,
        }
    }
}

/// A direct Meilisearch to drive with the `search` mix.
#[derive(Debug, Clone)]
pub struct MeiliTarget {
    /// Base URL, e.g. `http://127.0.0.1:7701`.
    pub url: String,
    pub key: Option<String>,
    /// Prefix of the index names: `<prefix>achievements`, `<prefix>demands`.
    pub prefix: String,
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub connections: usize,
    /// Measured time per scenario.
    pub duration: Duration,
    /// Unmeasured time before each scenario.
    pub warmup: Duration,
    pub scenarios: Vec<Scenario>,
    pub admin_email: String,
    pub admin_password: String,
    /// Login connections beside the search ones in `search_under_login`.
    pub storm_connections: usize,
    /// Where `meili_search` sends its queries.
    pub meili: Option<MeiliTarget>,
}

/// `tt-exchange loadgen` arguments.
#[derive(Debug, clap::Args)]
pub struct LoadgenArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Concurrent keep-alive connections per scenario.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Measured time per scenario: `10s`, `500ms`, `2m`.
    #[arg(long, default_value = "10s")]
    pub duration: String,
    /// Unmeasured warm-up before each scenario.
    #[arg(long, default_value = "1s")]
    pub warmup: String,
    /// Comma-separated scenarios (default: all): search, match, turnover,
    /// contract_create, read_by_id, login, search_under_login, bid_hot; and
    /// meili_search (default with --meili-url, right after search). `/health` is always
    /// measured first, as the floor.
    #[arg(long, value_delimiter = ',')]
    pub scenario: Vec<String>,
    /// An existing admin account (make one with `create-user --role admin`).
    #[arg(long, env = "TT_LOADGEN_ADMIN_EMAIL")]
    pub admin_email: String,
    #[arg(long, env = "TT_LOADGEN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// Login connections during `search_under_login` (default: --connections).
    #[arg(long)]
    pub storm_connections: Option<usize>,
    /// A direct Meilisearch to send the `search` mix to (`meili_search`), for the
    /// side-by-side figure: e.g. `http://127.0.0.1:7701`.
    #[arg(long)]
    pub meili_url: Option<String>,
    /// Its API key (a search or master key).
    #[arg(long, env = "TT_LOADGEN_MEILI_KEY", hide_env_values = true)]
    pub meili_key: Option<String>,
    /// Prefix of its index names: `<prefix>achievements`, `<prefix>demands` (the
    /// server's `TT_INDEX_PREFIX`, or `direct_` for the indexes `meili_direct.py` loads).
    #[arg(long, default_value = "tt_")]
    pub meili_prefix: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl LoadgenArgs {
    pub fn into_options(self) -> anyhow::Result<Options> {
        if self.connections == 0 {
            bail!("--connections must be at least 1");
        }
        let meili = self.meili_url.map(|url| MeiliTarget {
            url: url.trim_end_matches('/').to_owned(),
            key: self.meili_key,
            prefix: self.meili_prefix,
        });
        let scenarios = scenarios_of(&self.scenario, meili.is_some())?;
        Ok(Options {
            url: self.url.trim_end_matches('/').to_owned(),
            connections: self.connections,
            duration: parse_duration(&self.duration)?,
            warmup: parse_duration(&self.warmup)?,
            scenarios,
            admin_email: self.admin_email,
            admin_password: self.admin_password,
            storm_connections: self.storm_connections.unwrap_or(self.connections),
            meili,
        })
    }
}

/// The scenarios named (all by default, `meili_search` after `search` when there is a
/// Meilisearch to drive); `meili_search` without one is an error.
fn scenarios_of(names: &[String], with_meili: bool) -> anyhow::Result<Vec<Scenario>> {
    if names.is_empty() {
        let mut all = Scenario::ALL.to_vec();
        if with_meili {
            all.insert(1, Scenario::MeiliSearch);
        }
        return Ok(all);
    }
    let scenarios = names
        .iter()
        .map(|s| {
            Scenario::parse(s.trim()).ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|x| x.name()).collect();
                anyhow!(
                    "unknown scenario {s:?}; one of {}, meili_search",
                    names.join(", ")
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if scenarios.contains(&Scenario::MeiliSearch) && !with_meili {
        bail!("meili_search needs --meili-url");
    }
    Ok(scenarios)
}

/// `10s`, `1.5s`, `500ms`, `2m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .with_context(|| format!("bad duration {s:?}: use e.g. 10s, 500ms, 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => bail!("bad duration unit in {s:?}: ms, s or m"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("bad duration {s:?}");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs every scenario of `opts` in turn against the server at `opts.url`.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    if opts.connections == 0 {
        bail!("connections must be at least 1");
    }
    let mut fx = Arc::new(fixture::prepare(opts).await?);
    let floor = run_scenario(opts, &fx, Scenario::Health).await?;
    let mut signed_in = Instant::now();
    let mut scenarios = Vec::new();
    for &scenario in &opts.scenarios {
        // Access tokens live 15 minutes by default: sign in again well before that.
        if signed_in.elapsed() > Duration::from_secs(300) {
            fx = Arc::new(fx.signed_in_again(opts).await?);
            signed_in = Instant::now();
        }
        scenarios.push(run_scenario(opts, &fx, scenario).await?);
    }
    Ok(Report::new(
        opts,
        (fx.achievement_ids.len(), fx.demand_ids.len()),
        floor,
        scenarios,
    ))
}

/// One scenario on its connections (and, for `search_under_login`, the login storm
/// beside them).
async fn run_scenario(
    opts: &Options,
    fx: &Arc<fixture::Fixture>,
    scenario: Scenario,
) -> anyhow::Result<ScenarioReport> {
    let mut groups = vec![(scenario, opts.connections)];
    if scenario == Scenario::SearchUnderLogin && opts.storm_connections > 0 {
        groups.push((Scenario::Login, opts.storm_connections));
    }
    let mut samples = scenarios::drive(opts, fx, &groups, scenario.seed())
        .await?
        .into_iter();
    let stats = Stats::from_samples(samples.next().unwrap_or_default(), opts.duration);
    let storm = samples.next().map(|s| Storm {
        connections: opts.storm_connections,
        stats: Stats::from_samples(s, opts.duration),
    });
    Ok(ScenarioReport {
        scenario,
        connections: opts.connections,
        seconds: opts.duration.as_secs_f64(),
        stats,
        storm,
        floor_multiple: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scenarios_parse() {
        assert_eq!(scenarios_of(&[], false).unwrap(), Scenario::ALL.to_vec());
        let with_meili = scenarios_of(&[], true).unwrap();
        assert_eq!(&with_meili[..2], &[Scenario::Search, Scenario::MeiliSearch]);
        assert_eq!(with_meili.len(), Scenario::ALL.len() + 1);
        assert_eq!(
            scenarios_of(&names(&["read_by_id", " turnover"]), false).unwrap(),
            vec![Scenario::ReadById, Scenario::Turnover]
        );
        assert!(scenarios_of(&names(&["meili_search"]), false).is_err());
        assert!(scenarios_of(&names(&["meili_search"]), true).is_ok());
        // The floor is always measured; it is not a scenario to ask for.
        assert!(scenarios_of(&names(&["health"]), false).is_err());
        assert!(scenarios_of(&names(&["reads"]), false).is_err());
    }

    #[test]
    fn meili_search_draws_the_queries_of_search() {
        assert_eq!(Scenario::MeiliSearch.seed(), Scenario::Search.seed());
        assert_ne!(Scenario::ReadById.seed(), Scenario::Search.seed());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
