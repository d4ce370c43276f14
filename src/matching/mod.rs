//! Matching demands and achievements.
//!
//! Candidates come from the search engine (either engine), one search per key term of the
//! listing (its keywords, and the TF-IDF key terms jieba extracts from its title and
//! description), each widened by the synonyms; a candidate's text relevance is the share of
//! the term weight it matched. A scorer then reranks with the named features and weights of
//! [`WEIGHTS`], and every match says why in Chinese.

pub mod handlers;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use jieba_rs::{Jieba, KeywordExtract, TfIdf};
use serde::Serialize;
use serde_json::Value;

use crate::search::{Engine, Filter, IndexKind, SearchEngine, SearchQuery, SearchResult};
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

/// How many terms drive candidate generation, and how many hits each may bring.
const MAX_TERMS: usize = 10;
const HITS_PER_TERM: usize = 60;

/// Words too generic to find anything specific with.
const GENERIC: &[&str] = &[
    "技术", "需求", "研究", "方法", "系统", "装置", "开发", "提升", "关键", "应用", "项目", "企业",
    "产品", "生产", "问题", "方案", "合作", "实现", "进行", "提供", "我司", "公司", "相关", "要求",
    "采用", "基于", "一种", "及其", "以及", "国内", "目前", "需要", "能力", "水平", "工作", "建立",
];

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);
static TFIDF: LazyLock<TfIdf> = LazyLock::new(TfIdf::default);

/// A listing's text and facts, on either side of a match.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub org_id: i64,
    pub title: String,
    /// Summary of an achievement, description and indicators of a demand.
    pub body: String,
    pub keywords: Vec<String>,
    pub chain: String,
    pub field: String,
    pub region: String,
    /// The achievement's TRL, or the demand's required minimum.
    pub trl: i32,
    /// Asking price (achievement) or budget (demand) range; `None` = negotiable.
    pub range: Option<(i64, i64)>,
    pub modes: Vec<String>,
}

/// Weighted key terms: explicit keywords first, then TF-IDF terms of title and body.
pub fn key_terms(p: &Profile) -> Vec<(String, f64)> {
    let mut terms: Vec<(String, f64)> = Vec::new();
    let push = |t: &str, w: f64, terms: &mut Vec<(String, f64)>| {
        let t = t.trim().to_lowercase();
        if t.chars().count() < 2 || GENERIC.contains(&t.as_str()) {
            return;
        }
        match terms.iter_mut().find(|(x, _)| *x == t) {
            Some(existing) => existing.1 = existing.1.max(w),
            None => terms.push((t, w)),
        }
    };
    for k in &p.keywords {
        push(k, 1.0, &mut terms);
    }
    let extract = |text: &str, k: usize| TFIDF.extract_keywords(&JIEBA, text, k, vec![]);
    let title = extract(&p.title, 6);
    let max_title = title.iter().map(|k| k.weight).fold(0.0, f64::max).max(1e-9);
    for k in &title {
        push(&k.keyword, 0.6 + 0.4 * k.weight / max_title, &mut terms);
    }
    let body = extract(&p.body, 8);
    let max_body = body.iter().map(|k| k.weight).fold(0.0, f64::max).max(1e-9);
    for k in &body {
        push(&k.keyword, 0.25 + 0.35 * k.weight / max_body, &mut terms);
    }
    terms.sort_by(|a, b| b.1.total_cmp(&a.1));
    terms.truncate(MAX_TERMS);
    terms
}

