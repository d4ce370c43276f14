//! `openapi.yaml` is true to the routes: every registered route is documented, every
//! documented operation is served, and the served spec is the file.

use std::collections::BTreeSet;

use awc::http::Method;
use serde_json::json;
use serde_yaml_ng::Value;

use crate::helpers::spawn_app;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("openapi.yaml parses")
}

fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let paths = spec["paths"].as_mapping().expect("paths");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let registered: BTreeSet<(String, String)> = tt_exchange::routes::list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    let documented = documented(&spec);
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.yaml: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

#[test]
fn every_operation_documents_its_responses_and_errors_use_the_error_schema() {
    let spec = spec();
    assert!(spec["components"]["schemas"]["Error"].is_mapping());
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let responses = op["responses"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{m} {path:?} has no responses"));
            assert!(op["operationId"].is_string(), "{m} {path:?} operationId");
            assert!(
                responses
                    .keys()
                    .any(|k| k.as_str().is_some_and(|s| s.starts_with('2'))),
                "{m} {path:?} has no success response"
            );
        }
    }
}

/// A JSON body can always be too large or of another media type: every operation that
/// takes one documents `413` and `415` (an outside fuzzer found `415` missing on some).
#[test]
fn every_operation_with_a_request_body_documents_413_and_415() {
    let spec = spec();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            if op.get("requestBody").is_none() {
                continue;
            }
            for code in ["413", "415"] {
                if op["responses"].get(code).is_none() {
                    missing.push(format!("{m} {} {code}", path.as_str().unwrap_or("?")));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

#[actix_rt::test]
async fn every_documented_operation_is_routed_and_the_spec_is_served() {
    let app = spawn_app().await;
    for (method, path) in documented(&spec()) {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "999999" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let r = app
            .request(method.clone(), &concrete, None, body.as_ref())
            .await;
        let code = r.body["code"].as_str().unwrap_or_default();
        assert!(
            code != "route_not_found" && code != "method_not_allowed",
            "{method} {path} is documented but not routed: {}",
            r.text
        );
    }
    let served = app.get("/openapi.yaml", None).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.text,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap()
    );
}
