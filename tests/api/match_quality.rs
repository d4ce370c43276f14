//! Matching quality, measured: nDCG@10 of the matches over a labelled evaluation set
//! (`tests/fixtures/match_eval.json`, graded relevance 0-3, with pairs that share no
//! literal words and distractors that share words but not meaning). Fails below 0.80 and
//! reports the plain-search baseline (query = the demand's title) beside it.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{Account, spawn_app};
use crate::listings::published;

const EVAL: &str = include_str!("../fixtures/match_eval.json");

fn dcg(gains: &[f64]) -> f64 {
    gains
        .iter()
        .enumerate()
        .map(|(i, g)| (2f64.powf(*g) - 1.0) / (i as f64 + 2.0).log2())
        .sum::<f64>()
        + 0.0
}

/// nDCG@10 of a ranking against graded labels.
pub(crate) fn ndcg(ranked: &[String], labels: &HashMap<String, f64>) -> f64 {
    let gains: Vec<f64> = ranked
        .iter()
        .take(10)
        .map(|k| labels.get(k).copied().unwrap_or(0.0))
        .collect();
    let mut ideal: Vec<f64> = labels.values().copied().collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    ideal.truncate(10);
    let best = dcg(&ideal);
    if best == 0.0 { 0.0 } else { dcg(&gains) / best }
}

#[test]
fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
    let labels: HashMap<String, f64> = [("a".to_owned(), 3.0), ("b".to_owned(), 1.0)].into();
    assert!((ndcg(&["a".into(), "b".into()], &labels) - 1.0).abs() < 1e-9);
    assert!(ndcg(&["b".into(), "a".into()], &labels) < 1.0);
    assert_eq!(ndcg(&["x".into()], &labels), 0.0);
}

#[actix_rt::test]
async fn matches_reach_ndcg_at_10_of_0_80_and_beat_plain_search() {
    let eval: Value = serde_json::from_str(EVAL).expect("match_eval.json");
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // One verified org with one owner per fixture org.
    let mut owners: HashMap<String, String> = HashMap::new();
    for org in eval["orgs"].as_array().unwrap() {
        let kind = org["kind"].as_str().unwrap();
        let role = if kind == "enterprise" {
            "enterprise"
        } else {
            "university"
        };
        let key = org["key"].as_str().unwrap();
        let account = Account::university()
            .email(&format!("{key}@eval.example.cn"))
            .role(role)
            .org(
                org["name"].as_str().unwrap(),
                kind,
                org["region"].as_str().unwrap(),
            );
        let (_, org_id) = app.registered(&account).await;
        app.post(
            &format!("/api/v1/orgs/{org_id}/verify"),
            Some(&admin),
            &json!({}),
        )
        .await;
        owners.insert(key.to_owned(), app.token(&account.email).await);
    }
    let mut key_of: HashMap<i64, String> = HashMap::new();
    for a in eval["achievements"].as_array().unwrap() {
        let mut body = a.clone();
        let obj = body.as_object_mut().unwrap();
        let key = obj.remove("key").unwrap().as_str().unwrap().to_owned();
        let org = obj.remove("org").unwrap().as_str().unwrap().to_owned();
        let id = published(&app, "achievements", &owners[&org], &admin, &body).await;
        key_of.insert(id, key);
    }
    let valid_until = (chrono::Utc::now().date_naive() + chrono::Duration::days(180)).to_string();
    let mut demands: Vec<(i64, String, HashMap<String, f64>)> = Vec::new();
    for d in eval["demands"].as_array().unwrap() {
        let mut body = d.clone();
        let obj = body.as_object_mut().unwrap();
        obj.remove("key");
        let org = obj.remove("org").unwrap().as_str().unwrap().to_owned();
        let labels: HashMap<String, f64> = obj
            .remove("relevant")
            .unwrap()
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .collect();
        let title = obj["title"].as_str().unwrap().to_owned();
        obj.insert("valid_until".into(), json!(valid_until));
        let id = published(&app, "demands", &owners[&org], &admin, &body).await;
        demands.push((id, title, labels));
    }
    app.sync_search().await;
    let (broker, _) = crate::listings::member(&app, Account::broker(), true, &admin).await;

    let (mut matched, mut baseline) = (0.0, 0.0);
    for (id, title, labels) in &demands {
        let r = app
            .get(
                &format!("/api/v1/demands/{id}/matches?limit=10"),
                Some(&broker),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let ranked: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| {
                key_of
                    .get(&m["achievement"]["id"].as_i64().unwrap())
                    .cloned()
            })
            .collect();
        let q: String = url_encode(title);
        let s = app
            .get(&format!("/api/v1/achievements?q={q}&per_page=10"), None)
            .await;
        let plain: Vec<String> = s.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|h| key_of.get(&h["id"].as_i64().unwrap()).cloned())
                    .collect()
            })
            .unwrap_or_default();
        let (m, b) = (ndcg(&ranked, labels), ndcg(&plain, labels));
        println!("{title:<40} matches nDCG@10 {m:.3}   plain search {b:.3}");
        matched += m;
        baseline += b;
    }
    let n = demands.len() as f64;
    let (matched, baseline) = (matched / n, baseline / n);
    println!(
        "mean nDCG@10 over {} demands: matches {matched:.3}, plain search (title) {baseline:.3}",
        demands.len()
    );
    assert!(
        demands.len() >= 12 && key_of.len() >= 30,
        "the evaluation set is big enough"
    );
    assert!(matched >= 0.80, "matches nDCG@10 {matched:.3} < 0.80");
}

pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
