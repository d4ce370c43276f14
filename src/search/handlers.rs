//! `GET /api/v1/achievements` and `GET /api/v1/demands` (public search of published items),
//! and `GET /api/v1/admin/search` (engine health and outbox backlog).
//!
//! Query parameters are parsed by hand from the raw pairs so that a repeated parameter
//! (`chain=a&chain=b`) means OR, and anything unknown or malformed is a 400.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::error::{ApiError, ErrorCode};
use crate::listings::fields;
use crate::search::documents::day_start;
use crate::search::embedded::query_words;
use crate::search::settings::synonyms_of;
use crate::search::{Filter, FilterValue, IndexKind, Order, SearchEngine, SearchQuery, outbox};
use crate::state::AppData;
use crate::taxonomy::{self, Vocabulary};

/// Meilisearch's `pagination.maxTotalHits`: deeper pages are refused on both engines.
pub const MAX_HITS: usize = 10_000;

fn bad(code: ErrorCode, zh: String, en: String) -> ApiError {
    ApiError::with_detail(code, zh, en)
}

/// The raw pairs, grouped by name, checked against the names this endpoint knows.
struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    fn parse(pairs: Vec<(String, String)>, known: &[&str]) -> Result<Params, ApiError> {
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

    fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
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

    fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
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

    fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
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

    /// `name=true|false` as an equality filter on `attribute`.
    fn bool_filter(
        &self,
        name: &str,
        attribute: &str,
        filters: &mut Vec<Filter>,
    ) -> Result<(), ApiError> {
        if let Some(b) = self.boolean(name)? {
            filters.push(Filter::Eq(attribute.into(), FilterValue::Bool(b)));
        }
        Ok(())
    }

    /// `name=<integer>` as an equality filter on `attribute`.
    fn int_filter(
        &self,
        name: &str,
        attribute: &str,
        filters: &mut Vec<Filter>,
    ) -> Result<(), ApiError> {
        if let Some(i) = self.int(name)? {
            filters.push(Filter::Eq(attribute.into(), FilterValue::Int(i)));
        }
        Ok(())
    }

    /// Repeated codes of one vocabulary: any of them (OR).
    fn codes(
        &self,
        name: &str,
        vocab: Vocabulary,
        code: ErrorCode,
        filters: &mut Vec<Filter>,
    ) -> Result<(), ApiError> {
        self.codes_as(name, name, vocab, code, filters)
    }

    fn codes_as(
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
fn query_text(p: &Params) -> Result<String, ApiError> {
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

fn trl_range(p: &Params, attribute: &str, filters: &mut Vec<Filter>) -> Result<(), ApiError> {
    let check = |name: &str| -> Result<Option<i64>, ApiError> {
        match p.int(name)? {
            Some(t) => Ok(Some(i64::from(fields::trl(
                i32::try_from(t).unwrap_or(0),
                name,
            )?))),
            None => Ok(None),
        }
    };
    let (min, max) = (check("trl_min")?, check("trl_max")?);
    if min.is_some() || max.is_some() {
        filters.push(Filter::Range {
            field: attribute.into(),
            min,
            max,
        });
    }
    Ok(())
}

fn fen(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
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

fn paging(p: &Params) -> Result<(usize, usize, i64, i64), ApiError> {
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

fn sort_of(
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

/// Wraps the query's words and their synonyms in `<em>`; the rest is HTML-escaped.
pub fn highlight(text: &str, terms: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.chars().collect())
        .filter(|t: &Vec<char>| !t.is_empty())
        .collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let best = terms
            .iter()
            .filter(|t| lower[i..].starts_with(t))
            .map(|t| t.len())
            .max();
        let (piece, tagged) = match best {
            Some(n) => (&chars[i..i + n], true),
            None => (&chars[i..i + 1], false),
        };
        if tagged {
            out.push_str("<em>");
        }
        for c in piece {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                _ => out.push(*c),
            }
        }
        if tagged {
            out.push_str("</em>");
        }
        i += piece.len();
    }
    out
}

fn highlight_terms(q: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for w in query_words(q) {
        for s in synonyms_of(&w) {
            terms.extend(query_words(s));
            terms.push(s.clone());
        }
        terms.push(w);
    }
    terms.sort();
    terms.dedup();
    terms
}

async fn run(
    state: AppData,
    kind: IndexKind,
    query: SearchQuery,
    page: i64,
    per_page: i64,
    highlighted: &[&str],
) -> Result<HttpResponse, ApiError> {
    let terms = highlight_terms(&query.q);
    let hits = state.engine.search(kind, &query).await?;
    let items: Vec<Value> = hits
        .hits
        .into_iter()
        .map(|mut doc| {
            let mut h = serde_json::Map::new();
            if !terms.is_empty() {
                for attr in highlighted {
                    if let Some(text) = doc[*attr].as_str() {
                        h.insert((*attr).to_owned(), Value::String(highlight(text, &terms)));
                    }
                }
            }
            doc["highlights"] = Value::Object(h);
            doc
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "total": hits.total,
        "page": page,
        "per_page": per_page,
        "facets": hits.facets,
    })))
}

const ACHIEVEMENT_PARAMS: &[&str] = &[
    "q",
    "chain",
    "field",
    "region",
    "stage",
    "trl_min",
    "trl_max",
    "price_max_fen",
    "transfer_mode",
    "pool_year",
    "key_project",
    "org_id",
    "negotiable",
    "sort",
    "page",
    "per_page",
];

/// `GET /api/v1/achievements`: full-text search of published achievements.
pub async fn achievements(
    state: AppData,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(query.into_inner(), ACHIEVEMENT_PARAMS)?;
    let q = query_text(&p)?;
    let mut filters = Vec::new();
    p.codes(
        "chain",
        taxonomy::CHAINS,
        ErrorCode::InvalidChain,
        &mut filters,
    )?;
    p.codes(
        "field",
        taxonomy::FIELDS,
        ErrorCode::InvalidField,
        &mut filters,
    )?;
    p.codes(
        "region",
        taxonomy::REGIONS,
        ErrorCode::InvalidRegion,
        &mut filters,
    )?;
    p.codes(
        "stage",
        taxonomy::STAGES,
        ErrorCode::InvalidStage,
        &mut filters,
    )?;
    p.codes_as(
        "transfer_mode",
        "transfer_modes",
        taxonomy::TRANSFER_MODES,
        ErrorCode::InvalidTransferModes,
        &mut filters,
    )?;
    trl_range(&p, "trl", &mut filters)?;
    if let Some(max) = fen(&p, "price_max_fen")? {
        // Affordable: the asking price starts at or below the budget.
        filters.push(Filter::Range {
            field: "price_min_fen".into(),
            min: None,
            max: Some(max),
        });
    }
    p.int_filter("pool_year", "pool_years", &mut filters)?;
    p.bool_filter("key_project", "key_project", &mut filters)?;
    p.bool_filter("negotiable", "negotiable", &mut filters)?;
    p.int_filter("org_id", "org_id", &mut filters)?;
    let sort = sort_of(
        &p,
        &[
            ("price_asc", "price_min_fen", Order::Asc),
            ("price_desc", "price_max_fen", Order::Desc),
        ],
        !q.trim().is_empty(),
    )?;
    let (offset, limit, page, per_page) = paging(&p)?;
    let query = SearchQuery {
        q,
        filters,
        sort,
        offset,
        limit,
        facets: vec![
            "chain".into(),
            "field".into(),
            "region".into(),
            "trl".into(),
        ],
    };
    run(
        state,
        IndexKind::Achievements,
        query,
        page,
        per_page,
        &["title", "summary"],
    )
    .await
}

const DEMAND_PARAMS: &[&str] = &[
    "q",
    "chain",
    "field",
    "region",
    "trl_min",
    "trl_max",
    "budget_min_fen",
    "cooperation_mode",
    "org_id",
    "bottleneck",
    "challenge",
    "sort",
    "page",
    "per_page",
];

/// `GET /api/v1/demands`: full-text search of published, unexpired demands.
pub async fn demands(
    state: AppData,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(query.into_inner(), DEMAND_PARAMS)?;
    let q = query_text(&p)?;
    // Expiry needs no index write: a demand past its last day simply stops matching.
    let mut filters = vec![Filter::Range {
        field: "valid_until".into(),
        min: Some(day_start(fields::today())),
        max: None,
    }];
    p.codes(
        "chain",
        taxonomy::CHAINS,
        ErrorCode::InvalidChain,
        &mut filters,
    )?;
    p.codes(
        "field",
        taxonomy::FIELDS,
        ErrorCode::InvalidField,
        &mut filters,
    )?;
    p.codes(
        "region",
        taxonomy::REGIONS,
        ErrorCode::InvalidRegion,
        &mut filters,
    )?;
    p.codes_as(
        "cooperation_mode",
        "cooperation_modes",
        taxonomy::TRANSFER_MODES,
        ErrorCode::InvalidCooperationModes,
        &mut filters,
    )?;
    trl_range(&p, "trl_min", &mut filters)?;
    if let Some(min) = fen(&p, "budget_min_fen")? {
        // Budget reaches at least this much.
        filters.push(Filter::Range {
            field: "budget_max_fen".into(),
            min: Some(min),
            max: None,
        });
    }
    p.bool_filter("bottleneck", "bottleneck", &mut filters)?;
    p.bool_filter("challenge", "challenge", &mut filters)?;
    p.int_filter("org_id", "org_id", &mut filters)?;
    let sort = sort_of(
        &p,
        &[
            ("budget_desc", "budget_max_fen", Order::Desc),
            ("bounty_desc", "bounty_fen", Order::Desc),
        ],
        !q.trim().is_empty(),
    )?;
    let (offset, limit, page, per_page) = paging(&p)?;
    let query = SearchQuery {
        q,
        filters,
        sort,
        offset,
        limit,
        facets: vec![
            "chain".into(),
            "field".into(),
            "region".into(),
            "trl_min".into(),
        ],
    };
    run(
        state,
        IndexKind::Demands,
        query,
        page,
        per_page,
        &["title", "description"],
    )
    .await
}

/// `GET /api/v1/admin/search` (admin): engine health, document counts, outbox backlog.
pub async fn admin_status(state: AppData, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadSearchStatus)?;
    let health = state.engine.health().await;
    let backlog = state.db.read(|conn| Ok(outbox::backlog(conn)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "engine": health, "outbox": backlog })))
}

#[cfg(test)]
mod tests;
