//! Open challenges (揭榜挂帅): applications, decisions, milestones and payouts.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use tt_exchange::db::schema::demands;

use crate::contracts::futures_join;
use crate::helpers::{Account, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

/// A bounty whose shares do not divide evenly: 10,000.01 yuan.
const BOUNTY: i64 = 1_000_001;

fn challenge_body(max_winners: i64) -> Value {
    let mut body = demand_body();
    let apply_by = (Utc::now().date_naive() + Duration::days(30)).to_string();
    body["title"] = json!("揭榜挂帅：龙门加工中心热误差补偿攻关");
    body["challenge"] = json!({
        "bounty_fen": BOUNTY,
        "apply_by": apply_by,
        "criteria": "补偿后热漂移≤8微米，现场验证三个月",
        "max_winners": max_winners
    });
    body
}

struct World {
    admin: String,
    ent: String,
    /// Three verified university orgs: (token, org id).
    unis: Vec<(String, i64)>,
    challenge: i64,
}

async fn world(app: &TestApp, max_winners: i64) -> World {
    let admin = app.admin_token().await;
    let (ent, _) = member(app, Account::enterprise(), true, &admin).await;
    let mut unis = Vec::new();
    for _ in 0..3 {
        unis.push(member(app, Account::university(), true, &admin).await);
    }
    let challenge = published(app, "demands", &ent, &admin, &challenge_body(max_winners)).await;
    World {
        admin,
        ent,
        unis,
        challenge,
    }
}

async fn apply(app: &TestApp, demand: i64, token: &str, body: Value) -> Resp {
    app.post(
        &format!("/api/v1/demands/{demand}/applications"),
        Some(token),
        &body,
    )
    .await
}

fn proposal() -> Value {
    json!({
        "proposal": "采用温度场测点优化与LSTM热误差预测模型，三个月内完成现场补偿验证。",
        "team": [{"name": "张伟", "title": "教授", "role": "负责人"}, {"name": "李娜"}],
        "budget_fen": 80_000_000
    })
}

/// Applies for every university of the world; returns the application ids.
async fn applied(app: &TestApp, w: &World) -> Vec<i64> {
    let mut ids = Vec::new();
    for (token, _) in &w.unis {
        let r = apply(app, w.challenge, token, proposal()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    ids
}

async fn decide(
    app: &TestApp,
    id: i64,
    token: &str,
    decision: &str,
    comment: Option<&str>,
) -> Resp {
    let mut body = json!({ "decision": decision });
    if let Some(c) = comment {
        body["comment"] = json!(c);
    }
    app.post(
        &format!("/api/v1/applications/{id}/decision"),
        Some(token),
        &body,
    )
    .await
}

async fn milestone(app: &TestApp, w: &World, token: &str, body: Value) -> Resp {
    app.post(
        &format!("/api/v1/demands/{}/milestones", w.challenge),
        Some(token),
        &body,
    )
    .await
}

fn plan(title: &str, share_bp: i64, application_id: Option<i64>) -> Value {
    let due = (Utc::now().date_naive() + Duration::days(60)).to_string();
    let mut body = json!({"title": title, "due_on": due, "share_bp": share_bp});
    if let Some(a) = application_id {
        body["application_id"] = json!(a);
    }
    body
}

async fn step(app: &TestApp, milestone: i64, action: &str, token: &str, body: Value) -> Resp {
    app.post(
        &format!("/api/v1/milestones/{milestone}/{action}"),
        Some(token),
        &body,
    )
    .await
}

#[actix_rt::test]
async fn universities_apply_once_per_org_with_their_own_achievements() {
    let app = spawn_app().await;
    let w = world(&app, 1).await;
    let (uni, _) = &w.unis[0];
    let own = published(&app, "achievements", uni, &w.admin, &achievement_body()).await;
    let (other_uni, _) = &w.unis[1];
    let foreign = published(
        &app,
        "achievements",
        other_uni,
        &w.admin,
        &achievement_body(),
    )
    .await;

    // Who may apply.
    apply(&app, w.challenge, &w.ent, proposal())
        .await
        .assert_error(403, "forbidden");
    let (unverified, _) = member(&app, Account::university(), false, &w.admin).await;
    apply(&app, w.challenge, &unverified, proposal())
        .await
        .assert_error(403, "org_not_verified");
    let ordinary = published(&app, "demands", &w.ent, &w.admin, &demand_body()).await;
    apply(&app, ordinary, uni, proposal())
        .await
        .assert_error(422, "not_a_challenge");

    // What an application must hold.
    let mut body = proposal();
    body["proposal"] = json!("  ");
    apply(&app, w.challenge, uni, body)
        .await
        .assert_error(400, "invalid_proposal");
    let mut body = proposal();
    body["budget_fen"] = json!(-1);
    apply(&app, w.challenge, uni, body)
        .await
        .assert_error(400, "invalid_budget");
    let mut body = proposal();
    body["team"] = json!([{"name": ""}]);
    apply(&app, w.challenge, uni, body)
        .await
        .assert_error(400, "invalid_team");
    let mut body = proposal();
    body["achievement_id"] = json!(foreign);
    apply(&app, w.challenge, uni, body)
        .await
        .assert_error(422, "reference_not_found");
    let mut body = proposal();
    body["bounty_fen"] = json!(1);
    apply(&app, w.challenge, uni, body)
        .await
        .assert_error(400, "invalid_request_body");

    let mut body = proposal();
    body["achievement_id"] = json!(own);
    let r = apply(&app, w.challenge, uni, body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "submitted");
    assert_eq!(r.body["achievement_id"], own);
    assert_eq!(r.body["team"][0]["title"], "教授");
    assert_eq!(r.body["budget_fen"], 80_000_000);
    let first = r.body["id"].as_i64().unwrap();

    // One application per org.
    let r = apply(&app, w.challenge, uni, body).await;
    r.assert_error(409, "application_exists");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains(&first.to_string())
    );

    // The audit trail has it.
    let r = app
        .get(
            &format!("/api/v1/audit?entity=application&entity_id={first}"),
            Some(&w.admin),
        )
        .await;
    assert_eq!(
        r.body["items"][0]["action"], "challenge.apply",
        "{}",
        r.text
    );
}

#[actix_rt::test]
async fn applications_close_after_apply_by_and_drafts_take_none() {
    let app = spawn_app().await;
    let w = world(&app, 1).await;
    let (uni, _) = &w.unis[0];

    // The last day itself is still open.
    let today = Utc::now().date_naive();
    let id = w.challenge;
    let set_apply_by = |date: chrono::NaiveDate| {
        app.db.write(move |conn| {
            diesel::update(demands::table.find(id))
                .set(demands::challenge_apply_by.eq(Some(date)))
                .execute(conn)?;
            Ok(())
        })
    };
    set_apply_by(today).await.unwrap();
    assert_eq!(apply(&app, w.challenge, uni, proposal()).await.status, 201);

    set_apply_by(today - Duration::days(1)).await.unwrap();
    let (late, _) = &w.unis[1];
    let r = apply(&app, w.challenge, late, proposal()).await;
    r.assert_error(422, "applications_closed");
    let board = app.get(&format!("/api/v1/demands/{id}"), None).await;
    assert_eq!(
        board.body["challenge_progress"]["accepting_applications"],
        false
    );
    assert_eq!(board.body["challenge_progress"]["applications"], 1);

    // A challenge still in draft is not there for outsiders; a closed one takes none.
    let r = app
        .post("/api/v1/demands", Some(&w.ent), &challenge_body(1))
        .await;
    let draft = r.body["id"].as_i64().unwrap();
    apply(&app, draft, late, proposal())
        .await
        .assert_error(404, "not_found");
    let closed = published(&app, "demands", &w.ent, &w.admin, &challenge_body(1)).await;
    let r = app
        .post(
            &format!("/api/v1/demands/{closed}/close"),
            Some(&w.ent),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    apply(&app, closed, late, proposal())
        .await
        .assert_error(404, "not_found");
}

#[actix_rt::test]
async fn the_owner_sees_every_application_and_applicants_their_own() {
    let app = spawn_app().await;
    let w = world(&app, 1).await;
    let ids = applied(&app, &w).await;
    let path = format!("/api/v1/demands/{}/applications", w.challenge);

    let r = app.get(&path, Some(&w.ent)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 3);
    let r = app.get(&path, Some(&w.admin)).await;
    assert_eq!(r.body["total"], 3);
    let r = app.get(&path, Some(&w.unis[1].0)).await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], ids[1]);
    assert_eq!(r.body["items"][0]["proposal"], proposal()["proposal"]);
    let (broker, _) = member(&app, Account::broker(), true, &w.admin).await;
    assert_eq!(app.get(&path, Some(&broker)).await.body["total"], 0);
    app.get(&path, None)
        .await
        .assert_error(401, "missing_authorization");

    assert_eq!(
        decide(&app, ids[0], &w.ent, "shortlist", None).await.status,
        200
    );
    let r = app
        .get(&format!("{path}?status=shortlisted"), Some(&w.ent))
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["id"], ids[0]);
    app.get(&format!("{path}?status=won"), Some(&w.ent))
        .await
        .assert_error(400, "invalid_status");
}

