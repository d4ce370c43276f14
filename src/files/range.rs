//! `Range: bytes=…` for downloads (RFC 9110 §14): one range is served as `206 Partial
//! Content`; several ranges (allowed to be ignored) and malformed headers get the whole
//! file; a range wholly past the end is `416` with `Content-Range: bytes */size`.

use std::ops::Range;

/// What a download answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

/// Reads the `Range` header's value for a file of `size` bytes.
pub fn parse(header: Option<&str>, size: u64) -> Served {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Served::Whole;
    };
    if spec.contains(',') {
        return Served::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Served::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // The last `n` bytes.
        match last.parse::<u64>() {
            Ok(0) => return Served::Unsatisfiable,
            Ok(n) => size.saturating_sub(n)..size,
            Err(_) => return Served::Whole,
        }
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Served::Whole;
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(l) if l >= start => l.saturating_add(1).min(size),
                _ => return Served::Whole,
            }
        };
        if start >= size {
            return Served::Unsatisfiable;
        }
        start..end
    };
    if range.is_empty() {
        Served::Unsatisfiable
    } else {
        Served::Part(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse(None, 10), Served::Whole);
        assert_eq!(parse(Some("bytes=0-3"), 10), Served::Part(0..4));
        assert_eq!(parse(Some("bytes=5-"), 10), Served::Part(5..10));
        assert_eq!(parse(Some("bytes=-3"), 10), Served::Part(7..10));
        assert_eq!(parse(Some("bytes=-30"), 10), Served::Part(0..10));
        assert_eq!(parse(Some("bytes=8-100"), 10), Served::Part(8..10));
        assert_eq!(parse(Some("bytes=10-"), 10), Served::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 10), Served::Unsatisfiable);
        assert_eq!(parse(Some("bytes=4-2"), 10), Served::Whole);
        assert_eq!(parse(Some("bytes=0-1,4-5"), 10), Served::Whole);
        assert_eq!(parse(Some("items=0-1"), 10), Served::Whole);
        assert_eq!(parse(Some("bytes=x-1"), 10), Served::Whole);
    }
}
