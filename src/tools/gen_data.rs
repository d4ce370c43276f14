//! `gen-data`: synthetic orgs, published listings and contracts for benchmarks, written in
//! large multi-row batches inside a few transactions, with a progress bar.
//!
//! Listing text is realistic Chinese: keywords, summaries, descriptions and indicators of
//! the demo exchange (`seed/demo.json`) recombined per industry chain, so full-text search
//! and matching do real work and the load generator's queries ([`vocabulary`]) hit.

use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::accounts::model::{self, NewOrg, NewUser, now, org_name_key};
use crate::db::schema::{achievements, contracts, demands};
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::search::{IndexKind, outbox};
use crate::taxonomy;

const BATCH: usize = 1_000;
/// Rows per transaction: big enough to be fast, small enough to show progress.
const PER_TX: usize = 50_000;

/// The named sizes of `gen-data --size`: (achievements, demands, contracts).
pub fn size(name: &str) -> Option<(u64, u64, u64)> {
    match name {
        "small" => Some((10_000, 5_000, 100_000)),
        "large" => Some((200_000, 50_000, 1_000_000)),
        _ => None,
    }
}

/// A small deterministic generator (xorshift), so runs are repeatable.
pub struct Rng(u64);

impl Rng {
    /// Any seed; zero is replaced, since xorshift would stay at zero.
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `0..n`; `n` must not be zero.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    /// `k` distinct items (fewer if there are fewer).
    pub fn sample<'a>(&mut self, items: &'a [String], k: usize) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::with_capacity(k);
        let mut tries = 0;
        while out.len() < k.min(items.len()) && tries < 4 * k + 8 {
            let s = items[self.below(items.len())].as_str();
            if !out.contains(&s) {
                out.push(s);
            }
            tries += 1;
        }
        out
    }
}

use super::DEMO_JSON as DEMO;

/// The words and texts of one industry chain, drawn from the demo exchange.
#[derive(Debug)]
pub struct ChainText {
    pub chain: &'static str,
    pub zh: &'static str,
    /// Keywords of the chain's demo achievements and demands (what users search for).
    pub keywords: Vec<String>,
    pub summaries: Vec<String>,
    pub descriptions: Vec<String>,
    pub indicators: Vec<String>,
}

