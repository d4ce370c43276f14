//! Empty periods as zero rows: when turnover is grouped by time (year, quarter, month),
//! every period of the range appears, with zeros where no contract counted, so a series
//! has no gaps. The range is the request's (`from`/`to` or `year`); an end not given is
//! the first or last period present. With other dimensions too, the time axis is filled
//! for each combination of their values that is present. Totals are not touched.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::error::{ApiError, ErrorCode};
use crate::stats::query::{Dim, TurnoverQuery};
use crate::stats::turnover::Row;

/// At most this many rows after filling: a month series over centuries times a thousand
/// orgs is refused rather than written out.
pub const MAX_ROWS: usize = 100_000;

/// A period as a number: months and quarters counted from year 0, or the year itself.
pub(super) fn index_of_key(dim: Dim, key: &str) -> Option<i64> {
    let year = |y: &str| y.parse::<i64>().ok().filter(|_| y.len() == 4);
    match dim {
        Dim::Year => year(key),
        Dim::Quarter => {
            let (y, q) = key.split_once("-Q")?;
            let q: i64 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            Some(year(y)? * 4 + q - 1)
        }
        Dim::Month => {
            let (y, m) = key.split_once('-')?;
            let m: i64 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
            Some(year(y)? * 12 + m - 1)
        }
        _ => None,
    }
}

fn index_of_date(dim: Dim, d: NaiveDate) -> i64 {
    let (y, m) = (i64::from(d.year()), i64::from(d.month0()));
    match dim {
        Dim::Quarter => y * 4 + m / 3,
        Dim::Month => y * 12 + m,
        _ => y,
    }
}

/// The key of time dimension `dim` in period `n` of the finest dimension `finest`.
pub(super) fn key_at(finest: Dim, n: i64, dim: Dim) -> String {
    let (y, month0) = match finest {
        Dim::Month => (n.div_euclid(12), n.rem_euclid(12)),
        Dim::Quarter => (n.div_euclid(4), n.rem_euclid(4) * 3),
        _ => (n, 0),
    };
    match dim {
        Dim::Month => format!("{y:04}-{:02}", month0 + 1),
        Dim::Quarter => format!("{y:04}-Q{}", month0 / 3 + 1),
        _ => format!("{y:04}"),
    }
}

/// The label of a time key: `2026年`, `2026年第1季度`, `2026年3月`; in English `2026`,
/// `2026 Q1`, `2026-03`.
pub fn time_label(dim: Dim, key: &str) -> Option<String> {
    if crate::error::i18n::current() == crate::error::i18n::Language::En {
        return match dim {
            Dim::Year | Dim::Month => Some(key.to_owned()),
            Dim::Quarter => key.split_once("-Q").map(|(y, q)| format!("{y} Q{q}")),
            _ => None,
        };
    }
    match dim {
        Dim::Year => Some(format!("{key}年")),
        Dim::Quarter => key.split_once("-Q").map(|(y, q)| format!("{y}年第{q}季度")),
        Dim::Month => key
            .split_once('-')
            .map(|(y, m)| format!("{y}年{}月", m.trim_start_matches('0'))),
        _ => None,
    }
}

