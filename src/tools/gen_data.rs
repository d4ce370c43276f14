//! `gen-data`: synthetic orgs, published listings and contracts for benchmarks, written in
//! large multi-row batches inside a few transactions, with a progress bar.
//!
//! Listing text is realistic Chinese: keywords, summaries, descriptions and indicators of
//! the demo exchange (`seed/demo.json`) recombined per industry chain, so full-text search
//! and matching do real work and the load generator's queries ([`vocabulary()`]) hit.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::accounts::{OrgSpec, ensure_org, ensure_user};
use crate::accounts::model::{self, NewUser};
use crate::clock::{now, today};
use crate::contracts::rollups;
use crate::db::schema::{achievements, contracts, demands};
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::listings::Status;
use crate::search::{IndexKind, outbox};
use crate::taxonomy;

mod vocabulary;

use vocabulary::{ACHIEVEMENT_TITLES, DEMAND_TITLES, keywords_json, title, topic};
pub use vocabulary::{ChainText, Rng, vocabulary};

const BATCH: usize = 1_000;
/// Rows per transaction: big enough to be fast, small enough to show progress.
const PER_TX: usize = 50_000;

/// Synthetic sellers (universities and institutes) and buyers (enterprises).
const SELLERS: usize = 60;
const ORGS: usize = 140;
/// The user synthetic orgs are verified by (the first user).
const VERIFIER: i64 = 1;

const STAGES: [&str; 4] = ["lab", "bench", "pilot", "industrial"];
/// Contract kinds and sub-kinds, drawn uniformly.
const CONTRACT_KINDS: [(&str, Option<&str>); 6] = [
    ("development", Some("commissioned")),
    ("development", Some("cooperative")),
    ("transfer", Some("patent")),
    ("licensing", Some("ordinary")),
    ("consulting", None),
    ("service", Some("other")),
];

/// The named sizes of `gen-data --size`: (achievements, demands, contracts).
pub fn size(name: &str) -> Option<(u64, u64, u64)> {
    match name {
        "small" => Some((10_000, 5_000, 100_000)),
        "large" => Some((200_000, 50_000, 1_000_000)),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct GenReport {
    pub achievements: u64,
    pub demands: u64,
    pub contracts: u64,
}

fn bar(n: u64, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(n);
    b.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_prefix(what.to_owned());
    b
}

struct Seller {
    id: i64,
    region: String,
    kind: String,
}

struct Buyer {
    id: i64,
    region: String,
}

/// What every batch draws from: the parties, the generator user, the vocabularies and
/// one timestamp for every row.
struct Setting {
    sellers: Vec<Seller>,
    buyers: Vec<Buyer>,
    user: i64,
    chains: Vec<&'static str>,
    fields: Vec<&'static str>,
    at: NaiveDateTime,
    show: bool,
}

/// Orgs (60 sellers, 80 buyers) and one generator user, created once.
fn setup(conn: &mut AnyConnection) -> Result<(Vec<Seller>, Vec<Buyer>, i64), ApiError> {
    let regions: Vec<&str> = taxonomy::REGIONS.codes().collect();
    let (mut sellers, mut buyers) = (Vec::new(), Vec::new());
    let at = now();
    for i in 0..ORGS {
        let (kind, name) = match i {
            i if i >= SELLERS => ("enterprise", format!("合成数据企业{i:03}")),
            i if i % 4 == 0 => ("institute", format!("合成数据高校院所{i:03}")),
            i => ("university", format!("合成数据高校院所{i:03}")),
        };
        let region = regions[i % regions.len()];
        let spec = OrgSpec {
            name: &name,
            kind,
            region,
        };
        let (org, _) = ensure_org(conn, &spec, Some(VERIFIER), at)?;
        if i < SELLERS {
            let (id, region, kind) = (org.id, org.region, org.kind);
            sellers.push(Seller { id, region, kind });
        } else {
            let (id, region) = (org.id, org.region);
            buyers.push(Buyer { id, region });
        }
    }
    let user = NewUser {
        org_id: model::EXCHANGE_ORG_ID,
        email: "gen-data@generated.example.cn",
        name: "合成数据",
        role: "admin",
        password_hash: "!disabled",
        is_active: false,
        created_at: at,
        updated_at: at,
    };
    let (user, _) = ensure_user(conn, &user)?;
    Ok((sellers, buyers, user))
}

/// Calls `write(conn, n)` for batches of at most `BATCH` rows, `PER_TX` rows per
/// transaction, advancing the bar.
fn in_batches(
    db: &Db,
    total: u64,
    bar: &ProgressBar,
    mut write: impl FnMut(&mut AnyConnection, usize) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut left = total as usize;
    while left > 0 {
        let in_tx = left.min(PER_TX);
        db.write_blocking(|conn| {
            let mut done = 0;
            while done < in_tx {
                let n = (in_tx - done).min(BATCH);
                write(conn, n)?;
                done += n;
                bar.inc(n as u64);
            }
            Ok(())
        })?;
        left -= in_tx;
    }
    bar.finish();
    Ok(())
}

macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            AnyConnection::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c)?,
        }
    };
}

