//! One conformance suite for both search engines: the same documents, the same typed
//! queries, the same expected hits (and order, where a sort defines it). It always runs on
//! the embedded engine; on Meilisearch when `TT_TEST_MEILI_URL` (and `TT_TEST_MEILI_KEY`)
//! point at a live server.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};
use tt_exchange::search::documents;
use tt_exchange::search::embedded::EmbeddedEngine;
use tt_exchange::search::meili::MeiliEngine;
use tt_exchange::search::{
    Engine, Fetch, Filter, FilterValue, IndexKind, MatchingStrategy, Order, SearchEngine,
    SearchQuery, Shape, Target,
};

#[allow(clippy::too_many_arguments)]
fn doc(
    id: i64,
    title: &str,
    keywords: &[&str],
    chain: &str,
    region: &str,
    trl: i32,
    price: Option<(i64, i64)>,
    pool_years: &[i32],
    key_project: bool,
) -> Value {
    json!({
        "id": id, "title": title, "summary": format!("{title}。陕西高校科技成果。"),
        "keywords": keywords, "inventors": ["张伟"], "org_name": "西北工业大学", "org_id": 2,
        "chain": chain, "field": "advanced_manufacturing", "region": region, "trl": trl,
        "stage": "pilot", "transfer_modes": ["licensing"],
        "price_min_fen": price.map(|p| p.0), "price_max_fen": price.map(|p| p.1),
        "price_floor_fen": price.map(|p| p.0), "price_ceiling_fen": price.map(|p| p.1),
        "negotiable": price.is_none(), "pool_years": pool_years, "key_project": key_project,
        "published_at": id * 1000
    })
}

/// A document whose asking price is open at one end, its filter attributes made as the
/// search documents make them.
fn open_ended(id: i64, min: Option<i64>, max: Option<i64>) -> Value {
    let mut d = doc(
        id,
        "光子芯片封装",
        &["光子"],
        "photonics",
        "610100",
        5,
        None,
        &[],
        false,
    );
    d["price_min_fen"] = json!(min);
    d["price_max_fen"] = json!(max);
    d["price_floor_fen"] = json!(documents::floor(min, max));
    d["price_ceiling_fen"] = json!(documents::ceiling(min, max));
    d["negotiable"] = json!(false);
    d
}

/// Prices open at one end: "up to" starts at 0, "from" has no top; filters and sorts on
/// the floor and ceiling attributes, and the documents come back as indexed.
async fn open_ended_prices(engine: &Engine) {
    let (upto50, from30) = (
        open_ended(10, None, Some(50_000_000)),
        open_ended(11, Some(30_000_000), None),
    );
    engine
        .upsert(
            &Target::live(IndexKind::Achievements),
            vec![upto50.clone(), from30.clone()],
        )
        .await
        .unwrap();
    let affordable = |max: i64| SearchQuery {
        filters: vec![Filter::Range {
            field: "price_floor_fen".into(),
            min: None,
            max: Some(max),
        }],
        limit: 50,
        ..Default::default()
    };
    assert_eq!(id_set(engine, affordable(40_000_000)).await, set(&[10, 11]));
    assert_eq!(id_set(engine, affordable(0)).await, set(&[10]));
    assert_eq!(
        id_set(engine, affordable(100_000_000)).await,
        set(&[1, 10, 11]),
        "negotiable (2) still never matches"
    );
    let by = |field: &str, order: Order| SearchQuery {
        sort: vec![(field.into(), order)],
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        ids(engine, by("price_floor_fen", Order::Asc)).await,
        [10, 11, 1, 2]
    );
    assert_eq!(
        ids(engine, by("price_ceiling_fen", Order::Desc)).await,
        [11, 1, 10, 2]
    );
    let hits = ids(engine, q("光子")).await;
    assert_eq!(set(&hits), set(&[10, 11]));
    let r = engine
        .search(IndexKind::Achievements, &affordable(0))
        .await
        .unwrap();
    assert_eq!(r.hits[0], upto50, "open ends come back as null");
}

