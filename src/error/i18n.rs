//! The language of error messages: Chinese first, English on request.
//!
//! A middleware reads `Accept-Language` once per request (falling back to the configured
//! `default_language`) and runs the rest of the request inside a task-local scope, so
//! [`super::ApiError`] renders itself in that language wherever it is turned into a
//! response, with no handler passing the language along.

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use serde::Deserialize;

use crate::state::AppData;

/// A language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Simplified Chinese, the exchange's working language.
    #[default]
    Zh,
    En,
}

impl Language {
    /// The `Content-Language` tag of messages in this language.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Zh => "zh-CN",
            Language::En => "en",
        }
    }

    /// `zh`, `zh-CN`, `zh-Hans`, ... are Chinese; `en`, `en-US`, ... English.
    fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split('-').next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Some(Language::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Language::En)
        } else {
            None
        }
    }

    /// The best language `Accept-Language` asks for by its quality weights (`*` is the
    /// default); `None` when it names none we speak, so the default applies.
    pub fn negotiate(accept: &str, default: Language) -> Option<Language> {
        let mut best: Option<(f32, Language)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag {
                "*" => Some(default),
                _ => Language::from_tag(tag),
            };
            if let Some(lang) = lang
                && q > 0.0
                && best.is_none_or(|(b, _)| q > b)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// `zh` or `en` in the config file and `TT_DEFAULT_LANGUAGE`.
impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "zh" => Ok(Language::Zh),
            "en" => Ok(Language::En),
            _ => Err(serde::de::Error::custom(format!(
                "default_language (TT_DEFAULT_LANGUAGE) must be `zh` or `en`, got {raw:?}"
            ))),
        }
    }
}

/// A message in both languages. Built only from both, so neither can be forgotten.
#[derive(Debug, Clone)]
pub struct Text {
    zh: Cow<'static, str>,
    en: Cow<'static, str>,
}

impl Text {
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        }
    }
}

/// `zh` or `en`, whichever the request being answered reads.
pub fn pick<T>(zh: T, en: T) -> T {
    match current() {
        Language::Zh => zh,
        Language::En => en,
    }
}

tokio::task_local! {
    static LANGUAGE: Language;
}

/// The language of the request being answered; Chinese outside a request.
pub fn current() -> Language {
    LANGUAGE.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` as if answering a request in `lang` (for tests and tools).
pub fn with_language<R>(lang: Language, f: impl FnOnce() -> R) -> R {
    LANGUAGE.sync_scope(lang, f)
}

/// Chooses the request's language and answers the request within it, saying which in
/// `Content-Language` (with `Vary: Accept-Language`).
pub async fn negotiate<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let default = req
        .app_data::<AppData>()
        .map(|s| s.settings.default_language)
        .unwrap_or_default();
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Language::negotiate(v, default))
        .unwrap_or(default);
    let mut res = LANGUAGE.scope(lang, next.call(req)).await?;
    // Labels, reasons and export headers are in `lang` too, so every answer says so.
    let headers = res.headers_mut();
    if !headers.contains_key(header::CONTENT_LANGUAGE) {
        headers.insert(
            header::CONTENT_LANGUAGE,
            header::HeaderValue::from_static(lang.tag()),
        );
    }
    let varies = headers
        .get_all(header::VARY)
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Accept-Language")));
    if !varies {
        headers.append(
            header::VARY,
            header::HeaderValue::from_static("Accept-Language"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_quality() {
        let zh = Language::Zh;
        let n = |h| Language::negotiate(h, zh);
        assert_eq!(n("en-US,en;q=0.9"), Some(Language::En));
        assert_eq!(n("zh-CN"), Some(Language::Zh));
        assert_eq!(n("zh-Hans-CN;q=0.5, en;q=0.8"), Some(Language::En));
        assert_eq!(n("fr-FR, en;q=0.1"), Some(Language::En));
        assert_eq!(n("fr"), None);
        assert_eq!(n("en;q=0"), None);
        assert_eq!(n("*"), Some(Language::Zh));
        assert_eq!(Language::negotiate("*", Language::En), Some(Language::En));
        assert_eq!(n("de, *;q=0.5, en;q=0.4"), Some(Language::Zh));
        assert_eq!(n(""), None);
        assert_eq!(n("EN"), Some(Language::En));
    }

    #[test]
    fn outside_a_request_messages_are_chinese() {
        assert_eq!(current(), Language::Zh);
        assert_eq!(with_language(Language::En, current), Language::En);
    }
}
