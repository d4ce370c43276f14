//! Technology contracts: recorded by one party (validated, idempotent), confirmed by the
//! other, amended only with the other party's consent, registered by the registry with a
//! number it assigns; what a confirmed contract does to its deal, achievement and pool
//! entry; and who may act at all (verified orgs only).

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

pub struct Parties {
    pub admin: String,
    pub uni: String,
    pub uni_org: i64,
    pub ent: String,
    pub ent_org: i64,
    pub outsider: String,
}

pub async fn parties(app: &TestApp) -> Parties {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(
        app,
        Account::university().org("西安电子科技大学", "university", "610100"),
        true,
        &admin,
    )
    .await;
    let (ent, ent_org) = member(
        app,
        Account::enterprise().org("宝鸡钛诺新材料有限公司", "enterprise", "610300"),
        true,
        &admin,
    )
    .await;
    let (outsider, _) = member(app, Account::enterprise(), true, &admin).await;
    Parties {
        admin,
        uni,
        uni_org,
        ent,
        ent_org,
        outsider,
    }
}

pub fn body(p: &Parties) -> Value {
    json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": p.uni_org, "buyer_org_id": p.ent_org,
        "signed_on": "2026-03-15", "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value, key: Option<&str>) -> Resp {
    let mut req = app
        .client
        .post(format!("{}/api/v1/contracts", app.address))
        .insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(k) = key {
        req = req.insert_header(("Idempotency-Key", k));
    }
    let mut res = req.send_json(body).await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.body().await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn id_of(r: &Resp) -> i64 {
    assert!(r.status < 300, "{}", r.text);
    r.body["id"].as_i64().expect("id")
}

async fn turnover(app: &TestApp, admin: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/stats/turnover?{query}"), Some(admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["total"].clone()
}

#[actix_rt::test]
async fn a_party_records_a_contract_that_awaits_the_other_party() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let r = create(&app, &p.ent, &body(&p), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["seller_region"], "610100");
    assert_eq!(r.body["buyer_region"], "610300");
    assert_eq!(r.body["seller_kind"], "university");
    assert_eq!(r.body["consent"], "awaiting_seller");
    assert!(r.body["buyer_confirmation"]["user_id"].is_i64());
    assert_eq!(r.body["seller_confirmation"], Value::Null);
    assert_eq!(r.body["registration_status"], "not_submitted");
    assert_eq!(r.body["registration_no"], Value::Null);
    assert_eq!(r.body["jurisdiction"], "local");
    assert_eq!(r.body["counted"]["status"], "none");
    let id = id_of(&r);
    app.create_user_directly("tj@qcy.example.cn", "statistician", None)
        .await;
    let statistician = app.token("tj@qcy.example.cn").await;
    for token in [&p.uni, &p.ent, &p.admin, &statistician] {
        let r = app
            .get(&format!("/api/v1/contracts/{id}"), Some(token))
            .await;
        assert_eq!(r.status, 200);
    }
    app.get(&format!("/api/v1/contracts/{id}"), Some(&p.outsider))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/api/v1/contracts", Some(&p.outsider)).await.body["total"],
        0
    );
    // What waits for whom.
    let mine = |t: String| {
        let app = &app;
        async move {
            app.get("/api/v1/contracts?consent=awaiting_me", Some(&t))
                .await
                .body["total"]
                .as_i64()
        }
    };
    assert_eq!(mine(p.uni.clone()).await, Some(1));
    assert_eq!(mine(p.ent.clone()).await, Some(0));
    app.get("/api/v1/contracts?consent=maybe", Some(&p.uni))
        .await
        .assert_error(400, "invalid_query");
    // Statisticians read, they do not record; outsiders neither.
    create(&app, &statistician, &body(&p), None)
        .await
        .assert_error(403, "forbidden");
    create(&app, &p.outsider, &body(&p), None)
        .await
        .assert_error(403, "forbidden");
    // The recorder no longer types the registration number.
    let mut typed = body(&p);
    typed["registration_no"] = json!("61010020260001");
    create(&app, &p.ent, &typed, None)
        .await
        .assert_error(400, "invalid_request_body");
}

