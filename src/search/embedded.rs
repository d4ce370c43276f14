//! The embedded engine: tantivy with a jieba Chinese tokenizer, one index per kind under
//! `TT_DATA_DIR/index/<kind>/<generation>`, with its schema derived from `search-config/`:
//! searchable attributes become jieba-tokenized text fields boosted by their rank;
//! filterable and sortable attributes become a raw keyword field (strings, booleans) and an
//! i64 fast field (numbers). The JSON document is stored whole and returned as indexed.
//!
//! Query semantics follow Meilisearch's `matchingStrategy: all`: every query word must match
//! some searchable attribute, directly, through a synonym, or (for Latin words) with typos
//! allowed by the typo-tolerance settings.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TantivyDocument,
    TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, Term,
};
use tantivy_jieba::JiebaTokenizer;

use crate::search::settings::{self, IndexSettings};
use crate::search::{
    EngineHealth, Filter, FilterValue, IndexKind, Order, SearchEngine, SearchError, SearchHits,
    SearchQuery, SearchResult, Target,
};

const TOKENIZER: &str = "jieba_lower";
/// Bumped when the mapping from settings to tantivy schema changes.
const SCHEMA_VERSION: u32 = 1;
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

fn internal(e: impl std::fmt::Display) -> SearchError {
    SearchError::Internal(e.to_string())
}

/// Index-time analyzer: jieba in search mode (compound words and their parts), lower-cased.
fn index_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::new())
        .filter(LowerCaser)
        .build()
}

/// The words of a query: jieba's plain segmentation, lower-cased, punctuation dropped,
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

struct Fields {
    id: Field,
    source: Field,
    /// Searchable attributes in rank order, with their boost.
    text: Vec<(String, Field, f32)>,
    keyword: HashMap<String, Field>,
    number: HashMap<String, Field>,
}

