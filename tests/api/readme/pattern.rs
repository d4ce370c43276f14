//! The JSON a README comment says an answer contains: JSON where `...` stands for any value
//! (`"at": ...`), for more members of an object (`{"id": 1, ...}`) or for more items of an
//! array (`["a", ...]`). Objects match when the members named match; arrays item by item.

use serde_json::Value;

pub enum Pattern {
    Any,
    Exact(Value),
    Object(Vec<(String, Pattern)>),
    Array { items: Vec<Pattern>, more: bool },
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Any => f.write_str("..."),
            Pattern::Exact(v) => write!(f, "{v}"),
            Pattern::Object(members) => f
                .debug_map()
                .entries(members.iter().map(|(k, v)| (k, v)))
                .finish(),
            Pattern::Array { items, .. } => f.debug_list().entries(items).finish(),
        }
    }
}

/// Whether the braces and brackets of `text` (outside strings) are closed.
pub fn balanced(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' if !in_string => depth += 1,
            '}' | ']' if !in_string => depth -= 1,
            _ => {}
        }
    }
    depth == 0
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Pattern {
    /// Parses the pattern at the start of `text`; what follows it is prose.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        Parser { text, at: 0 }.value()
    }

    /// `Ok` when `value` contains what the pattern says; else the path where it differs.
    pub fn matches(&self, value: &Value) -> Result<(), String> {
        match self {
            Pattern::Any => Ok(()),
            Pattern::Exact(v) if v == value => Ok(()),
            Pattern::Exact(v) => Err(format!(" (expected {v}, got {value})")),
            Pattern::Object(members) => members.iter().try_for_each(|(k, p)| {
                let v = value.get(k).ok_or_else(|| format!("/{k} (missing)"))?;
                p.matches(v).map_err(|e| format!("/{k}{e}"))
            }),
            Pattern::Array { items, more } => {
                let got = value.as_array().ok_or(" (not an array)")?;
                if got.len() < items.len() || (!more && got.len() != items.len()) {
                    return Err(format!(" ({} items)", got.len()));
                }
                items
                    .iter()
                    .zip(got)
                    .enumerate()
                    .try_for_each(|(i, (p, v))| p.matches(v).map_err(|e| format!("/{i}{e}")))
            }
        }
    }
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        let found = self.rest().starts_with(token);
        if found {
            self.at += token.len();
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        match self.eat(token) {
            true => Ok(()),
            false => Err(format!("expected {token} at {:?}", self.rest())),
        }
    }

    fn value(&mut self) -> Result<Pattern, String> {
        if self.eat("...") {
            Ok(Pattern::Any)
        } else if self.eat("{") {
            self.object()
        } else if self.eat("[") {
            self.array()
        } else {
            self.scalar().map(Pattern::Exact)
        }
    }

    fn object(&mut self) -> Result<Pattern, String> {
        let mut members = vec![];
        while !self.eat("}") {
            if self.eat("...") {
                self.expect("}")?;
                break;
            }
            let key = match self.scalar()? {
                Value::String(key) => key,
                other => return Err(format!("object key {other}")),
            };
            self.expect(":")?;
            members.push((key, self.value()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(Pattern::Object(members))
    }

    fn array(&mut self) -> Result<Pattern, String> {
        let (mut items, mut more) = (vec![], false);
        while !self.eat("]") {
            if self.eat("...") {
                more = true;
                self.expect("]")?;
                break;
            }
            items.push(self.value()?);
            if !self.eat(",") {
                self.expect("]")?;
                break;
            }
        }
        Ok(Pattern::Array { items, more })
    }

    /// One JSON string, number, `true`, `false` or `null`, read by serde_json.
    fn scalar(&mut self) -> Result<Value, String> {
        self.skip_space();
        let mut stream = serde_json::Deserializer::from_str(self.rest()).into_iter::<Value>();
        let value = stream
            .next()
            .ok_or("expected a value")?
            .map_err(|e| format!("{e} at {:?}", self.rest()))?;
        self.at += stream.byte_offset();
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ellipses_stand_for_values_members_and_items() {
        let p = Pattern::parse(r#"{"id": 4, "at": ..., "tags": ["a", ...], ...}; prose"#).unwrap();
        let ok = json!({"id": 4, "at": "x", "tags": ["a", "b"], "other": 1});
        assert!(p.matches(&ok).is_ok());
        let wrong = json!({"id": 5, "at": "x", "tags": ["a"]});
        assert_eq!(p.matches(&wrong).unwrap_err(), "/id (expected 4, got 5)");
        let missing = json!({"id": 4, "tags": ["a"]});
        assert_eq!(p.matches(&missing).unwrap_err(), "/at (missing)");
        let closed = Pattern::parse(r#"{"tags": ["a"]}"#).unwrap();
        assert!(closed.matches(&ok).is_err());
    }

    #[test]
    fn balance_ignores_brackets_in_strings() {
        assert!(balanced(r#"{"a": "}{", "b": [1]}"#));
        assert!(!balanced(r#"{"a": {"#));
    }
}