/// Writes `$n` rows of `$table` through [`in_batches`], each the value of `$row`
/// (evaluated once a row).
macro_rules! write_rows {
    ($db:expr, $n:expr, $bar:expr, $table:expr, $row:expr) => {
        in_batches($db, $n, $bar, |conn, n| {
            let rows: Vec<_> = (0..n).map(|_| $row).collect();
            insert_rows!(conn, $table, &rows);
            Ok(())
        })
    };
}

pub fn generate(
    db: &Db,
    n_achievements: u64,
    n_demands: u64,
    n_contracts: u64,
    show: bool,
) -> Result<GenReport, ApiError> {
    let (sellers, buyers, user) = db.write_blocking(setup)?;
    let setting = Setting {
        sellers,
        buyers,
        user,
        chains: taxonomy::CHAINS.codes().collect(),
        fields: taxonomy::FIELDS.codes().collect(),
        at: now(),
        show,
    };
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    write_achievements(db, &setting, &mut rng, n_achievements)?;
    write_demands(db, &setting, &mut rng, n_demands)?;
    let rollup = write_contracts(db, &setting, &mut rng, n_contracts)?;
    // The rollups were summed while generating: a few thousand upserts, not a rescan.
    db.write_blocking(|conn| rollup.write(conn))?;
    // New listings reach the index through the outbox, like every other change.
    if n_achievements > 0 || n_demands > 0 {
        db.write_blocking(|conn| {
            outbox::enqueue_all(conn, IndexKind::Achievements)?;
            outbox::enqueue_all(conn, IndexKind::Demands)?;
            Ok(())
        })?;
    }
    Ok(GenReport {
        achievements: n_achievements,
        demands: n_demands,
        contracts: n_contracts,
    })
}

/// `n` published achievements of the synthetic sellers.
fn write_achievements(db: &Db, s: &Setting, rng: &mut Rng, n: u64) -> Result<(), ApiError> {
    let (user, at) = (s.user, s.at);
    let b = bar(n, "achievements", s.show);
    write_rows!(db, n, &b, achievements::table, {
        let seller = &s.sellers[rng.below(s.sellers.len())];
        let (t, k) = topic(rng);
        let price = (rng.next_u64() % 5_000) as i64 * 100_000;
        let summary = &t.summaries[rng.below(t.summaries.len())];
        (
            achievements::org_id.eq(seller.id),
            achievements::created_by.eq(user),
            achievements::status.eq(Status::Published.as_str()),
            achievements::title.eq(title(rng, &ACHIEVEMENT_TITLES, t, &k)),
            achievements::summary.eq(format!("围绕{}，{summary}", k.join("、"))),
            achievements::details.eq(""),
            achievements::contact.eq(""),
            achievements::keywords.eq(keywords_json(&k)),
            achievements::chain.eq(t.chain),
            achievements::field.eq(rng.pick(&s.fields)),
            achievements::trl.eq((rng.below(9) + 1) as i32),
            achievements::stage.eq(rng.pick(&STAGES)),
            achievements::ip_items.eq("[]"),
            achievements::transfer_modes.eq("[\"licensing\"]"),
            achievements::price_min_fen.eq(Some(price)),
            achievements::price_max_fen.eq(Some(price * 2)),
            achievements::inventors.eq("[]"),
            achievements::region.eq(seller.region.clone()),
            achievements::published_at.eq(Some(at)),
            achievements::created_at.eq(at),
            achievements::updated_at.eq(at),
        )
    })
}

