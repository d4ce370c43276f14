//! What the requests need, found or made through the API before the run: tokens, the
//! run's statistician accounts, ids to read and match, orgs to sign contracts between.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};
use serde_json::json;

use super::Options;
use super::http::{Req, client, ids_of, login, send, send_json};
use crate::taxonomy;

/// The statistician accounts a run makes for itself.
const STATISTICIANS: usize = 4;

/// Everything the requests need, found or made before the run.
pub(super) struct Fixture {
    pub admin_token: String,
    pub stat_tokens: Vec<String>,
    pub logins: Vec<(String, String)>,
    pub achievement_ids: Vec<i64>,
    pub demand_ids: Vec<i64>,
    pub sellers: Vec<i64>,
    pub buyers: Vec<i64>,
    /// Registration numbers of this run: `8` + 8 digits of the run + a 7-digit counter.
    pub run_tag: u64,
    pub contract_seq: AtomicU64,
    /// The auction of `bid_hot`, when that scenario runs.
    pub hot: Option<HotAuction>,
    /// The direct Meilisearch of `meili_search`.
    pub meili: Option<super::MeiliTarget>,
}

/// One auction and its bidders: 8 verified enterprises of the run's own.
pub(super) struct HotAuction {
    pub offering: i64,
    pub bidders: Vec<String>,
    pub increment: i64,
    /// The amount the next bid is sent with; each bid takes one step.
    pub next: AtomicI64,
}

/// The bidders of `bid_hot`.
const BIDDERS: usize = 8;

/// Finds ids and orgs through the API and makes the run's statistician accounts.
pub(super) async fn prepare(opts: &Options) -> anyhow::Result<Fixture> {
    let base = opts.url.as_str();
    let c = client()?;
    send(&c, base, &Req::get("/health".into()))
        .await
        .map_err(|e| anyhow!("server not reachable at {base}: {e}"))?;
    let admin_token = login(&c, base, &opts.admin_email, &opts.admin_password)
        .await
        .with_context(|| {
            format!(
                "signing in as {}; make the account first with \
                 `tt-exchange create-user --role admin --email ... --name ...`",
                opts.admin_email
            )
        })?;
    let (achievement_ids, demand_ids) = find_listings(&c, base).await?;
    let (sellers, buyers) = find_parties(&c, base, &admin_token).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let run_tag = now.as_secs() % 100_000_000;
    let tag = format!("{:x}", now.as_micros() % (1 << 40));
    let (logins, stat_tokens) = make_statisticians(&c, base, &admin_token, &tag).await?;
    let hot = match opts.scenarios.contains(&super::Scenario::BidHot) {
        true => Some(hot_auction(&c, base, &admin_token, &tag).await?),
        false => None,
    };
    Ok(Fixture {
        admin_token,
        stat_tokens,
        logins,
        achievement_ids,
        demand_ids,
        sellers,
        buyers,
        run_tag,
        contract_seq: AtomicU64::new(0),
        hot,
        meili: opts.meili.clone(),
    })
}

/// Registers a member of a new org of `kind`, has the admin verify the org, signs in.
async fn verified_member(
    c: &reqwest::Client,
    base: &str,
    admin_token: &str,
    (role, kind, email, password): (&str, &str, &str, &str),
) -> anyhow::Result<String> {
    let body = json!({"email": email, "password": password, "name": "压测用户", "role": role,
        "org": {"name": format!("压测{email}"), "kind": kind, "region": "610100"}});
    let r = send_json(c, base, &Req::post("/api/v1/auth/register", body)).await?;
    let org = r["org"]["id"]
        .as_i64()
        .ok_or_else(|| anyhow!("register: no org id"))?;
    let verify = Req::post(&format!("/api/v1/orgs/{org}/verify"), json!({})).token(admin_token);
    send(c, base, &verify).await.map_err(|e| anyhow!(e))?;
    login(c, base, email, password).await
}

/// A university of the run's own offers a new achievement by auction (reserve 1万元,
/// raises of 1元, open for six hours); 8 enterprises of the run's own will bid.
async fn hot_auction(
    c: &reqwest::Client,
    base: &str,
    admin_token: &str,
    tag: &str,
) -> anyhow::Result<HotAuction> {
    let password = format!("Loadgen-秦创原-{tag}");
    let seller_email = format!("loadgen-{tag}-seller@loadgen.example.cn");
    let seller = verified_member(
        c,
        base,
        admin_token,
        ("university", "university", &seller_email, &password),
    )
    .await?;
    let achievement = json!({"title": "压测用高热流密度微通道散热技术", "summary": "压测用成果。",
        "keywords": ["压测"], "chain": "machine_tools", "field": "advanced_manufacturing", "trl": 6,
        "stage": "pilot", "transfer_modes": ["licensing"], "inventors": ["压测"]});
    let r = send_json(
        c,
        base,
        &Req::post("/api/v1/achievements", achievement).token(&seller),
    )
    .await?;
    let a = r["id"]
        .as_i64()
        .ok_or_else(|| anyhow!("achievement: no id"))?;
    let submit = Req::post(&format!("/api/v1/achievements/{a}/submit"), json!({})).token(&seller);
    send(c, base, &submit).await.map_err(|e| anyhow!(e))?;
    let review = Req::post(
        &format!("/api/v1/achievements/{a}/review"),
        json!({"decision": "approve"}),
    )
    .token(admin_token);
    send(c, base, &review).await.map_err(|e| anyhow!(e))?;
    let closes = (chrono::Utc::now() + chrono::Duration::hours(6)).to_rfc3339();
    let (reserve, increment) = (1_000_000, 100);
    let offer = json!({"mode": "auction", "transfer_mode": "licensing", "reserve_price_fen": reserve,
        "increment_fen": increment, "closes_at": closes});
    let path = format!("/api/v1/achievements/{a}/offerings");
    let r = send_json(c, base, &Req::post(&path, offer).token(&seller)).await?;
    let offering = r["id"].as_i64().ok_or_else(|| anyhow!("offering: no id"))?;
    let mut bidders = Vec::new();
    for i in 0..BIDDERS {
        let email = format!("loadgen-{tag}-bidder{i}@loadgen.example.cn");
        bidders.push(
            verified_member(
                c,
                base,
                admin_token,
                ("enterprise", "enterprise", &email, &password),
            )
            .await?,
        );
    }
    Ok(HotAuction {
        offering,
        bidders,
        increment,
        next: AtomicI64::new(reserve),
    })
}

