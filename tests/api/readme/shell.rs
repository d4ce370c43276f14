//! Just enough of the shell to read the README's `curl` lines: words, quotes, `\` line
//! continuations and `$VAR`; and just enough of curl: `-X`, `-H`, `-d`, `-G` with
//! `--data-urlencode`, `-s` and `-o FILE` (output is not the test's concern).

use std::collections::HashMap;

use actix_web::http::Method;

/// A request as curl would send it.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// `-F 'file=@PATH;filename=NAME'`: one file part, `(PATH, NAME)`.
    pub form: Option<(String, String)>,
}

/// The length of the command that starts `text`: up to the first newline outside quotes
/// that no `\` escapes.
pub fn command_len(text: &str) -> usize {
    let (mut quote, mut escaped) = (None, false);
    for (i, c) in text.char_indices() {
        match (c, quote) {
            _ if escaped => escaped = false,
            ('\\', Some('"') | None) => escaped = true,
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('\n', None) => return i,
            _ => {}
        }
    }
    text.len()
}

/// The words of a command: `'…'` literally, `"…"` with `\` escapes and `$VAR`, `\`-newline
/// as a space, bare `$VAR` expanded.
pub fn words(command: &str, vars: &HashMap<String, String>) -> Vec<String> {
    let (mut out, mut cur, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => cur.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => double_quoted(&mut chars, &mut cur, vars),
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
                end_word(&mut out, &mut cur, &mut in_word);
                continue;
            }
            '$' => cur.push_str(&variable(&mut chars, vars)),
            c if c.is_whitespace() => {
                end_word(&mut out, &mut cur, &mut in_word);
                continue;
            }
            c => cur.push(c),
        }
        in_word = true;
    }
    end_word(&mut out, &mut cur, &mut in_word);
    out
}

fn end_word(out: &mut Vec<String>, cur: &mut String, in_word: &mut bool) {
    if std::mem::take(in_word) {
        out.push(std::mem::take(cur));
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn double_quoted(chars: &mut Chars, cur: &mut String, vars: &HashMap<String, String>) {
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => cur.extend(chars.next()),
            '$' => cur.push_str(&variable(chars, vars)),
            c => cur.push(c),
        }
    }
}

/// `$NAME` after the `$`; a variable the test does not know is an error in the README.
fn variable(chars: &mut Chars, vars: &HashMap<String, String>) -> String {
    let mut name = String::new();
    while let Some(&n) = chars
        .peek()
        .filter(|n| n.is_ascii_alphanumeric() || **n == '_')
    {
        name.push(n);
        chars.next();
    }
    vars.get(&name)
        .cloned()
        .unwrap_or_else(|| panic!("the README uses ${name}, which is not set at that point"))
}

/// Percent-encodes what curl's `--data-urlencode` encodes (everything but unreserved).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The request a `curl` command sends.
pub fn curl(command: &str, vars: &HashMap<String, String>) -> Call {
    let words = words(command, vars);
    assert_eq!(words.first().map(String::as_str), Some("curl"), "{command}");
    let mut call = Call {
        method: Method::GET,
        path: String::new(),
        headers: vec![],
        body: None,
        form: None,
    };
    let (mut explicit, mut get, mut query) = (None, false, Vec::new());
    let mut it = words.into_iter().skip(1);
    while let Some(w) = it.next() {
        let mut arg = || it.next().unwrap_or_else(|| panic!("{w} without a value"));
        match w.as_str() {
            "-s" => {}
            "-G" => get = true,
            "-o" => drop(arg()),
            "-X" => explicit = Some(Method::from_bytes(arg().as_bytes()).expect("method")),
            "-H" => {
                let h = arg();
                let (k, v) = h.split_once(':').expect("header with a colon");
                call.headers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" => call.body = Some(arg()),
            "-F" => {
                let part = arg();
                let spec = part
                    .strip_prefix("file=@")
                    .expect("-F 'file=@PATH;filename=NAME'");
                let (path, name) = spec.split_once(";filename=").unwrap_or((spec, spec));
                call.form = Some((path.to_owned(), name.to_owned()));
            }
            "--data-urlencode" => {
                let pair = arg();
                let (k, v) = pair.split_once('=').expect("name=value");
                query.push(format!("{k}={}", urlencode(v)));
            }
            url if url.starts_with("localhost:8080") => {
                call.path = url.trim_start_matches("localhost:8080").to_owned();
            }
            other => panic!("curl option {other} is not understood by the README test"),
        }
    }
    assert!(!call.path.is_empty(), "no URL in {command}");
    assert!(
        call.path.is_ascii(),
        "raw UTF-8 in a URL is refused by HTTP parsers: use -G --data-urlencode in {command}"
    );
    if get || !query.is_empty() {
        assert!(
            get && call.body.is_none(),
            "--data-urlencode without -G: {command}"
        );
        let sep = if call.path.contains('?') { '&' } else { '?' };
        call.path = format!("{}{sep}{}", call.path, query.join("&"));
    }
    call.method = explicit.unwrap_or(match (&call.body, &call.form) {
        (None, None) => Method::GET,
        _ => Method::POST,
    });
    call
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_continuations_and_variables_read_as_the_shell_reads_them() {
        let vars = HashMap::from([("T".to_owned(), "tok".to_owned())]);
        let cmd = "curl -s -G localhost:8080/x \\\n  --data-urlencode 'q=钛合金 锻件' \
                   -H \"authorization: Bearer $T\" -d \"{\\\"a\\\": 1}\"";
        assert_eq!(command_len(&format!("{cmd}\n# → 200")), cmd.len());
        let w = words(cmd, &vars);
        assert_eq!(w[5], "q=钛合金 锻件");
        assert_eq!(w[7], "authorization: Bearer tok");
        assert_eq!(w[9], "{\"a\": 1}");
    }

    #[test]
    fn a_multi_line_quoted_body_is_one_word() {
        let cmd = "curl -s localhost:8080/x -d '{\n  \"a\": 1}'\nnext";
        assert_eq!(
            &cmd[..command_len(cmd)],
            "curl -s localhost:8080/x -d '{\n  \"a\": 1}'"
        );
    }

    #[test]
    fn get_with_urlencoded_data_puts_it_in_the_query() {
        let cmd = "curl -s -G 'localhost:8080/a?chain=x' --data-urlencode 'q=钛 合'";
        let call = curl(cmd, &HashMap::new());
        assert_eq!(call.path, "/a?chain=x&q=%E9%92%9B%20%E5%90%88");
        assert_eq!(call.method, Method::GET);
    }
}
