//! A [`SearchQuery`]'s terms and typed filters as tantivy queries. Each term (a word, or
//! words joined by a synonym, see [`crate::search::terms`]) matches a searchable attribute
//! directly, through a synonym, or (for Latin words) with the typos the settings allow;
//! which terms a hit must contain is the matching strategy's business ([`super::strategy`]).

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;

use super::internal;
use super::schema::Fields;
use crate::search::settings::IndexSettings;
use crate::search::terms::{QueryTerm, query_words};
use crate::search::{Filter, FilterValue, SearchResult};

type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// Builds queries against one kind's fields, with its typo tolerance.
pub(super) struct Queries<'a> {
    pub(super) fields: &'a Fields,
    pub(super) settings: &'a IndexSettings,
    /// Whether words may match with typos: for what people type, not for terms taken
    /// from a listing's own text (matching), where a typo is never meant and the
    /// automaton over the term dictionary is the costliest part of the query.
    pub(super) typos: bool,
}

impl Queries<'_> {
    /// The filters, each narrowing without scoring.
    pub(super) fn filters(&self, filters: &[Filter]) -> SearchResult<Vec<Box<dyn Query>>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        for f in filters {
            out.push(Box::new(ConstScoreQuery::new(self.filter_query(f)?, 0.0)));
        }
        Ok(out)
    }

    /// One term: all of its words (with typos), or any of its synonyms.
    pub(super) fn term_query(&self, term: &QueryTerm) -> Box<dyn Query> {
        let own: Box<dyn Query> = match term.words.as_slice() {
            [one] => self.word_query(one, self.typos),
            words => Box::new(BooleanQuery::new(
                words
                    .iter()
                    .map(|w| (Occur::Must, self.word_query(w, self.typos)))
                    .collect(),
            )),
        };
        let mut alternatives: Clauses = vec![(Occur::Should, own)];
        if term.words.len() > 1 {
            // Indexed whole by jieba's search mode ("数控机床" as well as its parts).
            alternatives.push((Occur::Should, self.word_query(&term.text, false)));
        }
        for synonym in &term.synonyms {
            if let Some(q) = self.phrase_query(synonym) {
                alternatives.push((Occur::Should, q));
            }
        }
        Box::new(BooleanQuery::new(alternatives))
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
        let mut clauses: Clauses = Vec::new();
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
                let mut clauses: Clauses = Vec::new();
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
            Filter::Range { field, min, max } => self.range_query(field, *min, *max)?,
            Filter::Ne(field, v) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (
                    Occur::MustNot,
                    Box::new(TermQuery::new(
                        self.term(field, v)?,
                        IndexRecordOption::Basic,
                    )),
                ),
            ])),
        })
    }

    /// An inclusive range; with neither end it still asks that the field exists.
    fn range_query(
        &self,
        field: &str,
        min: Option<i64>,
        max: Option<i64>,
    ) -> SearchResult<Box<dyn Query>> {
        let f = *self
            .fields
            .number
            .get(field)
            .ok_or_else(|| internal(format!("{field} is not filterable")))?;
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(f, v)),
            None => Bound::Unbounded,
        };
        Ok(match (min, max) {
            (None, None) => Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(f, i64::MIN)),
                Bound::Included(Term::from_field_i64(f, i64::MAX)),
            )),
            _ => Box::new(RangeQuery::new(bound(min), bound(max))),
        })
    }
}
