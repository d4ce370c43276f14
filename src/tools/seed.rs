//! `seed-demo`: a demo exchange (Shaanxi universities and institutes, fictional
//! enterprises, about 200 achievements, 80 demands, a pool for two years) from
//! `seed/demo.json`, compiled into the binary. Idempotent: every record is looked up by its
//! natural key first, so a second run adds nothing.

use chrono::Duration;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::model::{self, NewOrg, NewUser, OrgKind, Role, now, org_name_key};
use crate::achievements::AchievementStore;
use crate::achievements::model::{self as amodel, AchievementInput};
use crate::auth::password;
use crate::challenges;
use crate::db::schema::{achievements, demands, pool_entries};
use crate::db::{AnyConnection, Db};
use crate::demands::DemandStore;
use crate::demands::model::{self as dmodel, DemandInput};
use crate::error::ApiError;
use crate::listings::handlers::Store;
use crate::listings::{ListingKind, Status, StatusChange, fields, record_status_change};

mod contracts;

use super::DEMO_JSON as DEMO;

/// The password of every demo account, printed by the command.
pub const DEMO_PASSWORD: &str = "Qinchuangyuan-Demo-2026";

#[derive(Debug, Deserialize)]
struct Demo {
    orgs: Vec<DemoOrg>,
    achievements: Vec<Value>,
    demands: Vec<Value>,
    pool: Vec<DemoPool>,
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
    pub accounts: Vec<(String, String)>,
}

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

fn org_user_email(key: &str) -> String {
    format!("{}@demo.qcy.example.cn", key.replace('_', "-"))
}

fn ensure_user(
    conn: &mut AnyConnection,
    report: &mut SeedReport,
    email: &str,
    name: &str,
    role: Role,
    org_id: i64,
    hash: &str,
) -> Result<i64, ApiError> {
    if let Some(u) = model::find_user_by_email(conn, email)? {
        return Ok(u.id);
    }
    let at = now();
    let user = model::insert_user(
        conn,
        &NewUser {
            org_id,
            email,
            name,
            role: role.as_str(),
            password_hash: hash,
            is_active: true,
            created_at: at,
            updated_at: at,
        },
    )?;
    report.users += 1;
    Ok(user.id)
}

/// Publishes a freshly inserted listing with the history a real review would leave.
fn publish<S: Store>(
    conn: &mut AnyConnection,
    id: i64,
    kind: ListingKind,
    actor: i64,
    admin: i64,
) -> Result<(), ApiError> {
    let at = now();
    record_status_change(
        conn,
        &StatusChange {
            kind,
            id,
            from: None,
            to: Status::Draft,
            actor,
            comment: None,
            at,
        },
    )?;
    S::set_status(conn, id, Status::PendingReview, None, at)?;
    record_status_change(
        conn,
        &StatusChange {
            kind,
            id,
            from: Some(Status::Draft),
            to: Status::PendingReview,
            actor,
            comment: None,
            at,
        },
    )?;
    S::set_status(conn, id, Status::Published, Some("演示数据"), at)?;
    record_status_change(
        conn,
        &StatusChange {
            kind,
            id,
            from: Some(Status::PendingReview),
            to: Status::Published,
            actor: admin,
            comment: Some("演示数据"),
            at,
        },
    )?;
    crate::search::outbox::enqueue(conn, S::INDEX, &[id])?;
    Ok(())
}

