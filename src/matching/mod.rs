//! Matching demands and achievements.
//!
//! Candidates come from the search engine (either engine) in one request
//! ([`crate::search::TermsQuery`]) for all the key terms of the listing (its keywords, and
//! the TF-IDF key terms jieba extracts from its title and description), each widened by
//! the synonyms and weighed by how rare it is; a candidate's text relevance is the share of
//! the term weight it contains. The embedded engine weighs every listing that contains any
//! term; Meilisearch, which ranks each term on its own, the best hits of each. A scorer
//! then reranks the heaviest with the named features and weights of [`WEIGHTS`], and every
//! match says why in Chinese.

pub mod handlers;
mod price;
mod profile;

pub use self::price::FenRange;
pub use self::profile::{Profile, key_terms, warm_up};

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::i18n::pick;
use crate::search::{
    Engine, Filter, FilterValue, IndexKind, SearchEngine, SearchQuery, SearchResult, Shape,
    TermWeights, TermsQuery,
};
use crate::taxonomy;

/// A named scoring feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    Text,
    Chain,
    Field,
    Trl,
    Price,
    Modes,
    Region,
    Pool,
    Fresh,
}

/// All weights in one place; the score is the weighted mean, so it stays in 0..=1.
pub const WEIGHTS: &[(Feature, f64)] = &[
    (Feature::Text, 0.46),
    (Feature::Chain, 0.08),
    (Feature::Field, 0.08),
    (Feature::Trl, 0.10),
    (Feature::Price, 0.08),
    (Feature::Modes, 0.07),
    (Feature::Region, 0.05),
    (Feature::Pool, 0.04),
    (Feature::Fresh, 0.04),
];

/// The text share from which the other features count in full (see `Scoring::total`).
const TEXT_GATE: f64 = 0.5;

/// How many of the heaviest candidates are scored in full.
const CANDIDATES: usize = 300;

/// How many hits each key term may bring where the engine ranks each term on its own
/// (Meilisearch).
const HITS_PER_TERM: usize = 60;

/// One reason behind a match.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    pub score: f64,
    pub reasons: Vec<Reason>,
    #[serde(skip)]
    pub doc: Value,
}

fn label(vocab: taxonomy::Vocabulary, code: &str) -> String {
    vocab.label(code)
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The features and reasons of one candidate as they are found.
struct Scoring<'a> {
    source: &'a Profile,
    source_is_demand: bool,
    doc: &'a Value,
    features: HashMap<Feature, f64>,
    /// Whether to say why; ranking hundreds of candidates needs only the numbers, and
    /// the words are built for the page that is shown.
    explain: bool,
    reasons: Vec<Reason>,
}

