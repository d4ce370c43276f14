//! `/api/v1/files` and `/api/v1/attachments`: extract, authorize (inside the operation),
//! call one operation, answer. Uploads stream to the staging directory with the size limit
//! enforced while reading; downloads stream from the store with ranges.

use actix_multipart::Multipart;
use actix_web::body::SizedStream;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::detect::{self, Kind};
use super::lifecycle::{self, AttachInput, Limits, ListQuery};
use super::model::FileRow;
use super::range::{self, Served};
use super::upload;
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::body::Body;
use crate::error::{ApiError, ErrorCode, NoQuery};
use crate::state::AppData;

fn limits(state: &AppData) -> Limits {
    Limits {
        max_bytes: state.settings.files_max_bytes,
        org_quota_bytes: state.settings.files_org_quota_bytes,
    }
}

fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn store_error(e: anyhow::Error) -> ApiError {
    ApiError::new(ErrorCode::FileStoreUnavailable).with_cause(e)
}

/// `POST /api/v1/files` (multipart, one field `file`): any signed-in user (unverified
/// orgs too: their verification documents are what gets them verified). The type is
/// judged from the content; the same bytes are stored once.
pub async fn upload(
    state: AppData,
    user: CurrentUser,
    req: HttpRequest,
    _no_query: NoQuery,
    body: Multipart,
) -> Result<HttpResponse, ApiError> {
    let limits = limits(&state);
    upload::check_declared_length(declared_length(&req), limits.max_bytes)?;
    let files = state.files.clone();
    let staged = upload::receive(body, &files.staging, limits.max_bytes).await?;
    let path = staged.path.clone();
    let kind = web::block(move || detect::detect(&path))
        .await?
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
        .ok_or_else(|| ApiError::new(ErrorCode::FileTypeNotAllowed))?;
    let name = detect::sanitize_name(&staged.raw_name);
    let (sha, size) = (staged.sha256.clone(), staged.size);
    state
        .db
        .write(move |conn| lifecycle::reserve(conn, &user, limits, &sha, size))
        .await?;
    let thumbnail = if kind.is_image() {
        super::thumbs::prepare(&state, staged.path.clone()).await
    } else {
        None
    };
    files
        .store
        .put(&staged.sha256, &staged.path)
        .await
        .map_err(store_error)?;
    let sha = staged.sha256.clone();
    let view = state
        .db
        .write(move |conn| {
            let stored = lifecycle::Stored {
                sha256: &sha,
                size,
                name: &name,
                kind,
                thumbnail: thumbnail.as_deref(),
            };
            lifecycle::record(conn, &user, &stored)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `filename*` of RFC 5987/6266: UTF-8, percent-encoded but for the attribute characters.
fn ext_value(name: &str) -> String {
    let mut out = String::from("UTF-8''");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `inline` for pictures and PDFs (shown in pages), `attachment` for the rest; an ASCII
/// `filename` for old clients and the exact name in `filename*`.
pub fn content_disposition(name: &str, content_type: &str) -> String {
    let inline = content_type.starts_with("image/") || content_type == "application/pdf";
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{ascii}\"; filename*={}",
        if inline { "inline" } else { "attachment" },
        ext_value(name)
    )
}

/// Streams `key` (`size` bytes) with the download headers, honouring `Range`.
async fn stream(
    state: &AppData,
    req: &HttpRequest,
    key: &str,
    size: u64,
    content_type: &str,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let wanted = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let (status, range) = match range::parse(wanted, size) {
        Served::Whole => (StatusCode::OK, 0..size),
        Served::Part(r) => (StatusCode::PARTIAL_CONTENT, r),
        Served::Unsatisfiable => {
            let mut res = actix_web::ResponseError::error_response(&ApiError::new(
                ErrorCode::RangeNotSatisfiable,
            ));
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                header::HeaderValue::from_str(&format!("bytes */{size}"))
                    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            );
            return Ok(res);
        }
    };
    let len = range.end - range.start;
    let bytes = if len == 0 {
        Box::pin(futures_util::stream::empty()) as super::store::ByteStream
    } else {
        state
            .files
            .store
            .get(key, range.clone())
            .await
            .map_err(store_error)?
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(name, content_type),
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, format!("\"{key}\"")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Already compact or binary; and a range must be of the bytes as stored.
        .insert_header((header::CONTENT_ENCODING, "identity"));
    if status == StatusCode::PARTIAL_CONTENT {
        res.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", range.start, range.end - 1),
        ));
    }
    Ok(res.body(SizedStream::new(len, bytes)))
}

/// Loads the file if the viewer may read it, auditing the download (once per download:
/// a range that does not start at the beginning continues one).
async fn readable(
    state: &AppData,
    user: Option<CurrentUser>,
    id: i64,
    req: &HttpRequest,
    what: &'static str,
) -> Result<FileRow, ApiError> {
    let continues = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim_start().starts_with("bytes=0-"));
    state
        .db
        .write(move |conn| {
            let file = lifecycle::readable_file(conn, user.as_ref(), id)?;
            if !continues {
                lifecycle::audit_download(conn, user.as_ref(), &file, what)?;
            }
            Ok(file)
        })
        .await
}

/// `GET /api/v1/files/{id}`: the bytes, to exactly those who may read a parent the file
/// is attached to (and its uploader's org); 404 to everyone else.
pub async fn download(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    req: HttpRequest,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let file = readable(&state, user.0, path.into_inner(), &req, "file.download").await?;
    let size = u64::try_from(file.size).unwrap_or(0);
    stream(
        &state,
        &req,
        &file.sha256,
        size,
        &file.content_type,
        &file.name,
    )
    .await
}

/// `GET /api/v1/files/{id}/thumbnail`: a picture's thumbnail (PNG, at most
/// [`super::thumbs::MAX_SIDE`] pixels a side), to those who may read the picture.
pub async fn thumbnail(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    req: HttpRequest,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let file = readable(&state, user.0, path.into_inner(), &req, "file.thumbnail").await?;
    let key = file.thumbnail_sha256.clone().ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::NotFound,
            "该文件没有缩略图（只有图片有）。",
            "This file has no thumbnail (only pictures have one).",
        )
    })?;
    let size = state
        .db
        .read(move |conn| Ok(super::model::blob_size(conn, &key)?))
        .await?;
    let name = format!("{}.thumb.png", file.name);
    let key = file.thumbnail_sha256.unwrap_or_default();
    stream(&state, &req, &key, size, Kind::Png.content_type(), &name).await
}

/// `POST /api/v1/attachments {parent, parent_id, slot, file_id}`: those who may edit the
/// parent attach one of their org's files; 201, or 200 with the existing attachment.
pub async fn attach(
    state: AppData,
    user: CurrentUser,
    _no_query: NoQuery,
    body: Body<AttachInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.parse()?;
    let (view, created) = state
        .db
        .write(move |conn| lifecycle::attach(conn, &user, &input))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// `DELETE /api/v1/attachments/{id}`: as attaching; 204.
pub async fn detach(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db
        .write(move |conn| lifecycle::detach(conn, &user, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/attachments?parent=&parent_id=`: the attachments the viewer may read.
pub async fn list(
    state: AppData,
    user: MaybeUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let items = state
        .db
        .read(move |conn| lifecycle::list(conn, user.0.as_ref(), &q.parent, q.parent_id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