fn schema_for(s: &IndexSettings) -> (Schema, Fields) {
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
    let attrs: std::collections::BTreeSet<&String> = s
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

/// One generation of one kind's index.
struct Shard {
    dir: PathBuf,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    settings: &'static IndexSettings,
    browse: Mutex<BrowseCache>,
}

/// Answers to searches without words (the board's landing and filter pages), for the
/// current searcher generation only. Such a search matches nearly every document, and its
/// facets and sort touch every hit, yet many visitors ask the same few pages. Any commit
/// starts a new generation, which empties the cache, so an answer is never stale (as
/// Elasticsearch's request cache, which is dropped on refresh).
#[derive(Default)]
struct BrowseCache {
    generation: u64,
    answers: HashMap<String, SearchHits>,
}

/// Distinct pages kept per generation; past it the cache starts over.
const BROWSE_CACHE_ENTRIES: usize = 512;

fn fingerprint(kind: IndexKind) -> String {
    format!("v{SCHEMA_VERSION}:{}", settings::raw_settings(kind))
}

impl Shard {
    fn open(dir: &Path, kind: IndexKind) -> SearchResult<Shard> {
        std::fs::create_dir_all(dir).map_err(internal)?;
        let s = settings::settings(kind);
        let (schema, fields) = schema_for(s);
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(internal)?;
        let index = Index::open_or_create(mmap, schema).map_err(internal)?;
        index.tokenizers().register(TOKENIZER, index_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(internal)?;
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(internal)?;
        std::fs::write(dir.join("settings.fingerprint"), fingerprint(kind)).map_err(internal)?;
        Ok(Shard {
            dir: dir.to_owned(),
            reader,
            writer: Mutex::new(writer),
            fields,
            settings: s,
            browse: Mutex::new(BrowseCache::default()),
        })
    }

    fn document(&self, doc: &Value) -> SearchResult<(i64, TantivyDocument)> {
        let id = doc["id"]
            .as_i64()
            .ok_or_else(|| internal("document without integer id"))?;
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_i64(f.id, id);
        d.add_text(f.source, doc.to_string());
        for (name, field, _) in &f.text {
            for_each_scalar(&doc[name.as_str()], &mut |v| {
                if let Value::String(s) = v {
                    d.add_text(*field, s);
                }
            });
        }
        for (name, field) in &f.keyword {
            let number = f.number[name];
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

    fn write(&self, upserts: &[Value], deletes: &[i64]) -> SearchResult<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| internal("index writer poisoned"))?;
        for id in deletes {
            writer.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        for doc in upserts {
            let (id, d) = self.document(doc)?;
            writer.delete_term(Term::from_field_i64(self.fields.id, id));
            writer.add_document(d).map_err(internal)?;
        }
        writer.commit().map_err(internal)?;
        self.reader.reload().map_err(internal)
    }

    fn word_query(&self, word: &str, typos: bool) -> Box<dyn Query> {
        let typo = &self.settings.typo_tolerance;
        let latin = word.chars().all(|c| c.is_ascii_alphanumeric());
        let len = word.chars().count();
        let distance = match () {
            _ if !typos || !typo.enabled || !latin => 0,
            _ if len >= typo.min_word_size_for_typos.two_typos => 2,
            _ if len >= typo.min_word_size_for_typos.one_typo => 1,
            _ => 0,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (_, field, boost) in &self.fields.text {
            let term = Term::from_field_text(*field, word);
            let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(exact), *boost)),
            ));
            if distance > 0 {
                let fuzzy = FuzzyTermQuery::new(term, distance, true);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(fuzzy), *boost * 0.5)),
                ));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// A synonym may be several words ("titanium alloy"): all of them must match.
    fn phrase_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let words = query_words(text);
        match words.len() {
            0 => None,
            1 => Some(self.word_query(&words[0], false)),
            _ => Some(Box::new(BooleanQuery::new(
                words
                    .iter()
                    .map(|w| (Occur::Must, self.word_query(w, false)))
                    .collect(),
            ))),
        }
    }

    fn text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let words = query_words(q);
        if words.is_empty() {
            return None;
        }
        let musts = words
            .iter()
            .map(|w| {
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> =
                    vec![(Occur::Should, self.word_query(w, true))];
                for synonym in settings::synonyms_of(w) {
                    if let Some(q) = self.phrase_query(synonym) {
                        alternatives.push((Occur::Should, q));
                    }
                }
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>,
                )
            })
            .collect();
        Some(Box::new(BooleanQuery::new(musts)))
    }

    fn term(&self, field: &str, value: &FilterValue) -> SearchResult<Term> {
        let unknown = || internal(format!("{field} is not filterable"));
        Ok(match value {
            FilterValue::Str(s) => {
                Term::from_field_text(*self.fields.keyword.get(field).ok_or_else(unknown)?, s)
            }
            FilterValue::Bool(b) => Term::from_field_text(
                *self.fields.keyword.get(field).ok_or_else(unknown)?,
                if *b { "true" } else { "false" },
            ),
            FilterValue::Int(i) => {
                Term::from_field_i64(*self.fields.number.get(field).ok_or_else(unknown)?, *i)
            }
        })
    }

    fn filter_query(&self, filter: &Filter) -> SearchResult<Box<dyn Query>> {
        Ok(match filter {
            Filter::Eq(field, v) => Box::new(TermQuery::new(
                self.term(field, v)?,
                IndexRecordOption::Basic,
            )),
            Filter::In(field, values) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for v in values {
                    clauses.push((
                        Occur::Should,
                        Box::new(TermQuery::new(
                            self.term(field, v)?,
                            IndexRecordOption::Basic,
                        )),
                    ));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Filter::Range { field, min, max } => {
                let f = *self
                    .fields
                    .number
                    .get(field)
                    .ok_or_else(|| internal(format!("{field} is not filterable")))?;
                let bound = |v: &Option<i64>| match v {
                    Some(v) => Bound::Included(Term::from_field_i64(f, *v)),
                    None => Bound::Unbounded,
                };
                match (min, max) {
                    (None, None) => Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_i64(f, i64::MIN)),
                        Bound::Included(Term::from_field_i64(f, i64::MAX)),
                    )),
                    _ => Box::new(RangeQuery::new(bound(min), bound(max))),
                }
            }
        })
    }

    fn search(&self, query: &SearchQuery) -> SearchResult<SearchHits> {
        let searcher = self.reader.searcher();
        if self.text_query(&query.q).is_some() {
            return self.run(&searcher, query);
        }
        let generation = searcher.generation().generation_id();
        let key = format!("{query:?}");
        {
            let cache = self.browse.lock().unwrap_or_else(|p| p.into_inner());
            if cache.generation == generation
                && let Some(hit) = cache.answers.get(&key)
            {
                return Ok(hit.clone());
            }
        }
        let answer = self.run(&searcher, query)?;
        let mut cache = self.browse.lock().unwrap_or_else(|p| p.into_inner());
        if cache.generation != generation || cache.answers.len() >= BROWSE_CACHE_ENTRIES {
            cache.generation = generation;
            cache.answers.clear();
        }
        cache.answers.insert(key, answer.clone());
        Ok(answer)
    }

    fn run(&self, searcher: &tantivy::Searcher, query: &SearchQuery) -> SearchResult<SearchHits> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let has_text = match self.text_query(&query.q) {
            Some(q) => {
                clauses.push((Occur::Must, q));
                true
            }
            None => {
                clauses.push((Occur::Must, Box::new(AllQuery)));
                false
            }
        };
        for f in &query.filters {
            let filter = ConstScoreQuery::new(self.filter_query(f)?, 0.0);
            clauses.push((Occur::Must, Box::new(filter)));
        }
        let mut hits = searcher
            .search(&BooleanQuery::new(clauses), &AllHits)
            .map_err(internal)?;
        let total = hits.len() as u64;

        let facets = self.facets(searcher, &hits, &query.facets)?;
        // Only the requested page needs ordering: select the first `offset + limit` hits
        // (linear), then sort just those, instead of sorting every hit.
        let wanted = (query.offset + query.limit).min(hits.len());
        if !query.sort.is_empty() {
            // One value per sort key per hit (the first, for multi-valued fields), flat.
            let names: Vec<String> = query.sort.iter().map(|(f, _)| format!("n_{f}")).collect();
            let width = names.len();
            let mut keys: Vec<Option<i64>> = Vec::with_capacity(hits.len() * width);
            let mut i = 0;
            while i < hits.len() {
                let seg = hits[i].0;
                let end = i + hits[i..].iter().take_while(|h| h.0 == seg).count();
                let ff = searcher.segment_reader(seg).fast_fields();
                let cols: Vec<Option<tantivy::columnar::Column<i64>>> = names
                    .iter()
                    .map(|n| ff.column_opt::<i64>(n).ok().flatten())
                    .collect();
                for h in &hits[i..end] {
                    keys.extend(cols.iter().map(|c| c.as_ref().and_then(|c| c.first(h.1))));
                }
                i = end;
            }
            let cmp = |a: &usize, b: &usize| {
                let (ka, kb) = (&keys[a * width..][..width], &keys[b * width..][..width]);
                for (i, (_, order)) in query.sort.iter().enumerate() {
                    // Documents without the field come last either way, as in Meilisearch.
                    let o = match (ka[i], kb[i]) {
                        (Some(x), Some(y)) if *order == Order::Asc => x.cmp(&y),
                        (Some(x), Some(y)) => y.cmp(&x),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                // Then score, then collector order, as the stable sort before did.
                hits[*b].2.total_cmp(&hits[*a].2).then(a.cmp(b))
            };
            let mut order: Vec<usize> = (0..hits.len()).collect();
            top_k(&mut order, wanted, cmp);
            hits = order[..wanted].iter().map(|&i| hits[i]).collect();
        } else if has_text {
            top_k(&mut hits, wanted, |a, b| {
                b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1)))
            });
        }
        let page = hits.iter().take(wanted).skip(query.offset);
        let mut docs = Vec::new();
        for (seg, doc, _) in page {
            let stored: TantivyDocument = searcher
                .doc(DocAddress::new(*seg, *doc))
                .map_err(internal)?;
            let text = stored
                .get_first(self.fields.source)
                .and_then(|v| v.as_str())
                .unwrap_or("null");
            docs.push(serde_json::from_str(text).map_err(internal)?);
        }
        Ok(SearchHits {
            hits: docs,
            total,
            facets,
        })
    }

    /// Counts per value over all hits. Hits arrive grouped by segment (collector order):
    /// per segment, string values are counted by term ordinal and turned into text once,
    /// numbers in a small map, so the cost per hit is a column read, not an allocation.
    fn facets(
        &self,
        searcher: &tantivy::Searcher,
        hits: &[(u32, DocId, Score)],
        names: &[String],
    ) -> SearchResult<BTreeMap<String, BTreeMap<String, u64>>> {
        let mut out = BTreeMap::new();
        for name in names {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            let mut buf = String::new();
            let mut i = 0;
            while i < hits.len() {
                let seg = hits[i].0;
                let end = i + hits[i..].iter().take_while(|h| h.0 == seg).count();
                let run = &hits[i..end];
                i = end;
                let ff = searcher.segment_reader(seg).fast_fields();
                if let Some(col) = ff.str(&format!("k_{name}")).ok().flatten() {
                    let mut per_ord = vec![0u64; col.num_terms()];
                    for (_, doc, _) in run {
                        for ord in col.term_ords(*doc) {
                            if let Some(n) = per_ord.get_mut(ord as usize) {
                                *n += 1;
                            }
                        }
                    }
                    for (ord, n) in per_ord.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                        buf.clear();
                        if col.ord_to_str(ord as u64, &mut buf).map_err(internal)? {
                            *counts.entry(buf.clone()).or_default() += n;
                        }
                    }
                }
                if let Some(col) = ff.column_opt::<i64>(&format!("n_{name}")).ok().flatten() {
                    let mut per_value: HashMap<i64, u64> = HashMap::new();
                    for (_, doc, _) in run {
                        for v in col.values_for_doc(*doc) {
                            *per_value.entry(v).or_default() += 1;
                        }
                    }
                    for (v, n) in per_value {
                        *counts.entry(v.to_string()).or_default() += n;
                    }
                }
            }
            out.insert(name.clone(), counts);
        }
        Ok(out)
    }

    fn count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