impl Scoring<'_> {
    fn set(&mut self, feature: Feature, value: f64) {
        self.features.insert(feature, value);
    }

    fn reason(&mut self, code: &'static str, detail: impl FnOnce() -> String) {
        if self.explain {
            self.reasons.push(Reason {
                code,
                detail: detail(),
            });
        }
    }

    fn text(&mut self, text: f64, matched: &[String]) {
        self.set(Feature::Text, text.clamp(0.0, 1.0));
        if !matched.is_empty() {
            self.reason("shared_keywords", || {
                let shown: Vec<&str> = matched.iter().take(5).map(String::as_str).collect();
                pick(
                    format!("关键词重合：{}", shown.join("、")),
                    format!("shared keywords: {}", shown.join(", ")),
                )
            });
        }
    }

    /// Same code as the source (chain, field, region): a full fit, with its label.
    fn same(
        &mut self,
        feature: Feature,
        key: &str,
        vocabulary: taxonomy::Vocabulary,
        code: &'static str,
        (zh, en): (&str, &str),
    ) {
        let own = match feature {
            Feature::Chain => self.source.chain.as_str(),
            Feature::Field => self.source.field.as_str(),
            _ => self.source.region.as_str(),
        };
        let doc = self.doc;
        let theirs = doc[key].as_str().unwrap_or_default();
        if theirs == own {
            self.set(feature, 1.0);
            self.reason(code, || {
                let name = label(vocabulary, theirs);
                pick(format!("{zh}：{name}"), format!("{en}: {name}"))
            });
        }
    }

    /// TRL: the achievement's level against the demand's minimum.
    fn trl(&mut self) {
        let (trl, required) = if self.source_is_demand {
            (
                self.doc["trl"].as_i64().unwrap_or(0),
                i64::from(self.source.trl),
            )
        } else {
            (
                i64::from(self.source.trl),
                self.doc["trl_min"].as_i64().unwrap_or(9),
            )
        };
        if trl >= required {
            self.set(Feature::Trl, 1.0);
            self.reason("trl_fits", || {
                pick(
                    format!("成熟度满足：TRL {trl} ≥ 要求 {required}"),
                    format!("maturity fits: TRL {trl} ≥ required {required}"),
                )
            });
        } else {
            self.set(Feature::Trl, (1.0 - (required - trl) as f64 / 3.0).max(0.0));
        }
    }

    /// Price: asking price against budget, either open at either end (see
    /// [`price::fit`]); negotiable on either side is half a fit.
    fn price(&mut self) {
        let (price, budget) = if self.source_is_demand {
            (FenRange::of_doc(self.doc, "price"), self.source.range)
        } else {
            (self.source.range, FenRange::of_doc(self.doc, "budget"))
        };
        if let Some((value, code, detail)) = price::fit(price, budget) {
            self.set(Feature::Price, value);
            self.reason(code, || detail);
        }
    }

    fn modes(&mut self) {
        let key = if self.source_is_demand {
            "transfer_modes"
        } else {
            "cooperation_modes"
        };
        let shared: Vec<String> = strings(self.doc, key)
            .into_iter()
            .filter(|m| self.source.modes.contains(m))
            .collect();
        if !shared.is_empty() {
            self.set(Feature::Modes, 1.0);
            self.reason("modes_compatible", || {
                let names: Vec<String> = shared
                    .iter()
                    .map(|m| label(taxonomy::TRANSFER_MODES, m))
                    .collect();
                pick(
                    format!("合作方式一致：{}", names.join("、")),
                    format!("compatible modes: {}", names.join(", ")),
                )
            });
        }
    }

    /// For a demand's candidates: a key project of the pool, or in the pool.
    fn pool(&mut self) {
        if !self.source_is_demand {
            return;
        }
        let latest = self.doc["pool_years"]
            .as_array()
            .and_then(|a| a.iter().filter_map(Value::as_i64).max());
        if self.doc["key_project"].as_bool() == Some(true) {
            self.set(Feature::Pool, 1.0);
            self.reason("key_project", || {
                pick(
                    "百项成果库重点支持项目",
                    "key project of the hundred-achievements pool",
                )
                .into()
            });
        } else if let Some(y) = latest {
            self.set(Feature::Pool, 0.6);
            self.reason("in_pool", || {
                pick(
                    format!("入选{y}年度百项成果库"),
                    format!("in the {y} hundred-achievements pool"),
                )
            });
        }
    }

    fn freshness(&mut self, now: i64) {
        let published = self.doc["published_at"].as_i64().unwrap_or(0);
        let age_days = ((now - published) / 86_400).max(0) as f64;
        let fresh = if age_days <= 180.0 {
            1.0
        } else {
            (1.0 - (age_days - 180.0) / 900.0).max(0.0)
        };
        self.set(Feature::Fresh, fresh);
        if fresh >= 1.0 {
            self.reason("recent", || {
                pick("近半年发布", "published in the last six months").into()
            });
        }
    }

    /// The weighted mean of the features, rounded to three decimals. The other features
    /// count in full only for a candidate whose text answers the source (a text share of
    /// [`TEXT_GATE`] or more), and in proportion below it: a listing that shares one word
    /// with a demand is no better a match for being in the same region and price range.
    fn total(&self) -> f64 {
        let total: f64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        let value = |f: &Feature| self.features.get(f).copied().unwrap_or(0.0);
        let gate = (value(&Feature::Text) / TEXT_GATE).min(1.0);
        let score = WEIGHTS
            .iter()
            .map(|(f, w)| match f {
                Feature::Text => w * value(f),
                _ => w * value(f) * gate,
            })
            .sum::<f64>()
            / total;
        (score * 1000.0).round() / 1000.0
    }
}

/// Scores one candidate document against the source profile and says why. `matched` are
/// the key terms the candidate was found by and `text` their share of the total weight.
pub fn score(
    source: &Profile,
    source_is_demand: bool,
    doc: &Value,
    text: f64,
    matched: &[String],
    now: i64,
) -> Scored {
    let s = scoring(source, source_is_demand, doc, (text, matched), now, true);
    Scored {
        score: s.total(),
        reasons: s.reasons,
        doc: doc.clone(),
    }
}

/// The score alone, exactly as [`score`] gives it, without the words.
fn rank(source: &Profile, source_is_demand: bool, doc: &Value, text: f64, now: i64) -> f64 {
    scoring(source, source_is_demand, doc, (text, &[]), now, false).total()
}

