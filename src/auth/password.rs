//! Password rules and argon2id hashing. Hashing is deliberately slow, so callers run it on
//! the blocking pool ([`hash`] and [`verify`] are async for that reason).

use std::sync::{Condvar, LazyLock, Mutex};

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

/// At most this many argon2 computations run at once: every core but one (at least one).
/// A storm of sign-ins then queues here instead of taking every core, and 19 MiB each,
/// from searches and reads.
fn argon2_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1).max(1))
        .unwrap_or(1)
}

static ARGON2_GATE: LazyLock<(Mutex<usize>, Condvar)> =
    LazyLock::new(|| (Mutex::new(0), Condvar::new()));

/// A held argon2 slot; released on drop, also if the computation panics.
struct Slot;

impl Slot {
    fn take() -> Slot {
        let (busy, freed) = &*ARGON2_GATE;
        let max = argon2_slots();
        let mut n = busy.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= max {
            n = freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (busy, freed) = &*ARGON2_GATE;
        let mut n = busy.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        freed.notify_one();
    }
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || {
        let _slot = Slot::take();
        hash_blocking(&password)
    })
    .await?
}

pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    Ok(actix_web::web::block(move || {
        let _slot = Slot::take();
        verify_blocking(&password, stored.as_deref())
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_runs_in_at_most_its_slots() {
        let max = argon2_slots();
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..max + 3)
            .map(|_| {
                let peak = peak.clone();
                std::thread::spawn(move || {
                    let _slot = Slot::take();
                    let busy = *ARGON2_GATE.0.lock().unwrap();
                    peak.fetch_max(busy, std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(30));
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
        // More threads than slots all finished: every slot was given back.
        assert!((1..=max).contains(&peak), "peak {peak}, slots {max}");
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
