//! The operations on files, each taking a connection and typed input: reserve and record an
//! upload (quota, dedup), read one (who may), attach and detach (who may, which slot), list
//! a parent's attachments, and collect what nothing references.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::access::{self, Access};
use super::detect::Kind;
use super::model::{self, AttachmentRow, FileRow, NewAttachment, NewFile, Parent, Slot};
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::clock::now;
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};

/// A file as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// A picture's thumbnail is at `GET /api/v1/files/{id}/thumbnail`.
    pub has_thumbnail: bool,
    pub created_at: DateTime<Utc>,
}

impl From<FileRow> for FileView {
    fn from(row: FileRow) -> FileView {
        FileView {
            id: row.id,
            name: row.name,
            content_type: row.content_type,
            size: row.size,
            sha256: row.sha256,
            has_thumbnail: row.thumbnail_sha256.is_some(),
            created_at: row.created_at.and_utc(),
        }
    }
}

/// An attachment with its file.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    pub parent: Parent,
    pub parent_id: i64,
    pub slot: Slot,
    pub file: FileView,
    pub created_at: DateTime<Utc>,
}

fn attachment_view(row: AttachmentRow, file: FileRow) -> Result<AttachmentView, ApiError> {
    Ok(AttachmentView {
        id: row.id,
        parent: row.parent()?,
        parent_id: row.parent_id,
        slot: row.slot()?,
        file: file.into(),
        created_at: row.created_at.and_utc(),
    })
}

/// The size rules an upload is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub org_quota_bytes: u64,
}

/// Before the bytes go into the store: the org's quota (the same bytes count once per
/// org), and the blob marked as in use so the collector leaves it alone meanwhile.
pub fn reserve(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    limits: Limits,
    sha256: &str,
    size: u64,
) -> Result<(), ApiError> {
    let size = i64::try_from(size).map_err(|_| ApiError::new(ErrorCode::FileTooLarge))?;
    if !model::org_has(conn, user.org_id, sha256)? {
        let used = model::org_usage(conn, user.org_id)?;
        let quota = i64::try_from(limits.org_quota_bytes).unwrap_or(i64::MAX);
        if used.saturating_add(size) > quota {
            return Err(ApiError::with_detail(
                ErrorCode::QuotaExceeded,
                format!(
                    "贵机构已使用 {used} 字节，配额为 {quota} 字节，放不下这个 {size} 字节的文件。"
                ),
                format!(
                    "Your organisation uses {used} of its {quota} bytes; a file of {size} bytes does not fit."
                ),
            ));
        }
    }
    model::touch_blob(conn, sha256, size, now())?;
    Ok(())
}

/// An upload whose bytes (and thumbnail, if any) are in the store.
pub struct Stored<'a> {
    pub sha256: &'a str,
    pub size: u64,
    /// Sanitised.
    pub name: &'a str,
    pub kind: Kind,
    pub thumbnail: Option<&'a str>,
}

/// After the bytes are stored: the file's row, audited.
pub fn record(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    stored: &Stored<'_>,
) -> Result<FileView, ApiError> {
    let new = NewFile {
        sha256: stored.sha256,
        name: stored.name,
        content_type: stored.kind.content_type(),
        size: i64::try_from(stored.size).map_err(|_| ApiError::new(ErrorCode::FileTooLarge))?,
        org_id: user.org_id,
        uploaded_by: user.id,
        thumbnail_sha256: stored.thumbnail,
    };
    let row = model::insert(conn, &new, now())?;
    let view = FileView::from(row);
    audit::created(
        conn,
        Act::new(user.id, "file.upload", "file", view.id),
        &view,
    )?;
    Ok(view)
}

