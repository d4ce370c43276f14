//! Technology contracts: recording (validated, idempotent), amendments, registration,
//! visibility, and what a contract does to its deal and achievement.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

struct Parties {
    admin: String,
    uni: String,
    uni_org: i64,
    ent: String,
    ent_org: i64,
    outsider: String,
}

async fn parties(app: &TestApp) -> Parties {
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

fn body(p: &Parties, no: &str) -> Value {
    json!({
        "registration_no": no, "kind": "development", "sub_kind": "commissioned",
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

#[actix_rt::test]
async fn a_party_records_a_contract_with_regions_from_the_orgs() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let r = create(&app, &p.ent, &body(&p, "61010020260001"), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["seller_region"], "610100");
    assert_eq!(r.body["buyer_region"], "610300");
    assert_eq!(r.body["seller_kind"], "university");
    assert_eq!(r.body["registration_status"], "submitted");
    assert_eq!(r.body["amount_fen"], 1_200_000_000i64);
    assert_eq!(r.body["amendments"], json!([]));
    let id = r.body["id"].as_i64().unwrap();
    let statistician = {
        app.create_user_directly("tj@qcy.example.cn", "statistician", None)
            .await;
        app.token("tj@qcy.example.cn").await
    };
    for token in [&p.uni, &p.ent, &p.admin, &statistician] {
        assert_eq!(
            app.get(&format!("/api/v1/contracts/{id}"), Some(token))
                .await
                .status,
            200
        );
    }
    app.get(&format!("/api/v1/contracts/{id}"), Some(&p.outsider))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/api/v1/contracts", Some(&p.outsider)).await.body["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/contracts", Some(&statistician)).await.body["total"],
        1
    );
    assert_eq!(
        app.get(
            "/api/v1/contracts?region=610300&kind=development",
            Some(&p.admin)
        )
        .await
        .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/contracts?signed_from=2026-04-01", Some(&p.admin))
            .await
            .body["total"],
        0
    );
    // Statisticians read, they do not record; outsiders neither.
    create(&app, &statistician, &body(&p, "61010020260002"), None)
        .await
        .assert_error(403, "forbidden");
    create(&app, &p.outsider, &body(&p, "61010020260003"), None)
        .await
        .assert_error(403, "forbidden");
    create(&app, &p.uni, &body(&p, "61010020260001"), None)
        .await
        .assert_error(409, "registration_no_taken");
}

#[actix_rt::test]
async fn contract_fields_are_validated() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "registration_no",
            json!("6101002026001"),
            400,
            "invalid_registration_no",
        ),
        (
            "registration_no",
            json!("61010020260A01"),
            400,
            "invalid_registration_no",
        ),
        ("kind", json!("gift"), 400, "invalid_contract_kind"),
        ("sub_kind", json!("exclusive"), 400, "invalid_contract_kind"),
        ("sub_kind", json!(null), 400, "invalid_contract_kind"),
        ("amount_fen", json!(1.5), 400, "invalid_request_body"),
        ("amount_fen", json!("100"), 400, "invalid_request_body"),
        ("amount_fen", json!(-1), 422, "invalid_amounts"),
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
        let mut b = body(&p, "61010020260010");
        b[field] = value;
        let r = create(&app, &p.uni, &b, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str().unwrap_or_default()),
            (status, code),
            "{field}: {}",
            r.text
        );
    }
    let mut same = body(&p, "61010020260011");
    same["buyer_org_id"] = json!(p.uni_org);
    create(&app, &p.uni, &same, None)
        .await
        .assert_error(422, "same_parties");
    let overflow = body(&p, "61010020260012")
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
    let mut consulting = body(&p, "6101002026001300");
    consulting["kind"] = json!("consulting");
    consulting["sub_kind"] = Value::Null;
    assert_eq!(
        create(&app, &p.uni, &consulting, None).await.status,
        201,
        "16 digits, no sub-kind for consulting"
    );
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
    let b = body(&p, "61010020260020");
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
    let c = body(&p, "61010020260021");
    let (x, y) = futures_join(
        create(&app, &p.ent, &c, Some("race-1")),
        create(&app, &p.ent, &c, Some("race-1")),
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
async fn a_transfer_contract_signs_its_deal_and_transfers_the_achievement() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let (broker, _) = member(&app, Account::broker(), true, &p.admin).await;
    let achievement = published(&app, "achievements", &p.uni, &p.admin, &achievement_body()).await;
    let demand = published(&app, "demands", &p.ent, &p.admin, &demand_body()).await;
    app.request(
        Method::PUT,
        &format!("/api/v1/pool/2026/entries/{achievement}"),
        Some(&p.admin),
        Some(&json!({"key_project": true})),
    )
    .await;
    app.sync_search().await;
    let deal = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": demand, "achievement_id": achievement}),
        )
        .await;
    let deal_id = deal.body["id"].as_i64().unwrap();
    let mut b = body(&p, "61010020260030");
    b["kind"] = json!("transfer");
    b["sub_kind"] = json!("patent");
    b["deal_id"] = json!(deal_id);
    b.as_object_mut().unwrap().remove("chain");
    b.as_object_mut().unwrap().remove("field");
    let r = create(&app, &broker, &b, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["achievement_id"], achievement, "taken from the deal");
    assert_eq!(r.body["demand_id"], demand);
    assert_eq!(
        r.body["chain"], "machine_tools",
        "taken from the achievement"
    );
    let d = app
        .get(&format!("/api/v1/deals/{deal_id}"), Some(&broker))
        .await;
    assert_eq!(d.body["stage"], "signed");
    assert_eq!(
        d.body["events"].as_array().unwrap().last().unwrap()["to"],
        "signed"
    );
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), Some(&p.uni))
        .await;
    assert_eq!(a.body["status"], "transferred");
    let pool = app.get("/api/v1/pool/2026", None).await;
    assert_eq!(pool.body["items"][0]["converted"], true, "{}", pool.text);
    app.sync_search().await;
    assert_eq!(
        app.get("/api/v1/achievements", None).await.body["total"],
        0,
        "off the market"
    );
}

