//! The operations on inquiries and their messages.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::bookmarks::store::{ListingKind, readable};
use crate::clock::now;
use crate::db::AnyConnection;
use crate::db::schema::{inquiries, inquiry_messages, orgs, users};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::notify::{Audience, Kind, Notice, emit, texts};

/// Messages (first ones of inquiries included) one user may write in an hour.
pub const MESSAGES_PER_HOUR: i64 = 30;
/// The longest message, in characters.
pub const MAX_BODY: usize = 2000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inquiries)]
pub struct InquiryRow {
    pub id: i64,
    pub listing_kind: String,
    pub listing_id: i64,
    pub asker_org_id: i64,
    pub owner_org_id: i64,
    pub created_by: i64,
    pub last_message_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub deal_id: Option<i64>,
}

/// `{"body": "..."}` of a new inquiry or message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
}

impl NewMessage {
    /// The body, trimmed: 1 to [`MAX_BODY`] characters, no control characters but line
    /// breaks and tabs.
    pub fn checked(self) -> Result<String, ApiError> {
        let body = self.body.trim().to_owned();
        let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
        if body.is_empty() || body.chars().count() > MAX_BODY || body.chars().any(bad) {
            return Err(ApiError::new(ErrorCode::InvalidMessage).field("body"));
        }
        Ok(body)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ListingRef {
    pub kind: String,
    pub id: i64,
    pub title: String,
}

/// An inquiry as its two orgs (and admins) read it.
#[derive(Debug, Serialize)]
pub struct InquiryView {
    pub id: i64,
    pub listing: ListingRef,
    pub asker_org: OrgRef,
    pub owner_org: OrgRef,
    pub messages: i64,
    /// The deal a broker opened from this inquiry (`GET /api/v1/deals/{id}`), if any.
    pub deal_id: Option<i64>,
    pub last_message_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    pub id: i64,
    pub author: String,
    pub org: OrgRef,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

fn org(conn: &mut AnyConnection, id: i64) -> QueryResult<OrgRef> {
    let name = orgs::table.find(id).select(orgs::name).first(conn)?;
    Ok(OrgRef { id, name })
}

fn title(conn: &mut AnyConnection, row: &InquiryRow) -> QueryResult<String> {
    use crate::db::schema::{achievements, demands};
    match row.listing_kind.as_str() {
        "demands" => demands::table
            .find(row.listing_id)
            .select(demands::title)
            .first(conn),
        _ => achievements::table
            .find(row.listing_id)
            .select(achievements::title)
            .first(conn),
    }
}

pub fn view(conn: &mut AnyConnection, row: InquiryRow) -> QueryResult<InquiryView> {
    let messages = inquiry_messages::table
        .filter(inquiry_messages::inquiry_id.eq(row.id))
        .count()
        .get_result(conn)?;
    Ok(InquiryView {
        id: row.id,
        listing: ListingRef {
            kind: row.listing_kind.clone(),
            id: row.listing_id,
            title: title(conn, &row)?,
        },
        asker_org: org(conn, row.asker_org_id)?,
        owner_org: org(conn, row.owner_org_id)?,
        messages,
        deal_id: row.deal_id,
        last_message_at: row.last_message_at.and_utc(),
        created_at: row.created_at.and_utc(),
    })
}

/// Refuses a user who wrote [`MESSAGES_PER_HOUR`] messages in the last hour.
fn check_rate(conn: &mut AnyConnection, user_id: i64) -> Result<(), ApiError> {
    let since = now() - Duration::hours(1);
    let recent: Vec<NaiveDateTime> = inquiry_messages::table
        .filter(inquiry_messages::author_id.eq(user_id))
        .filter(inquiry_messages::created_at.gt(since))
        .order(inquiry_messages::created_at.asc())
        .select(inquiry_messages::created_at)
        .limit(MESSAGES_PER_HOUR)
        .load(conn)?;
    if (recent.len() as i64) < MESSAGES_PER_HOUR {
        return Ok(());
    }
    let frees_at = recent[0] + Duration::hours(1);
    let secs = (frees_at - now()).num_seconds().max(1) as u64;
    Err(ApiError::new(ErrorCode::RateLimited).retry_after(secs))
}

/// Writes a message (rate-checked) and tells the other org.
fn post(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    row: &InquiryRow,
    body: &str,
) -> Result<i64, ApiError> {
    check_rate(conn, user.id)?;
    let at = now();
    diesel::insert_into(inquiry_messages::table)
        .values((
            inquiry_messages::inquiry_id.eq(row.id),
            inquiry_messages::author_id.eq(user.id),
            inquiry_messages::author_org_id.eq(user.org_id),
            inquiry_messages::body.eq(body),
            inquiry_messages::created_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(inquiries::table.find(row.id))
        .set(inquiries::last_message_at.eq(at))
        .execute(conn)?;
    let other = match user.org_id == row.asker_org_id {
        true => row.owner_org_id,
        false => row.asker_org_id,
    };
    let from = org(conn, user.org_id)?.name;
    let message = texts::inquiry_message(row.id, &row.listing_kind, &title(conn, row)?, &from);
    emit(
        conn,
        &Notice::new(Kind::InquiryMessage, Audience::orgs([other]), message),
    )?;
    Ok(row.id)
}

fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<InquiryRow>> {
    inquiries::table
        .find(id)
        .select(InquiryRow::as_select())
        .first(conn)
        .optional()
}

/// Asks the org of a published listing: a new thread, or a new message in the asking
/// org's thread about it. `true` when the thread is new.
pub fn ask(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    kind: ListingKind,
    id: i64,
    body: &str,
) -> Result<(bool, InquiryView), ApiError> {
    let (_, owner, status) = readable(conn, user, kind, id)?;
    if status != Status::Published {
        return Err(ApiError::not_found("Inquiry"));
    }
    if user.org_id == owner {
        return Err(ApiError::new(ErrorCode::OwnListing));
    }
    if !policy::may_inquire(user, owner) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let existing: Option<InquiryRow> = inquiries::table
        .filter(inquiries::listing_kind.eq(kind.as_str()))
        .filter(inquiries::listing_id.eq(id))
        .filter(inquiries::asker_org_id.eq(user.org_id))
        .select(InquiryRow::as_select())
        .first(conn)
        .optional()?;
    let (created, row) = match existing {
        Some(row) => (false, row),
        None => {
            let at = now();
            diesel::insert_into(inquiries::table)
                .values((
                    inquiries::listing_kind.eq(kind.as_str()),
                    inquiries::listing_id.eq(id),
                    inquiries::asker_org_id.eq(user.org_id),
                    inquiries::owner_org_id.eq(owner),
                    inquiries::created_by.eq(user.id),
                    inquiries::last_message_at.eq(at),
                    inquiries::created_at.eq(at),
                ))
                .execute(conn)?;
            let row = inquiries::table
                .filter(inquiries::listing_kind.eq(kind.as_str()))
                .filter(inquiries::listing_id.eq(id))
                .filter(inquiries::asker_org_id.eq(user.org_id))
                .select(InquiryRow::as_select())
                .first(conn)?;
            (true, row)
        }
    };
    post(conn, user, &row, body)?;
    let row = find(conn, row.id)?.ok_or_else(|| ApiError::not_found("Inquiry"))?;
    Ok((created, view(conn, row)?))
}

/// Checks that a deal between `demand` and `achievement` (each `(id, org)`) may come from
/// inquiry `id`: one side is the inquiry's listing, the other a listing of the org that
/// asked. The broker who opens it does not read the thread.
pub fn fits_deal(
    conn: &mut AnyConnection,
    id: i64,
    demand: (i64, i64),
    achievement: (i64, i64),
) -> Result<(), ApiError> {
    let row = find(conn, id)?.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::ReferenceNotFound,
            "没有这个询问。",
            "No such inquiry.",
        )
    })?;
    let (listing, other) = match ListingKind::parse(&row.listing_kind)? {
        ListingKind::Achievements => (achievement, demand),
        ListingKind::Demands => (demand, achievement),
    };
    if listing.0 != row.listing_id || other.1 != row.asker_org_id {
        return Err(ApiError::new(ErrorCode::InquiryPairMismatch));
    }
    Ok(())
}

/// Records the deal opened from the inquiry (the latest, when there are several).
pub fn link_deal(conn: &mut AnyConnection, id: i64, deal_id: i64) -> QueryResult<usize> {
    diesel::update(inquiries::table.find(id))
        .set(inquiries::deal_id.eq(Some(deal_id)))
        .execute(conn)
}

/// The inquiry when the user may read it (its two orgs, admins), else a 404.
pub fn readable_inquiry(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<InquiryRow, ApiError> {
    match find(conn, id)? {
        Some(row)
            if policy::in_inquiry(user, (row.asker_org_id, row.owner_org_id))
                || user.role == crate::accounts::model::Role::Admin =>
        {
            Ok(row)
        }
        _ => Err(ApiError::not_found("Inquiry")),
    }
}

/// A reply in a thread: its two orgs' users only (admins read, they do not write).
pub fn reply(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    body: &str,
) -> Result<InquiryView, ApiError> {
    let row = readable_inquiry(conn, user, id)?;
    if !policy::in_inquiry(user, (row.asker_org_id, row.owner_org_id)) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    post(conn, user, &row, body)?;
    let row = find(conn, id)?.ok_or_else(|| ApiError::not_found("Inquiry"))?;
    Ok(view(conn, row)?)
}

/// A page of a thread's messages, oldest first; the total.
pub fn messages(
    conn: &mut AnyConnection,
    id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<MessageView>, i64)> {
    let thread = || inquiry_messages::table.filter(inquiry_messages::inquiry_id.eq(id));
    let total = thread().count().get_result(conn)?;
    let rows: Vec<(i64, String, i64, String, NaiveDateTime)> = thread()
        .inner_join(users::table.on(users::id.eq(inquiry_messages::author_id)))
        .order(inquiry_messages::id.asc())
        .offset(offset)
        .limit(limit)
        .select((
            inquiry_messages::id,
            users::name,
            inquiry_messages::author_org_id,
            inquiry_messages::body,
            inquiry_messages::created_at,
        ))
        .load(conn)?;
    // A thread has two orgs: each name is read once, not once per message.
    let mut orgs: std::collections::HashMap<i64, OrgRef> = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for (id, author, org_id, body, at) in rows {
        let org = match orgs.get(&org_id) {
            Some(o) => o.clone(),
            None => orgs.entry(org_id).or_insert(org(conn, org_id)?).clone(),
        };
        items.push(MessageView {
            id,
            author,
            org,
            body,
            created_at: at.and_utc(),
        });
    }
    Ok((items, total))
}

/// A page of the inquiries of the user's org (asked or received), latest activity first.
pub fn mine(
    conn: &mut AnyConnection,
    org_id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<InquiryView>, i64)> {
    let of_org = || {
        inquiries::table.filter(
            inquiries::asker_org_id
                .eq(org_id)
                .or(inquiries::owner_org_id.eq(org_id)),
        )
    };
    let total = of_org().count().get_result(conn)?;
    let rows: Vec<InquiryRow> = of_org()
        .order((inquiries::last_message_at.desc(), inquiries::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(InquiryRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|r| view(conn, r))
        .collect::<QueryResult<_>>()?;
    Ok((items, total))
}

/// How many orgs asked about the listing.
pub fn count(conn: &mut AnyConnection, kind: ListingKind, id: i64) -> QueryResult<i64> {
    inquiries::table
        .filter(inquiries::listing_kind.eq(kind.as_str()))
        .filter(inquiries::listing_id.eq(id))
        .count()
        .get_result(conn)
}
