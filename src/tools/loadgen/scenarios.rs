//! The requests of each scenario and the closed-loop connections that send them.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::anyhow;
use serde_json::json;

use super::fixture::Fixture;
use super::http::{Req, client, send};
use super::report::Samples;
use super::{MeiliTarget, Options, Scenario};
use crate::clock::today;
use crate::search::IndexKind;
use crate::search::handlers::board_query;
use crate::search::meili::SearchPlan;
use crate::taxonomy;
use crate::tools::gen_data::{Rng, vocabulary};

const TURNOVER_QUERIES: &[&str] = &[
    "group_by=year",
    "group_by=year,seller_region",
    "group_by=quarter,chain",
    "group_by=month&from=2024-01-01&to=2024-12-31",
    "group_by=kind",
    "group_by=field&include_unregistered=true",
    "group_by=year,buyer_region&date_basis=registered",
    "group_by=seller_kind&from=2023-01-01&to=2025-06-30",
    "group_by=year,seller_org",
    "group_by=quarter",
];

/// Contract kinds and sub-kinds of `contract_create`, drawn uniformly.
const CONTRACT_KINDS: [(&str, Option<&str>); 6] = [
    ("development", Some("commissioned")),
    ("development", Some("cooperative")),
    ("transfer", Some("patent")),
    ("licensing", Some("exclusive")),
    ("consulting", None),
    ("service", Some("training")),
];

