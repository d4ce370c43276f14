//! The index settings of `search-config/`, compiled in: the single source of truth for
//! both engines. Meilisearch receives the JSON as-is (plus the synonyms and the stop words
//! of `query.json`); the embedded engine reads the same attribute lists, typo rules,
//! synonyms, stop words and matching strategy from it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::search::IndexKind;

const ACHIEVEMENTS: &str = include_str!("../../search-config/achievements.json");
const DEMANDS: &str = include_str!("../../search-config/demands.json");
const SYNONYMS: &str = include_str!("../../search-config/synonyms.json");
const QUERY: &str = include_str!("../../search-config/query.json");

/// How many of a query's words a document must contain, named as in Meilisearch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchingStrategy {
    /// Every word.
    All,
    /// All words first, then fewer, dropping words from the end of the query; the first
    /// word is required.
    Last,
    /// All words first, then fewer, dropping the most frequent words first; the rarest
    /// word found in the index is required.
    Frequency,
}

/// `query.json`: what both engines do with the words of a query.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryFile {
    matching_strategy: MatchingStrategy,
    stop_words: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypoTolerance {
    pub enabled: bool,
    pub min_word_size_for_typos: MinWordSize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinWordSize {
    pub one_typo: usize,
    pub two_typos: usize,
}

/// The parts of a Meilisearch settings object the embedded engine needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSettings {
    pub searchable_attributes: Vec<String>,
    pub filterable_attributes: Vec<String>,
    pub sortable_attributes: Vec<String>,
    pub typo_tolerance: TypoTolerance,
}

pub struct Config {
    pub achievements: IndexSettings,
    pub demands: IndexSettings,
    /// The raw objects sent to Meilisearch, synonyms included.
    pub achievements_raw: Value,
    pub demands_raw: Value,
    /// term → its equivalents (lower-cased), from `synonyms.json`.
    pub synonyms: HashMap<String, Vec<String>>,
    /// The default strategy of searches that do not choose one, from `query.json`.
    pub matching_strategy: MatchingStrategy,
    /// Words that never make a document match on their own (lower-cased).
    pub stop_words: HashSet<String>,
}

fn load() -> Result<Config, String> {
    let synonyms_raw: BTreeMap<String, Vec<String>> =
        serde_json::from_str(SYNONYMS).map_err(|e| format!("synonyms.json: {e}"))?;
    let query: QueryFile = serde_json::from_str(QUERY).map_err(|e| format!("query.json: {e}"))?;
    let with_synonyms = |text: &str, name: &str| -> Result<(IndexSettings, Value), String> {
        let settings: IndexSettings =
            serde_json::from_str(text).map_err(|e| format!("{name}.json: {e}"))?;
        let mut raw: Value = serde_json::from_str(text).map_err(|e| format!("{name}.json: {e}"))?;
        raw["synonyms"] = serde_json::to_value(&synonyms_raw).map_err(|e| e.to_string())?;
        raw["stopWords"] = serde_json::to_value(&query.stop_words).map_err(|e| e.to_string())?;
        Ok((settings, raw))
    };
    let (achievements, achievements_raw) = with_synonyms(ACHIEVEMENTS, "achievements")?;
    let (demands, demands_raw) = with_synonyms(DEMANDS, "demands")?;
    let synonyms = synonyms_raw
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_lowercase(),
                v.into_iter().map(|s| s.to_lowercase()).collect(),
            )
        })
        .collect();
    Ok(Config {
        achievements,
        demands,
        achievements_raw,
        demands_raw,
        synonyms,
        matching_strategy: query.matching_strategy,
        stop_words: query.stop_words.iter().map(|w| w.to_lowercase()).collect(),
    })
}

/// Parsed once; the files are checked by a unit test, so a failure here is a build defect.
pub static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    load().unwrap_or_else(|e| {
        tracing::error!(error = %e, "search-config is invalid");
        Config {
            achievements: empty_settings(),
            demands: empty_settings(),
            achievements_raw: Value::Null,
            demands_raw: Value::Null,
            synonyms: HashMap::new(),
            matching_strategy: MatchingStrategy::All,
            stop_words: HashSet::new(),
        }
    })
});

fn empty_settings() -> IndexSettings {
    IndexSettings {
        searchable_attributes: vec![],
        filterable_attributes: vec![],
        sortable_attributes: vec![],
        typo_tolerance: TypoTolerance {
            enabled: false,
            min_word_size_for_typos: MinWordSize {
                one_typo: 5,
                two_typos: 9,
            },
        },
    }
}

pub fn settings(kind: IndexKind) -> &'static IndexSettings {
    match kind {
        IndexKind::Achievements => &CONFIG.achievements,
        IndexKind::Demands => &CONFIG.demands,
    }
}

pub fn raw_settings(kind: IndexKind) -> &'static Value {
    match kind {
        IndexKind::Achievements => &CONFIG.achievements_raw,
        IndexKind::Demands => &CONFIG.demands_raw,
    }
}

pub fn synonyms_of(term: &str) -> &'static [String] {
    CONFIG.synonyms.get(term).map(Vec::as_slice).unwrap_or(&[])
}

/// The strategy of a search that names none.
pub fn default_matching_strategy() -> MatchingStrategy {
    CONFIG.matching_strategy
}

pub fn is_stop_word(word: &str) -> bool {
    CONFIG.stop_words.contains(word)
}

/// Every term of `synonyms.json` with its equivalents, sorted: what the conformance suite
/// checks both engines apply, one direction at a time.
pub fn synonym_groups() -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = CONFIG
        .synonyms
        .iter()
        .map(|(term, others)| (term.clone(), others.clone()))
        .collect();
    groups.sort();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_files_parse_and_synonyms_go_both_ways() {
        let c = load().unwrap();
        assert!(
            c.achievements
                .searchable_attributes
                .first()
                .is_some_and(|a| a == "title")
        );
        assert!(
            c.demands
                .filterable_attributes
                .iter()
                .any(|a| a == "valid_until")
        );
        let mut groups = 0;
        for (term, others) in &c.synonyms {
            for o in others {
                let back = c
                    .synonyms
                    .get(o)
                    .unwrap_or_else(|| panic!("{o} has no entry"));
                assert!(back.contains(term), "{o} -> {term} missing");
            }
            groups += 1;
        }
        assert!(groups >= 80, "at least 40 groups of two or more");
        assert_eq!(
            c.achievements_raw["synonyms"]["碳化硅"],
            serde_json::json!(["sic"])
        );
    }
}
