//! The Meilisearch engine, through `meilisearch-sdk`. Index names carry `TT_INDEX_PREFIX`;
//! settings come from `search-config/` and are applied only when they differ; every task
//! is awaited and a failed one is an error; filter values are quoted and escaped.

use std::collections::BTreeMap;
use std::time::Duration;

use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error as MeiliError, ErrorType};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::Settings;
use meilisearch_sdk::task_info::TaskInfo;
use serde_json::Value;

use crate::search::settings::{MatchingStrategy, raw_settings};
use crate::search::terms::{engine_text, query_terms, query_words, strategy_of};
use crate::search::{
    EngineHealth, Fetch, Filter, FilterValue, IndexKind, Order, SearchEngine, SearchError,
    SearchHits, SearchQuery, SearchResult, Submitted, Target, TermHits, TermWeights, TermsQuery,
};

const TASK_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct MeiliEngine {
    client: Client,
    prefix: String,
}

fn classify(e: MeiliError) -> SearchError {
    match &e {
        MeiliError::HttpError(_) | MeiliError::Timeout => SearchError::Unavailable(e.to_string()),
        MeiliError::MeilisearchCommunication(c) if c.status_code >= 500 || c.status_code == 429 => {
            SearchError::Unavailable(e.to_string())
        }
        MeiliError::Meilisearch(m) if m.error_type == ErrorType::Internal => {
            SearchError::Unavailable(e.to_string())
        }
        _ => SearchError::Internal(e.to_string()),
    }
}

/// `"..."` with backslashes and quotes escaped: a value can never end the string early.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn literal(v: &FilterValue) -> String {
    match v {
        FilterValue::Str(s) => quote(s),
        FilterValue::Int(i) => i.to_string(),
        FilterValue::Bool(b) => b.to_string(),
    }
}

/// Attribute names come from our code, not from users; refuse anything else anyway.
fn attribute(name: &str) -> Result<&str, SearchError> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        Ok(name)
    } else {
        Err(SearchError::Internal(format!(
            "bad attribute name {name:?}"
        )))
    }
}

/// How many documents a search found: exact with page-based pagination, else estimated.
fn total_of<T>(r: &meilisearch_sdk::search::SearchResults<T>) -> u64 {
    r.total_hits.or(r.estimated_total_hits).unwrap_or(0) as u64
}

fn strategy(s: MatchingStrategy) -> MatchingStrategies {
    match s {
        MatchingStrategy::All => MatchingStrategies::ALL,
        MatchingStrategy::Last => MatchingStrategies::LAST,
        MatchingStrategy::Frequency => MatchingStrategies::FREQUENCY,
    }
}

/// Typed filters to Meilisearch's filter expression, every part parenthesised.
pub fn filter_expression(filters: &[Filter]) -> Result<Option<String>, SearchError> {
    let mut parts = Vec::new();
    for f in filters {
        parts.push(match f {
            Filter::Eq(field, v) => format!("({} = {})", attribute(field)?, literal(v)),
            Filter::Ne(field, v) => format!("({} != {})", attribute(field)?, literal(v)),
            Filter::In(field, values) => {
                let list: Vec<String> = values.iter().map(literal).collect();
                format!("({} IN [{}])", attribute(field)?, list.join(", "))
            }
            Filter::Range { field, min, max } => {
                let field = attribute(field)?;
                match (min, max) {
                    (Some(a), Some(b)) => format!("({field} >= {a} AND {field} <= {b})"),
                    (Some(a), None) => format!("({field} >= {a})"),
                    (None, Some(b)) => format!("({field} <= {b})"),
                    (None, None) => format!("({field} EXISTS)"),
                }
            }
        });
    }
    Ok(if parts.is_empty() {
        None
    } else {
        Some(parts.join(" AND "))
    })
}

/// What one search asks of Meilisearch, decided before it is sent: the SDK's builder is
/// filled from it, and `loadgen --meili-url` posts [`SearchPlan::body`] (the same JSON)
/// straight to Meilisearch for the side-by-side figure of the benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    pub text: String,
    pub filter: Option<String>,
    pub sort: Vec<String>,
    pub facets: Vec<String>,
    pub page: usize,
    pub hits_per_page: usize,
    pub strategy: MatchingStrategy,
    pub retrieve: Vec<&'static str>,
}

