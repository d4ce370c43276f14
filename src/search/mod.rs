//! Search: one [`SearchEngine`] trait, two engines (embedded tantivy + jieba by default,
//! Meilisearch in production), index settings from `search-config/`, search documents
//! built from DB rows, and the outbox that keeps the indexes in step with the database.

pub mod documents;
pub mod embedded;
pub mod handlers;
pub mod meili;
pub mod outbox;
pub mod reindex;
pub mod settings;
pub mod terms;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

pub use self::settings::MatchingStrategy;

/// The two logical indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKind {
    Achievements,
    Demands,
}

impl IndexKind {
    pub const ALL: [IndexKind; 2] = [IndexKind::Achievements, IndexKind::Demands];

    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Achievements => "achievements",
            IndexKind::Demands => "demands",
        }
    }

    pub fn parse(s: &str) -> Option<IndexKind> {
        IndexKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// A filter value, typed: never a string glued into a filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// Filters of one query; a query's filters all apply (AND).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Eq(String, FilterValue),
    /// Any of the values (OR).
    In(String, Vec<FilterValue>),
    /// Inclusive numeric range; a document without the field never matches.
    Range {
        field: String,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Anything but this value (a document without the field matches).
    Ne(String, FilterValue),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// The JSON shape of an attribute read from the index rather than the stored document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Str,
    Strs,
    Int,
    Ints,
    Bool,
}

/// What each hit carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Fetch {
    /// The whole document, as indexed.
    #[default]
    Documents,
    /// Only these filterable or sortable attributes (and nothing else): read from the
    /// index's columns by the embedded engine, which then never decompresses a stored
    /// document, and `attributesToRetrieve` on Meilisearch. For callers that rank many
    /// hits and show few (matching).
    Attributes(&'static [(&'static str, Shape)]),
}

/// A typed search request.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Free text; empty means every document.
    pub q: String,
    pub filters: Vec<Filter>,
    /// Sort keys in priority order; empty sorts by relevance.
    pub sort: Vec<(String, Order)>,
    pub offset: usize,
    pub limit: usize,
    /// Attributes to count values of over all hits.
    pub facets: Vec<String>,
    /// How many of the words a hit must contain; `None` is `search-config/query.json`'s.
    pub matching: Option<MatchingStrategy>,
    pub fetch: Fetch,
}

/// Matching's candidate stage in one request: the documents that contain any of several
/// weighted terms, each term all of its words (or a synonym), as with
/// [`MatchingStrategy::All`]. A document weighs what the terms it contains weigh
/// ([`TermWeights`]); the `limit` heaviest come back.
#[derive(Debug, Clone)]
pub struct TermsQuery {
    /// At most 63 terms, with their weights.
    pub terms: Vec<(String, f64)>,
    /// How much a term tells, from the documents that contain it and all the documents
    /// (filters applied): rarer terms tell more.
    pub idf: fn(u64, u64) -> f64,
    pub filters: Vec<Filter>,
    pub limit: usize,
    /// An engine that cannot see every document of a term (Meilisearch) takes this many
    /// best hits of each term.
    pub per_term: usize,
    pub fetch: &'static [(&'static str, Shape)],
}

/// The answer to a [`TermsQuery`].
#[derive(Debug, Clone, Default)]
pub struct TermHits {
    /// Documents that pass the filters.
    pub documents: u64,
    /// Per term, the documents that pass the filters and contain it.
    pub frequency: Vec<u64>,
    /// The heaviest documents (the fetched attributes) and which terms each contains, as a
    /// bit set over the terms' positions.
    pub hits: Vec<(Value, u64)>,
}

/// How much each combination of terms weighs, for one [`TermsQuery`] over one index.
#[derive(Debug, Clone)]
pub struct TermWeights {
    /// Each term's weight times how much it tells ([`TermsQuery::idf`]); 0 for a term no
    /// document contains.
    effective: Vec<f64>,
    /// For each term, the other terms that contain its text (改性 in 表面改性).
    within: Vec<u64>,
}

