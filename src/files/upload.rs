//! Reading one uploaded file out of a multipart body into the staging directory, hashing
//! it on the way and stopping at the size limit while streaming (never buffering the body).
//!
//! The bytes go through a small bounded channel to one blocking thread that writes and
//! hashes; the async side only counts. A [`Staged`] file is removed when dropped unless
//! the store took it, so a refused, cut-off or failed upload leaves nothing behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::web::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};

/// A complete upload in the staging directory.
pub struct Staged {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// The name the client gave, unsanitised.
    pub raw_name: String,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Gone already when the store moved it in; otherwise a refused upload.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A staging file being written; removed on drop unless finished.
struct Spool {
    path: PathBuf,
    tx: Option<tokio::sync::mpsc::Sender<Bytes>>,
    writer: Option<tokio::task::JoinHandle<std::io::Result<String>>>,
}

impl Spool {
    fn create(dir: &Path) -> std::io::Result<Spool> {
        let path = dir.join(format!(
            "upload-{}.part",
            crate::auth::tokens::random_hex(12)
        ));
        let file = std::fs::File::create_new(&path)?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(8);
        let writer = actix_web::rt::task::spawn_blocking(move || {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
            let mut hasher = Sha256::new();
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
                out.write_all(&chunk)?;
            }
            out.flush()?;
            Ok(hex(&hasher.finalize()))
        });
        Ok(Spool {
            path,
            tx: Some(tx),
            writer: Some(writer),
        })
    }

    async fn write(&mut self, chunk: Bytes) -> Result<(), ApiError> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The writer stopped: its error comes out of `finish`.
            Err(self.fail().await)
        }
    }

    async fn fail(&mut self) -> ApiError {
        match self.finish_inner().await {
            Err(e) => e,
            Ok(_) => ApiError::internal(anyhow::anyhow!("upload writer stopped")),
        }
    }

    async fn finish_inner(&mut self) -> Result<String, ApiError> {
        self.tx = None;
        let writer = self
            .writer
            .take()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("upload finished twice")))?;
        let hash = writer
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("upload writer: {e}")))?
            .map_err(|e| ApiError::new(ErrorCode::FileStoreUnavailable).with_cause(e))?;
        Ok(hash)
    }

    async fn finish(mut self, size: u64, raw_name: String) -> Result<Staged, ApiError> {
        let sha256 = self.finish_inner().await?;
        Ok(Staged {
            path: std::mem::take(&mut self.path),
            sha256,
            size,
            raw_name,
        })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bad_multipart(e: &MultipartError) -> ApiError {
    ApiError::with_detail(
        ErrorCode::InvalidMultipart,
        format!("multipart 请求体无效：{e}。请发送恰好一个名为 file 的文件字段。"),
        format!("The multipart body is not valid: {e}. Send exactly one file field named `file`."),
    )
}

fn too_large(max: u64) -> ApiError {
    let mib = max as f64 / (1024.0 * 1024.0);
    ApiError::with_detail(
        ErrorCode::FileTooLarge,
        format!("文件不能超过 {mib:.1} MiB（{max} 字节）。"),
        format!("A file may be at most {mib:.1} MiB ({max} bytes)."),
    )
}

/// Refuses a body whose declared length is over the limit before reading any of it (the
/// multipart framing adds well under 64 KiB).
pub fn check_declared_length(declared: Option<u64>, max: u64) -> Result<(), ApiError> {
    match declared {
        Some(n) if n > max.saturating_add(64 * 1024) => Err(too_large(max)),
        _ => Ok(()),
    }
}

/// The one `file` field of `body`, staged in `dir`; 413 as soon as it passes `max` bytes,
/// 400 for another field, a second file or a body that ends early.
pub async fn receive(mut body: Multipart, dir: &Path, max: u64) -> Result<Staged, ApiError> {
    let mut staged: Option<Staged> = None;
    while let Some(field) = body.next().await {
        let field = field.map_err(|e| bad_multipart(&e))?;
        let is_file = field.name() == Some("file");
        if !is_file || staged.is_some() {
            return Err(ApiError::new(ErrorCode::InvalidMultipart));
        }
        staged = Some(spool_field(field, dir, max).await?);
    }
    staged.ok_or_else(|| ApiError::new(ErrorCode::InvalidMultipart))
}

async fn spool_field(mut field: Field, dir: &Path, max: u64) -> Result<Staged, ApiError> {
    let raw_name = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .unwrap_or_default()
        .to_owned();
    let dir = dir.to_owned();
    let mut spool = actix_web::web::block(move || Spool::create(&dir))
        .await?
        .map_err(|e| ApiError::new(ErrorCode::FileStoreUnavailable).with_cause(e))?;
    let mut size: u64 = 0;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| bad_multipart(&e))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large(max));
        }
        spool.write(chunk).await?;
    }
    if size == 0 {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidMultipart,
            "文件为空。",
            "The file is empty.",
        ));
    }
    spool.finish(size, raw_name).await
}
