//! Inquiries: users of verified orgs ask about others' published listings; the thread is
//! read by the two orgs and admins only; every message notifies the other org without its
//! text; messages are bounded and rate-limited per user; the owner sees the count.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{Account, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};
use crate::notifications::inbox;

#[actix_rt::test]
async fn an_inquiry_is_a_thread_between_two_orgs_that_notifies_the_other_side() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    let (outsider, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (unverified, _) = member(&app, Account::enterprise(), false, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let ask = format!("/api/v1/achievements/{a}/inquiries");
    let secret = "我们愿出价三百万，请保密";

    let r = app.post(&ask, Some(&ent), &json!({"body": secret})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["asker_org"]["id"], ent_org);
    assert_eq!(r.body["owner_org"]["id"], uni_org);
    assert_eq!(r.body["messages"], 1);
    // Asking again adds to the same thread.
    let r = app
        .post(&ask, Some(&ent), &json!({"body": "补充：希望普通许可"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["id"].as_i64(), r.body["messages"].as_i64()),
        (Some(id), Some(2))
    );

    // Not on one's own listing, not from an unverified org, not by staff, bounded bodies.
    app.post(&ask, Some(&uni), &json!({"body": "x"}))
        .await
        .assert_error(422, "own_listing");
    app.post(&ask, Some(&unverified), &json!({"body": "x"}))
        .await
        .assert_error(403, "forbidden");
    app.post(&ask, Some(&admin), &json!({"body": "x"}))
        .await
        .assert_error(403, "forbidden");
    app.post(&ask, Some(&ent), &json!({"body": "  "}))
        .await
        .assert_error(400, "invalid_message");
    app.post(&ask, Some(&ent), &json!({"body": "长".repeat(2001)}))
        .await
        .assert_error(400, "invalid_message");
    let draft = app
        .post("/api/v1/achievements", Some(&uni), &achievement_body())
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/achievements/{draft}/inquiries"),
        Some(&ent),
        &json!({"body": "x"}),
    )
    .await
    .assert_error(404, "not_found");

    // The owner's org hears of it, without the message; others hear nothing.
    let notes = inbox(&app, &uni).await;
    let n = notes
        .iter()
        .find(|n| n["kind"] == "inquiry_message")
        .expect("notified");
    assert_eq!(n["link"], format!("/api/v1/inquiries/{id}/messages"));
    assert!(!n.to_string().contains("三百万"), "{n}");
    assert!(
        inbox(&app, &outsider)
            .await
            .iter()
            .all(|n| n["kind"] != "inquiry_message")
    );

    // The thread: the two orgs and admins read it, others get a 404.
    let thread = format!("/api/v1/inquiries/{id}/messages");
    let r = app.get(&thread, Some(&uni)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["items"][0]["body"], secret);
    assert_eq!(app.get(&thread, Some(&admin)).await.status, 200);
    app.get(&thread, Some(&outsider))
        .await
        .assert_error(404, "not_found");
    app.post(&thread, Some(&outsider), &json!({"body": "插一句"}))
        .await
        .assert_error(404, "not_found");
    app.post(&thread, Some(&admin), &json!({"body": "管理员"}))
        .await
        .assert_error(403, "forbidden");
    // The owner answers; the asker's org hears of it.
    let r = app
        .post(
            &thread,
            Some(&uni),
            &json!({"body": "可以，欢迎来校洽谈。"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        inbox(&app, &ent)
            .await
            .iter()
            .any(|n| n["kind"] == "inquiry_message")
    );

    // Both see it among their inquiries; the owner sees the count, not who.
    for token in [&uni, &ent] {
        let r = app.get("/api/v1/me/inquiries", Some(token)).await;
        assert_eq!(r.body["total"], 1, "{}", r.text);
        assert_eq!(r.body["items"][0]["messages"], 3);
    }
    assert_eq!(
        app.get("/api/v1/me/inquiries", Some(&outsider)).await.body["total"],
        0
    );
    let r = app
        .get(&format!("/api/v1/achievements/{a}/stats"), Some(&uni))
        .await;
    assert_eq!(
        r.body,
        json!({"views": {"total": 0, "recent": 0}, "bookmarks": 0, "inquiries": 1}),
        "{}",
        r.text
    );

    // A demand works the same way, the other way round.
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let r = app
        .post(
            &format!("/api/v1/demands/{d}/inquiries"),
            Some(&uni),
            &json!({"body": "我们有成果"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["listing"]["kind"], "demands");
}

#[actix_rt::test]
async fn messages_are_rate_limited_per_user() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let ask = format!("/api/v1/achievements/{a}/inquiries");
    for i in 0..30 {
        let r = app
            .post(&ask, Some(&ent), &json!({"body": format!("第{i}条")}))
            .await;
        assert!(r.status == 201 || r.status == 200, "{}", r.text);
    }
    let r = app.post(&ask, Some(&ent), &json!({"body": "第31条"})).await;
    r.assert_error(429, "rate_limited");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    // Another user of the other org is not held back.
    let r = app
        .request(Method::GET, "/api/v1/me/inquiries", Some(&uni), None)
        .await;
    let id = r.body["items"][0]["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/v1/inquiries/{id}/messages"),
            Some(&uni),
            &json!({"body": "收到"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[actix_rt::test]
async fn a_broker_turns_an_inquiry_into_a_deal_its_two_orgs_then_see() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, _) = member(&app, Account::university(), true, &admin).await;
    let (ent, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (other, _) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    let d_other = published(&app, "demands", &other, &admin, &demand_body()).await;
    let r = app
        .post(
            &format!("/api/v1/achievements/{a}/inquiries"),
            Some(&ent),
            &json!({"body": "能否在我司产线试用？"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let inquiry = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["deal_id"], json!(null));
    let open = |demand: i64, inquiry: i64| {
        let body = json!({"demand_id": demand, "achievement_id": a, "inquiry_id": inquiry});
        let (app, broker) = (&app, &broker);
        async move { app.post("/api/v1/deals", Some(broker), &body).await }
    };
    // The other side must belong to the org that asked; the inquiry must exist.
    open(d_other, inquiry)
        .await
        .assert_error(422, "inquiry_pair_mismatch");
    open(d, inquiry + 1000)
        .await
        .assert_error(422, "reference_not_found");
    // The asker itself is no broker.
    let body = json!({"demand_id": d, "achievement_id": a, "inquiry_id": inquiry});
    app.post("/api/v1/deals", Some(&ent), &body)
        .await
        .assert_error(403, "forbidden");
    let r = open(d, inquiry).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let deal = r.body["id"].as_i64().unwrap();
    // A refused pair left no deal behind.
    let r = app.get("/api/v1/deals", Some(&broker)).await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    for token in [&ent, &uni] {
        let r = app.get("/api/v1/me/inquiries", Some(token)).await;
        assert_eq!(r.body["items"][0]["deal_id"], deal, "{}", r.text);
    }
    // The broker still does not read the thread.
    app.get(
        &format!("/api/v1/inquiries/{inquiry}/messages"),
        Some(&broker),
    )
    .await
    .assert_error(404, "not_found");
}
