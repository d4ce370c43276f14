//! The daily sweep: notices that come from the calendar rather than from a change, and the
//! daily digests. One scheduler job (`notify.sweep`, put there by the migration) runs it
//! and moves itself to the next day, so it fires once a day across servers and runs at the
//! next start after downtime. Each notice is keyed by (kind, item, date), so a sweep run
//! twice, or a notice still true the next day, lands once per user.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveTime};
use diesel::prelude::*;

use crate::clock::{now, today};
use crate::db::AnyConnection;
use crate::db::schema::{
    challenge_applications, challenge_milestones, deals, demands, notifications, users,
};
use crate::error::ApiError;
use crate::notify::{Audience, Kind, Notice, emit, mail, prefs, texts};
use crate::scheduler::{Handler, Jobs, Next};

/// The scheduler job kind of the sweep.
pub const JOB: &str = "notify.sweep";
/// A milestone due within this many days is announced.
pub const MILESTONE_NOTICE_DAYS: i64 = 7;
/// A demand valid until within this many days (or a challenge closing) is announced.
pub const EXPIRY_NOTICE_DAYS: i64 = 7;

/// Registers the sweep with the scheduler; digests are queued only when `email` is on.
pub fn jobs(jobs: Jobs, email: bool) -> Jobs {
    let handler: Handler = Arc::new(move |conn, _| {
        run(conn, today(), email)?;
        // The next run: tomorrow 00:00 UTC (08:00 in Shaanxi), a time to read email.
        let next = (today() + Duration::days(1)).and_time(NaiveTime::MIN);
        Ok(Next::At(next.max(now() + Duration::minutes(1))))
    });
    jobs.with(JOB, handler)
}

/// Everything the sweep does for `day`, in the caller's transaction.
pub fn run(conn: &mut AnyConnection, day: NaiveDate, email: bool) -> Result<(), ApiError> {
    milestones(conn, day)?;
    follow_ups(conn, day)?;
    expiring(conn, day)?;
    if email {
        digests(conn, day)?;
    }
    Ok(())
}

type MilestoneDue = (i64, i64, String, NaiveDate, i64, i64, String);

/// Open milestones due within the week (the winner hears) or overdue (both orgs hear).
fn milestones(conn: &mut AnyConnection, day: NaiveDate) -> QueryResult<()> {
    let rows: Vec<MilestoneDue> = challenge_milestones::table
        .inner_join(challenge_applications::table)
        .inner_join(demands::table.on(demands::id.eq(challenge_milestones::demand_id)))
        .filter(challenge_milestones::status.eq_any(["pending", "rejected"]))
        .filter(challenge_milestones::due_on.le(day + Duration::days(MILESTONE_NOTICE_DAYS)))
        .select((
            challenge_milestones::id,
            challenge_milestones::demand_id,
            challenge_milestones::title,
            challenge_milestones::due_on,
            challenge_applications::org_id,
            demands::org_id,
            demands::title,
        ))
        .load(conn)?;
    for (id, demand, title, due, winner, owner, challenge) in rows {
        let overdue = due < day;
        let (kind, audience) = match overdue {
            false => (Kind::MilestoneDueSoon, Audience::orgs([winner])),
            true => (Kind::MilestoneOverdue, Audience::orgs([winner, owner])),
        };
        let message = texts::milestone_due(demand, &challenge, &title, due, overdue);
        let key = format!("{}:{id}:{due}", kind.as_str());
        emit(conn, &Notice::new(kind, audience, message).keyed(key))?;
    }
    Ok(())
}

/// Open deals whose follow-up date is today or past: their broker hears, once per date.
fn follow_ups(conn: &mut AnyConnection, day: NaiveDate) -> QueryResult<()> {
    let rows: Vec<(i64, i64, Option<NaiveDate>, String, String)> = deals::table
        .inner_join(demands::table.on(demands::id.eq(deals::demand_id)))
        .inner_join(
            crate::db::schema::achievements::table
                .on(crate::db::schema::achievements::id.eq(deals::achievement_id)),
        )
        .filter(deals::stage.ne_all(["signed", "lost"]))
        .filter(deals::next_follow_up.le(day))
        .select((
            deals::id,
            deals::broker_id,
            deals::next_follow_up,
            demands::title,
            crate::db::schema::achievements::title,
        ))
        .load(conn)?;
    for (id, broker, on, demand, achievement) in rows {
        let Some(on) = on else { continue };
        let message = texts::follow_up_due(id, &demand, &achievement, on);
        let key = format!("follow_up_due:{id}:{on}");
        let notice = Notice::new(Kind::FollowUpDue, Audience::users([broker]), message);
        emit(conn, &notice.keyed(key))?;
    }
    Ok(())
}

/// Published demands about to expire, and challenges whose applications close soon.
fn expiring(conn: &mut AnyConnection, day: NaiveDate) -> QueryResult<()> {
    let horizon = day + Duration::days(EXPIRY_NOTICE_DAYS);
    let rows: Vec<(i64, i64, String, NaiveDate, Option<NaiveDate>)> = demands::table
        .filter(demands::status.eq("published"))
        .filter(
            demands::valid_until
                .between(day, horizon)
                .or(demands::challenge_apply_by.between(day, horizon)),
        )
        .select((
            demands::id,
            demands::org_id,
            demands::title,
            demands::valid_until,
            demands::challenge_apply_by,
        ))
        .load(conn)?;
    for (id, org, title, valid_until, apply_by) in rows {
        let dates = [(Some(valid_until), false), (apply_by, true)];
        for (date, challenge) in dates {
            let Some(on) = date.filter(|d| (day..=horizon).contains(d)) else {
                continue;
            };
            let what = if challenge { "challenge" } else { "demand" };
            let key = format!("listing_expiring:{what}:{id}:{on}");
            let message = texts::listing_expiring(id, &title, on, challenge);
            let notice = Notice::new(Kind::ListingExpiring, Audience::orgs([org]), message);
            emit(conn, &notice.keyed(key))?;
        }
    }
    Ok(())
}

/// One email a day per user with digest kinds: the notifications of those kinds that no
/// digest carried yet.
fn digests(conn: &mut AnyConnection, day: NaiveDate) -> QueryResult<()> {
    for (user, kinds) in prefs::digest_users(conn)? {
        let (active, address): (bool, String) = users::table
            .find(user)
            .select((users::is_active, users::email))
            .first(conn)?;
        let rows: Vec<crate::notify::inbox::NotificationRow> = notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::kind.eq_any(&kinds))
            .filter(notifications::digested_at.is_null())
            .order(notifications::id.asc())
            .limit(200)
            .select(crate::notify::inbox::NotificationRow::as_select())
            .load(conn)?;
        if rows.is_empty() || !active {
            continue;
        }
        mail::queue_digest(conn, user, &address, day, &rows)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
            .set(notifications::digested_at.eq(Some(now())))
            .execute(conn)?;
    }
    Ok(())
}
