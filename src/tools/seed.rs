//! `seed-demo`: a demo exchange (Shaanxi universities and institutes, fictional
//! enterprises, about 200 achievements, 80 demands, a pool for two years) from
//! `seed/demo.json`, compiled into the binary. Idempotent: every record is looked up by its
//! natural key first, so a second run adds nothing.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::DEMO_JSON as DEMO;
use super::accounts::{OrgSpec, ensure_org, ensure_user};
use crate::accounts::model::{self, NewUser, OrgKind, Role};
use crate::achievements::AchievementStore;
use crate::achievements::model::AchievementInput;
use crate::auth::password;
use crate::challenges;
use crate::clock::now;
use crate::db::schema::{achievements, demands, pool_entries};
use crate::db::{AnyConnection, Db};
use crate::demands::DemandStore;
use crate::demands::model::DemandInput;
use crate::error::ApiError;
use crate::listings::store::{Editable, Store};
use crate::listings::{Status, StatusChange, record_status_change};
use crate::search::{IndexKind, outbox};

mod contracts;
mod history;
mod publicity;
mod waiting;

/// The password of every demo account, printed by the command.
pub const DEMO_PASSWORD: &str = "Qinchuangyuan-Demo-2026";

/// The exchange's own demo staff: (role, email, name).
const STAFF: [(Role, &str, &str); 2] = [
    (Role::Admin, "admin@demo.qcy.example.cn", "交易所管理员"),
    (
        Role::Statistician,
        "statistician@demo.qcy.example.cn",
        "统计员",
    ),
];

/// The review comment on every demo listing.
const REVIEW_COMMENT: &str = "演示数据";

#[derive(Debug, Deserialize)]
struct Demo {
    orgs: Vec<DemoOrg>,
    achievements: Vec<Value>,
    demands: Vec<Value>,
    pool: Vec<DemoPool>,
    #[serde(default)]
    awaiting_review: waiting::AwaitingReview,
    #[serde(default)]
    unverified_orgs: Vec<DemoOrg>,
}

#[derive(Debug, Deserialize)]
struct DemoOrg {
    key: String,
    name: String,
    kind: String,
    region: String,
}

#[derive(Debug, Deserialize)]
struct DemoPool {
    year: i32,
    achievement: usize,
    key_project: bool,
    note: String,
}

/// What a run added, and the accounts to sign in with.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub orgs: usize,
    pub users: usize,
    pub achievements: usize,
    pub demands: usize,
    pub pool_entries: usize,
    pub applications: usize,
    pub milestones: usize,
    pub contracts: usize,
    /// Listings left waiting for review.
    pub awaiting_review: usize,
    /// Yearly turnover targets set.
    pub targets: usize,
    /// Agreed prices made public (协议定价公示): one running, one finished.
    pub publicities: usize,
    pub accounts: Vec<(String, String)>,
}

/// A demo org as seeded: its id, the member who owns its listings, its region.
#[derive(Debug, Clone)]
struct Owner {
    org: i64,
    user: i64,
    region: String,
}

/// The backend of [`AnyConnection`], for boxed queries.
type Backend = <AnyConnection as Connection>::Backend;

/// Demo orgs by their key in `seed/demo.json`.
type Owners = HashMap<String, Owner>;

/// A challenge made in this run: (demand, owner user, chain, bounty in fen).
type NewChallenge = (i64, i64, String, i64);

fn fail(message: String) -> ApiError {
    ApiError::internal(anyhow::anyhow!(message))
}

/// Takes the demo-only keys out of a listing object and returns the owning org key.
fn take_str(v: &mut Value, key: &str) -> Result<String, ApiError> {
    v.as_object_mut()
        .and_then(|o| o.remove(key))
        .and_then(|s| s.as_str().map(str::to_owned))
        .ok_or_else(|| fail(format!("demo listing without `{key}`")))
}

fn take_days(v: &mut Value, key: &str) -> Result<i64, ApiError> {
    v.as_object_mut()
        .and_then(|o| o.remove(key))
        .and_then(|d| d.as_i64())
        .ok_or_else(|| fail(format!("demo listing without `{key}`")))
}

/// Loads the demo data into `db`. Slow part (password hashing) happens once per run.
pub fn seed_demo(db: &Db) -> Result<SeedReport, ApiError> {
    let demo: Demo =
        serde_json::from_str(DEMO).map_err(|e| fail(format!("seed/demo.json: {e}")))?;
    let hash = password::hash_blocking(DEMO_PASSWORD)?;
    db.write_blocking(|conn| seed(conn, demo, &hash))
}

