//! The one API error type.
//!
//! Every failure a client can see is an [`ApiError`] carrying an [`ErrorCode`]; the code
//! table below fixes, in one place, each code's HTTP status, `type` and default message,
//! so the JSON shape `{message, code, type, link}` is the same everywhere. Infrastructure
//! errors (diesel, r2d2, blocking pool) are mapped here too; their causes are logged and
//! never returned.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The coarse class of an error, so clients can branch without knowing every code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    Auth,
    Internal,
    System,
}

macro_rules! error_codes {
    ($( $variant:ident => ($code:literal, $status:ident, $kind:ident, $message:literal), )*) => {
        /// Stable, documented error codes. Never rename one: clients match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $( $variant, )* }

        impl ErrorCode {
            /// The whole table, served at `GET /api/v1/errors`.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }
            pub fn status(self) -> StatusCode {
                match self { $( ErrorCode::$variant => StatusCode::$status, )* }
            }
            pub fn error_type(self) -> ErrorType {
                match self { $( ErrorCode::$variant => ErrorType::$kind, )* }
            }
            pub fn default_message(self) -> &'static str {
                match self { $( ErrorCode::$variant => $message, )* }
            }
        }
    };
}

error_codes! {
    // Malformed requests.
    InvalidJson => ("invalid_json", BAD_REQUEST, InvalidRequest, "The request body is not valid JSON for this endpoint."),
    InvalidQuery => ("invalid_query", BAD_REQUEST, InvalidRequest, "The query string is not valid for this endpoint."),
    InvalidPath => ("invalid_path", BAD_REQUEST, InvalidRequest, "A path parameter is not valid."),
    InvalidPagination => ("invalid_pagination", BAD_REQUEST, InvalidRequest, "`page` must be at least 1 and `per_page` between 1 and 100."),
    InvalidEmail => ("invalid_email", BAD_REQUEST, InvalidRequest, "The email address is not valid."),
    InvalidPassword => ("invalid_password", BAD_REQUEST, InvalidRequest, "The password must be 10 to 128 characters long."),
    WeakPassword => ("weak_password", UNPROCESSABLE_ENTITY, InvalidRequest, "The password is too easy to guess; choose another one."),
    InvalidName => ("invalid_name", BAD_REQUEST, InvalidRequest, "The name must be 1 to 100 characters long."),
    InvalidOrgName => ("invalid_org_name", BAD_REQUEST, InvalidRequest, "The organisation name must be 2 to 120 characters long."),
    InvalidRole => ("invalid_role", BAD_REQUEST, InvalidRequest, "Unknown role."),
    InvalidOrgKind => ("invalid_org_kind", BAD_REQUEST, InvalidRequest, "Unknown organisation kind."),
    InvalidRegion => ("invalid_region", BAD_REQUEST, InvalidRequest, "Unknown region code; see GET /api/v1/taxonomy."),
    InvalidRequestBody => ("invalid_request_body", BAD_REQUEST, InvalidRequest, "The request body does not fit this endpoint."),
    UnsupportedMediaType => ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, InvalidRequest, "Send the body as application/json."),
    NulCharacter => ("nul_character", BAD_REQUEST, InvalidRequest, "Text may not contain NUL (U+0000) characters."),
    PayloadTooLarge => ("payload_too_large", PAYLOAD_TOO_LARGE, InvalidRequest, "The request body is too large."),
    // Listings.
    InvalidTitle => ("invalid_title", BAD_REQUEST, InvalidRequest, "`title` must be 1 to 120 characters long."),
    InvalidSummary => ("invalid_summary", BAD_REQUEST, InvalidRequest, "`summary` must be 1 to 2,000 characters long."),
    InvalidDetails => ("invalid_details", BAD_REQUEST, InvalidRequest, "`details` must be at most 20,000 characters long."),
    InvalidDescription => ("invalid_description", BAD_REQUEST, InvalidRequest, "`description` must be 1 to 5,000 characters long."),
    InvalidIndicators => ("invalid_indicators", BAD_REQUEST, InvalidRequest, "`indicators` must be at most 5,000 characters long."),
    InvalidContact => ("invalid_contact", BAD_REQUEST, InvalidRequest, "`contact` must be at most 500 characters long."),
    InvalidKeywords => ("invalid_keywords", BAD_REQUEST, InvalidRequest, "`keywords`: at most 30, each 1 to 30 characters."),
    InvalidChain => ("invalid_chain", BAD_REQUEST, InvalidRequest, "Unknown industry chain code; see GET /api/v1/taxonomy."),
    InvalidField => ("invalid_field", BAD_REQUEST, InvalidRequest, "Unknown technology field code; see GET /api/v1/taxonomy."),
    InvalidTrl => ("invalid_trl", BAD_REQUEST, InvalidRequest, "TRL must be from 1 to 9."),
    InvalidStage => ("invalid_stage", BAD_REQUEST, InvalidRequest, "`stage` must be lab, bench, pilot or industrial."),
    InvalidIpItems => ("invalid_ip_items", BAD_REQUEST, InvalidRequest, "`ip_items` need a known kind, a number and a known status."),
    InvalidTransferModes => ("invalid_transfer_modes", BAD_REQUEST, InvalidRequest, "`transfer_modes` needs 1 to 5 known mode codes."),
    InvalidCooperationModes => ("invalid_cooperation_modes", BAD_REQUEST, InvalidRequest, "`cooperation_modes` needs 1 to 5 known mode codes."),
    InvalidPriceRange => ("invalid_price_range", BAD_REQUEST, InvalidRequest, "Price range: both ends or neither, integer fen, 0 ≤ min ≤ max."),
    InvalidBudgetRange => ("invalid_budget_range", BAD_REQUEST, InvalidRequest, "Budget range: both ends or neither, integer fen, 0 ≤ min ≤ max."),
    InvalidInventors => ("invalid_inventors", BAD_REQUEST, InvalidRequest, "`inventors`: at most 50 names of 1 to 50 characters."),
    InvalidValidUntil => ("invalid_valid_until", BAD_REQUEST, InvalidRequest, "`valid_until` must be a date in the future."),
    InvalidChallenge => ("invalid_challenge", BAD_REQUEST, InvalidRequest, "`challenge` needs bounty_fen > 0, a future apply_by not after valid_until, criteria, and max_winners ≥ 1."),
    InvalidStatus => ("invalid_status", BAD_REQUEST, InvalidRequest, "Unknown status; see GET /api/v1/taxonomy (listing_statuses)."),
    InvalidDecision => ("invalid_decision", BAD_REQUEST, InvalidRequest, "`decision` must be approve, return or reject."),
    InvalidComment => ("invalid_comment", BAD_REQUEST, InvalidRequest, "`comment` must be at most 2,000 characters without control characters."),
    CommentRequired => ("comment_required", BAD_REQUEST, InvalidRequest, "Returning or rejecting needs a `comment` for the owner."),
    InvalidYear => ("invalid_year", BAD_REQUEST, InvalidRequest, "The pool year must be from 2000 to 2100."),
    InvalidTransition => ("invalid_transition", CONFLICT, InvalidRequest, "This step is not possible from the item's current status."),
    NotEditable => ("not_editable", CONFLICT, InvalidRequest, "Only drafts and returned items can be edited."),
    OwnerOrgNotVerified => ("owner_org_not_verified", UNPROCESSABLE_ENTITY, InvalidRequest, "The owning organisation is not verified yet; an admin must verify it first (POST /api/v1/orgs/{id}/verify)."),
    NotPublished => ("not_published", UNPROCESSABLE_ENTITY, InvalidRequest, "Only published listings can be used here."),
    // Deals.
    DealExists => ("deal_exists", CONFLICT, InvalidRequest, "An open deal for this demand and achievement exists already."),
    VersionConflict => ("version_conflict", CONFLICT, InvalidRequest, "The deal changed since you read it; reload it and apply your change again."),
    InvalidStageChange => ("invalid_stage_change", CONFLICT, InvalidRequest, "Deals only move forward: recommended → contacted → negotiating → signed, or to lost from any open stage."),
    InvalidLostReason => ("invalid_lost_reason", BAD_REQUEST, InvalidRequest, "A lost deal needs a `lost_reason`: too_early, price, ip_unclear, no_response, benefit_unclear or other."),
    NoteRequired => ("note_required", BAD_REQUEST, InvalidRequest, "A lost deal needs a `note` saying what happened."),
    // Contracts.
    InvalidContractKind => ("invalid_contract_kind", BAD_REQUEST, InvalidRequest, "Unknown contract `kind` or `sub_kind` for it; see GET /api/v1/taxonomy."),
    InvalidAmounts => ("invalid_amounts", UNPROCESSABLE_ENTITY, InvalidRequest, "Amounts are integer fen with 0 ≤ tech_amount_fen ≤ amount_fen ≤ 10,000,000,000,000 (1,000亿元)."),
    SameParties => ("same_parties", UNPROCESSABLE_ENTITY, InvalidRequest, "Seller and buyer must be different organisations."),
    InvalidSignedOn => ("invalid_signed_on", UNPROCESSABLE_ENTITY, InvalidRequest, "`signed_on` cannot be in the future."),
    IdempotencyKeyReused => ("idempotency_key_reused", UNPROCESSABLE_ENTITY, InvalidRequest, "This Idempotency-Key was used with a different request body."),
    InvalidAmendment => ("invalid_amendment", UNPROCESSABLE_ENTITY, InvalidRequest, "After the amendment the totals must stay ≥ 0 with tech ≤ total ≤ 10,000,000,000,000 fen."),
    NotConfirmed => ("not_confirmed", UNPROCESSABLE_ENTITY, InvalidRequest, "Both parties must confirm the contract first (POST /api/v1/contracts/{id}/confirm by the other party)."),
    ConsentSettled => ("consent_settled", CONFLICT, InvalidRequest, "This contract or amendment is confirmed or declined already, or your side has confirmed it."),
    ReasonRequired => ("reason_required", BAD_REQUEST, InvalidRequest, "Declining needs a `reason` of 1 to 1,000 characters for the other party."),
    OutsideJurisdiction => ("outside_jurisdiction", UNPROCESSABLE_ENTITY, InvalidRequest, "The seller is outside this registry's jurisdiction; the contract counts as absorbed (吸纳) by the buyer's region and is registered where the seller is."),
    InvalidVerifiedAmount => ("invalid_verified_amount", UNPROCESSABLE_ENTITY, InvalidRequest, "`verified_tech_amount_fen` is required to register and must be 0 to the contract's tech_amount_fen."),
    NotLinkable => ("not_linkable", UNPROCESSABLE_ENTITY, InvalidRequest, "A linked achievement and demand must be the parties' own and published, and a linked deal open."),
    NotAMatch => ("not_a_match", UNPROCESSABLE_ENTITY, InvalidRequest, "This achievement is not among the demand's matches."),
    // Open challenges (揭榜挂帅).
    NotAChallenge => ("not_a_challenge", UNPROCESSABLE_ENTITY, InvalidRequest, "This demand is not an open challenge."),
    ApplicationsClosed => ("applications_closed", UNPROCESSABLE_ENTITY, InvalidRequest, "Applications are taken only while the challenge is published, up to and including its `apply_by` date."),
    ApplicationExists => ("application_exists", CONFLICT, InvalidRequest, "Your organisation has applied to this challenge already."),
    InvalidProposal => ("invalid_proposal", BAD_REQUEST, InvalidRequest, "`proposal` must be 1 to 20,000 characters long."),
    InvalidTeam => ("invalid_team", BAD_REQUEST, InvalidRequest, "`team`: at most 50 members, each with a name of 1 to 50 characters and a title and role of at most 50."),
    InvalidBudget => ("invalid_budget", BAD_REQUEST, InvalidRequest, "`budget_fen` must be a non-negative integer number of fen."),
    WinnerLimitReached => ("winner_limit_reached", UNPROCESSABLE_ENTITY, InvalidRequest, "The challenge has as many selected winners as its `max_winners` allows."),
    InvalidMilestone => ("invalid_milestone", BAD_REQUEST, InvalidRequest, "A milestone needs a `title` of 1 to 120 characters, a `due_on` date not in the past and a `share_bp` from 1 to 10,000."),
    NotAWinner => ("not_a_winner", UNPROCESSABLE_ENTITY, InvalidRequest, "Milestones belong to a selected application of this challenge."),
    ApplicationRequired => ("application_required", UNPROCESSABLE_ENTITY, InvalidRequest, "The challenge has several winners: say which one with `application_id`."),
    ShareLimitExceeded => ("share_limit_exceeded", UNPROCESSABLE_ENTITY, InvalidRequest, "One winner's milestone shares cannot add up to more than 10,000 basis points of the bounty."),
    InvalidReport => ("invalid_report", BAD_REQUEST, InvalidRequest, "`report` must be 1 to 20,000 characters long."),
    // Routing.
    RouteNotFound => ("route_not_found", NOT_FOUND, InvalidRequest, "No such endpoint; see /openapi.yaml."),
    MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED, InvalidRequest, "This endpoint does not accept that HTTP method."),
    // Authentication and authorization.
    MissingAuthorization => ("missing_authorization", UNAUTHORIZED, Auth, "Sign in: send `Authorization: Bearer <access token>`."),
    InvalidToken => ("invalid_token", UNAUTHORIZED, Auth, "The access token is not valid."),
    TokenExpired => ("token_expired", UNAUTHORIZED, Auth, "The access token has expired; refresh it."),
    InvalidCredentials => ("invalid_credentials", UNAUTHORIZED, Auth, "Wrong email or password."),
    InvalidRefreshToken => ("invalid_refresh_token", UNAUTHORIZED, Auth, "The refresh token is not valid, expired or revoked; sign in again."),
    RefreshTokenReused => ("refresh_token_reused", UNAUTHORIZED, Auth, "This refresh token was already used; the session is revoked, sign in again."),
    AccountDisabled => ("account_disabled", FORBIDDEN, Auth, "This account is disabled."),
    Forbidden => ("forbidden", FORBIDDEN, Auth, "You are not allowed to do this."),
    OrgNotVerified => ("org_not_verified", FORBIDDEN, Auth, "Your organisation is not verified yet, so this account can only edit its own drafts. Ask the exchange to verify it (an admin: POST /api/v1/orgs/{id}/verify)."),
    TooManyLoginAttempts => ("too_many_login_attempts", TOO_MANY_REQUESTS, Auth, "Too many failed sign-ins; wait before trying again."),
    RateLimited => ("rate_limited", TOO_MANY_REQUESTS, InvalidRequest, "Too many requests from this client; wait `Retry-After` seconds before trying again."),
    CorsOriginNotAllowed => ("cors_origin_not_allowed", FORBIDDEN, InvalidRequest, "This origin may not call the API from a browser."),
    // Domain rules.
    NotFound => ("not_found", NOT_FOUND, InvalidRequest, "Not found."),
    AlreadyExists => ("already_exists", CONFLICT, InvalidRequest, "A record with these unique values already exists."),
    EmailTaken => ("email_taken", CONFLICT, InvalidRequest, "An account with this email already exists."),
    OrgNameTaken => ("org_name_taken", CONFLICT, InvalidRequest, "An organisation of this name is registered; ask one of its members for an invitation."),
    RoleNotSelfRegistrable => ("role_not_self_registrable", UNPROCESSABLE_ENTITY, InvalidRequest, "Only university, enterprise and broker accounts can register themselves."),
    RoleOrgKindMismatch => ("role_org_kind_mismatch", UNPROCESSABLE_ENTITY, InvalidRequest, "This role does not fit this kind of organisation."),
    InvalidInvitation => ("invalid_invitation", UNPROCESSABLE_ENTITY, InvalidRequest, "The invitation is unknown, expired or already used."),
    InvitationEmailMismatch => ("invitation_email_mismatch", UNPROCESSABLE_ENTITY, InvalidRequest, "The invitation was made for another email address."),
    OrgOrInvitationRequired => ("org_or_invitation_required", BAD_REQUEST, InvalidRequest, "Give either `org` (a new organisation) or `invitation_token`, not both."),
    ReferenceNotFound => ("reference_not_found", UNPROCESSABLE_ENTITY, InvalidRequest, "A referenced record does not exist."),
    // People: a user's own account, the admins' user management.
    WrongCurrentPassword => ("wrong_current_password", FORBIDDEN, Auth, "The current password is wrong."),
    OwnAccountChange => ("own_account_change", UNPROCESSABLE_ENTITY, InvalidRequest, "Admins cannot disable their own account or change their own role; another admin can."),
    // Infrastructure.
    InvalidSort => ("invalid_sort", BAD_REQUEST, InvalidRequest, "Unknown `sort`."),
    SearchUnavailable => ("search_unavailable", SERVICE_UNAVAILABLE, System, "Search is unavailable right now; retry shortly. Changes are kept and indexed when it is back."),
    DatabaseUnavailable => ("database_unavailable", SERVICE_UNAVAILABLE, System, "The database is unavailable; retry shortly."),
    NotReady => ("not_ready", SERVICE_UNAVAILABLE, System, "The service is not ready."),
    RequestTimeout => ("request_timeout", SERVICE_UNAVAILABLE, System, "The request took too long and was stopped; retry shortly. A write may still have been applied: read before repeating it, or send an Idempotency-Key."),
    Internal => ("internal", INTERNAL_SERVER_ERROR, Internal, "Internal error; it has been logged."),
}

