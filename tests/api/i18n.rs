//! Error messages speak Chinese first and English on request (`Accept-Language`), name the
//! field at fault and list the values it accepts.

use awc::http::Method;
use serde_json::{Value, json};
use tt_exchange::error::Language;

use crate::helpers::{Account, Resp, TestApp, spawn_app, spawn_app_with};
use crate::listings::{demand_body, member};

async fn get_in(app: &TestApp, path: &str, token: Option<&str>, language: &str) -> Resp {
    app.request_with_headers(
        Method::GET,
        path,
        &[("Accept-Language", language)],
        token,
        None,
    )
    .await
}

fn message(r: &Resp) -> &str {
    r.body["message"].as_str().unwrap_or_default()
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[actix_rt::test]
async fn messages_are_chinese_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/achievements/1/matches", None).await;
    r.assert_error(401, "missing_authorization");
    assert_eq!(
        message(&r),
        "请先登录：发送 Authorization: Bearer <访问令牌>。"
    );
    assert_eq!(r.header("content-language").as_deref(), Some("zh-CN"));
    assert!(
        r.header("vary")
            .unwrap_or_default()
            .contains("Accept-Language")
    );

    let r = get_in(
        &app,
        "/api/v1/achievements/1/matches",
        None,
        "en-US,en;q=0.9",
    )
    .await;
    r.assert_error(401, "missing_authorization");
    assert_eq!(
        message(&r),
        "Sign in: send `Authorization: Bearer <access token>`."
    );
    assert_eq!(r.header("content-language").as_deref(), Some("en"));

    // Quality weights decide; a language we do not speak falls back to the default.
    let r = get_in(&app, "/api/v1/nothing", None, "en;q=0.4, zh-CN;q=0.8").await;
    r.assert_error(404, "route_not_found");
    assert!(has_cjk(message(&r)), "{}", r.text);
    let r = get_in(&app, "/api/v1/nothing", None, "fr-FR").await;
    assert!(has_cjk(message(&r)), "{}", r.text);
    let r = get_in(&app, "/api/v1/nothing", None, "fr-FR, *;q=0.1").await;
    assert!(has_cjk(message(&r)), "{}", r.text);
}

#[actix_rt::test]
async fn the_default_language_is_a_setting() {
    let app = spawn_app_with(|s| s.default_language = Language::En).await;
    let r = app.get("/api/v1/nothing", None).await;
    r.assert_error(404, "route_not_found");
    assert_eq!(message(&r), "No such endpoint; see /openapi.yaml.");
    assert_eq!(r.header("content-language").as_deref(), Some("en"));
    let r = get_in(&app, "/api/v1/nothing", None, "zh-CN").await;
    assert_eq!(message(&r), "没有这个接口，请参阅 /openapi.yaml。");
    // `TT_DEFAULT_LANGUAGE` reaches the same setting.
    let env = [("TT_DEFAULT_LANGUAGE".to_owned(), "en".to_owned())];
    let settings = tt_exchange::config::Settings::load_from(None, env).expect("settings");
    assert_eq!(settings.default_language, Language::En);
    let env = [("TT_DEFAULT_LANGUAGE".to_owned(), "fr".to_owned())];
    assert!(tt_exchange::config::Settings::load_from(None, env).is_err());
}

#[actix_rt::test]
async fn a_wrong_type_in_the_body_names_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let mut body = demand_body();
    body["challenge"] = json!({
        "criteria": "补偿后热漂移≤8微米",
        "apply_by": "2099-01-01",
        "bounty_fen": "200万元",
    });
    let r = app.post("/api/v1/demands", Some(&ent), &body).await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "challenge.bounty_fen");
    assert_eq!(
        message(&r),
        "字段 challenge.bounty_fen 应为整数（单位：分），收到字符串 \"200万元\"。"
    );
    let r = app
        .request_with_headers(
            Method::POST,
            "/api/v1/demands",
            &[("Accept-Language", "en")],
            Some(&ent),
            Some(&body),
        )
        .await;
    assert_eq!(
        message(&r),
        "challenge.bounty_fen must be an integer number of fen, got the string \"200万元\"."
    );
    // A missing field is named by its path too.
    let mut body = demand_body();
    body.as_object_mut().unwrap().remove("title");
    let r = app.post("/api/v1/demands", Some(&ent), &body).await;
    r.assert_error(400, "invalid_request_body");
    assert_eq!(r.body["field"], "title");
}

#[actix_rt::test]
async fn unknown_query_values_list_what_is_accepted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // `stage=已联系`, percent-encoded.
    let r = app
        .get(
            "/api/v1/deals?stage=%E5%B7%B2%E8%81%94%E7%B3%BB",
            Some(&admin),
        )
        .await;
    r.assert_error(400, "invalid_query");
    assert_eq!(r.body["field"], "stage");
    assert_eq!(
        r.body["accepted"],
        json!(["recommended", "contacted", "negotiating", "signed", "lost"])
    );
    assert!(message(&r).contains("\"已联系\""), "{}", r.text);
    assert!(message(&r).contains("recommended、contacted"), "{}", r.text);

    let r = get_in(
        &app,
        "/api/v1/stats/turnover?group_by=region",
        Some(&admin),
        "en",
    )
    .await;
    r.assert_error(400, "invalid_query");
    assert_eq!(r.body["field"], "group_by");
    let accepted: Vec<&str> = r.body["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(accepted.contains(&"seller_region") && accepted.contains(&"year"));
    assert!(message(&r).contains("seller_region"), "{}", r.text);

    // An unknown parameter is named, with the ones this endpoint takes.
    let r = app.get("/api/v1/orgs?colour=red", Some(&admin)).await;
    r.assert_error(400, "invalid_query");
    assert_eq!(r.body["field"], "colour");
    assert!(r.body["accepted"].as_array().is_some_and(|a| !a.is_empty()));
}

