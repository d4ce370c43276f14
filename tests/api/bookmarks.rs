//! Bookmarks: a user keeps what they may read, once; the list says what left the market;
//! the listing's org reads the count, never who; nobody else reads it. Views are counted
//! for outside readers only, and survive a restart.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{Account, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

#[actix_rt::test]
async fn bookmarks_are_kept_once_listed_and_counted_for_the_owner_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let d = published(&app, "demands", &other, &admin, &demand_body()).await;
    let put = |path: String, token: String| {
        let app = &app;
        async move { app.request(Method::PUT, &path, Some(&token), None).await }
    };
    let ap = format!("/api/v1/me/bookmarks/achievements/{a}");
    let r = put(ap.clone(), ent.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["listing_id"], a);
    assert_eq!(r.body["available"], true);
    assert_eq!(r.body["link"], format!("/api/v1/achievements/{a}"));
    assert_eq!(
        put(ap.clone(), ent.clone()).await.status,
        200,
        "a second put is a no-op"
    );
    assert_eq!(put(ap.clone(), other.clone()).await.status, 201);
    let dp = format!("/api/v1/me/bookmarks/demands/{d}");
    assert_eq!(put(dp.clone(), ent.clone()).await.status, 201);
    // What one may not read, or what does not exist, is a 404; a bad kind a 400.
    let draft = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    put(
        format!("/api/v1/me/bookmarks/achievements/{draft}"),
        ent.clone(),
    )
    .await
    .assert_error(404, "not_found");
    put(
        "/api/v1/me/bookmarks/achievements/999999".into(),
        ent.clone(),
    )
    .await
    .assert_error(404, "not_found");
    put(format!("/api/v1/me/bookmarks/offerings/{a}"), ent.clone())
        .await
        .assert_error(400, "invalid_path");

    let r = app.get("/api/v1/me/bookmarks", Some(&ent)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 2);
    assert_eq!(
        r.body["items"][0]["kind"], "demands",
        "newest first: {}",
        r.text
    );
    assert_eq!(r.body["items"][1]["title"], achievement_body()["title"]);

    // The owner reads the count, without identities; nobody else reads it.
    let stats = format!("/api/v1/achievements/{a}/stats");
    let r = app.get(&stats, Some(&uni)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let none = json!({"total": 0, "recent": 0});
    assert_eq!(
        r.body,
        json!({"views": none, "bookmarks": 2, "inquiries": 0})
    );
    app.get(&stats, Some(&ent))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(app.get(&stats, Some(&admin)).await.body["bookmarks"], 2);
    let r = app
        .get(&format!("/api/v1/demands/{d}/stats"), Some(&other))
        .await;
    assert_eq!(
        r.body,
        json!({"views": none, "bookmarks": 1, "inquiries": 0}),
        "{}",
        r.text
    );
    app.get(&format!("/api/v1/achievements/{draft}/stats"), Some(&ent))
        .await
        .assert_error(404, "not_found");

    // Withdrawn: still listed, no longer available.
    let r = app
        .post(
            &format!("/api/v1/achievements/{a}/withdraw"),
            Some(&uni),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.get("/api/v1/me/bookmarks", Some(&ent)).await;
    assert_eq!(r.body["items"][1]["available"], false, "{}", r.text);

    // Removed once; a second time is a 404.
    let r = app.request(Method::DELETE, &ap, Some(&ent), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.request(Method::DELETE, &ap, Some(&ent), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(app.get(&stats, Some(&uni)).await.body["bookmarks"], 1);
    app.get("/api/v1/me/bookmarks?sort=new", Some(&ent))
        .await
        .assert_error(400, "invalid_query");
}

#[actix_rt::test]
async fn views_count_outside_readers_only_and_outlive_a_restart() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let path = format!("/api/v1/achievements/{a}");
    // Two anonymous reads and one of another org count; the owner's and staff's do not.
    for token in [None, None, Some(ent.as_str()), Some(&uni), Some(&admin)] {
        assert_eq!(app.get(&path, token).await.status, 200);
    }
    let stats = format!("{path}/stats");
    let views = |r: crate::helpers::Resp| r.body["views"].clone();
    let three = json!({"total": 3, "recent": 3});
    assert_eq!(views(app.get(&stats, Some(&uni)).await), three);
    // A read that fails, or of a listing one may not see, is no view.
    let draft = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let draft_path = format!("/api/v1/achievements/{draft}");
    app.get(&draft_path, None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(app.get(&draft_path, Some(&uni)).await.status, 200);
    let r = app.get(&format!("{draft_path}/stats"), Some(&uni)).await;
    assert_eq!(
        r.body["views"],
        json!({"total": 0, "recent": 0}),
        "{}",
        r.text
    );

    // The counts are written when the server stops, and read back by the next one.
    let app = app.restart_with(|_| {}).await;
    let mut seen = json!(null);
    for _ in 0..100 {
        seen = views(app.get(&stats, Some(&uni)).await);
        if seen == three {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen, three, "the views written at the stop");
    assert_eq!(app.get(&path, None).await.status, 200);
    let r = app.get(&stats, Some(&uni)).await;
    assert_eq!(
        r.body["views"],
        json!({"total": 4, "recent": 4}),
        "{}",
        r.text
    );
}