static VOCABULARY: LazyLock<Vec<ChainText>> = LazyLock::new(|| {
    let demo: Value = serde_json::from_str(DEMO).unwrap_or(Value::Null);
    let list = |name: &str| demo[name].as_array().cloned().unwrap_or_default();
    let (achievements, demands) = (list("achievements"), list("demands"));
    let texts = |items: &[Value], chain: &str, field: &str| -> Vec<String> {
        items
            .iter()
            .filter(|i| i["chain"] == chain)
            .filter_map(|i| i[field].as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    taxonomy::CHAINS
        .terms
        .iter()
        .map(|t| {
            let mut keywords: Vec<String> = achievements
                .iter()
                .chain(&demands)
                .filter(|i| i["chain"] == t.code)
                .flat_map(|i| i["keywords"].as_array().cloned().unwrap_or_default())
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            keywords.sort();
            keywords.dedup();
            if keywords.is_empty() {
                keywords.push(t.zh.to_owned());
            }
            let or_default = |v: Vec<String>, d: &str| {
                if v.is_empty() { vec![d.to_owned()] } else { v }
            };
            ChainText {
                chain: t.code,
                zh: t.zh,
                keywords,
                summaries: or_default(
                    texts(&achievements, t.code, "summary"),
                    "面向产业需求的关键技术成果。",
                ),
                descriptions: or_default(
                    texts(&demands, t.code, "description"),
                    "企业生产中遇到的关键技术难题，寻求合作解决。",
                ),
                indicators: or_default(texts(&demands, t.code, "indicators"), ""),
            }
        })
        .collect()
});

/// Per industry chain, in taxonomy order: the vocabulary synthetic listings are written
/// from. The load generator draws its search queries from the same words.
pub fn vocabulary() -> &'static [ChainText] {
    &VOCABULARY
}

fn achievement_title(rng: &mut Rng, t: &ChainText, k: &[&str]) -> String {
    let (a, b) = (k[0], k.get(1).copied().unwrap_or(t.zh));
    match rng.below(6) {
        0 => format!("基于{a}的{b}关键技术"),
        1 => format!("{a}与{b}集成技术及应用"),
        2 => format!("面向{}的{a}技术", t.zh),
        3 => format!("高可靠{a}及{b}方法"),
        4 => format!("{a}{b}一体化解决方案"),
        _ => format!("{a}关键工艺与装备研制"),
    }
}

fn demand_title(rng: &mut Rng, t: &ChainText, k: &[&str]) -> String {
    let (a, b) = (k[0], k.get(1).copied().unwrap_or(t.zh));
    match rng.below(5) {
        0 => format!("{a}技术攻关需求"),
        1 => format!("寻求{a}与{b}解决方案"),
        2 => format!("{}企业{a}难题求解", t.zh),
        3 => format!("{a}国产化替代需求"),
        _ => format!("{a}性能提升与{b}优化"),
    }
}

fn keywords_json(k: &[&str]) -> String {
    serde_json::to_string(k).unwrap_or_else(|_| "[]".into())
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

/// Sellers (id, region, kind), buyers (id, region) and the generator user.
type Parties = (Vec<(i64, String, String)>, Vec<(i64, String)>, i64);

/// Orgs (60 sellers, 80 buyers) and one generator user, created once.
fn setup(conn: &mut AnyConnection) -> Result<Parties, ApiError> {
    let regions: Vec<&str> = taxonomy::REGIONS.codes().collect();
    let mut sellers = Vec::new();
    let mut buyers = Vec::new();
    let at = now();
    for i in 0..140 {
        let (kind, name) = if i < 60 {
            (
                if i % 4 == 0 {
                    "institute"
                } else {
                    "university"
                },
                format!("合成数据高校院所{i:03}"),
            )
        } else {
            ("enterprise", format!("合成数据企业{i:03}"))
        };
        let region = regions[i % regions.len()];
        let key = org_name_key(&name);
        let org = match model::find_org_by_key(conn, &key)? {
            Some(o) => o,
            None => {
                let o = model::insert_org(
                    conn,
                    &NewOrg {
                        name: &name,
                        name_key: &key,
                        kind,
                        region,
                        is_exchange: false,
                        created_at: at,
                        updated_at: at,
                    },
                )?;
                model::mark_org_verified(conn, o.id, o.id.min(1), at)?;
                o
            }
        };
        if i < 60 {
            sellers.push((org.id, org.region.clone(), org.kind.clone()));
        } else {
            buyers.push((org.id, org.region.clone()));
        }
    }
    let email = "gen-data@generated.example.cn";
    let user = match model::find_user_by_email(conn, email)? {
        Some(u) => u.id,
        None => {
            model::insert_user(
                conn,
                &NewUser {
                    org_id: model::EXCHANGE_ORG_ID,
                    email,
                    name: "合成数据",
                    role: "admin",
                    password_hash: "!disabled",
                    is_active: false,
                    created_at: at,
                    updated_at: at,
                },
            )?
            .id
        }
    };
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

pub fn generate(
    db: &Db,
    n_achievements: u64,
    n_demands: u64,
    n_contracts: u64,
    show: bool,
) -> Result<GenReport, ApiError> {
    let (sellers, buyers, user) = db.write_blocking(setup)?;
    let vocab = vocabulary();
    let chains: Vec<&str> = taxonomy::CHAINS.codes().collect();
    let fields: Vec<&str> = taxonomy::FIELDS.codes().collect();
    let stages = ["lab", "bench", "pilot", "industrial"];
    let kinds = [
        ("development", Some("commissioned")),
        ("development", Some("cooperative")),
        ("transfer", Some("patent")),
        ("licensing", Some("ordinary")),
        ("consulting", None),
        ("service", Some("other")),
    ];
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut report = GenReport::default();
    let at = now();

    let b = bar(n_achievements, "achievements", show);
    in_batches(db, n_achievements, &b, |conn, n| {
        let rows: Vec<_> = (0..n)
            .map(|_| {
                let (org, region, _) = &sellers[rng.below(sellers.len())];
                let t = &vocab[rng.below(vocab.len())];
                let n = 3 + rng.below(3);
                let k = rng.sample(&t.keywords, n);
                let price = (rng.next_u64() % 5_000) as i64 * 100_000;
                let summary = &t.summaries[rng.below(t.summaries.len())];
                (
                    achievements::org_id.eq(*org),
                    achievements::created_by.eq(user),
                    achievements::status.eq("published"),
                    achievements::title.eq(achievement_title(&mut rng, t, &k)),
                    achievements::summary.eq(format!("围绕{}，{summary}", k.join("、"))),
                    achievements::details.eq(""),
                    achievements::contact.eq(""),
                    achievements::keywords.eq(keywords_json(&k)),
                    achievements::chain.eq(t.chain),
                    achievements::field.eq(rng.pick(&fields)),
                    achievements::trl.eq((rng.below(9) + 1) as i32),
                    achievements::stage.eq(rng.pick(&stages)),
                    achievements::ip_items.eq("[]"),
                    achievements::transfer_modes.eq("[\"licensing\"]"),
                    achievements::price_min_fen.eq(Some(price)),
                    achievements::price_max_fen.eq(Some(price * 2)),
                    achievements::inventors.eq("[]"),
                    achievements::region.eq(region.clone()),
                    achievements::published_at.eq(Some(at)),
                    achievements::created_at.eq(at),
                    achievements::updated_at.eq(at),
                )
            })
            .collect();
        insert_rows!(conn, achievements::table, &rows);
        Ok(())
    })?;
    report.achievements = n_achievements;

    let b = bar(n_demands, "demands", show);
    let valid_until = crate::listings::fields::today() + Duration::days(365);
    in_batches(db, n_demands, &b, |conn, n| {
        let rows: Vec<_> = (0..n)
            .map(|_| {
                let (org, region) = &buyers[rng.below(buyers.len())];
                let t = &vocab[rng.below(vocab.len())];
                let n = 3 + rng.below(3);
                let k = rng.sample(&t.keywords, n);
                let description = &t.descriptions[rng.below(t.descriptions.len())];
                let indicators = &t.indicators[rng.below(t.indicators.len())];
                let budget = (rng.next_u64() % 3_000) as i64 * 100_000;
                (
                    demands::org_id.eq(*org),
                    demands::created_by.eq(user),
                    demands::status.eq("published"),
                    demands::title.eq(demand_title(&mut rng, t, &k)),
                    demands::description.eq(format!("需求涉及{}。{description}", k.join("、"))),
                    demands::indicators.eq(indicators.clone()),
                    demands::contact.eq(""),
                    demands::keywords.eq(keywords_json(&k)),
                    demands::chain.eq(t.chain),
                    demands::field.eq(rng.pick(&fields)),
                    demands::trl_min.eq((rng.below(9) + 1) as i32),
                    demands::budget_min_fen.eq(Some(budget)),
                    demands::budget_max_fen.eq(Some(budget * 3)),
                    demands::cooperation_modes.eq("[\"co_development\"]"),
                    demands::region.eq(region.clone()),
                    demands::valid_until.eq(valid_until),
                    demands::bottleneck.eq(rng.below(5) == 0),
                    demands::published_at.eq(Some(at)),
                    demands::created_at.eq(at),
                    demands::updated_at.eq(at),
                )
            })
            .collect();
        insert_rows!(conn, demands::table, &rows);
        Ok(())
    })?;
    report.demands = n_demands;

    let base: i64 =
        db.write_blocking(|conn| Ok(contracts::table.count().get_result::<i64>(conn)?))?;
    let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
    let days = (crate::listings::fields::today() - start).num_days().max(1) as u64;
    type RollupKey = (&'static str, String, &'static str, &'static str, String);
    let mut rollup: std::collections::HashMap<RollupKey, (i64, i64, i64)> = Default::default();
    let b = bar(n_contracts, "contracts", show);
    let mut seq = base;
    in_batches(db, n_contracts, &b, |conn, n| {
        let rows: Vec<_> = (0..n)
            .map(|_| {
                seq += 1;
                let (seller, s_region, s_kind) = &sellers[rng.below(sellers.len())];
                let (buyer, b_region) = &buyers[rng.below(buyers.len())];
                let (kind, sub) = kinds[rng.below(kinds.len())];
                let signed = start + Duration::days((rng.next_u64() % days) as i64);
                let amount = (rng.next_u64() % 2_000_000) as i64 * 1_000;
                let registered = rng.below(10) < 8;
                // Historic contracts: confirmed by both parties, most of them registered.
                let (status, stat) = if registered {
                    ("registered", "registered")
                } else {
                    ("submitted", "confirmed")
                };
                let chain = rng.pick(&chains);
                let field = rng.pick(&fields);
                let tech = amount / 10 * 8;
                let month = crate::contracts::rollups::month(signed);
                let seller_key = seller.to_string();
                let dims = [
                    ("", ""),
                    ("seller_region", s_region.as_str()),
                    ("buyer_region", b_region.as_str()),
                    ("chain", chain),
                    ("field", field),
                    ("kind", kind),
                    ("seller_kind", s_kind.as_str()),
                    ("seller_org", seller_key.as_str()),
                    // Generated contracts have no broker.
                    ("broker", ""),
                ];
                let mut bases = vec![("signed", stat)];
                if registered {
                    bases.push(("registered", "registered"));
                }
                for (basis, st) in bases {
                    for (dim, value) in dims {
                        let e = rollup
                            .entry((basis, month.clone(), st, dim, value.to_owned()))
                            .or_insert((0, 0, 0));
                        e.0 += 1;
                        e.1 += amount;
                        e.2 += tech;
                    }
                }
                let verified = registered.then_some(amount);
                let verified_tech = registered.then_some(tech);
                (
                    (
                        contracts::consent.eq("confirmed"),
                        contracts::stat_status.eq(stat),
                        contracts::stat_amount_fen.eq(amount),
                        contracts::stat_tech_amount_fen.eq(tech),
                        contracts::verified_amount_fen.eq(verified),
                        contracts::verified_tech_amount_fen.eq(verified_tech),
                    ),
                    contracts::registration_no.eq(registered.then(|| format!("9{seq:015}"))),
                    contracts::kind.eq(kind),
                    contracts::sub_kind.eq(sub),
                    contracts::seller_org_id.eq(*seller),
                    contracts::buyer_org_id.eq(*buyer),
                    contracts::seller_region.eq(s_region.clone()),
                    contracts::buyer_region.eq(b_region.clone()),
                    contracts::seller_kind.eq(s_kind.clone()),
                    contracts::signed_on.eq(signed),
                    contracts::amount_fen.eq(amount),
                    contracts::tech_amount_fen.eq(tech),
                    contracts::total_amount_fen.eq(amount),
                    contracts::total_tech_amount_fen.eq(tech),
                    contracts::chain.eq(chain),
                    contracts::field.eq(field),
                    contracts::registration_status.eq(status),
                    contracts::registered_on.eq(registered.then_some(signed)),
                    contracts::created_by.eq(user),
                    contracts::created_at.eq(at),
                    contracts::updated_at.eq(at),
                )
            })
            .collect();
        insert_rows!(conn, contracts::table, &rows);
        Ok(())
    })?;
    report.contracts = n_contracts;
    // The rollups were summed while generating: a few thousand upserts, not a rescan.
    db.write_blocking(|conn| {
        for ((basis, month, status, dim, value), sums) in &rollup {
            crate::contracts::rollups::add_raw(conn, basis, month, status, dim, value, *sums)?;
        }
        Ok(())
    })?;

    // New listings reach the index through the outbox, like every other change.
    if n_achievements > 0 || n_demands > 0 {
        db.write_blocking(|conn| {
            outbox::enqueue_all(conn, IndexKind::Achievements)?;
            outbox::enqueue_all(conn, IndexKind::Demands)?;
            Ok(())
        })?;
    }
    Ok(report)
}