#[actix_rt::test]
async fn a_refusal_names_the_roles_that_may_act() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let r = app.get("/api/v1/stats/turnover", Some(&broker)).await;
    r.assert_error(403, "forbidden");
    assert!(
        message(&r).contains("统计人员（statistician）"),
        "{}",
        r.text
    );
    assert!(message(&r).contains("您的角色：broker"), "{}", r.text);
    let r = get_in(&app, "/api/v1/stats/turnover", Some(&broker), "en").await;
    assert!(message(&r).contains("statisticians"), "{}", r.text);

    let (unverified, _) = member(&app, Account::broker(), false, &admin).await;
    let open = json!({"demand_id": 1, "achievement_id": 1});
    let r = app.post("/api/v1/deals", Some(&unverified), &open).await;
    r.assert_error(403, "org_not_verified");
    assert!(message(&r).contains("请联系交易所认证"), "{}", r.text);
}

#[actix_rt::test]
async fn the_code_table_has_both_languages() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/errors", None).await;
    assert_eq!(r.status, 200);
    let items = r.body["items"].as_array().unwrap();
    for item in items {
        let zh = item["messages"]["zh"].as_str().unwrap_or_default();
        let en = item["messages"]["en"].as_str().unwrap_or_default();
        assert!(has_cjk(zh), "{item}");
        assert!(!en.is_empty() && !has_cjk(&en.chars().take(20).collect::<String>()));
        assert_eq!(item["message"], zh, "the default language is Chinese");
    }
    let r = get_in(&app, "/api/v1/errors", None, "en").await;
    let first = &r.body["items"][0];
    assert_eq!(first["message"], first["messages"]["en"]);
}

/// Every `detail` of every match reason in `matches`.
fn reasons(matches: &Value) -> Vec<String> {
    matches["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["reasons"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["detail"].as_str().map(str::to_owned))
        .collect()
}

#[actix_rt::test]
async fn match_reasons_labels_and_exports_are_chinese_first_and_english_on_request() {
    let app = spawn_app().await;
    let db = app.db.clone();
    actix_web::web::block(move || tt_exchange::tools::seed::seed_demo(&db))
        .await
        .unwrap()
        .unwrap();
    app.sync_search().await;
    let login = |email: &'static str| {
        let app = &app;
        async move {
            let r = app
                .login(email, tt_exchange::tools::seed::DEMO_PASSWORD)
                .await;
            r.body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let (uni, stat) = (
        login("nwpu@demo.qcy.example.cn").await,
        login("statistician@demo.qcy.example.cn").await,
    );

    // Matches of an achievement: the same reasons (codes), said in either language.
    let path = "/api/v1/achievements/10/matches";
    let (zh, en) = (
        get_in(&app, path, Some(&uni), "zh-CN").await,
        get_in(&app, path, Some(&uni), "en").await,
    );
    assert_eq!((zh.status, en.status), (200, 200), "{}", en.text);
    assert_eq!(en.header("content-language").as_deref(), Some("en"));
    assert_eq!(zh.header("content-language").as_deref(), Some("zh-CN"));
    let (zh_reasons, en_reasons) = (reasons(&zh.body), reasons(&en.body));
    assert!(!zh_reasons.is_empty() && zh_reasons.len() == en_reasons.len());
    assert!(zh_reasons.iter().all(|r| has_cjk(r)), "{zh_reasons:?}");
    assert!(
        en_reasons
            .iter()
            .any(|r| r.starts_with("same industry chain: ")),
        "{en_reasons:?}"
    );
    assert!(
        !en_reasons.iter().any(|r| r.contains("万元")),
        "{en_reasons:?}"
    );

    // Turnover: period and taxonomy labels, and the CSV's headers and totals line.
    let path = "/api/v1/stats/turnover?group_by=quarter,chain&year=2026";
    let en = get_in(&app, path, Some(&stat), "en").await;
    let row = &en.body["rows"][0];
    assert_eq!(row["quarter_label"], "2026 Q1", "{}", en.text);
    let chain = row["chain"].as_str().unwrap();
    let term = tt_exchange::taxonomy::CHAINS.get(chain).unwrap();
    assert_eq!(row["chain_label"], term.en);
    let zh = get_in(&app, path, Some(&stat), "zh-CN").await;
    assert_eq!(zh.body["rows"][0]["quarter_label"], "2026年第1季度");
    assert_eq!(zh.body["rows"][0]["chain_label"], term.zh);
    let csv = get_in(&app, &format!("{path}&format=csv"), Some(&stat), "en").await;
    assert!(
        csv.text
            .contains("Quarter code,Quarter,Industry chain code"),
        "{}",
        csv.text
    );
    assert!(csv.text.lines().last().unwrap().starts_with("Total,"));
    let csv = get_in(&app, &format!("{path}&format=csv"), Some(&stat), "zh-CN").await;
    assert!(
        csv.text.contains("季度代码,季度,产业链代码"),
        "{}",
        csv.text
    );

    // The chains overview: labels and export headers.
    let en = get_in(&app, "/api/v1/stats/chains?format=csv", Some(&stat), "en").await;
    assert!(
        en.text
            .contains("Chain code,Industry chain,Published achievements"),
        "{}",
        en.text
    );
    assert!(!has_cjk(en.text.lines().next().unwrap()));
}
