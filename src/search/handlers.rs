//! `GET /api/v1/achievements` and `GET /api/v1/demands` (public search of published items),
//! and `GET /api/v1/admin/search` (engine health and outbox backlog).
//!
//! Both public searches take one path ([`search`]); what differs between them, their
//! parameters, sorts, facets and highlighted attributes, is declared in a [`Board`] per
//! kind. The query string itself is parsed in [`params`].

mod params;

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use self::params::{Param, Params, matching, paging, query_text, sort_of};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::error::{ApiError, ErrorCode};
use crate::search::documents::{self, unexpired};
use crate::search::terms::{query_terms, query_words};
use crate::search::{IndexKind, Order, SearchEngine, SearchQuery, outbox};
use crate::state::AppData;
use crate::taxonomy;

/// What one kind's public search accepts and answers; the path itself is shared.
struct Board {
    kind: IndexKind,
    /// Every query parameter the endpoint knows; any other is a 400.
    known: &'static [&'static str],
    /// Items stop matching after their `valid_until` day.
    expires: bool,
    /// The kind's own filter parameters, after chain, field and region, in this order.
    filters: &'static [Param],
    /// `sort` names besides relevance and newest: (name, attribute, order).
    sorts: &'static [(&'static str, &'static str, Order)],
    facets: &'static [&'static str],
    /// Attributes answered with the query's words marked.
    highlighted: &'static [&'static str],
}

/// Where and what, filtered the same way on every board.
const PLACE: &[Param] = &[
    Param::Codes("chain", taxonomy::CHAINS, ErrorCode::InvalidChain),
    Param::Codes("field", taxonomy::FIELDS, ErrorCode::InvalidField),
    Param::Codes("region", taxonomy::REGIONS, ErrorCode::InvalidRegion),
];