/// Ids of published achievements and demands: per chain, the first 100 newest and the
/// first 100 in a price (budget) order, which reach back over the whole range of ids.
async fn find_listings(c: &reqwest::Client, base: &str) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let mut achievement_ids = Vec::new();
    let mut demand_ids = Vec::new();
    for chain in taxonomy::CHAINS.codes() {
        for (path, sort, ids) in [
            ("/api/v1/achievements", "price_asc", &mut achievement_ids),
            ("/api/v1/demands", "budget_desc", &mut demand_ids),
        ] {
            for sort in ["newest", sort] {
                let query = vec![
                    ("chain", chain.to_owned()),
                    ("sort", sort.into()),
                    ("per_page", "100".into()),
                ];
                let req = Req::get(path.into()).query(query);
                ids.extend(ids_of(&send_json(c, base, &req).await?));
            }
        }
    }
    for ids in [&mut achievement_ids, &mut demand_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    if achievement_ids.is_empty() || demand_ids.is_empty() {
        bail!(
            "the server has no published achievements or demands to search, read and match; \
             load some with `tt-exchange gen-data --size small` (and let the outbox drain)"
        );
    }
    Ok((achievement_ids, demand_ids))
}

/// Sellers (universities, then institutes) and buyers (enterprises): org ids.
async fn find_parties(
    c: &reqwest::Client,
    base: &str,
    admin_token: &str,
) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let orgs = |kind: &'static str| {
        let query = vec![("kind", kind.into()), ("per_page", "100".into())];
        Req::get("/api/v1/orgs".into())
            .token(admin_token)
            .query(query)
    };
    let mut sellers = ids_of(&send_json(c, base, &orgs("university")).await?);
    sellers.extend(ids_of(&send_json(c, base, &orgs("institute")).await?));
    let buyers = ids_of(&send_json(c, base, &orgs("enterprise")).await?);
    if sellers.is_empty() || buyers.is_empty() {
        bail!("need at least one university or institute org and one enterprise org");
    }
    Ok((sellers, buyers))
}

/// The run's statisticians, `loadgen-<tag>-<i>@loadgen.example.cn`, made by the admin
/// and signed in: their (email, password) and their tokens.
async fn make_statisticians(
    c: &reqwest::Client,
    base: &str,
    admin_token: &str,
    tag: &str,
) -> anyhow::Result<(Vec<(String, String)>, Vec<String>)> {
    let password = format!("Loadgen-秦创原-{tag}");
    let mut logins = Vec::new();
    let mut stat_tokens = Vec::new();
    for i in 0..STATISTICIANS {
        let email = format!("loadgen-{tag}-{i}@loadgen.example.cn");
        let req = Req::post(
            "/api/v1/users",
            json!({"email": email, "password": password, "name": format!("压测统计员{i}"),
                   "role": "statistician"}),
        )
        .token(admin_token);
        send(c, base, &req)
            .await
            .map_err(|e| anyhow!("creating statistician {email}: {e}"))?;
        stat_tokens.push(login(c, base, &email, &password).await?);
        logins.push((email, password.clone()));
    }
    Ok((logins, stat_tokens))
}

impl Fixture {
    /// The same fixture with fresh tokens for the admin and the statisticians.
    pub async fn signed_in_again(&self, opts: &Options) -> anyhow::Result<Fixture> {
        let c = client()?;
        let admin = login(&c, &opts.url, &opts.admin_email, &opts.admin_password).await?;
        let mut stats = Vec::new();
        for (email, password) in &self.logins {
            stats.push(login(&c, &opts.url, email, password).await?);
        }
        Ok(Fixture {
            admin_token: admin,
            stat_tokens: stats,
            logins: self.logins.clone(),
            achievement_ids: self.achievement_ids.clone(),
            demand_ids: self.demand_ids.clone(),
            sellers: self.sellers.clone(),
            buyers: self.buyers.clone(),
            run_tag: self.run_tag,
            contract_seq: AtomicU64::new(self.contract_seq.load(Ordering::Relaxed)),
            hot: self.hot.as_ref().map(|h| HotAuction {
                offering: h.offering,
                bidders: h.bidders.clone(),
                increment: h.increment,
                next: AtomicI64::new(h.next.load(Ordering::Relaxed)),
            }),
            meili: self.meili.clone(),
        })
    }
}
