//! Password rules and argon2id hashing. Hashing is deliberately slow, so callers run it on
//! the blocking pool ([`hash`] and [`verify`] are async for that reason).

use std::sync::{Arc, LazyLock, Mutex, mpsc};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{ApiError, ErrorCode};

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Well-known passwords long enough to pass the length rule; compared case-insensitively.
const COMMON: &str = include_str!("common_passwords.txt");

static COMMON_SET: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Checks the rules a password must meet before it is hashed.
pub fn check_strength(password: &str, email: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(ApiError::new(ErrorCode::InvalidPassword));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    let one_char = lower.chars().all(|c| Some(c) == first);
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if COMMON_SET.contains(lower.as_str())
        || one_char
        || is_run(&lower)
        || lower == email.to_lowercase()
        || (local_part.chars().count() >= 4 && lower == local_part)
    {
        return Err(ApiError::new(ErrorCode::WeakPassword));
    }
    Ok(())
}

/// "0123456789", "abcdefghijk", "9876543210": ascending or descending by one.
fn is_run(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return false;
    }
    let up = bytes.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
    let down = bytes.windows(2).all(|w| w[0] == w[1].wrapping_add(1));
    up || down
}

pub fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 hash failed: {e}")))
}

/// Verifies against `stored`, or against a dummy hash when there is no user, so an unknown
/// email costs the same time as a wrong password.
pub fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let stored = stored.unwrap_or(DUMMY_HASH.as_str());
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("no user has this password: it only keeps timing even")
        .unwrap_or_else(|_| String::new())
});

/// How many argon2 computations run at once: every core but one (at least one). A storm of
/// sign-ins then queues instead of taking every core from searches and reads.
fn argon2_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1).max(1))
        .unwrap_or(1)
}

type Job = Box<dyn FnOnce() + Send>;

/// Argon2 runs on its own few threads, not on whichever blocking-pool thread is free: each
/// hash takes 19 MiB, and glibc keeps freed blocks in the arena of the thread that used
/// them, so hashing on many threads would leave 19 MiB resident in each of them.
static ARGON2_WORKERS: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..argon2_slots() {
        let rx = rx.clone();
        let worker = move || loop {
            let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                Ok(job) => job,
                Err(_) => return,
            };
            // A panicking job drops its answer channel (its caller sees an error); the
            // worker goes on.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        };
        if let Err(e) = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(worker)
        {
            tracing::error!(error = %e, "cannot start an argon2 worker thread");
        }
    }
    tx
});

/// Runs `f` on an argon2 worker and waits for it (call it off the async workers).
fn on_argon2_worker<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (tx, rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    let lost = || ApiError::internal(anyhow::anyhow!("the argon2 worker did not answer"));
    ARGON2_WORKERS.send(job).map_err(|_| lost())?;
    rx.recv().map_err(|_| lost())
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || on_argon2_worker(move || hash_blocking(&password))).await??
}

pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    actix_web::web::block(move || {
        on_argon2_worker(move || verify_blocking(&password, stored.as_deref()))
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_runs_on_its_own_few_threads() {
        let max = argon2_slots();
        let threads: Vec<_> = (0..max + 4)
            .map(|_| {
                std::thread::spawn(|| {
                    on_argon2_worker(|| {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        std::thread::current().name().map(str::to_owned)
                    })
                    .unwrap()
                })
            })
            .collect();
        let names: std::collections::BTreeSet<String> = threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap_or_default())
            .collect();
        assert!(names.iter().all(|n| n.starts_with("argon2-")), "{names:?}");
        assert!((1..=max).contains(&names.len()), "{names:?}, slots {max}");
        // A job that panics is an error for its caller, and the workers go on.
        assert!(on_argon2_worker(|| -> u8 { panic!("boom") }).is_err());
        assert_eq!(on_argon2_worker(|| 7).unwrap(), 7);
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", Some(&h)));
        assert!(!verify_blocking("correct horse batterY", Some(&h)));
        assert!(!verify_blocking("anything", None));
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "1234567890",
            "password123",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
            "QWERTYUIOP",
        ] {
            assert_eq!(
                check_strength(weak, "x@example.com").unwrap_err().code(),
                ErrorCode::WeakPassword,
                "{weak}"
            );
        }
        assert_eq!(
            check_strength("short", "x@e.cn").unwrap_err().code(),
            ErrorCode::InvalidPassword
        );
        assert!(check_strength("wangxiaoming", "wangxiaoming@nwpu.edu.cn").is_err());
        assert!(check_strength("钛合金热处理工艺2026", "x@e.cn").is_ok());
    }
}