fn for_each_scalar(v: &Value, f: &mut impl FnMut(&Value)) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| for_each_scalar(i, f)),
        Value::Null => {}
        other => f(other),
    }
}

/// Puts the `k` smallest items by `cmp` first, in order (the rest after them, unordered).
fn top_k<T>(items: &mut [T], k: usize, mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    if k == 0 {
        return;
    }
    if k < items.len() {
        items.select_nth_unstable_by(k - 1, &mut cmp);
    }
    items[..k].sort_by(cmp);
}

/// Collects every matching document with its score.
struct AllHits;

struct SegmentHits {
    segment: u32,
    hits: Vec<(u32, DocId, Score)>,
}

impl Collector for AllHits {
    type Fruit = Vec<(u32, DocId, Score)>;
    type Child = SegmentHits;

    fn for_segment(&self, segment: u32, _reader: &SegmentReader) -> tantivy::Result<SegmentHits> {
        Ok(SegmentHits {
            segment,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentHits {
    type Fruit = Vec<(u32, DocId, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.hits.push((self.segment, doc, score));
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}

/// Both kinds' live shards, and staging shards during a rebuild.
pub struct EmbeddedEngine {
    root: PathBuf,
    live: RwLock<HashMap<IndexKind, Arc<Shard>>>,
    staging: Mutex<HashMap<IndexKind, Arc<Shard>>>,
}

fn current_file(root: &Path, kind: IndexKind) -> PathBuf {
    root.join(kind.name()).join("CURRENT")
}

fn new_generation(root: &Path, kind: IndexKind) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%6f");
    root.join(kind.name()).join(format!("gen-{stamp}"))
}

impl EmbeddedEngine {
    /// Opens (or creates) the indexes under `root` (`TT_DATA_DIR/index`).
    pub fn open(root: &Path) -> SearchResult<EmbeddedEngine> {
        std::fs::create_dir_all(root).map_err(internal)?;
        Ok(EmbeddedEngine {
            root: root.to_owned(),
            live: RwLock::new(HashMap::new()),
            staging: Mutex::new(HashMap::new()),
        })
    }

    fn shard(&self, target: &Target) -> SearchResult<Arc<Shard>> {
        let found = if target.staging {
            self.staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .get(&target.kind)
                .cloned()
        } else {
            self.live
                .read()
                .map_err(|_| internal("poisoned"))?
                .get(&target.kind)
                .cloned()
        };
        found.ok_or_else(|| {
            SearchError::Unavailable(format!("index {} is not open", target.kind.name()))
        })
    }

    /// Opens the live generation, or a new empty one if there is none or its settings
    /// changed. `true` when the index is new and must be filled from the database.
    fn open_live(&self, kind: IndexKind) -> SearchResult<bool> {
        let current = std::fs::read_to_string(current_file(&self.root, kind)).ok();
        let existing = current
            .map(|name| self.root.join(kind.name()).join(name.trim()))
            .filter(|dir| {
                std::fs::read_to_string(dir.join("settings.fingerprint"))
                    .ok()
                    .as_deref()
                    == Some(fingerprint(kind).as_str())
            });
        let (dir, fresh) = match existing {
            Some(dir) => (dir, false),
            None => (new_generation(&self.root, kind), true),
        };
        let already_open = self
            .live
            .read()
            .map_err(|_| internal("poisoned"))?
            .get(&kind)
            .is_some_and(|s| s.dir == dir);
        if already_open {
            return Ok(false);
        }
        let shard = Arc::new(Shard::open(&dir, kind)?);
        self.make_current(kind, &dir)?;
        let old = self
            .live
            .write()
            .map_err(|_| internal("poisoned"))?
            .insert(kind, shard);
        if let Some(old) = old.filter(|o| o.dir != dir) {
            let _ = std::fs::remove_dir_all(&old.dir);
        }
        Ok(fresh)
    }

    fn make_current(&self, kind: IndexKind, dir: &Path) -> SearchResult<()> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| internal("bad index dir"))?;
        let file = current_file(&self.root, kind);
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, name).map_err(internal)?;
        std::fs::rename(&tmp, &file).map_err(internal)
    }

    fn remove_stale_generations(&self, kind: IndexKind, keep: &Path) {
        if let Ok(entries) = std::fs::read_dir(self.root.join(kind.name())) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() && p != keep {
                    let _ = std::fs::remove_dir_all(&p);
                }
            }
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> SearchResult<T> + Send + 'static,
) -> SearchResult<T> {
    actix_web::rt::task::spawn_blocking(f)
        .await
        .map_err(internal)?
}

impl SearchEngine for Arc<EmbeddedEngine> {
    async fn prepare(&self) -> SearchResult<Vec<IndexKind>> {
        let this = self.clone();
        blocking(move || {
            let mut fresh = Vec::new();
            for kind in IndexKind::ALL {
                if this.open_live(kind)? {
                    fresh.push(kind);
                }
                let keep = this.shard(&Target::live(kind))?.dir.clone();
                this.remove_stale_generations(kind, &keep);
            }
            Ok(fresh)
        })
        .await
    }