#[actix_rt::test]
async fn amendments_correct_without_overwriting() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let id = create(&app, &p.ent, &body(&p, "61010020260040"), None)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/contracts/{id}/amendments");
    let r = app.post(&path, Some(&p.uni), &json!({"amount_delta_fen": -200_000_000i64, "tech_amount_delta_fen": -100_000_000i64, "reason": "合同变更：减少一项服务"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["amount_fen"], 1_000_000_000i64);
    assert_eq!(r.body["tech_amount_fen"], 900_000_000i64);
    assert_eq!(
        r.body["signed_amount_fen"], 1_200_000_000i64,
        "the signed figure is kept"
    );
    assert_eq!(r.body["amendments"].as_array().unwrap().len(), 1);
    app.post(
        &path,
        Some(&p.uni),
        &json!({"amount_delta_fen": -2_000_000_000i64, "tech_amount_delta_fen": 0, "reason": "x"}),
    )
    .await
    .assert_error(422, "invalid_amendment");
    app.post(
        &path,
        Some(&p.uni),
        &json!({"amount_delta_fen": -200_000_000i64, "tech_amount_delta_fen": 0, "reason": "x"}),
    )
    .await
    .assert_error(422, "invalid_amendment");
    app.post(
        &path,
        Some(&p.uni),
        &json!({"amount_delta_fen": 1, "tech_amount_delta_fen": 0, "reason": " "}),
    )
    .await
    .assert_error(400, "invalid_request_body");
    app.post(
        &path,
        Some(&p.outsider),
        &json!({"amount_delta_fen": 1, "tech_amount_delta_fen": 0, "reason": "x"}),
    )
    .await
    .assert_error(404, "not_found");
    let r = app
        .get(&format!("/api/v1/contracts/{id}"), Some(&p.admin))
        .await;
    assert_eq!(
        r.body["amount_fen"], 1_000_000_000i64,
        "refused amendments changed nothing"
    );
}

#[actix_rt::test]
async fn admins_register_submitted_contracts_once() {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let id = create(&app, &p.ent, &body(&p, "61010020260050"), None)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/contracts/{id}/registration");
    app.post(&path, Some(&p.ent), &json!({"status": "registered"}))
        .await
        .assert_error(403, "forbidden");
    app.post(&path, Some(&p.admin), &json!({"status": "approved"}))
        .await
        .assert_error(400, "invalid_request_body");
    let r = app.post(&path, Some(&p.admin), &json!({"status": "registered", "comment": "符合技术合同认定规则", "registered_on": "2026-04-01"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["registration_status"], "registered");
    assert_eq!(r.body["registered_on"], "2026-04-01");
    app.post(&path, Some(&p.admin), &json!({"status": "not_registered"}))
        .await
        .assert_error(409, "invalid_transition");
    assert_eq!(
        app.get(
            "/api/v1/contracts?registration_status=registered",
            Some(&p.admin)
        )
        .await
        .body["total"],
        1
    );
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
    assert_eq!(actions, ["contract.registration", "contract.create"]);
}
