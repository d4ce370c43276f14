//! File, blob and attachment rows, the typed parents and slots, and the queries of this
//! slice's own tables.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::{file_attachments, file_blobs, files};
use crate::states::code_enum;

code_enum!(
    /// What a file is attached to.
    Parent, "attachment parent" {
        Achievement => "achievement",
        Demand => "demand",
        Application => "application",
        Milestone => "milestone",
        Contract => "contract",
        Org => "org",
    }
);

code_enum!(
    /// Where on its parent a file is attached: an achievement's `image`s (public once it
    /// is published) and `document`s (gated like `details`), a demand's `document`s, a
    /// challenge application's `proposal`, a milestone's `report`, a contract's
    /// `contract_text` and `scan`s, an org's `verification` documents (营业执照 and the like).
    Slot, "attachment slot" {
        Image => "image",
        Document => "document",
        Proposal => "proposal",
        Report => "report",
        ContractText => "contract_text",
        Scan => "scan",
        Verification => "verification",
    }
);

impl Parent {
    /// The slots this parent has.
    pub fn slots(self) -> &'static [Slot] {
        match self {
            Parent::Achievement => &[Slot::Image, Slot::Document],
            Parent::Demand => &[Slot::Document],
            Parent::Application => &[Slot::Proposal],
            Parent::Milestone => &[Slot::Report],
            Parent::Contract => &[Slot::ContractText, Slot::Scan],
            Parent::Org => &[Slot::Verification],
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = files)]
pub struct FileRow {
    pub id: i64,
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub org_id: i64,
    pub uploaded_by: i64,
    pub thumbnail_sha256: Option<String>,
    pub created_at: NaiveDateTime,
    pub released_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = file_attachments)]
