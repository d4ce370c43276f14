//! The one API error type.
//!
//! Every failure a client can see is an [`ApiError`] carrying an [`ErrorCode`]; the code
//! table ([`codes`]) fixes, in one place, each code's HTTP status, `type` and default
//! message in Chinese and English, so the JSON shape `{message, code, type, link}` (plus
//! `field` and `accepted` when known) is the same everywhere. An error keeps its parts
//! (code, detail in both languages, field, accepted values) and is rendered once, in the
//! request's language ([`i18n`]). Infrastructure errors (diesel, r2d2, blocking pool) are
//! mapped here too; their causes are logged and never returned.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub mod codes;
pub mod extractors;
pub mod i18n;
mod no_query;
mod serde_text;

pub use codes::{ErrorCode, ErrorType};
pub use i18n::{Language, Text};
pub use no_query::{NoQuery, check_no_query};

use crate::taxonomy::Vocabulary;

/// An error answered to the client, with an optional cause kept for the logs only.
pub struct ApiError {
    code: ErrorCode,
    /// Boxed so that `Result<_, ApiError>` stays small on the happy path.
    parts: Box<Parts>,
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

/// What an error knows beyond its code.
#[derive(Default)]
struct Parts {
    /// What exactly was wrong, when more is known than the code's default message.
    detail: Option<Text>,
    /// The offending field or query parameter (`challenge.bounty_fen`, `ip_items[0].kind`).
    field: Option<Cow<'static, str>>,
    /// The values the field accepts, when they are a short list.
    accepted: Vec<String>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub message: &'a str,
    pub code: &'static str,
    #[serde(rename = "type")]
    pub error_type: ErrorType,
    pub link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub accepted: &'a [String],
}

/// Vocabularies up to this long are listed in full in an error.
const SHORT_LIST: usize = 12;

/// Nouns `not_found` is called with, and their Chinese.
const NOUNS: &[(&str, &str)] = &[
    ("Achievement", "成果"),
    ("Demand", "需求"),
    ("Org", "机构"),
    ("User", "用户"),
    ("Deal", "对接"),
    ("Contract", "合同"),
    ("Amendment", "合同变更"),
    ("Application", "揭榜申请"),
    ("Milestone", "里程碑"),
    ("Pool entry", "培育库条目"),
    ("Target", "年度目标"),
    ("File", "文件"),
    ("Attachment", "附件"),
    ("Invitation", "邀请"),
    ("Chain", "产业链"),
];

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            parts: Box::default(),
            retry_after_secs: None,
            cause: None,
        }
    }

    /// Same code, a message saying exactly what was wrong (never internal details), in
    /// Chinese and in English: both are required.
    pub fn with_detail(
        code: ErrorCode,
        zh: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut error = ApiError::new(code);
        error.parts.detail = Some(Text::new(zh, en));
        error
    }

    /// A value not among a short list: names the field and lists what it accepts.
    pub fn one_of(code: ErrorCode, field: &str, got: &str, accepted: &[&str]) -> Self {
        ApiError::with_detail(
            code,
            format!(
                "{field} 的值 {got:?} 无效，可选值：{}。",
                accepted.join("、")
            ),
            format!(
                "Unknown {field} {got:?}; accepted values: {}.",
                accepted.join(", ")
            ),
        )
        .field(field.to_owned())
        .accepted(accepted.iter().copied())
    }

    /// An unknown vocabulary code: a short vocabulary is listed, a long one pointed to
    /// (`GET /api/v1/taxonomy`).
    pub fn unknown_code(code: ErrorCode, field: &str, got: &str, vocab: Vocabulary) -> Self {
        let codes: Vec<&str> = vocab.codes().collect();
        if codes.len() <= SHORT_LIST {
            return ApiError::one_of(code, field, got, &codes);
        }
        let name = vocab.name;
        ApiError::with_detail(
            code,
            format!("{field} 的代码 {got:?} 未知，可用代码见 GET /api/v1/taxonomy（{name}）。"),
            format!("Unknown {field} code {got:?}; see GET /api/v1/taxonomy ({name})."),
        )
        .field(field.to_owned())
    }

    /// Names the offending field or query parameter (an empty name, as in `?=1`, names
    /// nothing).
    pub fn field(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.parts.field = (!name.is_empty()).then_some(name);
        self
    }

    /// Lists the values the field accepts.
    pub fn accepted<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.parts.accepted = values.into_iter().map(Into::into).collect();
        self
    }

    /// A 500 whose cause is logged when it is answered.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError {
            cause: Some(cause.into()),
            ..ApiError::new(ErrorCode::Internal)
        }
    }

    /// `what` is one of [`NOUNS`]; another noun still gets a Chinese message, without it.
    pub fn not_found(what: &str) -> Self {
        let zh = match NOUNS.iter().find(|(en, _)| *en == what) {
            Some((_, zh)) => format!("未找到该{zh}。"),
            None => "未找到该记录。".to_owned(),
        };
        ApiError::with_detail(ErrorCode::NotFound, zh, format!("{what} not found."))
    }

    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden)
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message in the current request's language (Chinese outside a request).
    pub fn message(&self) -> &str {
        self.message_in(i18n::current())
    }

    pub fn message_in(&self, lang: Language) -> &str {
        match &self.parts.detail {
            Some(text) => text.get(lang),
            None => self.code.default_message(lang),
        }
    }

    pub fn field_name(&self) -> Option<&str> {
        self.parts.field.as_deref()
    }

    pub fn accepted_values(&self) -> &[String] {
        &self.parts.accepted
    }

    pub fn link(code: ErrorCode) -> String {
        format!("/api/v1/errors#{}", code.as_str())
    }

    /// The body in `lang`.
    pub fn body(&self, lang: Language) -> ErrorBody<'_> {
        ErrorBody {
            message: self.message_in(lang),
            code: self.code.as_str(),
            error_type: self.code.error_type(),
            link: ApiError::link(self.code),
            field: self.parts.field.as_deref(),
            accepted: &self.parts.accepted,
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code.as_str())
            .field("message", &self.message_in(Language::En))
            .field("field", &self.parts.field)
            .field("cause", &self.cause)
            .finish()
    }
}

