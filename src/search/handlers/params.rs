//! The query string of the public searches, parsed by hand from the raw pairs so that a
//! repeated parameter (`chain=a&chain=b`) means OR and anything unknown or malformed is a
//! 400; each parameter becomes a typed [`Filter`], never a string glued from user input.

use std::collections::BTreeMap;

use crate::error::{ApiError, ErrorCode};
use crate::listings::fields;
use crate::search::{Filter, FilterValue, MatchingStrategy, Order};
use crate::taxonomy::Vocabulary;

/// Meilisearch's `pagination.maxTotalHits`: deeper pages are refused on both engines.
pub const MAX_HITS: usize = 10_000;

fn bad(code: ErrorCode, zh: String, en: String) -> ApiError {
    ApiError::with_detail(code, zh, en)
}

/// The raw pairs, grouped by name, checked against the names this endpoint knows.
pub(super) struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    pub(super) fn parse(pairs: Vec<(String, String)>, known: &[&str]) -> Result<Params, ApiError> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            if !known.contains(&k.as_str()) {
                return Err(bad(
                    ErrorCode::InvalidQuery,
                    format!("未知的查询参数 {k}，可用参数：{}。", known.join("、")),
                    format!(
                        "Unknown query parameter `{k}`; accepted: {}.",
                        known.join(", ")
                    ),
                )
                .field(k)
                .accepted(known.iter().copied()));
            }
            map.entry(k).or_default().push(v);
        }
        Ok(Params(map))
    }

    pub(super) fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name).map(Vec::as_slice) {
            None => Ok(None),
            Some([v]) => Ok(Some(v.as_str())),
            Some(_) => Err(bad(
                ErrorCode::InvalidQuery,
                format!("查询参数 {name} 只能出现一次。"),
                format!("`{name}` may be given once."),
            )
            .field(name.to_owned())),
        }
    }

    pub(super) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.one(name)?
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    bad(
                        ErrorCode::InvalidQuery,
                        format!("查询参数 {name} 应为整数，收到 {v:?}。"),
                        format!("`{name}` must be an integer, got {v:?}."),
                    )
                    .field(name.to_owned())
                })
            })
            .transpose()
    }

    pub(super) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.one(name)?
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad(
                    ErrorCode::InvalidQuery,
                    format!("查询参数 {name} 应为 true 或 false。"),
                    format!("`{name}` must be true or false."),
                )
                .field(name.to_owned())
                .accepted(["true", "false"])),
            })
            .transpose()
    }

    /// Repeated codes of one vocabulary: any of them (OR).
    pub(super) fn codes(
        &self,
        name: &str,
        vocab: Vocabulary,
        code: ErrorCode,
        filters: &mut Vec<Filter>,
    ) -> Result<(), ApiError> {
        self.codes_as(name, name, vocab, code, filters)
    }

    pub(super) fn codes_as(
        &self,
        name: &str,
        attribute: &str,
        vocab: Vocabulary,
        code: ErrorCode,
        filters: &mut Vec<Filter>,
    ) -> Result<(), ApiError> {
        let Some(values) = self.0.get(name) else {
            return Ok(());
        };
        for v in values {
            if !vocab.contains(v) {
                return Err(ApiError::unknown_code(code, name, v, vocab));
            }
        }
        let values = values.iter().map(|v| FilterValue::Str(v.clone())).collect();
        filters.push(Filter::In(attribute.into(), values));
        Ok(())
    }
}

/// `q`, at most 200 characters: enough for any real query, bounded work for the tokenizer.
pub(super) fn query_text(p: &Params) -> Result<String, ApiError> {
    let q = p.one("q")?.unwrap_or_default();
    if q.chars().count() > 200 {
        return Err(bad(
            ErrorCode::InvalidQuery,
            "查询参数 q 最多 200 个字符。".into(),
            "`q` must be at most 200 characters.".into(),
        )
        .field("q"));
    }
    Ok(q.to_owned())
}

/// `match`: how many of the words a hit needs; absent is `search-config/query.json`'s.
pub(super) fn matching(p: &Params) -> Result<Option<MatchingStrategy>, ApiError> {
    const NAMES: [&str; 3] = ["frequency", "last", "all"];
    p.one("match")?
        .map(|v| match v {
            "frequency" => Ok(MatchingStrategy::Frequency),
            "last" => Ok(MatchingStrategy::Last),
            "all" => Ok(MatchingStrategy::All),
            _ => Err(ApiError::one_of(
                ErrorCode::InvalidQuery,
                "match",
                v,
                &NAMES,
            )),
        })
        .transpose()
}

pub(super) fn trl_range(
    p: &Params,
    attribute: &str,
    filters: &mut Vec<Filter>,
) -> Result<(), ApiError> {
    let check = |name: &str| -> Result<Option<i64>, ApiError> {
        match p.int(name)? {
            Some(t) => Ok(Some(i64::from(crate::validate::trl(
                i32::try_from(t).unwrap_or(0),
                name,
            )?))),
            None => Ok(None),
        }
    };
    let (min, max) = (check("trl_min")?, check("trl_max")?);
    push_range(filters, attribute, min, max);
    Ok(())
}