fn documents() -> Vec<Value> {
    vec![
        doc(
            1,
            "碳化硅MOSFET栅氧可靠性提升技术",
            &["碳化硅", "MOSFET"],
            "semiconductors",
            "610100",
            5,
            Some((100_000_000, 300_000_000)),
            &[2025],
            true,
        ),
        doc(
            2,
            "SiC功率模块封装散热技术",
            &["SiC", "功率模块"],
            "semiconductors",
            "610100",
            6,
            None,
            &[],
            false,
        ),
        doc(
            3,
            "集成电路版图自动化设计软件",
            &["集成电路", "EDA"],
            "semiconductors",
            "610100",
            7,
            Some((50_000_000, 80_000_000)),
            &[],
            false,
        ),
        doc(
            4,
            "钛合金电子束熔丝增材制造技术",
            &["钛合金", "增材制造"],
            "additive_manufacturing",
            "610300",
            6,
            Some((500_000_000, 1_000_000_000)),
            &[2025, 2026],
            false,
        ),
        doc(
            5,
            "3D打印钛合金骨科植入物",
            &["3D打印", "骨科植入物"],
            "additive_manufacturing",
            "610300",
            7,
            Some((200_000_000, 500_000_000)),
            &[2026],
            true,
        ),
        doc(
            6,
            "光伏组件智能运维机器人",
            &["光伏", "运维机器人"],
            "other",
            "610800",
            8,
            Some((30_000_000, 60_000_000)),
            &[],
            false,
        ),
        doc(
            7,
            "碳化硅光伏逆变器",
            &["碳化硅", "光伏", "逆变器"],
            "semiconductors",
            "610100",
            8,
            Some((80_000_000, 120_000_000)),
            &[],
            false,
        ),
        doc(
            8,
            "猕猴桃溃疡病生物防治技术",
            &["猕猴桃", "溃疡病"],
            "seed_industry",
            "610403",
            6,
            None,
            &[2025],
            false,
        ),
        doc(
            9,
            "奇异果保鲜贮藏技术",
            &["奇异果", "保鲜"],
            "seed_industry",
            "610403",
            7,
            Some((10_000_000, 20_000_000)),
            &[],
            false,
        ),
    ]
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        q: text.into(),
        limit: 50,
        ..Default::default()
    }
}