#[actix_rt::test]
async fn confirmation_and_decline_are_the_other_partys_and_final() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let id = id_of(&create(&app, &p.ent, &body(&p), None).await);
    let confirm = format!("/api/v1/contracts/{id}/confirm");
    // The recorder's side has confirmed already; strangers see nothing; staff do not
    // confirm for a party.
    app.post(&confirm, Some(&p.ent), &json!({}))
        .await
        .assert_error(409, "consent_settled");
    app.post(&confirm, Some(&p.outsider), &json!({}))
        .await
        .assert_error(404, "not_found");
    app.post(&confirm, Some(&p.admin), &json!({}))
        .await
        .assert_error(403, "forbidden");
    let r = app.post(&confirm, Some(&p.uni), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["consent"], "confirmed");
    assert_eq!(r.body["counted"]["status"], "confirmed");
    app.post(&confirm, Some(&p.uni), &json!({}))
        .await
        .assert_error(409, "consent_settled");

    // A second contract, declined by the seller: final, never counted.
    let other = id_of(&create(&app, &p.ent, &body(&p), None).await);
    let decline = format!("/api/v1/contracts/{other}/decline");
    app.post(&decline, Some(&p.uni), &json!({"reason": ""}))
        .await
        .assert_error(400, "reason_required");
    let r = app
        .post(&decline, Some(&p.uni), &json!({"reason": "金额与约定不符"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["consent"], "declined");
    assert_eq!(r.body["declined"]["reason"], "金额与约定不符");
    app.post(
        &format!("/api/v1/contracts/{other}/confirm"),
        Some(&p.uni),
        &json!({}),
    )
    .await
    .assert_error(409, "consent_settled");
    let total = turnover(&app, &p.admin, "include_unregistered=true").await;
    assert_eq!(total["contracts"], 1, "the confirmed one only");
    assert_eq!(total["amount_fen"], 1_200_000_000i64);
    let audit = app
        .get(
            &format!("/api/v1/audit?entity=contract&entity_id={id}"),
            Some(&p.admin),
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["contract.confirm", "contract.create"]);
}

/// The first problem of the issue: a stranger's account asserted a contract for a
/// university's achievement and took it off the market.
#[actix_rt::test]
async fn a_stranger_contract_changes_nothing_until_the_seller_confirms() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let achievement = published(&app, "achievements", &p.uni, &p.admin, &achievement_body()).await;
    app.request(
        Method::PUT,
        &format!("/api/v1/pool/2026/entries/{achievement}"),
        Some(&p.admin),
        Some(&json!({"key_project": true})),
    )
    .await;
    let mut b = body(&p);
    b["kind"] = json!("transfer");
    b["sub_kind"] = json!("patent");
    b["achievement_id"] = json!(achievement);
    b["amount_fen"] = json!(1_000_000_000_000_000i64);
    // A freshly registered, unverified enterprise may not record at all.
    let (stranger, stranger_org) = member(&app, Account::enterprise(), false, &p.admin).await;
    let mut from_stranger = b.clone();
    from_stranger["buyer_org_id"] = json!(stranger_org);
    from_stranger["amount_fen"] = json!(1_000_000_000i64);
    create(&app, &stranger, &from_stranger, None)
        .await
        .assert_error(403, "org_not_verified");
    // A verified buyer: the amount is bounded, and the record waits for the seller.
    create(&app, &p.ent, &b, None)
        .await
        .assert_error(422, "invalid_amounts");
    b["amount_fen"] = json!(10_000_000_000_000i64);
    let r = create(&app, &p.ent, &b, None).await;
    assert_eq!(r.body["consent"], "awaiting_seller", "{}", r.text);
    let id = id_of(&r);
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), None)
        .await;
    assert_eq!(a.status, 200, "still on the market: {}", a.text);
    assert_eq!(a.body["status"], "published");
    let pool = app.get("/api/v1/pool/2026", None).await;
    assert_eq!(pool.body["items"][0]["converted"], false);
    assert_eq!(
        turnover(&app, &p.admin, "include_unregistered=true").await["contracts"],
        0
    );
    // The seller confirms: now it is a contract.
    app.confirm_contract(id, &[&p.uni]).await;
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), Some(&p.uni))
        .await;
    assert_eq!(a.body["status"], "transferred");
    let pool = app.get("/api/v1/pool/2026", None).await;
    assert_eq!(pool.body["items"][0]["converted"], true);
    let total = turnover(&app, &p.admin, "include_unregistered=true").await;
    assert_eq!(total["amount_fen"], 10_000_000_000_000i64);
    assert_eq!(
        turnover(&app, &p.admin, "").await["contracts"],
        0,
        "registered contracts only by default"
    );
}