fn scoring<'a>(
    source: &'a Profile,
    source_is_demand: bool,
    doc: &'a Value,
    (text, matched): (f64, &[String]),
    now: i64,
    explain: bool,
) -> Scoring<'a> {
    let mut s = Scoring {
        source,
        source_is_demand,
        doc,
        features: HashMap::new(),
        explain,
        reasons: Vec::new(),
    };
    s.text(text, matched);
    s.same(
        Feature::Chain,
        "chain",
        taxonomy::CHAINS,
        "same_chain",
        ("同属产业链", "same industry chain"),
    );
    s.same(
        Feature::Field,
        "field",
        taxonomy::FIELDS,
        "same_field",
        ("技术领域相同", "same technology field"),
    );
    s.trl();
    s.price();
    s.modes();
    s.same(
        Feature::Region,
        "region",
        taxonomy::REGIONS,
        "same_region",
        ("同一地区", "same region"),
    );
    s.pool();
    s.freshness(now);
    s
}

/// What scoring reads of an achievement candidate: filterable or sortable attributes
/// only, so the engine answers from its index columns.
const ACHIEVEMENT_FACTS: &[(&str, Shape)] = &[
    ("id", Shape::Int),
    ("org_id", Shape::Int),
    ("chain", Shape::Str),
    ("field", Shape::Str),
    ("region", Shape::Str),
    ("trl", Shape::Int),
    ("price_min_fen", Shape::Int),
    ("price_max_fen", Shape::Int),
    ("transfer_modes", Shape::Strs),
    ("pool_years", Shape::Ints),
    ("key_project", Shape::Bool),
    ("published_at", Shape::Int),
];

/// What scoring reads of a demand candidate.
const DEMAND_FACTS: &[(&str, Shape)] = &[
    ("id", Shape::Int),
    ("org_id", Shape::Int),
    ("chain", Shape::Str),
    ("field", Shape::Str),
    ("region", Shape::Str),
    ("trl_min", Shape::Int),
    ("budget_min_fen", Shape::Int),
    ("budget_max_fen", Shape::Int),
    ("cooperation_modes", Shape::Strs),
    ("published_at", Shape::Int),
];

/// The whole documents of the matches that are shown, in one search by id; a match whose
/// listing left the index meanwhile is dropped.
async fn with_documents(
    engine: &Engine,
    kind: IndexKind,
    scored: Vec<Scored>,
) -> SearchResult<Vec<Scored>> {
    let ids: Vec<FilterValue> = scored
        .iter()
        .filter_map(|s| s.doc["id"].as_i64().map(FilterValue::Int))
        .collect();
    if ids.is_empty() {
        return Ok(scored);
    }
    let query = SearchQuery {
        limit: ids.len(),
        filters: vec![Filter::In("id".into(), ids)],
        ..Default::default()
    };
    let mut docs: HashMap<i64, Value> = engine
        .search(kind, &query)
        .await?
        .hits
        .into_iter()
        .filter_map(|d| Some((d["id"].as_i64()?, d)))
        .collect();
    Ok(scored
        .into_iter()
        .filter_map(|mut s| {
            s.doc = docs.remove(&s.doc["id"].as_i64()?)?;
            Some(s)
        })
        .collect())
}

/// How much a term tells in this index: BM25's inverse document frequency of a term that
/// `df` of the `n` candidates contain. A term every listing of the chain carries (无人机)
/// says little about which listing fits; a rare one (激光雷达小型化) says much.
fn idf(df: u64, n: u64) -> f64 {
    let (df, n) = (df as f64, (n.max(df)) as f64);
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

/// A candidate: its facts, the effective weight of the key terms it contains, and those
/// terms.
type Found = Vec<(Value, f64, Vec<String>)>;

/// The candidates of one request to the engine ([`TermsQuery`]): listings of other orgs
/// that contain any key term, weighed by the terms they contain. Returns them and the
/// weight of the terms that any listing contains.
async fn candidates(
    engine: &Engine,
    kind: IndexKind,
    source: &Profile,
    terms: Vec<(String, f64)>,
    mut filters: Vec<Filter>,
    fetch: &'static [(&'static str, Shape)],
) -> SearchResult<(Found, f64)> {
    filters.push(Filter::Ne("org_id".into(), FilterValue::Int(source.org_id)));
    let query = TermsQuery {
        terms,
        idf,
        filters,
        limit: CANDIDATES,
        per_term: HITS_PER_TERM,
        fetch,
    };
    let answer = engine.match_terms(kind, &query).await?;
    let weights = TermWeights::new(&query, &answer.frequency, answer.documents);
    let found = answer
        .hits
        .into_iter()
        .map(|(doc, mask)| {
            let matched = query
                .terms
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, (t, _))| t.clone())
                .collect();
            (doc, weights.of(mask), matched)
        })
        .collect();
    Ok((found, weights.whole()))
}

