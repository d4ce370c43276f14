//! Human messages for serde's deserialization errors, in both languages, naming the field.
//!
//! serde's messages (`invalid type: string "200万元", expected i64 at line 9 column 38`)
//! are for programmers and do not say which field. Their shapes are fixed by
//! `serde::de::Error`, so they are parsed here; the field of a JSON body is found by
//! walking the body up to the reported position (serde_json knows no path), the field of
//! a query string by the value serde complains about.

use super::{ApiError, ErrorCode};

/// What serde said was wrong, by the standard message shapes.
#[derive(Debug, PartialEq)]
enum Problem<'a> {
    Missing(&'a str),
    UnknownField(&'a str, Vec<&'a str>),
    UnknownVariant(&'a str, Vec<&'a str>),
    Invalid { got: &'a str, expected: &'a str },
    Length(&'a str),
    Duplicate(&'a str),
    Other(&'a str),
}

/// The names between backticks: serde's list of expected fields or variants.
fn quoted(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// The first backticked name and what follows it.
fn first_quoted(s: &str) -> Option<(&str, &str)> {
    s.strip_prefix('`')?.split_once('`')
}

impl<'a> Problem<'a> {
    fn parse(msg: &'a str) -> Problem<'a> {
        let named = |prefix: &str| msg.strip_prefix(prefix).and_then(first_quoted);
        if let Some((f, _)) = msg.strip_prefix("missing field ").and_then(first_quoted) {
            return Problem::Missing(f);
        }
        if let Some((f, rest)) = named("unknown field ") {
            return Problem::UnknownField(f, quoted(rest));
        }
        if let Some((v, rest)) = named("unknown variant ") {
            return Problem::UnknownVariant(v, quoted(rest));
        }
        if let Some((f, _)) = named("duplicate field ") {
            return Problem::Duplicate(f);
        }
        for prefix in ["invalid type: ", "invalid value: "] {
            if let Some((got, expected)) = msg
                .strip_prefix(prefix)
                .and_then(|m| m.rsplit_once(", expected "))
            {
                return Problem::Invalid { got, expected };
            }
        }
        if let Some((_, expected)) = msg
            .strip_prefix("invalid length ")
            .and_then(|m| m.split_once(", expected "))
        {
            return Problem::Length(expected);
        }
        Problem::Other(msg)
    }
}

/// What a value should have been, in Chinese and English; integers of `*_fen` fields
/// are money in fen.
fn expected_text(expected: &str, field: &str) -> (String, String) {
    let unit = if field.ends_with("_fen") {
        ("（单位：分）", " number of fen")
    } else if field.ends_with("_bp") {
        ("（单位：基点）", " number of basis points")
    } else {
        ("", "")
    };
    let e = expected.trim();
    let (zh, en): (&str, &str) = match e {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => ("整数", "an integer"),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => ("非负整数", "a non-negative integer"),
        "f32" | "f64" => ("数字", "a number"),
        "a string" | "a borrowed string" | "variant identifier" | "field identifier" => {
            ("字符串", "a string")
        }
        "a boolean" => ("布尔值 true 或 false", "true or false"),
        "a sequence" => ("数组", "an array"),
        "a map" => ("对象", "an object"),
        _ if e.starts_with("struct ") => ("对象", "an object"),
        _ if e.contains("date") => ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
        _ if e.contains("RFC 3339") || e.contains("datetime") => {
            ("时间（RFC 3339）", "a time (RFC 3339)")
        }
        _ => return (format!("符合要求的值（{e}）"), e.to_owned()),
    };
    if unit.0.is_empty() || !en.contains("integer") {
        (zh.to_owned(), en.to_owned())
    } else {
        (format!("{zh}{}", unit.0), format!("{en}{}", unit.1))
    }
}

/// The value serde got, from its `Unexpected` display.
fn got_text(got: &str) -> (String, String) {
    let between = |s: &str| s.trim_matches('`').to_owned();
    if let Some(s) = got.strip_prefix("string ") {
        return (format!("字符串 {s}"), format!("the string {s}"));
    }
    if let Some(n) = got.strip_prefix("integer ") {
        return (
            format!("整数 {}", between(n)),
            format!("the integer {}", between(n)),
        );
    }
    if let Some(n) = got.strip_prefix("floating point ") {
        return (
            format!("小数 {}", between(n)),
            format!("the number {}", between(n)),
        );
    }
    if let Some(b) = got.strip_prefix("boolean ") {
        return (
            format!("布尔值 {}", between(b)),
            format!("the boolean {}", between(b)),
        );
    }
    match got {
        "null" | "unit value" => ("null".into(), "null".into()),
        "sequence" => ("数组".into(), "an array".into()),
        "map" => ("对象".into(), "an object".into()),
        other => (other.to_owned(), other.to_owned()),
    }
}

/// Chrono's parse errors: the field wanted a date or a time.
fn is_chrono_message(msg: &str) -> bool {
    [
        "input contains invalid characters",
        "premature end of input",
        "input is out of range",
        "trailing input",
        "input is not enough for unique",
        "no possible date and time matching input",
    ]
    .iter()
    .any(|m| msg.starts_with(m))
}

/// An error naming a field whose value is wrong (body or query string).
fn invalid_value(code: ErrorCode, field: &str, got: &str, expected: &str) -> ApiError {
    let (ez, ee) = expected_text(expected, field);
    let (gz, ge) = got_text(got);
    ApiError::with_detail(
        code,
        format!("字段 {field} 应为{ez}，收到{gz}。"),
        format!("{field} must be {ee}, got {ge}."),
    )
    .field(field.to_owned())
}

/// The one message for any problem once the field is known; `field` is empty when not.
fn describe(code: ErrorCode, problem: Problem<'_>, field: &str, what: Where) -> ApiError {
    let (noun_zh, noun_en) = match what {
        Where::Body => ("字段", "field"),
        Where::Query => ("查询参数", "query parameter"),
    };
    let named = |zh: String, en: String| {
        let e = ApiError::with_detail(code, zh, en);
        if field.is_empty() {
            e
        } else {
            e.field(field.to_owned())
        }
    };
    match problem {
        Problem::Missing(_) => named(
            format!("缺少必填{noun_zh} {field}。"),
            format!("The {noun_en} `{field}` is required."),
        ),
        Problem::UnknownField(f, accepted) => {
            let (zh, en) = if accepted.is_empty() {
                (
                    "此处不接受任何字段".to_owned(),
                    "none are accepted here".to_owned(),
                )
            } else {
                (
                    format!("可用的{noun_zh}：{}", accepted.join("、")),
                    format!("accepted: {}", accepted.join(", ")),
                )
            };
            named(
                format!("未知的{noun_zh} {f}，{zh}。"),
                format!("Unknown {noun_en} `{f}`; {en}."),
            )
            .accepted(accepted)
        }
        Problem::UnknownVariant(v, accepted) => named(
            format!("{field} 的值 {v:?} 无效，可选值：{}。", accepted.join("、")),
            format!(
                "Unknown {field} {v:?}; accepted values: {}.",
                accepted.join(", ")
            ),
        )
        .accepted(accepted),
        Problem::Invalid { got, expected } => invalid_value(code, field, got, expected),
        Problem::Length(expected) => named(
            format!("{noun_zh} {field} 的元素个数不对（应为 {expected}）。"),
            format!("{field} has the wrong number of items (expected {expected})."),
        ),
        Problem::Duplicate(f) => named(
            format!("{noun_zh} {f} 出现了不止一次。"),
            format!("The {noun_en} `{f}` is given more than once."),
        ),
        Problem::Other(msg) if is_chrono_message(msg) => named(
            format!("{noun_zh} {field} 应为日期（YYYY-MM-DD）或 RFC 3339 时间。"),
            format!("{field} must be a date (YYYY-MM-DD) or an RFC 3339 time."),
        ),
        Problem::Other(msg) => named(
            format!("{noun_zh} {field} 的值无效（{msg}）。"),
            format!("{field} is not valid: {msg}."),
        ),
    }
}

#[derive(Clone, Copy)]
enum Where {
    Body,
    Query,
}

/// One open container while walking a JSON text.
enum Frame {
    /// An object and the key of the member being read, once its key is read.
    Object(Option<String>),
    Array(usize),
}

/// The containers open at byte `end` of a JSON text (a tolerant scan: the text is only
/// known to be valid up to the error).
fn frames_at(body: &[u8], end: usize) -> Vec<Frame> {
    let end = end.min(body.len());
    let mut frames = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < end {
        match body[i] {
            b'{' => {
                frames.push(Frame::Object(None));
                expect_key = true;
            }
            b'[' => frames.push(Frame::Array(0)),
            b'}' | b']' => {
                frames.pop();
                expect_key = false;
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(key)) => {
                    *key = None;
                    expect_key = true;
                }
                None => {}
            },
            b':' => expect_key = false,
            b'"' => {
                let start = i;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if expect_key && let Some(Frame::Object(key)) = frames.last_mut() {
                    let raw = body.get(start..=i).unwrap_or_default();
                    *key = serde_json::from_slice::<String>(raw).ok();
                }
            }
            _ => {}
        }
        i += 1;
    }
    frames
}

/// `challenge.bounty_fen`, `ip_items[0].kind`.
fn path_of(frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// Byte offset of serde_json's one-based line and column (bytes read on that line).
fn offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start = body
        .split_inclusive(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    line_start + column
}

/// `prefix.name`, or `name` at the top level.
fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A JSON body that did not deserialize; `body` is the request body when it was kept.
pub(super) fn body_error(e: &serde_json::Error, body: Option<&[u8]>) -> ApiError {
    let text = e.to_string();
    let msg = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    if !e.is_data() {
        return syntax_error(msg, e.line(), e.column());
    }
    let mut frames = body
        .map(|b| frames_at(b, offset(b, e.line(), e.column())))
        .unwrap_or_default();
    let problem = Problem::parse(msg);
    let field = match &problem {
        // The error is at the end of the object, after its last member's key.
        Problem::Missing(f) => {
            if let Some(Frame::Object(key)) = frames.last_mut() {
                *key = None;
            }
            join(&path_of(&frames), f)
        }
        Problem::UnknownField(f, _) if body.is_none() => (*f).to_owned(),
        _ => path_of(&frames),
    };
    if field.is_empty() && matches!(problem, Problem::Invalid { .. } | Problem::Other(_)) {
        let (line, column) = (e.line(), e.column());
        return ApiError::with_detail(
            ErrorCode::InvalidRequestBody,
            format!("请求体第 {line} 行第 {column} 列的值不符合要求（{msg}）。"),
            format!("The value at line {line}, column {column} of the body is not valid: {msg}."),
        );
    }
    describe(ErrorCode::InvalidRequestBody, problem, &field, Where::Body)
}

/// Malformed JSON: where, and what in Chinese for the common cases.
fn syntax_error(msg: &str, line: usize, column: usize) -> ApiError {
    const HINTS: &[(&str, &str)] = &[
        ("EOF while parsing", "内容不完整"),
        ("trailing comma", "有多余的逗号"),
        ("expected value", "此处应为一个值"),
        ("key must be a string", "对象的键必须是带双引号的字符串"),
        ("expected `,` or `}`", "缺少逗号或右花括号"),
        ("expected `,` or `]`", "缺少逗号或右方括号"),
        ("expected `:`", "缺少冒号"),
        ("control character", "字符串中有未转义的控制字符"),
        ("trailing characters", "JSON 之后还有多余的内容"),
        ("invalid escape", "无效的转义序列"),
        ("invalid unicode", "无效的 Unicode 字符"),
        ("lone leading surrogate", "无效的 Unicode 字符"),
        ("invalid number", "无效的数字"),
        ("number out of range", "数字超出范围"),
        ("recursion limit", "嵌套层数过多"),
        ("expected ident", "无效的字面量（应为 true、false 或 null）"),
    ];
    let hint = HINTS
        .iter()
        .find(|(en, _)| msg.starts_with(en))
        .map_or("语法错误", |(_, zh)| zh);
    ApiError::with_detail(
        ErrorCode::InvalidJson,
        format!("请求体不是有效的 JSON：第 {line} 行第 {column} 列附近{hint}。"),
        format!("The body is not valid JSON near line {line}, column {column}: {msg}."),
    )
}

/// The parameters whose value `ok` refuses: the culprits of a parse error without a name.
fn refused(pairs: &[(String, String)], ok: impl Fn(&str) -> bool) -> Vec<&str> {
    pairs
        .iter()
        .filter(|(_, v)| !ok(v))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// A query string that did not deserialize. serde_urlencoded names neither the
/// parameter of a bad value nor its position, so the value is looked for in the query.
pub(super) fn query_error(msg: &str, query: &str) -> ApiError {
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map(actix_web::web::Query::into_inner)
        .unwrap_or_default();
    let by_value = |v: &str| {
        let v = v.trim_matches('"');
        pairs.iter().find(|(_, pv)| pv == v).map(|(k, _)| k.clone())
    };
    let problem = Problem::parse(msg);
    let (field, expected) = match &problem {
        Problem::Missing(f) | Problem::UnknownField(f, _) | Problem::Duplicate(f) => {
            ((*f).to_owned(), None)
        }
        Problem::UnknownVariant(v, _) => (by_value(v).unwrap_or_default(), None),
        Problem::Invalid { got, .. } => (
            got.strip_prefix("string ")
                .and_then(by_value)
                .unwrap_or_default(),
            None,
        ),
        Problem::Other(m) if m.contains("integer") || m.contains("invalid digit") => {
            let bad = refused(&pairs, |v| v.parse::<i64>().is_ok());
            (single(&bad, integer_name), Some("i64"))
        }
        Problem::Other(m) if m.contains("`true` or `false`") => {
            let bad = refused(&pairs, |v| v == "true" || v == "false");
            (single(&bad, boolean_name), Some("a boolean"))
        }
        Problem::Other(m) if m.contains("float") => {
            let bad = refused(&pairs, |v| v.parse::<f64>().is_ok());
            (single(&bad, |_| false), Some("f64"))
        }
        _ => (String::new(), None),
    };
    if let (Some(expected), false) = (expected, field.is_empty()) {
        let got = pairs
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| format!("string {v:?}"))
            .unwrap_or_default();
        return invalid_value(ErrorCode::InvalidQuery, &field, &got, expected);
    }
    if field.is_empty() {
        return ApiError::with_detail(
            ErrorCode::InvalidQuery,
            format!("查询参数无效（{msg}）。"),
            format!("Invalid query string: {msg}."),
        );
    }
    describe(ErrorCode::InvalidQuery, problem, &field, Where::Query)
}

/// The one culprit, if the values alone tell; else the one whose name says it takes that
/// kind of value (`page=abc&stage=x`: `page`).
fn single(names: &[&str], typed: impl Fn(&str) -> bool) -> String {
    let by_name: Vec<&str> = names.iter().copied().filter(|n| typed(n)).collect();
    match (names, by_name.as_slice()) {
        ([one], _) | (_, [one]) => (*one).to_owned(),
        _ => String::new(),
    }
}

/// Query parameters of the API that take integers.
fn integer_name(name: &str) -> bool {
    matches!(name, "page" | "per_page" | "limit" | "year" | "trl")
        || ["_id", "_fen", "_min", "_max"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Query parameters of the API that take true or false.
fn boolean_name(name: &str) -> bool {
    matches!(
        name,
        "verified" | "key_project" | "bottleneck" | "follow_up_due" | "include_unregistered"
    )
}

/// A path segment that did not parse (`/deals/abc`), named by its parameter.
pub(super) fn path_error(msg: &str, params: &[(String, String)]) -> ApiError {
    // actix: `can not parse "abc" to a i64`.
    let parsed = msg
        .strip_prefix("can not parse ")
        .and_then(|m| m.rsplit_once(" to a "));
    let Some((value, ty)) = parsed else {
        return ApiError::with_detail(
            ErrorCode::InvalidPath,
            format!("路径参数无效（{msg}）。"),
            format!("Invalid path parameter: {msg}."),
        );
    };
    let raw = value.trim_matches('"');
    let name = params
        .iter()
        .find(|(_, v)| v == raw)
        .map_or("id", |(k, _)| k.as_str());
    let (ez, ee) = expected_text(ty, name);
    ApiError::with_detail(
        ErrorCode::InvalidPath,
        format!("路径参数 {name} 应为{ez}，收到 {value}。"),
        format!("The path parameter `{name}` must be {ee}, got {value}."),
    )
    .field(name.to_owned())
}

#[cfg(test)]
mod tests;
