//! Matching's candidate stage ([`TermsQuery`]) in one pass over the index: per segment,
//! the filters mark the documents allowed, each term's postings set its bit on them (and
//! count it), and the documents are weighed by the terms they contain, every term at once.
//! No term stops at a fixed number of its best hits, so a listing that contains many of
//! the source's terms is found even where none of them alone ranks it high, and no text
//! score is computed: matching weighs terms by its own rule, not by BM25.

use std::cell::RefCell;

use tantivy::query::{AllQuery, BooleanQuery, EnableScoring, Occur, Query, Weight};
use tantivy::{DocId, Searcher, SegmentReader};

use super::columns;
use super::hits::{Hit, rank_by_score};
use super::internal;
use super::query::Queries;
use crate::search::terms::query_terms;
use crate::search::{SearchResult, TermHits, TermWeights, TermsQuery};

/// The bit of a document that passes the filters; bits 0..63 are the terms it contains.
const ALLOWED: u64 = 1 << 63;

thread_local! {
    /// Each blocking thread's bits of every document, reused from one match to the next:
    /// a fresh one would be megabytes to allocate and zero per request at 200,000
    /// listings.
    static BITS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// And the documents that contain any term, likewise.
    static HITS: RefCell<Vec<Hit>> = const { RefCell::new(Vec::new()) };
}

/// What one pass found: each document's bits, the segments one after the other.
struct Marks<'a> {
    bits: &'a mut Vec<u64>,
    /// Where each segment's documents start in `bits`.
    starts: Vec<usize>,
    documents: u64,
    frequency: Vec<u64>,
}

pub(super) fn candidates(
    searcher: &Searcher,
    queries: &Queries,
    query: &TermsQuery,
) -> SearchResult<TermHits> {
    if query.terms.len() >= 64 {
        return Err(internal("at most 63 terms"));
    }
    BITS.with(|bits| {
        HITS.with(|hits| {
            let mut bits = bits.borrow_mut();
            let marks = mark(searcher, queries, query, &mut bits)?;
            heaviest(searcher, query, marks, &mut hits.borrow_mut())
        })
    })
}

/// The `limit` heaviest documents, with their attributes and terms.
fn heaviest(
    searcher: &Searcher,
    query: &TermsQuery,
    marks: Marks,
    hits: &mut Vec<Hit>,
) -> SearchResult<TermHits> {
    let weights = TermWeights::new(query, &marks.frequency, marks.documents);
    hits.clear();
    for (seg, &start) in marks.starts.iter().enumerate() {
        let end = marks
            .starts
            .get(seg + 1)
            .copied()
            .unwrap_or(marks.bits.len());
        for (doc, &b) in marks.bits[start..end].iter().enumerate() {
            let terms = b & !ALLOWED;
            if b & ALLOWED != 0 && terms != 0 {
                let weight = weights.of(terms) as f32;
                hits.push((seg as u32, doc as DocId, weight, 0));
            }
        }
    }
    let wanted = query.limit.min(hits.len());
    rank_by_score(hits, wanted);
    let page = &hits[..wanted];
    let docs = columns::attributes(searcher, page.iter(), query.fetch)?;
    let masks = page
        .iter()
        .map(|(seg, doc, _, _)| marks.bits[marks.starts[*seg as usize] + *doc as usize] & !ALLOWED);
    Ok(TermHits {
        documents: marks.documents,
        frequency: marks.frequency,
        hits: docs.into_iter().zip(masks).collect(),
    })
}

/// The filters' documents and each term's, segment by segment.
fn mark<'a>(
    searcher: &Searcher,
    queries: &Queries,
    query: &TermsQuery,
    bits: &'a mut Vec<u64>,
) -> SearchResult<Marks<'a>> {
    let scoring = EnableScoring::disabled_from_searcher(searcher);
    let mut filter: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
    filter.extend(
        queries
            .filters(&query.filters)?
            .into_iter()
            .map(|f| (Occur::Must, f)),
    );
    let filter = BooleanQuery::new(filter)
        .weight(scoring)
        .map_err(internal)?;
    let terms: Vec<Option<Box<dyn Weight>>> = query
        .terms
        .iter()
        .map(|(text, _)| term_weight(queries, text, scoring))
        .collect::<SearchResult<_>>()?;
    let readers = searcher.segment_readers();
    let mut starts = Vec::with_capacity(readers.len());
    let mut total = 0;
    for reader in readers {
        starts.push(total);
        total += reader.max_doc() as usize;
    }
    bits.clear();
    bits.resize(total, 0);
    let mut marks = Marks {
        bits,
        starts,
        documents: 0,
        frequency: vec![0; terms.len()],
    };
    for (seg, reader) in readers.iter().enumerate() {
        mark_segment(reader, seg, filter.as_ref(), &terms, &mut marks)?;
    }
    Ok(marks)
}

/// A term as all of its words (or a synonym); `None` when it has only stop words.
fn term_weight(
    queries: &Queries,
    text: &str,
    scoring: EnableScoring,
) -> SearchResult<Option<Box<dyn Weight>>> {
    let words = query_terms(text);
    if words.is_empty() {
        return Ok(None);
    }
    let all = BooleanQuery::new(
        words
            .iter()
            .map(|t| (Occur::Must, queries.term_query(t)))
            .collect(),
    );
    all.weight(scoring).map(Some).map_err(internal)
}

fn mark_segment(
    reader: &SegmentReader,
    seg: usize,
    filter: &dyn Weight,
    terms: &[Option<Box<dyn Weight>>],
    marks: &mut Marks,
) -> SearchResult<()> {
    let start = marks.starts[seg];
    let bits = &mut marks.bits[start..start + reader.max_doc() as usize];
    let alive = reader.alive_bitset();
    let documents = &mut marks.documents;
    filter
        .for_each_no_score(reader, &mut |docs| {
            for &d in docs {
                if alive.is_none_or(|a| a.is_alive(d)) {
                    bits[d as usize] = ALLOWED;
                    *documents += 1;
                }
            }
        })
        .map_err(internal)?;
    for (i, term) in terms.iter().enumerate() {
        let Some(term) = term else { continue };
        let (bit, count) = (1u64 << i, &mut marks.frequency[i]);
        term.for_each_no_score(reader, &mut |docs| {
            for &d in docs {
                let b = &mut bits[d as usize];
                if *b & ALLOWED != 0 && *b & bit == 0 {
                    *b |= bit;
                    *count += 1;
                }
            }
        })
        .map_err(internal)?;
    }
    Ok(())
}
