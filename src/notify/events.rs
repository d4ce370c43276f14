//! The outbox of domain events: [`emit`] writes one in the caller's transaction.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::notification_events;
use crate::notify::Kind;

/// Who hears of an event: every active user of `orgs`, the `users` named, except the user
/// who caused it (nobody is told of their own step).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Audience {
    #[serde(default)]
    pub orgs: Vec<i64>,
    #[serde(default)]
    pub users: Vec<i64>,
    #[serde(default)]
    pub except: Option<i64>,
}

impl Audience {
    pub fn orgs(orgs: impl IntoIterator<Item = i64>) -> Audience {
        let mut orgs: Vec<i64> = orgs.into_iter().collect();
        orgs.sort_unstable();
        orgs.dedup();
        Audience {
            orgs,
            ..Audience::default()
        }
    }

    pub fn users(users: impl IntoIterator<Item = i64>) -> Audience {
        Audience {
            users: users.into_iter().collect(),
            ..Audience::default()
        }
    }

    /// The same audience without the user who acted.
    pub fn except(mut self, actor: i64) -> Audience {
        self.except = Some(actor);
        self
    }
}

/// A title and a body in one language.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Text {
    pub title: String,
    pub body: String,
}

/// What a notification says, in Chinese and English, and the API path of its item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub link: String,
    pub zh: Text,
    pub en: Text,
}

impl Message {
    pub fn new(link: String, zh: (String, String), en: (String, String)) -> Message {
        Message {
            link,
            zh: Text {
                title: zh.0,
                body: zh.1,
            },
            en: Text {
                title: en.0,
                body: en.1,
            },
        }
    }
}

/// One event to tell an audience about. `dedupe_key` (for sweeps) makes every user receive
/// it at most once however often it is emitted; without one, each event is its own.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: Kind,
    pub audience: Audience,
    pub message: Message,
    pub dedupe_key: Option<String>,
}

impl Notice {
    pub fn new(kind: Kind, audience: Audience, message: Message) -> Notice {
        Notice {
            kind,
            audience,
            message,
            dedupe_key: None,
        }
    }

    pub fn keyed(mut self, key: String) -> Notice {
        self.dedupe_key = Some(key);
        self
    }
}

/// Writes the event in the caller's transaction; the worker fans it out later.
pub fn emit(conn: &mut AnyConnection, notice: &Notice) -> QueryResult<()> {
    if notice.audience.orgs.is_empty() && notice.audience.users.is_empty() {
        return Ok(());
    }
    let at = now();
    // Without a key of its own an event is unique: a random key (event ids may be reused
    // once the row is gone, SQLite's rowids are).
    let key = match &notice.dedupe_key {
        Some(k) => k.clone(),
        None => format!("event:{}", crate::auth::tokens::random_hex(12)),
    };
    diesel::insert_into(notification_events::table)
        .values((
            notification_events::kind.eq(notice.kind.as_str()),
            notification_events::audience.eq(to_json(&notice.audience)),
            notification_events::message.eq(to_json(&notice.message)),
            notification_events::dedupe_key.eq(Some(key)),
            notification_events::attempts.eq(0),
            notification_events::available_at.eq(at),
            notification_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The stored JSON of a payload (plain data: it always serialises).
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}
