//! Matching's candidate stage ([`TermsQuery`]) in one pass over the index: per segment,
//! the filters mark the documents allowed, each term's postings set its bit on them (and
//! count it), and the documents are weighed by the terms they contain, every term at once.
//! No term stops at a fixed number of its best hits, so a listing that contains many of
//! the source's terms is found even where none of them alone ranks it high, and no text
//! score is computed: matching weighs terms by its own rule, not by BM25.

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

/// What one pass found: per segment, each document's bits.
struct Marks {
    segments: Vec<Vec<u64>>,
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
    let marks = mark(searcher, queries, query)?;
    let weights = TermWeights::new(query, &marks.frequency, marks.documents);
    let mut hits: Vec<Hit> = Vec::new();
    for (seg, bits) in marks.segments.iter().enumerate() {
        for (doc, &b) in bits.iter().enumerate() {
            let terms = b & !ALLOWED;
            if b & ALLOWED != 0 && terms != 0 {
                let weight = weights.of(terms) as f32;
                hits.push((seg as u32, doc as DocId, weight, 0));
            }
        }
    }
    let wanted = query.limit.min(hits.len());
    rank_by_score(&mut hits, wanted);
    hits.truncate(wanted);
    let docs = columns::attributes(searcher, hits.iter(), query.fetch)?;
    let masks = hits
        .iter()
        .map(|(seg, doc, _, _)| marks.segments[*seg as usize][*doc as usize] & !ALLOWED);
    Ok(TermHits {
        documents: marks.documents,
        frequency: marks.frequency,
        hits: docs.into_iter().zip(masks).collect(),
    })
}

/// The filters' documents and each term's, segment by segment.
fn mark(searcher: &Searcher, queries: &Queries, query: &TermsQuery) -> SearchResult<Marks> {
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
    let mut marks = Marks {
        segments: Vec::new(),
        documents: 0,
        frequency: vec![0; terms.len()],
    };
    for reader in searcher.segment_readers() {
        let bits = mark_segment(reader, filter.as_ref(), &terms, &mut marks)?;
        marks.segments.push(bits);
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
    filter: &dyn Weight,
    terms: &[Option<Box<dyn Weight>>],
    marks: &mut Marks,
) -> SearchResult<Vec<u64>> {
    let mut bits = vec![0u64; reader.max_doc() as usize];
    let alive = reader.alive_bitset();
    filter
        .for_each_no_score(reader, &mut |docs| {
            for &d in docs {
                if alive.is_none_or(|a| a.is_alive(d)) {
                    bits[d as usize] = ALLOWED;
                    marks.documents += 1;
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
    Ok(bits)
}
