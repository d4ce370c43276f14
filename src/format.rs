//! How amounts and ratios read to people. Machines get integer fen and basis points; the
//! words and columns people read get 万元 with at most two decimals (元 below 1 万元) and
//! percentages with one decimal, computed in integers so a figure never drifts.

/// Fen in one 万元.
const FEN_PER_WAN: i64 = 1_000_000;

/// `value / unit` rounded half away from zero to hundredths, as (sign, whole, cents).
/// A value that rounds to zero has no sign.
fn hundredths(value: i64, unit: i64) -> (&'static str, i128, i128) {
    let (v, u) = (i128::from(value).abs(), i128::from(unit));
    let cents = (v * 100 + u / 2) / u;
    let sign = if value < 0 && cents > 0 { "-" } else { "" };
    (sign, cents / 100, cents % 100)
}

/// 万元 with exactly two decimals, for table columns: `1234.57`.
pub fn wan_yuan(fen: i64) -> String {
    let (sign, whole, cents) = hundredths(fen, FEN_PER_WAN);
    format!("{sign}{whole}.{cents:02}")
}

/// An amount in words, in the request's language: `30万元`, `12.5万元`, `6000元` below 1 万元;
/// in English `CNY 300,000`, `CNY 12,345.67`.
pub fn money(fen: i64) -> String {
    crate::error::i18n::pick(money_zh as fn(i64) -> String, money_en)(fen)
}

/// Yuan with thousands separators and cents when there are any: `CNY 1,234,567.50`.
pub fn money_en(fen: i64) -> String {
    let abs = i128::from(fen).abs();
    let sign = if fen < 0 { "-" } else { "" };
    let (yuan, cents) = (abs / 100, abs % 100);
    let grouped = group_thousands(yuan);
    match cents {
        0 => format!("{sign}CNY {grouped}"),
        c => format!("{sign}CNY {grouped}.{c:02}"),
    }
}

/// Digits in groups of three: `1234567` → `1,234,567`.
pub fn group_thousands(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits.as_str()),
    };
    let mut out = String::from(sign);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// An amount in Chinese words: `30万元`, `12.5万元`, `1234.57万元`, or `6000元` below 1 万元.
pub fn money_zh(fen: i64) -> String {
    let (unit, name) = if fen.abs() >= FEN_PER_WAN {
        (FEN_PER_WAN, "万元")
    } else {
        (100, "元")
    };
    let (sign, whole, cents) = hundredths(fen, unit);
    match cents {
        0 => format!("{sign}{whole}{name}"),
        c if c % 10 == 0 => format!("{sign}{whole}.{}{name}", c / 10),
        c => format!("{sign}{whole}.{c:02}{name}"),
    }
}

/// Basis points as a percentage with one decimal: 1234 bp → 12.3.
pub fn percent(bp: i64) -> f64 {
    let sign = if bp < 0 { -1.0 } else { 1.0 };
    let tenths = (bp.abs() + 5) / 10;
    sign * tenths as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wan_yuan_has_two_decimals_rounded_half_up() {
        assert_eq!(wan_yuan(1_234_567_891), "1234.57");
        assert_eq!(wan_yuan(1_234_565_000), "1234.57");
        assert_eq!(wan_yuan(1_234_564_999), "1234.56");
        assert_eq!(wan_yuan(5), "0.00");
        assert_eq!(wan_yuan(-1_000_000), "-1.00");
        assert_eq!(wan_yuan(-100), "0.00");
    }

    #[test]
    fn money_reads_as_people_write_it() {
        assert_eq!(money_zh(30_000_000), "30万元");
        assert_eq!(money(12_500_000), "12.5万元");
        assert_eq!(money(600_000_000), "600万元");
        assert_eq!(money(1_234_567_891), "1234.57万元");
        assert_eq!(money(600_000), "6000元");
        assert_eq!(money(1_234), "12.34元");
        assert_eq!(money(-2_000_000), "-2万元");
    }

    #[test]
    fn money_in_english_is_yuan_with_separators() {
        assert_eq!(money_en(30_000_000), "CNY 300,000");
        assert_eq!(money_en(1_234_567_891), "CNY 12,345,678.91");
        assert_eq!(money_en(-2_000_050), "-CNY 20,000.50");
        assert_eq!(money_en(99), "CNY 0.99");
        assert_eq!(
            crate::error::i18n::with_language(crate::error::i18n::Language::En, || money(600_000)),
            "CNY 6,000"
        );
    }

    #[test]
    fn percent_has_one_decimal() {
        assert_eq!(percent(1234), 12.3);
        assert_eq!(percent(1235), 12.4);
        assert_eq!(percent(10_000), 100.0);
        assert_eq!(percent(-55), -0.6);
    }
}
