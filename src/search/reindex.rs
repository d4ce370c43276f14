//! `reindex`: rebuilds each index from the database into a fresh staging index and swaps
//! it in whole, so searches never see a half-built index. Changes made while it runs are
//! caught up afterwards from the audit trail (every write is audited), through the outbox.

use std::collections::VecDeque;

use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use crate::clock::now;
use crate::db::Db;
use crate::db::schema::audit_log;
use crate::error::ApiError;
use crate::search::documents::{self, published_count, published_ids};
use crate::search::{Engine, IndexKind, SearchEngine, outbox};

/// Documents a batch, and batches handed to the engine before the oldest is waited for:
/// Meilisearch batches queued tasks together, so it indexes at its own pace.
const BATCH: i64 = 2_000;
const IN_FLIGHT: usize = 4;

#[derive(Debug, Default)]
pub struct ReindexReport {
    pub indexed: Vec<(IndexKind, usize)>,
    pub caught_up: usize,
}

fn progress_bar(total: u64, kind: IndexKind, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(kind.name());
    bar
}

pub async fn reindex(
    db: &Db,
    engine: &Engine,
    kinds: &[IndexKind],
    show_progress: bool,
) -> Result<ReindexReport, ApiError> {
    let started = now();
    engine.prepare().await?;
    let mut report = ReindexReport::default();
    for &kind in kinds {
        let total = db
            .read(move |conn| Ok(published_count(conn, kind)?))
            .await?;
        let bar = progress_bar(u64::try_from(total).unwrap_or(0), kind, show_progress);
        let staging = engine.create_staging(kind).await?;
        let mut after = 0;
        let mut indexed = 0;
        let mut in_flight = VecDeque::new();
        loop {
            let batch = db
                .read(move |conn| {
                    let ids = published_ids(conn, kind, after, BATCH)?;
                    let docs = documents::build(conn, kind, &ids)?;
                    Ok((ids.last().copied(), docs))
                })
                .await?;
            let (Some(last), docs) = batch else { break };
            indexed += docs.upserts.len();
            bar.inc(docs.upserts.len() as u64);
            in_flight.push_back(engine.submit(&staging, docs.upserts, vec![]).await?);
            if in_flight.len() >= IN_FLIGHT
                && let Some(oldest) = in_flight.pop_front()
            {
                engine.settle(oldest).await?;
            }
            after = last;
        }
        for submitted in in_flight {
            engine.settle(submitted).await?;
        }
        engine.promote(&staging).await?;
        bar.finish();
        report.indexed.push((kind, indexed));
    }
    // Whatever changed while we copied goes through the outbox once more.
    let names: Vec<&'static str> = kinds
        .iter()
        .map(|k| match k {
            IndexKind::Achievements => "achievement",
            IndexKind::Demands => "demand",
        })
        .collect();
    report.caught_up = db
        .write(move |conn| {
            let changed: Vec<(String, Option<i64>)> = audit_log::table
                .filter(audit_log::created_at.ge(started))
                .filter(audit_log::entity.eq_any(&names))
                .select((audit_log::entity, audit_log::entity_id))
                .distinct()
                .load(conn)?;
            let mut n = 0;
            for (entity, id) in changed {
                let (Some(id), Some(kind)) = (id, IndexKind::parse(&format!("{entity}s"))) else {
                    continue;
                };
                outbox::enqueue(conn, kind, &[id])?;
                n += 1;
            }
            Ok(n)
        })
        .await?;
    Ok(report)
}