#[actix_rt::test]
async fn links_must_be_the_parties_own_and_on_the_market() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let achievement = published(&app, "achievements", &p.uni, &p.admin, &achievement_body()).await;
    let (other_uni, _) = member(&app, Account::university(), true, &p.admin).await;
    let foreign = published(
        &app,
        "achievements",
        &other_uni,
        &p.admin,
        &achievement_body(),
    )
    .await;
    let draft = app
        .post("/api/v1/achievements", Some(&p.uni), &achievement_body())
        .await
        .body["id"]
        .clone();
    for (link, code) in [
        (json!(foreign), "not_linkable"),
        (draft, "not_linkable"),
        (json!(999_999), "reference_not_found"),
    ] {
        let mut b = body(&p);
        b["achievement_id"] = link;
        create(&app, &p.ent, &b, None).await.assert_error(422, code);
    }
    let mut b = body(&p);
    b["achievement_id"] = json!(achievement);
    b.as_object_mut().unwrap().remove("chain");
    let r = create(&app, &p.ent, &b, None).await;
    assert_eq!(
        r.body["chain"], "machine_tools",
        "from the achievement: {}",
        r.text
    );
}

#[actix_rt::test]
async fn contract_fields_are_validated() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("kind", json!("gift"), 400, "invalid_contract_kind"),
        ("sub_kind", json!("exclusive"), 400, "invalid_contract_kind"),
        ("sub_kind", json!(null), 400, "invalid_contract_kind"),
        ("amount_fen", json!(1.5), 400, "invalid_request_body"),
        ("amount_fen", json!("100"), 400, "invalid_request_body"),
        ("amount_fen", json!(-1), 422, "invalid_amounts"),
        (
            "amount_fen",
            json!(10_000_000_000_001i64),
            422,
            "invalid_amounts",
        ),
        (
            "tech_amount_fen",
            json!(1_300_000_000i64),
            422,
            "invalid_amounts",
        ),
        ("tech_amount_fen", json!(-5), 422, "invalid_amounts"),
        ("buyer_org_id", json!(null), 400, "invalid_request_body"),
        ("signed_on", json!("2099-01-01"), 422, "invalid_signed_on"),
        ("chain", json!("steam"), 400, "invalid_chain"),
        ("chain", json!(null), 400, "invalid_chain"),
        ("seller_region", json!("999999"), 400, "invalid_region"),
    ];
    for (field, value, status, code) in cases {
        let mut b = body(&p);
        b[field] = value;
        let r = create(&app, &p.uni, &b, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str().unwrap_or_default()),
            (status, code),
            "{field}: {}",
            r.text
        );
    }
    let mut same = body(&p);
    same["buyer_org_id"] = json!(p.uni_org);
    create(&app, &p.uni, &same, None)
        .await
        .assert_error(422, "same_parties");
    let overflow = body(&p)
        .to_string()
        .replace("1200000000", "99999999999999999999999");
    let r = app
        .raw(
            Method::POST,
            "/api/v1/contracts",
            Some(&p.uni),
            Some("application/json"),
            overflow.into_bytes(),
        )
        .await;
    r.assert_error(400, "invalid_request_body");
    let mut consulting = body(&p);
    consulting["kind"] = json!("consulting");
    consulting["sub_kind"] = Value::Null;
    assert_eq!(create(&app, &p.uni, &consulting, None).await.status, 201);
    assert_eq!(
        app.get("/api/v1/contracts", Some(&p.admin)).await.body["total"],
        1,
        "nothing else was stored"
    );
}

