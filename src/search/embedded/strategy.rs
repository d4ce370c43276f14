//! Meilisearch's matching strategies for the embedded engine, so both engines answer a
//! query with the same documents in the same buckets. A strategy is a removal order of the
//! query's terms (milli's `removal_order_for_terms_matching_strategy_*`): a hit must contain
//! the terms that are never removed, and ranks in the bucket of the fewest removals under
//! which it contains all remaining terms; the bucket ranks before any other rule.

use std::collections::HashSet;

use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{DocAddress, Searcher};

use super::hits::Hit;
use super::internal;
use crate::search::SearchResult;
use crate::search::settings::MatchingStrategy;

/// Which terms (by index) a hit needs, and the others in the order they are given up.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) required: Vec<usize>,
    /// Groups of terms, removed first to last; terms of one group go together.
    pub(super) dropped: Vec<Vec<usize>>,
}

/// The plan of `strategy` for terms found in `frequency` documents each.
pub(super) fn plan(strategy: MatchingStrategy, frequency: &[u64]) -> Plan {
    let n = frequency.len();
    // Cost of removing each term: lower goes first; equal costs go together.
    let cost: Vec<u64> = match strategy {
        MatchingStrategy::All => {
            return Plan {
                required: (0..n).collect(),
                dropped: vec![],
            };
        }
        // The last word first, the first word never.
        MatchingStrategy::Last => (0..n).map(|i| (n - i) as u64).collect(),
        // The most frequent first; a term found nowhere before any other (it can only
        // narrow the answer to nothing). The rarest found term is never removed.
        MatchingStrategy::Frequency => frequency
            .iter()
            .map(|&f| if f == 0 { 0 } else { u64::MAX - f })
            .collect(),
    };
    let mut levels: Vec<u64> = cost.clone();
    levels.sort_unstable();
    levels.dedup();
    let mut groups: Vec<Vec<usize>> = levels
        .iter()
        .map(|level| (0..n).filter(|&i| cost[i] == *level).collect())
        .collect();
    let required = groups.pop().unwrap_or_default();
    Plan {
        required,
        dropped: groups,
    }
}

impl Plan {
    /// The bucket of a hit that contains the terms for which `has` is true: 0 when it has
    /// every term, otherwise the number of groups removed until it has all the rest.
    pub(super) fn bucket(&self, has: impl Fn(usize) -> bool) -> u32 {
        self.dropped
            .iter()
            .enumerate()
            .rev()
            .find(|(_, group)| !group.iter().all(|&t| has(t)))
            .map_or(0, |(i, _)| i as u32 + 1)
    }
}

/// How many documents each term query matches in the whole index (filters aside, as in
/// Meilisearch, so a term's rarity does not change with the filters).
pub(super) fn frequencies(searcher: &Searcher, terms: &[Box<dyn Query>]) -> SearchResult<Vec<u64>> {
    terms
        .iter()
        .map(|q| {
            searcher
                .search(q.as_ref(), &Count)
                .map(|c| c as u64)
                .map_err(internal)
        })
        .collect()
}

/// Sets each hit's bucket: for every term that may be removed, which hits contain it.
pub(super) fn assign_buckets(
    searcher: &Searcher,
    plan: &Plan,
    terms: &[Box<dyn Query>],
    required: &dyn Query,
    hits: &mut [Hit],
) -> SearchResult<()> {
    if plan.dropped.is_empty() {
        return Ok(());
    }
    let mut containing: Vec<HashSet<DocAddress>> = vec![HashSet::new(); terms.len()];
    for &t in plan.dropped.iter().flatten() {
        // Only hits matter, and every hit has the required terms: intersect with them.
        let within = BooleanQuery::new(vec![
            (Occur::Must, required.box_clone()),
            (Occur::Must, terms[t].box_clone()),
        ]);
        containing[t] = searcher
            .search(&within, &DocSetCollector)
            .map_err(internal)?;
    }
    for hit in hits.iter_mut() {
        let address = DocAddress::new(hit.0, hit.1);
        hit.3 = plan.bucket(|t| containing[t].contains(&address));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_orders_follow_meilisearch() {
        let all = plan(MatchingStrategy::All, &[5, 1, 9]);
        assert_eq!(all.required, [0, 1, 2]);
        assert!(all.dropped.is_empty());
        let last = plan(MatchingStrategy::Last, &[5, 1, 9]);
        assert_eq!(last.required, [0]);
        assert_eq!(last.dropped, [vec![2], vec![1]]);
        // Most frequent first, the unknown word before it, ties together, rarest kept.
        let freq = plan(MatchingStrategy::Frequency, &[5, 0, 9, 1, 5]);
        assert_eq!(freq.required, [3]);
        assert_eq!(freq.dropped, [vec![1], vec![2], vec![0, 4]]);
        assert_eq!(plan(MatchingStrategy::Frequency, &[0, 0]).required, [0, 1]);
        assert_eq!(plan(MatchingStrategy::Last, &[3]).required, [0]);
    }

    #[test]
    fn buckets_count_the_groups_given_up() {
        let p = plan(MatchingStrategy::Frequency, &[5, 0, 9, 1, 5]);
        assert_eq!(p.bucket(|_| true), 0);
        assert_eq!(p.bucket(|t| t != 1), 1, "only the unknown word missing");
        assert_eq!(p.bucket(|t| t != 2), 2);
        assert_eq!(p.bucket(|t| t != 4), 3, "half a group is no group");
    }
}
