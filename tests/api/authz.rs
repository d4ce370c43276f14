//! The authorization matrix: for every route of `tt_exchange::routes::list()`, every role
//! (anonymous, university, enterprise, broker, statistician, admin) and, for the roles
//! that own things, ownership (a member of the owning org / the deal's broker, or a user of
//! another org of the same role), the expected status is written down in [`table`] and
//! checked over HTTP against one spawned app.
//!
//! Fixtures are built through the API for each route; a fixture is rebuilt after a case
//! that changed it (any 2xx of a non-GET request), so every case meets the same state.
//! Request bodies are valid, so a status says who may act, not what they sent.

use std::collections::BTreeSet;

use awc::http::Method;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{Account, PASSWORD, Resp, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};

/// Who asks. The `*Other` users belong to a second org of the same role, which owns
/// nothing the fixtures are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anon,
    Uni,
    UniOther,
    Ent,
    EntOther,
    Broker,
    BrokerOther,
    Stat,
    Admin,
}

const WHO: [Who; 9] = [
    Who::Anon,
    Who::Uni,
    Who::UniOther,
    Who::Ent,
    Who::EntOther,
    Who::Broker,
    Who::BrokerOther,
    Who::Stat,
    Who::Admin,
];

/// What a route acts on, built fresh through the API. Owners: achievements belong to
/// `Uni`'s org, demands and challenges to `Ent`'s, deals to `Broker` (joining `Ent`'s
/// demand and `Uni`'s achievement), contracts are between `Uni`'s org (seller) and
/// `Ent`'s org (buyer) through `Broker`'s deal; in a challenge `Uni`'s org applies and wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fx {
    None,
    /// A saved search of `Uni`.
    SavedSearch,
    /// A published achievement of `Uni`, bookmarked by `Uni`.
    Bookmarked,
    /// `Ent`'s inquiry about a published achievement of `Uni`.
    Inquiry,
    /// The org of the asking role's owner (`Uni`'s org for university users, `Ent`'s for
    /// enterprise users, `Broker`'s for brokers, `Uni`'s for everyone else).
    OrgOfRole,
    /// A newly registered, unverified org.
    NewOrg,
    /// A newly registered user (of a new org).
    NewUser,
    AchDraft,
    AchPending,
    AchPublished,
    DemDraft,
    DemPending,
    DemPublished,
    Challenge,
    Applied,
    Winner,
    Milestone,
    MilestoneSubmitted,
    PoolEntry,
    /// A published demand and achievement without a deal yet.
    Pair,
    Deal,
    /// The broker's contract for its deal, confirmed by both parties.
    Contract,
    /// The same, awaiting both parties.
    ContractPending,
    /// Confirmed, and its registration applied for by the seller.
    ContractSubmitted,
    /// Confirmed, with an amendment by the broker awaiting both parties.
    Amendment,
    /// A listed sale (挂牌) of `Uni`'s published achievement, open for an hour.
    Offering,
    /// An agreed price of `Uni`'s achievement with `Ent`'s org, made public (公示).
    Publicity,
    /// An objection to that publicity by `EntOther`'s org.
    Objection,
    /// A draft achievement of `Uni` (`id`) and a PDF `Uni` uploaded (`file_id`).
    FileToAttach,
    /// A picture attached to `Uni`'s published achievement (`id`: the file).
    PublicImage,
    /// A scan attached to the `Contract` fixture (`id`: the file).
    ContractFile,
    /// The same scan's attachment (`id`), with the contract as `parent_id`.
    ContractAttachment,
}

/// A built fixture: the path parameters and anything bodies need.
#[derive(Debug, Default, Clone)]
struct Ids {
    id: Option<i64>,
    achievement_id: Option<i64>,
    demand_id: Option<i64>,
    deal_id: Option<i64>,
    org_id: Option<i64>,
    amendment_id: Option<i64>,
    file_id: Option<i64>,
    parent_id: Option<i64>,
}

struct World {
    tokens: Vec<(Who, Option<String>)>,
    admin: String,
    uni: String,
    ent: String,
    broker: String,
    uni_org: i64,
    ent_org: i64,
    broker_org: i64,
    /// A user whose credentials every login case uses.
    login_email: String,
}

impl World {
    fn token(&self, who: Who) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(w, _)| *w == who)
            .and_then(|(_, t)| t.as_deref())
    }

    /// A password change ends the caller's sessions: later rows use the token it answered.
    fn renew(&mut self, who: Who, answer: &Value) {
        if let (Some(slot), Some(fresh)) = (
            self.tokens.iter_mut().find(|(w, _)| *w == who),
            answer["access_token"].as_str(),
        ) {
            slot.1 = Some(fresh.to_owned());
            match who {
                Who::Uni => self.uni = fresh.to_owned(),
                Who::Ent => self.ent = fresh.to_owned(),
                Who::Broker => self.broker = fresh.to_owned(),
                Who::Admin => self.admin = fresh.to_owned(),
                _ => {}
            }
        }
    }
}

type BodyFn = fn(&World, &Ids, Who) -> Option<Value>;

/// One row of the matrix. `expect` is in the order of [`WHO`]: anonymous, university,
/// university of another org, enterprise, enterprise of another org, broker, another
/// broker, statistician, admin.
struct Row {
    method: Method,
    path: &'static str,
    /// Tells rows of the same route apart (e.g. a draft and a published item).
    variant: &'static str,
    fx: Fx,
    body: BodyFn,
    expect: [u16; 9],
}

fn row(method: Method, path: &'static str, fx: Fx, body: BodyFn, expect: [u16; 9]) -> Row {
    Row {
        method,
        path,
        variant: "",
        fx,
        body,
        expect,
    }
}

fn variant(
    method: Method,
    path: &'static str,
    variant: &'static str,
    fx: Fx,
    body: BodyFn,
    expect: [u16; 9],
) -> Row {
    Row {
        method,
        path,
        variant,
        fx,
        body,
        expect,
    }
}

fn tag() -> String {
    tt_exchange::auth::tokens::random_hex(6)
}

fn no_body(_: &World, _: &Ids, _: Who) -> Option<Value> {
    None
}