const ACHIEVEMENT_PARAMS: &[&str] = &[
    "q",
    "match",
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

const ACHIEVEMENTS: Board = Board {
    kind: IndexKind::Achievements,
    known: ACHIEVEMENT_PARAMS,
    expires: false,
    filters: &[
        Param::Codes("stage", taxonomy::STAGES, ErrorCode::InvalidStage),
        Param::CodesAs {
            name: "transfer_mode",
            attribute: "transfer_modes",
            vocab: taxonomy::TRANSFER_MODES,
            code: ErrorCode::InvalidTransferModes,
        },
        Param::Trl("trl"),
        // Affordable: the asking price starts at or below the amount (an open minimum
        // counts as 0; negotiable items have no price to compare and are left out).
        Param::AtMost("price_max_fen", "price_floor_fen"),
        Param::Int("pool_year", "pool_years"),
        Param::Bool("key_project", "key_project"),
        Param::Bool("negotiable", "negotiable"),
        Param::Int("org_id", "org_id"),
    ],
    sorts: &[
        // By the open-ended range's ends: "up to X" starts at 0, "from X" has no top.
        ("price_asc", "price_floor_fen", Order::Asc),
        ("price_desc", "price_ceiling_fen", Order::Desc),
    ],
    facets: &["chain", "field", "region", "trl"],
    highlighted: &["title", "summary"],
};

const DEMAND_PARAMS: &[&str] = &[
    "q",
    "match",
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

const DEMANDS: Board = Board {
    kind: IndexKind::Demands,
    known: DEMAND_PARAMS,
    expires: true,
    filters: &[
        Param::CodesAs {
            name: "cooperation_mode",
            attribute: "cooperation_modes",
            vocab: taxonomy::TRANSFER_MODES,
            code: ErrorCode::InvalidCooperationModes,
        },
        Param::Trl("trl_min"),
        // Budget reaches at least this much (an open maximum reaches any amount;
        // negotiable budgets are left out).
        Param::AtLeast("budget_min_fen", "budget_ceiling_fen"),
        Param::Bool("bottleneck", "bottleneck"),
        Param::Bool("challenge", "challenge"),
        Param::Int("org_id", "org_id"),
    ],
    sorts: &[
        ("budget_desc", "budget_ceiling_fen", Order::Desc),
        ("bounty_desc", "bounty_fen", Order::Desc),
    ],
    facets: &["chain", "field", "region", "trl_min"],
    highlighted: &["title", "description"],
};

impl Board {
    /// The engine query of a request's parameters, with its page and page size.
    fn query(&self, pairs: Vec<(String, String)>) -> Result<(SearchQuery, i64, i64), ApiError> {
        let p = Params::parse(pairs, self.known)?;
        let q = query_text(&p)?;
        let mut filters = if self.expires {
            vec![unexpired()]
        } else {
            vec![]
        };
        for param in PLACE.iter().chain(self.filters) {
            param.apply(&p, &mut filters)?;
        }
        let sort = sort_of(&p, self.sorts, !q.trim().is_empty())?;
        let (offset, limit, page, per_page) = paging(&p)?;
        let query = SearchQuery {
            q,
            filters,
            sort,
            offset,
            limit,
            facets: self.facets.iter().map(|f| (*f).to_owned()).collect(),
            matching: matching(&p)?,
            fetch: Default::default(),
        };
        Ok((query, page, per_page))
    }
}

/// The engine query a saved search of `kind` stands for: the same parameters, checked by
/// the same parser as `GET /api/v1/achievements` and `GET /api/v1/demands` (paging and
/// sort are accepted and ignored by alerts, which ask about given listings).
pub fn saved_query(kind: IndexKind, pairs: Vec<(String, String)>) -> Result<SearchQuery, ApiError> {
    let mut query = board_query(kind, pairs)?;
    query.facets.clear();
    query.sort.clear();
    Ok(query)
}

/// The engine query `GET /api/v1/achievements` or `GET /api/v1/demands` (by `kind`)
/// makes of these parameters, paging, sort and facets included: what `loadgen` sends a
/// direct Meilisearch to compare with our search endpoints.
pub fn board_query(kind: IndexKind, pairs: Vec<(String, String)>) -> Result<SearchQuery, ApiError> {
    let board = match kind {
        IndexKind::Achievements => &ACHIEVEMENTS,
        IndexKind::Demands => &DEMANDS,
    };
    Ok(board.query(pairs)?.0)
}

/// Searches one board and answers its page, the query's words marked in each hit.
async fn search(
    state: AppData,
    board: &Board,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (query, page, per_page) = board.query(pairs)?;
    let terms = highlight_terms(&query.q);
    let hits = state.engine.search(board.kind, &query).await?;
    let items: Vec<Value> = hits
        .hits
        .into_iter()
        .map(|doc| with_highlights(documents::present(doc), board.highlighted, &terms))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "total": hits.total,
        "page": page,
        "per_page": per_page,
        "facets": hits.facets,
    })))
}

/// `GET /api/v1/achievements`: full-text search of published achievements.
pub async fn achievements(
    state: AppData,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    search(state, &ACHIEVEMENTS, query.into_inner()).await
}

/// `GET /api/v1/demands`: full-text search of published, unexpired demands.
pub async fn demands(
    state: AppData,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    search(state, &DEMANDS, query.into_inner()).await
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

/// What [`highlight`] marks: the query's terms (stop words left out), their words, their
/// synonyms and the synonyms' words.
fn highlight_terms(q: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for t in query_terms(q) {
        for s in &t.synonyms {
            terms.extend(query_words(s));
            terms.push(s.clone());
        }
        terms.extend(t.words);
        terms.push(t.text);
    }
    terms.sort();
    terms.dedup();
    terms
}

/// The hit with a `highlights` object: its highlighted attributes with the terms marked
/// (empty without terms).
fn with_highlights(mut doc: Value, attributes: &[&str], terms: &[String]) -> Value {
    let mut h = serde_json::Map::new();
    if !terms.is_empty() {
        for attr in attributes {
            if let Some(text) = doc[*attr].as_str() {
                h.insert((*attr).to_owned(), Value::String(highlight(text, terms)));
            }
        }
    }
    doc["highlights"] = Value::Object(h);
    doc
}

/// `GET /api/v1/admin/search` (admin): engine health, document counts, outbox backlog.
pub async fn admin_status(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadSearchStatus)?;
    let health = state.engine.health().await;
    let backlog = state.db.read(|conn| Ok(outbox::backlog(conn)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "engine": health, "outbox": backlog })))
}

#[cfg(test)]
mod tests;