#[actix_rt::test]
async fn decisions_move_forward_and_never_exceed_max_winners() {
    let app = spawn_app().await;
    let w = world(&app, 2).await;
    let ids = applied(&app, &w).await;

    // Who may decide: the challenge's enterprise and admins.
    decide(&app, ids[0], &w.unis[0].0, "select", None)
        .await
        .assert_error(403, "forbidden");
    let (stranger, _) = member(&app, Account::enterprise(), true, &w.admin).await;
    decide(&app, ids[0], &stranger, "select", None)
        .await
        .assert_error(404, "not_found");
    decide(&app, ids[0], &w.ent, "approve", None)
        .await
        .assert_error(400, "invalid_decision");
    decide(&app, ids[0], &w.ent, "reject", None)
        .await
        .assert_error(400, "comment_required");

    let r = decide(&app, ids[0], &w.ent, "select", Some("方案最完整")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "selected");
    assert_eq!(r.body["decision_comment"], "方案最完整");
    let r = decide(&app, ids[1], &w.admin, "shortlist", None).await;
    assert_eq!(r.body["status"], "shortlisted", "{}", r.text);
    assert_eq!(
        decide(&app, ids[1], &w.ent, "select", None).await.status,
        200
    );

    // A horse race of two: the third cannot be selected, but can be rejected.
    decide(&app, ids[2], &w.ent, "select", None)
        .await
        .assert_error(422, "winner_limit_reached");
    let r = decide(&app, ids[2], &w.ent, "reject", Some("指标未达要求")).await;
    assert_eq!(r.body["status"], "rejected", "{}", r.text);

    // Final decisions stay final.
    decide(&app, ids[2], &w.ent, "shortlist", None)
        .await
        .assert_error(409, "invalid_transition");
    decide(&app, ids[0], &w.ent, "reject", Some("改主意"))
        .await
        .assert_error(409, "invalid_transition");

    let board = app
        .get(&format!("/api/v1/demands/{}", w.challenge), None)
        .await;
    let winners: Vec<i64> = board.body["challenge_progress"]["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["application_id"].as_i64().unwrap())
        .collect();
    assert_eq!(winners, vec![ids[0], ids[1]]);

    let r = app
        .get("/api/v1/audit?action=challenge.decide", Some(&w.admin))
        .await;
    assert_eq!(r.body["total"], 4, "{}", r.text);
}

#[actix_rt::test]
async fn concurrent_selections_respect_the_winner_limit() {
    let app = spawn_app().await;
    let w = world(&app, 1).await;
    let ids = applied(&app, &w).await;
    let (a, (b, c)) = futures_join(
        decide(&app, ids[0], &w.ent, "select", None),
        futures_join(
            decide(&app, ids[1], &w.ent, "select", None),
            decide(&app, ids[2], &w.admin, "select", None),
        ),
    )
    .await;
    let statuses = [a.status, b.status, c.status];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        2,
        "{statuses:?}"
    );
    let r = app
        .get(
            &format!(
                "/api/v1/demands/{}/applications?status=selected",
                w.challenge
            ),
            Some(&w.ent),
        )
        .await;
    assert_eq!(r.body["total"], 1);
}