async fn ids(engine: &Engine, query: SearchQuery) -> Vec<i64> {
    let hits = engine
        .search(IndexKind::Achievements, &query)
        .await
        .expect("search");
    hits.hits
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

async fn id_set(engine: &Engine, query: SearchQuery) -> BTreeSet<i64> {
    ids(engine, query).await.into_iter().collect()
}

fn set(v: &[i64]) -> BTreeSet<i64> {
    v.iter().copied().collect()
}

/// The configured strategy (`frequency`): the rarest word found is required, documents
/// with more of the words come first, word order does not matter, an unknown word does
/// not empty the answer, stop words never match; `total` and facets count what matched.
/// `all` and `last` on request.
async fn matching_strategies(engine: &Engine) {
    // 光伏 (6, 7) is rarer than 碳化硅/SiC (1, 2, 7).
    assert_eq!(ids(engine, q("碳化硅 光伏")).await, [7, 6]);
    assert_eq!(ids(engine, q("光伏 碳化硅")).await, [7, 6]);
    assert_eq!(id_set(engine, q("猕猴桃 量子")).await, set(&[8, 9]));
    assert!(id_set(engine, q("量子雷达")).await.is_empty());
    assert_eq!(ids(engine, q("碳化硅的逆变器")).await, [7]);
    for only_stop_words in ["的", "技术", "基于 的 方法"] {
        let r = engine
            .search(IndexKind::Achievements, &q(only_stop_words))
            .await
            .unwrap();
        assert_eq!((r.total, r.hits.len()), (0, 0), "{only_stop_words}");
    }
    let mut faceted = q("碳化硅 光伏");
    faceted.facets = vec!["chain".into()];
    faceted.limit = 1;
    let r = engine
        .search(IndexKind::Achievements, &faceted)
        .await
        .unwrap();
    assert_eq!(r.total, 2);
    assert_eq!(r.facets["chain"]["semiconductors"], 1);
    assert_eq!(r.facets["chain"]["other"], 1);
    let with = |text: &str, strategy: MatchingStrategy| SearchQuery {
        matching: Some(strategy),
        ..q(text)
    };
    assert_eq!(
        ids(engine, with("碳化硅 光伏", MatchingStrategy::All)).await,
        [7]
    );
    let last = ids(engine, with("碳化硅 光伏", MatchingStrategy::Last)).await;
    assert_eq!((last[0], set(&last)), (7, set(&[1, 2, 7])));
    assert_eq!(
        ids(engine, with("光伏 碳化硅", MatchingStrategy::Last)).await,
        [7, 6]
    );
}

/// Hits of a few filterable attributes ([`Fetch::Attributes`], what matching ranks by)
/// hold exactly the documents' values, nulls, empty lists and booleans included.
async fn attributes_from_the_index(engine: &Engine) {
    const FACTS: &[(&str, Shape)] = &[
        ("id", Shape::Int),
        ("org_id", Shape::Int),
        ("chain", Shape::Str),
        ("region", Shape::Str),
        ("trl", Shape::Int),
        ("price_min_fen", Shape::Int),
        ("price_max_fen", Shape::Int),
        ("transfer_modes", Shape::Strs),
        ("pool_years", Shape::Ints),
        ("key_project", Shape::Bool),
        ("negotiable", Shape::Bool),
        ("published_at", Shape::Int),
    ];
    let query = SearchQuery {
        sort: vec![("id".into(), Order::Asc)],
        limit: 50,
        fetch: Fetch::Attributes(FACTS),
        ..Default::default()
    };
    let r = engine
        .search(IndexKind::Achievements, &query)
        .await
        .unwrap();
    assert_eq!(r.hits.len(), documents().len());
    for (hit, doc) in r.hits.iter().zip(documents()) {
        let expected: serde_json::Map<String, Value> = FACTS
            .iter()
            .map(|(name, _)| ((*name).to_owned(), doc[*name].clone()))
            .collect();
        assert_eq!(hit, &Value::Object(expected));
    }
}

/// Every synonym group of `search-config/synonyms.json` is applied: a document holding one
/// term is found by each of its equivalents (in the demands index, empty otherwise).
async fn every_synonym_group(engine: &Engine) {
    let groups = tt_exchange::search::settings::synonym_groups();
    let docs: Vec<Value> = groups
        .iter()
        .enumerate()
        .map(|(i, (term, _))| json!({"id": i as i64 + 1, "title": term}))
        .collect();
    let target = Target::live(IndexKind::Demands);
    engine.upsert(&target, docs).await.expect("index");
    let mut missed = Vec::new();
    for (i, (term, equivalents)) in groups.iter().enumerate() {
        for other in equivalents {
            let r = engine
                .search(IndexKind::Demands, &q(other))
                .await
                .expect("search");
            if !r.hits.iter().any(|h| h["id"] == json!(i as i64 + 1)) {
                missed.push(format!("{other} → {term}"));
            }
        }
    }
    assert!(missed.is_empty(), "synonyms not applied: {missed:?}");
    assert!(groups.len() >= 150, "{}", groups.len());
}

/// The suite itself; `engine` must have empty live indexes.
pub async fn conformance(engine: &Engine) {
    engine.prepare().await.expect("prepare");
    engine
        .upsert(&Target::live(IndexKind::Achievements), documents())
        .await
        .expect("index");

    // Chinese words, and synonyms both ways (碳化硅/SiC, 芯片/集成电路/IC, 猕猴桃/奇异果).
    assert_eq!(id_set(engine, q("碳化硅")).await, set(&[1, 2, 7]));
    assert_eq!(id_set(engine, q("SiC")).await, set(&[1, 2, 7]));
    assert_eq!(id_set(engine, q("芯片")).await, set(&[3]));
    assert_eq!(id_set(engine, q("猕猴桃")).await, set(&[8, 9]));
    assert_eq!(id_set(engine, q("奇异果")).await, set(&[8, 9]));
    assert_eq!(id_set(engine, q("钛合金")).await, set(&[4, 5]));
    matching_strategies(engine).await;
    // Typo tolerance on Latin words: one typo from five letters on.
    assert_eq!(id_set(engine, q("mosfat")).await, set(&[1]));
    assert_eq!(id_set(engine, q("MOSFET")).await, set(&[1]));

    // Filters: equality, any-of, ranges, booleans, array membership.
    let filtered = |filters: Vec<Filter>| SearchQuery {
        filters,
        limit: 50,
        ..Default::default()
    };
    let s = |v: &str| FilterValue::Str(v.into());
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Eq("chain".into(), s("semiconductors"))])
        )
        .await,
        set(&[1, 2, 3, 7])
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::In(
                "region".into(),
                vec![s("610300"), s("610800")]
            )])
        )
        .await,
        set(&[4, 5, 6])
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Range {
                field: "trl".into(),
                min: Some(7),
                max: Some(7)
            }])
        )
        .await,
        set(&[3, 5, 9])
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Range {
                field: "price_max_fen".into(),
                min: None,
                max: Some(80_000_000)
            }])
        )
        .await,
        set(&[3, 6, 9]),
        "documents without a price never match a price range"
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Eq(
                "key_project".into(),
                FilterValue::Bool(true)
            )])
        )
        .await,
        set(&[1, 5])
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Eq(
                "negotiable".into(),
                FilterValue::Bool(true)
            )])
        )
        .await,
        set(&[2, 8])
    );
    assert_eq!(
        id_set(
            engine,
            filtered(vec![Filter::Eq(
                "pool_years".into(),
                FilterValue::Int(2025)
            )])
        )
        .await,
        set(&[1, 4, 8])
    );
    let mut text_and_filter = q("碳化硅");
    text_and_filter.filters = vec![Filter::Range {
        field: "trl".into(),
        min: Some(6),
        max: None,
    }];
    assert_eq!(id_set(engine, text_and_filter).await, set(&[2, 7]));

    // Sorting, with documents lacking the field last; pagination over a sorted list.
    let sorted = |field: &str, order: Order, offset: usize, limit: usize| SearchQuery {
        sort: vec![(field.into(), order)],
        offset,
        limit,
        ..Default::default()
    };
    assert_eq!(
        ids(engine, sorted("price_min_fen", Order::Asc, 0, 50)).await[..7],
        [9, 6, 3, 7, 1, 5, 4]
    );
    assert_eq!(
        ids(engine, sorted("price_max_fen", Order::Desc, 0, 3)).await,
        [4, 5, 1]
    );
    assert_eq!(
        ids(engine, sorted("published_at", Order::Desc, 0, 4)).await,
        [9, 8, 7, 6]
    );
    let page2 = engine
        .search(
            IndexKind::Achievements,
            &sorted("published_at", Order::Desc, 4, 4),
        )
        .await
        .unwrap();
    assert_eq!(page2.total, 9);
    assert_eq!(
        page2
            .hits
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [5, 4, 3, 2]
    );

    // Facets over all hits, not just the page.
    let mut faceted = q("");
    faceted.limit = 1;
    faceted.facets = vec!["chain".into(), "trl".into()];
    let r = engine
        .search(IndexKind::Achievements, &faceted)
        .await
        .unwrap();
    assert_eq!(r.total, 9);
    assert_eq!(r.facets["chain"]["semiconductors"], 4);
    assert_eq!(r.facets["chain"]["seed_industry"], 2);
    assert_eq!(r.facets["trl"]["7"], 3);
    attributes_from_the_index(engine).await;
    // Documents come back as indexed.
    let one = engine
        .search(IndexKind::Achievements, &q("逆变器"))
        .await
        .unwrap();
    assert_eq!(one.hits[0], documents()[6]);

    // Replacing and deleting.
    let mut changed = documents()[6].clone();
    changed["title"] = json!("氮化镓光伏逆变器");
    changed["keywords"] = json!(["氮化镓", "光伏"]);
    changed["summary"] = json!("氮化镓光伏逆变器。陕西高校科技成果。");
    engine
        .upsert(&Target::live(IndexKind::Achievements), vec![changed])
        .await
        .unwrap();
    assert_eq!(id_set(engine, q("碳化硅")).await, set(&[1, 2]));
    assert_eq!(id_set(engine, q("GaN")).await, set(&[7]));
    engine
        .delete(&Target::live(IndexKind::Achievements), vec![1, 2])
        .await
        .unwrap();
    assert!(id_set(engine, q("碳化硅")).await.is_empty());
    assert_eq!(
        engine
            .search(IndexKind::Achievements, &q(""))
            .await
            .unwrap()
            .total,
        7
    );

    // A rebuilt index replaces the live one whole.
    let staging = engine
        .create_staging(IndexKind::Achievements)
        .await
        .unwrap();
    engine
        .upsert(&staging, documents()[..2].to_vec())
        .await
        .unwrap();
    assert_eq!(
        engine
            .search(IndexKind::Achievements, &q(""))
            .await
            .unwrap()
            .total,
        7,
        "live until promoted"
    );
    engine.promote(&staging).await.unwrap();
    assert_eq!(id_set(engine, q("")).await, set(&[1, 2]));
    let health = engine.health().await;
    assert!(health.available);
    assert_eq!(health.documents["achievements"], 2);
    open_ended_prices(engine).await;
    every_synonym_group(engine).await;
}

