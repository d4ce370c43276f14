//! `/api/v1/me/notifications` and `/api/v1/me/notification-settings`: every signed-in user
//! reads and marks their own inbox and chooses how each kind reaches them.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::extract::CurrentUser;
use crate::body::Body;
use crate::error::{ApiError, ErrorCode};
use crate::notify::prefs::{self, Setting};
use crate::notify::{Kind, inbox};
use crate::pagination::Pagination;
use crate::state::AppData;

/// `GET /api/v1/me/notifications` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    pub kind: Option<Kind>,
    /// `true`: unread ones only.
    pub unread: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// `GET /api/v1/me/notifications`: unread first, newest first; `unread` counts all unread.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = Pagination::new(q.page, q.per_page)?;
    let filter = inbox::Filter {
        kind: q.kind,
        unread_only: q.unread.unwrap_or(false),
    };
    let (page_items, unread) = state
        .db
        .read(move |conn| {
            let items = inbox::list(conn, user.id, filter, page.offset(), page.limit())?;
            Ok((items, inbox::unread_count(conn, user.id)?))
        })
        .await?;
    let (items, total) = page_items;
    Ok(HttpResponse::Ok().json(InboxPage {
        page: page.wrap(items, total),
        unread,
    }))
}

#[derive(Serialize)]
struct InboxPage<T: Serialize> {
    #[serde(flatten)]
    page: crate::pagination::Paged<T>,
    unread: i64,
}

/// `POST /api/v1/me/notifications/read`: `{"ids": [..]}` or `{"all": true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    pub ids: Option<Vec<i64>>,
    pub all: Option<bool>,
}

/// At most this many ids in one request.
pub const MAX_READ_IDS: usize = 500;

impl ReadRequest {
    /// The ids to mark, or `None` for all; one of the two must be given.
    fn target(self) -> Result<Option<Vec<i64>>, ApiError> {
        match (self.ids, self.all) {
            (Some(ids), None | Some(false)) if !ids.is_empty() && ids.len() <= MAX_READ_IDS => {
                Ok(Some(ids))
            }
            (None, Some(true)) => Ok(None),
            _ => Err(ApiError::with_detail(
                ErrorCode::InvalidRequestBody,
                format!("请给出 ids（1 至 {MAX_READ_IDS} 个通知编号）或 \"all\": true，二者取一。"),
                format!("Give either ids (1 to {MAX_READ_IDS} notification ids) or \"all\": true."),
            )
            .field("ids")),
        }
    }
}

#[derive(Serialize)]
struct Marked {
    marked: usize,
    unread: i64,
}

pub async fn mark_read(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<ReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let target = body.parse()?.target()?;
    let (marked, unread) = state
        .db
        .write(move |conn| {
            let marked = inbox::mark_read(conn, user.id, target.as_deref())?;
            Ok((marked, inbox::unread_count(conn, user.id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Marked { marked, unread }))
}

#[derive(Serialize)]
struct SettingsView {
    settings: Vec<Setting>,
    /// Whether this server sends email at all (an SMTP server is configured).
    email_available: bool,
}

/// `GET /api/v1/me/notification-settings`: every kind with its mode.
pub async fn get_settings(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let settings = state
        .db
        .read(move |conn| Ok(prefs::all(conn, user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(SettingsView {
        settings,
        email_available: state.settings.smtp_url.is_some(),
    }))
}

/// `PUT /api/v1/me/notification-settings {"settings": [{"kind", "mode"}]}`: the kinds
/// named change, the others keep their mode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    pub settings: Vec<Setting>,
}

pub async fn put_settings(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
    body: Body<SettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.parse()?;
    if req.settings.len() > Kind::ALL.len() * 2 {
        return Err(ApiError::new(ErrorCode::InvalidRequestBody).field("settings"));
    }
    let settings = state
        .db
        .write(move |conn| {
            prefs::put(conn, user.id, &req.settings)?;
            Ok(prefs::all(conn, user.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SettingsView {
        settings,
        email_available: state.settings.smtp_url.is_some(),
    }))
}