#[actix_rt::test]
async fn an_idempotency_key_makes_retries_safe_even_concurrently() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let b = body(&p);
    let first = create(&app, &p.ent, &b, Some("retry-me-1")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = create(&app, &p.ent, &b, Some("retry-me-1")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let mut other = b.clone();
    other["amount_fen"] = json!(1_500_000_000i64);
    create(&app, &p.ent, &other, Some("retry-me-1"))
        .await
        .assert_error(422, "idempotency_key_reused");

    // Two identical requests at the same moment: one contract.
    let (x, y) = futures_join(
        create(&app, &p.ent, &b, Some("race-1")),
        create(&app, &p.ent, &b, Some("race-1")),
    )
    .await;
    assert_eq!((x.status, y.status), (201, 201), "{} / {}", x.text, y.text);
    assert_eq!(x.body["id"], y.body["id"]);
    assert_eq!(
        app.get("/api/v1/contracts", Some(&p.admin)).await.body["total"],
        2
    );
}

/// Polls two futures concurrently on the test's thread.
pub async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let a = std::pin::pin!(a);
    let b = std::pin::pin!(b);
    let (mut a, mut b) = (Some(a), Some(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if let Some(f) = a.as_mut()
            && let std::task::Poll::Ready(v) = f.as_mut().poll(cx)
        {
            ra = Some(v);
            a = None;
        }
        if let Some(f) = b.as_mut()
            && let std::task::Poll::Ready(v) = f.as_mut().poll(cx)
        {
            rb = Some(v);
            b = None;
        }
        if a.is_none() && b.is_none() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.expect("a"), rb.expect("b"))
}

#[actix_rt::test]
async fn a_brokers_contract_awaits_both_and_signs_its_deal_once_confirmed() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let (broker, _) = member(&app, Account::broker(), true, &p.admin).await;
    let achievement = published(&app, "achievements", &p.uni, &p.admin, &achievement_body()).await;
    let demand = published(&app, "demands", &p.ent, &p.admin, &demand_body()).await;
    app.sync_search().await;
    let deal = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": demand, "achievement_id": achievement}),
        )
        .await;
    let deal_id = id_of(&deal);
    let mut b = body(&p);
    b["kind"] = json!("licensing");
    b["sub_kind"] = json!("ordinary");
    b["deal_id"] = json!(deal_id);
    b.as_object_mut().unwrap().remove("chain");
    b.as_object_mut().unwrap().remove("field");
    let r = create(&app, &broker, &b, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["consent"], "awaiting_both");
    assert_eq!(r.body["achievement_id"], achievement, "taken from the deal");
    assert!(r.body["broker_id"].is_i64());
    let id = id_of(&r);
    let path = format!("/api/v1/deals/{deal_id}");
    let tok = broker.clone();
    assert_eq!(
        app.get(&path, Some(&tok)).await.body["stage"],
        "recommended"
    );
    let after_one = app.confirm_contract(id, &[&p.uni]).await;
    assert_eq!(after_one["consent"], "awaiting_buyer");
    assert_eq!(
        app.get(&path, Some(&tok)).await.body["stage"],
        "recommended"
    );
    app.confirm_contract(id, &[&p.ent]).await;
    let d = app.get(&path, Some(&tok)).await;
    assert_eq!(d.body["stage"], "signed");
    // A licence converts the achievement without taking it off the market.
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), None)
        .await;
    assert_eq!(a.body["status"], "published");
    // A closed deal cannot carry another contract.
    let r = create(&app, &broker, &b, None).await;
    r.assert_error(422, "not_linkable");
}