/// Candidates for `source` from the index of the other side, best first.
pub async fn find(
    engine: &Engine,
    source: &Profile,
    source_is_demand: bool,
    base_filters: Vec<Filter>,
    limit: usize,
    now: i64,
) -> SearchResult<Vec<Scored>> {
    let kind = if source_is_demand {
        IndexKind::Achievements
    } else {
        IndexKind::Demands
    };
    // Segmentation and TF-IDF are CPU work (and load jieba's dictionaries on first use):
    // off the async workers.
    let profile = source.clone();
    let terms = actix_web::web::block(move || key_terms(&profile))
        .await
        .map_err(|e| crate::search::SearchError::Internal(e.to_string()))?;
    let fetch = if source_is_demand {
        ACHIEVEMENT_FACTS
    } else {
        DEMAND_FACTS
    };
    let (found, total_weight) =
        candidates(engine, kind, source, terms, base_filters, fetch).await?;
    let total_weight = total_weight.max(1e-9);
    // A candidate found by a share s of the weight gets s^0.7: partial overlap still
    // counts, full overlap counts most.
    let text = |w: f64| (w / total_weight).min(1.0).powf(0.7);
    let mut ranked: Vec<(f64, i64, usize)> = found
        .iter()
        .enumerate()
        .map(|(i, (doc, w, _))| {
            let id = doc["id"].as_i64().unwrap_or(i64::MAX);
            (rank(source, source_is_demand, doc, text(*w), now), id, i)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(limit);
    let scored = ranked
        .into_iter()
        .map(|(_, _, i)| {
            let (doc, w, matched) = &found[i];
            score(source, source_is_demand, doc, text(*w), matched, now)
        })
        .collect();
    with_documents(engine, kind, scored).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_most_listings_carry_weighs_less_than_a_rare_one() {
        assert!(idf(5, 200_000) > idf(20_000, 200_000));
        assert!(idf(20_000, 200_000) > idf(200_000, 200_000));
        assert!(
            idf(200_000, 200_000) > 0.0,
            "a word in every listing still counts a little"
        );
        // A count above the total (an estimate) is read as every listing.
        assert_eq!(idf(1_500, 1_000), idf(1_500, 1_500));
    }

    #[test]
    fn the_other_features_count_in_full_only_for_a_text_match() {
        let features = |text: f64| Scoring {
            source: &PROFILE,
            source_is_demand: true,
            doc: &Value::Null,
            features: WEIGHTS
                .iter()
                .map(|(f, _)| (*f, if *f == Feature::Text { text } else { 1.0 }))
                .collect(),
            explain: false,
            reasons: Vec::new(),
        };
        // Everything but the text fits: one shared word no longer outranks a real answer.
        let one_word = features(0.1).total();
        let answer = features(0.8).total();
        assert!(
            (one_word - (0.46 * 0.1 + 0.54 * 0.2)).abs() < 1e-3,
            "{one_word}"
        );
        assert!((answer - (0.46 * 0.8 + 0.54)).abs() < 1e-3, "{answer}");
        assert!(features(0.5).total() > features(0.49).total());
    }

    static PROFILE: std::sync::LazyLock<Profile> = std::sync::LazyLock::new(|| Profile {
        id: 1,
        org_id: 1,
        title: String::new(),
        body: String::new(),
        keywords: vec![],
        chain: "machine_tools".into(),
        field: "advanced_manufacturing".into(),
        region: "610300".into(),
        trl: 5,
        range: FenRange::default(),
        modes: vec![],
    });

    #[test]
    fn weights_sum_to_one_and_cover_every_feature() {
        let total: f64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert_eq!(WEIGHTS.len(), 9);
    }

    #[test]
    fn key_terms_prefer_keywords_and_drop_generic_words() {
        let p = Profile {
            id: 1,
            org_id: 1,
            title: "数控机床主轴热误差补偿技术需求".into(),
            body: "龙门加工中心连续加工后主轴热漂移超过30微米，需要热误差建模与实时补偿。".into(),
            keywords: vec!["热误差".into()],
            chain: "machine_tools".into(),
            field: "advanced_manufacturing".into(),
            region: "610300".into(),
            trl: 5,
            range: FenRange::default(),
            modes: vec![],
        };
        let terms = key_terms(&p);
        assert_eq!(terms[0].0, "热误差");
        assert!(terms.iter().all(|(t, _)| t != "技术" && t != "需求"));
        assert!(
            terms
                .iter()
                .any(|(t, _)| t.contains("主轴") || t.contains("机床")),
            "{terms:?}"
        );
    }
}