fn empty(_: &World, _: &Ids, _: Who) -> Option<Value> {
    Some(json!({}))
}

fn yesterday() -> String {
    (Utc::now().date_naive() - Duration::days(1)).to_string()
}

fn contract_body(w: &World, ids: &Ids) -> Value {
    let mut b = json!({
        "kind": "development", "sub_kind": "commissioned",
        "seller_org_id": w.uni_org, "buyer_org_id": w.ent_org,
        "signed_on": yesterday(), "amount_fen": 1_200_000_000i64, "tech_amount_fen": 1_000_000_000i64,
        "chain": "machine_tools", "field": "advanced_manufacturing"
    });
    if let Some(d) = ids.deal_id {
        b["deal_id"] = json!(d);
    }
    b
}

pub fn challenge_body() -> Value {
    let mut body = demand_body();
    let apply_by = (Utc::now().date_naive() + Duration::days(30)).to_string();
    body["title"] = json!("揭榜挂帅：龙门加工中心热误差补偿攻关");
    body["challenge"] = json!({
        "bounty_fen": 1_000_000, "apply_by": apply_by,
        "criteria": "补偿后热漂移≤8微米，现场验证三个月", "max_winners": 1
    });
    body
}

const LISTED_PRICE: i64 = 1_000_000;

fn offering_body() -> Value {
    let closes = (Utc::now() + Duration::hours(1)).to_rfc3339();
    json!({"mode": "listed", "transfer_mode": "licensing", "price_fen": LISTED_PRICE, "closes_at": closes})
}

fn publicity_body(w: &World) -> Value {
    json!({"buyer_org_id": w.ent_org, "price_fen": 80_000_000, "transfer_mode": "licensing", "days": 15})
}

/// `(publicity, objection)`: `Uni`'s agreed price, and `EntOther`'s objection to it.
async fn publicity(app: &TestApp, w: &World) -> (i64, i64) {
    let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
    let r = ok(
        app.post(
            &format!("/api/v1/achievements/{a}/publicity"),
            Some(&w.uni),
            &publicity_body(w),
        )
        .await,
        "publicity",
    )
    .await;
    let p = r.body["id"].as_i64().unwrap();
    let objector = w.token(Who::EntOther).unwrap_or_default();
    let r = ok(
        app.post(
            &format!("/api/v1/publicity/{p}/objections"),
            Some(objector),
            &json!({"reason": "价格偏低"}),
        )
        .await,
        "objection",
    )
    .await;
    (p, r.body["id"].as_i64().unwrap())
}

fn milestone_plan() -> Value {
    let due = (Utc::now().date_naive() + Duration::days(60)).to_string();
    json!({"title": "样机验证", "due_on": due, "share_bp": 5000})
}