#[actix_rt::test]
async fn registration_is_applied_for_by_the_seller_and_numbered_by_the_registry() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let c = app
        .confirmed_contract(&p.ent, &body(&p), &p.uni, &p.ent)
        .await;
    let id = c["id"].as_i64().unwrap();
    app.with_contract_text(id, &p.uni).await;
    let request = format!("/api/v1/contracts/{id}/registration-request");
    let decide = format!("/api/v1/contracts/{id}/registration");
    app.post(&request, Some(&p.ent), &json!({}))
        .await
        .assert_error(403, "forbidden");
    app.post(
        &decide,
        Some(&p.admin),
        &json!({"status": "registered", "verified_tech_amount_fen": 1}),
    )
    .await
    .assert_error(409, "invalid_transition");
    // Unconfirmed contracts are not registered.
    let pending = id_of(&create(&app, &p.ent, &body(&p), None).await);
    app.post(
        &format!("/api/v1/contracts/{pending}/registration-request"),
        Some(&p.uni),
        &json!({}),
    )
    .await
    .assert_error(422, "not_confirmed");
    let r = app.post(&request, Some(&p.uni), &json!({})).await;
    assert_eq!(r.body["registration_status"], "submitted", "{}", r.text);
    app.post(&request, Some(&p.uni), &json!({}))
        .await
        .assert_error(409, "invalid_transition");
    app.post(&decide, Some(&p.ent), &json!({"status": "registered"}))
        .await
        .assert_error(403, "forbidden");
    app.post(&decide, Some(&p.admin), &json!({"status": "approved"}))
        .await
        .assert_error(400, "invalid_request_body");
    for verified in [json!(null), json!(1_000_000_001i64), json!(-1)] {
        app.post(
            &decide,
            Some(&p.admin),
            &json!({"status": "registered", "verified_tech_amount_fen": verified}),
        )
        .await
        .assert_error(422, "invalid_verified_amount");
    }
    // The registry verifies a lower technology amount (equipment is not technology).
    let r = app
        .post(
            &decide,
            Some(&p.admin),
            &json!({"status": "registered", "verified_tech_amount_fen": 800_000_000i64,
                    "comment": "符合技术合同认定规则", "registered_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["registration_status"], "registered");
    assert_eq!(r.body["registration_no"], "2026610100000001");
    assert_eq!(r.body["verified_tech_amount_fen"], 800_000_000i64);
    assert_eq!(r.body["counted"]["status"], "registered");
    let total = turnover(&app, &p.admin, "").await;
    assert_eq!(total["contracts"], 1);
    assert_eq!(total["amount_fen"], 1_200_000_000i64);
    assert_eq!(
        total["tech_amount_fen"], 800_000_000i64,
        "the verified figure"
    );
    let by_quarter = turnover(
        &app,
        &p.admin,
        "group_by=quarter&from=2026-01-01&to=2026-12-31",
    )
    .await;
    assert_eq!(
        by_quarter["tech_amount_fen"], 800_000_000i64,
        "rollups agree"
    );
    app.post(
        &decide,
        Some(&p.admin),
        &json!({"status": "not_registered", "comment": "x"}),
    )
    .await
    .assert_error(409, "invalid_transition");
    // A refusal needs a comment for the parties.
    app.post(
        &format!("/api/v1/contracts/{pending}/confirm"),
        Some(&p.uni),
        &json!({}),
    )
    .await;
    app.with_contract_text(pending, &p.uni).await;
    app.post(
        &format!("/api/v1/contracts/{pending}/registration-request"),
        Some(&p.uni),
        &json!({}),
    )
    .await;
    let refuse = format!("/api/v1/contracts/{pending}/registration");
    app.post(
        &refuse,
        Some(&p.admin),
        &json!({"status": "not_registered"}),
    )
    .await
    .assert_error(400, "comment_required");
    let r = app
        .post(
            &refuse,
            Some(&p.admin),
            &json!({"status": "not_registered", "comment": "属于设备采购，不属于技术合同"}),
        )
        .await;
    assert_eq!(
        r.body["registration_status"], "not_registered",
        "{}",
        r.text
    );
    assert_eq!(r.body["registration_no"], Value::Null);
}

#[actix_rt::test]
async fn sellers_outside_the_jurisdiction_are_absorbed_not_registered_here() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let (outer, outer_org) = member(
        &app,
        Account::university().org("北京某大学", "university", "other_province"),
        true,
        &p.admin,
    )
    .await;
    let mut b = body(&p);
    b["seller_org_id"] = json!(outer_org);
    let c = app.confirmed_contract(&p.ent, &b, &outer, &p.ent).await;
    assert_eq!(c["jurisdiction"], "absorbed");
    let id = c["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/contracts/{id}/registration-request"),
        Some(&outer),
        &json!({}),
    )
    .await
    .assert_error(422, "outside_jurisdiction");
    let total = turnover(
        &app,
        &p.admin,
        "include_unregistered=true&group_by=buyer_region",
    )
    .await;
    assert_eq!(
        total["contracts"], 1,
        "counted as absorbed by the buyer's region"
    );
}

