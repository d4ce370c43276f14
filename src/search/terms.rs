//! The words of a query as both engines see them. One segmentation (jieba, as the embedded
//! index), the stop words of `search-config/query.json` dropped, and adjacent words that
//! together have synonyms (`CNC 机床` → 数控机床) joined into one term. The Meilisearch
//! adapter sends the terms' words, not the raw text, so a stop word never reaches it
//! either: Meilisearch would otherwise keep a trailing stop word as a prefix term.

use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy_jieba::JiebaTokenizer;

use crate::search::settings::{self, MatchingStrategy};

/// The words of a text: jieba's plain segmentation, lower-cased, punctuation dropped,
/// duplicates removed.
pub fn query_words(q: &str) -> Vec<String> {
    let mut analyzer = TextAnalyzer::builder(JiebaTokenizer::with_search_mode(false))
        .filter(LowerCaser)
        .build();
    let mut stream = analyzer.token_stream(q);
    let mut out: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        let word = token.text.trim();
        if word.chars().any(char::is_alphanumeric) && !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
    }
    out
}

/// One term of a query: a word, or adjacent words that have synonyms as a whole, with
/// the synonyms that stand for it. A document matches the term if it contains all of
/// `words` or any one synonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// The term as written: the word, or the synonym key the words make together.
    pub text: String,
    pub words: Vec<String>,
    pub synonyms: Vec<String>,
}

/// How many adjacent words may form one term through a synonym.
const MAX_JOINED: usize = 3;

/// The synonym key that `words` make together ("cnc机床", "digital twin"), if any.
fn joined_key(words: &[String]) -> Option<String> {
    [words.concat(), words.join(" ")]
        .into_iter()
        .find(|k| !settings::synonyms_of(k).is_empty())
}

/// The terms of a query, in query order. Adjacent words are joined first (大 + 模型 has
/// synonyms as 大模型, though 大 alone is a stop word), then stop words left out.
pub fn query_terms(q: &str) -> Vec<QueryTerm> {
    let words = query_words(q);
    let mut terms = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let joined = (2..=MAX_JOINED.min(words.len() - i))
            .rev()
            .find_map(|n| joined_key(&words[i..i + n]).map(|k| (n, k)));
        let (n, text) = joined.unwrap_or_else(|| (1, words[i].clone()));
        if n > 1 || !settings::is_stop_word(&text) {
            terms.push(QueryTerm {
                synonyms: settings::synonyms_of(&text).to_vec(),
                words: words[i..i + n].to_vec(),
                text,
            });
        }
        i += n;
    }
    terms
}

/// The text a search engine is given for a query: its terms, space-separated.
pub fn engine_text(terms: &[QueryTerm]) -> String {
    terms
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The strategy a query asks for, or the configured default.
pub fn strategy_of(requested: Option<MatchingStrategy>) -> MatchingStrategy {
    requested.unwrap_or_else(settings::default_matching_strategy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_dropped_and_synonym_phrases_joined() {
        let words =
            |q: &str| -> Vec<Vec<String>> { query_terms(q).into_iter().map(|t| t.words).collect() };
        assert_eq!(
            words("基于机器视觉的缺陷检测方法"),
            vec![
                vec!["机器".to_owned(), "视觉".to_owned()],
                vec!["缺陷".to_owned(), "检测".to_owned()]
            ]
        );
        assert!(query_terms("的 了 技术").is_empty());
        let llm = query_terms("大模型");
        assert!(llm[0].synonyms.iter().any(|s| s == "llm"), "{llm:?}");
        let cnc = query_terms("CNC机床");
        assert_eq!(cnc.len(), 1, "{cnc:?}");
        assert!(cnc[0].synonyms.iter().any(|s| s == "数控机床"), "{cnc:?}");
        assert_eq!(engine_text(&query_terms("钛合金，的锻件")), "钛合金 锻件");
    }
}