impl TermWeights {
    pub fn new(query: &TermsQuery, frequency: &[u64], documents: u64) -> TermWeights {
        let effective = query
            .terms
            .iter()
            .zip(frequency)
            .map(|((_, w), &f)| {
                if f == 0 {
                    0.0
                } else {
                    w * (query.idf)(f, documents)
                }
            })
            .collect();
        let within = query
            .terms
            .iter()
            .map(|(piece, _)| {
                query
                    .terms
                    .iter()
                    .enumerate()
                    .filter(|(_, (whole, _))| whole != piece && whole.contains(piece.as_str()))
                    .fold(0u64, |mask, (j, _)| mask | (1 << j))
            })
            .collect();
        TermWeights { effective, within }
    }

    /// The weight of a document that contains the terms of `mask`. A term whose text is
    /// part of another term the document contains adds nothing: a listing that says 表面改性
    /// says 表面 and 改性 too, and one concept should not count three times.
    pub fn of(&self, mask: u64) -> f64 {
        let (mut rest, mut sum) = (mask, 0.0);
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let (Some(w), Some(within)) = (self.effective.get(i), self.within.get(i)) else {
                break;
            };
            if mask & within == 0 {
                sum += w;
            }
        }
        sum
    }

    /// The weight of a document that contains every term some document contains.
    pub fn whole(&self) -> f64 {
        let found = self
            .effective
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0.0)
            .fold(0u64, |mask, (i, _)| mask | (1 << i));
        self.of(found)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchHits {
    /// Documents as indexed, best first.
    pub hits: Vec<Value>,
    pub total: u64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EngineHealth {
    pub engine: &'static str,
    pub available: bool,
    pub documents: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The engine cannot be reached or is failing; retry later.
    #[error("search engine unavailable: {0}")]
    Unavailable(String),
    #[error("search engine error: {0}")]
    Internal(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

/// Where writes go: the live index of a kind, or a staging index being rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: IndexKind,
    pub staging: bool,
}

impl Target {
    pub fn live(kind: IndexKind) -> Target {
        Target {
            kind,
            staging: false,
        }
    }
}

/// Writes handed to an engine and not yet known to be applied: Meilisearch's task ids,
/// oldest first (none for the embedded engine, which applies writes as they come).
#[derive(Debug, Default)]
pub struct Submitted {
    pub(crate) tasks: Vec<meilisearch_sdk::task_info::TaskInfo>,
}

/// What both engines do. Writes are batched; search takes a typed query.
pub trait SearchEngine: Send + Sync + 'static {
    /// Creates the live indexes if missing and applies `search-config/` when it differs.
    /// Returns the kinds whose index was (re)created empty, or whose settings changed (the
    /// documents may lack a new attribute), and so needs a full resync.
    fn prepare(&self) -> impl Future<Output = SearchResult<Vec<IndexKind>>> + Send;
    fn upsert(
        &self,
        target: &Target,
        docs: Vec<Value>,
    ) -> impl Future<Output = SearchResult<()>> + Send;
    fn delete(
        &self,
        target: &Target,
        ids: Vec<i64>,
    ) -> impl Future<Output = SearchResult<()>> + Send;
    /// Hands upserts, then deletes, of `target` to the engine and returns once the engine
    /// has them queued, not applied: Meilisearch answers with tasks, which it applies in
    /// the order they were queued and batches together; the embedded engine applies them
    /// before it returns. [`SearchEngine::settle`] waits for what was handed over, so a
    /// caller can keep several batches in flight and confirm them oldest first.
    fn submit(
        &self,
        target: &Target,
        docs: Vec<Value>,
        deletes: Vec<i64>,
    ) -> impl Future<Output = SearchResult<Submitted>> + Send;
    /// Waits until what [`SearchEngine::submit`] handed over is applied; an error if any
    /// of it failed.
    fn settle(&self, submitted: Submitted) -> impl Future<Output = SearchResult<()>> + Send;
    fn search(
        &self,
        kind: IndexKind,
        query: &SearchQuery,
    ) -> impl Future<Output = SearchResult<SearchHits>> + Send;
    /// Matching's candidates for several weighted terms in one request (see [`TermsQuery`]).
    fn match_terms(
        &self,
        kind: IndexKind,
        query: &TermsQuery,
    ) -> impl Future<Output = SearchResult<TermHits>> + Send;
    fn health(&self) -> impl Future<Output = EngineHealth> + Send;
    /// A fresh, empty staging index with the current settings.
    fn create_staging(&self, kind: IndexKind) -> impl Future<Output = SearchResult<Target>> + Send;
    /// Makes the staging index live and drops the old one.
    fn promote(&self, staging: &Target) -> impl Future<Output = SearchResult<()>> + Send;
}

/// The configured engine. An enum rather than a trait object, so the trait keeps plain
/// `async` methods.
#[derive(Clone)]
pub enum Engine {
    Embedded(Arc<embedded::EmbeddedEngine>),
    Meilisearch(meili::MeiliEngine),
}

macro_rules! delegate {
    ($self:ident, $e:ident => $call:expr) => {
        match $self {
            Engine::Embedded($e) => $call,
            Engine::Meilisearch($e) => $call,
        }
    };
}

impl SearchEngine for Engine {
    async fn prepare(&self) -> SearchResult<Vec<IndexKind>> {
        delegate!(self, e => e.prepare().await)
    }
    async fn upsert(&self, target: &Target, docs: Vec<Value>) -> SearchResult<()> {
        delegate!(self, e => e.upsert(target, docs).await)
    }
    async fn delete(&self, target: &Target, ids: Vec<i64>) -> SearchResult<()> {
        delegate!(self, e => e.delete(target, ids).await)
    }
    async fn submit(
        &self,
        target: &Target,
        docs: Vec<Value>,
        deletes: Vec<i64>,
    ) -> SearchResult<Submitted> {
        delegate!(self, e => e.submit(target, docs, deletes).await)
    }
    async fn settle(&self, submitted: Submitted) -> SearchResult<()> {
        delegate!(self, e => e.settle(submitted).await)
    }
    async fn search(&self, kind: IndexKind, query: &SearchQuery) -> SearchResult<SearchHits> {
        delegate!(self, e => e.search(kind, query).await)
    }
    async fn match_terms(&self, kind: IndexKind, query: &TermsQuery) -> SearchResult<TermHits> {
        delegate!(self, e => e.match_terms(kind, query).await)
    }
    async fn health(&self) -> EngineHealth {
        delegate!(self, e => e.health().await)
    }
    async fn create_staging(&self, kind: IndexKind) -> SearchResult<Target> {
        delegate!(self, e => e.create_staging(kind).await)
    }
    async fn promote(&self, staging: &Target) -> SearchResult<()> {
        delegate!(self, e => e.promote(staging).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(terms: &[&str]) -> TermsQuery {
        TermsQuery {
            terms: terms.iter().map(|t| ((*t).to_owned(), 1.0)).collect(),
            idf: |df, n| if df * 2 > n { 0.5 } else { 1.0 },
            filters: vec![],
            limit: 10,
            per_term: 10,
            fetch: &[],
        }
    }

    #[test]
    fn a_term_inside_another_the_document_contains_adds_nothing() {
        let q = query(&["表面改性", "改性", "钛合金"]);
        let w = TermWeights::new(&q, &[5, 8, 80], 100);
        assert_eq!(w.of(0b011), 1.0, "表面改性 says 改性: one concept");
        assert_eq!(w.of(0b010), 1.0, "改性 alone still counts");
        assert_eq!(w.of(0b101), 1.5, "a common term counts less");
        assert_eq!(w.of(0b111), 1.5);
        assert_eq!(
            w.whole(),
            1.5,
            "a document with every term has the whole weight"
        );
    }

    #[test]
    fn a_term_no_document_contains_weighs_nothing() {
        let q = query(&["表面改性", "改性"]);
        let w = TermWeights::new(&q, &[0, 8], 100);
        assert_eq!(w.of(0b010), 1.0);
        assert_eq!(w.whole(), 1.0, "only the terms found make up the whole");
    }
}