impl SearchPlan {
    /// The plan of `query`; `None` when its words are all stop words, which the engine
    /// answers with nothing without asking Meilisearch.
    pub fn of(query: &SearchQuery) -> Result<Option<SearchPlan>, SearchError> {
        // The query's terms, stop words left out, as the embedded engine sees them.
        let text = engine_text(&query_terms(&query.q));
        if text.is_empty() && !query_words(&query.q).is_empty() {
            return Ok(None);
        }
        let mut sort = Vec::new();
        for (field, order) in &query.sort {
            let dir = if *order == Order::Asc { "asc" } else { "desc" };
            sort.push(format!("{}:{dir}", attribute(field)?));
        }
        let limit = query.limit.max(1);
        Ok(Some(SearchPlan {
            text,
            filter: filter_expression(&query.filters)?,
            sort,
            facets: query.facets.clone(),
            page: query.offset / limit + 1,
            hits_per_page: limit,
            strategy: strategy_of(query.matching),
            retrieve: match &query.fetch {
                Fetch::Documents => vec![],
                Fetch::Attributes(attrs) => attrs.iter().map(|(name, _)| *name).collect(),
            },
        }))
    }

    /// The borrowed lists the SDK's builder takes.
    fn refs(&self) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        (
            self.sort.iter().map(String::as_str).collect(),
            self.facets.iter().map(String::as_str).collect(),
            self.retrieve.clone(),
        )
    }

    /// Fills the SDK's search builder (lists from [`SearchPlan::refs`]).
    fn fill<'a>(
        &'a self,
        s: &mut meilisearch_sdk::search::SearchQuery<'a, meilisearch_sdk::DefaultHttpClient>,
        sort: &'a [&'a str],
        facets: &'a [&'a str],
        retrieve: &'a [&'a str],
    ) {
        s.with_query(&self.text)
            .with_page(self.page)
            .with_hits_per_page(self.hits_per_page)
            .with_matching_strategy(strategy(self.strategy));
        if let Some(f) = &self.filter {
            s.with_filter(f);
        }
        if !sort.is_empty() {
            s.with_sort(sort);
        }
        if !facets.is_empty() {
            s.with_facets(Selectors::Some(facets));
        }
        if !retrieve.is_empty() {
            s.with_attributes_to_retrieve(Selectors::Some(retrieve));
        }
    }

    /// The body of `POST /indexes/{uid}/search` the SDK sends for this plan.
    pub fn body(&self) -> Value {
        let mut body = serde_json::json!({
            "q": self.text,
            "page": self.page,
            "hitsPerPage": self.hits_per_page,
            "matchingStrategy": match self.strategy {
                MatchingStrategy::All => "all",
                MatchingStrategy::Last => "last",
                MatchingStrategy::Frequency => "frequency",
            },
        });
        if let Some(f) = &self.filter {
            body["filter"] = f.as_str().into();
        }
        if !self.sort.is_empty() {
            body["sort"] = self.sort.clone().into();
        }
        if !self.facets.is_empty() {
            body["facets"] = self.facets.clone().into();
        }
        if !self.retrieve.is_empty() {
            body["attributesToRetrieve"] = self.retrieve.clone().into();
        }
        body
    }
}

