//! What a run measured: samples per connection, exact nearest-rank percentiles, the
//! report per scenario and its plain-text table.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::Scenario;

/// The distinct errors a [`Samples`] keeps, to tell what went wrong.
const FIRST_ERRORS: usize = 3;

/// What one connection measured.
#[derive(Debug, Default)]
pub(super) struct Samples {
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    pub first_errors: Vec<String>,
}

impl Samples {
    pub fn error(&mut self, e: String) {
        self.errors += 1;
        self.keep_error(e);
    }

    fn keep_error(&mut self, e: String) {
        if self.first_errors.len() < FIRST_ERRORS && !self.first_errors.contains(&e) {
            self.first_errors.push(e);
        }
    }

    pub fn merge(&mut self, other: Samples) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for e in other.first_errors {
            self.keep_error(e);
        }
    }
}

/// Latency and throughput of one kind of request over a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first few distinct errors, to tell what went wrong.
    pub first_errors: Vec<String>,
}

impl Stats {
    pub(super) fn from_samples(mut s: Samples, window: Duration) -> Stats {
        s.latencies_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if s.latencies_us.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least p of the samples at or below.
            let rank = ((p * s.latencies_us.len() as f64).ceil() as usize).max(1);
            f64::from(s.latencies_us[rank - 1]) / 1000.0
        };
        let requests = s.latencies_us.len() as u64;
        Stats {
            requests,
            errors: s.errors,
            rps: requests as f64 / window.as_secs_f64().max(1e-9),
            p50_ms: pct(0.50),
            p90_ms: pct(0.90),
            p99_ms: pct(0.99),
            max_ms: pct(1.0),
            first_errors: s.first_errors,
        }
    }
}

/// One scenario's outcome. For `search_under_login`, `stats` are the searches and
/// `storm` the concurrent logins.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub scenario: Scenario,
    pub connections: usize,
    pub seconds: f64,
    #[serde(flatten)]
    pub stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
}

impl ScenarioReport {
    /// The first errors of the scenario's requests, its login storm's after.
    fn first_errors(&self) -> impl Iterator<Item = &String> {
        self.stats
            .first_errors
            .iter()
            .chain(self.storm.iter().flat_map(|s| &s.stats.first_errors))
    }
}

/// The login side of `search_under_login`.
#[derive(Debug, Clone, Serialize)]
pub struct Storm {
    pub connections: usize,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub url: String,
    pub connections: usize,
    pub duration_secs: f64,
    pub achievements_sampled: usize,
    pub demands_sampled: usize,
    pub scenarios: Vec<ScenarioReport>,
}

/// One row of the table.
fn row(out: &mut String, name: &str, conns: usize, s: &Stats) {
    let _ = writeln!(
        out,
        "{:<22} {:>5} {:>9} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
        name, conns, s.requests, s.rps, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.errors
    );
}

impl Report {
    pub fn get(&self, s: Scenario) -> Option<&ScenarioReport> {
        self.scenarios.iter().find(|r| r.scenario == s)
    }

    /// Search p99 under the login storm over its quiet value, when both ran.
    pub fn storm_ratio(&self) -> Option<f64> {
        let quiet = self.get(Scenario::Search)?.stats.p99_ms;
        let storm = self.get(Scenario::SearchUnderLogin)?.stats.p99_ms;
        (quiet > 0.0).then(|| storm / quiet)
    }

    /// A plain-text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<22} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "scenario",
            "conns",
            "requests",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "errors"
        );
        for r in &self.scenarios {
            row(&mut out, r.scenario.name(), r.connections, &r.stats);
            if let Some(storm) = &r.storm {
                row(&mut out, "  (login storm)", storm.connections, &storm.stats);
            }
        }
        self.notes(&mut out);
        out
    }

    /// What follows the rows: the storm ratio, a hint on rate limits, the first errors.
    fn notes(&self, out: &mut String) {
        if let Some(ratio) = self.storm_ratio() {
            let _ = writeln!(
                out,
                "search p99 under login storm / quiet search p99 = {ratio:.2}"
            );
        }
        let limited = self
            .scenarios
            .iter()
            .any(|r| r.first_errors().any(|e| e.contains("429")));
        if limited {
            let _ = writeln!(
                out,
                "429 answers: the server's per-client rate limits apply to this one client; \
                 measure capacity with TT_RATE_LIMIT_LOGIN_PER_MIN=0 and \
                 TT_RATE_LIMIT_WRITES_PER_MIN=0 on the server"
            );
        }
        for r in &self.scenarios {
            for e in r.first_errors() {
                let _ = writeln!(out, "error in {}: {e}", r.scenario.name());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Samples {
            latencies_us: (1..=100).rev().map(|i| i * 1000).collect(),
            errors: 0,
            first_errors: vec![],
        };
        let st = Stats::from_samples(s, Duration::from_secs(2));
        assert_eq!(st.requests, 100);
        assert_eq!(st.rps, 50.0);
        assert_eq!(st.p50_ms, 50.0);
        assert_eq!(st.p90_ms, 90.0);
        assert_eq!(st.p99_ms, 99.0);
        assert_eq!(st.max_ms, 100.0);
    }
}