/// An error answered to the client, with an optional cause kept for the logs only.
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub message: &'a str,
    pub code: &'static str,
    #[serde(rename = "type")]
    pub error_type: ErrorType,
    pub link: String,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: Cow::Borrowed(code.default_message()),
            retry_after_secs: None,
            cause: None,
        }
    }

    /// Same code, a message saying exactly what was wrong (never internal details).
    pub fn with_message(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            message: message.into(),
            ..ApiError::new(code)
        }
    }

    /// A 500 whose cause is logged when it is answered.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError {
            cause: Some(cause.into()),
            ..ApiError::new(ErrorCode::Internal)
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::with_message(ErrorCode::NotFound, format!("{what} not found."))
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

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn link(code: ErrorCode) -> String {
        format!("/api/v1/errors#{}", code.as_str())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

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
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        response.json(ErrorBody {
            message: &self.message,
            code: self.code.as_str(),
            error_type: self.code.error_type(),
            link: ApiError::link(self.code),
        })
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
    pub message: &'static str,
}

pub fn code_table() -> Vec<CodeInfo> {
    ErrorCode::ALL
        .iter()
        .map(|c| CodeInfo {
            code: c.as_str(),
            status: c.status().as_u16(),
            error_type: c.error_type(),
            message: c.default_message(),
        })
        .collect()
}