#[actix_rt::test]
async fn concurrent_registrations_get_consecutive_numbers() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let c = app
            .confirmed_contract(&p.ent, &body(&p), &p.uni, &p.ent)
            .await;
        let id = c["id"].as_i64().unwrap();
        app.with_contract_text(id, &p.uni).await;
        let r = app
            .post(
                &format!("/api/v1/contracts/{id}/registration-request"),
                Some(&p.uni),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.push(id);
    }
    let register = |id: i64| {
        let app = &app;
        let admin = p.admin.clone();
        async move {
            app.post(
                &format!("/api/v1/contracts/{id}/registration"),
                Some(&admin),
                &json!({"status": "registered", "verified_tech_amount_fen": 1, "registered_on": "2026-05-06"}),
            )
            .await
        }
    };
    let ((a, b), (c, d)) = futures_join(
        futures_join(register(ids[0]), register(ids[1])),
        futures_join(register(ids[2]), register(ids[3])),
    )
    .await;
    let mut numbers: Vec<String> = [a, b, c, d]
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["registration_no"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        [
            "2026610100000001",
            "2026610100000002",
            "2026610100000003",
            "2026610100000004"
        ]
    );
}

#[actix_rt::test]
async fn amendments_need_the_other_party_and_go_back_to_the_registry() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let pending = id_of(&create(&app, &p.ent, &body(&p), None).await);
    let change = json!({"amount_delta_fen": -200_000_000i64, "tech_amount_delta_fen": -100_000_000i64, "reason": "合同变更：减少一项服务"});
    app.post(
        &format!("/api/v1/contracts/{pending}/amendments"),
        Some(&p.ent),
        &change,
    )
    .await
    .assert_error(422, "not_confirmed");
    let c = app
        .confirmed_contract(&p.ent, &body(&p), &p.uni, &p.ent)
        .await;
    let id = c["id"].as_i64().unwrap();
    let r = app
        .register_contract(id, &p.uni, &p.admin, Some(900_000_000), Some("2026-04-01"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let number = r.body["registration_no"].clone();
    let path = format!("/api/v1/contracts/{id}/amendments");
    let r = app.post(&path, Some(&p.uni), &change).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["amount_fen"], 1_200_000_000i64,
        "nothing moves before consent"
    );
    let amendment = r.body["amendments"][0]["id"].as_i64().unwrap();
    assert_eq!(r.body["amendments"][0]["consent"], "awaiting_buyer");
    for (bad, status, code) in [
        (
            json!({"amount_delta_fen": -2_000_000_000i64, "tech_amount_delta_fen": 0, "reason": "x"}),
            422,
            "invalid_amendment",
        ),
        (
            json!({"amount_delta_fen": -300_000_000i64, "tech_amount_delta_fen": 0, "reason": "x"}),
            422,
            "invalid_amendment",
        ),
        (
            json!({"amount_delta_fen": 1, "tech_amount_delta_fen": 0, "reason": " "}),
            400,
            "invalid_request_body",
        ),
    ] {
        app.post(&path, Some(&p.uni), &bad)
            .await
            .assert_error(status, code);
    }
    app.post(
        &path,
        Some(&p.outsider),
        &json!({"amount_delta_fen": 1, "tech_amount_delta_fen": 0, "reason": "x"}),
    )
    .await
    .assert_error(404, "not_found");
    let confirm = format!("/api/v1/contracts/{id}/amendments/{amendment}/confirm");
    app.post(&confirm, Some(&p.uni), &json!({}))
        .await
        .assert_error(409, "consent_settled");
    let awaiting = crate::notifications::titles(&app, &p.ent, "contract_amendment").await;
    assert!(
        awaiting.len() == 1 && awaiting[0].contains("等待您方确认"),
        "{awaiting:?}"
    );
    let r = app.post(&confirm, Some(&p.ent), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let told = crate::notifications::titles(&app, &p.uni, "contract_amendment").await;
    assert!(
        told.len() == 1 && told[0].contains("已经双方确认"),
        "the proposer hears of the confirmation, not of its own proposal: {told:?}"
    );
    assert_eq!(r.body["amount_fen"], 1_000_000_000i64);
    assert_eq!(
        r.body["signed_amount_fen"], 1_200_000_000i64,
        "the signed figure is kept"
    );
    assert_eq!(
        r.body["registration_status"], "submitted",
        "back to the registry"
    );
    assert_eq!(r.body["registration_no"], number, "the number stays");
    let total = turnover(&app, &p.admin, "").await;
    assert_eq!(
        (
            total["amount_fen"].as_i64(),
            total["tech_amount_fen"].as_i64()
        ),
        (Some(1_200_000_000), Some(900_000_000)),
        "the last verified figures count meanwhile"
    );
    let r = app
        .post(
            &format!("/api/v1/contracts/{id}/registration"),
            Some(&p.admin),
            &json!({"status": "registered", "verified_tech_amount_fen": 850_000_000i64}),
        )
        .await;
    assert_eq!(r.body["registration_no"], number, "{}", r.text);
    let total = turnover(&app, &p.admin, "").await;
    assert_eq!(
        (
            total["amount_fen"].as_i64(),
            total["tech_amount_fen"].as_i64()
        ),
        (Some(1_000_000_000), Some(850_000_000))
    );
    // A declined amendment changes nothing.
    let r = app.post(&path, Some(&p.ent), &change).await;
    let second = r.body["amendments"][1]["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/v1/contracts/{id}/amendments/{second}/decline"),
            Some(&p.uni),
            &json!({"reason": "未经协商"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["amount_fen"], 1_000_000_000i64);
    assert_eq!(r.body["registration_status"], "registered");
}

#[actix_rt::test]
async fn two_concurrent_amendments_both_count_once() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let c = app
        .confirmed_contract(&p.ent, &body(&p), &p.uni, &p.ent)
        .await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/contracts/{id}/amendments");
    let mut amendments = Vec::new();
    for delta in [100_000i64, 20_000] {
        let r = app
            .post(&path, Some(&p.uni), &json!({"amount_delta_fen": delta, "tech_amount_delta_fen": delta, "reason": "补充协议"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        amendments.push(
            r.body["amendments"].as_array().unwrap().last().unwrap()["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let confirm = |a: i64| {
        let app = &app;
        let ent = p.ent.clone();
        async move {
            app.post(
                &format!("/api/v1/contracts/{id}/amendments/{a}/confirm"),
                Some(&ent),
                &json!({}),
            )
            .await
        }
    };
    let (x, y) = futures_join(confirm(amendments[0]), confirm(amendments[1])).await;
    assert_eq!((x.status, y.status), (200, 200), "{} / {}", x.text, y.text);
    let r = app
        .get(&format!("/api/v1/contracts/{id}"), Some(&p.admin))
        .await;
    assert_eq!(r.body["amount_fen"], 1_200_120_000i64);
    for q in [
        "include_unregistered=true",
        "include_unregistered=true&group_by=month",
        "include_unregistered=true&group_by=month&from=2026-03-02",
    ] {
        let total = turnover(&app, &p.admin, q).await;
        assert_eq!(total["contracts"], 1, "{q}");
        assert_eq!(
            total["amount_fen"], 1_200_120_000i64,
            "{q}: rollups and scans agree"
        );
        assert_eq!(total["tech_amount_fen"], 1_000_120_000i64, "{q}");
    }
}

#[actix_rt::test]
async fn sums_at_the_bound_stay_exact() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let mut b = body(&p);
    b["amount_fen"] = json!(10_000_000_000_000i64);
    b["tech_amount_fen"] = json!(10_000_000_000_000i64);
    for _ in 0..3 {
        let c = app.confirmed_contract(&p.ent, &b, &p.uni, &p.ent).await;
        let r = app
            .register_contract(c["id"].as_i64().unwrap(), &p.uni, &p.admin, None, None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    for q in [
        "",
        "group_by=month",
        "group_by=seller_org,chain",
        "date_basis=registered&group_by=year",
    ] {
        let total = turnover(&app, &p.admin, q).await;
        assert_eq!(total["amount_fen"], 30_000_000_000_000i64, "{q}");
        assert_eq!(total["tech_amount_fen"], 30_000_000_000_000i64, "{q}");
    }
    let id = app.get("/api/v1/contracts", Some(&p.admin)).await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/contracts/{id}/amendments"),
        Some(&p.uni),
        &json!({"amount_delta_fen": 1, "tech_amount_delta_fen": 0, "reason": "超过上限"}),
    )
    .await
    .assert_error(422, "invalid_amendment");
}

#[actix_rt::test]
async fn unverified_actors_act_as_nobody_until_verified() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let achievement = published(&app, "achievements", &p.uni, &p.admin, &achievement_body()).await;
    let demand = published(&app, "demands", &p.ent, &p.admin, &demand_body()).await;
    app.sync_search().await;
    let (broker, broker_org) = member(&app, Account::broker(), false, &p.admin).await;
    let a = app
        .get(
            &format!("/api/v1/achievements/{achievement}"),
            Some(&broker),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(
        a.body["details"].is_null() && a.body["contact"].is_null(),
        "{}",
        a.text
    );
    let open = json!({"demand_id": demand, "achievement_id": achievement});
    let r = app.post("/api/v1/deals", Some(&broker), &open).await;
    r.assert_error(403, "org_not_verified");
    assert!(r.body["message"].as_str().unwrap().contains("verif"));
    app.get(&format!("/api/v1/demands/{demand}/matches"), Some(&broker))
        .await
        .assert_error(403, "org_not_verified");
    // Verification takes effect on the next request, with the same token.
    app.post(
        &format!("/api/v1/orgs/{broker_org}/verify"),
        Some(&p.admin),
        &json!({}),
    )
    .await;
    let a = app
        .get(
            &format!("/api/v1/achievements/{achievement}"),
            Some(&broker),
        )
        .await;
    assert!(a.body["details"].is_string(), "{}", a.text);
    assert_eq!(
        app.post("/api/v1/deals", Some(&broker), &open).await.status,
        201
    );
}

#[actix_rt::test]
async fn a_disabled_account_is_refused_on_its_next_request() {
    use diesel::prelude::*;
    use tt_exchange::db::schema::users;
    let app = spawn_app().await;
    let p = parties(&app).await;
    assert_eq!(app.get("/api/v1/contracts", Some(&p.ent)).await.status, 200);
    app.db
        .write_blocking(|conn| {
            Ok(
                diesel::update(users::table.filter(users::role.eq("enterprise")))
                    .set(users::is_active.eq(false))
                    .execute(conn)?,
            )
        })
        .unwrap();
    app.get("/api/v1/contracts", Some(&p.ent))
        .await
        .assert_error(403, "account_disabled");
}

#[actix_rt::test]
async fn two_concurrent_confirmations_of_one_side_count_once() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    app.create_user_directly("colleague@xidian.example.cn", "university", Some(p.uni_org))
        .await;
    let colleague = app.token("colleague@xidian.example.cn").await;
    let id = id_of(&create(&app, &p.ent, &body(&p), None).await);
    let confirm = |token: String| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/contracts/{id}/confirm"),
                Some(&token),
                &json!({}),
            )
            .await
        }
    };
    let (a, b) = futures_join(confirm(p.uni.clone()), confirm(colleague)).await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    for q in [
        "include_unregistered=true",
        "include_unregistered=true&group_by=month",
    ] {
        let total = turnover(&app, &p.admin, q).await;
        assert_eq!(total["contracts"], 1, "{q}");
        assert_eq!(total["amount_fen"], 1_200_000_000i64, "{q}");
    }
}
