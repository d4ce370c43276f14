//! How one kind's `search-config/` settings become a tantivy schema, and a JSON document a
//! tantivy document: kept apart so the mapping (and its version) is read in one place.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy_jieba::JiebaTokenizer;

use super::internal;
use crate::search::settings::{self, IndexSettings};
use crate::search::{IndexKind, SearchResult};

pub(super) const TOKENIZER: &str = "jieba_lower";
/// Bumped when the mapping from settings to tantivy schema changes.
const SCHEMA_VERSION: u32 = 1;

/// What an index on disk was built from: a different fingerprint means a rebuild.
pub(super) fn fingerprint(kind: IndexKind) -> String {
    format!("v{SCHEMA_VERSION}:{}", settings::raw_settings(kind))
}

/// Index-time analyzer: jieba in search mode (compound words and their parts), lower-cased.
pub(super) fn index_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::new())
        .filter(LowerCaser)
        .build()
}

/// The tantivy fields of one kind, by the attribute names of its settings.
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) source: Field,
    /// Searchable attributes in rank order, with their boost.
    pub(super) text: Vec<(String, Field, f32)>,
    pub(super) keyword: HashMap<String, Field>,
    pub(super) number: HashMap<String, Field>,
}

pub(super) fn schema_for(s: &IndexSettings) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let source = b.add_text_field("_source", STORED);
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let n = s.searchable_attributes.len() as f32;
    let text = s
        .searchable_attributes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let field = b.add_text_field(&format!("t_{name}"), text_options.clone());
            // Earlier attributes weigh more: title over keywords over summary ...
            (name.clone(), field, 1.0 + 2.0 * (n - i as f32) / n)
        })
        .collect();
    let mut keyword = HashMap::new();
    let mut number = HashMap::new();
    // Sorted, so the schema is the same in every process.
    let attrs: BTreeSet<&String> = s
        .filterable_attributes
        .iter()
        .chain(s.sortable_attributes.iter())
        .collect();
    for name in attrs {
        keyword.insert(
            name.clone(),
            b.add_text_field(&format!("k_{name}"), STRING | FAST),
        );
        number.insert(
            name.clone(),
            b.add_i64_field(&format!("n_{name}"), INDEXED | FAST),
        );
    }
    (
        b.build(),
        Fields {
            id,
            source,
            text,
            keyword,
            number,
        },
    )
}

impl Fields {
    /// The tantivy document of a JSON document, with its id: the JSON is stored whole,
    /// strings are indexed as text, filter values as keywords and numbers.
    pub(super) fn document(&self, doc: &Value) -> SearchResult<(i64, TantivyDocument)> {
        let id = doc["id"]
            .as_i64()
            .ok_or_else(|| internal("document without integer id"))?;
        let mut d = TantivyDocument::default();
        d.add_i64(self.id, id);
        d.add_text(self.source, doc.to_string());
        for (name, field, _) in &self.text {
            for_each_scalar(&doc[name.as_str()], &mut |v| {
                if let Value::String(s) = v {
                    d.add_text(*field, s);
                }
            });
        }
        for (name, field) in &self.keyword {
            let number = self.number[name];
            for_each_scalar(&doc[name.as_str()], &mut |v| match v {
                Value::String(s) => d.add_text(*field, s),
                Value::Bool(b) => d.add_text(*field, if *b { "true" } else { "false" }),
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        d.add_i64(number, i);
                    }
                }
                _ => {}
            });
        }
        Ok((id, d))
    }
}

/// Arrays count as their items, as in Meilisearch; null as nothing.
fn for_each_scalar(v: &Value, f: &mut impl FnMut(&Value)) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| for_each_scalar(i, f)),
        Value::Null => {}
        other => f(other),
    }
}