/// English, for logs.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.code.as_str(),
            self.message_in(Language::En)
        )
    }
}

impl std::error::Error for ApiError {}

/// Renders in the request's language (see [`i18n`]), which is why it says so in
/// `Content-Language` and varies by `Accept-Language`.
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        if status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(code = self.code.as_str(), cause = ?cause, "request failed")
                }
                None => tracing::error!(code = self.code.as_str(), "request failed"),
            }
        }
        let lang = i18n::current();
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        response
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .append_header((header::VARY, "Accept-Language"))
            .json(self.body(lang))
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match &err {
            Error::NotFound => ApiError::new(ErrorCode::NotFound),
            Error::DatabaseError(Kind::UniqueViolation, _) => {
                ApiError::new(ErrorCode::AlreadyExists).with_cause(err)
            }
            Error::DatabaseError(Kind::ForeignKeyViolation, _) => {
                ApiError::new(ErrorCode::ReferenceNotFound).with_cause(err)
            }
            Error::DatabaseError(Kind::ClosedConnection, _)
            | Error::DatabaseError(Kind::SerializationFailure, _)
            | Error::BrokenTransactionManager => {
                ApiError::new(ErrorCode::DatabaseUnavailable).with_cause(err)
            }
            Error::DatabaseError(_, info) if is_busy(info.message()) => {
                ApiError::new(ErrorCode::DatabaseUnavailable).with_cause(err)
            }
            Error::DatabaseError(_, info) if is_nul_in_text(info.message()) => {
                ApiError::new(ErrorCode::NulCharacter).with_cause(err)
            }
            _ => ApiError::internal(err),
        }
    }
}

/// PostgreSQL refuses a NUL in text (SQLSTATE 22021), which diesel reports only as text.
/// Input that reaches a query unvalidated (a login email, a token) can carry one.
fn is_nul_in_text(message: &str) -> bool {
    message.contains("invalid byte sequence") && message.contains("0x00")
}

/// SQLite reports lock contention only as text.
fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        ApiError::new(ErrorCode::DatabaseUnavailable).with_cause(err)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::new(ErrorCode::DatabaseUnavailable).with_cause(anyhow::anyhow!("{err}"))
    }
}

impl From<crate::search::SearchError> for ApiError {
    fn from(e: crate::search::SearchError) -> Self {
        use crate::search::SearchError;
        match e {
            SearchError::Unavailable(m) => ApiError::new(ErrorCode::SearchUnavailable)
                .retry_after(5)
                .with_cause(anyhow::anyhow!(m)),
            SearchError::Internal(m) => ApiError::internal(anyhow::anyhow!(m)),
        }
    }
}

/// One row of the public code table.
#[derive(Debug, Serialize)]
pub struct CodeInfo {
    pub code: &'static str,
    pub status: u16,
    #[serde(rename = "type")]
    pub error_type: ErrorType,
    /// The default message in the request's language.
    pub message: &'static str,
    pub messages: Messages,
}

/// A default message in both languages.
#[derive(Debug, Serialize)]
pub struct Messages {
    pub zh: &'static str,
    pub en: &'static str,
}

pub fn code_table(lang: Language) -> Vec<CodeInfo> {
    ErrorCode::ALL
        .iter()
        .map(|c| CodeInfo {
            code: c.as_str(),
            status: c.status().as_u16(),
            error_type: c.error_type(),
            message: c.default_message(lang),
            messages: Messages {
                zh: c.default_message(Language::Zh),
                en: c.default_message(Language::En),
            },
        })
        .collect()
}

pub type ApiResult<T> = Result<T, ApiError>;
