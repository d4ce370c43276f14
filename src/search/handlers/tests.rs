//! Tests of the parent module and its query-string parser.
use super::params::*;
use super::*;
use crate::listings::fields;
use crate::search::{Filter, FilterValue};

#[test]
fn highlights_escape_and_prefer_the_longest_term() {
    let terms = vec!["碳化硅".to_owned(), "sic".to_owned(), "碳化".to_owned()];
    assert_eq!(
        highlight("SiC<b>与碳化硅&", &terms),
        "<em>SiC</em>&lt;b&gt;与<em>碳化硅</em>&amp;"
    );
}

/// Fuzz targets of the hand-written query parser (proptest: cargo-fuzz needs nightly).
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(ACHIEVEMENT_PARAMS).prop_map(str::to_owned),
            prop::sample::select(DEMAND_PARAMS).prop_map(str::to_owned),
            "\\PC{0,12}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            "[0-9+-]{0,25}",
            prop::sample::select(
                &[
                    "true",
                    "false",
                    "machine_tools",
                    "semiconductors",
                    "610100",
                    "pilot",
                    "licensing",
                    "relevance",
                    "newest",
                    "price_asc",
                    "budget_desc",
                    "",
                    "' OR 1=1 --",
                    "chain = x OR id > 0",
                    "TRUE",
                    "1",
                ][..]
            )
            .prop_map(str::to_owned),
            "\\PC{0,40}",
        ]
    }

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec((name(), value()), 0..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn params_accept_exactly_the_known_names(pairs in pairs()) {
            let known = ACHIEVEMENT_PARAMS;
            let all_known = pairs.iter().all(|(k, _)| known.contains(&k.as_str()));
            match Params::parse(pairs.clone(), known) {
                Ok(p) => {
                    prop_assert!(all_known);
                    for name in known {
                        let given: Vec<&String> =
                            pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v).collect();
                        match p.one(name) {
                            Ok(None) => prop_assert!(given.is_empty()),
                            Ok(Some(v)) => prop_assert_eq!(&given, &vec![v]),
                            Err(e) => {
                                prop_assert!(given.len() > 1);
                                prop_assert_eq!(e.code(), ErrorCode::InvalidQuery);
                            }
                        }
                        if let ([v], Ok(n)) = (given.as_slice(), p.int(name)) {
                            prop_assert_eq!(n, v.parse::<i64>().ok());
                        }
                    }
                }
                Err(e) => {
                    prop_assert!(!all_known);
                    prop_assert_eq!(e.code(), ErrorCode::InvalidQuery);
                }
            }
        }

        #[test]
        fn accepted_filters_paging_and_sorts_are_in_range(pairs in pairs()) {
            let Ok(p) = Params::parse(pairs, ACHIEVEMENT_PARAMS) else { return Ok(()) };
            if let Ok((offset, limit, page, per_page)) = paging(&p) {
                prop_assert!(page >= 1 && (1..=100).contains(&per_page));
                prop_assert!(offset + limit <= MAX_HITS);
                prop_assert_eq!(offset as i64, (page - 1) * per_page);
            }
            let mut filters = Vec::new();
            if trl_range(&p, "trl", &mut filters).is_ok() {
                for f in &filters {
                    if let Filter::Range { min, max, .. } = f {
                        for v in [min, max].into_iter().flatten() {
                            prop_assert!((1..=9).contains(v));
                        }
                    }
                }
            }
            if let Ok(Some(v)) = fen(&p, "price_max_fen") {
                prop_assert!((0..=fields::MAX_FEN).contains(&v));
            }
            let mut filters = Vec::new();
            if p.codes("chain", taxonomy::CHAINS, ErrorCode::InvalidChain, &mut filters).is_ok() {
                for f in &filters {
                    let Filter::In(_, values) = f else { panic!("{f:?}") };
                    for v in values {
                        let FilterValue::Str(code) = v else { panic!("{v:?}") };
                        prop_assert!(taxonomy::CHAINS.contains(code));
                    }
                }
            }
            let allowed = [("price_asc", "price_min_fen", Order::Asc)];
            if let Ok(sort) = sort_of(&p, &allowed, false) {
                for (field, _) in &sort {
                    prop_assert!(["published_at", "id", "price_min_fen"].contains(&field.as_str()));
                }
            }
            let _ = query_text(&p).map(|q| assert!(q.chars().count() <= 200));
        }

        #[test]
        fn highlighting_only_adds_tags_and_escapes(text in "\\PC{0,80}", terms in prop::collection::vec("\\PC{0,6}", 0..4)) {
            let out = highlight(&text, &terms);
            let back = out
                .replace("<em>", "")
                .replace("</em>", "")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            prop_assert_eq!(back, text);
            prop_assert_eq!(out.matches("<em>").count(), out.matches("</em>").count());
        }
    }
}