    async fn upsert(&self, target: &Target, docs: Vec<Value>) -> SearchResult<()> {
        let shard = self.shard(target)?;
        blocking(move || shard.write(&docs, &[])).await
    }

    async fn delete(&self, target: &Target, ids: Vec<i64>) -> SearchResult<()> {
        let shard = self.shard(target)?;
        blocking(move || shard.write(&[], &ids)).await
    }

    async fn search(&self, kind: IndexKind, query: &SearchQuery) -> SearchResult<SearchHits> {
        let shard = self.shard(&Target::live(kind))?;
        let query = query.clone();
        blocking(move || shard.search(&query)).await
    }

    async fn health(&self) -> EngineHealth {
        let mut documents = BTreeMap::new();
        let mut error = None;
        for kind in IndexKind::ALL {
            match self.shard(&Target::live(kind)) {
                Ok(s) => {
                    documents.insert(kind.name().to_owned(), s.count());
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        EngineHealth {
            engine: "embedded",
            available: error.is_none(),
            documents,
            error,
        }
    }

    async fn create_staging(&self, kind: IndexKind) -> SearchResult<Target> {
        let this = self.clone();
        blocking(move || {
            let dir = new_generation(&this.root, kind);
            let shard = Arc::new(Shard::open(&dir, kind)?);
            let old = this
                .staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .insert(kind, shard);
            if let Some(old) = old {
                let _ = std::fs::remove_dir_all(&old.dir);
            }
            Ok(Target {
                kind,
                staging: true,
            })
        })
        .await
    }

    async fn promote(&self, staging: &Target) -> SearchResult<()> {
        let this = self.clone();
        let kind = staging.kind;
        blocking(move || {
            let shard = this
                .staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .remove(&kind)
                .ok_or_else(|| internal("no staging index"))?;
            this.make_current(kind, &shard.dir)?;
            let keep = shard.dir.clone();
            this.live
                .write()
                .map_err(|_| internal("poisoned"))?
                .insert(kind, shard);
            this.remove_stale_generations(kind, &keep);
            Ok(())
        })
        .await
    }
}
