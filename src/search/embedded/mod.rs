//! The embedded engine: tantivy with a jieba Chinese tokenizer, one index per kind under
//! `TT_DATA_DIR/index/<kind>/<generation>`, with its schema derived from `search-config/`:
//! searchable attributes become jieba-tokenized text fields boosted by their rank;
//! filterable and sortable attributes become a raw keyword field (strings, booleans) and an
//! i64 fast field (numbers). The JSON document is stored whole and returned as indexed.
//!
//! Query semantics follow Meilisearch's matching strategies ([`strategy`]), terms and
//! synonyms as in [`query`]. This file is
//! the engine's face: which generation of each kind is live or staged, and the
//! [`SearchEngine`] calls, each moved onto a blocking thread. [`schema`] maps settings to
//! fields, [`shard`] is one open generation, [`hits`] turns matches into a page and facets,
//! [`candidates`] is matching's one-pass candidate stage.

mod candidates;
mod columns;
mod hits;
mod query;
mod schema;
mod shard;
mod strategy;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;

use self::schema::fingerprint;
use self::shard::Shard;
use crate::search::{
    EngineHealth, IndexKind, SearchEngine, SearchError, SearchHits, SearchQuery, SearchResult,
    Submitted, Target, TermHits, TermsQuery,
};

fn internal(e: impl std::fmt::Display) -> SearchError {
    SearchError::Internal(e.to_string())
}

/// Both kinds' live shards, and staging shards during a rebuild.
pub struct EmbeddedEngine {
    root: PathBuf,
    live: RwLock<HashMap<IndexKind, Arc<Shard>>>,
    staging: Mutex<HashMap<IndexKind, Arc<Shard>>>,
}

fn current_file(root: &Path, kind: IndexKind) -> PathBuf {
    root.join(kind.name()).join("CURRENT")
}

fn new_generation(root: &Path, kind: IndexKind) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%6f");
    root.join(kind.name()).join(format!("gen-{stamp}"))
}

impl EmbeddedEngine {
    /// Opens (or creates) the indexes under `root` (`TT_DATA_DIR/index`).
    pub fn open(root: &Path) -> SearchResult<EmbeddedEngine> {
        std::fs::create_dir_all(root).map_err(internal)?;
        Ok(EmbeddedEngine {
            root: root.to_owned(),
            live: RwLock::new(HashMap::new()),
            staging: Mutex::new(HashMap::new()),
        })
    }

    fn shard(&self, target: &Target) -> SearchResult<Arc<Shard>> {
        let found = if target.staging {
            self.staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .get(&target.kind)
                .cloned()
        } else {
            self.live
                .read()
                .map_err(|_| internal("poisoned"))?
                .get(&target.kind)
                .cloned()
        };
        found.ok_or_else(|| {
            SearchError::Unavailable(format!("index {} is not open", target.kind.name()))
        })
    }

    /// Opens the live generation, or a new empty one if there is none or its settings
    /// changed. `true` when the index is new and must be filled from the database.
    fn open_live(&self, kind: IndexKind) -> SearchResult<bool> {
        let current = std::fs::read_to_string(current_file(&self.root, kind)).ok();
        let existing = current
            .map(|name| self.root.join(kind.name()).join(name.trim()))
            .filter(|dir| {
                std::fs::read_to_string(dir.join("settings.fingerprint"))
                    .ok()
                    .as_deref()
                    == Some(fingerprint(kind).as_str())
            });
        let (dir, fresh) = match existing {
            Some(dir) => (dir, false),
            None => (new_generation(&self.root, kind), true),
        };
        let already_open = self
            .live
            .read()
            .map_err(|_| internal("poisoned"))?
            .get(&kind)
            .is_some_and(|s| s.dir == dir);
        if already_open {
            return Ok(false);
        }
        let shard = Arc::new(Shard::open(&dir, kind)?);
        self.make_current(kind, &dir)?;
        let old = self
            .live
            .write()
            .map_err(|_| internal("poisoned"))?
            .insert(kind, shard);
        if let Some(old) = old.filter(|o| o.dir != dir) {
            let _ = std::fs::remove_dir_all(&old.dir);
        }
        Ok(fresh)
    }

