//! Unknown query parameters are refused everywhere: every route under `/api/v1` of
//! `tt_exchange::routes::table()`, asked with `?tt_unknown=1` by an admin with real path
//! parameters, answers 400 `invalid_query` naming the parameter, before it loads anything
//! (the same request without the parameter is not a 400). Non-GET routes are sent an empty
//! JSON body: the query is checked before the body.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{Account, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

/// Path parameters: real records where the route reads one.
struct Ids {
    org: i64,
    achievement: i64,
    demand: i64,
    deal: i64,
    contract: i64,
    offering: i64,
    publicity: i64,
    objection: i64,
}

/// `template` with its parameters filled: `{id}` by the collection before it.
fn fill(template: &str, ids: &Ids) -> String {
    let mut out = Vec::new();
    let mut previous = "";
    for seg in template.split('/') {
        let value = match (seg, previous) {
            ("{id}", "orgs") => ids.org.to_string(),
            ("{id}", "achievements") | ("{achievement_id}", _) => ids.achievement.to_string(),
            ("{id}", "demands") => ids.demand.to_string(),
            ("{id}", "deals") => ids.deal.to_string(),
            ("{id}", "contracts") => ids.contract.to_string(),
            ("{id}", "offerings") => ids.offering.to_string(),
            ("{id}", "publicity") => ids.publicity.to_string(),
            ("{id}", "objections") => ids.objection.to_string(),
            ("{year}", _) => "2026".to_owned(),
            ("{chain}", _) => "machine_tools".to_owned(),
            (s, _) if s.starts_with('{') => "1".to_owned(),
            (s, _) => s.to_owned(),
        };
        out.push(value);
        previous = seg;
    }
    out.join("/")
}

#[actix_rt::test]
async fn every_api_route_refuses_an_unknown_query_parameter() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let achievement = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let demand = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let r = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": demand, "achievement_id": achievement}),
        )
        .await;
    let deal = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v1/contracts",
            Some(&broker),
            &json!({"kind": "transfer", "sub_kind": "patent", "seller_org_id": org,
                    "buyer_org_id": ent_org, "deal_id": deal, "signed_on": "2026-01-10",
                    "amount_fen": 1_000_000, "tech_amount_fen": 1_000_000}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contract = r.body["id"].as_i64().unwrap();
    let closes = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let offered = json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": 1_000_000, "closes_at": closes});
    let r = app
        .post(
            &format!("/api/v1/achievements/{achievement}/offerings"),
            Some(&uni),
            &offered,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let offering = r.body["id"].as_i64().unwrap();
    let agreed = json!({"buyer_org_id": ent_org, "price_fen": 1_000_000, "transfer_mode": "licensing", "days": 15});
    let r = app
        .post(
            &format!("/api/v1/achievements/{achievement}/publicity"),
            Some(&uni),
            &agreed,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let publicity = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/v1/publicity/{publicity}/objections"),
            Some(&broker),
            &json!({"reason": "价格偏低"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ids = Ids {
        org,
        achievement,
        demand,
        deal,
        contract,
        offering,
        publicity,
        objection: r.body["id"].as_i64().unwrap(),
    };
    let mut checked = (0, 0);
    for (method, template) in tt_exchange::routes::list() {
        if !template.starts_with("/api/v1/") {
            continue;
        }
        let mut path = fill(template, &ids);
        // A list whose parameters are required gets them, so only the unknown one is wrong.
        let mut sep = '?';
        if template == "/api/v1/attachments" && method == Method::GET {
            path = format!("{path}?parent=achievement&parent_id={}", ids.achievement);
            sep = '&';
        }
        let body = (method != Method::GET).then(|| json!({}));
        let r = app
            .request(
                method.clone(),
                &format!("{path}{sep}tt_unknown=1"),
                Some(&admin),
                body.as_ref(),
            )
            .await;
        assert_eq!(r.status, 400, "{method} {path}?tt_unknown=1: {}", r.text);
        r.assert_error(400, "invalid_query");
        assert_eq!(r.body["field"], "tt_unknown", "{method} {path}: {}", r.text);
        if method == Method::GET {
            // The parameter is what is refused: the same request without it is answered.
            let control = app.get(&path, Some(&admin)).await;
            assert_ne!(control.status, 400, "GET {path}: {}", control.text);
            checked.0 += 1;
        } else {
            checked.1 += 1;
        }
    }
    assert!(checked.0 >= 30 && checked.1 >= 35, "{checked:?}");
    // And the spec says so: every operation under /api/v1 documents its 400.
    let spec: serde_json::Value =
        serde_yaml_ng::from_str(include_str!("../../openapi.yaml")).expect("openapi.yaml");
    for (method, template) in tt_exchange::routes::list() {
        if template.starts_with("/api/v1/") {
            let op = &spec["paths"][template][method.as_str().to_lowercase()];
            assert!(op["responses"]["400"].is_object(), "{method} {template}");
        }
    }
}

#[actix_rt::test]
async fn the_refusal_names_the_parameter_in_either_language() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (language, words) in [
        ("en", "takes no query parameters"),
        ("zh-CN", "不接受查询参数"),
    ] {
        let r = app
            .request_with_headers(
                Method::GET,
                "/api/v1/stats/targets?colour=red",
                &[("Accept-Language", language)],
                Some(&admin),
                None,
            )
            .await;
        r.assert_error(400, "invalid_query");
        assert_eq!(r.body["field"], "colour");
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words) && message.contains("colour"),
            "{message}"
        );
    }
    // Public routes too, signed in or not.
    for path in [
        "/api/v1/taxonomy?x=1",
        "/api/v1/errors?x",
        "/api/v1/orgs/1?x=1",
    ] {
        app.get(path, None).await.assert_error(400, "invalid_query");
    }
    // An empty query string is no parameter.
    assert_eq!(app.get("/api/v1/taxonomy?", None).await.status, 200);
}
