//! Period comparisons: year-on-year (同比, the same period a year before) and
//! period-on-period (环比, the period just before) for turnover grouped by time.
//!
//! The previous figures come from the same query over a range widened by a year, so a
//! comparison is the sum the table itself would show for that period. Changes are exact
//! integer arithmetic in basis points (rounded half away from zero), with the percentage
//! beside them; there is no change where the previous figure is zero.

use std::collections::HashMap;

use chrono::Months;
use serde_json::{Value, json};

use crate::error::i18n::pick;
use crate::format::percent;
use crate::stats::query::{Dim, TurnoverQuery};
use crate::stats::turnover::Row;

/// Which earlier period a row is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// 同比: the same period one year before.
    Yoy,
    /// 环比: the period just before.
    Pop,
}

impl Compare {
    pub const ALL: [Compare; 2] = [Compare::Yoy, Compare::Pop];

    pub fn name(self) -> &'static str {
        match self {
            Compare::Yoy => "yoy",
            Compare::Pop => "pop",
        }
    }

    pub fn parse(s: &str) -> Option<Compare> {
        Compare::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The column prefix in exports, in the request's language.
    pub fn label(self) -> &'static str {
        match self {
            Compare::Yoy => pick("同比", "YoY"),
            Compare::Pop => pick("环比", "PoP"),
        }
    }

    /// How many periods of `finest` back the compared period lies.
    fn lag(self, finest: Dim) -> i64 {
        match (self, finest) {
            (Compare::Pop, _) | (Compare::Yoy, Dim::Year) => 1,
            (Compare::Yoy, Dim::Quarter) => 4,
            (Compare::Yoy, _) => 12,
        }
    }
}

/// One row's comparison: the previous period's figures and the changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub previous_keys: Vec<String>,
    pub contracts: i64,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub amount_change_bp: Option<i64>,
    pub tech_amount_change_bp: Option<i64>,
}

impl Change {
    pub fn to_json(&self, time_key: Option<&String>) -> Value {
        json!({
            "previous_period": time_key,
            "contracts": self.contracts,
            "amount_fen": self.amount_fen,
            "tech_amount_fen": self.tech_amount_fen,
            "amount_change_bp": self.amount_change_bp,
            "amount_change_pct": self.amount_change_bp.map(percent),
            "tech_amount_change_bp": self.tech_amount_change_bp,
            "tech_amount_change_pct": self.tech_amount_change_bp.map(percent),
        })
    }
}

/// `(now - before) / before` in basis points, rounded half away from zero; `None` when
/// there is no base.
pub fn change_bp(now: i64, before: i64) -> Option<i64> {
    if before == 0 {
        return None;
    }
    let (num, den) = (
        (i128::from(now) - i128::from(before)) * 10_000,
        i128::from(before),
    );
    let (q, r) = (num / den, num % den);
    let rounded = if 2 * r.abs() >= den.abs() {
        q + if (num < 0) == (den < 0) { 1 } else { -1 }
    } else {
        q
    };
    i64::try_from(rounded).ok()
}

/// The query whose rows hold every compared period: the range starts a year earlier.
pub fn widened(q: &TurnoverQuery) -> TurnoverQuery {
    let mut wide = q.clone();
    wide.from = q.from.and_then(|f| f.checked_sub_months(Months::new(12)));
    wide
}

/// The finest time dimension of a grouping, which comparisons step through.
pub fn finest_time(dims: &[Dim]) -> Option<Dim> {
    [Dim::Month, Dim::Quarter, Dim::Year]
        .into_iter()
        .find(|d| dims.contains(d))
}

/// The keys of the period `lag` periods of `finest` before `keys`; other dimensions kept.
fn shifted(dims: &[Dim], keys: &[String], finest: Dim, lag: i64) -> Option<Vec<String>> {
    let at = dims.iter().position(|d| *d == finest)?;
    let n = super::periods::index_of_key(finest, keys.get(at)?)? - lag;
    Some(
        dims.iter()
            .zip(keys)
            .map(|(d, k)| match d.is_time() {
                true => super::periods::key_at(finest, n, *d),
                false => k.clone(),
            })
            .collect(),
    )
}