/// `rows` with the missing periods of the range added as zero rows, sorted by key.
pub fn fill(q: &TurnoverQuery, mut rows: Vec<Row>) -> Result<Vec<Row>, ApiError> {
    let dims = &q.group_by;
    let Some(finest) = [Dim::Month, Dim::Quarter, Dim::Year]
        .into_iter()
        .find(|d| dims.contains(d))
    else {
        return Ok(rows);
    };
    let at = dims.iter().position(|d| *d == finest).unwrap_or_default();
    let present: Vec<i64> = rows
        .iter()
        .filter_map(|r| index_of_key(finest, r.keys.get(at)?))
        .collect();
    let first = q.from.map(|d| index_of_date(finest, d));
    let last = q.to.map(|d| index_of_date(finest, d));
    let (Some(first), Some(last)) = (
        first.or(present.iter().min().copied()),
        last.or(present.iter().max().copied()),
    ) else {
        return Ok(rows);
    };
    // The values of the other dimensions present (keys → labels); one empty one if none.
    let others = |of: &[String]| -> Vec<String> {
        dims.iter()
            .zip(of)
            .filter(|(d, _)| !d.is_time())
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut combos: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for r in &rows {
        combos.insert(others(&r.keys), others(&r.labels));
    }
    if dims.iter().all(|d| d.is_time()) {
        combos.insert(vec![], vec![]);
    }
    let periods = usize::try_from(last - first + 1).unwrap_or(0);
    if periods.saturating_mul(combos.len()) > MAX_ROWS {
        return Err(too_many(finest));
    }
    let existing: HashSet<Vec<String>> = rows.iter().map(|r| r.keys.clone()).collect();
    for (keys, labels) in &combos {
        for n in first..=last {
            let row = zero_row(dims, finest, n, keys, labels);
            if !existing.contains(&row.keys) {
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| a.keys.cmp(&b.keys));
    Ok(rows)
}

/// The zero row of period `n` for the other dimensions' `keys` and `labels`.
fn zero_row(dims: &[Dim], finest: Dim, n: i64, keys: &[String], labels: &[String]) -> Row {
    let mut other = keys.iter().zip(labels);
    let mut row = Row {
        keys: vec![],
        labels: vec![],
        contracts: 0,
        amount_fen: 0,
        tech_amount_fen: 0,
    };
    for d in dims {
        let (k, l) = if d.is_time() {
            let k = key_at(finest, n, *d);
            let l = time_label(*d, &k).unwrap_or_else(|| k.clone());
            (k, l)
        } else {
            let (k, l) = other
                .next()
                .map(|(k, l)| (k.clone(), l.clone()))
                .unwrap_or_default();
            (k, l)
        };
        row.keys.push(k);
        row.labels.push(l);
    }
    row
}

fn too_many(finest: Dim) -> ApiError {
    let name = finest.name();
    ApiError::with_detail(
        ErrorCode::InvalidQuery,
        format!(
            "按 {name} 分组并补齐无合同的期间后将超过 {MAX_ROWS} 行，请用 from/to 或 year 缩小期间，或减少分组维度。"
        ),
        format!(
            "Grouped by `{name}` with empty periods filled in, the table would exceed {MAX_ROWS} rows; narrow the period with `from`/`to` or `year`, or group by fewer dimensions."
        ),
    )
    .field("group_by")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::query::Basis;

    fn row(keys: &[&str], contracts: i64) -> Row {
        Row {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            labels: keys.iter().map(|k| format!("L{k}")).collect(),
            contracts,
            amount_fen: contracts * 100,
            tech_amount_fen: contracts * 10,
        }
    }

    fn query(group_by: Vec<Dim>, from: Option<&str>, to: Option<&str>) -> TurnoverQuery {
        TurnoverQuery {
            group_by,
            from: from.and_then(crate::validate::parse_date),
            to: to.and_then(crate::validate::parse_date),
            basis: Basis::Signed,
            include_unregistered: false,
            compare: vec![],
        }
    }

    #[test]
    fn gaps_between_present_periods_are_zero_rows() {
        let q = query(vec![Dim::Quarter], None, None);
        let rows = fill(&q, vec![row(&["2025-Q4"], 1), row(&["2026-Q3"], 2)]).unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.keys[0].as_str()).collect();
        assert_eq!(keys, ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]);
        assert_eq!(rows[1].labels, ["2026年第1季度"]);
        assert_eq!((rows[1].contracts, rows[1].amount_fen), (0, 0));
    }

    #[test]
    fn the_requested_range_is_filled_for_each_combination() {
        let q = query(
            vec![Dim::Year, Dim::Month, Dim::Chain],
            Some("2026-01-15"),
            Some("2026-03-31"),
        );
        let rows = fill(
            &q,
            vec![
                row(&["2026", "2026-02", "ai"], 1),
                row(&["2026", "2026-03", "photonics"], 1),
            ],
        )
        .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].keys, ["2026", "2026-01", "ai"]);
        assert_eq!(rows[0].labels, ["2026年", "2026年1月", "Lai"]);
        assert_eq!(rows.iter().map(|r| r.contracts).sum::<i64>(), 2);
        // Nothing to fill from without a range or a row.
        assert!(
            fill(&query(vec![Dim::Month], None, None), vec![])
                .unwrap()
                .is_empty()
        );
        let whole = fill(
            &query(vec![Dim::Month], Some("2025-01-01"), Some("2025-12-31")),
            vec![],
        )
        .unwrap();
        assert_eq!(whole.len(), 12);
        assert!(
            fill(
                &query(
                    vec![Dim::Month, Dim::SellerOrg],
                    Some("1900-01-01"),
                    Some("2999-12-31")
                ),
                (0..10)
                    .map(|i| row(&["2000-01", &i.to_string()], 1))
                    .collect()
            )
            .is_err()
        );
    }
}
