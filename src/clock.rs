//! The time the exchange works in: one place, so every timestamp has the same precision
//! and every "today" the same calendar.

use chrono::{NaiveDate, NaiveDateTime, Timelike, Utc};

/// Database timestamps: UTC, microsecond precision (what PostgreSQL keeps), so a value
/// read back equals the value written on both backends.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

/// A timestamp at the precision the database keeps (microseconds), so a value given by a
/// client reads back equal on both backends.
pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

/// A stored UTC time as people in Shaanxi read it: RFC 3339 in Asia/Shanghai (UTC+8 all
/// year; China has no daylight saving time).
pub fn shanghai(t: NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%dT%H:%M:%S+08:00")
        .to_string()
}

/// The calendar day that dates (`valid_until`, `apply_by`, `signed_on`) are compared with.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The wait before retry `attempts` of something that failed (a job, an index write, an
/// email): 2^attempts seconds, at most `max_secs`.
pub fn backoff(attempts: i32, max_secs: i64) -> chrono::Duration {
    let secs = 1i64
        .checked_shl(attempts.clamp(0, 16) as u32)
        .unwrap_or(max_secs);
    chrono::Duration::seconds(secs.min(max_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let secs = |a| backoff(a, 300).num_seconds();
        assert_eq!(
            [secs(0), secs(1), secs(4), secs(8), secs(60)],
            [1, 2, 16, 256, 300]
        );
        assert_eq!(backoff(-3, 300).num_seconds(), 1);
    }

    #[test]
    fn now_keeps_microseconds() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }
}
