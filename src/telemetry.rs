//! Logging: `RUST_LOG` filters (default `info`), pretty or JSON lines by `TT_LOG_FORMAT`.
//!
//! Lines are written to stderr in batches: a request's access-log line is appended to a
//! buffer in memory and a background thread writes what has gathered every
//! [`FLUSH_EVERY`] (or the writer itself, once a buffer holds [`FLUSH_AT`] bytes). One
//! `write` per batch instead of one per line took the stderr write off the request path
//! (4.5 % of a read's server time, issue 21). Lines keep their order. [`flush`] writes the
//! rest; `main` calls it before it exits, so only an abort can lose the last few
//! milliseconds of lines.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::config::LogFormat;

/// How long a line may wait in memory before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(10);
/// A buffer this large is written at once by the thread that filled it.
pub const FLUSH_AT: usize = 256 * 1024;

static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<u8>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes every line gathered so far to stderr.
pub fn flush() {
    let batch = std::mem::take(&mut *pending());
    write_out(&batch);
}

fn write_out(batch: &[u8]) {
    if !batch.is_empty() {
        // Nowhere to report a failed log write; the process goes on.
        let _ = std::io::stderr().lock().write_all(batch);
    }
}

/// The writer of each log line: appends it to the pending batch.
#[derive(Clone, Copy)]
struct Batched;

impl Write for Batched {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut buf = pending();
        buf.extend_from_slice(line);
        if buf.len() >= FLUSH_AT {
            // Written under the lock, so a later line cannot overtake this batch.
            write_out(&std::mem::take(&mut *buf));
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Batched;

    fn make_writer(&'a self) -> Batched {
        Batched
    }
}

/// Writes the pending batch every [`FLUSH_EVERY`], for the life of the process.
fn spawn_flusher() {
    let started = std::thread::Builder::new()
        .name("log-flush".into())
        .spawn(|| {
            loop {
                std::thread::sleep(FLUSH_EVERY);
                // Taken under the lock, written after it: writers never wait on stderr.
                let batch = std::mem::take(&mut *pending());
                write_out(&batch);
            }
        });
    if let Err(e) = started {
        eprintln!("cannot start the log writer thread: {e}");
    }
}

/// Each line's time as tracing's default writes it (RFC 3339, UTC, microseconds:
/// `2026-12-01T06:49:18.978970Z`), with the date and time of day formatted once a second
/// per thread: formatting the whole time for every line was 2.9 % of a read's server time.
struct Timestamp;

thread_local! {
    /// The second last formatted on this thread, and its text up to the seconds.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl FormatTime for Timestamp {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs();
        SECOND.with(|cached| {
            let mut cached = cached.borrow_mut();
            if cached.0 != secs {
                let at = i64::try_from(secs)
                    .ok()
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .unwrap_or_default();
                *cached = (secs, at.format("%Y-%m-%dT%H:%M:%S").to_string());
            }
            write!(w, "{}.{:06}Z", cached.1, now.subsec_micros())
        })
    }
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Batched)
        .with_timer(Timestamp);
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    if installed.is_ok() {
        spawn_flusher();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_reads_like_tracings_own() {
        let mut ours = String::new();
        Timestamp
            .format_time(&mut Writer::new(&mut ours))
            .expect("format");
        let mut theirs = String::new();
        tracing_subscriber::fmt::time::SystemTime
            .format_time(&mut Writer::new(&mut theirs))
            .expect("format");
        assert_eq!(ours.len(), "2026-12-01T06:49:18.978970Z".len(), "{ours}");
        assert_eq!(ours.len(), theirs.len(), "{ours} vs {theirs}");
        // The same second (or the next, if one just began) and the same shape.
        assert_eq!(ours[..16], theirs[..16], "{ours} vs {theirs}");
        assert!(ours.ends_with('Z') && ours.as_bytes()[19] == b'.', "{ours}");
    }
}
