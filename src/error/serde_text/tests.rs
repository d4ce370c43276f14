use serde::Deserialize;

use super::*;
use crate::error::Language;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Challenge {
    bounty_fen: i64,
    criteria: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Body {
    title: String,
    keywords: Vec<String>,
    challenge: Option<Challenge>,
    items: Option<Vec<Challenge>>,
}

fn error_for(body: &str) -> ApiError {
    let e = serde_json::from_str::<Body>(body).unwrap_err();
    body_error(&e, Some(body.as_bytes()))
}

#[test]
fn a_string_for_fen_names_the_nested_field() {
    let body = "{\n  \"title\": \"钛合金\",\n  \"keywords\": [],\n  \"challenge\": {\n    \"criteria\": \"x\",\n    \"bounty_fen\": \"200万元\"\n  }\n}";
    let e = error_for(body);
    assert_eq!(e.code(), ErrorCode::InvalidRequestBody);
    assert_eq!(e.field_name(), Some("challenge.bounty_fen"));
    assert_eq!(
        e.message_in(Language::Zh),
        "字段 challenge.bounty_fen 应为整数（单位：分），收到字符串 \"200万元\"。"
    );
    assert_eq!(
        e.message_in(Language::En),
        "challenge.bounty_fen must be an integer number of fen, got the string \"200万元\"."
    );
}

#[test]
fn unknown_fields_are_named_with_the_accepted_ones() {
    let e = error_for(r#"{"title": "t", "keywords": [], "region": "610100"}"#);
    assert_eq!(e.field_name(), Some("region"));
    assert_eq!(
        e.accepted_values(),
        ["title", "keywords", "challenge", "items"]
    );
    assert!(e.message_in(Language::Zh).contains("未知的字段 region"));
    let e = error_for(r#"{"title": "t", "keywords": [], "challenge": {"bounty": 1}}"#);
    assert_eq!(e.field_name(), Some("challenge.bounty"));
    assert_eq!(e.accepted_values(), ["bounty_fen", "criteria"]);
}

#[test]
fn missing_fields_are_named_by_their_path() {
    let e = error_for(r#"{"keywords": ["a"]}"#);
    assert_eq!(e.field_name(), Some("title"));
    assert_eq!(e.message_in(Language::Zh), "缺少必填字段 title。");
    let e = error_for(
        r#"{"title": "t", "keywords": [], "items": [{"bounty_fen": 1, "criteria": "c"}, {"bounty_fen": 2}]}"#,
    );
    assert_eq!(e.field_name(), Some("items[1].criteria"));
}

#[test]
fn array_items_and_types() {
    let e = error_for(r#"{"title": "t", "keywords": ["a", 5]}"#);
    assert_eq!(e.field_name(), Some("keywords[1]"));
    assert_eq!(
        e.message_in(Language::En),
        "keywords[1] must be a string, got the integer 5."
    );
    let e = error_for(r#"{"title": null, "keywords": []}"#);
    assert_eq!(e.field_name(), Some("title"));
    assert!(e.message_in(Language::Zh).contains("收到null"), "{e:?}");
}

#[test]
fn malformed_json_says_where_in_both_languages() {
    let e = error_for("{\"title\": \"t\",}");
    assert_eq!(e.code(), ErrorCode::InvalidJson);
    assert!(e.message_in(Language::Zh).contains("第 1 行"));
    assert!(e.message_in(Language::Zh).contains("逗号"));
    assert!(e.message_in(Language::En).contains("line 1"));
}

#[test]
fn without_the_body_the_message_still_names_what_serde_knows() {
    let text = r#"{"title": "t", "keywords": [], "x": 1}"#;
    let err = serde_json::from_str::<Body>(text).unwrap_err();
    let e = body_error(&err, None);
    assert_eq!(e.field_name(), Some("x"));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Query {
    page: Option<u32>,
    stage: Option<String>,
}

fn query_for(q: &str) -> ApiError {
    let err = serde_urlencoded_error(q);
    query_error(&err, q)
}

fn serde_urlencoded_error(q: &str) -> String {
    actix_web::web::Query::<Query>::from_query(q)
        .unwrap_err()
        .to_string()
        .trim_start_matches("Query deserialize error: ")
        .to_owned()
}

#[test]
fn query_strings_name_the_parameter() {
    let e = query_for("stage=x&color=red");
    assert_eq!(e.code(), ErrorCode::InvalidQuery);
    assert_eq!(e.field_name(), Some("color"));
    assert_eq!(e.accepted_values(), ["page", "stage"]);
    let e = query_for("stage=x&page=abc");
    assert_eq!(e.field_name(), Some("page"), "{e:?}");
    assert!(e.message_in(Language::Zh).contains("整数"), "{e:?}");
}

#[test]
fn serde_messages_parse() {
    assert_eq!(
        Problem::parse("unknown variant `x`, expected one of `a`, `b`"),
        Problem::UnknownVariant("x", vec!["a", "b"])
    );
    assert_eq!(
        Problem::parse("unknown field `x`, expected `a` or `b`"),
        Problem::UnknownField("x", vec!["a", "b"])
    );
    assert_eq!(
        Problem::parse("unknown field `x`, there are no fields"),
        Problem::UnknownField("x", vec![])
    );
    assert_eq!(
        Problem::parse("invalid type: string \"a, expected b\", expected i64"),
        Problem::Invalid {
            got: "string \"a, expected b\"",
            expected: "i64"
        }
    );
}

#[test]
fn path_parameters_are_named() {
    let params = [("id".to_owned(), "abc".to_owned())];
    let e = path_error("can not parse \"abc\" to a i64", &params);
    assert_eq!(e.field_name(), Some("id"));
    assert_eq!(
        e.message_in(Language::Zh),
        "路径参数 id 应为整数，收到 \"abc\"。"
    );
}