/// Turns actix's own extractor failures into the same JSON shape as every other error.
pub mod extractors {
    use super::{ApiError, ErrorCode};
    use actix_web::HttpRequest;
    use actix_web::error::{Error, JsonPayloadError, PathError, QueryPayloadError};

    pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> Error {
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => ApiError::with_message(
                ErrorCode::PayloadTooLarge,
                format!("The request body is larger than the limit of {limit} bytes."),
            ),
            JsonPayloadError::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType),
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::with_message(
                ErrorCode::InvalidRequestBody,
                format!("Invalid request body: {e}."),
            ),
            JsonPayloadError::Deserialize(e) => {
                ApiError::with_message(ErrorCode::InvalidJson, format!("Malformed JSON: {e}."))
            }
            _ => ApiError::new(ErrorCode::InvalidJson),
        };
        api.into()
    }

    pub fn query(err: QueryPayloadError, _req: &HttpRequest) -> Error {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::new(ErrorCode::InvalidQuery).into();
        };
        ApiError::with_message(
            ErrorCode::InvalidQuery,
            format!("Invalid query string: {e}."),
        )
        .into()
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> Error {
        let PathError::Deserialize(e) = &err else {
            return ApiError::new(ErrorCode::InvalidPath).into();
        };
        ApiError::with_message(
            ErrorCode::InvalidPath,
            format!("Invalid path parameter: {e}."),
        )
        .into()
    }

    pub fn payload(err: actix_web::error::PayloadError, _req: &HttpRequest) -> Error {
        match err {
            actix_web::error::PayloadError::Overflow => {
                ApiError::new(ErrorCode::PayloadTooLarge).into()
            }
            _ => ApiError::new(ErrorCode::InvalidRequestBody).into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
