//! Where the bytes live, behind [`FileStore`]: a local directory (`TT_DATA_DIR/files`, the
//! default) or an S3-compatible bucket (`TT_FILES_URL=s3://bucket/prefix`) that several
//! servers share. Objects are named by their SHA-256, so a `put` of bytes already stored
//! is a no-op and the same bytes are stored once.
//!
//! Uploads are first spooled to a staging directory on local disk (hashed and checked
//! there); [`FileStore::put`] then moves the complete, checked file in. The local store
//! syncs the staged file, renames it into place and syncs the directory, so a crash never
//! leaves half a file under a real name; leftovers in the staging directory are removed at
//! start-up.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::Settings;

pub type StoreResult<T> = Result<T, anyhow::Error>;
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;
/// A file's bytes (or a range of them) as they arrive from the store.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Bytes read from local files per chunk of a download.
const CHUNK: usize = 256 * 1024;

/// Content-addressed object storage; `key` is a lower-case hex SHA-256.
pub trait FileStore: Send + Sync {
    /// Moves the complete staged file in under `key` (consumes it); if `key` is stored
    /// already the staged copy is just removed.
    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, ()>;
    /// The bytes `range` of `key`.
    fn get<'a>(&'a self, key: &'a str, range: Range<u64>) -> BoxFuture<'a, ByteStream>;
    /// Removes `key`; a missing key is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()>;
    /// For logs and `/ready`: `local` or `s3`.
    fn kind(&self) -> &'static str;
}

/// The store the settings name, and the local staging directory uploads spool into.
pub struct Files {
    pub store: Arc<dyn FileStore>,
    pub staging: PathBuf,
}

impl Files {
    /// Opens the configured store; creates the directories and empties the staging one
    /// (what is there was left by an upload a crash interrupted).
    pub fn open(settings: &Settings) -> anyhow::Result<Files> {
        let root = settings.data_dir.join("files");
        let staging = root.join("staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        let store: Arc<dyn FileStore> = match settings.files_url.as_deref() {
            None | Some("") => Arc::new(LocalStore::new(root.join("blobs"))?),
            Some(url) => Arc::new(S3Store::new(url, settings)?),
        };
        Ok(Files { store, staging })
    }
}

/// Objects as files under `root/ab/abcdef…`.
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: PathBuf) -> std::io::Result<LocalStore> {
        std::fs::create_dir_all(&root)?;
        Ok(LocalStore { root })
    }

    fn path_of(&self, key: &str) -> StoreResult<PathBuf> {
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("not a SHA-256 key: {key:?}");
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

/// Syncs the staged file, renames it to `dest` and syncs `dest`'s directory, so after a
/// crash `dest` either holds the whole file or does not exist.
fn install(staged: &Path, dest: &Path) -> std::io::Result<()> {
    if dest.exists() {
        return std::fs::remove_file(staged);
    }
    std::fs::File::open(staged)?.sync_all()?;
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    std::fs::rename(staged, dest)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Reads `range` of `path` on a blocking thread, chunk by chunk, into a bounded channel;
/// a dropped download stops the reader at its next chunk.
fn read_range(path: PathBuf, range: Range<u64>) -> std::io::Result<ByteStream> {
    let mut file = std::fs::File::open(&path)?;
    file.seek(SeekFrom::Start(range.start))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    actix_web::rt::task::spawn_blocking(move || {
        let mut left = range.end.saturating_sub(range.start);
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            let mut buf = vec![0u8; want];
            let item = match file.read(&mut buf) {
                Ok(0) => Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    Ok(Bytes::from(buf))
                }
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    Ok(Box::pin(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
    )))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> StoreResult<T> {
    Ok(actix_web::web::block(f).await??)
}

impl FileStore for LocalStore {
    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let dest = self.path_of(key)?;
            let staged = staged.to_owned();
            blocking(move || install(&staged, &dest)).await
        })
    }

    fn get<'a>(&'a self, key: &'a str, range: Range<u64>) -> BoxFuture<'a, ByteStream> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            blocking(move || read_range(path, range)).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            blocking(move || match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            })
            .await
        })
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

/// Objects in an S3-compatible bucket under `prefix/ab/abcdef…`, path-style addressing.
/// Credentials and region come from the `files_s3_*` settings or the usual `AWS_*`
/// variables.
pub struct S3Store {
    client: AmazonS3,
    prefix: String,
}

/// `s3://bucket/prefix` → (bucket, prefix without slashes at the ends).
pub fn parse_s3_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| anyhow::anyhow!("TT_FILES_URL must look like s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        anyhow::bail!("TT_FILES_URL names no bucket: {url:?}");
    }
    Ok((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

impl S3Store {
    pub fn new(url: &str, settings: &Settings) -> anyhow::Result<S3Store> {
        let (bucket, prefix) = parse_s3_url(url)?;
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &settings.files_s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &settings.files_s3_region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &settings.files_s3_access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.files_s3_secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        Ok(S3Store {
            client: builder.build()?,
            prefix,
        })
    }

    fn path_of(&self, key: &str) -> ObjectPath {
        let name = format!("{}/{key}", &key[..2.min(key.len())]);
        if self.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.prefix))
        }
    }
}

impl FileStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path_of(key);
            let owned = staged.to_owned();
            if self.client.head(&path).await.is_err() {
                // At most the upload limit (20 MiB by default) is held at once.
                let bytes = blocking(move || std::fs::read(owned)).await?;
                self.client.put(&path, PutPayload::from(bytes)).await?;
            }
            let owned = staged.to_owned();
            blocking(move || std::fs::remove_file(owned)).await
        })
    }

    fn get<'a>(&'a self, key: &'a str, range: Range<u64>) -> BoxFuture<'a, ByteStream> {
        Box::pin(async move {
            let path = self.path_of(key);
            let options = GetOptions {
                range: Some(GetRange::Bounded(range)),
                ..GetOptions::default()
            };
            let result = self.client.get_opts(&path, options).await?;
            let stream = result.into_stream().map_err(std::io::Error::other);
            Ok(stream.boxed())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.client.delete(&self.path_of(key)).await {
                Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_bucket_and_prefix() {
        assert_eq!(
            parse_s3_url("s3://tt/files/").unwrap(),
            ("tt".into(), "files".into())
        );
        assert_eq!(parse_s3_url("s3://tt").unwrap(), ("tt".into(), "".into()));
        assert!(parse_s3_url("http://tt").is_err());
        assert!(parse_s3_url("s3:///x").is_err());
    }
}
