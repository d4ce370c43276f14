//! Prices set the way the law asks: listed sales (挂牌), auctions (拍卖) and agreed prices
//! made public (协议定价公示), over HTTP on either database. Windows are a few seconds long
//! and the scheduler ticks every 100 ms, so closes happen within the test without long
//! sleeps; the publicity period (15 days at least) is ended by moving `ends_at` in the
//! database, the one thing a test cannot wait for.

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, SecondsFormat, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use tt_exchange::config::Settings;

use crate::faults::{Task, join_all};
use crate::helpers::{Account, Resp, TestApp, spawn_app_with};
use crate::listings::{achievement_body, member, published};
use crate::notifications::titles;

/// Short windows and a fast scheduler.
pub fn fast(s: &mut Settings) {
    s.offering_min_window_secs = 1;
    s.scheduler_tick_ms = 100;
    s.offering_runoff_secs = 5;
    s.offering_extension_secs = 1;
    s.workers = Some(4);
    s.db_pool_size = 8;
}

pub fn at(secs: i64) -> String {
    (Utc::now() + Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub struct Market {
    pub admin: String,
    pub uni: String,
    pub uni_org: i64,
}

pub async fn market(app: &TestApp) -> Market {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    Market {
        admin,
        uni,
        uni_org,
    }
}

impl Market {
    pub async fn achievement(&self, app: &TestApp) -> i64 {
        published(
            app,
            "achievements",
            &self.uni,
            &self.admin,
            &achievement_body(),
        )
        .await
    }

    pub async fn enterprise(&self, app: &TestApp) -> (String, i64) {
        member(app, Account::enterprise(), true, &self.admin).await
    }

    /// Offers achievement `a` and answers the offering.
    pub async fn offer(&self, app: &TestApp, a: i64, body: &Value) -> Value {
        let r = app
            .post(
                &format!("/api/v1/achievements/{a}/offerings"),
                Some(&self.uni),
                body,
            )
            .await;
        assert_eq!(r.status, 201, "offer: {}", r.text);
        r.body
    }
}

pub fn listed(price: i64, closes_in: i64) -> Value {
    json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": price,
           "closes_at": at(closes_in), "terms": "普通许可，五年"})
}

pub fn auction(reserve: i64, increment: i64, closes_in: i64) -> Value {
    json!({"mode": "auction", "transfer_mode": "licensing", "reserve_price_fen": reserve,
           "increment_fen": increment, "closes_at": at(closes_in)})
}

pub async fn bid(app: &TestApp, offering: i64, token: &str, amount: i64) -> Resp {
    app.post(
        &format!("/api/v1/offerings/{offering}/bids"),
        Some(token),
        &json!({"amount_fen": amount}),
    )
    .await
}

/// Polls the offering until its status is `status` (15 s at most).
pub async fn until_status(app: &TestApp, id: i64, token: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let r = app
            .get(&format!("/api/v1/offerings/{id}"), Some(token))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        if r.body["status"] == status {
            return r.body;
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(15),
            "offering {id} did not become {status}: {}",
            r.text
        );
        actix_rt::time::sleep(StdDuration::from_millis(100)).await;
    }
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