/// The filters, sort and page of a search, drawn after its words.
fn search_filters(rng: &mut Rng, chain: &str, demands: bool, q: &mut Vec<(&'static str, String)>) {
    if rng.below(100) < 40 {
        q.push(("chain", chain.to_owned()));
    }
    if rng.below(100) < 15 {
        let regions: Vec<&str> = taxonomy::REGIONS.codes().collect();
        q.push(("region", rng.pick(&regions).to_owned()));
    }
    if rng.below(100) < 20 {
        q.push(("trl_min", (1 + rng.below(6)).to_string()));
    }
    if !demands && rng.below(100) < 10 {
        let stages: Vec<&str> = taxonomy::STAGES.codes().collect();
        q.push(("stage", rng.pick(&stages).to_owned()));
    }
    if rng.below(100) < 10 {
        let sort = match (demands, rng.below(2)) {
            (false, 0) => "price_asc",
            (true, 0) => "budget_desc",
            _ => "newest",
        };
        q.push(("sort", sort.into()));
    }
    if rng.below(100) < 10 {
        q.push(("page", "2".into()));
    }
}

/// A public search of achievements (70 %) or demands (30 %) in a chain's words.
pub(super) fn search_request(rng: &mut Rng) -> Req {
    let vocab = vocabulary();
    let t = &vocab[rng.below(vocab.len())];
    let demands = rng.below(10) < 3;
    let mut q: Vec<(&'static str, String)> = Vec::new();
    let r = rng.below(100);
    if r < 90 {
        let a = &t.keywords[rng.below(t.keywords.len())];
        let text = if r < 20 {
            format!("{a} {}", t.keywords[rng.below(t.keywords.len())])
        } else {
            a.clone()
        };
        q.push(("q", text));
    }
    search_filters(rng, t.chain, demands, &mut q);
    let path = if demands {
        "/api/v1/demands"
    } else {
        "/api/v1/achievements"
    };
    Req::get(path.into()).query(q)
}

/// A contract between a random seller and buyer, awaiting both, with its own
/// idempotency key.
fn contract_request(fx: &Fixture, rng: &mut Rng) -> Req {
    let seq = fx.contract_seq.fetch_add(1, Ordering::Relaxed) % 10_000_000;
    let seller = fx.sellers[rng.below(fx.sellers.len())];
    let mut buyer = fx.buyers[rng.below(fx.buyers.len())];
    if buyer == seller {
        buyer = fx.buyers[0];
    }
    let (kind, sub_kind) = CONTRACT_KINDS[rng.below(CONTRACT_KINDS.len())];
    let chains: Vec<&str> = taxonomy::CHAINS.codes().collect();
    let fields: Vec<&str> = taxonomy::FIELDS.codes().collect();
    let signed = today() - chrono::Duration::days(1 + rng.below(700) as i64);
    let amount = (1 + rng.below(50_000) as i64) * 100_000;
    let mut req = Req::post(
        "/api/v1/contracts",
        json!({
            "kind": kind,
            "sub_kind": sub_kind,
            "seller_org_id": seller,
            "buyer_org_id": buyer,
            "signed_on": signed,
            "amount_fen": amount,
            "tech_amount_fen": amount / 10 * 9,
            "chain": rng.pick(&chains),
            "field": rng.pick(&fields),
        }),
    )
    .token(&fx.admin_token);
    req.idempotency_key = Some(format!("loadgen-{}-{seq}", fx.run_tag));
    req
}

/// The next request of a connection running `load` (`search_under_login` sends searches;
/// its logins run as `login`).
fn request(load: Scenario, fx: &Fixture, rng: &mut Rng) -> Req {
    match load {
        Scenario::Search | Scenario::SearchUnderLogin => search_request(rng),
        Scenario::Match => {
            let id = fx.demand_ids[rng.below(fx.demand_ids.len())];
            Req::get(format!("/api/v1/demands/{id}/matches"))
                .token(&fx.admin_token)
                .query(vec![("limit", "10".into())])
        }
        Scenario::Turnover => {
            let q = TURNOVER_QUERIES[rng.below(TURNOVER_QUERIES.len())];
            let token = &fx.stat_tokens[rng.below(fx.stat_tokens.len())];
            Req::get(format!("/api/v1/stats/turnover?{q}")).token(token)
        }
        Scenario::ContractCreate => contract_request(fx, rng),
        Scenario::ReadById => read_request(fx, rng),
        Scenario::Login => {
            let (email, password) = &fx.logins[rng.below(fx.logins.len())];
            Req::login(email, password)
        }
        Scenario::BidHot => bid_request(fx, rng),
        Scenario::Health => Req::get("/health".into()),
        Scenario::MeiliSearch => meili_request(fx.meili.as_ref(), search_request(rng)),
    }
}

/// An achievement (70 %) or a demand (30 %) by id, anonymous.
fn read_request(fx: &Fixture, rng: &mut Rng) -> Req {
    if rng.below(10) < 7 {
        let id = fx.achievement_ids[rng.below(fx.achievement_ids.len())];
        Req::get(format!("/api/v1/achievements/{id}"))
    } else {
        let id = fx.demand_ids[rng.below(fx.demand_ids.len())];
        Req::get(format!("/api/v1/demands/{id}"))
    }
}

/// `search`'s request to our server, as the server would ask Meilisearch: the same
/// parameter parsing (`board_query`) and request building (`SearchPlan`), posted to
/// `/indexes/<prefix><kind>/search`. A query of stop words only, which the server answers
/// without asking Meilisearch, is sent with its words as they are.
pub(super) fn meili_request(target: Option<&MeiliTarget>, search: Req) -> Req {
    let kind = if search.path.ends_with("/demands") {
        IndexKind::Demands
    } else {
        IndexKind::Achievements
    };
    let pairs: Vec<(String, String)> = search
        .query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let body = match board_query(kind, pairs) {
        Ok(query) => match SearchPlan::of(&query) {
            Ok(Some(plan)) => plan.body(),
            Ok(None) => json!({"q": query.q}),
            Err(e) => json!({"loadgen_error": e.to_string()}),
        },
        Err(e) => json!({"loadgen_error": format!("{e:?}")}),
    };
    let (base, prefix) = match target {
        Some(t) => (Arc::from(t.url.as_str()), t.prefix.as_str()),
        None => (Arc::from("http://meili-url-not-given.invalid"), ""),
    };
    let mut req = Req::post(&format!("/indexes/{prefix}{}/search", kind.name()), body);
    req.base = Some(base);
    req.token = target.and_then(|t| t.key.clone());
    req
}

/// The next step up on the hot auction, by a random bidder of the run.
fn bid_request(fx: &Fixture, rng: &mut Rng) -> Req {
    let Some(hot) = &fx.hot else {
        return Req::get("/api/v1/offerings".into());
    };
    let amount = hot.next.fetch_add(hot.increment, Ordering::Relaxed);
    let token = &hot.bidders[rng.below(hot.bidders.len())];
    Req::post(
        &format!("/api/v1/offerings/{}/bids", hot.offering),
        json!({"amount_fen": amount}),
    )
    .token(token)
}

/// Whether an answer is a served request of `load`: a 2xx, or, for `bid_hot`, a bid that
/// lost the race to a concurrent one (`422 bid_too_low`), which the server checked under
/// the offering's lock like any other bid.
fn served(load: Scenario, outcome: &Result<Vec<u8>, String>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(e) => load == Scenario::BidHot && e.contains("422") && e.contains("bid_too_low"),
    }
}

/// Requests prepared before the clock starts for `meili_search`, cycled through: each is
/// `search`'s request turned into Meilisearch's (parsing and word segmentation the server
/// does on its side), so this client-side work is not charged to Meilisearch's latency.
const PREPARED: usize = 4096;

/// Where a connection's requests come from.
enum Source {
    Live(Rng),
    Prepared(Vec<Req>, usize),
}

impl Source {
    fn new(load: Scenario, fx: &Fixture, seed: u64) -> Source {
        let mut rng = Rng::new(seed);
        if load != Scenario::MeiliSearch {
            return Source::Live(rng);
        }
        let reqs = (0..PREPARED).map(|_| request(load, fx, &mut rng)).collect();
        Source::Prepared(reqs, 0)
    }

    /// Sends the next request.
    async fn send_next(
        &mut self,
        client: &reqwest::Client,
        base: &str,
        load: Scenario,
        fx: &Fixture,
    ) -> Result<Vec<u8>, String> {
        match self {
            Source::Live(rng) => send(client, base, &request(load, fx, rng)).await,
            Source::Prepared(reqs, next) => {
                let i = *next % reqs.len().max(1);
                *next += 1;
                match reqs.get(i) {
                    Some(req) => send(client, base, req).await,
                    None => Err("no prepared requests".into()),
                }
            }
        }
    }
}

/// One closed-loop connection until `until`; counts what finished after `measure_from`.
async fn connection(
    base: Arc<str>,
    fx: Arc<Fixture>,
    load: Scenario,
    mut source: Source,
    measure_from: Instant,
    until: Instant,
) -> Samples {
    let mut samples = Samples::default();
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            samples.error(format!("building the HTTP client: {e}"));
            return samples;
        }
    };
    while Instant::now() < until {
        let started = Instant::now();
        let outcome = source.send_next(&client, &base, load, &fx).await;
        let done = Instant::now();
        if done < measure_from {
            continue;
        }
        match outcome {
            o if served(load, &o) => {
                let us = done.duration_since(started).as_micros();
                samples
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            Ok(_) => {}
            Err(e) => samples.error(e),
        }
    }
    samples
}

