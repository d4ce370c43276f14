//! The yearly hundred-achievements pool.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{Account, spawn_app};
use crate::listings::{achievement_body, member, published};

#[actix_rt::test]
async fn admins_curate_the_pool_with_published_achievements() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let b = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let draft = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    let put = |year: i32, id: i64, body: serde_json::Value, token: String| {
        let app = &app;
        async move {
            app.request(
                Method::PUT,
                &format!("/api/v1/pool/{year}/entries/{id}"),
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    let r = put(
        2025,
        a,
        json!({"key_project": false, "note": "拟中试"}),
        admin.clone(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["converted"], false);
    let r = put(
        2025,
        b,
        json!({"key_project": true, "note": "2025年度重点支持项目"}),
        admin.clone(),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = put(
        2025,
        a,
        json!({"key_project": false, "note": "拟中试放大"}),
        admin.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "an update, not a second entry: {}", r.text);
    assert_eq!(r.body["note"], "拟中试放大");

    put(2025, draft, json!({}), admin.clone())
        .await
        .assert_error(422, "not_published");
    put(2025, 999_999, json!({}), admin.clone())
        .await
        .assert_error(404, "not_found");
    put(1999, a, json!({}), admin.clone())
        .await
        .assert_error(400, "invalid_year");
    put(2025, a, json!({"key_project": "yes"}), admin.clone())
        .await
        .assert_error(400, "invalid_request_body");
    put(2025, a, json!({}), uni.clone())
        .await
        .assert_error(403, "forbidden");

    let pool = app.get("/api/v1/pool/2025", None).await;
    assert_eq!(pool.status, 200, "{}", pool.text);
    assert_eq!(pool.body["total"], 2);
    let items = pool.body["items"].as_array().unwrap();
    assert_eq!(items[0]["achievement_id"], b, "key projects first");
    assert_eq!(items[0]["key_project"], true);
    assert_eq!(
        items[0]["achievement"]["title"],
        achievement_body()["title"]
    );
    assert!(items[0]["achievement"].get("contact").is_none());
    assert_eq!(items[1]["converted"], false);
    assert_eq!(
        app.get("/api/v1/pool/2025?key_project=true", None)
            .await
            .body["total"],
        1
    );
    assert_eq!(app.get("/api/v1/pool/2026", None).await.body["total"], 0);

    let marks = app.get(&format!("/api/v1/achievements/{b}"), None).await;
    assert_eq!(
        marks.body["pool"],
        json!([{"year": 2025, "key_project": true}])
    );

    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/pool/2025/entries/{a}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.request(
        Method::DELETE,
        &format!("/api/v1/pool/2025/entries/{a}"),
        Some(&admin),
        None,
    )
    .await
    .assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/pool/2025", None).await.body["total"], 1);
    let audit = app
        .get(
            &format!("/api/v1/audit?entity=achievement&entity_id={a}"),
            Some(&admin),
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..3], ["pool.delete", "pool.put", "pool.put"]);
}