/// `n` published demands of the synthetic buyers, valid for a year.
fn write_demands(db: &Db, s: &Setting, rng: &mut Rng, n: u64) -> Result<(), ApiError> {
    let (user, at) = (s.user, s.at);
    let b = bar(n, "demands", s.show);
    let valid_until = today() + Duration::days(365);
    write_rows!(db, n, &b, demands::table, {
        let buyer = &s.buyers[rng.below(s.buyers.len())];
        let (t, k) = topic(rng);
        let description = &t.descriptions[rng.below(t.descriptions.len())];
        let indicators = &t.indicators[rng.below(t.indicators.len())];
        let budget = (rng.next_u64() % 3_000) as i64 * 100_000;
        (
            demands::org_id.eq(buyer.id),
            demands::created_by.eq(user),
            demands::status.eq(Status::Published.as_str()),
            demands::title.eq(title(rng, &DEMAND_TITLES, t, &k)),
            demands::description.eq(format!("需求涉及{}。{description}", k.join("、"))),
            demands::indicators.eq(indicators.clone()),
            demands::contact.eq(""),
            demands::keywords.eq(keywords_json(&k)),
            demands::chain.eq(t.chain),
            demands::field.eq(rng.pick(&s.fields)),
            demands::trl_min.eq((rng.below(9) + 1) as i32),
            demands::budget_min_fen.eq(Some(budget)),
            demands::budget_max_fen.eq(Some(budget * 3)),
            demands::cooperation_modes.eq("[\"co_development\"]"),
            demands::region.eq(buyer.region.clone()),
            demands::valid_until.eq(valid_until),
            demands::bottleneck.eq(rng.below(5) == 0),
            demands::published_at.eq(Some(at)),
            demands::created_at.eq(at),
            demands::updated_at.eq(at),
        )
    })
}

/// One historic contract, drawn before it becomes a row: confirmed by both parties,
/// most of them (8 in 10) registered.
struct Drawn<'s> {
    seller: &'s Seller,
    buyer: &'s Buyer,
    kind: &'static str,
    sub_kind: Option<&'static str>,
    signed: NaiveDate,
    amount: i64,
    tech: i64,
    registered: bool,
    chain: &'s str,
    field: &'s str,
}

impl Drawn<'_> {
    /// (registration status, stat status).
    fn statuses(&self) -> (&'static str, &'static str) {
        if self.registered {
            ("registered", "registered")
        } else {
            ("submitted", "confirmed")
        }
    }
}

/// Signing dates run from here to today.
fn first_signing_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
}

fn draw_contract<'s>(s: &'s Setting, rng: &mut Rng, days: u64) -> Drawn<'s> {
    let seller = &s.sellers[rng.below(s.sellers.len())];
    let buyer = &s.buyers[rng.below(s.buyers.len())];
    let (kind, sub_kind) = CONTRACT_KINDS[rng.below(CONTRACT_KINDS.len())];
    let signed = first_signing_day() + Duration::days((rng.next_u64() % days) as i64);
    let amount = (rng.next_u64() % 2_000_000) as i64 * 1_000;
    let registered = rng.below(10) < 8;
    Drawn {
        seller,
        buyer,
        kind,
        sub_kind,
        signed,
        amount,
        tech: amount / 10 * 8,
        registered,
        chain: rng.pick(&s.chains),
        field: rng.pick(&s.fields),
    }
}