/// Every route, every asker: the expected status.
#[rustfmt::skip]
fn table() -> Vec<Row> {
    use Fx::*;
    let (get, post, patch, put, delete) =
        (Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE);
    //                                              anon uni  uniO ent  entO brk  brkO stat admin
    const ALL_200: [u16; 9] =                      [200, 200, 200, 200, 200, 200, 200, 200, 200];
    const SIGNED_IN_200: [u16; 9] =                [401, 200, 200, 200, 200, 200, 200, 200, 200];
    const ADMIN_200: [u16; 9] =                    [401, 403, 403, 403, 403, 403, 403, 403, 200];
    const STATS_200: [u16; 9] =                    [401, 403, 403, 403, 403, 403, 403, 200, 200];
    vec![
        // System and the public vocabularies.
        row(get.clone(), "/health", None, no_body, ALL_200),
        row(get.clone(), "/dashboard", None, no_body, ALL_200),
        row(get.clone(), "/dashboard/app.js", None, no_body, ALL_200),
        row(get.clone(), "/dashboard/app.css", None, no_body, ALL_200),
        row(get.clone(), "/ready", None, no_body, ALL_200),
        row(get.clone(), "/metrics", None, no_body, ALL_200),
        row(get.clone(), "/openapi.yaml", None, no_body, ALL_200),
        row(get.clone(), "/api/v1/taxonomy", None, no_body, ALL_200),
        row(get.clone(), "/api/v1/errors", None, no_body, ALL_200),

        // Sessions: the credentials in the body decide, not the bearer token.
        row(post.clone(), "/api/v1/auth/register", None,
            |_, _, _| Some(Account::university().json()),
            [201, 201, 201, 201, 201, 201, 201, 201, 201]),
        row(post.clone(), "/api/v1/auth/login", None,
            |w, _, _| Some(json!({"email": w.login_email, "password": PASSWORD})),
            ALL_200),
        // The refresh token is fetched per case (see `refresh_token`).
        row(post.clone(), "/api/v1/auth/refresh", None, no_body, ALL_200),
        row(post.clone(), "/api/v1/auth/logout", None, no_body,
            [204, 204, 204, 204, 204, 204, 204, 204, 204]),
        row(get.clone(), "/api/v1/me", None, no_body, SIGNED_IN_200),
        row(patch.clone(), "/api/v1/me", None, |_, _, _| Some(json!({"name": "王晓明"})),
            SIGNED_IN_200),
        // The same password again, so later logins of the matrix still work.
        row(post.clone(), "/api/v1/me/password", None,
            |_, _, _| Some(json!({"current_password": PASSWORD, "new_password": PASSWORD})),
            SIGNED_IN_200),
        // The org's own applications: staff have none to read.
        row(get.clone(), "/api/v1/me/applications", None, no_body,
            [401, 200, 200, 200, 200, 200, 200, 403, 403]),

        // Accounts and orgs.
        row(post.clone(), "/api/v1/users", None,
            |_, _, _| Some(json!({"email": format!("tj-{}@qcy.example.cn", tag()),
                "password": PASSWORD, "name": "统计员", "role": "statistician"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 201]),
        row(get.clone(), "/api/v1/users", None, no_body, ADMIN_200),
        row(patch.clone(), "/api/v1/users/{id}", NewUser,
            |_, _, _| Some(json!({"is_active": false})), ADMIN_200),
        row(get.clone(), "/api/v1/orgs", None, no_body, ADMIN_200),
        row(get.clone(), "/api/v1/orgs/{id}", OrgOfRole, no_body, ALL_200),
        row(post.clone(), "/api/v1/orgs/{id}/verify", NewOrg, empty, ADMIN_200),
        row(get.clone(), "/api/v1/orgs/{id}/invitations", OrgOfRole, no_body,
            [401, 200, 403, 200, 403, 200, 403, 403, 200]),
        row(post.clone(), "/api/v1/orgs/{id}/invitations", OrgOfRole,
            |w, ids, _| {
                let role = match ids.org_id {
                    Some(o) if o == w.ent_org => "enterprise",
                    Some(o) if o == w.broker_org => "broker",
                    _ => "university",
                };
                Some(json!({"email": format!("inv-{}@example.cn", tag()), "role": role}))
            },
            [401, 201, 403, 201, 403, 201, 403, 403, 201]),
        row(get.clone(), "/api/v1/audit", None, no_body, ADMIN_200),

        // Achievements (owned by `Uni`'s org).
        row(get.clone(), "/api/v1/achievements", None, no_body, ALL_200),
        row(post.clone(), "/api/v1/achievements", None, |_, _, _| Some(achievement_body()),
            [401, 201, 201, 403, 403, 403, 403, 403, 403]),
        variant(get.clone(), "/api/v1/achievements/{id}", "published", AchPublished, no_body, ALL_200),
        variant(get.clone(), "/api/v1/achievements/{id}", "draft", AchDraft, no_body,
            [404, 200, 404, 404, 404, 404, 404, 404, 200]),
        variant(patch.clone(), "/api/v1/achievements/{id}", "draft", AchDraft,
            |_, _, _| Some(json!({"title": "数控机床主轴热误差补偿技术（修订）"})),
            [401, 200, 404, 404, 404, 404, 404, 404, 403]),
        variant(patch.clone(), "/api/v1/achievements/{id}", "published", AchPublished,
            |_, _, _| Some(json!({"title": "数控机床主轴热误差补偿技术（修订）"})),
            [401, 409, 403, 403, 403, 403, 403, 403, 403]),
        row(delete.clone(), "/api/v1/achievements/{id}", AchDraft, no_body,
            [401, 204, 404, 404, 404, 404, 404, 404, 403]),
        row(post.clone(), "/api/v1/achievements/{id}/submit", AchDraft, empty,
            [401, 200, 404, 404, 404, 404, 404, 404, 403]),
        row(post.clone(), "/api/v1/achievements/{id}/review", AchPending,
            |_, _, _| Some(json!({"decision": "approve"})),
            [401, 403, 404, 404, 404, 404, 404, 404, 200]),
        row(post.clone(), "/api/v1/achievements/{id}/withdraw", AchPublished, empty,
            [401, 200, 403, 403, 403, 403, 403, 403, 200]),
        row(get.clone(), "/api/v1/orgs/{id}/achievements", OrgOfRole, no_body, ALL_200),
        // Who works on an achievement: its org and admins; others who see it get 403.
        variant(get.clone(), "/api/v1/achievements/{id}/engagements", "published", AchPublished,
            no_body, [401, 200, 403, 403, 403, 403, 403, 403, 200]),
        variant(get.clone(), "/api/v1/achievements/{id}/engagements", "draft", AchDraft,
            no_body, [401, 200, 404, 404, 404, 404, 404, 404, 200]),
        row(get.clone(), "/api/v1/review/achievements", None, no_body, ADMIN_200),

        // Demands (owned by `Ent`'s org).
        row(get.clone(), "/api/v1/demands", None, no_body, ALL_200),
        row(post.clone(), "/api/v1/demands", None, |_, _, _| Some(demand_body()),
            [401, 403, 403, 201, 201, 403, 403, 403, 403]),
        variant(get.clone(), "/api/v1/demands/{id}", "published", DemPublished, no_body, ALL_200),
        variant(get.clone(), "/api/v1/demands/{id}", "draft", DemDraft, no_body,
            [404, 404, 404, 200, 404, 404, 404, 404, 200]),
        variant(patch.clone(), "/api/v1/demands/{id}", "draft", DemDraft,
            |_, _, _| Some(json!({"title": "龙门加工中心热变形精度保持技术需求（修订）"})),
            [401, 404, 404, 200, 404, 404, 404, 404, 403]),
        variant(patch.clone(), "/api/v1/demands/{id}", "published", DemPublished,
            |_, _, _| Some(json!({"title": "龙门加工中心热变形精度保持技术需求（修订）"})),
            [401, 403, 403, 409, 403, 403, 403, 403, 403]),
        row(delete.clone(), "/api/v1/demands/{id}", DemDraft, no_body,
            [401, 404, 404, 204, 404, 404, 404, 404, 403]),
        row(post.clone(), "/api/v1/demands/{id}/submit", DemDraft, empty,
            [401, 404, 404, 200, 404, 404, 404, 404, 403]),
        row(post.clone(), "/api/v1/demands/{id}/review", DemPending,
            |_, _, _| Some(json!({"decision": "approve"})),
            [401, 404, 404, 403, 404, 404, 404, 404, 200]),
        row(post.clone(), "/api/v1/demands/{id}/close", DemPublished, empty,
            [401, 403, 403, 200, 403, 403, 403, 403, 200]),
        row(get.clone(), "/api/v1/orgs/{id}/demands", OrgOfRole, no_body, ALL_200),
        row(get.clone(), "/api/v1/review/demands", None, no_body, ADMIN_200),

        // Open challenges (`Ent`'s; `Uni`'s org applies and wins).
        row(post.clone(), "/api/v1/demands/{id}/applications", Challenge,
            |_, _, _| Some(json!({"proposal": "采用温度场测点优化与LSTM热误差预测模型，三个月内完成现场补偿验证。",
                "team": [{"name": "张伟"}], "budget_fen": 80_000_000})),
            [401, 201, 201, 403, 403, 403, 403, 403, 403]),
        // Everyone signed in may list; the list holds only what they may see.
        row(get.clone(), "/api/v1/demands/{id}/applications", Applied, no_body, SIGNED_IN_200),
        row(post.clone(), "/api/v1/applications/{id}/decision", Applied,
            |_, _, _| Some(json!({"decision": "shortlist"})),
            [401, 403, 404, 200, 404, 404, 404, 404, 200]),
        row(post.clone(), "/api/v1/demands/{id}/milestones", Winner,
            |_, _, _| Some(milestone_plan()),
            [401, 403, 403, 201, 403, 403, 403, 403, 201]),
        row(post.clone(), "/api/v1/milestones/{id}/submit", Milestone,
            |_, _, _| Some(json!({"report": "样机已完成现场验证，热漂移6微米。"})),
            [401, 200, 404, 403, 404, 404, 404, 404, 403]),
        row(post.clone(), "/api/v1/milestones/{id}/review", MilestoneSubmitted,
            |_, _, _| Some(json!({"decision": "accept"})),
            [401, 403, 404, 200, 404, 404, 404, 404, 200]),

        // The pool.
        row(get.clone(), "/api/v1/pool/{year}", None, no_body, ALL_200),
        row(put.clone(), "/api/v1/pool/{year}/entries/{achievement_id}", AchPublished,
            |_, _, _| Some(json!({"key_project": true, "note": "重点培育"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 201]),
        row(delete.clone(), "/api/v1/pool/{year}/entries/{achievement_id}", PoolEntry, no_body,
            [401, 403, 403, 403, 403, 403, 403, 403, 204]),

        row(get.clone(), "/api/v1/admin/search", None, no_body, ADMIN_200),

        // Matches: brokers, admins and the owning org.
        row(get.clone(), "/api/v1/demands/{id}/matches", DemPublished, no_body,
            [401, 403, 403, 200, 403, 200, 200, 403, 200]),
        row(get.clone(), "/api/v1/achievements/{id}/matches", AchPublished, no_body,
            [401, 200, 403, 403, 403, 200, 200, 403, 200]),

        // Deals (`Broker`'s).
        row(get.clone(), "/api/v1/deals", None, no_body,
            [401, 200, 200, 200, 200, 200, 200, 403, 200]),
        row(post.clone(), "/api/v1/deals", Pair,
            |_, ids, _| Some(json!({"demand_id": ids.demand_id, "achievement_id": ids.achievement_id})),
            [401, 403, 403, 403, 403, 201, 201, 403, 403]),
        row(get.clone(), "/api/v1/deals/{id}", Deal, no_body,
            [401, 200, 404, 200, 404, 200, 404, 404, 200]),
        row(patch.clone(), "/api/v1/deals/{id}", Deal,
            |_, _, _| Some(json!({"version": 1, "note": "已电话联系双方"})),
            [401, 403, 404, 403, 404, 200, 404, 404, 200]),

        // Contracts (`Uni`'s org sells to `Ent`'s).
        row(get.clone(), "/api/v1/contracts", None, no_body, SIGNED_IN_200),
        variant(post.clone(), "/api/v1/contracts", "between the parties", None,
            |w, ids, _| Some(contract_body(w, ids)),
            [401, 201, 403, 201, 403, 403, 403, 403, 201]),
        variant(post.clone(), "/api/v1/contracts", "for the broker's deal", Deal,
            |w, ids, _| Some(contract_body(w, ids)),
            [401, 201, 403, 201, 403, 201, 403, 403, 201]),
        row(get.clone(), "/api/v1/contracts/{id}", Contract, no_body,
            [401, 200, 404, 200, 404, 200, 404, 200, 200]),
        row(post.clone(), "/api/v1/contracts/{id}/amendments", Contract,
            |_, _, _| Some(json!({"amount_delta_fen": 100_000, "tech_amount_delta_fen": 0, "reason": "补充协议增加现场服务费"})),
            [401, 201, 404, 201, 404, 201, 404, 403, 201]),
        row(post.clone(), "/api/v1/contracts/{id}/confirm", ContractPending, empty,
            [401, 200, 404, 200, 404, 403, 404, 403, 403]),
        row(post.clone(), "/api/v1/contracts/{id}/decline", ContractPending,
            |_, _, _| Some(json!({"reason": "金额不符"})),
            [401, 200, 404, 200, 404, 403, 404, 403, 403]),
        row(post.clone(), "/api/v1/contracts/{id}/amendments/{amendment_id}/confirm", Amendment, empty,
            [401, 200, 404, 200, 404, 403, 404, 403, 403]),
        row(post.clone(), "/api/v1/contracts/{id}/amendments/{amendment_id}/decline", Amendment,
            |_, _, _| Some(json!({"reason": "未经协商"})),
            [401, 200, 404, 200, 404, 403, 404, 403, 403]),
        row(post.clone(), "/api/v1/contracts/{id}/registration-request", Contract, empty,
            [401, 200, 404, 403, 404, 200, 404, 403, 200]),
        row(post.clone(), "/api/v1/contracts/{id}/registration", ContractSubmitted,
            |_, _, _| Some(json!({"status": "registered", "verified_tech_amount_fen": 1})),
            ADMIN_200),

        // Statistics.
        // Offerings (`Uni`'s achievement; verified enterprises of other orgs bid).
        row(post.clone(), "/api/v1/achievements/{id}/offerings", AchPublished,
            |_, _, _| Some(offering_body()),
            [401, 201, 403, 403, 403, 403, 403, 403, 403]),
        row(get.clone(), "/api/v1/offerings", None, no_body, ALL_200),
        row(get.clone(), "/api/v1/offerings/{id}", Offering, no_body, ALL_200),
        row(post.clone(), "/api/v1/offerings/{id}/bids", Offering,
            |_, _, _| Some(json!({"amount_fen": LISTED_PRICE})),
            [401, 403, 403, 201, 201, 403, 403, 403, 403]),

        // Publicity of agreed prices (`Uni`'s; anyone reads; others object; the exchange closes).
        row(post.clone(), "/api/v1/achievements/{id}/publicity", AchPublished,
            |w, _, _| Some(publicity_body(w)),
            [401, 201, 403, 403, 403, 403, 403, 403, 403]),
        row(get.clone(), "/api/v1/publicity", None, no_body, ALL_200),
        row(get.clone(), "/api/v1/publicity/{id}", Publicity, no_body, ALL_200),
        row(post.clone(), "/api/v1/publicity/{id}/objections", Publicity,
            |_, _, _| Some(json!({"reason": "价格偏低"})),
            [401, 403, 201, 201, 201, 201, 201, 403, 403]),
        row(post.clone(), "/api/v1/objections/{id}/answer", Objection,
            |_, _, _| Some(json!({"answer": "已有第三方评估报告"})),
            [401, 200, 403, 403, 403, 403, 403, 403, 403]),
        row(post.clone(), "/api/v1/objections/{id}/close", Objection,
            |_, _, _| Some(json!({"resolution": "异议不成立"})),
            ADMIN_200),

        row(get.clone(), "/api/v1/stats/turnover", None, no_body, STATS_200),
        row(get.clone(), "/api/v1/stats/targets", None, no_body, STATS_200),
        row(put.clone(), "/api/v1/stats/targets/{year}", None,
            |_, _, _| Some(json!({"amount_fen": 400_000_000_000i64})),
            ADMIN_200),
        row(get.clone(), "/api/v1/stats/chains", None, no_body, STATS_200),
        row(get.clone(), "/api/v1/stats/brokers", None, no_body, STATS_200),
        row(get.clone(), "/api/v1/stats/chains/{chain}/quarterly", None, no_body, STATS_200),
        // Statistics staff see every university; a university user its own.
        row(get.clone(), "/api/v1/stats/conversion", None, no_body,
            [401, 200, 200, 403, 403, 403, 403, 200, 200]),

        // Files: anyone signed in uploads; a file is read by exactly its parent's readers.
        row(post.clone(), "/api/v1/files", None, no_body,
            [401, 201, 201, 201, 201, 201, 201, 201, 201]),
        row(get.clone(), "/api/v1/files/{id}", ContractFile, no_body,
            [404, 200, 404, 200, 404, 200, 404, 200, 200]),
        row(get.clone(), "/api/v1/files/{id}/thumbnail", PublicImage, no_body, ALL_200),
        row(post.clone(), "/api/v1/attachments", FileToAttach,
            |_, ids, _| Some(json!({"parent": "achievement", "parent_id": ids.id,
                                     "slot": "document", "file_id": ids.file_id})),
            [401, 201, 404, 404, 404, 404, 404, 404, 403]),
        row(get.clone(), "/api/v1/attachments", ContractAttachment, no_body,
            [404, 200, 404, 200, 404, 200, 404, 200, 200]),
        row(Method::DELETE, "/api/v1/attachments/{id}", ContractAttachment, no_body,
            [401, 204, 404, 204, 404, 204, 404, 403, 204]),
        // Notifications: everyone signed in has an inbox and settings of their own.
        row(get.clone(), "/api/v1/me/notifications", None, no_body, SIGNED_IN_200),
        row(post.clone(), "/api/v1/me/notifications/read", None,
            |_, _, _| Some(json!({"all": true})), SIGNED_IN_200),
        row(get.clone(), "/api/v1/me/notification-settings", None, no_body, SIGNED_IN_200),
        row(put.clone(), "/api/v1/me/notification-settings", None,
            |_, _, _| Some(json!({"settings": [{"kind": "deal_moved", "mode": "digest"}]})),
            SIGNED_IN_200),
        // Saved searches: everyone signed in keeps their own; another's is a 404.
        row(get.clone(), "/api/v1/me/saved-searches", None, no_body, SIGNED_IN_200),
        row(post.clone(), "/api/v1/me/saved-searches", None,
            |_, _, _| Some(json!({"kind": "achievements", "name": "机床", "params": {"q": "机床", "chain": ["machine_tools"]}})),
            [401, 201, 201, 201, 201, 201, 201, 201, 201]),
        row(patch.clone(), "/api/v1/me/saved-searches/{id}", SavedSearch,
            |_, _, _| Some(json!({"alert": "daily"})),
            [401, 200, 404, 404, 404, 404, 404, 404, 404]),
        row(delete.clone(), "/api/v1/me/saved-searches/{id}", SavedSearch, no_body,
            [401, 204, 404, 404, 404, 404, 404, 404, 404]),
        // Bookmarks: anyone signed in keeps what they may read; the counts are the owner's.
        row(get.clone(), "/api/v1/me/bookmarks", None, no_body, SIGNED_IN_200),
        row(put.clone(), "/api/v1/me/bookmarks/{kind}/{id}", AchPublished, no_body,
            [401, 201, 201, 201, 201, 201, 201, 201, 201]),
        variant(put.clone(), "/api/v1/me/bookmarks/{kind}/{id}", "draft", AchDraft, no_body,
            [401, 201, 404, 404, 404, 404, 404, 404, 201]),
        row(delete.clone(), "/api/v1/me/bookmarks/{kind}/{id}", Bookmarked, no_body,
            [401, 204, 404, 404, 404, 404, 404, 404, 404]),
        row(get.clone(), "/api/v1/achievements/{id}/stats", AchPublished, no_body,
            [401, 200, 403, 403, 403, 403, 403, 403, 200]),
        variant(get.clone(), "/api/v1/achievements/{id}/stats", "draft", AchDraft, no_body,
            [401, 200, 404, 404, 404, 404, 404, 404, 200]),
        row(get.clone(), "/api/v1/demands/{id}/stats", DemPublished, no_body,
            [401, 403, 403, 200, 403, 403, 403, 403, 200]),
        // Inquiries: users of other verified orgs ask; the thread is the two orgs' (and
        // admins read it); anyone else gets a 404.
        row(post.clone(), "/api/v1/achievements/{id}/inquiries", AchPublished,
            |_, _, _| Some(json!({"body": "请问是否支持普通许可？"})),
            [401, 422, 201, 201, 201, 201, 201, 403, 403]),
        row(post.clone(), "/api/v1/demands/{id}/inquiries", DemPublished,
            |_, _, _| Some(json!({"body": "我们有相关成果，可以交流吗？"})),
            [401, 201, 201, 422, 201, 201, 201, 403, 403]),
        row(get.clone(), "/api/v1/me/inquiries", None, no_body, SIGNED_IN_200),
        row(get.clone(), "/api/v1/inquiries/{id}/messages", Inquiry, no_body,
            [401, 200, 404, 200, 404, 404, 404, 404, 200]),
        row(post.clone(), "/api/v1/inquiries/{id}/messages", Inquiry,
            |_, _, _| Some(json!({"body": "可以，欢迎来校洽谈。"})),
            [401, 201, 404, 201, 404, 404, 404, 404, 403]),
    ]
}

async fn ok(r: Resp, what: &str) -> Resp {
    assert!((200..300).contains(&r.status), "fixture {what}: {}", r.text);
    r
}

async fn create(app: &TestApp, kind: &str, token: &str, body: &Value) -> i64 {
    let r = ok(
        app.post(&format!("/api/v1/{kind}"), Some(token), body)
            .await,
        kind,
    )
    .await;
    r.body["id"].as_i64().unwrap()
}

async fn pending(app: &TestApp, kind: &str, token: &str, body: &Value) -> i64 {
    let id = create(app, kind, token, body).await;
    ok(
        app.post(
            &format!("/api/v1/{kind}/{id}/submit"),
            Some(token),
            &json!({}),
        )
        .await,
        "submit",
    )
    .await;
    id
}

/// The challenge of `Ent`'s org with `Uni`'s application: `(demand, application)`.
async fn applied(app: &TestApp, w: &World) -> (i64, i64) {
    let demand = published(app, "demands", &w.ent, &w.admin, &challenge_body()).await;
    let r = ok(
        app.post(
            &format!("/api/v1/demands/{demand}/applications"),
            Some(&w.uni),
            &json!({"proposal": "采用温度场测点优化与LSTM热误差预测模型。"}),
        )
        .await,
        "application",
    )
    .await;
    (demand, r.body["id"].as_i64().unwrap())
}

async fn winner(app: &TestApp, w: &World) -> (i64, i64) {
    let (demand, application) = applied(app, w).await;
    ok(
        app.post(
            &format!("/api/v1/applications/{application}/decision"),
            Some(&w.ent),
            &json!({"decision": "select"}),
        )
        .await,
        "select",
    )
    .await;
    (demand, application)
}

async fn milestone(app: &TestApp, w: &World) -> i64 {
    let (demand, _) = winner(app, w).await;
    let r = ok(
        app.post(
            &format!("/api/v1/demands/{demand}/milestones"),
            Some(&w.ent),
            &milestone_plan(),
        )
        .await,
        "milestone",
    )
    .await;
    r.body["id"].as_i64().unwrap()
}

async fn pair(app: &TestApp, w: &World) -> (i64, i64) {
    let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
    let d = published(app, "demands", &w.ent, &w.admin, &demand_body()).await;
    (d, a)
}

async fn deal(app: &TestApp, w: &World) -> Ids {
    let (d, a) = pair(app, w).await;
    let r = ok(
        app.post(
            "/api/v1/deals",
            Some(&w.broker),
            &json!({"demand_id": d, "achievement_id": a}),
        )
        .await,
        "deal",
    )
    .await;
    let id = r.body["id"].as_i64().unwrap();
    Ids {
        id: Some(id),
        deal_id: Some(id),
        demand_id: Some(d),
        achievement_id: Some(a),
        ..Ids::default()
    }
}

async fn build(app: &TestApp, w: &World, fx: Fx, who: Who) -> Ids {
    let id = |id: i64| Ids {
        id: Some(id),
        ..Ids::default()
    };
    match fx {
        Fx::None => Ids::default(),
        Fx::OrgOfRole => {
            let org = match who {
                Who::Ent | Who::EntOther => w.ent_org,
                Who::Broker | Who::BrokerOther => w.broker_org,
                _ => w.uni_org,
            };
            Ids {
                id: Some(org),
                org_id: Some(org),
                ..Ids::default()
            }
        }
        Fx::NewOrg => {
            let (_, org) = app.registered(&Account::enterprise()).await;
            id(org)
        }
        Fx::NewUser => {
            let (user, _) = app.registered(&Account::broker()).await;
            id(user)
        }
        Fx::AchDraft => id(create(app, "achievements", &w.uni, &achievement_body()).await),
        Fx::AchPending => id(pending(app, "achievements", &w.uni, &achievement_body()).await),
        Fx::AchPublished => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            Ids {
                id: Some(a),
                achievement_id: Some(a),
                ..Ids::default()
            }
        }
        Fx::DemDraft => id(create(app, "demands", &w.ent, &demand_body()).await),
        Fx::DemPending => id(pending(app, "demands", &w.ent, &demand_body()).await),
        Fx::DemPublished => id(published(app, "demands", &w.ent, &w.admin, &demand_body()).await),
        Fx::Challenge => id(published(app, "demands", &w.ent, &w.admin, &challenge_body()).await),
        Fx::Applied => {
            let (demand, application) = applied(app, w).await;
            // `/demands/{id}/applications` takes the demand, `/applications/{id}` the
            // application: the row's path decides which (see `path_of`).
            Ids {
                id: Some(application),
                demand_id: Some(demand),
                ..Ids::default()
            }
        }
        Fx::Winner => {
            let (demand, _) = winner(app, w).await;
            id(demand)
        }
        Fx::Milestone => id(milestone(app, w).await),
        Fx::MilestoneSubmitted => {
            let m = milestone(app, w).await;
            ok(
                app.post(
                    &format!("/api/v1/milestones/{m}/submit"),
                    Some(&w.uni),
                    &json!({"report": "阶段报告"}),
                )
                .await,
                "milestone submit",
            )
            .await;
            id(m)
        }
        Fx::PoolEntry => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            ok(
                app.request(
                    Method::PUT,
                    &format!("/api/v1/pool/2026/entries/{a}"),
                    Some(&w.admin),
                    Some(&json!({"key_project": false})),
                )
                .await,
                "pool entry",
            )
            .await;
            Ids {
                achievement_id: Some(a),
                ..Ids::default()
            }
        }
        Fx::Pair => {
            let (d, a) = pair(app, w).await;
            Ids {
                demand_id: Some(d),
                achievement_id: Some(a),
                ..Ids::default()
            }
        }
        Fx::Deal => deal(app, w).await,
        Fx::Contract | Fx::ContractPending | Fx::ContractSubmitted | Fx::Amendment => {
            contract(app, w, fx).await
        }
        Fx::Offering => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            let r = ok(
                app.post(
                    &format!("/api/v1/achievements/{a}/offerings"),
                    Some(&w.uni),
                    &offering_body(),
                )
                .await,
                "offering",
            )
            .await;
            id(r.body["id"].as_i64().unwrap())
        }
        Fx::Publicity => id(publicity(app, w).await.0),
        Fx::Bookmarked => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            let path = format!("/api/v1/me/bookmarks/achievements/{a}");
            ok(
                app.request(Method::PUT, &path, Some(&w.uni), None).await,
                "bookmark",
            )
            .await;
            id(a)
        }
        Fx::Inquiry => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            let path = format!("/api/v1/achievements/{a}/inquiries");
            let body = json!({"body": "请问可以普通许可吗？"});
            let r = ok(app.post(&path, Some(&w.ent), &body).await, "inquiry").await;
            id(r.body["id"].as_i64().unwrap())
        }
        Fx::SavedSearch => {
            let body = json!({"kind": "demands", "name": "热误差", "params": {"q": "热误差"}});
            let r = ok(
                app.post("/api/v1/me/saved-searches", Some(&w.uni), &body)
                    .await,
                "saved search",
            )
            .await;
            id(r.body["id"].as_i64().unwrap())
        }
        Fx::Objection => id(publicity(app, w).await.1),
        Fx::FileToAttach => Ids {
            id: Some(create(app, "achievements", &w.uni, &achievement_body()).await),
            file_id: Some(
                crate::files::uploaded(app, &w.uni, "说明.pdf", &crate::files::pdf("a")).await,
            ),
            ..Ids::default()
        },
        Fx::PublicImage => {
            let a = published(app, "achievements", &w.uni, &w.admin, &achievement_body()).await;
            let f =
                crate::files::uploaded(app, &w.uni, "样机.png", &crate::files::png(30, 20)).await;
            ok(
                crate::files::attach(app, &w.uni, "achievement", a, "image", f).await,
                "image",
            )
            .await;
            id(f)
        }
        Fx::ContractFile | Fx::ContractAttachment => {
            let c = contract(app, w, Fx::Contract).await.id.unwrap();
            let f =
                crate::files::uploaded(app, &w.ent, "盖章页.png", &crate::files::png(20, 20)).await;
            let r = ok(
                crate::files::attach(app, &w.ent, "contract", c, "scan", f).await,
                "scan",
            )
            .await;
            let attachment = r.body["id"].as_i64();
            Ids {
                id: if fx == Fx::ContractFile {
                    Some(f)
                } else {
                    attachment
                },
                parent_id: Some(c),
                ..Ids::default()
            }
        }
    }
}

