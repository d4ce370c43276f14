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
    /// p99 over the p99 of `/health` in the same run at the same concurrency.
    pub floor_multiple: Option<f64>,
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
    /// `GET /health` on the run's connections, measured before the scenarios: the
    /// cheapest answer through the same server, client and middleware.
    pub floor: ScenarioReport,
    pub scenarios: Vec<ScenarioReport>,
}

/// `p99` as a multiple of the floor's p99; `None` when the floor measured nothing.
pub fn floor_multiple(p99_ms: f64, floor_p99_ms: f64) -> Option<f64> {
    (floor_p99_ms > 0.0 && p99_ms.is_finite()).then(|| p99_ms / floor_p99_ms)
}

/// One row of the table; `multiple` is the p99 over the floor's.
fn row(out: &mut String, name: &str, conns: usize, s: &Stats, multiple: Option<f64>) {
    let multiple = multiple.map_or_else(|| "-".to_owned(), |m| format!("{m:.1}×"));
    let _ = writeln!(
        out,
        "{:<22} {:>5} {:>9} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>8}",
        name, conns, s.requests, s.rps, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.errors, multiple
    );
}

impl Report {
    pub(super) fn new(
        opts: &super::Options,
        (achievements_sampled, demands_sampled): (usize, usize),
        floor: ScenarioReport,
        mut scenarios: Vec<ScenarioReport>,
    ) -> Report {
        for r in &mut scenarios {
            r.floor_multiple = floor_multiple(r.stats.p99_ms, floor.stats.p99_ms);
        }
        Report {
            url: opts.url.clone(),
            connections: opts.connections,
            duration_secs: opts.duration.as_secs_f64(),
            achievements_sampled,
            demands_sampled,
            floor,
            scenarios,
        }
    }

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
            "{:<22} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
            "scenario",
            "conns",
            "requests",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "errors",
            "p99/floor"
        );
        row(
            &mut out,
            "(floor) /health",
            self.floor.connections,
            &self.floor.stats,
            None,
        );
        for r in &self.scenarios {
            row(
                &mut out,
                r.scenario.name(),
                r.connections,
                &r.stats,
                r.floor_multiple,
            );
            if let Some(storm) = &r.storm {
                let m = floor_multiple(storm.stats.p99_ms, self.floor.stats.p99_ms);
                row(
                    &mut out,
                    "  (login storm)",
                    storm.connections,
                    &storm.stats,
                    m,
                );
            }
        }
        self.floor_lines(&mut out);
        self.notes(&mut out);
        out
    }

    /// Each scenario's p99 against the floor, in words: `p99 4.1 ms = 1.6× floor`.
    fn floor_lines(&self, out: &mut String) {
        let f = &self.floor.stats;
        let _ = writeln!(
            out,
            "floor: /health {:.0} req/s, p99 {:.2} ms on {} connections",
            f.rps, f.p99_ms, self.floor.connections
        );
        for r in &self.scenarios {
            if let Some(m) = r.floor_multiple {
                let _ = writeln!(
                    out,
                    "{}: {:.0} req/s, p99 {:.2} ms = {m:.1}× floor",
                    r.scenario.name(),
                    r.stats.rps,
                    r.stats.p99_ms
                );
            }
        }
    }

    /// What follows the rows: the storm ratio, a hint on rate limits, the first errors.
    fn notes(&self, out: &mut String) {
        if let Some(ratio) = self.storm_ratio() {
            let _ = writeln!(
                out,
                "search p99 under login storm / quiet search p99 = {ratio:.2}"
            );
        }
        let limited = std::iter::once(&self.floor)
            .chain(&self.scenarios)
            .any(|r| r.first_errors().any(|e| e.contains("429")));
        if limited {
            let _ = writeln!(
                out,
                "429 answers: the server's per-client rate limits apply to this one client; \
                 measure capacity with TT_RATE_LIMIT_LOGIN_PER_MIN=0 and \
                 TT_RATE_LIMIT_WRITES_PER_MIN=0 on the server"
            );
        }
        for r in std::iter::once(&self.floor).chain(&self.scenarios) {
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

    #[test]
    fn floor_multiples() {
        assert_eq!(floor_multiple(4.1, 2.05), Some(2.0));
        assert_eq!(floor_multiple(1.0, 4.0), Some(0.25));
        assert_eq!(floor_multiple(3.0, 0.0), None);
    }

    fn report(floor_p99: f64, p99s: &[(Scenario, f64)]) -> Report {
        let scenario = |scenario, p99_ms| ScenarioReport {
            scenario,
            connections: 8,
            seconds: 10.0,
            stats: Stats {
                requests: 1000,
                errors: 0,
                rps: 100.0,
                p50_ms: p99_ms / 2.0,
                p90_ms: p99_ms,
                p99_ms,
                max_ms: p99_ms,
                first_errors: vec![],
            },
            storm: None,
            floor_multiple: None,
        };
        let opts = super::super::Options {
            url: "http://x".into(),
            connections: 8,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            scenarios: vec![],
            admin_email: String::new(),
            admin_password: String::new(),
            storm_connections: 0,
            meili: None,
        };
        let rows = p99s.iter().map(|&(s, p)| scenario(s, p)).collect();
        Report::new(&opts, (0, 0), scenario(Scenario::Health, floor_p99), rows)
    }

    #[test]
    fn each_scenario_is_reported_against_the_floor() {
        let r = report(
            2.5,
            &[(Scenario::ReadById, 5.0), (Scenario::Turnover, 10.25)],
        );
        assert_eq!(r.scenarios[0].floor_multiple, Some(2.0));
        assert_eq!(r.scenarios[1].floor_multiple, Some(4.1));
        let table = r.table();
        assert!(
            table.contains("floor: /health 100 req/s, p99 2.50 ms on 8 connections"),
            "{table}"
        );
        assert!(
            table.contains("read_by_id: 100 req/s, p99 5.00 ms = 2.0× floor"),
            "{table}"
        );
        assert!(
            table.contains("turnover: 100 req/s, p99 10.25 ms = 4.1× floor"),
            "{table}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["floor"]["p99_ms"], 2.5);
        assert_eq!(json["scenarios"][1]["floor_multiple"], 4.1);
        // A floor that measured nothing gives no multiple rather than a division by zero.
        let none = report(0.0, &[(Scenario::ReadById, 5.0)]);
        assert_eq!(none.scenarios[0].floor_multiple, None);
    }
}
