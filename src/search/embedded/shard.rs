//! One generation of one kind's index: its writer, its reader and the cache of browse
//! pages. All of it is sync tantivy work, called on blocking threads by the engine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query};
use tantivy::schema::{TantivyDocument, Value as _};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

use super::columns;
use super::hits::{self, AllHits, Hit};
use super::internal;
use super::query::Queries;
use super::schema::{self, Fields};
use super::strategy;
use crate::search::settings::{self, IndexSettings, MatchingStrategy};
use crate::search::terms::{query_terms, query_words, strategy_of};
use crate::search::{
    Fetch, IndexKind, SearchHits, SearchQuery, SearchResult, TermHits, TermsQuery,
};

const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// Distinct pages kept per generation; past it the cache starts over.
const BROWSE_CACHE_ENTRIES: usize = 512;

/// One generation of one kind's index.
pub(super) struct Shard {
    pub(super) dir: PathBuf,
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

impl Shard {
    pub(super) fn open(dir: &Path, kind: IndexKind) -> SearchResult<Shard> {
        std::fs::create_dir_all(dir).map_err(internal)?;
        let s = settings::settings(kind);
        let (schema, fields) = schema::schema_for(s);
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(internal)?;
        let index = Index::open_or_create(mmap, schema).map_err(internal)?;
        index
            .tokenizers()
            .register(schema::TOKENIZER, schema::index_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(internal)?;
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(internal)?;
        std::fs::write(dir.join("settings.fingerprint"), schema::fingerprint(kind))
            .map_err(internal)?;
        Ok(Shard {
            dir: dir.to_owned(),
            reader,
            writer: Mutex::new(writer),
            fields,
            settings: s,
            browse: Mutex::new(BrowseCache::default()),
        })
    }

    /// Deletes and upserts in one commit, then makes them visible to searches.
    pub(super) fn write(&self, upserts: &[Value], deletes: &[i64]) -> SearchResult<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| internal("index writer poisoned"))?;
        for id in deletes {
            writer.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        for doc in upserts {
            let (id, d) = self.fields.document(doc)?;
            writer.delete_term(Term::from_field_i64(self.fields.id, id));
            writer.add_document(d).map_err(internal)?;
        }
        writer.commit().map_err(internal)?;
        self.reader.reload().map_err(internal)
    }

    /// A search with words runs; one without is answered from the browse cache if it can.
    pub(super) fn search(&self, query: &SearchQuery) -> SearchResult<SearchHits> {
        let searcher = self.reader.searcher();
        if !query_words(&query.q).is_empty() {
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

    fn run(&self, searcher: &Searcher, query: &SearchQuery) -> SearchResult<SearchHits> {
        let has_text = !query_words(&query.q).is_empty();
        let Some(mut hits) = self.matching(searcher, query, has_text)? else {
            // Only stop words: nothing to match on.
            return Ok(SearchHits {
                facets: query
                    .facets
                    .iter()
                    .map(|f| (f.clone(), Default::default()))
                    .collect(),
                ..Default::default()
            });
        };
        let total = hits.len() as u64;
        let facets = hits::facets(searcher, &hits, &query.facets)?;
        let wanted = (query.offset + query.limit).min(hits.len());
        if !query.sort.is_empty() {
            hits = hits::sorted_page(searcher, &hits, &query.sort, wanted);
        } else if has_text {
            hits::rank_by_score(&mut hits, wanted);
        }
        let page = hits.iter().take(wanted).skip(query.offset);
        let hits = match &query.fetch {
            Fetch::Documents => self.stored(searcher, page)?,
            Fetch::Attributes(attrs) => columns::attributes(searcher, page, attrs)?,
        };
        Ok(SearchHits {
            hits,
            total,
            facets,
        })
    }

    /// Every hit of the query with its score and bucket; `None` when the query has words
    /// but all of them are stop words.
    fn matching(
        &self,
        searcher: &Searcher,
        query: &SearchQuery,
        has_text: bool,
    ) -> SearchResult<Option<Vec<Hit>>> {
        let queries = Queries {
            fields: &self.fields,
            settings: self.settings,
            typos: true,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = queries
            .filters(&query.filters)?
            .into_iter()
            .map(|f| (Occur::Must, f))
            .collect();
        if has_text {
            return self.text_hits(searcher, &queries, query, clauses);
        }
        clauses.push((Occur::Must, Box::new(AllQuery)));
        let all = BooleanQuery::new(clauses);
        Ok(Some(searcher.search(&all, &AllHits).map_err(internal)?))
    }

    /// The hits of a query with words, under its matching strategy: the plan's required
    /// terms must match, the others only score and set the bucket.
    fn text_hits(
        &self,
        searcher: &Searcher,
        queries: &Queries,
        query: &SearchQuery,
        mut clauses: Vec<(Occur, Box<dyn Query>)>,
    ) -> SearchResult<Option<Vec<Hit>>> {
        let terms: Vec<Box<dyn Query>> = query_terms(&query.q)
            .iter()
            .map(|t| queries.term_query(t))
            .collect();
        if terms.is_empty() {
            return Ok(None);
        }
        let chosen = strategy_of(query.matching);
        // Only `frequency` with several terms needs to count: spare the others the work.
        let frequency = match chosen {
            MatchingStrategy::Frequency if terms.len() > 1 => {
                strategy::frequencies(searcher, &terms)?
            }
            _ => vec![0; terms.len()],
        };
        let plan = strategy::plan(chosen, &frequency);
        let required = BooleanQuery::new(
            plan.required
                .iter()
                .map(|&t| (Occur::Must, terms[t].box_clone()))
                .collect(),
        );
        clauses.push((Occur::Must, Box::new(required.clone())));
        for &t in plan.dropped.iter().flatten() {
            // Optional, but scored: more matched words score higher within a bucket.
            clauses.push((Occur::Should, terms[t].box_clone()));
        }
        let mut hits = searcher
            .search(&BooleanQuery::new(clauses), &AllHits)
            .map_err(internal)?;
        strategy::assign_buckets(searcher, &plan, &terms, &required, &mut hits)?;
        Ok(Some(hits))
    }

    /// The JSON documents of the page's hits, as they were indexed.
    fn stored<'h>(
        &self,
        searcher: &Searcher,
        page: impl Iterator<Item = &'h Hit>,
    ) -> SearchResult<Vec<Value>> {
        let mut docs = Vec::new();
        for (seg, doc, _, _) in page {
            let stored: TantivyDocument = searcher
                .doc(DocAddress::new(*seg, *doc))
                .map_err(internal)?;
            let text = stored
                .get_first(self.fields.source)
                .and_then(|v| v.as_str())
                .unwrap_or("null");
            docs.push(serde_json::from_str(text).map_err(internal)?);
        }
        Ok(docs)
    }

    /// Matching's candidates, in one pass ([`super::candidates`]).
    pub(super) fn match_terms(&self, query: &TermsQuery) -> SearchResult<TermHits> {
        let queries = Queries {
            fields: &self.fields,
            settings: self.settings,
            typos: false,
        };
        super::candidates::candidates(&self.reader.searcher(), &queries, query)
    }

    pub(super) fn count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