pub struct AttachmentRow {
    pub id: i64,
    pub file_id: i64,
    pub parent: String,
    pub parent_id: i64,
    pub slot: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl AttachmentRow {
    pub fn parent(&self) -> QueryResult<Parent> {
        Parent::read(&self.parent)
    }
    pub fn slot(&self) -> QueryResult<Slot> {
        Slot::read(&self.slot)
    }
}

/// A new upload's row.
pub struct NewFile<'a> {
    pub sha256: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub org_id: i64,
    pub uploaded_by: i64,
    pub thumbnail_sha256: Option<&'a str>,
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<FileRow>> {
    files::table
        .find(id)
        .select(FileRow::as_select())
        .first(conn)
        .optional()
}

/// Records that an upload of `sha256` is under way (or the blob exists): the collector
/// leaves blobs touched within the grace period alone.
pub fn touch_blob(
    conn: &mut AnyConnection,
    sha256: &str,
    size: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(file_blobs::table.find(sha256))
        .set(file_blobs::touched_at.eq(at))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(file_blobs::table)
            .values((
                file_blobs::sha256.eq(sha256),
                file_blobs::size.eq(size),
                file_blobs::touched_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewFile<'_>,
    at: NaiveDateTime,
) -> QueryResult<FileRow> {
    let id = diesel::insert_into(files::table)
        .values((
            files::sha256.eq(new.sha256),
            files::name.eq(new.name),
            files::content_type.eq(new.content_type),
            files::size.eq(new.size),
            files::org_id.eq(new.org_id),
            files::uploaded_by.eq(new.uploaded_by),
            files::thumbnail_sha256.eq(new.thumbnail_sha256),
            files::created_at.eq(at),
        ))
        .returning(files::id)
        .get_result::<i64>(conn)?;
    files::table
        .find(id)
        .select(FileRow::as_select())
        .first(conn)
}

/// What `org_id` stores now, counting each distinct content once.
pub fn org_usage(conn: &mut AnyConnection, org_id: i64) -> QueryResult<i64> {
    let shas = files::table
        .filter(files::org_id.eq(org_id))
        .select(files::sha256)
        .distinct();
    // Summed here: SUM(BIGINT) is NUMERIC on PostgreSQL. An org has thousands of files
    // at most.
    let sizes: Vec<i64> = file_blobs::table
        .filter(file_blobs::sha256.eq_any(shas))
        .select(file_blobs::size)
        .load(conn)?;
    Ok(sizes.iter().sum())
}

/// Whether `org_id` has a file with these bytes already (then they add nothing to its usage).
pub fn org_has(conn: &mut AnyConnection, org_id: i64, sha256: &str) -> QueryResult<bool> {
    let n: i64 = files::table
        .filter(files::org_id.eq(org_id).and(files::sha256.eq(sha256)))
        .select(count_star())
        .first(conn)?;
    Ok(n > 0)
}

pub fn attachments_of_file(
    conn: &mut AnyConnection,
    file_id: i64,
) -> QueryResult<Vec<AttachmentRow>> {
    file_attachments::table
        .filter(file_attachments::file_id.eq(file_id))
        .select(AttachmentRow::as_select())
        .order(file_attachments::id)
        .load(conn)
}

pub fn attachments_of(
    conn: &mut AnyConnection,
    parent: Parent,
    parent_id: i64,
) -> QueryResult<Vec<(AttachmentRow, FileRow)>> {
    file_attachments::table
        .inner_join(files::table)
        .filter(file_attachments::parent.eq(parent.as_str()))
        .filter(file_attachments::parent_id.eq(parent_id))
        .select((AttachmentRow::as_select(), FileRow::as_select()))
        .order(file_attachments::id)
        .load(conn)
}

pub fn find_attachment(
    conn: &mut AnyConnection,
    id: i64,
) -> QueryResult<Option<(AttachmentRow, FileRow)>> {
    file_attachments::table
        .inner_join(files::table)
        .filter(file_attachments::id.eq(id))
        .select((AttachmentRow::as_select(), FileRow::as_select()))
        .first(conn)
        .optional()
}

pub fn existing_attachment(
    conn: &mut AnyConnection,
    parent: Parent,
    parent_id: i64,
    slot: Slot,
    file_id: i64,
) -> QueryResult<Option<i64>> {
    file_attachments::table
        .filter(file_attachments::parent.eq(parent.as_str()))
        .filter(file_attachments::parent_id.eq(parent_id))
        .filter(file_attachments::slot.eq(slot.as_str()))
        .filter(file_attachments::file_id.eq(file_id))
        .select(file_attachments::id)
        .first(conn)
        .optional()
}

pub fn has_attachment(
    conn: &mut AnyConnection,
    parent: Parent,
    parent_id: i64,
    slot: Slot,
) -> QueryResult<bool> {
    let n: i64 = file_attachments::table
        .filter(file_attachments::parent.eq(parent.as_str()))
        .filter(file_attachments::parent_id.eq(parent_id))
        .filter(file_attachments::slot.eq(slot.as_str()))
        .select(count_star())
        .first(conn)?;
    Ok(n > 0)
}

pub struct NewAttachment {
    pub file_id: i64,
    pub parent: Parent,
    pub parent_id: i64,
    pub slot: Slot,
    pub created_by: i64,
}

pub fn insert_attachment(
    conn: &mut AnyConnection,
    new: &NewAttachment,
    at: NaiveDateTime,
) -> QueryResult<AttachmentRow> {
    let id = diesel::insert_into(file_attachments::table)
        .values((
            file_attachments::file_id.eq(new.file_id),
            file_attachments::parent.eq(new.parent.as_str()),
            file_attachments::parent_id.eq(new.parent_id),
            file_attachments::slot.eq(new.slot.as_str()),
            file_attachments::created_by.eq(new.created_by),
            file_attachments::created_at.eq(at),
        ))
        .returning(file_attachments::id)
        .get_result::<i64>(conn)?;
    file_attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
}

/// Removes the attachment; the file's grace period before collection starts again.
pub fn delete_attachment(
    conn: &mut AnyConnection,
    id: i64,
    file_id: i64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let n = diesel::delete(file_attachments::table.find(id)).execute(conn)?;
    diesel::update(files::table.find(file_id))
        .set(files::released_at.eq(at))
        .execute(conn)?;
    Ok(n)
}

/// Files attached to nothing, uploaded and last detached before `cutoff`: removed.
/// Returns how many.
pub fn delete_unreferenced_files(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    let referenced = file_attachments::table.select(file_attachments::file_id);
    diesel::delete(
        files::table
            .filter(files::id.ne_all(referenced))
            .filter(files::created_at.le(cutoff))
            .filter(
                files::released_at
                    .is_null()
                    .or(files::released_at.le(cutoff)),
            ),
    )
    .execute(conn)
}

/// Blobs no file (nor thumbnail) uses and untouched since `cutoff`: their rows are
/// removed and their keys returned, for the caller to delete from the store after commit.
pub fn take_unreferenced_blobs(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let used = files::table.select(files::sha256);
    let thumbs = files::table
        .filter(files::thumbnail_sha256.is_not_null())
        .select(files::thumbnail_sha256.assume_not_null());
    let keys: Vec<String> = file_blobs::table
        .filter(file_blobs::sha256.ne_all(used))
        .filter(file_blobs::sha256.ne_all(thumbs))
        .filter(file_blobs::touched_at.le(cutoff))
        .select(file_blobs::sha256)
        .load(conn)?;
    diesel::delete(file_blobs::table.filter(file_blobs::sha256.eq_any(&keys))).execute(conn)?;
    Ok(keys)
}

/// The size of a stored blob (a thumbnail's, which has no file row of its own).
pub fn blob_size(conn: &mut AnyConnection, sha256: &str) -> QueryResult<u64> {
    let size: i64 = file_blobs::table
        .find(sha256)
        .select(file_blobs::size)
        .first(conn)?;
    Ok(u64::try_from(size).unwrap_or(0))
}