/// Settings compared as Meilisearch normalises them: attribute sets unordered, synonym
/// lists unordered; searchable attributes and ranking rules keep their order.
fn normalised(v: &Value, key: &str) -> Value {
    let sort = |a: &Value| {
        let mut items: Vec<Value> = a.as_array().cloned().unwrap_or_default();
        items.sort_by_key(|x| x.to_string());
        Value::Array(items)
    };
    match key {
        "filterableAttributes" | "sortableAttributes" | "stopWords" => sort(v),
        "synonyms" => match v.as_object() {
            Some(map) => Value::Object(map.iter().map(|(k, l)| (k.clone(), sort(l))).collect()),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

fn differs(desired: &Value, current: &Value) -> bool {
    let Some(want) = desired.as_object() else {
        return false;
    };
    want.iter().any(|(key, value)| {
        let have = current.get(key).cloned().unwrap_or(Value::Null);
        match (value, &have) {
            // Nested objects (typoTolerance, faceting, pagination): compare what we set.
            (Value::Object(w), Value::Object(_)) => w.iter().any(|(k, v)| {
                have.get(k)
                    .map(|h| normalised(h, k) != normalised(v, k))
                    .unwrap_or(true)
            }),
            _ => normalised(value, key) != normalised(&have, key),
        }
    })
}

impl MeiliEngine {
    pub fn new(url: &str, key: Option<&str>, prefix: &str) -> Result<MeiliEngine, SearchError> {
        let client = Client::new(url, key).map_err(classify)?;
        Ok(MeiliEngine {
            client,
            prefix: prefix.to_owned(),
        })
    }

    fn uid(&self, kind: IndexKind, staging: bool) -> String {
        match staging {
            false => format!("{}{}", self.prefix, kind.name()),
            true => format!("{}{}_staging", self.prefix, kind.name()),
        }
    }

    /// Drops this prefix's indexes (tests sharing one server clean up with it).
    pub async fn delete_indexes(&self) -> SearchResult<()> {
        for kind in IndexKind::ALL {
            for staging in [false, true] {
                if let Ok(index) = self.client.get_index(self.uid(kind, staging)).await {
                    self.wait(index.delete().await).await?;
                }
            }
        }
        Ok(())
    }

    fn target_uid(&self, t: &Target) -> String {
        self.uid(t.kind, t.staging)
    }

    async fn wait(&self, task: Result<TaskInfo, MeiliError>) -> SearchResult<()> {
        self.wait_for(task.map_err(classify)?).await
    }

    async fn wait_for(&self, task: TaskInfo) -> SearchResult<()> {
        let done = task
            .wait_for_completion(&self.client, None, Some(TASK_TIMEOUT))
            .await
            .map_err(classify)?;
        if done.is_failure() {
            let err = done.unwrap_failure();
            tracing::error!(error = %err, "Meilisearch task failed");
            return Err(SearchError::Internal(err.to_string()));
        }
        Ok(())
    }

    /// Applies `search-config/` when the index differs; `true` when it did.
    async fn apply_settings(&self, uid: &str, kind: IndexKind) -> SearchResult<bool> {
        let index = self.client.index(uid);
        let desired = raw_settings(kind);
        let current = index.get_settings().await.map_err(classify)?;
        let current =
            serde_json::to_value(&current).map_err(|e| SearchError::Internal(e.to_string()))?;
        if !differs(desired, &current) {
            return Ok(false);
        }
        tracing::info!(index = uid, "applying search-config settings");
        let settings: Settings = serde_json::from_value(desired.clone())
            .map_err(|e| SearchError::Internal(e.to_string()))?;
        self.wait(index.set_settings(&settings).await).await?;
        Ok(true)
    }

    /// Creates the index if missing; `true` if it was created.
    async fn ensure_index(&self, uid: &str) -> SearchResult<bool> {
        match self.client.get_index(uid).await {
            Ok(_) => Ok(false),
            Err(MeiliError::Meilisearch(e))
                if e.error_code == meilisearch_sdk::errors::ErrorCode::IndexNotFound =>
            {
                self.wait(self.client.create_index(uid, Some("id")).await)
                    .await?;
                Ok(true)
            }
            Err(e) => Err(classify(e)),
        }
    }
}

impl SearchEngine for MeiliEngine {
    async fn prepare(&self) -> SearchResult<Vec<IndexKind>> {
        let mut fresh = Vec::new();
        for kind in IndexKind::ALL {
            let uid = self.uid(kind, false);
            let created = self.ensure_index(&uid).await?;
            // New settings may come with new document attributes (a new filter, say):
            // the documents are rewritten from the database, as for a new index.
            if self.apply_settings(&uid, kind).await? || created {
                fresh.push(kind);
            }
        }
        Ok(fresh)
    }

    async fn upsert(&self, target: &Target, docs: Vec<Value>) -> SearchResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let index = self.client.index(self.target_uid(target));
        self.wait(index.add_or_replace(&docs, Some("id")).await)
            .await
    }

    async fn delete(&self, target: &Target, ids: Vec<i64>) -> SearchResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let index = self.client.index(self.target_uid(target));
        self.wait(index.delete_documents(&ids).await).await
    }

    /// Queues a task for the upserts and one for the deletes, without waiting for them.
    async fn submit(
        &self,
        target: &Target,
        docs: Vec<Value>,
        deletes: Vec<i64>,
    ) -> SearchResult<Submitted> {
        let index = self.client.index(self.target_uid(target));
        let mut tasks = Vec::new();
        if !docs.is_empty() {
            tasks.push(
                index
                    .add_or_replace(&docs, Some("id"))
                    .await
                    .map_err(classify)?,
            );
        }
        if !deletes.is_empty() {
            tasks.push(index.delete_documents(&deletes).await.map_err(classify)?);
        }
        Ok(Submitted { tasks })
    }

    /// Waits for the tasks in the order they were queued (the order Meilisearch applies
    /// them in).
    async fn settle(&self, submitted: Submitted) -> SearchResult<()> {
        for task in submitted.tasks {
            self.wait_for(task).await?;
        }
        Ok(())
    }

    async fn search(&self, kind: IndexKind, query: &SearchQuery) -> SearchResult<SearchHits> {
        let Some(plan) = SearchPlan::of(query)? else {
            return Ok(SearchHits {
                facets: query
                    .facets
                    .iter()
                    .map(|f| (f.clone(), Default::default()))
                    .collect(),
                ..Default::default()
            });
        };
        let index = self.client.index(self.uid(kind, false));
        let mut s = index.search();
        let (sort, facets, retrieve) = plan.refs();
        plan.fill(&mut s, &sort, &facets, &retrieve);
        let r = s.execute::<Value>().await.map_err(classify)?;
        let total = total_of(&r);
        let facets = r
            .facet_distribution
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.into_iter()
                        .map(|(a, n)| (a, n as u64))
                        .collect::<BTreeMap<_, _>>(),
                )
            })
            .collect();
        Ok(SearchHits {
            hits: r.hits.into_iter().map(|h| h.result).collect(),
            total,
            facets,
        })
    }

    /// One multi-search: the documents the filters pass, then each term's best
    /// `per_term` hits (Meilisearch ranks them; it has no cheap way to list every document
    /// of a term), each hit marked with the terms that found it.
    async fn match_terms(&self, kind: IndexKind, query: &TermsQuery) -> SearchResult<TermHits> {
        if query.terms.len() >= 64 {
            return Err(SearchError::Internal("at most 63 terms".into()));
        }
        let base = SearchQuery {
            filters: query.filters.clone(),
            limit: query.per_term,
            matching: Some(MatchingStrategy::All),
            fetch: Fetch::Attributes(query.fetch),
            ..Default::default()
        };
        let all = SearchPlan::of(&SearchQuery {
            limit: 1,
            ..base.clone()
        })?
        .ok_or_else(|| SearchError::Internal("a search without words has a plan".into()))?;
        let terms: Vec<Option<SearchPlan>> = query
            .terms
            .iter()
            .map(|(text, _)| {
                SearchPlan::of(&SearchQuery {
                    q: text.clone(),
                    ..base.clone()
                })
            })
            .collect::<Result<_, _>>()?;
        let asked: Vec<&SearchPlan> = std::iter::once(&all)
            .chain(terms.iter().flatten())
            .collect();
        let refs: Vec<_> = asked.iter().map(|p| p.refs()).collect();
        let index = self.client.index(self.uid(kind, false));
        let mut multi = self.client.multi_search();
        for (plan, (sort, facets, retrieve)) in asked.iter().zip(&refs) {
            let mut s = index.search();
            plan.fill(&mut s, sort, facets, retrieve);
            multi.with_search_query(s);
        }
        let mut results = multi
            .execute::<Value>()
            .await
            .map_err(classify)?
            .results
            .into_iter();
        let documents = results.next().map(|r| total_of(&r)).unwrap_or(0);
        let mut frequency = vec![0; terms.len()];
        let mut found: BTreeMap<i64, (Value, u64)> = BTreeMap::new();
        for (i, _) in terms.iter().enumerate().filter(|(_, p)| p.is_some()) {
            let Some(r) = results.next() else { break };
            frequency[i] = total_of(&r);
            for hit in r.hits {
                let Some(id) = hit.result["id"].as_i64() else {
                    continue;
                };
                found.entry(id).or_insert_with(|| (hit.result, 0)).1 |= 1 << i;
            }
        }
        let weights = TermWeights::new(query, &frequency, documents);
        let mut hits: Vec<(Value, u64)> = found.into_values().collect();
        // Heaviest first; ties by id, as the map gave them.
        hits.sort_by(|a, b| weights.of(b.1).total_cmp(&weights.of(a.1)));
        hits.truncate(query.limit);
        Ok(TermHits {
            documents,
            frequency,
            hits,
        })
    }

    async fn health(&self) -> EngineHealth {
        let mut documents = BTreeMap::new();
        if let Err(e) = self.client.health().await {
            return EngineHealth {
                engine: "meilisearch",
                available: false,
                documents,
                error: Some(e.to_string()),
            };
        }
        for kind in IndexKind::ALL {
            match self.client.index(self.uid(kind, false)).get_stats().await {
                Ok(stats) => {
                    documents.insert(kind.name().to_owned(), stats.number_of_documents as u64);
                }
                Err(e) => {
                    return EngineHealth {
                        engine: "meilisearch",
                        available: false,
                        documents,
                        error: Some(e.to_string()),
                    };
                }
            }
        }
        EngineHealth {
            engine: "meilisearch",
            available: true,
            documents,
            error: None,
        }
    }

    async fn create_staging(&self, kind: IndexKind) -> SearchResult<Target> {
        let uid = self.uid(kind, true);
        if !self.ensure_index(&uid).await? {
            self.wait(self.client.index(&uid).delete().await).await?;
            self.ensure_index(&uid).await?;
        }
        self.apply_settings(&uid, kind).await?;
        Ok(Target {
            kind,
            staging: true,
        })
    }

    async fn promote(&self, staging: &Target) -> SearchResult<()> {
        let live = self.uid(staging.kind, false);
        let staged = self.uid(staging.kind, true);
        self.ensure_index(&live).await?;
        let swap = SwapIndexes {
            indexes: (live, staged.clone()),
            rename: None,
        };
        self.wait(self.client.swap_indexes([&swap]).await).await?;
        self.wait(self.client.index(&staged).delete().await).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON `SearchPlan::body` gives is the JSON the SDK sends for the same plan, so
    /// a direct run of loadgen asks Meilisearch exactly what the server asks it.
    #[test]
    fn plan_body_is_what_the_sdk_sends() {
        let client = Client::new("http://127.0.0.1:9", Some("k")).unwrap();
        let index = client.index("tt_achievements");
        let full = SearchQuery {
            q: "储能 电池".into(),
            filters: vec![
                Filter::Eq("chain".into(), FilterValue::Str("energy".into())),
                Filter::Range {
                    field: "trl".into(),
                    min: Some(3),
                    max: None,
                },
            ],
            sort: vec![("price_fen".into(), Order::Asc)],
            offset: 20,
            limit: 20,
            facets: vec!["chain".into(), "region".into()],
            matching: Some(MatchingStrategy::Last),
            fetch: Fetch::Attributes(&[("id", crate::search::Shape::Int)]),
        };
        let bare = SearchQuery {
            limit: 10,
            ..Default::default()
        };
        for query in [full, bare] {
            let plan = SearchPlan::of(&query).unwrap().unwrap();
            let mut s = index.search();
            let (sort, facets, retrieve) = plan.refs();
            plan.fill(&mut s, &sort, &facets, &retrieve);
            assert_eq!(serde_json::to_value(&s).unwrap(), plan.body(), "{plan:?}");
        }
        let full_plan = SearchPlan::of(&SearchQuery {
            q: "储能".into(),
            offset: 20,
            limit: 20,
            ..Default::default()
        })
        .unwrap()
        .unwrap();
        assert_eq!(full_plan.page, 2);
        assert_eq!(full_plan.body()["q"], "储能");
    }

    #[test]
    fn filter_values_are_quoted_and_escaped() {
        let f = vec![
            Filter::Eq(
                "chain".into(),
                FilterValue::Str(r#"x" OR chain = "y"#.into()),
            ),
            Filter::In(
                "region".into(),
                vec![
                    FilterValue::Str("610100".into()),
                    FilterValue::Str(r"a\b".into()),
                ],
            ),
            Filter::Range {
                field: "trl".into(),
                min: Some(3),
                max: None,
            },
            Filter::Eq("key_project".into(), FilterValue::Bool(true)),
        ];
        assert_eq!(
            filter_expression(&f).unwrap().unwrap(),
            r#"(chain = "x\" OR chain = \"y") AND (region IN ["610100", "a\\b"]) AND (trl >= 3) AND (key_project = true)"#
        );
        assert!(filter_expression(&[Filter::Eq("a b".into(), FilterValue::Int(1))]).is_err());
    }

    #[test]
    fn settings_differ_only_on_real_changes() {
        let want = serde_json::json!({"filterableAttributes": ["a", "b"], "searchableAttributes": ["t", "s"],
            "typoTolerance": {"enabled": true}});
        let same = serde_json::json!({"filterableAttributes": ["b", "a"], "searchableAttributes": ["t", "s"],
            "typoTolerance": {"enabled": true, "disableOnNumbers": false}, "other": 1});
        assert!(!differs(&want, &same));
        let reordered = serde_json::json!({"filterableAttributes": ["a", "b"], "searchableAttributes": ["s", "t"],
            "typoTolerance": {"enabled": true}});
        assert!(differs(&want, &reordered));
    }
}