/// Runs `groups` of (load, connections) together; one [`Samples`] per group.
pub(super) async fn drive(
    opts: &Options,
    fx: &Arc<Fixture>,
    groups: &[(Scenario, usize)],
    seed: u64,
) -> anyhow::Result<Vec<Samples>> {
    let base: Arc<str> = Arc::from(opts.url.as_str());
    let mut sources = Vec::new();
    for (g, &(load, n)) in groups.iter().enumerate() {
        for i in 0..n {
            let s = seed
                .wrapping_mul(0x2545_f491_4f6c_dd1d)
                .wrapping_add((g * 1000 + i) as u64 + 1);
            sources.push((g, load, Source::new(load, fx, s)));
        }
    }
    let measure_from = Instant::now() + opts.warmup;
    let until = measure_from + opts.duration;
    let mut handles = Vec::new();
    for (g, load, source) in sources {
        let conn = connection(base.clone(), fx.clone(), load, source, measure_from, until);
        handles.push((g, actix_web::rt::spawn(conn)));
    }
    let mut out: Vec<Samples> = groups.iter().map(|_| Samples::default()).collect();
    for (g, h) in handles {
        let samples = h
            .await
            .map_err(|e| anyhow!("a connection task failed: {e}"))?;
        out[g].merge(samples);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_requests_use_the_vocabulary() {
        let mut rng = Rng::new(7);
        let with_q = (0..200)
            .map(|_| search_request(&mut rng))
            .filter(|r| r.query.iter().any(|(k, v)| *k == "q" && !v.is_empty()))
            .count();
        assert!(with_q > 150, "{with_q}");
    }

    #[test]
    fn meili_requests_carry_what_the_server_would_ask() {
        let target = MeiliTarget {
            url: "http://127.0.0.1:7701".into(),
            key: Some("k".into()),
            prefix: "direct_".into(),
        };
        let search = Req::get("/api/v1/demands".into()).query(vec![
            ("q", "储能".into()),
            ("chain", "semiconductors".into()),
            ("page", "2".into()),
        ]);
        let req = meili_request(Some(&target), search);
        assert_eq!(req.method, reqwest::Method::POST);
        assert_eq!(req.base.as_deref(), Some("http://127.0.0.1:7701"));
        assert_eq!(req.path, "/indexes/direct_demands/search");
        assert_eq!(req.token.as_deref(), Some("k"));
        let body = req.body.unwrap();
        assert_eq!(body["q"], "储能");
        assert_eq!(body["page"], 2);
        assert_eq!(body["hitsPerPage"], 20);
        let filter = body["filter"].as_str().unwrap();
        // Demands: the chain asked for, and only unexpired ones, as the server filters.
        assert!(
            filter.contains(r#"(chain IN ["semiconductors"])"#),
            "{filter}"
        );
        assert!(filter.contains("(valid_until >= "), "{filter}");
        assert_eq!(
            body["facets"],
            json!(["chain", "field", "region", "trl_min"])
        );
    }
}
