//! Rendered turnover answers, kept per statistics version so a repeated question is
//! answered from memory without a database query or a hop to the blocking pool.
//!
//! **Exact on one server.** An answer is stored with the version ([`Tag`]) of the snapshot
//! it was computed in and served only while that is the version this process has seen
//! ([`crate::db::version`]). The version row is bumped by triggers in the same transaction
//! as any change of what a turnover answer shows (rollups, contracts, org and user names),
//! and every write of this process reads it right after its commit, before its request is
//! answered. So once a write has been answered, no later request on the same server gets
//! an answer from before it, whatever the write path (requests, background workers, CLI
//! commands of this process).
//!
//! **Across servers** (several servers on one PostgreSQL, or a CLI process on the same
//! SQLite file), a server learns of another process's commit when its poller reads the
//! version (every `stats_cache_poll_ms`, 100 ms by default) or when one of its own
//! statistics queries or writes reads it. Until then, for at most one poll interval plus
//! the poll's own query, it may serve the answer from before that commit: the same answer
//! a request that arrived just before the commit would have had. Nothing staler than that.
//!
//! **What is cached**: JSON, CSV and SVG answers, keyed by the parsed query (grouping, in
//! order, period, basis, unregistered, comparisons), the format and the language; never
//! errors, and never XLSX (its notes sheet carries the time of export). Who asks does not
//! change the answer (statisticians and admins see the same figures), so it is not in the
//! key. The memory is bounded: at most `stats_cache_max_bytes` of answers, least recently
//! used dropped first, and no single answer over a quarter of it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use crate::db::Db;
use crate::db::version::Tag;
use crate::error::i18n;
use crate::search::outbox::Shutdown;
use crate::stats::query::{Format, TurnoverQuery};

/// An answer as sent: its content type, download name (CSV) and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub content_type: &'static str,
    pub attachment: Option<&'static str>,
    pub body: Bytes,
}

impl Answer {
    pub fn response(&self) -> HttpResponse {
        let mut r = HttpResponse::Ok();
        r.content_type(self.content_type);
        if let Some(file) = self.attachment {
            r.insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{file}\""),
            ));
        }
        r.body(self.body.clone())
    }
}

struct Entry {
    tag: Tag,
    answer: Answer,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
}

/// The cache of one server (shared by its workers).
pub struct AnswerCache {
    enabled: bool,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

impl AnswerCache {
    pub fn new(enabled: bool, max_bytes: usize) -> AnswerCache {
        AnswerCache {
            enabled,
            max_bytes,
            inner: Mutex::default(),
        }
    }

    /// The key of `q` in `format` in the request's language; `None` when it is not cached.
    pub fn key(&self, format: Format, q: &TurnoverQuery) -> Option<String> {
        let cached = self.enabled && format != Format::Xlsx;
        // Debug prints every field of the parsed query, the grouping in its order.
        cached.then(|| format!("{format:?}|{:?}|{q:?}", i18n::current()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer stored under `key` if it was computed at `now`.
    pub fn get(&self, key: &str, now: Tag) -> Option<Answer> {
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        let e = inner.map.get_mut(key).filter(|e| e.tag == now)?;
        e.last_used = clock;
        Some(e.answer.clone())
    }

    /// Stores `answer`, computed at `tag`, unless it is too large; drops answers of other
    /// versions than `now` first, then the least recently used, to stay within the bound.
    pub fn put(&self, key: String, tag: Tag, now: Tag, answer: Answer) {
        let size = answer.body.len() + key.len();
        if size > self.max_bytes / 4 {
            return;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let last_used = inner.clock;
        if let Some(old) = inner.map.remove(&key) {
            inner.bytes -= old.answer.body.len() + key.len();
        }
        if inner.bytes + size > self.max_bytes {
            inner.map.retain(|_, e| e.tag == now);
            inner.bytes = inner
                .map
                .iter()
                .map(|(k, e)| k.len() + e.answer.body.len())
                .sum();
        }
        while inner.bytes + size > self.max_bytes {
            let Some(oldest) = inner
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.bytes -= oldest.len() + e.answer.body.len();
            }
        }
        inner.bytes += size;
        inner.map.insert(
            key,
            Entry {
                tag,
                answer,
                last_used,
            },
        );
    }

    /// How many answers are kept (for tests).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads the statistics version every `every` until shutdown, so answers cached before
/// another process's commit stop being served within that interval.
pub async fn run(db: Db, every: Duration, shutdown: Shutdown) {
    while !shutdown.stopped() {
        actix_web::rt::time::sleep(every).await;
        let watch = db.clone();
        let read = db
            .read(move |conn| Ok(watch.version().refresh(conn)?))
            .await;
        if let Err(e) = read {
            tracing::debug!(error = ?e, "cannot poll the statistics version");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: usize) -> Answer {
        Answer {
            content_type: "application/json",
            attachment: None,
            body: Bytes::from(vec![b'x'; n]),
        }
    }

    #[test]
    fn an_answer_is_served_only_at_its_own_version() {
        let c = AnswerCache::new(true, 10_000);
        c.put("k".into(), (3, 0), (3, 0), answer(10));
        assert_eq!(c.get("k", (3, 0)), Some(answer(10)));
        assert_eq!(c.get("k", (4, 0)), None, "a newer version");
        assert_eq!(c.get("k", (3, 1)), None, "a forgotten epoch");
        assert_eq!(c.get("other", (3, 0)), None);
    }

    #[test]
    fn the_bound_drops_other_versions_then_the_least_recently_used() {
        let c = AnswerCache::new(true, 1_000);
        c.put("old".into(), (1, 0), (1, 0), answer(200));
        c.put("a".into(), (2, 0), (2, 0), answer(200));
        c.put("b".into(), (2, 0), (2, 0), answer(200));
        c.put("c".into(), (2, 0), (2, 0), answer(200));
        assert!(c.get("a", (2, 0)).is_some(), "a used: b is now the oldest");
        c.put("d".into(), (2, 0), (2, 0), answer(200));
        assert!(c.get("old", (1, 0)).is_none(), "another version went first");
        c.put("e".into(), (2, 0), (2, 0), answer(200));
        assert!(c.get("b", (2, 0)).is_none(), "then the least recently used");
        for k in ["a", "c", "d", "e"] {
            assert!(c.get(k, (2, 0)).is_some(), "{k}");
        }
        c.put("huge".into(), (2, 0), (2, 0), answer(300));
        assert!(
            c.get("huge", (2, 0)).is_none(),
            "over a quarter of the bound"
        );
        assert_eq!(c.lock().bytes, 4 * 201);
    }

    #[test]
    fn xlsx_and_a_disabled_cache_have_no_key() {
        let q = TurnoverQuery {
            group_by: vec![],
            from: None,
            to: None,
            basis: crate::stats::Basis::Signed,
            include_unregistered: false,
            compare: vec![],
        };
        let on = AnswerCache::new(true, 1_000);
        assert!(on.key(Format::Json, &q).is_some());
        assert_ne!(on.key(Format::Json, &q), on.key(Format::Csv, &q));
        assert!(on.key(Format::Xlsx, &q).is_none());
        assert!(
            AnswerCache::new(false, 1_000)
                .key(Format::Json, &q)
                .is_none()
        );
    }
}