/// A range on `attribute` when either end was given.
fn push_range(filters: &mut Vec<Filter>, attribute: &str, min: Option<i64>, max: Option<i64>) {
    if min.is_some() || max.is_some() {
        filters.push(Filter::Range {
            field: attribute.into(),
            min,
            max,
        });
    }
}

pub(super) fn fen(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match p.int(name)? {
        Some(v) if !(0..=fields::MAX_FEN).contains(&v) => Err(bad(
            ErrorCode::InvalidQuery,
            format!("查询参数 {name} 应为 0 到 {} 分。", fields::MAX_FEN),
            format!("`{name}` must be 0 to {} fen.", fields::MAX_FEN),
        )
        .field(name.to_owned())),
        v => Ok(v),
    }
}

pub(super) fn paging(p: &Params) -> Result<(usize, usize, i64, i64), ApiError> {
    let page = crate::pagination::Pagination::new(p.int("page")?, p.int("per_page")?)?;
    let (offset, limit) = (page.offset() as usize, page.limit() as usize);
    if offset + limit > MAX_HITS {
        return Err(bad(
            ErrorCode::InvalidPagination,
            format!("只能翻阅前 {MAX_HITS} 条结果，请缩小搜索范围。"),
            format!("Only the first {MAX_HITS} hits can be paged through; narrow the search."),
        ));
    }
    Ok((offset, limit, page.page, page.per_page))
}

pub(super) fn sort_of(
    p: &Params,
    allowed: &[(&str, &str, Order)],
    has_q: bool,
) -> Result<Vec<(String, Order)>, ApiError> {
    let newest = vec![
        ("published_at".to_owned(), Order::Desc),
        ("id".to_owned(), Order::Desc),
    ];
    match p.one("sort")? {
        None | Some("relevance") if has_q => Ok(vec![]),
        // Without words relevance says nothing: newest first, deterministically.
        None | Some("relevance") | Some("newest") => Ok(newest),
        Some(s) => match allowed.iter().find(|(name, _, _)| *name == s) {
            Some((_, field, order)) => Ok(vec![
                ((*field).to_owned(), *order),
                ("id".to_owned(), Order::Desc),
            ]),
            None => {
                let mut names = vec!["relevance", "newest"];
                names.extend(allowed.iter().map(|a| a.0));
                Err(ApiError::one_of(ErrorCode::InvalidSort, "sort", s, &names))
            }
        },
    }
}

/// One filter parameter of a public search, declared once in its kind's board. Where a
/// variant has two names, the first is the query parameter, the second the attribute.
pub(super) enum Param {
    /// Repeated codes of a vocabulary, filtering the attribute of the same name.
    Codes(&'static str, Vocabulary, ErrorCode),
    /// Repeated codes of a vocabulary, filtering `attribute`.
    CodesAs {
        name: &'static str,
        attribute: &'static str,
        vocab: Vocabulary,
        code: ErrorCode,
    },
    /// `trl_min`/`trl_max`: one range on the given attribute.
    Trl(&'static str),
    /// An amount in fen the attribute may not exceed.
    AtMost(&'static str, &'static str),
    /// An amount in fen the attribute must reach.
    AtLeast(&'static str, &'static str),
    /// `true|false`, equal on the attribute.
    Bool(&'static str, &'static str),
    /// An integer, equal on the attribute.
    Int(&'static str, &'static str),
}

impl Param {
    /// Adds this parameter's filter when it was given; a malformed value is a 400.
    pub(super) fn apply(&self, p: &Params, filters: &mut Vec<Filter>) -> Result<(), ApiError> {
        match *self {
            Param::Codes(name, vocab, code) => p.codes(name, vocab, code, filters)?,
            Param::CodesAs {
                name,
                attribute,
                vocab,
                code,
            } => p.codes_as(name, attribute, vocab, code, filters)?,
            Param::Trl(attribute) => trl_range(p, attribute, filters)?,
            Param::AtMost(name, attribute) => push_range(filters, attribute, None, fen(p, name)?),
            Param::AtLeast(name, attribute) => push_range(filters, attribute, fen(p, name)?, None),
            Param::Bool(name, attribute) => {
                push_eq(filters, attribute, p.boolean(name)?.map(FilterValue::Bool))
            }
            Param::Int(name, attribute) => {
                push_eq(filters, attribute, p.int(name)?.map(FilterValue::Int))
            }
        }
        Ok(())
    }
}

/// An equality filter on `attribute` when the value was given.
fn push_eq(filters: &mut Vec<Filter>, attribute: &str, value: Option<FilterValue>) {
    if let Some(v) = value {
        filters.push(Filter::Eq(attribute.into(), v));
    }
}