fn seed(conn: &mut AnyConnection, demo: Demo, hash: &str) -> Result<SeedReport, ApiError> {
    let mut report = SeedReport::default();
    let admin = seed_staff(conn, &mut report, hash)?;
    let owners = seed_orgs(conn, &mut report, &demo.orgs, admin, hash)?;
    let sellers = members(
        &demo.orgs,
        &owners,
        &[OrgKind::University, OrgKind::Institute],
    );
    let buyers = members(&demo.orgs, &owners, &[OrgKind::Enterprise]);
    let brokers = members(&demo.orgs, &owners, &[OrgKind::Agency]);
    let today = crate::clock::today();
    let achievement_ids = seed_achievements(conn, &mut report, demo.achievements, &owners, admin)?;
    let new_challenges = seed_demands(conn, &mut report, demo.demands, &owners, admin, today)?;
    seed_challenge_activity(conn, &mut report, new_challenges, &owners, today)?;
    seed_pool(conn, &mut report, demo.pool, &achievement_ids, admin)?;
    let parties = history::Parties {
        sellers: &sellers,
        buyers: &buyers,
        brokers: &brokers,
    };
    report.contracts = contracts::seed(conn, admin, &parties)?;
    waiting::unverified_orgs(conn, &mut report, &demo.unverified_orgs, hash)?;
    waiting::awaiting_review(conn, &mut report, demo.awaiting_review, &owners)?;
    waiting::targets(conn, &mut report, admin)?;
    report.publicities = publicity::seed(conn)?;
    Ok(report)
}

/// A user of the demo, counted in the report when this run made it.
fn demo_user(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    (role, email, name): (Role, &str, &str),
    org_id: i64,
    hash: &str,
) -> Result<i64, ApiError> {
    let at = now();
    let (id, made) = ensure_user(
        conn,
        &NewUser::active(org_id, (email, name), role, hash, at),
    )?;
    report.users += usize::from(made);
    Ok(id)
}

/// The exchange's admin and statistician; returns the admin's id.
fn seed_staff(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    hash: &str,
) -> Result<i64, ApiError> {
    let mut admin = 0;
    for staff @ (role, email, _) in STAFF {
        let id = demo_user(conn, report, staff, model::EXCHANGE_ORG_ID, hash)?;
        if role == Role::Admin {
            admin = id;
        }
        report.accounts.push((role.as_str().into(), email.into()));
    }
    Ok(admin)
}

fn org_user_email(key: &str) -> String {
    format!("{}@demo.qcy.example.cn", key.replace('_', "-"))
}

/// The role of an org's demo member.
fn member_role(kind: OrgKind) -> Role {
    match kind {
        OrgKind::University | OrgKind::Institute => Role::University,
        OrgKind::Enterprise => Role::Enterprise,
        OrgKind::Agency => Role::Broker,
    }
}

/// A demo org, verified by `verified_by` (if any), with one member: the member as an
/// [`Owner`], its role and its email.
fn demo_org(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    org: &DemoOrg,
    verified_by: Option<i64>,
    hash: &str,
) -> Result<(Owner, Role, String), ApiError> {
    let kind = OrgKind::parse(&org.kind).ok_or_else(|| fail(format!("org kind {}", org.kind)))?;
    let spec = OrgSpec {
        name: &org.name,
        kind: kind.as_str(),
        region: &org.region,
    };
    let (row, made) = ensure_org(conn, &spec, verified_by, now())?;
    report.orgs += usize::from(made);
    let role = member_role(kind);
    let email = org_user_email(&org.key);
    let name = format!("{}联系人", org.name);
    let user = demo_user(conn, report, (role, &email, &name), row.id, hash)?;
    let owner = Owner {
        org: row.id,
        user,
        region: row.region,
    };
    Ok((owner, role, email))
}

/// Orgs, verified, each with one member who owns its listings.
fn seed_orgs(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    orgs: &[DemoOrg],
    admin: i64,
    hash: &str,
) -> Result<Owners, ApiError> {
    let mut owners = Owners::new();
    for org in orgs {
        let (owner, role, email) = demo_org(conn, report, org, Some(admin), hash)?;
        if !report.accounts.iter().any(|(r, _)| r == role.as_str()) {
            report.accounts.push((role.as_str().to_owned(), email));
        }
        owners.insert(org.key.clone(), owner);
    }
    Ok(owners)
}

/// Parties for the demo's contracts: the members of orgs of the `wanted` kinds, in the
/// file's order.
fn members(orgs: &[DemoOrg], owners: &Owners, wanted: &[OrgKind]) -> Vec<contracts::Member> {
    orgs.iter()
        .filter_map(|o| Some((OrgKind::parse(&o.kind)?, owners.get(&o.key)?)))
        .filter(|(kind, _)| wanted.contains(kind))
        .map(|(kind, owner)| (owner.org, owner.user, member_role(kind)))
        .collect()
}

