//! The one place of field rules shared by the slices: text and names, codes of the
//! taxonomy, TRL, dates, emails. Each failure names its own error code and the field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, ErrorCode};
use crate::taxonomy::{self, Vocabulary};

/// A date as the API takes it: exactly `YYYY-MM-DD`, in the years 1900 to 2999. chrono on
/// its own also reads `-2026-01-05`, `+99999-01-01` and `2026-1-5`, which no contract,
/// deadline or report of the exchange can mean (and PostgreSQL refuses some of them).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    (shape && (1900..=2999).contains(&date.year())).then_some(date)
}

fn date_error<E: serde::de::Error>(raw: &str) -> E {
    E::custom(format!(
        "invalid date {raw:?}: expected YYYY-MM-DD, a real day from 1900 to 2999"
    ))
}

/// `deserialize_with` for a required date field.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let raw = String::deserialize(d)?;
    parse_date(&raw).ok_or_else(|| date_error(&raw))
}

/// `deserialize_with` for an optional date field (with `#[serde(default)]`).
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => parse_date(&raw).map(Some).ok_or_else(|| date_error(&raw)),
    }
}

/// `deserialize_with` for a PATCH date field (with `#[serde(default)]`): absent is `None`,
/// null is `Some(None)`.
pub fn patch_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    opt_date(d).map(Some)
}

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

/// The field is named in the error, so a client can point at it.
fn bad(code: ErrorCode, field: &str, zh: String, en: String) -> ApiError {
    ApiError::with_detail(code, zh, en).field(field.to_owned())
}

/// Trimmed text of `min..=max` characters; newlines and tabs allowed, other controls not.
pub fn text(
    raw: &str,
    field: &str,
    min: usize,
    max: usize,
    code: ErrorCode,
) -> Result<String, ApiError> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min || len > max {
        let (zh, en) = if min == 0 {
            (format!("最多 {max} 个字符"), format!("at most {max}"))
        } else {
            (
                format!("应为 {min} 到 {max} 个字符"),
                format!("{min} to {max}"),
            )
        };
        return Err(bad(
            code,
            field,
            format!("{field} 的长度{zh}（现为 {len} 个）。"),
            format!("`{field}` must be {en} characters long (it has {len})."),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(bad(
            code,
            field,
            format!("{field} 含有控制字符。"),
            format!("`{field}` contains control characters."),
        ));
    }
    Ok(value.to_owned())
}

pub fn code(
    raw: &str,
    vocab: Vocabulary,
    field: &str,
    code: ErrorCode,
) -> Result<String, ApiError> {
    if vocab.contains(raw) {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::unknown_code(code, field, raw, vocab))
    }
}

pub fn chain(raw: &str) -> Result<String, ApiError> {
    code(raw, taxonomy::CHAINS, "chain", ErrorCode::InvalidChain)
}

pub fn field(raw: &str) -> Result<String, ApiError> {
    code(raw, taxonomy::FIELDS, "field", ErrorCode::InvalidField)
}

pub fn region(raw: &str) -> Result<String, ApiError> {
    code(raw, taxonomy::REGIONS, "region", ErrorCode::InvalidRegion)
}

pub fn stage(raw: &str) -> Result<String, ApiError> {
    code(raw, taxonomy::STAGES, "stage", ErrorCode::InvalidStage)
}

pub fn trl(value: i32, field: &str) -> Result<i32, ApiError> {
    if (1..=9).contains(&value) {
        Ok(value)
    } else {
        Err(bad(
            ErrorCode::InvalidTrl,
            field,
            format!("{field} 应为 1 到 9 的技术成熟度（TRL）。"),
            format!("`{field}` must be a TRL from 1 to 9."),
        ))
    }
}

/// A name: one line of text, no line breaks or tabs.
fn one_line(value: String, field: &str, code: ErrorCode) -> Result<String, ApiError> {
    if value.contains(['\n', '\r', '\t']) {
        return Err(bad(
            code,
            field,
            format!("{field} 应为一行文字，不能换行。"),
            format!("`{field}` must be one line of text."),
        ));
    }
    Ok(value)
}

pub fn person_name(raw: &str) -> Result<String, ApiError> {
    let code = ErrorCode::InvalidName;
    one_line(text(raw, "name", 1, 100, code)?, "name", code)
}

pub fn org_name(raw: &str) -> Result<String, ApiError> {
    let code = ErrorCode::InvalidOrgName;
    one_line(text(raw, "name", 2, 120, code)?, "name", code)
}

/// An optional free text (a note, a comment) of up to 2,000 characters, trimmed; empty
/// counts as absent.
pub fn optional_text(
    raw: Option<&str>,
    field: &str,
    code: crate::error::ErrorCode,
) -> Result<Option<String>, crate::error::ApiError> {
    Ok(raw
        .map(|t| text(t, field, 0, 2000, code))
        .transpose()?
        .filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_plain_days_of_four_digit_years() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            parse_date("1900-01-01"),
            NaiveDate::from_ymd_opt(1900, 1, 1)
        );
        assert_eq!(
            parse_date("2999-12-31"),
            NaiveDate::from_ymd_opt(2999, 12, 31)
        );
        for bad in [
            "2026-02-30",
            "-2026-01-05",
            "+99999-01-01",
            "0000-01-01",
            "1899-12-31",
            "3000-01-01",
            "2026-1-5",
            "2026-01-5 ",
            " 2026-01-05",
            "2026/01/05",
            "20260105",
            "",
            "2026-01-05T00:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

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
