//! Thumbnails of uploaded pictures (PNG, JPEG, WebP): decoded on the blocking pool, never
//! on an async worker, under `image::Limits` (at most [`MAX_DIMENSION`] pixels a side and
//! [`MAX_ALLOC`] bytes of decoder memory), so a crafted picture (a tiny file declaring an
//! enormous canvas) is refused before it can take the memory. A picture that cannot be
//! thumbnailed is still stored; it just has no thumbnail.

use std::io::Cursor;
use std::path::PathBuf;

use image::{ImageFormat, ImageReader, Limits};

use crate::state::AppData;

/// The longest side of a thumbnail, in pixels.
pub const MAX_SIDE: u32 = 320;
/// The largest picture side decoded.
pub const MAX_DIMENSION: u32 = 12_000;
/// The most memory a decoder may allocate.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// The PNG thumbnail of the picture in `path`, or why there is none.
pub fn render(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let mut reader = ImageReader::open(path)?.with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let picture = reader.decode()?;
    let thumb = picture.thumbnail(MAX_SIDE, MAX_SIDE);
    let mut out = Cursor::new(Vec::new());
    thumb.write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// Renders the thumbnail of the staged picture at `source`, stores it as a blob of its
/// own and answers its key; `None` (logged) when the picture cannot be thumbnailed.
pub async fn prepare(state: &AppData, source: PathBuf) -> Option<String> {
    match try_prepare(state, source).await {
        Ok(key) => Some(key),
        Err(e) => {
            tracing::info!(error = %e, "no thumbnail for this picture");
            None
        }
    }
}

async fn try_prepare(state: &AppData, source: PathBuf) -> anyhow::Result<String> {
    let staging = state.files.staging.clone();
    let staged = actix_web::web::block(move || -> anyhow::Result<(PathBuf, String, u64)> {
        let bytes = render(&source)?;
        let key = super::upload::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        let path = staging.join(format!(
            "thumb-{}.part",
            crate::auth::tokens::random_hex(12)
        ));
        std::fs::write(&path, &bytes)?;
        Ok((path, key, bytes.len() as u64))
    })
    .await??;
    let (path, key, size) = staged;
    let size = i64::try_from(size)?;
    let k = key.clone();
    state
        .db
        .write(move |conn| {
            Ok(super::model::touch_blob(
                conn,
                &k,
                size,
                crate::clock::now(),
            )?)
        })
        .await?;
    let stored = state.files.store.put(&key, &path).await;
    let _ = std::fs::remove_file(&path);
    stored?;
    Ok(key)
}
