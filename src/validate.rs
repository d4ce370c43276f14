//! Field rules shared by the slices; each failure names its own error code.

use crate::error::{ApiError, ErrorCode};
use crate::taxonomy;

/// Trims and lower-cases; refuses anything that cannot be a deliverable address.
pub fn email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(ApiError::new(ErrorCode::InvalidEmail))
    }
}

/// Trimmed text of `min..=max` characters without control characters.
pub fn text(raw: &str, min: usize, max: usize, code: ErrorCode) -> Result<String, ApiError> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min || len > max || value.chars().any(char::is_control) {
        return Err(ApiError::new(code));
    }
    Ok(value.to_owned())
}

pub fn person_name(raw: &str) -> Result<String, ApiError> {
    text(raw, 1, 100, ErrorCode::InvalidName)
}

pub fn org_name(raw: &str) -> Result<String, ApiError> {
    text(raw, 2, 120, ErrorCode::InvalidOrgName)
}

pub fn region(code: &str) -> Result<String, ApiError> {
    if taxonomy::REGIONS.contains(code) {
        Ok(code.to_owned())
    } else {
        Err(ApiError::new(ErrorCode::InvalidRegion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("  Li.Wei@NWPU.edu.cn ").unwrap(),
            "li.wei@nwpu.edu.cn"
        );
        for bad in [
            "", "a", "a@b", "@b.cn", "a@.cn", "a@b.cn.", "a b@c.cn", "a@@b.cn", "a@b..cn",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(person_name("  王小明 ").unwrap(), "王小明");
        assert!(person_name("   ").is_err());
        assert!(person_name(&"名".repeat(101)).is_err());
        assert!(person_name("a\u{0}b").is_err());
        assert!(org_name("西").is_err());
    }
}
