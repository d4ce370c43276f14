//! Field rules shared by achievements and demands. Each rule names its own error code so a
//! client can point at the field.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::taxonomy::{self, Vocabulary};
use crate::validate::text;

/// Largest amount accepted anywhere: 10^15 fen is 10 万亿元, far above any contract.
pub const MAX_FEN: i64 = 1_000_000_000_000_000;

/// For PATCH bodies: tells "absent" (`None`) from "set to null" (`Some(None)`).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The field is named in the error, so a client can point at it.
fn bad(code: ErrorCode, field: &str, zh: String, en: String) -> ApiError {
    ApiError::with_detail(code, zh, en).field(field.to_owned())
}

/// 0..=30 keywords of 1..=30 characters, trimmed, duplicates removed (order kept).
pub fn keywords(raw: &[String]) -> Result<Vec<String>, ApiError> {
    if raw.len() > 30 {
        return Err(bad(
            ErrorCode::InvalidKeywords,
            "keywords",
            "keywords（关键词）最多 30 个。".into(),
            "At most 30 `keywords`.".into(),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for k in raw {
        let k = text(k, "keywords[]", 1, 30, ErrorCode::InvalidKeywords)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// 1..=5 distinct transfer / cooperation mode codes.
pub fn modes(raw: &[String], field: &str, code: ErrorCode) -> Result<Vec<String>, ApiError> {
    if raw.is_empty() || raw.len() > 5 {
        return Err(bad(
            code,
            field,
            format!("{field} 需要 1 到 5 个方式代码。"),
            format!("`{field}` needs 1 to 5 mode codes."),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for m in raw {
        if !taxonomy::TRANSFER_MODES.contains(m) {
            let modes: Vec<&str> = taxonomy::TRANSFER_MODES.codes().collect();
            return Err(ApiError::one_of(code, field, m, &modes));
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

/// An amount range in fen, open at either end: `null` is no bound on that side, both null
/// is negotiable (面议). Each given end is `0 ≤ end ≤ MAX_FEN`, and `min ≤ max` when both
/// are given. The error names the offending end.
pub fn fen_range(
    min: Option<i64>,
    max: Option<i64>,
    what: &str,
    code: ErrorCode,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let (lo_name, hi_name) = (format!("{what}_min_fen"), format!("{what}_max_fen"));
    for (end, name) in [(min, &lo_name), (max, &hi_name)] {
        if let Some(v) = end.filter(|v| !(0..=MAX_FEN).contains(v)) {
            return Err(bad(
                code,
                name,
                format!(
                    "{name} 应为 0 到 {MAX_FEN} 的整数（以分计，现为 {v}）；null 表示该端不设限。"
                ),
                format!(
                    "`{name}` must be an integer from 0 to {MAX_FEN} fen (got {v}); null leaves that end open."
                ),
            ));
        }
    }
    match (min, max) {
        (Some(lo), Some(hi)) if lo > hi => Err(bad(
            code,
            &lo_name,
            format!(
                "{lo_name}（{}）不能高于 {hi_name}（{}）。",
                crate::format::money_zh(lo),
                crate::format::money_zh(hi)
            ),
            format!("`{lo_name}` ({lo} fen) must not exceed `{hi_name}` ({hi} fen)."),
        )),
        range => Ok(range),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpItem {
    pub kind: String,
    pub number: String,
    pub status: String,
}

pub fn ip_items(raw: &[IpItem]) -> Result<Vec<IpItem>, ApiError> {
    if raw.len() > 50 {
        return Err(bad(
            ErrorCode::InvalidIpItems,
            "ip_items",
            "ip_items（知识产权）最多 50 项。".into(),
            "At most 50 `ip_items`.".into(),
        ));
    }
    raw.iter()
        .map(|item| {
            if !taxonomy::IP_KINDS.contains(&item.kind) {
                let kinds: Vec<&str> = taxonomy::IP_KINDS.codes().collect();
                let code = ErrorCode::InvalidIpItems;
                return Err(ApiError::one_of(
                    code,
                    "ip_items[].kind",
                    &item.kind,
                    &kinds,
                ));
            }
            if !taxonomy::IP_STATUSES.contains(&item.status) {
                let statuses: Vec<&str> = taxonomy::IP_STATUSES.codes().collect();
                let (code, field) = (ErrorCode::InvalidIpItems, "ip_items[].status");
                return Err(ApiError::one_of(code, field, &item.status, &statuses));
            }
            let number = text(
                &item.number,
                "ip_items[].number",
                1,
                64,
                ErrorCode::InvalidIpItems,
            )?;
            Ok(IpItem {
                kind: item.kind.clone(),
                number,
                status: item.status.clone(),
            })
        })
        .collect()
}

/// 0..=50 names of 1..=50 characters.
pub fn names(raw: &[String], field: &str, code: ErrorCode) -> Result<Vec<String>, ApiError> {
    if raw.len() > 50 {
        return Err(bad(
            code,
            field,
            format!("{field} 最多 50 项。"),
            format!("At most 50 `{field}`."),
        ));
    }
    raw.iter().map(|n| text(n, field, 1, 50, code)).collect()
}

/// A date strictly after `today`.
pub fn future_date(
    value: NaiveDate,
    today: NaiveDate,
    field: &str,
    code: ErrorCode,
) -> Result<NaiveDate, ApiError> {
    if value > today {
        Ok(value)
    } else {
        Err(bad(
            code,
            field,
            format!("{field} 应为将来的日期。"),
            format!("`{field}` must be a date in the future."),
        ))
    }
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// JSON list columns are written only by this crate, so a parse failure means corruption:
/// it is logged and read as empty rather than failing the whole page.
pub fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!(error = %e, "unreadable JSON list column");
        Vec::new()
    })
}

/// Rejects unknown codes in list filters with the same codes as the write path.
pub fn list_filters(
    chain: Option<&str>,
    field: Option<&str>,
    region: Option<&str>,
    status: Option<&str>,
) -> Result<(), ApiError> {
    let check = |value: Option<&str>, vocab: Vocabulary, code: ErrorCode| match value {
        Some(v) if !vocab.contains(v) => Err(ApiError::new(code)),
        _ => Ok(()),
    };
    check(chain, taxonomy::CHAINS, ErrorCode::InvalidChain)?;
    check(field, taxonomy::FIELDS, ErrorCode::InvalidField)?;
    check(region, taxonomy::REGIONS, ErrorCode::InvalidRegion)?;
    check(status, taxonomy::LISTING_STATUSES, ErrorCode::InvalidStatus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let c = ErrorCode::InvalidPriceRange;
        assert_eq!(fen_range(None, None, "price", c).unwrap(), (None, None));
        assert_eq!(
            fen_range(Some(0), Some(0), "price", c).unwrap(),
            (Some(0), Some(0))
        );
        assert!(fen_range(Some(5), Some(4), "price", c).is_err());
        assert!(fen_range(Some(-1), Some(4), "price", c).is_err());
        assert_eq!(
            fen_range(Some(1), None, "price", c).unwrap(),
            (Some(1), None)
        );
        assert_eq!(
            fen_range(None, Some(50_000_000), "budget", c).unwrap(),
            (None, Some(50_000_000))
        );
        assert!(fen_range(Some(1), Some(MAX_FEN + 1), "price", c).is_err());
        assert!(fen_range(None, Some(-1), "price", c).is_err());
        assert!(fen_range(Some(MAX_FEN + 1), None, "price", c).is_err());
    }

    #[test]
    fn keywords_are_trimmed_and_deduplicated() {
        let k = keywords(&[" 碳化硅 ".into(), "SiC".into(), "碳化硅".into()]).unwrap();
        assert_eq!(k, ["碳化硅", "SiC"]);
        assert!(keywords(&["".into()]).is_err());
        assert!(keywords(&vec!["x".to_string(); 31]).is_err());
    }

    #[test]
    fn texts_count_characters_not_bytes() {
        assert!(text(&"钛".repeat(120), "title", 1, 120, ErrorCode::InvalidTitle).is_ok());
        assert!(text(&"钛".repeat(121), "title", 1, 120, ErrorCode::InvalidTitle).is_err());
        assert!(text("a\nb", "summary", 1, 10, ErrorCode::InvalidSummary).is_ok());
        assert!(text("a\u{7}b", "summary", 1, 10, ErrorCode::InvalidSummary).is_err());
    }
}