async fn contract(app: &TestApp, w: &World, fx: Fx) -> Ids {
    let ids = deal(app, w).await;
    let r = ok(
        app.post(
            "/api/v1/contracts",
            Some(&w.broker),
            &contract_body(w, &ids),
        )
        .await,
        "contract",
    )
    .await;
    let id = r.body["id"].as_i64().unwrap();
    let mut out = Ids {
        id: Some(id),
        ..Ids::default()
    };
    if fx == Fx::ContractPending {
        return out;
    }
    app.confirm_contract(id, &[&w.uni, &w.ent]).await;
    app.with_contract_text(id, &w.uni).await;
    let c = format!("/api/v1/contracts/{id}");
    if fx == Fx::ContractSubmitted {
        ok(
            app.post(
                &format!("{c}/registration-request"),
                Some(&w.uni),
                &json!({}),
            )
            .await,
            "request",
        )
        .await;
    }
    if fx == Fx::Amendment {
        let body =
            json!({"amount_delta_fen": 100, "tech_amount_delta_fen": 0, "reason": "补充协议"});
        let r = ok(
            app.post(&format!("{c}/amendments"), Some(&w.broker), &body)
                .await,
            "amendment",
        )
        .await;
        out.amendment_id = r.body["amendments"][0]["id"].as_i64();
    }
    out
}