/// Whether `user` may read `file`: its uploader's org and admins, and whoever may read a
/// parent it is attached to in that slot.
pub fn readable(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    file: &FileRow,
) -> Result<bool, ApiError> {
    if policy::sees_every_status(user, file.org_id) {
        return Ok(true);
    }
    for a in model::attachments_of_file(conn, file.id)? {
        if access::access(conn, user, a.parent()?, a.parent_id)?.reads(a.slot()?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The file if `user` may read it; 404 otherwise (nobody learns what exists).
pub fn readable_file(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<FileRow, ApiError> {
    let file = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("File"))?;
    if !readable(conn, user, &file)? {
        return Err(ApiError::not_found("File"));
    }
    Ok(file)
}

/// Audits a download (anonymous ones of public pictures too, without an actor).
pub fn audit_download(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    file: &FileRow,
    what: &str,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        audit::Change {
            actor_id: user.map(|u| u.id),
            action: what,
            entity: "file",
            entity_id: Some(file.id),
            before: None,
            after: None,
        },
    )?;
    Ok(())
}

/// `POST /api/v1/attachments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachInput {
    pub parent: String,
    pub parent_id: i64,
    pub slot: String,
    pub file_id: i64,
}

fn invalid(zh: String, en: String, field: &'static str) -> ApiError {
    ApiError::with_detail(ErrorCode::InvalidAttachment, zh, en).field(field)
}

/// The parent and slot named, checked against each other.
pub fn parent_slot(parent: &str, slot: &str) -> Result<(Parent, Slot), ApiError> {
    let p = Parent::parse(parent).ok_or_else(|| {
        ApiError::one_of(
            ErrorCode::InvalidAttachment,
            "parent",
            parent,
            Parent::CODES,
        )
    })?;
    let codes: Vec<&str> = p.slots().iter().map(|s| s.as_str()).collect();
    let s = Slot::parse(slot)
        .filter(|s| p.slots().contains(s))
        .ok_or_else(|| ApiError::one_of(ErrorCode::InvalidAttachment, "slot", slot, &codes))?;
    Ok((p, s))
}

/// Checks that `user` may attach to (or detach from) the parent.
fn may_attach(user: &CurrentUser, parent: Parent, access: &Access) -> Result<(), ApiError> {
    if !access.visible {
        return Err(ApiError::not_found(match parent {
            Parent::Org => "Organisation",
            _ => "Attachment",
        }));
    }
    match access.attach {
        Some(action) => policy::authorize(user, action),
        None => Err(ApiError::forbidden()),
    }
}

/// Attaches one of the user's org's files (admins: any file) to a parent the user may
/// edit. Attaching the same file to the same slot again answers the existing attachment
/// (`false`: nothing new).
pub fn attach(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    input: &AttachInput,
) -> Result<(AttachmentView, bool), ApiError> {
    let (parent, slot) = parent_slot(&input.parent, &input.slot)?;
    let access = access::access(conn, Some(user), parent, input.parent_id)?;
    may_attach(user, parent, &access)?;
    let file = model::find(conn, input.file_id)?
        .filter(|f| policy::sees_every_status(Some(user), f.org_id))
        .ok_or_else(|| ApiError::not_found("File").field("file_id"))?;
    if slot == Slot::Image && !Kind::of_content_type(&file.content_type).is_some_and(Kind::is_image)
    {
        return Err(invalid(
            "slot 为 image 时只能附加 PNG、JPEG 或 WebP 图片。".into(),
            "Only PNG, JPEG or WebP pictures go into the `image` slot.".into(),
            "file_id",
        ));
    }
    if let Some(id) = model::existing_attachment(conn, parent, input.parent_id, slot, file.id)? {
        let (row, file) =
            model::find_attachment(conn, id)?.ok_or_else(|| ApiError::not_found("Attachment"))?;
        return Ok((attachment_view(row, file)?, false));
    }
    let new = NewAttachment {
        file_id: file.id,
        parent,
        parent_id: input.parent_id,
        slot,
        created_by: user.id,
    };
    let row = model::insert_attachment(conn, &new, now())?;
    let view = attachment_view(row, file)?;
    audit::created(
        conn,
        Act::new(user.id, "file.attach", "attachment", view.id),
        &view,
    )?;
    Ok((view, true))
}

/// Detaches; the file stays until the collector finds it referenced by nothing.
pub fn detach(conn: &mut AnyConnection, user: &CurrentUser, id: i64) -> Result<(), ApiError> {
    let (row, file) =
        model::find_attachment(conn, id)?.ok_or_else(|| ApiError::not_found("Attachment"))?;
    let parent = row.parent()?;
    let access = access::access(conn, Some(user), parent, row.parent_id)?;
    if !access.reads(row.slot()?) {
        return Err(ApiError::not_found("Attachment"));
    }
    may_attach(user, parent, &access)?;
    let view = attachment_view(row, file)?;
    model::delete_attachment(conn, id, view.file.id, now())?;
    audit::removed(
        conn,
        Act::new(user.id, "file.detach", "attachment", id),
        &view,
    )?;
    Ok(())
}

/// `GET /api/v1/attachments?parent=&parent_id=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub parent: String,
    pub parent_id: i64,
}

/// The parent's attachments the viewer may read (a published achievement's images for
/// everyone; its documents for those who see its details).
pub fn list(
    conn: &mut AnyConnection,
    user: Option<&CurrentUser>,
    parent: &str,
    parent_id: i64,
) -> Result<Vec<AttachmentView>, ApiError> {
    let p = Parent::parse(parent).ok_or_else(|| {
        ApiError::one_of(
            ErrorCode::InvalidAttachment,
            "parent",
            parent,
            Parent::CODES,
        )
    })?;
    let access = access::access(conn, user, p, parent_id)?;
    if !access.visible {
        return Err(ApiError::not_found("Attachment"));
    }
    let mut views = Vec::new();
    for (row, file) in model::attachments_of(conn, p, parent_id)? {
        if access.reads(row.slot()?) {
            views.push(attachment_view(row, file)?);
        }
    }
    Ok(views)
}

/// Whether the contract has its text attached: registration (认定登记) needs it.
pub fn require_contract_text(conn: &mut AnyConnection, contract_id: i64) -> Result<(), ApiError> {
    if model::has_attachment(conn, Parent::Contract, contract_id, Slot::ContractText)? {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ContractTextRequired))
    }
}

/// One collector run's first half, in a transaction: files attached to nothing for
/// `grace`, then blobs no file uses and untouched for `grace`. Returns the blob keys to
/// delete from the store once this has committed.
pub fn collect(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    grace: Duration,
) -> Result<(usize, Vec<String>), ApiError> {
    let cutoff = at - grace;
    let files = model::delete_unreferenced_files(conn, cutoff)?;
    let keys = model::take_unreferenced_blobs(conn, cutoff)?;
    Ok((files, keys))
}
