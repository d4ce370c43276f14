//! What happens to the matching documents after the query: every hit collected with its
//! score, facet counts over all of them, and only the requested page put in order. A
//! browse page matches nearly every document, so each step reads fast-field columns per
//! segment instead of stored documents.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, Searcher, SegmentReader};

use super::internal;
use crate::search::{Order, SearchResult};

/// A hit: segment ordinal, document within it, text score, and its bucket of the matching
/// strategy (0: every query word matched; each word group dropped adds one). The bucket
/// ranks before the score and before sort keys, as Meilisearch's `words` rule does.
pub(super) type Hit = (u32, DocId, Score, u32);

/// Hits arrive grouped by segment (collector order): the runs of one segment each.
fn by_segment(hits: &[Hit]) -> impl Iterator<Item = (u32, &[Hit])> {
    hits.chunk_by(|a, b| a.0 == b.0).map(|run| (run[0].0, run))
}

/// Puts the `k` smallest items by `cmp` first, in order (the rest after them, unordered).
fn top_k<T>(items: &mut [T], k: usize, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if k == 0 {
        return;
    }
    if k < items.len() {
        items.select_nth_unstable_by(k - 1, &mut cmp);
    }
    items[..k].sort_by(cmp);
}

/// Puts the best `wanted` hits by bucket, then score first (ties in collector order).
pub(super) fn rank_by_score(hits: &mut [Hit], wanted: usize) {
    top_k(hits, wanted, |a, b| {
        a.3.cmp(&b.3)
            .then(b.2.total_cmp(&a.2))
            .then((a.0, a.1).cmp(&(b.0, b.1)))
    });
}

/// The first `wanted` hits by the sort keys: only the requested page needs ordering, so
/// select the first `wanted` (linear), then sort just those, instead of sorting every hit.
pub(super) fn sorted_page(
    searcher: &Searcher,
    hits: &[Hit],
    sort: &[(String, Order)],
    wanted: usize,
) -> Vec<Hit> {
    let keys = sort_keys(searcher, hits, sort);
    let width = sort.len();
    let cmp = |a: &usize, b: &usize| {
        let bucket = hits[*a].3.cmp(&hits[*b].3);
        if bucket != Ordering::Equal {
            return bucket;
        }
        let (ka, kb) = (&keys[a * width..][..width], &keys[b * width..][..width]);
        for (i, (_, order)) in sort.iter().enumerate() {
            // Documents without the field come last either way, as in Meilisearch.
            let o = match (ka[i], kb[i]) {
                (Some(x), Some(y)) if *order == Order::Asc => x.cmp(&y),
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        // Then score, then collector order, as the stable sort before did.
        hits[*b].2.total_cmp(&hits[*a].2).then(a.cmp(b))
    };
    let mut order: Vec<usize> = (0..hits.len()).collect();
    top_k(&mut order, wanted, cmp);
    order[..wanted].iter().map(|&i| hits[i]).collect()
}

/// One value per sort key per hit (the first, for multi-valued fields), flat.
fn sort_keys(searcher: &Searcher, hits: &[Hit], sort: &[(String, Order)]) -> Vec<Option<i64>> {
    let names: Vec<String> = sort.iter().map(|(f, _)| format!("n_{f}")).collect();
    let mut keys: Vec<Option<i64>> = Vec::with_capacity(hits.len() * names.len());
    for (seg, run) in by_segment(hits) {
        let ff = searcher.segment_reader(seg).fast_fields();
        let cols: Vec<Option<Column<i64>>> = names
            .iter()
            .map(|n| ff.column_opt::<i64>(n).ok().flatten())
            .collect();
        for h in run {
            keys.extend(cols.iter().map(|c| c.as_ref().and_then(|c| c.first(h.1))));
        }
    }
    keys
}

/// Counts per value over all hits. Per segment, string values are counted by term ordinal
/// and turned into text once, numbers in a small map, so the cost per hit is a column
/// read, not an allocation.
pub(super) fn facets(
    searcher: &Searcher,
    hits: &[Hit],
    names: &[String],
) -> SearchResult<BTreeMap<String, BTreeMap<String, u64>>> {
    let mut out = BTreeMap::new();
    for name in names {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (seg, run) in by_segment(hits) {
            let reader = searcher.segment_reader(seg);
            count_strings(reader, &format!("k_{name}"), run, &mut counts)?;
            count_numbers(reader, &format!("n_{name}"), run, &mut counts);
        }
        out.insert(name.clone(), counts);
    }
    Ok(out)
}

fn count_strings(
    reader: &SegmentReader,
    column: &str,
    run: &[Hit],
    counts: &mut BTreeMap<String, u64>,
) -> SearchResult<()> {
    let Some(col) = reader.fast_fields().str(column).ok().flatten() else {
        return Ok(());
    };
    let mut per_ord = vec![0u64; col.num_terms()];
    for (_, doc, _, _) in run {
        for ord in col.term_ords(*doc) {
            if let Some(n) = per_ord.get_mut(ord as usize) {
                *n += 1;
            }
        }
    }
    let mut buf = String::new();
    for (ord, n) in per_ord.into_iter().enumerate().filter(|(_, n)| *n > 0) {
        buf.clear();
        if col.ord_to_str(ord as u64, &mut buf).map_err(internal)? {
            *counts.entry(buf.clone()).or_default() += n;
        }
    }
    Ok(())
}

fn count_numbers(
    reader: &SegmentReader,
    column: &str,
    run: &[Hit],
    counts: &mut BTreeMap<String, u64>,
) {
    let Some(col) = reader
        .fast_fields()
        .column_opt::<i64>(column)
        .ok()
        .flatten()
    else {
        return;
    };
    let mut per_value: HashMap<i64, u64> = HashMap::new();
    for (_, doc, _, _) in run {
        for v in col.values_for_doc(*doc) {
            *per_value.entry(v).or_default() += 1;
        }
    }
    for (v, n) in per_value {
        *counts.entry(v.to_string()).or_default() += n;
    }
}

/// Collects every matching document with its score.
pub(super) struct AllHits;

pub(super) struct SegmentHits {
    segment: u32,
    hits: Vec<Hit>,
}

impl Collector for AllHits {
    type Fruit = Vec<Hit>;
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
    type Fruit = Vec<Hit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.hits.push((self.segment, doc, score, 0));
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}
