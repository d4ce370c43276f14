//! The price feature of a match: an achievement's asking price against a demand's budget,
//! both amount ranges that may be open at either end (`None` = no bound on that side,
//! both `None` = negotiable), with the reason said in the request's language (Chinese first).

use serde_json::Value;

use crate::error::i18n::pick;
use crate::format::money;

/// An amount range in fen as stored: either end may be open; both open is negotiable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FenRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl FenRange {
    pub fn new(min: Option<i64>, max: Option<i64>) -> FenRange {
        FenRange { min, max }
    }

    /// `{prefix}_min_fen` and `{prefix}_max_fen` of a search document.
    pub fn of_doc(doc: &Value, prefix: &str) -> FenRange {
        FenRange {
            min: doc[format!("{prefix}_min_fen").as_str()].as_i64(),
            max: doc[format!("{prefix}_max_fen").as_str()].as_i64(),
        }
    }

    pub fn negotiable(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }
}

/// How a price fits a budget: the feature value, the reason code and its text; `None`
/// when the price cannot fit (it starts above the budget's top).
///
/// A price fits when its least amount (its minimum, 0 when open below) is within the
/// budget's top (no top when open above). Negotiable on either side is half a fit.
pub fn fit(price: FenRange, budget: FenRange) -> Option<(f64, &'static str, String)> {
    if price.negotiable() || budget.negotiable() {
        return Some((0.5, "price_negotiable", negotiable_text(price, budget)));
    }
    let floor = price.min.unwrap_or(0);
    let detail = match budget.max {
        Some(top) if floor > top => return None,
        Some(top) => within_top(price, top),
        // Not negotiable and open above: the budget has a minimum.
        None => {
            let (from, price) = (money(budget.min.unwrap_or(0)), price_text(price));
            pick(
                format!("预算{from}起、不设上限，可覆盖{price}"),
                format!("budget from {from} with no upper limit covers {price}"),
            )
        }
    };
    Some((1.0, "price_within_budget", detail))
}

/// The price, by the end that says most about affordability.
fn price_text(price: FenRange) -> String {
    match (price.min, price.max) {
        (Some(lo), _) => pick(
            format!("报价起点{}", money(lo)),
            format!("asking from {}", money(lo)),
        ),
        (None, Some(hi)) => pick(
            format!("报价上限{}", money(hi)),
            format!("asking up to {}", money(hi)),
        ),
        (None, None) => pick("报价面议", "asking price negotiable").into(),
    }
}

/// The price, starting within the budget's top, against that top.
fn within_top(price: FenRange, top: i64) -> String {
    match (price.min, price.max) {
        // "Up to X" above the top: the deal can still be struck below the top.
        (None, Some(hi)) if hi > top => {
            let (hi, top) = (money(hi), money(top));
            pick(
                format!("报价不设起点（上限{hi}），可在预算上限{top}以内商定"),
                format!(
                    "asking price open below (up to {hi}), can be agreed within the budget limit of {top}"
                ),
            )
        }
        _ => {
            let (price, top) = (price_text(price), money(top));
            pick(
                format!("{price}在预算上限{top}以内"),
                format!("{price}, within the budget limit of {top}"),
            )
        }
    }
}

fn negotiable_text(price: FenRange, budget: FenRange) -> String {
    match (price.negotiable(), budget.negotiable()) {
        (true, true) => pick("价格面议", "price negotiable").into(),
        (true, false) => pick("报价面议", "asking price negotiable").into(),
        _ => pick("预算面议", "budget negotiable").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAN: i64 = 1_000_000;

    fn r(min: Option<i64>, max: Option<i64>) -> FenRange {
        FenRange::new(min.map(|v| v * WAN), max.map(|v| v * WAN))
    }

    fn detail(price: FenRange, budget: FenRange) -> (f64, &'static str, String) {
        fit(price, budget).expect("fits")
    }

    #[test]
    fn closed_ranges_fit_when_the_price_starts_within_the_budget() {
        let d = detail(r(Some(30), Some(80)), r(Some(10), Some(50)));
        assert_eq!(
            d,
            (
                1.0,
                "price_within_budget",
                "报价起点30万元在预算上限50万元以内".into()
            )
        );
        assert_eq!(fit(r(Some(60), Some(80)), r(Some(10), Some(50))), None);
    }

    #[test]
    fn a_budget_open_below_is_its_top() {
        let d = detail(r(Some(30), None), r(None, Some(50)));
        assert_eq!(d.2, "报价起点30万元在预算上限50万元以内");
        assert_eq!(fit(r(Some(51), None), r(None, Some(50))), None);
    }

    #[test]
    fn a_budget_open_above_covers_any_price() {
        let d = detail(r(Some(900), Some(1000)), r(Some(20), None));
        assert_eq!(
            d,
            (
                1.0,
                "price_within_budget",
                "预算20万元起、不设上限，可覆盖报价起点900万元".into()
            )
        );
        let d = detail(r(None, Some(40)), r(Some(20), None));
        assert_eq!(d.2, "预算20万元起、不设上限，可覆盖报价上限40万元");
    }

    #[test]
    fn a_price_open_below_starts_at_zero() {
        let d = detail(r(None, Some(40)), r(Some(10), Some(50)));
        assert_eq!(d.2, "报价上限40万元在预算上限50万元以内");
        let d = detail(r(None, Some(80)), r(None, Some(50)));
        assert_eq!(d.1, "price_within_budget");
        assert_eq!(
            d.2,
            "报价不设起点（上限80万元），可在预算上限50万元以内商定"
        );
    }

    #[test]
    fn negotiable_on_either_side_is_half_a_fit() {
        assert_eq!(
            detail(r(None, None), r(None, None)),
            (0.5, "price_negotiable", "价格面议".into())
        );
        assert_eq!(detail(r(None, None), r(None, Some(50))).2, "报价面议");
        assert_eq!(detail(r(Some(1), None), r(None, None)).2, "预算面议");
    }

    #[test]
    fn documents_give_their_ranges_with_open_ends() {
        let doc = serde_json::json!({"budget_min_fen": null, "budget_max_fen": 50});
        assert_eq!(
            FenRange::of_doc(&doc, "budget"),
            FenRange::new(None, Some(50))
        );
        assert!(FenRange::of_doc(&doc, "price").negotiable());
    }
}
