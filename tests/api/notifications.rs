//! Notifications: every event kind reaches the inbox of those it concerns (and nobody
//! else), in Chinese or English, without gated fields; reading and marking; the daily sweep
//! of due dates fires once (also across two servers on PostgreSQL); settings.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use tt_exchange::db::schema::{
    alert_checks, challenge_milestones, demands, notifications, scheduled_jobs, search_outbox,
};

use crate::helpers::{Account, TestApp, spawn_app, spawn_app_with};
use crate::listings::{achievement_body, demand_body, member, published};

/// Waits until the notification worker has fanned out every event, including the match
/// alerts that indexing the listings written so far gives rise to.
pub async fn drained(app: &TestApp) {
    for _ in 0..500 {
        // Match alerts are checked once a listing is indexed and become events in turn:
        // all three queues empty at once.
        let pending = app
            .db
            .read(|conn| {
                let events = tt_exchange::notify::worker::pending(conn)?;
                let checks: i64 = alert_checks::table.count().get_result(conn)?;
                let index: i64 = search_outbox::table.count().get_result(conn)?;
                Ok(events + checks + index)
            })
            .await
            .expect("pending");
        if pending == 0 {
            return;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("the notification events did not drain");
}

/// The user's notifications (all of them, unread first), once the worker is done.
pub async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    drained(app).await;
    let r = app
        .get("/api/v1/me/notifications?per_page=100", Some(token))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// The kinds in the user's inbox, oldest first.
pub async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let mut items = inbox(app, token).await;
    items.sort_by_key(|n| n["id"].as_i64());
    items
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The titles of the user's notifications of `kind`, oldest first.
pub async fn titles(app: &TestApp, token: &str, kind: &str) -> Vec<String> {
    let mut items = inbox(app, token).await;
    items.retain(|n| n["kind"] == kind);
    items.sort_by_key(|n| n["id"].as_i64());
    items
        .iter()
        .map(|n| n["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Waits for a notification of `kind` in the user's inbox; the newest one.
pub async fn wait_for(app: &TestApp, token: &str, kind: &str) -> Value {
    for _ in 0..500 {
        let r = app
            .get(
                &format!("/api/v1/me/notifications?kind={kind}"),
                Some(token),
            )
            .await;
        if let Some(first) = r.body["items"].as_array().and_then(|a| a.first()) {
            return first.clone();
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("no {kind} notification arrived");
}

/// Makes the daily sweep due now and waits until a server ran it (it moves itself on).
pub async fn run_sweep(app: &TestApp) {
    let past = tt_exchange::clock::now() - Duration::seconds(1);
    app.db
        .write(move |conn| {
            diesel::update(scheduled_jobs::table.filter(scheduled_jobs::kind.eq("notify.sweep")))
                .set(scheduled_jobs::due_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    for _ in 0..500 {
        let due: Vec<chrono::NaiveDateTime> = app
            .db
            .read(|conn| {
                Ok(scheduled_jobs::table
                    .filter(scheduled_jobs::kind.eq("notify.sweep"))
                    .select(scheduled_jobs::due_at)
                    .load(conn)?)
            })
            .await
            .unwrap();
        assert_eq!(due.len(), 1, "one sweep job");
        if due[0] > tt_exchange::clock::now() {
            drained(app).await;
            return;
        }
        actix_rt::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("the sweep did not run");
}

fn fast(s: &mut tt_exchange::config::Settings) {
    s.scheduler_tick_ms = 50;
}

struct World {
    admin: String,
    uni: String,
    uni_org: i64,
    /// A second user of the university's org.
    colleague: String,
    ent: String,
    ent_org: i64,
    broker: String,
    outsider: String,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    let email = format!(
        "colleague-{}@nwpu.example.cn",
        tt_exchange::auth::tokens::random_hex(4)
    );
    app.create_user_directly(&email, "university", Some(uni_org))
        .await;
    let colleague = app.token(&email).await;
    let (ent, ent_org) = member(app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(app, Account::broker(), true, &admin).await;
    let (outsider, _) = member(app, Account::enterprise(), true, &admin).await;
    World {
        admin,
        uni,
        uni_org,
        colleague,
        ent,
        ent_org,
        broker,
        outsider,
    }
}

async fn review(app: &TestApp, kind: &str, token: &str, admin: &str, decision: Value) -> i64 {
    let body = match kind {
        "demands" => demand_body(),
        _ => achievement_body(),
    };
    let r = app
        .post(&format!("/api/v1/{kind}"), Some(token), &body)
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let submit = app
        .post(
            &format!("/api/v1/{kind}/{id}/submit"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(submit.status, 200, "{}", submit.text);
    let r = app
        .post(
            &format!("/api/v1/{kind}/{id}/review"),
            Some(admin),
            &decision,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    id
}

fn of_kind<'a>(items: &'a [Value], kind: &str) -> Vec<&'a Value> {
    items.iter().filter(|n| n["kind"] == kind).collect()
}

#[actix_rt::test]
async fn listing_reviews_deals_and_contracts_reach_the_orgs_they_concern() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Reviews: approved, returned with a comment, rejected.
    let a = published(&app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
    let returned = json!({"decision": "return", "comment": "请补充技术指标"});
    let b = review(&app, "achievements", &w.uni, &w.admin, returned).await;
    let rejected = json!({"decision": "reject", "comment": "不属于技术成果"});
    review(&app, "achievements", &w.uni, &w.admin, rejected).await;
    let d = published(&app, "demands", &w.ent, &w.admin, &demand_body()).await;

    let uni = inbox(&app, &w.uni).await;
    let reviews = of_kind(&uni, "listing_reviewed");
    assert_eq!(reviews.len(), 3, "{uni:?}");
    let titles: Vec<&str> = reviews
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("已通过审核并发布")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("被退回修改")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("未通过审核")),
        "{titles:?}"
    );
    let back = reviews
        .iter()
        .find(|n| n["link"] == format!("/api/v1/achievements/{b}"))
        .unwrap();
    assert!(
        back["body"].as_str().unwrap().contains("请补充技术指标"),
        "{back}"
    );
    assert!(
        reviews
            .iter()
            .all(|n| n["read"] == false
                && n["title"].as_str().unwrap().contains("数控机床主轴热误差"))
    );
    // The whole org hears; other orgs do not.
    assert_eq!(
        of_kind(&inbox(&app, &w.colleague).await, "listing_reviewed").len(),
        3
    );
    // The enterprise hears of its own demand's review, and (a match alert) that the newly
    // published achievements fit that demand: nothing of the university's reviews.
    let mut ent_kinds = kinds(&app, &w.ent).await;
    ent_kinds.sort();
    ent_kinds.dedup();
    assert_eq!(ent_kinds, ["listing_reviewed", "new_match"]);
    assert_eq!(
        of_kind(&inbox(&app, &w.ent).await, "listing_reviewed").len(),
        1
    );
    assert!(inbox(&app, &w.outsider).await.is_empty());

    // A deal opened and moved: both orgs hear, the broker (who acted) does not.
    app.sync_search().await;
    let r = app
        .post(
            "/api/v1/deals",
            Some(&w.broker),
            &json!({"demand_id": d, "achievement_id": a}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let deal = r.body["id"].as_i64().unwrap();
    let r = app
        .request(
            awc::http::Method::PATCH,
            &format!("/api/v1/deals/{deal}"),
            Some(&w.broker),
            Some(&json!({"version": 1, "stage": "contacted"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for token in [&w.uni, &w.ent] {
        let items = inbox(&app, token).await;
        let opened = of_kind(&items, "deal_opened");
        assert_eq!(opened.len(), 1, "{items:?}");
        assert_eq!(opened[0]["link"], format!("/api/v1/deals/{deal}"));
        let moved = of_kind(&items, "deal_moved");
        assert_eq!(moved.len(), 1, "{items:?}");
        assert!(
            moved[0]["title"].as_str().unwrap().contains("已联系"),
            "{}",
            moved[0]
        );
        // Titles only: the achievement's contact, details and price never appear.
        let text = serde_json::to_string(&items).unwrap();
        for gated in ["张老师", "LSTM", "王经理", "万元", "50000000"] {
            assert!(!text.contains(gated), "{gated} leaked: {text}");
        }
    }
    assert!(inbox(&app, &w.broker).await.is_empty());

    // Contracts: recorded by the buyer, awaiting the seller; confirmed; registered; declined.
    let body = json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": w.uni_org, "buyer_org_id": w.ent_org,
        "signed_on": Utc::now().date_naive().to_string(), "amount_fen": 1_234_567_800i64,
        "tech_amount_fen": 1_000_000_000i64, "chain": "machine_tools", "field": "advanced_manufacturing"
    });
    let r = app.post("/api/v1/contracts", Some(&w.ent), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = r.body["id"].as_i64().unwrap();
    let awaiting = wait_for(&app, &w.uni, "contract_awaiting").await;
    assert!(
        awaiting["title"].as_str().unwrap().contains("等待您方确认"),
        "{awaiting}"
    );
    assert_eq!(awaiting["link"], format!("/api/v1/contracts/{c}"));
    app.confirm_contract(c, &[&w.uni]).await;
    wait_for(&app, &w.ent, "contract_confirmed").await;
    let r = app.register_contract(c, &w.uni, &w.admin, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let registered = wait_for(&app, &w.ent, "contract_registered").await;
    assert!(registered["title"].as_str().unwrap().contains("认定登记"));
    wait_for(&app, &w.uni, "contract_registered").await;
    let r = app.post("/api/v1/contracts", Some(&w.ent), &body).await;
    let c2 = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/v1/contracts/{c2}/decline"),
            Some(&w.uni),
            &json!({"reason": "金额有误"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let declined = wait_for(&app, &w.ent, "contract_declined").await;
    assert_eq!(declined["link"], format!("/api/v1/contracts/{c2}"));
    let ent = inbox(&app, &w.ent).await;
    assert!(
        of_kind(&ent, "contract_awaiting").is_empty(),
        "the recorder's side awaits nothing"
    );
    let text = serde_json::to_string(&ent).unwrap();
    assert!(
        !text.contains("12345678") && !text.contains("金额有误"),
        "{text}"
    );
    // The colleague (who did not act) hears of its own org's confirmation.
    let colleague = kinds(&app, &w.colleague).await;
    for k in [
        "contract_awaiting",
        "contract_confirmed",
        "contract_registered",
    ] {
        assert!(colleague.contains(&k.to_owned()), "{k}: {colleague:?}");
    }
    assert!(inbox(&app, &w.outsider).await.is_empty());

    // English on request; the unread count in /me; marking read.
    let en = app
        .request_with_headers(
            awc::http::Method::GET,
            "/api/v1/me/notifications?kind=contract_registered",
            &[("accept-language", "en")],
            Some(&w.ent),
            None,
        )
        .await;
    assert_eq!(
        en.body["items"][0]["title"],
        format!("Contract #{c} was registered"),
        "{}",
        en.text
    );
    let me = app.get("/api/v1/me", Some(&w.ent)).await;
    let unread = me.body["unread_notifications"].as_i64().unwrap();
    let ent_items = inbox(&app, &w.ent).await;
    assert_eq!(unread, ent_items.len() as i64);
    let first = ent_items[0]["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v1/me/notifications/read",
            Some(&w.uni),
            &json!({"ids": [first]}),
        )
        .await;
    assert_eq!(
        r.body["marked"], 0,
        "another user's notification: {}",
        r.text
    );
    let r = app
        .post(
            "/api/v1/me/notifications/read",
            Some(&w.ent),
            &json!({"ids": [first]}),
        )
        .await;
    assert_eq!(
        (r.body["marked"].as_i64(), r.body["unread"].as_i64()),
        (Some(1), Some(unread - 1))
    );
    let list = app.get("/api/v1/me/notifications", Some(&w.ent)).await;
    let last = list.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["id"], first,
        "read ones come after unread ones: {}",
        list.text
    );
    assert_eq!(last["read"], true);
    let r = app
        .get(
            "/api/v1/me/notifications?unread=true&per_page=100",
            Some(&w.ent),
        )
        .await;
    assert_eq!(r.body["total"], unread - 1);
    let r = app
        .post(
            "/api/v1/me/notifications/read",
            Some(&w.ent),
            &json!({"all": true}),
        )
        .await;
    assert_eq!(r.body["unread"], 0);
    assert_eq!(
        app.get("/api/v1/me", Some(&w.ent)).await.body["unread_notifications"],
        0
    );
    for bad in [
        json!({}),
        json!({"ids": []}),
        json!({"ids": [1], "all": true}),
        json!({"all": false}),
    ] {
        app.post("/api/v1/me/notifications/read", Some(&w.ent), &bad)
            .await
            .assert_error(400, "invalid_request_body");
    }
    app.get("/api/v1/me/notifications?kind=nonsense", Some(&w.ent))
        .await
        .assert_error(400, "invalid_query");
}

fn challenge_body() -> Value {
    let mut body = demand_body();
    let apply_by = (Utc::now().date_naive() + Duration::days(30)).to_string();
    body["title"] = json!("揭榜挂帅：龙门加工中心热误差补偿攻关");
    body["challenge"] = json!({
        "bounty_fen": 1_000_000, "apply_by": apply_by,
        "criteria": "补偿后热漂移≤8微米", "max_winners": 1
    });
    body
}

#[actix_rt::test]
async fn challenges_milestones_and_due_dates_notify_once() {
    let app = spawn_app_with(fast).await;
    let w = world(&app).await;
    let challenge = published(&app, "demands", &w.ent, &w.admin, &challenge_body()).await;
    let r = app
        .post(
            &format!("/api/v1/demands/{challenge}/applications"),
            Some(&w.uni),
            &json!({"proposal": "三个月内完成现场补偿验证。", "team": [{"name": "张伟"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let application = r.body["id"].as_i64().unwrap();
    let received = wait_for(&app, &w.ent, "application_received").await;
    assert!(
        received["title"].as_str().unwrap().contains("申请揭榜"),
        "{received}"
    );
    for decision in ["shortlist", "select"] {
        let r = app
            .post(
                &format!("/api/v1/applications/{application}/decision"),
                Some(&w.ent),
                &json!({"decision": decision}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let decided = of_kind(&inbox(&app, &w.uni).await, "application_decided")
        .into_iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert!(decided.iter().any(|t| t.contains("已入围")), "{decided:?}");

    // Two milestones: one due in three days, one to become overdue.
    let mut milestones = Vec::new();
    for (title, days) in [("方案设计", 3), ("样机试制", 20)] {
        let due = (Utc::now().date_naive() + Duration::days(days)).to_string();
        let r = app
            .post(
                &format!("/api/v1/demands/{challenge}/milestones"),
                Some(&w.ent),
                &json!({"title": title, "due_on": due, "share_bp": 5000, "application_id": application}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        milestones.push(r.body["id"].as_i64().unwrap());
    }
    let late = milestones[1];
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    let soon = Utc::now().date_naive() + Duration::days(3);
    let today = Utc::now().date_naive();
    app.db
        .write(move |conn| {
            diesel::update(challenge_milestones::table.find(late))
                .set(challenge_milestones::due_on.eq(yesterday))
                .execute(conn)?;
            // The demand expires soon, its applications close soon.
            diesel::update(demands::table.find(challenge))
                .set((
                    demands::valid_until.eq(soon),
                    demands::challenge_apply_by.eq(today),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    // A broker's deal due for a follow-up today.
    let a = published(&app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
    let d = published(&app, "demands", &w.ent, &w.admin, &demand_body()).await;
    app.sync_search().await;
    let r = app
        .post(
            "/api/v1/deals",
            Some(&w.broker),
            &json!({"demand_id": d, "achievement_id": a, "next_follow_up": today.to_string()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let deal = r.body["id"].as_i64().unwrap();

    // The sweep, three times: each notice lands once.
    for _ in 0..3 {
        run_sweep(&app).await;
    }
    let uni = inbox(&app, &w.uni).await;
    let due = of_kind(&uni, "milestone_due_soon");
    assert_eq!(due.len(), 1, "{uni:?}");
    assert!(
        due[0]["title"]
            .as_str()
            .unwrap()
            .contains(&format!("{soon}")),
        "{}",
        due[0]
    );
    assert_eq!(of_kind(&uni, "milestone_overdue").len(), 1, "{uni:?}");
    let ent = inbox(&app, &w.ent).await;
    assert_eq!(of_kind(&ent, "milestone_overdue").len(), 1, "{ent:?}");
    let expiring: Vec<&str> = of_kind(&ent, "listing_expiring")
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        expiring.len(),
        2,
        "the demand and its applications: {expiring:?}"
    );
    assert!(expiring.iter().any(|t| t.contains("截止")), "{expiring:?}");
    let broker = inbox(&app, &w.broker).await;
    let follow = of_kind(&broker, "follow_up_due");
    assert_eq!(follow.len(), 1, "{broker:?}");
    assert_eq!(follow[0]["link"], format!("/api/v1/deals/{deal}"));

    // Reporting and reviewing a milestone.
    let first = milestones[0];
    let r = app
        .post(
            &format!("/api/v1/milestones/{first}/submit"),
            Some(&w.uni),
            &json!({"report": "完成方案设计评审。"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let submitted = wait_for(&app, &w.ent, "milestone_submitted").await;
    assert!(submitted["title"].as_str().unwrap().contains("方案设计"));
    let r = app
        .post(
            &format!("/api/v1/milestones/{first}/review"),
            Some(&w.ent),
            &json!({"decision": "reject", "comment": "缺少检测报告"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reviewed = wait_for(&app, &w.uni, "milestone_reviewed").await;
    assert!(
        reviewed["title"].as_str().unwrap().contains("未通过验收"),
        "{reviewed}"
    );
    // Nobody outside hears anything; nothing is stored twice.
    assert!(inbox(&app, &w.outsider).await.is_empty());
    let uni_id = app.get("/api/v1/me", Some(&w.uni)).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    let keys: Vec<String> = app
        .db
        .read(move |conn| {
            Ok(notifications::table
                .filter(notifications::user_id.eq(uni_id))
                .select(notifications::dedupe_key)
                .load(conn)?)
        })
        .await
        .unwrap();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len());
}

/// Two servers on one PostgreSQL database: the sweep is claimed by one of them each time,
/// and every notice lands once.
#[actix_rt::test]
async fn two_servers_sweep_once() {
    let app = spawn_app_with(|s| s.scheduler_tick_ms = 20).await;
    let Some(second) = app.second_server(|s| s.scheduler_tick_ms = 20).await else {
        return; // SQLite: one process per database; the other sweep tests cover it.
    };
    let w = world(&app).await;
    let d = published(&app, "demands", &w.ent, &w.admin, &demand_body()).await;
    let soon = Utc::now().date_naive() + Duration::days(2);
    app.db
        .write(move |conn| {
            diesel::update(demands::table.find(d))
                .set(demands::valid_until.eq(soon))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    for _ in 0..5 {
        run_sweep(&app).await;
        run_sweep(&second).await;
    }
    let ent = inbox(&second, &w.ent).await;
    assert_eq!(of_kind(&ent, "listing_expiring").len(), 1, "{ent:?}");
    let jobs: i64 = app
        .db
        .read(|conn| {
            Ok(scheduled_jobs::table
                .filter(scheduled_jobs::kind.eq("notify.sweep"))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(jobs, 1);
}

#[actix_rt::test]
async fn settings_are_per_user_and_kind() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let r = app
        .get("/api/v1/me/notification-settings", Some(&w.uni))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let all = r.body["settings"].as_array().unwrap();
    assert!(
        all.len() >= 15 && all.iter().all(|s| s["mode"] == "inbox"),
        "{}",
        r.text
    );
    assert_eq!(r.body["email_available"], false);
    let put = json!({"settings": [{"kind": "deal_opened", "mode": "email"}, {"kind": "deal_moved", "mode": "digest"}]});
    let r = app
        .request(
            awc::http::Method::PUT,
            "/api/v1/me/notification-settings",
            Some(&w.uni),
            Some(&put),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mode = |body: &Value, kind: &str| {
        body["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap()["mode"]
            .clone()
    };
    assert_eq!(mode(&r.body, "deal_opened"), "email");
    assert_eq!(mode(&r.body, "deal_moved"), "digest");
    assert_eq!(mode(&r.body, "contract_awaiting"), "inbox");
    let other = app
        .get("/api/v1/me/notification-settings", Some(&w.colleague))
        .await;
    assert_eq!(mode(&other.body, "deal_opened"), "inbox", "per user");
    for bad in [
        json!({"settings": [{"kind": "nonsense", "mode": "email"}]}),
        json!({"settings": [{"kind": "deal_opened", "mode": "sms"}]}),
        json!({"settings": [{"kind": "deal_opened"}]}),
        json!({}),
    ] {
        app.request(
            awc::http::Method::PUT,
            "/api/v1/me/notification-settings",
            Some(&w.uni),
            Some(&bad),
        )
        .await
        .assert_error(400, "invalid_request_body");
    }
}
