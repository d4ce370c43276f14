//! Embedded search engine at provincial scale: indexing throughput and query latency.
//!
//! `cargo bench --bench search -- 10000 100000` (sizes default to 10,000 and 100,000
//! achievements). Documents are synthesised from the demo data (titles, keywords and
//! summaries recombined across chains), so token distributions are realistic Chinese.
//! Prints numbers; asserts nothing about speed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tt_exchange::search::embedded::EmbeddedEngine;
use tt_exchange::search::meili::MeiliEngine;
use tt_exchange::search::{
    Engine, Filter, FilterValue, IndexKind, Order, SearchEngine, SearchQuery, Target,
};

const DEMO: &str = include_str!("../seed/demo.json");

fn synthesise(n: usize) -> Vec<Value> {
    let demo: Value = serde_json::from_str(DEMO).expect("demo.json");
    let src = demo["achievements"].as_array().expect("achievements");
    let regions = [
        "610100", "610200", "610300", "610400", "610500", "610600", "610700", "610800", "610900",
        "611000", "610403", "xixian",
    ];
    (0..n)
        .map(|i| {
            let a = &src[i % src.len()];
            let b = &src[(i * 7 + 3) % src.len()];
            let price = (i % 4 != 0).then(|| (i as i64 % 500 + 1) * 1_000_000);
            json!({
                "id": i as i64 + 1,
                "title": format!("{}（{}）", a["title"].as_str().unwrap_or(""), i),
                "summary": format!("{} {}", a["summary"].as_str().unwrap_or(""), b["summary"].as_str().unwrap_or("")),
                "keywords": a["keywords"],
                "inventors": a["inventors"],
                "org_name": "陕西某高校",
                "org_id": (i % 300) as i64,
                "chain": a["chain"],
                "field": a["field"],
                "region": regions[i % regions.len()],
                "trl": (i % 9 + 1) as i64,
                "stage": a["stage"],
                "transfer_modes": a["transfer_modes"],
                "price_min_fen": price,
                "price_max_fen": price.map(|p| p * 3),
                "negotiable": price.is_none(),
                "pool_years": if i % 50 == 0 { json!([2025]) } else { json!([]) },
                "key_project": i % 500 == 0,
                "published_at": 1_700_000_000 + i as i64,
            })
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn run(n: usize, engine: Engine, label: &str) {
    println!("-- {label}");
    engine.prepare().await.expect("prepare");
    let docs = synthesise(n);
    let target = Target::live(IndexKind::Achievements);
    let started = Instant::now();
    for chunk in docs.chunks(5_000) {
        engine.upsert(&target, chunk.to_vec()).await.expect("index");
    }
    let index_time = started.elapsed();
    println!(
        "n={n:>7}  index: {:.2} s total, {:.0} docs/s",
        index_time.as_secs_f64(),
        n as f64 / index_time.as_secs_f64()
    );

    let facets = vec![
        "chain".to_owned(),
        "field".to_owned(),
        "region".to_owned(),
        "trl".to_owned(),
    ];
    let queries: Vec<(&str, SearchQuery)> = vec![
        (
            "q=碳化硅 (synonyms)",
            SearchQuery {
                q: "碳化硅".into(),
                limit: 20,
                facets: facets.clone(),
                ..Default::default()
            },
        ),
        (
            "q=钛合金 增材制造",
            SearchQuery {
                q: "钛合金 增材制造".into(),
                limit: 20,
                facets: facets.clone(),
                ..Default::default()
            },
        ),
        (
            "q=热误差 + chain + trl range",
            SearchQuery {
                q: "热误差".into(),
                filters: vec![
                    Filter::In(
                        "chain".into(),
                        vec![FilterValue::Str("machine_tools".into())],
                    ),
                    Filter::Range {
                        field: "trl".into(),
                        min: Some(4),
                        max: None,
                    },
                ],
                limit: 20,
                facets: facets.clone(),
                ..Default::default()
            },
        ),
        (
            "no q, newest, facets (all docs)",
            SearchQuery {
                sort: vec![
                    ("published_at".into(), Order::Desc),
                    ("id".into(), Order::Desc),
                ],
                limit: 20,
                facets: facets.clone(),
                ..Default::default()
            },
        ),
        (
            "filter region + price sort",
            SearchQuery {
                filters: vec![Filter::Eq(
                    "region".into(),
                    FilterValue::Str("610100".into()),
                )],
                sort: vec![("price_min_fen".into(), Order::Asc)],
                limit: 20,
                facets: facets.clone(),
                ..Default::default()
            },
        ),
    ];
    for (name, q) in &queries {
        let mut times = Vec::new();
        let mut total = 0;
        let rounds = 50;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = engine
                .search(IndexKind::Achievements, q)
                .await
                .expect("search");
            times.push(t.elapsed());
            total = r.total;
        }
        times.sort();
        println!(
            "n={n:>7}  {name:<34} hits={total:>7}  p50={:>7.2} ms  p99={:>7.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
    match_timing(&engine, n).await;
}

/// One match request (candidate searches + scoring) for a demand of the demo data.
async fn match_timing(engine: &Engine, n: usize) {
    let demo: Value = serde_json::from_str(DEMO).expect("demo.json");
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let demands = demo["demands"].as_array().expect("demands");
    let mut times = Vec::new();
    for d in demands.iter().take(20) {
        let profile = tt_exchange::matching::Profile {
            id: 0,
            org_id: -1,
            title: d["title"].as_str().unwrap_or_default().into(),
            body: format!(
                "{}\n{}",
                d["description"].as_str().unwrap_or_default(),
                d["indicators"].as_str().unwrap_or_default()
            ),
            keywords: strings(&d["keywords"]),
            chain: d["chain"].as_str().unwrap_or_default().into(),
            field: d["field"].as_str().unwrap_or_default().into(),
            region: d["region"].as_str().unwrap_or_default().into(),
            trl: d["trl_min"].as_i64().unwrap_or(1) as i32,
            range: tt_exchange::matching::FenRange::of_doc(d, "budget"),
            modes: strings(&d["cooperation_modes"]),
        };
        for _ in 0..5 {
            let t = Instant::now();
            let m = tt_exchange::matching::find(engine, &profile, true, vec![], 10, 1_800_000_000)
                .await
                .expect("match");
            times.push(t.elapsed());
            assert!(!m.is_empty());
        }
    }
    times.sort();
    println!(
        "n={n:>7}  one match request (20 demo demands x 5)   p50={:>7.2} ms  p99={:>7.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    );
}

/// Sizes from the arguments; with `TT_BENCH_MEILI_URL` (and `TT_BENCH_MEILI_KEY`) the same
/// runs against a live Meilisearch too.
fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    let system = actix_web::rt::System::new();
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).expect("engine")));
        system.block_on(run(n, engine, "embedded"));
        if let Ok(url) = std::env::var("TT_BENCH_MEILI_URL") {
            let key = std::env::var("TT_BENCH_MEILI_KEY").ok();
            let prefix = format!("tt_bench_{n}_{}_", std::process::id());
            let meili = MeiliEngine::new(&url, key.as_deref(), &prefix).expect("meilisearch");
            system.block_on(run(n, Engine::Meilisearch(meili.clone()), "meilisearch"));
            let _ = system.block_on(meili.delete_indexes());
        }
    }
}