fn owner<'a>(owners: &'a Owners, raw: &mut Value) -> Result<&'a Owner, ApiError> {
    let key = take_str(raw, "org")?;
    owners
        .get(&key)
        .ok_or_else(|| fail(format!("unknown demo org {key}")))
}

/// Publishes a freshly inserted listing with the history a real review would leave:
/// draft, submitted by its owner, published by the admin.
fn publish<S: Store>(
    conn: &mut AnyConnection,
    id: i64,
    actor: i64,
    admin: i64,
) -> Result<(), ApiError> {
    let at = now();
    let steps = [
        (None, Status::Draft, actor, None),
        (Some(Status::Draft), Status::PendingReview, actor, None),
        (
            Some(Status::PendingReview),
            Status::Published,
            admin,
            Some(REVIEW_COMMENT),
        ),
    ];
    for (from, to, actor, comment) in steps {
        if from.is_some() {
            S::set_status(conn, id, to, comment, at)?;
        }
        let kind = S::KIND;
        let change = StatusChange {
            kind,
            id,
            from,
            to,
            actor,
            comment,
            at,
        };
        record_status_change(conn, &change)?;
    }
    outbox::enqueue(conn, S::INDEX, &[id])?;
    Ok(())
}

/// The demo's achievements, published; returns every one's id in the file's order.
fn seed_achievements(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    raws: Vec<Value>,
    owners: &Owners,
    admin: i64,
) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::with_capacity(raws.len());
    for mut raw in raws {
        let owner = owner(owners, &mut raw)?;
        let input: AchievementInput =
            serde_json::from_value(raw).map_err(|e| fail(format!("demo achievement: {e}")))?;
        let data = input.validate(&owner.region)?;
        let existing: Option<i64> = achievements::table
            .filter(achievements::org_id.eq(owner.org))
            .filter(achievements::title.eq(&data.title))
            .select(achievements::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = <AchievementStore as Editable>::insert(
                    conn,
                    &data,
                    owner.org,
                    owner.user,
                    now(),
                )?;
                publish::<AchievementStore>(conn, id, owner.user, admin)?;
                report.achievements += 1;
                id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Turns the demo's relative dates (`valid_for_days`, `apply_for_days`) into dates.
fn date_demand(raw: &mut Value, today: NaiveDate) -> Result<(), ApiError> {
    let valid_for = take_days(raw, "valid_for_days")?;
    raw["valid_until"] = Value::String((today + Duration::days(valid_for)).to_string());
    if raw["challenge"].is_object() {
        let apply_for = take_days(&mut raw["challenge"], "apply_for_days")?;
        raw["challenge"]["apply_by"] =
            Value::String((today + Duration::days(apply_for)).to_string());
    }
    Ok(())
}

/// The demo's demands, published; returns the challenges among those made in this run.
fn seed_demands(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    raws: Vec<Value>,
    owners: &Owners,
    admin: i64,
    today: NaiveDate,
) -> Result<Vec<NewChallenge>, ApiError> {
    let mut new_challenges = Vec::new();
    for mut raw in raws {
        let owner = owner(owners, &mut raw)?;
        date_demand(&mut raw, today)?;
        let input: DemandInput =
            serde_json::from_value(raw).map_err(|e| fail(format!("demo demand: {e}")))?;
        let data = input.validate(&owner.region, today)?;
        let exists = demands::table
            .filter(demands::org_id.eq(owner.org))
            .filter(demands::title.eq(&data.title))
            .select(demands::id)
            .first::<i64>(conn)
            .optional()?
            .is_some();
        if exists {
            continue;
        }
        let id = <DemandStore as Editable>::insert(conn, &data, owner.org, owner.user, now())?;
        publish::<DemandStore>(conn, id, owner.user, admin)?;
        report.demands += 1;
        if let Some(bounty) = data.challenge_bounty_fen {
            new_challenges.push((id, owner.user, data.chain.clone(), bounty));
        }
    }
    Ok(new_challenges)
}

/// Challenge activity, only for challenges made in this run (so a rerun adds nothing):
/// the first two universities with an achievement in the challenge's chain apply; on
/// the first three challenges the first applicant wins, with two milestones planned
/// and the first accepted.
fn seed_challenge_activity(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    new_challenges: Vec<NewChallenge>,
    owners: &Owners,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let member_of: HashMap<i64, i64> = owners.values().map(|o| (o.org, o.user)).collect();
    for (n, (demand_id, owner_user, chain, bounty)) in new_challenges.into_iter().enumerate() {
        for (k, (org_id, achievement_id)) in applicants(conn, &chain)?.into_iter().enumerate() {
            let Some(&user_id) = member_of.get(&org_id) else {
                continue;
            };
            let data = application(achievement_id, bounty);
            let app_id =
                challenges::insert_application(conn, demand_id, org_id, user_id, &data, now())?;
            report.applications += 1;
            if n < 3 && k == 0 {
                let winner = Winner {
                    demand_id,
                    app_id,
                    owner_user,
                    bounty,
                };
                select_and_plan(conn, report, &winner, today)?;
            }
        }
    }
    Ok(())
}

/// Published achievements, oldest first.
fn published_achievements<'a>() -> achievements::BoxedQuery<'a, Backend> {
    achievements::table
        .filter(achievements::status.eq(Status::Published.as_str()))
        .order(achievements::id.asc())
        .into_boxed()
}

/// The first two orgs, by their first published achievement in `chain`: (org, achievement).
fn applicants(conn: &mut AnyConnection, chain: &str) -> QueryResult<Vec<(i64, i64)>> {
    let published: Vec<(i64, i64)> = published_achievements()
        .filter(achievements::chain.eq(chain))
        .select((achievements::org_id, achievements::id))
        .load(conn)?;
    let mut seen = HashSet::new();
    Ok(published
        .into_iter()
        .filter(|(org, _)| seen.insert(*org))
        .take(2)
        .collect())
}

fn application(achievement_id: i64, bounty: i64) -> challenges::ApplicationData {
    challenges::ApplicationData {
        proposal: "依托已有成果开展攻关：三个月完成方案与样机，六个月完成现场验证。".into(),
        achievement_id: Some(achievement_id),
        team: vec![challenges::TeamMember {
            name: "项目负责人".into(),
            title: "教授".into(),
            role: "负责人".into(),
        }],
        budget_fen: Some(bounty),
    }
}

/// The winning application of a demo challenge.
struct Winner {
    demand_id: i64,
    app_id: i64,
    owner_user: i64,
    bounty: i64,
}

/// Selects the winner and plans two milestones, the first submitted and accepted.
fn select_and_plan(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    w: &Winner,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let selected = (
        challenges::ApplicationStatus::Submitted,
        challenges::ApplicationStatus::Selected,
    );
    let chosen = Some("方案最完整");
    challenges::decide(conn, w.app_id, selected, chosen, w.owner_user, now())?;
    let mut prior = 0;
    for (title, days, share_bp) in [("方案设计与样机", 90, 4000), ("现场验证与交付", 180, 6000)]
    {
        let plan = challenges::MilestoneInput {
            title: title.into(),
            due_on: today + Duration::days(days),
            share_bp,
            application_id: Some(w.app_id),
        };
        let amount = challenges::tranche_fen(w.bounty, prior, share_bp);
        prior += share_bp;
        let (demand, app, by) = (w.demand_id, w.app_id, w.owner_user);
        let id = challenges::insert_milestone(conn, demand, app, title, &plan, amount, by, now())?;
        report.milestones += 1;
        if prior == 4000 {
            accept_milestone(conn, id)?;
        }
    }
    Ok(())
}

fn accept_milestone(conn: &mut AnyConnection, id: i64) -> Result<(), ApiError> {
    let pending = challenges::MilestoneStatus::Pending;
    challenges::submit_milestone(conn, id, pending, "样机已完成并通过测试。", now())?;
    let accepted = challenges::MilestoneStatus::Accepted;
    challenges::review_milestone(conn, id, accepted, Some("通过"), now())?;
    Ok(())
}

/// The demo's pool entries, by index into the demo's achievements.
fn seed_pool(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    pool: Vec<DemoPool>,
    achievement_ids: &[i64],
    admin: i64,
) -> Result<(), ApiError> {
    for entry in pool {
        let id = *achievement_ids
            .get(entry.achievement)
            .ok_or_else(|| fail(format!("pool index {}", entry.achievement)))?;
        let exists = pool_entries::table
            .filter(pool_entries::year.eq(entry.year))
            .filter(pool_entries::achievement_id.eq(id))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if exists {
            continue;
        }
        let at = now();
        diesel::insert_into(pool_entries::table)
            .values((
                pool_entries::year.eq(entry.year),
                pool_entries::achievement_id.eq(id),
                pool_entries::key_project.eq(entry.key_project),
                pool_entries::note.eq(Some(entry.note)),
                pool_entries::added_by.eq(admin),
                pool_entries::created_at.eq(at),
                pool_entries::updated_at.eq(at),
            ))
            .execute(conn)?;
        outbox::enqueue(conn, IndexKind::Achievements, &[id])?;
        report.pool_entries += 1;
    }
    Ok(())
}
