//! Email: deliveries queued in the transaction that made the notification, sent by a
//! background worker through SMTP (`lettre`).
//!
//! Why the sync SMTP transport on the blocking pool: every blocking call of this server
//! (diesel, exports, tantivy) runs there through `web::block`, sends are few and short
//! (a 10 s timeout), and it keeps tokio's networking features and a second TLS stack out
//! of the build; the async workers never wait on a mail server.
//!
//! Never twice: one delivery row per notification (or per user and digest day), unique by
//! its key; a worker leases a row (PostgreSQL: `FOR UPDATE SKIP LOCKED`) for longer than a
//! send may take, marks it sent right after the server accepted it, and a sent row is
//! never claimed again. Every message carries a `Message-ID` derived from the row, so in
//! the one window left (the process dying between the server's 250 and the commit) a
//! resend is recognisable as the same message. A failing send backs off exponentially (up
//! to `mail_retry_max_secs`) and never touches the write that caused the notification.

use std::time::Duration as StdDuration;

use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use lettre::message::Body;
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::{SmtpTransport, Transport};

use crate::clock::now;
use crate::config::Settings;
use crate::db::schema::email_deliveries;
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;
use crate::notify::events::Message;
use crate::notify::inbox::NotificationRow;
use crate::search::outbox::Shutdown;

/// How long a claimed delivery stays invisible to other workers; longer than a send.
const LEASE_SECS: i64 = 120;
/// After this many failed sends a delivery is given up (`failed`), its error kept.
pub const MAX_ATTEMPTS: i32 = 20;

fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    to: &str,
    (subject, body): (&str, &str),
) -> QueryResult<usize> {
    let at = now();
    let insert = diesel::insert_into(email_deliveries::table)
        .values((
            email_deliveries::user_id.eq(user_id),
            email_deliveries::dedupe_key.eq(key),
            email_deliveries::to_email.eq(to),
            email_deliveries::subject.eq(subject),
            email_deliveries::body.eq(body),
            email_deliveries::status.eq("pending"),
            email_deliveries::attempts.eq(0),
            email_deliveries::available_at.eq(at),
            email_deliveries::created_at.eq(at),
        ))
        .on_conflict(email_deliveries::dedupe_key)
        .do_nothing();
    match conn {
        AnyConnection::Postgresql(c) => insert.execute(c),
        AnyConnection::Sqlite(c) => insert.execute(c),
    }
}

/// Queues the email of one notification (once: keyed by the notification).
pub fn queue_one(
    conn: &mut AnyConnection,
    user_id: i64,
    to: &str,
    notification_id: i64,
    message: &Message,
) -> QueryResult<usize> {
    let subject = format!("【秦创原】{}", message.zh.title);
    let body = format!(
        "{}\n\n{}\n\n链接 / Link: {}\n\n——\n{}\n\n{}\n",
        message.zh.title, message.zh.body, message.link, message.en.title, message.en.body
    );
    let key = format!("notification:{notification_id}");
    insert(conn, user_id, &key, to, (&subject, &body))
}

/// Queues one digest email of `rows` for the user and day (once per user and day).
pub fn queue_digest(
    conn: &mut AnyConnection,
    user_id: i64,
    to: &str,
    day: chrono::NaiveDate,
    rows: &[NotificationRow],
) -> QueryResult<usize> {
    let subject = format!("【秦创原】{day} 通知摘要（{} 条）", rows.len());
    let mut body = format!("{day} 的通知 / Notifications of {day}:\n\n");
    for r in rows {
        body.push_str(&format!(
            "· {}\n  {}\n  {}\n  {}\n\n",
            r.title_zh, r.title_en, r.body_zh, r.link
        ));
    }
    let key = format!("digest:{user_id}:{day}");
    insert(conn, user_id, &key, to, (&subject, &body))
}

/// The configured SMTP server and sender.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    max_backoff_secs: i64,
}

impl Mailer {
    /// `None` without `smtp_url` (inbox only); an error for a URL or sender that is wrong.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = settings.smtp_url.as_ref() else {
            return Ok(None);
        };
        let transport = SmtpTransport::from_url(url.expose())
            .map_err(|e| anyhow::anyhow!("TT_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(StdDuration::from_secs(10)))
            .build();
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("TT_MAIL_FROM is not a mailbox: {e}"))?;
        Ok(Some(Mailer {
            transport,
            from,
            max_backoff_secs: settings.mail_retry_max_secs.max(1) as i64,
        }))
    }

    /// Sends one delivery (blocking: called on the blocking pool).
    fn send(&self, d: &Claimed) -> anyhow::Result<()> {
        let domain = self.from.email.domain().to_owned();
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(d.to_email.parse()?)
            .subject(d.subject.clone())
            .message_id(Some(format!(
                "<delivery-{}-{}@{domain}>",
                d.id,
                d.dedupe_key.replace(':', ".")
            )))
            .header(ContentType::TEXT_PLAIN)
            // Base64: safe through any server, whatever the line lengths of Chinese text.
            .body(
                Body::new_with_encoding(d.body.clone(), ContentTransferEncoding::Base64)
                    .map_err(|_| anyhow::anyhow!("the body cannot be encoded"))?,
            )?;
        self.transport.send(&email)?;
        Ok(())
    }
}