#[actix_rt::test]
async fn a_listed_sale_closes_unsold_sold_or_into_a_runoff_among_several_intents() {
    let app = spawn_app_with(fast).await;
    let m = market(&app).await;
    let (ent1, ent1_org) = m.enterprise(&app).await;
    let (ent2, _) = m.enterprise(&app).await;
    let (ent3, ent3_org) = m.enterprise(&app).await;
    let (ent4, _) = m.enterprise(&app).await;
    let price = 5_000_000;
    let (a0, a1, a2) = (
        m.achievement(&app).await,
        m.achievement(&app).await,
        m.achievement(&app).await,
    );
    let o0 = id(&m.offer(&app, a0, &listed(price, 3)).await);
    let o1 = id(&m.offer(&app, a1, &listed(price, 3)).await);
    let o2 = m.offer(&app, a2, &listed(price, 3)).await;
    let increment = o2["increment_fen"].as_i64().unwrap();
    assert_eq!(increment, price / 100, "1% by default");
    let o2 = id(&o2);
    // Intents at the listed price only, one per org.
    bid(&app, o1, &ent1, price + 1)
        .await
        .assert_error(422, "bid_not_listed_price");
    assert_eq!(bid(&app, o1, &ent1, price).await.status, 201);
    bid(&app, o1, &ent1, price)
        .await
        .assert_error(409, "intent_exists");
    for t in [&ent1, &ent2, &ent3] {
        let r = bid(&app, o2, t, price).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    // No intent: unsold, no contract.
    let v0 = until_status(&app, o0, &m.uni, "unsold").await;
    assert!(
        v0["contract_id"].is_null() && v0["winner_org"].is_null(),
        "{v0}"
    );
    // One intent: that buyer wins at the listed price; the contract awaits both parties.
    let v1 = until_status(&app, o1, &m.uni, "sold").await;
    assert_eq!(v1["winner_org"]["id"], ent1_org, "{v1}");
    let contract = v1["contract_id"].as_i64().expect("contract");
    let c = app
        .get(&format!("/api/v1/contracts/{contract}"), Some(&ent1))
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["consent"], "awaiting_both", "{}", c.text);
    assert_eq!(c.body["amount_fen"], price);
    assert_eq!(c.body["kind"], "licensing");
    assert_eq!(c.body["sub_kind"], "ordinary");
    assert_eq!(c.body["seller_org_id"], m.uni_org);
    assert_eq!(c.body["buyer_org_id"], ent1_org);
    assert_eq!(c.body["achievement_id"], a1);
    assert_eq!(c.body["offering_id"], o1);
    // The public sees the result, not the winner.
    let public = app.get(&format!("/api/v1/offerings/{o1}"), None).await;
    assert_eq!(public.body["status"], "sold");
    assert!(public.body["winner_org"].is_null() && public.body["contract_id"].is_null());
    assert!(public.body["bids"][0]["org"].is_null(), "{}", public.text);
    assert_eq!(public.body["bids"][0]["amount_fen"], price);

    // Several intents: a run-off auction among them from the listed price.
    let v2 = until_status(&app, o2, &m.uni, "runoff").await;
    assert_eq!(v2["minimum_next_bid_fen"], price + increment, "{v2}");
    bid(&app, o2, &ent4, price + increment)
        .await
        .assert_error(422, "not_in_runoff");
    assert_eq!(bid(&app, o2, &ent2, price + increment).await.status, 201);
    bid(&app, o2, &ent3, price + increment)
        .await
        .assert_error(422, "bid_too_low");
    let top = price + 2 * increment;
    assert_eq!(bid(&app, o2, &ent3, top).await.status, 201);
    let v2 = until_status(&app, o2, &m.uni, "sold").await;
    assert_eq!(v2["winner_org"]["id"], ent3_org, "{v2}");
    let c = app
        .get(
            &format!("/api/v1/contracts/{}", v2["contract_id"]),
            Some(&ent3),
        )
        .await;
    assert_eq!(c.body["amount_fen"], top, "{}", c.text);
    bid(&app, o2, &ent2, top + increment)
        .await
        .assert_error(409, "bidding_closed");
    // Both parties confirm: the contract takes effect like any other.
    let c = app.confirm_contract(id(&c.body), &[&m.uni, &ent3]).await;
    assert_eq!(c["consent"], "confirmed", "{c}");
    // The closes are audited, once each, by nobody (the scheduler).
    let audit = app
        .get("/api/v1/audit?entity=offering&per_page=100", Some(&m.admin))
        .await;
    let closes = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "offering.close")
        .count();
    assert_eq!(closes, 4, "o0, o1, o2 to run-off, o2 sold: {}", audit.text);

    // The seller heard of every bid and intent and of every close; a bidder of its own
    // offerings' closes and of being overtaken; nobody of amounts.
    let seller_bids = titles(&app, &m.uni, "offering_bid").await;
    assert_eq!(
        seller_bids.len(),
        6,
        "1 + 3 intents, 2 run-off bids: {seller_bids:?}"
    );
    let closed = titles(&app, &m.uni, "offering_closed").await;
    assert_eq!(closed.len(), 4, "{closed:?}");
    assert!(closed.iter().any(|t| t.contains("未能成交")), "{closed:?}");
    let ent2_closed = titles(&app, &ent2, "offering_closed").await;
    assert!(
        ent2_closed[0].contains("进入竞价阶段") && ent2_closed[1].contains("已成交"),
        "{ent2_closed:?}"
    );
    let overtaken = titles(&app, &ent2, "offering_bid").await;
    assert_eq!(overtaken.len(), 1, "{overtaken:?}");
    assert!(overtaken[0].contains("已被超过"), "{overtaken:?}");
    assert!(titles(&app, &ent3, "offering_bid").await.is_empty());
    assert!(titles(&app, &ent4, "offering_closed").await.is_empty());
    let all = serde_json::to_string(&crate::notifications::inbox(&app, &ent2).await).unwrap();
    assert!(
        !all.contains(&top.to_string()) && !all.contains("万元"),
        "{all}"
    );
}