    fn make_current(&self, kind: IndexKind, dir: &Path) -> SearchResult<()> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| internal("bad index dir"))?;
        let file = current_file(&self.root, kind);
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, name).map_err(internal)?;
        std::fs::rename(&tmp, &file).map_err(internal)
    }

    fn remove_stale_generations(&self, kind: IndexKind, keep: &Path) {
        if let Ok(entries) = std::fs::read_dir(self.root.join(kind.name())) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() && p != keep {
                    let _ = std::fs::remove_dir_all(&p);
                }
            }
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> SearchResult<T> + Send + 'static,
) -> SearchResult<T> {
    actix_web::rt::task::spawn_blocking(f)
        .await
        .map_err(internal)?
}

impl SearchEngine for Arc<EmbeddedEngine> {
    async fn prepare(&self) -> SearchResult<Vec<IndexKind>> {
        let this = self.clone();
        blocking(move || {
            let mut fresh = Vec::new();
            for kind in IndexKind::ALL {
                if this.open_live(kind)? {
                    fresh.push(kind);
                }
                let keep = this.shard(&Target::live(kind))?.dir.clone();
                this.remove_stale_generations(kind, &keep);
            }
            Ok(fresh)
        })
        .await
    }

    async fn upsert(&self, target: &Target, docs: Vec<Value>) -> SearchResult<()> {
        let shard = self.shard(target)?;
        blocking(move || shard.write(&docs, &[])).await
    }

    async fn delete(&self, target: &Target, ids: Vec<i64>) -> SearchResult<()> {
        let shard = self.shard(target)?;
        blocking(move || shard.write(&[], &ids)).await
    }

    /// One commit for the whole batch, applied before it returns.
    async fn submit(
        &self,
        target: &Target,
        docs: Vec<Value>,
        deletes: Vec<i64>,
    ) -> SearchResult<Submitted> {
        let shard = self.shard(target)?;
        blocking(move || shard.write(&docs, &deletes)).await?;
        Ok(Submitted::default())
    }

    async fn settle(&self, _: Submitted) -> SearchResult<()> {
        Ok(())
    }

    async fn search(&self, kind: IndexKind, query: &SearchQuery) -> SearchResult<SearchHits> {
        let shard = self.shard(&Target::live(kind))?;
        let query = query.clone();
        blocking(move || shard.search(&query)).await
    }

    async fn match_terms(&self, kind: IndexKind, query: &TermsQuery) -> SearchResult<TermHits> {
        let shard = self.shard(&Target::live(kind))?;
        let query = query.clone();
        blocking(move || shard.match_terms(&query)).await
    }

    async fn health(&self) -> EngineHealth {
        let mut documents = BTreeMap::new();
        let mut error = None;
        for kind in IndexKind::ALL {
            match self.shard(&Target::live(kind)) {
                Ok(s) => {
                    documents.insert(kind.name().to_owned(), s.count());
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        EngineHealth {
            engine: "embedded",
            available: error.is_none(),
            documents,
            error,
        }
    }

    async fn create_staging(&self, kind: IndexKind) -> SearchResult<Target> {
        let this = self.clone();
        blocking(move || {
            let dir = new_generation(&this.root, kind);
            let shard = Arc::new(Shard::open(&dir, kind)?);
            let old = this
                .staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .insert(kind, shard);
            if let Some(old) = old {
                let _ = std::fs::remove_dir_all(&old.dir);
            }
            Ok(Target {
                kind,
                staging: true,
            })
        })
        .await
    }

    async fn promote(&self, staging: &Target) -> SearchResult<()> {
        let this = self.clone();
        let kind = staging.kind;
        blocking(move || {
            let shard = this
                .staging
                .lock()
                .map_err(|_| internal("poisoned"))?
                .remove(&kind)
                .ok_or_else(|| internal("no staging index"))?;
            this.make_current(kind, &shard.dir)?;
            let keep = shard.dir.clone();
            this.live
                .write()
                .map_err(|_| internal("poisoned"))?
                .insert(kind, shard);
            this.remove_stale_generations(kind, &keep);
            Ok(())
        })
        .await
    }
}