#[derive(Debug, Clone, QueryableByName, Queryable)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    dedupe_key: String,
    #[diesel(sql_type = Text)]
    to_email: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

const PG_CLAIM: &str = "UPDATE email_deliveries SET available_at = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM email_deliveries WHERE status = 'pending' AND available_at <= $2 \
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, dedupe_key, to_email, subject, body, attempts";

/// Leases up to `limit` due deliveries (their attempt counted).
fn claim(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<Claimed>> {
    let at = now();
    let lease = at + Duration::seconds(LEASE_SECS);
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(PG_CLAIM)
            .bind::<Timestamp, _>(lease)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load(pg),
        AnyConnection::Sqlite(_) => {
            // One process per SQLite file, inside a write transaction: nobody interleaves.
            let due = email_deliveries::table
                .filter(email_deliveries::status.eq("pending"))
                .filter(email_deliveries::available_at.le(at))
                .order(email_deliveries::id.asc())
                .limit(limit);
            let rows: Vec<Claimed> = due
                .select((
                    email_deliveries::id,
                    email_deliveries::dedupe_key,
                    email_deliveries::to_email,
                    email_deliveries::subject,
                    email_deliveries::body,
                    email_deliveries::attempts,
                ))
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            diesel::update(email_deliveries::table.filter(email_deliveries::id.eq_any(&ids)))
                .set((
                    email_deliveries::available_at.eq(lease),
                    email_deliveries::attempts.eq(email_deliveries::attempts + 1),
                ))
                .execute(conn)?;
            Ok(rows
                .into_iter()
                .map(|r| Claimed {
                    attempts: r.attempts + 1,
                    ..r
                })
                .collect())
        }
    }
}

fn mark_sent(conn: &mut AnyConnection, id: i64) -> QueryResult<usize> {
    diesel::update(email_deliveries::table.find(id))
        .set((
            email_deliveries::status.eq("sent"),
            email_deliveries::sent_at.eq(Some(now())),
            email_deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

fn retry_later(
    conn: &mut AnyConnection,
    id: i64,
    after: Duration,
    give_up: bool,
    error: &str,
) -> QueryResult<usize> {
    let status = if give_up { "failed" } else { "pending" };
    diesel::update(email_deliveries::table.find(id))
        .set((
            email_deliveries::status.eq(status),
            email_deliveries::available_at.eq(now() + after),
            email_deliveries::last_error.eq(Some(error.chars().take(500).collect::<String>())),
        ))
        .execute(conn)
}

/// Sends one batch of due deliveries; how many were sent.
pub async fn send_due(db: &Db, mailer: &Mailer, limit: i64) -> Result<usize, ApiError> {
    // A read first: an idle server does not take SQLite's one writer every poll.
    let due = db
        .read(|conn| {
            let due = email_deliveries::table
                .filter(email_deliveries::status.eq("pending"))
                .filter(email_deliveries::available_at.le(now()));
            Ok(diesel::select(diesel::dsl::exists(due)).get_result::<bool>(conn)?)
        })
        .await?;
    if !due {
        return Ok(0);
    }
    let claimed = db.write(move |conn| Ok(claim(conn, limit)?)).await?;
    let mut sent = 0;
    for d in claimed {
        let m = mailer.clone();
        let (id, attempts) = (d.id, d.attempts);
        let result = actix_web::web::block(move || m.send(&d)).await?;
        match result {
            Ok(()) => {
                sent += db.write(move |conn| Ok(mark_sent(conn, id)?)).await?;
            }
            Err(e) => {
                let message = format!("{e:#}");
                tracing::warn!(delivery = id, attempts, error = %message, "email not sent; will retry");
                let after = crate::clock::backoff(attempts, mailer.max_backoff_secs);
                let give_up = attempts >= MAX_ATTEMPTS;
                db.write(move |conn| Ok(retry_later(conn, id, after, give_up, &message)?))
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// The background loop of the mail worker.
pub async fn run(db: Db, mailer: Mailer, shutdown: Shutdown) {
    let mut idle = StdDuration::from_millis(100);
    while !shutdown.stopped() {
        match send_due(&db, &mailer, 20).await {
            Ok(n) if n > 0 => idle = StdDuration::from_millis(100),
            Ok(_) => {
                actix_web::rt::time::sleep(idle).await;
                idle = (idle * 2).min(StdDuration::from_millis(500));
            }
            Err(e) => {
                tracing::warn!(error = ?e, "mail worker error");
                actix_web::rt::time::sleep(StdDuration::from_secs(1)).await;
            }
        }
    }
}

/// Delivery counts by status, for tests and the admin.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    email_deliveries::table
        .group_by(email_deliveries::status)
        .select((email_deliveries::status, diesel::dsl::count_star()))
        .load(conn)
}
