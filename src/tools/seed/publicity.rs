//! The demo's agreed prices made public (协议定价公示), appended after everything else so
//! the ids of earlier demo records stay as the README prints them: one running (西北工业大学's
//! carbon brake discs, licensed to 宝鸡秦鼎数控 for 30万元) and one finished (its absorbing
//! metamaterials, licensed to 汉中航宇 for 12万元, ended five days ago). Only when the
//! demo has none yet, so a rerun adds nothing.

use chrono::Duration;
use diesel::prelude::*;

use crate::accounts::model::Role;
use crate::auth::extract::CurrentUser;
use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, orgs, publicities, users};
use crate::error::ApiError;
use crate::publicity::notices::{self, NewPublicity};

use super::fail;

/// (achievement title, buyer org name, price in fen, days, ended how many days ago).
const PUBLICITIES: [(&str, &str, i64, i32, Option<i64>); 2] = [
    (
        "飞机碳/碳复合材料刹车盘制备技术",
        "宝鸡秦鼎数控机床有限公司",
        30_000_000,
        20,
        None,
    ),
    (
        "轻质宽频吸波超材料及其结构功能一体化技术",
        "汉中航宇精密机械有限公司",
        12_000_000,
        15,
        Some(5),
    ),
];

fn id_of<T>(found: Option<T>, what: &str) -> Result<T, ApiError> {
    found.ok_or_else(|| fail(format!("demo publicity: no {what}")))
}

/// The university member of the achievement's org, acting for it.
fn seller(conn: &mut AnyConnection, org_id: i64) -> Result<CurrentUser, ApiError> {
    let id: Option<i64> = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::role.eq(Role::University.as_str()))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .optional()?;
    Ok(CurrentUser {
        id: id_of(id, "seller user")?,
        role: Role::University,
        org_id,
        org_verified: true,
    })
}

/// Publishes the demo's publicities; returns how many it made.
pub(super) fn seed(conn: &mut AnyConnection) -> Result<usize, ApiError> {
    let existing: i64 = publicities::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    for (title, buyer, price, days, ended) in PUBLICITIES {
        let found: Option<(i64, i64)> = achievements::table
            .filter(achievements::title.eq(title))
            .select((achievements::id, achievements::org_id))
            .first(conn)
            .optional()?;
        let (achievement, org) = id_of(found, title)?;
        let buyer: Option<i64> = orgs::table
            .filter(orgs::name.eq(buyer))
            .select(orgs::id)
            .first(conn)
            .optional()?;
        let req = NewPublicity {
            buyer_org_id: id_of(buyer, "buyer org")?,
            price_fen: price,
            transfer_mode: "licensing".into(),
            days,
        };
        let user = seller(conn, org)?;
        let row = notices::publish(conn, &user, achievement, || Ok(req))?;
        if let Some(ago) = ended {
            let ends = now() - Duration::days(ago);
            diesel::update(publicities::table.find(row.id))
                .set((
                    publicities::starts_at.eq(ends - Duration::days(i64::from(days))),
                    publicities::ends_at.eq(ends),
                    publicities::created_at.eq(ends - Duration::days(i64::from(days))),
                ))
                .execute(conn)?;
        }
    }
    Ok(PUBLICITIES.len())
}