#[actix_rt::test]
async fn milestones_pay_the_bounty_exactly_and_resubmit_after_rejection() {
    let app = spawn_app().await;
    let w = world(&app, 2).await;
    let ids = applied(&app, &w).await;

    // No winner yet.
    milestone(&app, &w, &w.ent, plan("中期验证", 5000, None))
        .await
        .assert_error(422, "not_a_winner");
    for id in &ids[..2] {
        assert_eq!(decide(&app, *id, &w.ent, "select", None).await.status, 200);
    }

    // Two winners: say which; only winners; who plans.
    milestone(&app, &w, &w.ent, plan("中期验证", 5000, None))
        .await
        .assert_error(422, "application_required");
    milestone(&app, &w, &w.ent, plan("中期验证", 5000, Some(ids[2])))
        .await
        .assert_error(422, "not_a_winner");
    milestone(&app, &w, &w.unis[0].0, plan("中期验证", 5000, Some(ids[0])))
        .await
        .assert_error(403, "forbidden");
    milestone(&app, &w, &w.ent, plan("中期验证", 0, Some(ids[0])))
        .await
        .assert_error(400, "invalid_milestone");
    milestone(&app, &w, &w.ent, plan("中期验证", 10_001, Some(ids[0])))
        .await
        .assert_error(400, "invalid_milestone");
    let mut past = plan("中期验证", 100, Some(ids[0]));
    past["due_on"] = json!((Utc::now().date_naive() - Duration::days(1)).to_string());
    milestone(&app, &w, &w.ent, past)
        .await
        .assert_error(400, "invalid_milestone");

    // Shares of one winner stay within 10,000 bp; amounts are exact and add up.
    let mut first = Vec::new();
    for (title, bp) in [("方案设计", 3333), ("样机试制", 3333)] {
        let r = milestone(&app, &w, &w.ent, plan(title, bp, Some(ids[0]))).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["status"], "pending");
        first.push(r.body["id"].as_i64().unwrap());
    }
    let r = milestone(&app, &w, &w.ent, plan("现场验收", 3335, Some(ids[0]))).await;
    r.assert_error(422, "share_limit_exceeded");
    assert!(
        r.body["message"].as_str().unwrap().contains("3334"),
        "{}",
        r.text
    );
    let r = milestone(&app, &w, &w.admin, plan("现场验收", 3334, Some(ids[0]))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    first.push(r.body["id"].as_i64().unwrap());
    let r = milestone(&app, &w, &w.ent, plan("全部交付", 10_000, Some(ids[1]))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["amount_fen"], BOUNTY);
    let second = r.body["id"].as_i64().unwrap();

    // Who reports: only the winner.
    let report = json!({"report": "完成方案设计评审，附测试报告。"});
    step(&app, first[0], "submit", &w.ent, report.clone())
        .await
        .assert_error(403, "forbidden");
    step(&app, first[0], "submit", &w.unis[1].0, report.clone())
        .await
        .assert_error(404, "not_found");
    step(
        &app,
        first[0],
        "submit",
        &w.unis[0].0,
        json!({"report": ""}),
    )
    .await
    .assert_error(400, "invalid_report");
    step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "accept"}),
    )
    .await
    .assert_error(409, "invalid_transition");
    let r = step(&app, first[0], "submit", &w.unis[0].0, report.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "submitted");
    assert_eq!(r.body["submissions"], 1);
    step(&app, first[0], "submit", &w.unis[0].0, report.clone())
        .await
        .assert_error(409, "invalid_transition");

    // Who reviews: the challenge's enterprise or an admin; a rejection needs a comment
    // and can be answered with a new submission.
    step(
        &app,
        first[0],
        "review",
        &w.unis[0].0,
        json!({"decision": "accept"}),
    )
    .await
    .assert_error(403, "forbidden");
    step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "reject"}),
    )
    .await
    .assert_error(400, "comment_required");
    step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(400, "invalid_decision");
    let r = step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "reject", "comment": "缺少第三方检测报告"}),
    )
    .await;
    assert_eq!(r.body["status"], "rejected", "{}", r.text);
    assert_eq!(r.body["review_comment"], "缺少第三方检测报告");
    step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "accept"}),
    )
    .await
    .assert_error(409, "invalid_transition");
    let r = step(&app, first[0], "submit", &w.unis[0].0, report.clone()).await;
    assert_eq!(r.body["status"], "submitted", "{}", r.text);
    assert_eq!(r.body["submissions"], 2);
    let r = step(
        &app,
        first[0],
        "review",
        &w.ent,
        json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(r.body["status"], "accepted", "{}", r.text);
    step(&app, first[0], "submit", &w.unis[0].0, report.clone())
        .await
        .assert_error(409, "invalid_transition");

    // Second milestone of the first winner accepted by an admin; the other winner's only
    // milestone waits.
    assert_eq!(
        step(&app, first[1], "submit", &w.unis[0].0, report.clone())
            .await
            .status,
        200
    );
    let r = step(
        &app,
        first[1],
        "review",
        &w.admin,
        json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        step(&app, second, "submit", &w.unis[1].0, report.clone())
            .await
            .status,
        200
    );

    // 1,000,001 fen × 33.33 % = 333,300.33 → 333,300; twice → 666,600.66 → 666,600; the last
    // milestone takes the rest, 333,401.
    let amounts: Vec<i64> = {
        let r = app
            .get(&format!("/api/v1/demands/{}", w.challenge), Some(&w.ent))
            .await;
        r.body["challenge_progress"]["winners"][0]["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["amount_fen"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(amounts, vec![333_300, 333_300, 333_401]);
    assert_eq!(amounts.iter().sum::<i64>(), BOUNTY);

    let board = app
        .get(&format!("/api/v1/demands/{}", w.challenge), None)
        .await;
    let p = &board.body["challenge_progress"];
    assert_eq!(p["applications"], 3, "{}", board.text);
    assert_eq!(p["accepting_applications"], true);
    let winner = &p["winners"][0];
    assert_eq!(winner["application_id"], ids[0]);
    assert_eq!(winner["planned_bp"], 10_000);
    assert_eq!(winner["accepted_bp"], 6666);
    assert_eq!(winner["paid_fen"], 666_600);
    assert_eq!(winner["remaining_fen"], BOUNTY - 666_600);
    let statuses: Vec<&str> = winner["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["accepted", "accepted", "pending"]);
    assert_eq!(p["winners"][1]["paid_fen"], 0);
    assert_eq!(p["winners"][1]["milestones"][0]["status"], "submitted");
    assert_eq!(p["paid_fen"], 666_600);
    assert_eq!(p["remaining_fen"], 2 * BOUNTY - 666_600);
    // Reports are for the parties only.
    assert!(
        winner["milestones"][0].get("report").is_none(),
        "{}",
        board.text
    );
    let own = app
        .get(
            &format!("/api/v1/demands/{}", w.challenge),
            Some(&w.unis[0].0),
        )
        .await;
    let m = &own.body["challenge_progress"]["winners"][0]["milestones"][0];
    assert_eq!(m["report"], report["report"]);
    // The comment is the last review's; the accepting review had none.
    assert!(m.get("review_comment").is_none(), "{}", own.text);
    let other = &own.body["challenge_progress"]["winners"][1]["milestones"][0];
    assert!(other.get("report").is_none(), "{}", own.text);

    let r = app
        .get("/api/v1/audit?entity=milestone", Some(&w.admin))
        .await;
    let mut actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    actions.dedup();
    assert_eq!(
        actions,
        vec!["milestone.create", "milestone.review", "milestone.submit"]
    );
}

#[actix_rt::test]
async fn achievement_matches_mark_open_challenges() {
    let app = spawn_app().await;
    let w = world(&app, 1).await;
    let (uni, _) = &w.unis[0];
    let achievement = published(&app, "achievements", uni, &w.admin, &achievement_body()).await;
    let ordinary = published(&app, "demands", &w.ent, &w.admin, &demand_body()).await;
    app.sync_search().await;
    let r = app
        .get(
            &format!("/api/v1/achievements/{achievement}/matches"),
            Some(uni),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    let find = |id: i64| {
        items
            .iter()
            .find(|i| i["demand"]["id"] == id)
            .unwrap_or_else(|| panic!("demand {id} among the matches: {}", r.text))
    };
    let c = find(w.challenge);
    assert_eq!(c["challenge"]["bounty_fen"], BOUNTY);
    assert_eq!(c["challenge"]["accepting_applications"], true);
    let apply_by = (Utc::now().date_naive() + Duration::days(30)).to_string();
    assert_eq!(c["challenge"]["apply_by"], apply_by);
    assert!(
        c["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "open_challenge"
                && r["detail"].as_str().unwrap().contains("悬赏1万元")),
        "{}",
        r.text
    );
    let o = find(ordinary);
    assert!(o["challenge"].is_null());
    assert!(
        !o["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "open_challenge")
    );
}