#[actix_rt::test]
async fn concurrent_bids_at_the_same_amount_are_accepted_exactly_once() {
    let app = spawn_app_with(fast).await;
    let m = market(&app).await;
    let mut bidders = Vec::new();
    for _ in 0..8 {
        bidders.push(m.enterprise(&app).await.0);
    }
    let a = m.achievement(&app).await;
    let (reserve, inc) = (1_000_000, 10_000);
    let o = id(&m.offer(&app, a, &auction(reserve, inc, 600)).await);
    for (round, amount) in [reserve, reserve + inc, reserve + 3 * inc]
        .into_iter()
        .enumerate()
    {
        let tasks: Vec<Task<'_, Resp>> = bidders
            .iter()
            .map(|t| Box::pin(bid(&app, o, t, amount)) as Task<'_, Resp>)
            .collect();
        let answers = join_all(tasks).await;
        let accepted = answers.iter().filter(|r| r.status == 201).count();
        assert_eq!(accepted, 1, "round {round}: exactly one bid at {amount}");
        for r in answers.iter().filter(|r| r.status != 201) {
            r.assert_error(422, "bid_too_low");
        }
    }
    let v = app.get(&format!("/api/v1/offerings/{o}"), None).await;
    assert_eq!(v.body["bid_count"], 3, "{}", v.text);
    assert_eq!(v.body["best_amount_fen"], reserve + 3 * inc);
    assert_eq!(v.body["minimum_next_bid_fen"], reserve + 4 * inc);
    let amounts: Vec<i64> = v.body["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["amount_fen"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![reserve, reserve + inc, reserve + 3 * inc]);
    // The seller sees who bid; a bidder sees its own bid marked.
    let seller = app
        .get(&format!("/api/v1/offerings/{o}"), Some(&m.uni))
        .await;
    assert!(
        seller.body["bids"][0]["org"]["name"].is_string(),
        "{}",
        seller.text
    );
}

#[actix_rt::test]
async fn a_late_bid_extends_the_auction_and_an_early_one_does_not() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.offering_extension_secs = 300;
    })
    .await;
    let m = market(&app).await;
    let (ent, ent_org) = m.enterprise(&app).await;
    let (a1, a2) = (m.achievement(&app).await, m.achievement(&app).await);
    // Closing in an hour: a bid now is not in the last five minutes.
    let early = m.offer(&app, a1, &auction(100_000, 1_000, 3600)).await;
    let r = bid(&app, id(&early), &ent, 100_000).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["closes_at"], early["closes_at"]);
    assert_eq!(r.body["extensions"], 0);
    // Closing in two minutes: a bid moves the close five minutes later.
    let late = m.offer(&app, a2, &auction(100_000, 1_000, 120)).await;
    let r = bid(&app, id(&late), &ent, 100_000).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let moved = parse(&r.body["closes_at"]) - parse(&late["closes_at"]);
    assert_eq!(moved, Duration::seconds(300), "{}", r.text);
    assert_eq!(r.body["extensions"], 1);
    assert_eq!(r.body["initial_closes_at"], late["closes_at"]);
    assert_eq!(r.body["bids"][0]["mine"], true);
    assert!(
        r.body["bids"][0]["org"].is_null(),
        "a bidder is not the seller"
    );
    // Local times are Asia/Shanghai.
    assert!(
        r.body["closes_at_local"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    // The owner's own org cannot bid; universities cannot; an unverified enterprise is told why.
    bid(&app, id(&late), &m.uni, 200_000)
        .await
        .assert_error(403, "forbidden");
    let (unverified, _) = member(&app, Account::enterprise(), false, &m.admin).await;
    bid(&app, id(&late), &unverified, 200_000)
        .await
        .assert_error(403, "org_not_verified");
    bid(&app, id(&late), &ent, 100_500)
        .await
        .assert_error(422, "bid_too_low");
    let _ = ent_org;
}

#[actix_rt::test]
async fn offerings_are_checked_and_one_is_open_per_achievement() {
    let app = spawn_app_with(fast).await;
    let m = market(&app).await;
    let a = m.achievement(&app).await;
    let path = format!("/api/v1/achievements/{a}/offerings");
    for (body, code) in [
        (
            json!({"mode": "listed", "transfer_mode": "licensing", "closes_at": at(60)}),
            "invalid_offering",
        ),
        (
            json!({"mode": "auction", "transfer_mode": "licensing", "reserve_price_fen": 1, "closes_at": at(60)}),
            "invalid_offering",
        ),
        (
            json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": 0, "closes_at": at(60)}),
            "invalid_offering",
        ),
        (
            json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": 10, "closes_at": at(-60)}),
            "invalid_offering",
        ),
    ] {
        app.post(&path, Some(&m.uni), &body)
            .await
            .assert_error(400, code);
    }
    let wrong_mode = json!({"mode": "listed", "transfer_mode": "transfer", "price_fen": 10, "closes_at": at(60)});
    app.post(&path, Some(&m.uni), &wrong_mode)
        .await
        .assert_error(422, "transfer_mode_not_offered");
    m.offer(&app, a, &listed(10_000, 60)).await;
    app.post(&path, Some(&m.uni), &listed(10_000, 60))
        .await
        .assert_error(409, "offering_exists");
    // Listed publicly, filtered.
    let r = app
        .get(
            "/api/v1/offerings?mode=listed&status=open&closing_within_hours=1",
            None,
        )
        .await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    let r = app.get("/api/v1/offerings?mode=auction", None).await;
    assert_eq!(r.body["total"], 0, "{}", r.text);
    app.get("/api/v1/offerings?mode=barter", None)
        .await
        .assert_error(400, "invalid_query");
    // An unverified university cannot offer its achievements.
    let (other, _) = member(&app, Account::university(), false, &m.admin).await;
    let draft = app
        .post("/api/v1/achievements", Some(&other), &achievement_body())
        .await;
    let d = id(&draft.body);
    app.post(
        &format!("/api/v1/achievements/{d}/offerings"),
        Some(&other),
        &listed(10, 60),
    )
    .await
    .assert_error(403, "org_not_verified");
}

/// The close runs once even when it was due while no server ran: the next start catches up.
#[actix_rt::test]
async fn a_close_due_while_the_server_was_down_runs_at_the_next_start() {
    let app = spawn_app_with(|s| {
        fast(s);
        // The scheduler runs at start, then not again for an hour: "down" for the test.
        s.scheduler_tick_ms = 3_600_000;
    })
    .await;
    let m = market(&app).await;
    let (ent, ent_org) = m.enterprise(&app).await;
    let a = m.achievement(&app).await;
    let o = id(&m.offer(&app, a, &listed(20_000, 2)).await);
    assert_eq!(bid(&app, o, &ent, 20_000).await.status, 201);
    actix_rt::time::sleep(StdDuration::from_secs(3)).await;
    let v = app
        .get(&format!("/api/v1/offerings/{o}"), Some(&m.uni))
        .await;
    assert_eq!(v.body["status"], "open", "nobody closed it yet: {}", v.text);
    assert_eq!(v.body["accepting_bids"], false);
    let app = app.restart_with(|s| s.scheduler_tick_ms = 100).await;
    let v = until_status(&app, o, &m.uni, "sold").await;
    assert_eq!(v["winner_org"]["id"], ent_org);
}

/// Two servers on one PostgreSQL database both run the scheduler: every close happens
/// exactly once (one contract per offering, one audited close).
#[actix_rt::test]
async fn two_servers_close_each_offering_exactly_once() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.scheduler_tick_ms = 20;
    })
    .await;
    let Some(second) = app
        .second_server(|s| {
            s.scheduler_tick_ms = 20;
        })
        .await
    else {
        return; // SQLite: one process per database; the catch-up test covers the scheduler.
    };
    let m = market(&app).await;
    let (ent, _) = m.enterprise(&app).await;
    let mut offerings = Vec::new();
    for _ in 0..8 {
        let a = m.achievement(&app).await;
        let o = id(&m.offer(&app, a, &listed(30_000, 2)).await);
        assert_eq!(bid(&second, o, &ent, 30_000).await.status, 201);
        offerings.push(o);
    }
    for o in &offerings {
        until_status(&second, *o, &m.uni, "sold").await;
    }
    actix_rt::time::sleep(StdDuration::from_millis(500)).await;
    let contracts = app
        .get("/api/v1/contracts?per_page=100", Some(&m.admin))
        .await;
    let mut linked: Vec<i64> = contracts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["offering_id"].as_i64())
        .collect();
    linked.sort_unstable();
    assert_eq!(linked, offerings, "one contract per offering");
    let audit = app
        .get("/api/v1/audit?entity=offering&per_page=100", Some(&m.admin))
        .await;
    let closes = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "offering.close")
        .count();
    assert_eq!(closes, offerings.len(), "{}", audit.text);
}