fn seed(conn: &mut AnyConnection, demo: Demo, hash: &str) -> Result<SeedReport, ApiError> {
    let mut report = SeedReport::default();
    let admin = ensure_user(
        conn,
        &mut report,
        "admin@demo.qcy.example.cn",
        "交易所管理员",
        Role::Admin,
        model::EXCHANGE_ORG_ID,
        hash,
    )?;
    ensure_user(
        conn,
        &mut report,
        "statistician@demo.qcy.example.cn",
        "统计员",
        Role::Statistician,
        model::EXCHANGE_ORG_ID,
        hash,
    )?;
    report
        .accounts
        .push(("admin".into(), "admin@demo.qcy.example.cn".into()));
    report.accounts.push((
        "statistician".into(),
        "statistician@demo.qcy.example.cn".into(),
    ));

    // Orgs, verified, each with one member who owns its listings.
    let mut owners: std::collections::HashMap<String, (i64, i64, String)> = Default::default();
    for org in &demo.orgs {
        let kind =
            OrgKind::parse(&org.kind).ok_or_else(|| fail(format!("org kind {}", org.kind)))?;
        let key = org_name_key(&org.name);
        let row = match model::find_org_by_key(conn, &key)? {
            Some(row) => row,
            None => {
                let at = now();
                let row = model::insert_org(
                    conn,
                    &NewOrg {
                        name: &org.name,
                        name_key: &key,
                        kind: kind.as_str(),
                        region: &org.region,
                        is_exchange: false,
                        created_at: at,
                        updated_at: at,
                    },
                )?;
                model::mark_org_verified(conn, row.id, admin, at)?;
                report.orgs += 1;
                row
            }
        };
        let role = match kind {
            OrgKind::University | OrgKind::Institute => Role::University,
            OrgKind::Enterprise => Role::Enterprise,
            OrgKind::Agency => Role::Broker,
        };
        let email = org_user_email(&org.key);
        let user_id = ensure_user(
            conn,
            &mut report,
            &email,
            &format!("{}联系人", org.name),
            role,
            row.id,
            hash,
        )?;
        if !report.accounts.iter().any(|(r, _)| r == role.as_str()) {
            report.accounts.push((role.as_str().to_owned(), email));
        }
        owners.insert(org.key.clone(), (row.id, user_id, row.region.clone()));
    }

    // Parties for the demo's contracts, in the file's order.
    let members = |wanted: &[OrgKind], role: Role| -> Vec<contracts::Member> {
        demo.orgs
            .iter()
            .filter(|o| OrgKind::parse(&o.kind).is_some_and(|k| wanted.contains(&k)))
            .filter_map(|o| owners.get(&o.key).map(|(org, user, _)| (*org, *user, role)))
            .collect()
    };
    let sellers = members(&[OrgKind::University, OrgKind::Institute], Role::University);
    let buyers = members(&[OrgKind::Enterprise], Role::Enterprise);
    let owner = |key: &str| {
        owners
            .get(key)
            .cloned()
            .ok_or_else(|| fail(format!("unknown demo org {key}")))
    };
    let mut achievement_ids = Vec::with_capacity(demo.achievements.len());
    for mut raw in demo.achievements {
        let (org_id, user_id, region) = owner(&take_str(&mut raw, "org")?)?;
        let input: AchievementInput =
            serde_json::from_value(raw).map_err(|e| fail(format!("demo achievement: {e}")))?;
        let data = input.validate(&region)?;
        let existing: Option<i64> = achievements::table
            .filter(achievements::org_id.eq(org_id))
            .filter(achievements::title.eq(&data.title))
            .select(achievements::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = amodel::insert(conn, &data, org_id, user_id, now())?;
                publish::<AchievementStore>(conn, id, ListingKind::Achievement, user_id, admin)?;
                report.achievements += 1;
                id
            }
        };
        achievement_ids.push(id);
    }

    let today = fields::today();
    let mut new_challenges = Vec::new();
    for mut raw in demo.demands {
        let (org_id, user_id, region) = owner(&take_str(&mut raw, "org")?)?;
        let valid_for = take_days(&mut raw, "valid_for_days")?;
        raw["valid_until"] = Value::String((today + Duration::days(valid_for)).to_string());
        if raw["challenge"].is_object() {
            let apply_for = take_days(&mut raw["challenge"], "apply_for_days")?;
            raw["challenge"]["apply_by"] =
                Value::String((today + Duration::days(apply_for)).to_string());
        }
        let input: DemandInput =
            serde_json::from_value(raw).map_err(|e| fail(format!("demo demand: {e}")))?;
        let data = input.validate(&region, today)?;
        let exists = demands::table
            .filter(demands::org_id.eq(org_id))
            .filter(demands::title.eq(&data.title))
            .select(demands::id)
            .first::<i64>(conn)
            .optional()?
            .is_some();
        if !exists {
            let id = dmodel::insert(conn, &data, org_id, user_id, now())?;
            publish::<DemandStore>(conn, id, ListingKind::Demand, user_id, admin)?;
            report.demands += 1;
            if let Some(bounty) = data.challenge_bounty_fen {
                new_challenges.push((id, user_id, data.chain.clone(), bounty));
            }
        }
    }

    // Challenge activity, only for challenges made in this run (so a rerun adds nothing):
    // the first two universities with an achievement in the challenge's chain apply; on
    // the first three challenges the first applicant wins, with two milestones planned
    // and the first accepted.
    let member_of: std::collections::HashMap<i64, i64> = owners
        .values()
        .map(|(org, user, _)| (*org, *user))
        .collect();
    for (n, (demand_id, owner_user, chain, bounty)) in new_challenges.into_iter().enumerate() {
        let applicants: Vec<(i64, i64)> = achievements::table
            .filter(achievements::chain.eq(&chain))
            .filter(achievements::status.eq(Status::Published.as_str()))
            .order(achievements::id.asc())
            .select((achievements::org_id, achievements::id))
            .load(conn)?;
        let mut seen = std::collections::HashSet::new();
        let applicants: Vec<(i64, i64)> = applicants
            .into_iter()
            .filter(|(org, _)| seen.insert(*org))
            .take(2)
            .collect();
        for (k, (org_id, achievement_id)) in applicants.into_iter().enumerate() {
            let Some(&user_id) = member_of.get(&org_id) else {
                continue;
            };
            let data = challenges::ApplicationData {
                proposal: "依托已有成果开展攻关：三个月完成方案与样机，六个月完成现场验证。".into(),
                achievement_id: Some(achievement_id),
                team: vec![challenges::TeamMember {
                    name: "项目负责人".into(),
                    title: "教授".into(),
                    role: "负责人".into(),
                }],
                budget_fen: Some(bounty),
            };
            let app_id =
                challenges::insert_application(conn, demand_id, org_id, user_id, &data, now())?;
            report.applications += 1;
            if n >= 3 || k > 0 {
                continue;
            }
            let selected = (
                challenges::ApplicationStatus::Submitted,
                challenges::ApplicationStatus::Selected,
            );
            challenges::decide(
                conn,
                app_id,
                selected,
                Some("方案最完整"),
                owner_user,
                now(),
            )?;
            let mut prior = 0;
            for (title, days, share_bp) in
                [("方案设计与样机", 90, 4000), ("现场验证与交付", 180, 6000)]
            {
                let plan = challenges::MilestoneInput {
                    title: title.into(),
                    due_on: today + Duration::days(days),
                    share_bp,
                    application_id: Some(app_id),
                };
                let amount = challenges::tranche_fen(bounty, prior, share_bp);
                prior += share_bp;
                let id = challenges::insert_milestone(
                    conn,
                    demand_id,
                    app_id,
                    title,
                    &plan,
                    amount,
                    owner_user,
                    now(),
                )?;
                report.milestones += 1;
                if prior == 4000 {
                    let pending = challenges::MilestoneStatus::Pending;
                    challenges::submit_milestone(
                        conn,
                        id,
                        pending,
                        "样机已完成并通过测试。",
                        now(),
                    )?;
                    let accepted = challenges::MilestoneStatus::Accepted;
                    challenges::review_milestone(conn, id, accepted, Some("通过"), now())?;
                }
            }
        }
    }

    for entry in demo.pool {
        let id = *achievement_ids
            .get(entry.achievement)
            .ok_or_else(|| fail(format!("pool index {}", entry.achievement)))?;
        let exists = pool_entries::table
            .filter(pool_entries::year.eq(entry.year))
            .filter(pool_entries::achievement_id.eq(id))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !exists {
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
            crate::search::outbox::enqueue(conn, crate::search::IndexKind::Achievements, &[id])?;
            report.pool_entries += 1;
        }
    }
    report.contracts = contracts::seed(conn, admin, &sellers, &buyers)?;
    Ok(report)
}