/// For each row, one [`Change`] per comparison asked for, from the rows of [`widened`].
pub fn compute(dims: &[Dim], compares: &[Compare], rows: &[Row], wide: &[Row]) -> Vec<Vec<Change>> {
    let Some(finest) = finest_time(dims) else {
        return vec![];
    };
    let by_keys: HashMap<&[String], &Row> = wide.iter().map(|r| (r.keys.as_slice(), r)).collect();
    rows.iter()
        .map(|r| {
            compares
                .iter()
                .filter_map(|c| {
                    let keys = shifted(dims, &r.keys, finest, c.lag(finest))?;
                    let before = by_keys.get(keys.as_slice());
                    let sum = |f: fn(&Row) -> i64| before.map_or(0, |b| f(b));
                    let (amount, tech) = (sum(|b| b.amount_fen), sum(|b| b.tech_amount_fen));
                    Some(Change {
                        contracts: sum(|b| b.contracts),
                        amount_change_bp: change_bp(r.amount_fen, amount),
                        tech_amount_change_bp: change_bp(r.tech_amount_fen, tech),
                        amount_fen: amount,
                        tech_amount_fen: tech,
                        previous_keys: keys,
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_exact_basis_points_rounded_half_away_from_zero() {
        assert_eq!(change_bp(110, 100), Some(1000));
        assert_eq!(change_bp(100, 100), Some(0));
        assert_eq!(change_bp(0, 100), Some(-10_000));
        assert_eq!(change_bp(5, 0), None);
        // 1/3 = 3333.33 bp, 2/3 = 6666.67 bp, -1/3.
        assert_eq!(change_bp(4, 3), Some(3333));
        assert_eq!(change_bp(5, 3), Some(6667));
        assert_eq!(change_bp(2, 3), Some(-3333));
        // Exactly half a basis point: away from zero both ways.
        assert_eq!(change_bp(20_001, 20_000), Some(1));
        assert_eq!(change_bp(19_999, 20_000), Some(-1));
        assert_eq!(change_bp(i64::MAX, 1), None);
    }

    fn row(keys: &[&str], amount: i64) -> Row {
        Row {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            labels: keys.iter().map(|k| k.to_string()).collect(),
            contracts: 1,
            amount_fen: amount,
            tech_amount_fen: amount / 2,
        }
    }

    #[test]
    fn quarters_compare_with_the_same_quarter_and_the_one_before() {
        let dims = [Dim::Quarter, Dim::Chain];
        let wide = [
            row(&["2025-Q1", "ai"], 100),
            row(&["2025-Q4", "ai"], 200),
            row(&["2026-Q1", "ai"], 300),
        ];
        let rows = [wide[2].clone(), row(&["2026-Q1", "new"], 50)];
        let c = compute(&dims, &[Compare::Yoy, Compare::Pop], &rows, &wide);
        assert_eq!(c[0][0].previous_keys, ["2025-Q1", "ai"]);
        assert_eq!(
            (c[0][0].amount_fen, c[0][0].amount_change_bp),
            (100, Some(20_000))
        );
        assert_eq!(c[0][1].previous_keys, ["2025-Q4", "ai"]);
        assert_eq!(c[0][1].amount_change_bp, Some(5_000));
        // No base: the figures are zero, the change is none.
        assert_eq!((c[1][0].amount_fen, c[1][0].amount_change_bp), (0, None));
    }

    #[test]
    fn months_step_back_across_the_year() {
        let dims = [Dim::Year, Dim::Month];
        let keys = ["2026".to_string(), "2026-01".to_string()];
        assert_eq!(
            shifted(&dims, &keys, Dim::Month, 1).unwrap(),
            ["2025", "2025-12"]
        );
        assert_eq!(
            shifted(&dims, &keys, Dim::Month, 12).unwrap(),
            ["2025", "2025-01"]
        );
    }
}
