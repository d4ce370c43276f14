//! Per-kind delivery settings: no row means inbox only.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::notification_settings;
use crate::notify::{Kind, Mode};

/// One kind's setting, as `GET|PUT /api/v1/me/notification-settings` shows and takes it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub kind: Kind,
    pub mode: Mode,
}

/// How `user_id` wants `kind` delivered.
pub fn mode(conn: &mut AnyConnection, user_id: i64, kind: Kind) -> QueryResult<Mode> {
    let stored: Option<String> = notification_settings::table
        .filter(notification_settings::user_id.eq(user_id))
        .filter(notification_settings::kind.eq(kind.as_str()))
        .select(notification_settings::mode)
        .first(conn)
        .optional()?;
    stored.map_or(Ok(Mode::Inbox), |m| Mode::read(&m))
}

/// Every kind with the user's mode, in the kinds' order.
pub fn all(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Vec<Setting>> {
    let stored: Vec<(String, String)> = notification_settings::table
        .filter(notification_settings::user_id.eq(user_id))
        .select((notification_settings::kind, notification_settings::mode))
        .load(conn)?;
    Kind::ALL
        .iter()
        .map(|&kind| {
            let mode = match stored.iter().find(|(k, _)| k == kind.as_str()) {
                Some((_, m)) => Mode::read(m)?,
                None => Mode::Inbox,
            };
            Ok(Setting { kind, mode })
        })
        .collect()
}

/// Sets the kinds given; kinds not named keep their mode.
pub fn put(conn: &mut AnyConnection, user_id: i64, settings: &[Setting]) -> QueryResult<()> {
    for s in settings {
        let target = notification_settings::table
            .filter(notification_settings::user_id.eq(user_id))
            .filter(notification_settings::kind.eq(s.kind.as_str()));
        let changed = diesel::update(target)
            .set((
                notification_settings::mode.eq(s.mode.as_str()),
                notification_settings::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(notification_settings::table)
                .values((
                    notification_settings::user_id.eq(user_id),
                    notification_settings::kind.eq(s.kind.as_str()),
                    notification_settings::mode.eq(s.mode.as_str()),
                    notification_settings::updated_at.eq(now()),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The users who want some kind in a daily digest, with those kinds.
pub fn digest_users(conn: &mut AnyConnection) -> QueryResult<Vec<(i64, Vec<String>)>> {
    let rows: Vec<(i64, String)> = notification_settings::table
        .filter(notification_settings::mode.eq(Mode::Digest.as_str()))
        .order((notification_settings::user_id, notification_settings::kind))
        .select((notification_settings::user_id, notification_settings::kind))
        .load(conn)?;
    let mut out: Vec<(i64, Vec<String>)> = Vec::new();
    for (user, kind) in rows {
        match out.last_mut() {
            Some((u, kinds)) if *u == user => kinds.push(kind),
            _ => out.push((user, vec![kind])),
        }
    }
    Ok(out)
}
