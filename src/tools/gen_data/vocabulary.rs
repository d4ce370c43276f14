//! The words synthetic listings are written in, and the deterministic generator that
//! draws them: keywords, summaries, descriptions and indicators of the demo exchange
//! (`seed/demo.json`) recombined per industry chain.

use std::sync::LazyLock;

use serde_json::Value;

use super::super::DEMO_JSON as DEMO;
use crate::taxonomy;

/// A small deterministic generator (xorshift), so runs are repeatable.
pub struct Rng(u64);

impl Rng {
    /// Any seed; zero is replaced, since xorshift would stay at zero.
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `0..n`; `n` must not be zero.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    /// `k` distinct items (fewer if there are fewer).
    pub fn sample<'a>(&mut self, items: &'a [String], k: usize) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::with_capacity(k);
        let mut tries = 0;
        while out.len() < k.min(items.len()) && tries < 4 * k + 8 {
            let s = items[self.below(items.len())].as_str();
            if !out.contains(&s) {
                out.push(s);
            }
            tries += 1;
        }
        out
    }
}

/// The words and texts of one industry chain, drawn from the demo exchange.
#[derive(Debug)]
pub struct ChainText {
    pub chain: &'static str,
    pub zh: &'static str,
    /// Keywords of the chain's demo achievements and demands (what users search for).
    pub keywords: Vec<String>,
    pub summaries: Vec<String>,
    pub descriptions: Vec<String>,
    pub indicators: Vec<String>,
}

static VOCABULARY: LazyLock<Vec<ChainText>> = LazyLock::new(|| {
    let demo: Value = serde_json::from_str(DEMO).unwrap_or(Value::Null);
    let list = |name: &str| demo[name].as_array().cloned().unwrap_or_default();
    let (achievements, demands) = (list("achievements"), list("demands"));
    taxonomy::CHAINS
        .terms
        .iter()
        .map(|t| chain_text(t.code, t.zh, &achievements, &demands))
        .collect()
});

/// The non-empty `field` texts of the `chain`'s items.
fn texts(items: &[Value], chain: &str, field: &str) -> Vec<String> {
    items
        .iter()
        .filter(|i| i["chain"] == chain)
        .filter_map(|i| i[field].as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn or_default(v: Vec<String>, d: &str) -> Vec<String> {
    if v.is_empty() { vec![d.to_owned()] } else { v }
}

fn chain_text(
    chain: &'static str,
    zh: &'static str,
    achievements: &[Value],
    demands: &[Value],
) -> ChainText {
    let mut keywords: Vec<String> = achievements
        .iter()
        .chain(demands)
        .filter(|i| i["chain"] == chain)
        .flat_map(|i| i["keywords"].as_array().cloned().unwrap_or_default())
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    keywords.sort();
    keywords.dedup();
    if keywords.is_empty() {
        keywords.push(zh.to_owned());
    }
    ChainText {
        chain,
        zh,
        keywords,
        summaries: or_default(
            texts(achievements, chain, "summary"),
            "面向产业需求的关键技术成果。",
        ),
        descriptions: or_default(
            texts(demands, chain, "description"),
            "企业生产中遇到的关键技术难题，寻求合作解决。",
        ),
        indicators: or_default(texts(demands, chain, "indicators"), ""),
    }
}

/// Per industry chain, in taxonomy order: the vocabulary synthetic listings are written
/// from. The load generator draws its search queries from the same words.
pub fn vocabulary() -> &'static [ChainText] {
    &VOCABULARY
}

/// A chain's words for one listing: the chain and three to five of its keywords.
pub(super) fn topic(rng: &mut Rng) -> (&'static ChainText, Vec<&'static str>) {
    let vocab = vocabulary();
    let t = &vocab[rng.below(vocab.len())];
    let n = 3 + rng.below(3);
    (t, rng.sample(&t.keywords, n))
}

/// A title from two keywords `a`, `b` and the chain's name `zh`.
type Title = fn(a: &str, b: &str, zh: &str) -> String;

pub(super) const ACHIEVEMENT_TITLES: [Title; 6] = [
    |a, b, _| format!("基于{a}的{b}关键技术"),
    |a, b, _| format!("{a}与{b}集成技术及应用"),
    |a, _, zh| format!("面向{zh}的{a}技术"),
    |a, b, _| format!("高可靠{a}及{b}方法"),
    |a, b, _| format!("{a}{b}一体化解决方案"),
    |a, _, _| format!("{a}关键工艺与装备研制"),
];

pub(super) const DEMAND_TITLES: [Title; 5] = [
    |a, _, _| format!("{a}技术攻关需求"),
    |a, b, _| format!("寻求{a}与{b}解决方案"),
    |a, _, zh| format!("{zh}企业{a}难题求解"),
    |a, _, _| format!("{a}国产化替代需求"),
    |a, b, _| format!("{a}性能提升与{b}优化"),
];

/// One of `titles`, from the first two of the keywords `k` (the chain's name standing in
/// for a missing second).
pub(super) fn title(rng: &mut Rng, titles: &[Title], t: &ChainText, k: &[&str]) -> String {
    let (a, b) = (k[0], k.get(1).copied().unwrap_or(t.zh));
    titles[rng.below(titles.len())](a, b, t.zh)
}

pub(super) fn keywords_json(k: &[&str]) -> String {
    serde_json::to_string(k).unwrap_or_else(|_| "[]".into())
}