/// Moves a publicity's end into the past (the period is 15 days at least).
async fn end_period(app: &TestApp, id: i64) {
    use tt_exchange::db::schema::publicities;
    let past = tt_exchange::clock::now() - Duration::seconds(1);
    app.db
        .write(move |conn| {
            diesel::update(publicities::table.find(id))
                .set(publicities::ends_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("end the period");
}

#[actix_rt::test]
async fn a_publicity_holds_back_confirmation_until_it_ends_without_open_objections() {
    let app = spawn_app_with(fast).await;
    let m = market(&app).await;
    let (ent, ent_org) = m.enterprise(&app).await;
    let (objector, _) = m.enterprise(&app).await;
    let a = m.achievement(&app).await;
    let price = 80_000_000i64;
    let body = json!({"buyer_org_id": ent_org, "price_fen": price, "transfer_mode": "licensing", "days": 15});
    let path = format!("/api/v1/achievements/{a}/publicity");
    let mut short = body.clone();
    short["days"] = json!(14);
    app.post(&path, Some(&m.uni), &short)
        .await
        .assert_error(400, "invalid_publicity");
    let p = app.post(&path, Some(&m.uni), &body).await;
    assert_eq!(p.status, 201, "{}", p.text);
    assert_eq!(p.body["status"], "running");
    let p = id(&p.body);
    let listed = app.get("/api/v1/publicity?status=running", None).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["price_fen"], price);
    assert!(listed.body["items"][0]["achievement_title"].is_string());

    // The agreed contract, recorded by the seller, awaits the buyer.
    let contract = json!({"kind": "licensing", "sub_kind": "ordinary", "seller_org_id": m.uni_org,
        "buyer_org_id": ent_org, "achievement_id": a, "signed_on": Utc::now().date_naive().to_string(),
        "amount_fen": price, "tech_amount_fen": price});
    let c = app.post("/api/v1/contracts", Some(&m.uni), &contract).await;
    assert_eq!(c.status, 201, "{}", c.text);
    let c = id(&c.body);
    let confirm = format!("/api/v1/contracts/{c}/confirm");
    app.post(&confirm, Some(&ent), &json!({}))
        .await
        .assert_error(409, "publicity_running");

    // An objection while it runs; the seller answers; it stays open.
    let o = app
        .post(
            &format!("/api/v1/publicity/{p}/objections"),
            Some(&objector),
            &json!({"reason": "价格明显低于评估价值"}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.text);
    let o = id(&o.body);
    let r = app
        .post(
            &format!("/api/v1/objections/{o}/answer"),
            Some(&m.uni),
            &json!({"answer": "已委托第三方评估，评估报告已公开"}),
        )
        .await;
    assert_eq!(r.body["status"], "answered", "{}", r.text);
    end_period(&app, p).await;
    app.post(
        &format!("/api/v1/publicity/{p}/objections"),
        Some(&objector),
        &json!({"reason": "迟到的异议"}),
    )
    .await
    .assert_error(409, "publicity_ended");
    app.post(&confirm, Some(&ent), &json!({}))
        .await
        .assert_error(409, "objection_open");
    // The exchange closes the objection: now the contract may take effect.
    let r = app
        .post(
            &format!("/api/v1/objections/{o}/close"),
            Some(&m.admin),
            &json!({"resolution": "经核查评估报告，价格合理，异议不成立"}),
        )
        .await;
    assert_eq!(r.body["status"], "closed", "{}", r.text);
    app.post(
        &format!("/api/v1/objections/{o}/close"),
        Some(&m.admin),
        &json!({"resolution": "again"}),
    )
    .await
    .assert_error(409, "objection_closed");
    let r = app.post(&confirm, Some(&ent), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["consent"], "confirmed");
    let v = app.get(&format!("/api/v1/publicity/{p}"), None).await;
    assert_eq!(v.body["status"], "ended");
    assert_eq!(v.body["open_objections"], 0);
    assert!(
        v.body["objections"][0]["org"].is_null(),
        "objectors are not public"
    );
    // The parties heard of the objection and its close, the objector of the answer and
    // the close; the texts stay on the publicity.
    for token in [&m.uni, &ent] {
        let t = titles(&app, token, "publicity_objection").await;
        assert!(
            t.len() == 2 && t[0].contains("收到异议") && t[1].contains("处理完毕"),
            "{t:?}"
        );
    }
    let t = titles(&app, &objector, "publicity_objection").await;
    assert!(
        t.len() == 2 && t[0].contains("获卖方答复") && t[1].contains("处理完毕"),
        "{t:?}"
    );
    let all = serde_json::to_string(&crate::notifications::inbox(&app, &objector).await).unwrap();
    assert!(!all.contains("第三方评估"), "{all}");
}

#[actix_rt::test]
async fn the_publicity_rule_can_be_switched_off() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.publicity_blocks_confirmation = false;
    })
    .await;
    let m = market(&app).await;
    let (ent, ent_org) = m.enterprise(&app).await;
    let a = m.achievement(&app).await;
    let price = 1_000_000i64;
    let r = app
        .post(
            &format!("/api/v1/achievements/{a}/publicity"),
            Some(&m.uni),
            &json!({"buyer_org_id": ent_org, "price_fen": price, "transfer_mode": "licensing", "days": 30}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contract = json!({"kind": "licensing", "sub_kind": "ordinary", "seller_org_id": m.uni_org,
        "buyer_org_id": ent_org, "achievement_id": a, "signed_on": Utc::now().date_naive().to_string(),
        "amount_fen": price, "tech_amount_fen": price});
    let c = app.post("/api/v1/contracts", Some(&m.uni), &contract).await;
    let r = app
        .post(
            &format!("/api/v1/contracts/{}/confirm", id(&c.body)),
            Some(&ent),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Bid throughput on one hot auction: 8 bidders, each bidding as fast as answers come,
/// always the minimum next bid it last saw (so some lose races: 422 `bid_too_low`).
/// Prints accepted bids/s and answered requests/s; asserts only that bids were accepted
/// and no answer was an error other than a lost race.
#[actix_rt::test]
async fn bid_throughput_on_one_hot_auction() {
    let app = spawn_app_with(|s| {
        fast(s);
        s.rate_limit_writes_per_min = 0;
    })
    .await;
    let m = market(&app).await;
    let mut bidders = Vec::new();
    for _ in 0..8 {
        bidders.push(m.enterprise(&app).await.0);
    }
    let a = m.achievement(&app).await;
    let o = id(&m.offer(&app, a, &auction(1_000_000, 100, 3600)).await);
    let per_bidder = 25;
    let started = Instant::now();
    let tasks: Vec<Task<'_, (usize, usize)>> = bidders
        .iter()
        .map(|t| {
            let app = &app;
            Box::pin(async move {
                let (mut ok, mut lost) = (0usize, 0usize);
                let mut next = 1_000_000;
                for _ in 0..per_bidder {
                    let r = bid(app, o, t, next).await;
                    match r.status {
                        201 => {
                            ok += 1;
                            next = r.body["minimum_next_bid_fen"]
                                .as_i64()
                                .unwrap_or(next + 100);
                        }
                        _ => {
                            r.assert_error(422, "bid_too_low");
                            lost += 1;
                            let v = app.get(&format!("/api/v1/offerings/{o}"), None).await;
                            next = v.body["minimum_next_bid_fen"]
                                .as_i64()
                                .unwrap_or(next + 100);
                        }
                    }
                }
                (ok, lost)
            }) as Task<'_, (usize, usize)>
        })
        .collect();
    let results = join_all(tasks).await;
    let secs = started.elapsed().as_secs_f64();
    let accepted: usize = results.iter().map(|r| r.0).sum();
    let lost: usize = results.iter().map(|r| r.1).sum();
    let v = app.get(&format!("/api/v1/offerings/{o}"), None).await;
    assert_eq!(v.body["bid_count"], accepted as i64, "{}", v.text);
    assert!(accepted > 0);
    println!(
        "bid throughput ({:?}, 8 bidders, one auction): {accepted} accepted + {lost} lost races in {secs:.2} s = {:.0} accepted bids/s, {:.0} bid requests/s",
        app.db.backend(),
        accepted as f64 / secs,
        (accepted + lost) as f64 / secs
    );
}