/// The concrete path of a row for a fixture.
fn path_of(template: &str, ids: &Ids) -> String {
    let id = if template.starts_with("/api/v1/demands/{id}/applications") {
        ids.demand_id.or(ids.id)
    } else {
        ids.id
    };
    let mut p = template
        .replace("{year}", "2026")
        .replace("{chain}", "machine_tools")
        .replace("{kind}", "achievements");
    if let Some(i) = id {
        p = p.replace("{id}", &i.to_string());
    }
    if let Some(a) = ids.achievement_id {
        p = p.replace("{achievement_id}", &a.to_string());
    }
    if let Some(a) = ids.amendment_id {
        p = p.replace("{amendment_id}", &a.to_string());
    }
    assert!(!p.contains('{'), "no fixture for a parameter of {template}");
    p
}

async fn refresh_token(app: &TestApp, w: &World) -> String {
    let r = app.login(&w.login_email, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["refresh_token"].as_str().unwrap().to_owned()
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    let (uni_other, _) = member(app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(app, Account::enterprise(), true, &admin).await;
    let (ent_other, _) = member(app, Account::enterprise(), true, &admin).await;
    let (broker, broker_org) = member(app, Account::broker(), true, &admin).await;
    let (broker_other, _) = member(app, Account::broker(), true, &admin).await;
    let stat_email = format!("tj-{}@qcy.example.cn", tag());
    app.create_user_directly(&stat_email, "statistician", None)
        .await;
    let stat = app.token(&stat_email).await;
    let tokens = vec![
        (Who::Anon, None),
        (Who::Uni, Some(uni.clone())),
        (Who::UniOther, Some(uni_other)),
        (Who::Ent, Some(ent.clone())),
        (Who::EntOther, Some(ent_other)),
        (Who::Broker, Some(broker.clone())),
        (Who::BrokerOther, Some(broker_other)),
        (Who::Stat, Some(stat)),
        (Who::Admin, Some(admin.clone())),
    ];
    World {
        tokens,
        admin,
        uni,
        ent,
        broker,
        uni_org,
        ent_org,
        broker_org,
        login_email: stat_email,
    }
}

#[actix_rt::test]
async fn every_route_has_a_row_and_every_row_holds() {
    let table = table();
    // A route without a row (or a row without a route) fails here.
    let routes: BTreeSet<(String, String)> = tt_exchange::routes::list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    let rows: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    let unknown: Vec<_> = rows.difference(&routes).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}; rows without a route: {unknown:?}"
    );

    let app = spawn_app().await;
    let mut w = world(&app).await;
    let mut failures = Vec::new();
    let mut cases = 0;
    for r in &table {
        let mut ids: Option<Ids> = None;
        for (i, who) in WHO.iter().copied().enumerate() {
            // Org-relative fixtures differ per asker; a fixture changed by a success is rebuilt.
            if ids.is_none() || r.fx == Fx::OrgOfRole {
                ids = Some(build(&app, &w, r.fx, who).await);
            }
            let fixture = ids.clone().unwrap();
            let path = path_of(r.path, &fixture);
            let body = match r.path {
                "/api/v1/auth/refresh" | "/api/v1/auth/logout" => {
                    Some(json!({"refresh_token": refresh_token(&app, &w).await}))
                }
                _ => (r.body)(&w, &fixture, who),
            };
            let resp = match (r.path, &r.method) {
                ("/api/v1/files", &Method::POST) => {
                    let pdf = crate::files::pdf(&tag());
                    crate::files::upload(&app, w.token(who), "a.pdf", &pdf).await
                }
                ("/api/v1/attachments", &Method::GET) => {
                    let q = format!(
                        "{path}?parent=contract&parent_id={}",
                        fixture.parent_id.unwrap_or(0)
                    );
                    app.request(Method::GET, &q, w.token(who), None).await
                }
                _ => {
                    app.request(r.method.clone(), &path, w.token(who), body.as_ref())
                        .await
                }
            };
            cases += 1;
            if r.path == "/api/v1/me/password" && resp.status == 200 {
                w.renew(who, &resp.body);
            }
            let expected = r.expect[i];
            if resp.status != expected {
                failures.push(format!(
                    "{} {} [{}] as {who:?}: expected {expected}, got {} {}",
                    r.method, r.path, r.variant, resp.status, resp.text
                ));
            }
            if resp.status >= 400 {
                // Refusals carry the one error shape; 401/403/404 their codes.
                let code = match resp.status {
                    401 => Some("missing_authorization"),
                    403 => Some("forbidden"),
                    404 => Some("not_found"),
                    _ => None,
                };
                if let Some(code) = code
                    && resp.body["code"] != code
                {
                    failures.push(format!(
                        "{} {} [{}] as {who:?}: {} without code {code}: {}",
                        r.method, r.path, r.variant, resp.status, resp.text
                    ));
                }
            }
            if r.method != Method::GET && (200..300).contains(&resp.status) {
                ids = None;
            }
        }
    }
    println!(
        "authorization matrix: {} routes, {} rows, {cases} cases (route × asker: anonymous, university own/other org, enterprise own/other org, broker own/other, statistician, admin)",
        routes.len(),
        table.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ from the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A contract may link only the parties' own records: otherwise a user could sign another
/// broker's deal, or mark another org's achievement transferred (off the market), by
/// naming it in a contract between other orgs.
#[actix_rt::test]
async fn a_contract_links_only_the_parties_deals_and_listings() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (uni_other, uni_other_org) = member(&app, Account::university(), true, &w.admin).await;
    let (_, ent_other_org) = member(&app, Account::enterprise(), true, &w.admin).await;
    let victim = deal(&app, &w).await;
    let deal_id = victim.deal_id.unwrap();
    let achievement = victim.achievement_id.unwrap();
    let demand = victim.demand_id.unwrap();
    let between_others = |link: Value| {
        let mut b = json!({
            "kind": "transfer", "sub_kind": "patent",
            "seller_org_id": uni_other_org, "buyer_org_id": ent_other_org,
            "signed_on": yesterday(), "amount_fen": 1_000_000i64, "tech_amount_fen": 1_000_000i64,
            "chain": "machine_tools", "field": "advanced_manufacturing"
        });
        b.as_object_mut()
            .unwrap()
            .extend(link.as_object().unwrap().clone());
        b
    };
    for link in [
        json!({"deal_id": deal_id}),
        json!({"achievement_id": achievement}),
        json!({"demand_id": demand}),
    ] {
        let r = app
            .post(
                "/api/v1/contracts",
                Some(&uni_other),
                &between_others(link.clone()),
            )
            .await;
        r.assert_error(422, "not_linkable");
    }
    // The deal's own broker cannot use it for a contract between two other orgs either.
    app.post(
        "/api/v1/contracts",
        Some(&w.broker),
        &between_others(json!({"deal_id": deal_id})),
    )
    .await
    .assert_error(422, "not_linkable");
    // Nothing of the victims changed.
    let d = app
        .get(&format!("/api/v1/deals/{deal_id}"), Some(&w.broker))
        .await;
    assert_eq!(d.body["stage"], "recommended", "{}", d.text);
    assert_eq!(d.body["version"], 1);
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), None)
        .await;
    assert_eq!(a.body["status"], "published", "{}", a.text);
    assert_eq!(
        app.get("/api/v1/contracts", Some(&w.admin)).await.body["total"],
        0
    );
    // The parties themselves still can.
    let mut b = contract_body(&w, &victim);
    b["kind"] = json!("transfer");
    b["sub_kind"] = json!("patent");
    let r = app.post("/api/v1/contracts", Some(&w.uni), &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.confirm_contract(r.body["id"].as_i64().unwrap(), &[&w.ent])
        .await;
    let a = app
        .get(&format!("/api/v1/achievements/{achievement}"), Some(&w.uni))
        .await;
    assert_eq!(a.body["status"], "transferred", "{}", a.text);
}