#[actix_rt::test]
async fn embedded_engine_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).unwrap()));
    conformance(&engine).await;
}

#[actix_rt::test]
async fn embedded_indexes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).unwrap()));
        assert_eq!(
            engine.prepare().await.unwrap().len(),
            2,
            "new indexes need a resync"
        );
        engine
            .upsert(&Target::live(IndexKind::Achievements), documents())
            .await
            .unwrap();
    }
    let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).unwrap()));
    assert!(
        engine.prepare().await.unwrap().is_empty(),
        "same settings: kept"
    );
    assert_eq!(
        engine
            .search(IndexKind::Achievements, &q(""))
            .await
            .unwrap()
            .total,
        9
    );
}

/// An index built from other `search-config/` settings (before a new filter attribute,
/// say) is not reused: it is replaced by an empty one and reported for a full resync.
#[actix_rt::test]
async fn embedded_indexes_are_rebuilt_when_the_settings_change() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).unwrap()));
        engine.prepare().await.unwrap();
        engine
            .upsert(&Target::live(IndexKind::Achievements), documents())
            .await
            .unwrap();
    }
    // The generations on disk now say they were built from older settings.
    let mut stamped = 0;
    for kind in ["achievements", "demands"] {
        for generation in std::fs::read_dir(dir.path().join(kind)).unwrap() {
            let file = generation.unwrap().path().join("settings.fingerprint");
            if file.exists() {
                std::fs::write(&file, "v1:{\"filterableAttributes\":[]}").unwrap();
                stamped += 1;
            }
        }
    }
    assert_eq!(stamped, 2);
    let engine = Engine::Embedded(Arc::new(EmbeddedEngine::open(dir.path()).unwrap()));
    let mut fresh = engine.prepare().await.unwrap();
    fresh.sort_by_key(|k| k.name());
    assert_eq!(fresh, [IndexKind::Achievements, IndexKind::Demands]);
    assert_eq!(id_set(&engine, q("")).await, set(&[]), "rebuilt empty");
    engine
        .upsert(
            &Target::live(IndexKind::Achievements),
            vec![open_ended(10, None, Some(1))],
        )
        .await
        .unwrap();
    let upto = SearchQuery {
        filters: vec![Filter::Range {
            field: "price_floor_fen".into(),
            min: None,
            max: Some(0),
        }],
        limit: 5,
        ..Default::default()
    };
    assert_eq!(id_set(&engine, upto).await, set(&[10]));
}

#[actix_rt::test]
async fn meilisearch_passes_the_conformance_suite() {
    let Some(url) = std::env::var("TT_TEST_MEILI_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!(
            "skipped: set TT_TEST_MEILI_URL (and TT_TEST_MEILI_KEY) to run against Meilisearch"
        );
        return;
    };
    let key = std::env::var("TT_TEST_MEILI_KEY").ok();
    let prefix = format!("tt_test_{}_", tt_exchange::auth::tokens::random_hex(4));
    let meili = MeiliEngine::new(&url, key.as_deref(), &prefix).expect("client");
    let engine = Engine::Meilisearch(meili.clone());
    conformance(&engine).await;
    meili.delete_indexes().await.expect("clean up");
}