/// `n` contracts between the synthetic parties, numbered after those already stored;
/// returns their turnover rollups.
fn write_contracts(db: &Db, s: &Setting, rng: &mut Rng, n: u64) -> Result<Rollup, ApiError> {
    let (user, at) = (s.user, s.at);
    let mut seq: i64 =
        db.write_blocking(|conn| Ok(contracts::table.count().get_result::<i64>(conn)?))?;
    let days = (today() - first_signing_day()).num_days().max(1) as u64;
    let mut rollup = Rollup::default();
    let b = bar(n, "contracts", s.show);
    write_rows!(db, n, &b, contracts::table, {
        seq += 1;
        let c = draw_contract(s, rng, days);
        rollup.add(&c);
        let (status, stat) = c.statuses();
        let (verified, verified_tech) = (
            c.registered.then_some(c.amount),
            c.registered.then_some(c.tech),
        );
        (
            (
                contracts::consent.eq("confirmed"),
                contracts::stat_status.eq(stat),
                contracts::stat_amount_fen.eq(c.amount),
                contracts::stat_tech_amount_fen.eq(c.tech),
                contracts::verified_amount_fen.eq(verified),
                contracts::verified_tech_amount_fen.eq(verified_tech),
            ),
            contracts::registration_no.eq(c.registered.then(|| format!("9{seq:015}"))),
            contracts::kind.eq(c.kind),
            contracts::sub_kind.eq(c.sub_kind),
            contracts::seller_org_id.eq(c.seller.id),
            contracts::buyer_org_id.eq(c.buyer.id),
            contracts::seller_region.eq(c.seller.region.clone()),
            contracts::buyer_region.eq(c.buyer.region.clone()),
            contracts::seller_kind.eq(c.seller.kind.clone()),
            contracts::signed_on.eq(c.signed),
            contracts::amount_fen.eq(c.amount),
            contracts::tech_amount_fen.eq(c.tech),
            contracts::total_amount_fen.eq(c.amount),
            contracts::total_tech_amount_fen.eq(c.tech),
            contracts::chain.eq(c.chain),
            contracts::field.eq(c.field),
            contracts::registration_status.eq(status),
            contracts::registered_on.eq(c.registered.then_some(c.signed)),
            contracts::created_by.eq(user),
            contracts::created_at.eq(at),
            contracts::updated_at.eq(at),
        )
    })?;
    Ok(rollup)
}

/// (basis, month, status, dim, value).
type RollupKey = (&'static str, String, &'static str, &'static str, String);

/// Turnover rollups of the generated contracts: (contracts, amount, tech amount) by key.
#[derive(Default)]
struct Rollup(HashMap<RollupKey, (i64, i64, i64)>);

impl Rollup {
    /// Counts `c` under every dimension, by signing date and, when registered, by
    /// registration date.
    fn add(&mut self, c: &Drawn<'_>) {
        let (_, stat) = c.statuses();
        let month = rollups::month(c.signed);
        let seller_key = c.seller.id.to_string();
        let dims = [
            ("", ""),
            ("seller_region", c.seller.region.as_str()),
            ("buyer_region", c.buyer.region.as_str()),
            ("chain", c.chain),
            ("field", c.field),
            ("kind", c.kind),
            ("seller_kind", c.seller.kind.as_str()),
            ("seller_org", seller_key.as_str()),
            // Generated contracts have no broker.
            ("broker", ""),
        ];
        let mut bases = vec![("signed", stat)];
        if c.registered {
            bases.push(("registered", "registered"));
        }
        for (basis, st) in bases {
            for (dim, value) in dims {
                let e = self
                    .0
                    .entry((basis, month.clone(), st, dim, value.to_owned()))
                    .or_insert((0, 0, 0));
                e.0 += 1;
                e.1 += c.amount;
                e.2 += c.tech;
            }
        }
    }

    fn write(&self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        for ((basis, month, status, dim, value), sums) in &self.0 {
            rollups::add_raw(conn, basis, month, status, dim, value, *sums)?;
        }
        Ok(())
    }
}