/// Loads the dictionaries once, at start-up, on a blocking thread.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&TFIDF);
}

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
    vocab
        .get(code)
        .map(|t| t.zh.to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn range_of(doc: &Value, lo: &str, hi: &str) -> Option<(i64, i64)> {
    Some((doc[lo].as_i64()?, doc[hi].as_i64()?))
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

fn yuan(fen: i64) -> String {
    let wan = fen as f64 / 1_000_000.0;
    format!("{wan:.0}万元")
}

/// Scores one candidate document against the source profile. `matched` are the key terms
/// the candidate was found by and `text` their share of the total weight.
pub fn score(
    source: &Profile,
    source_is_demand: bool,
    doc: &Value,
    text: f64,
    matched: &[String],
    now: i64,
) -> Scored {
    let mut f: HashMap<Feature, f64> = HashMap::new();
    let mut reasons = Vec::new();
    f.insert(Feature::Text, text.clamp(0.0, 1.0));
    if !matched.is_empty() {
        let shown: Vec<&str> = matched.iter().take(5).map(String::as_str).collect();
        reasons.push(Reason {
            code: "shared_keywords",
            detail: format!("关键词重合：{}", shown.join("、")),
        });
    }
    let chain = doc["chain"].as_str().unwrap_or_default();
    if chain == source.chain {
        f.insert(Feature::Chain, 1.0);
        reasons.push(Reason {
            code: "same_chain",
            detail: format!("同属产业链：{}", label(taxonomy::CHAINS, chain)),
        });
    }
    let field = doc["field"].as_str().unwrap_or_default();
    if field == source.field {
        f.insert(Feature::Field, 1.0);
        reasons.push(Reason {
            code: "same_field",
            detail: format!("技术领域相同：{}", label(taxonomy::FIELDS, field)),
        });
    }
    // TRL: the achievement's level against the demand's minimum.
    let (trl, required) = if source_is_demand {
        (doc["trl"].as_i64().unwrap_or(0), i64::from(source.trl))
    } else {
        (i64::from(source.trl), doc["trl_min"].as_i64().unwrap_or(9))
    };
    if trl >= required {
        f.insert(Feature::Trl, 1.0);
        reasons.push(Reason {
            code: "trl_fits",
            detail: format!("成熟度满足：TRL {trl} ≥ 要求 {required}"),
        });
    } else {
        f.insert(Feature::Trl, (1.0 - (required - trl) as f64 / 3.0).max(0.0));
    }
    // Price: asking price against budget; negotiable on either side is half a fit.
    let (price, budget) = if source_is_demand {
        (
            range_of(doc, "price_min_fen", "price_max_fen"),
            source.range,
        )
    } else {
        (
            source.range,
            range_of(doc, "budget_min_fen", "budget_max_fen"),
        )
    };
    match (price, budget) {
        (Some((p_lo, _)), Some((_, b_hi))) if p_lo <= b_hi => {
            f.insert(Feature::Price, 1.0);
            reasons.push(Reason {
                code: "price_within_budget",
                detail: format!("报价起点{}在预算{}以内", yuan(p_lo), yuan(b_hi)),
            });
        }
        (Some(_), Some(_)) => {}
        _ => {
            f.insert(Feature::Price, 0.5);
            reasons.push(Reason {
                code: "price_negotiable",
                detail: "价格面议".into(),
            });
        }
    }
    let other_modes = strings(
        doc,
        if source_is_demand {
            "transfer_modes"
        } else {
            "cooperation_modes"
        },
    );
    let common: Vec<String> = other_modes
        .iter()
        .filter(|m| source.modes.contains(m))
        .cloned()
        .collect();
    if !common.is_empty() {
        f.insert(Feature::Modes, 1.0);
        let names: Vec<String> = common
            .iter()
            .map(|m| label(taxonomy::TRANSFER_MODES, m))
            .collect();
        reasons.push(Reason {
            code: "modes_compatible",
            detail: format!("合作方式一致：{}", names.join("、")),
        });
    }
    let region = doc["region"].as_str().unwrap_or_default();
    if region == source.region {
        f.insert(Feature::Region, 1.0);
        reasons.push(Reason {
            code: "same_region",
            detail: format!("同一地区：{}", label(taxonomy::REGIONS, region)),
        });
    }
    if source_is_demand {
        let years: Vec<i64> = doc["pool_years"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        if doc["key_project"].as_bool() == Some(true) {
            f.insert(Feature::Pool, 1.0);
            reasons.push(Reason {
                code: "key_project",
                detail: "百项成果库重点支持项目".into(),
            });
        } else if let Some(y) = years.iter().max() {
            f.insert(Feature::Pool, 0.6);
            reasons.push(Reason {
                code: "in_pool",
                detail: format!("入选{y}年度百项成果库"),
            });
        }
    }
    let published = doc["published_at"].as_i64().unwrap_or(0);
    let age_days = ((now - published) / 86_400).max(0) as f64;
    let fresh = if age_days <= 180.0 {
        1.0
    } else {
        (1.0 - (age_days - 180.0) / 900.0).max(0.0)
    };
    f.insert(Feature::Fresh, fresh);
    if fresh >= 1.0 {
        reasons.push(Reason {
            code: "recent",
            detail: "近半年发布".into(),
        });
    }
    let total: f64 = WEIGHTS.iter().map(|(_, w)| w).sum();
    let score = WEIGHTS
        .iter()
        .map(|(feat, w)| w * f.get(feat).copied().unwrap_or(0.0))
        .sum::<f64>()
        / total;
    Scored {
        score: (score * 1000.0).round() / 1000.0,
        reasons,
        doc: doc.clone(),
    }
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
    let total_weight: f64 = terms.iter().map(|(_, w)| w).sum::<f64>().max(1e-9);
    let mut found: BTreeMap<i64, (Value, f64, Vec<String>)> = BTreeMap::new();
    for (term, weight) in &terms {
        let query = SearchQuery {
            q: term.clone(),
            filters: base_filters.clone(),
            limit: HITS_PER_TERM,
            ..Default::default()
        };
        let hits = engine.search(kind, &query).await?;
        for doc in hits.hits {
            let Some(id) = doc["id"].as_i64() else {
                continue;
            };
            if doc["org_id"].as_i64() == Some(source.org_id) {
                continue;
            }
            let e = found.entry(id).or_insert_with(|| (doc, 0.0, Vec::new()));
            e.1 += weight;
            e.2.push(term.clone());
        }
    }
    let mut scored: Vec<Scored> = found
        .into_values()
        .map(|(doc, w, matched)| {
            // A candidate found by a share s of the weight gets s^0.7: partial overlap
            // still counts, full overlap counts most.
            let text = (w / total_weight).min(1.0).powf(0.7);
            score(source, source_is_demand, &doc, text, &matched, now)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.doc["id"].as_i64().cmp(&b.doc["id"].as_i64()))
    });
    scored.truncate(limit);
    Ok(scored)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            range: None,
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
