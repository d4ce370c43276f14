//! `/api/v1/contracts`: extract, check the shape, call one lifecycle operation, answer.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::auth::tokens::token_hash;
use crate::body::Body;
use crate::clock::today;
use crate::contracts::amendments::{self, NewAmendment};
use crate::contracts::consent;
use crate::contracts::idempotency::{self, Key};
use crate::contracts::lifecycle::{self, NewContract};
use crate::contracts::model::{
    Consent, ContractRow, MAX_CONTRACT_FEN, RegistrationStatus, Registry,
};
use crate::contracts::registration::{self, Decision};
use crate::contracts::views::{self, ConsentFilter, ContractQuery, ContractView, ListArgs};
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::taxonomy;
use crate::validate;

fn check_kind(req: &NewContract) -> Result<(), ApiError> {
    let subs = taxonomy::contract_sub_kinds(&req.kind).ok_or_else(|| {
        let kinds = taxonomy::CONTRACT_KINDS;
        ApiError::unknown_code(ErrorCode::InvalidContractKind, "kind", &req.kind, kinds)
    })?;
    match &req.sub_kind {
        Some(s) if subs.contains(s) => Ok(()),
        None if subs.terms.is_empty() => Ok(()),
        _ => {
            let codes: Vec<&str> = subs.codes().collect();
            let got = req.sub_kind.as_deref().unwrap_or("null");
            Err(ApiError::one_of(
                ErrorCode::InvalidContractKind,
                "sub_kind",
                got,
                &codes,
            ))
        }
    }
}

fn check_shape(req: &NewContract) -> Result<(), ApiError> {
    check_kind(req)?;
    if !(0..=MAX_CONTRACT_FEN).contains(&req.amount_fen)
        || !(0..=req.amount_fen).contains(&req.tech_amount_fen)
    {
        return Err(ApiError::new(ErrorCode::InvalidAmounts));
    }
    if req.seller_org_id == req.buyer_org_id {
        return Err(ApiError::new(ErrorCode::SameParties));
    }
    if req.signed_on > today() {
        return Err(ApiError::new(ErrorCode::InvalidSignedOn));
    }
    for region in [&req.seller_region, &req.buyer_region]
        .into_iter()
        .flatten()
    {
        validate::region(region)?;
    }
    if let Some(c) = &req.chain {
        validate::chain(c)?;
    }
    if let Some(f) = &req.field {
        validate::field(f)?;
    }
    Ok(())
}

fn idempotency_key(req: &HttpRequest, body: &NewContract) -> Result<Option<Key>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::with_detail(
                ErrorCode::InvalidRequestBody,
                "Idempotency-Key 应为 1 到 200 个可见字符。",
                "Idempotency-Key must be 1 to 200 visible characters.",
            )
            .field("Idempotency-Key")
        })?;
    let hash = token_hash(&serde_json::to_string(body).map_err(ApiError::internal)?);
    Ok(Some(Key {
        key: key.to_owned(),
        hash,
    }))
}

enum Created {
    New(ContractView),
    Replayed(ContractView),
}

fn record_tx(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    reg: &Registry,
    body: NewContract,
    key: Option<&Key>,
) -> Result<Created, ApiError> {
    if let Some(k) = key
        && let Some(view) = idempotency::answer(conn, user.id, k)?
    {
        return Ok(Created::Replayed(view));
    }
    let row = lifecycle::record(conn, user, body)?;
    let view = views::view(conn, reg, row)?;
    lifecycle::audit_step(conn, user.id, "contract.create", None, &view)?;
    if let Some(k) = key {
        idempotency::store(conn, user.id, k, &view)?;
    }
    Ok(Created::New(view))
}

/// `POST /api/v1/contracts`: a party org's users, the deal's broker, admins. It awaits the
/// other party. With an `Idempotency-Key` header, a retry of the same body answers the
/// first result.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    req: HttpRequest,
    _no_query: crate::error::NoQuery,
    body: Body<NewContract>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    check_shape(&body)?;
    let key = idempotency_key(&req, &body)?;
    let reg = Registry::from_settings(&state.settings);
    let k2 = key.clone();
    let result = state
        .db
        .write(move |conn| record_tx(conn, &user, &reg, body, k2.as_ref()))
        .await;
    let created = match (result, key) {
        // Two identical requests raced (PostgreSQL): the loser hit the key's unique index;
        // answer with what the winner stored.
        (Err(e), Some(k)) if e.code() == ErrorCode::AlreadyExists => {
            match state
                .db
                .read(move |conn| idempotency::answer(conn, user.id, &k))
                .await?
            {
                Some(view) => Created::Replayed(view),
                None => return Err(e),
            }
        }
        (r, _) => r?,
    };
    Ok(match created {
        Created::New(v) => HttpResponse::Created().json(v),
        Created::Replayed(v) => HttpResponse::Created()
            .insert_header(("Idempotent-Replayed", "true"))
            .json(v),
    })
}

fn consent_filter(
    q: &ContractQuery,
    user: &CurrentUser,
) -> Result<Option<ConsentFilter>, ApiError> {
    match q.consent.as_deref() {
        None => Ok(None),
        Some("awaiting_me") => Ok(Some(ConsentFilter::AwaitingOrg(user.org_id))),
        Some(c) => Consent::parse(c)
            .map(|c| Some(ConsentFilter::Is(c)))
            .ok_or_else(|| {
                let mut accepted = vec!["awaiting_me"];
                accepted.extend(Consent::CODES);
                ApiError::one_of(ErrorCode::InvalidQuery, "consent", c, &accepted)
            }),
    }
}

fn check_query(q: &ContractQuery) -> Result<(), ApiError> {
    if let Some(k) = &q.kind
        && !taxonomy::CONTRACT_KINDS.contains(k)
    {
        let kinds = taxonomy::CONTRACT_KINDS;
        return Err(ApiError::unknown_code(
            ErrorCode::InvalidContractKind,
            "kind",
            k,
            kinds,
        ));
    }
    if let Some(s) = &q.registration_status
        && RegistrationStatus::parse(s).is_none()
    {
        let accepted = RegistrationStatus::CODES;
        let field = "registration_status";
        return Err(ApiError::one_of(
            ErrorCode::InvalidQuery,
            field,
            s,
            accepted,
        ));
    }
    if let Some(r) = &q.region {
        validate::region(r)?;
    }
    if let Some(c) = &q.chain {
        validate::chain(c)?;
    }
    Ok(())
}

/// `GET /api/v1/contracts`; `consent=awaiting_me` lists what waits for the caller's org.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<ContractQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::contract_reach(&user);
    let q = query.into_inner();
    check_query(&q)?;
    let consent = consent_filter(&q, &user)?;
    let page = Pagination::new(q.page, q.per_page)?;
    let reg = Registry::from_settings(&state.settings);
    let (items, total) = state
        .db
        .read(move |conn| {
            let args = ListArgs {
                scope,
                consent,
                query: &q,
                page,
            };
            Ok(views::list(conn, &reg, args)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/contracts/{id}`: the parties, the broker, statisticians and admins.
pub async fn get(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reg = Registry::from_settings(&state.settings);
    let view = state
        .db
        .read(move |conn| {
            let row = lifecycle::visible(conn, &user, id)?;
            Ok(views::view(conn, &reg, row)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Runs one lifecycle step in a write transaction and audits it with the contract before
/// and after; `op` parses the body, if any, once the contract is known to be visible.
async fn step<F>(
    state: &AppData,
    user: CurrentUser,
    id: i64,
    action: &'static str,
    op: F,
) -> Result<ContractView, ApiError>
where
    F: FnOnce(&mut AnyConnection, &CurrentUser, &Registry) -> Result<ContractRow, ApiError>
        + Send
        + 'static,
{
    let reg = Registry::from_settings(&state.settings);
    state
        .db
        .write(move |conn| {
            // 404 for those who may not see it, before anything of the body is read.
            let before = lifecycle::visible_locked(conn, &user, id)?;
            let before = views::view(conn, &reg, before)?;
            let row = op(conn, &user, &reg)?;
            let after = views::view(conn, &reg, row)?;
            lifecycle::audit_step(conn, user.id, action, Some(&before), &after)?;
            Ok(after)
        })
        .await
}

/// `POST /api/v1/contracts/{id}/confirm`: the awaited party's verified users.
pub async fn confirm(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let guard = state
        .settings
        .publicity_blocks_confirmation
        .then_some(crate::publicity::guard as consent::Guard);
    let view = step(&state, user, id, "contract.confirm", move |conn, u, _| {
        consent::confirm_with(conn, u, id, guard)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    pub reason: String,
}

fn reason(raw: &str) -> Result<String, ApiError> {
    validate::text(raw, "reason", 1, 1000, ErrorCode::ReasonRequired)
}

/// `POST /api/v1/contracts/{id}/decline {reason}`: final.
pub async fn decline(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<DeclineRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = step(&state, user, id, "contract.decline", move |conn, u, _| {
        consent::decline(conn, u, id, || reason(&body.parse()?.reason))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/contracts/{id}/amendments`: a correction awaiting the other party.
pub async fn amend(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<NewAmendment>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = step(&state, user, id, "contract.amend", move |conn, u, _| {
        let input = || {
            let mut req = body.parse()?;
            let code = ErrorCode::InvalidRequestBody;
            req.reason = validate::text(&req.reason, "reason", 1, 1000, code)?;
            Ok(req)
        };
        amendments::amend(conn, u, id, input).map(|(row, _)| row)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `POST /api/v1/contracts/{id}/amendments/{amendment_id}/confirm`.
pub async fn confirm_amendment(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let (id, amendment) = path.into_inner();
    let view = step(
        &state,
        user,
        id,
        "contract.amendment.confirm",
        move |conn, u, _| amendments::confirm_amendment(conn, u, id, amendment),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/contracts/{id}/amendments/{amendment_id}/decline {reason}`.
pub async fn decline_amendment(
    state: AppData,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    _no_query: crate::error::NoQuery,
    body: Body<DeclineRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, amendment) = path.into_inner();
    let view = step(
        &state,
        user,
        id,
        "contract.amendment.decline",
        move |conn, u, _| {
            let why = || reason(&body.parse()?.reason);
            amendments::decline_amendment(conn, u, id, amendment, why)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/contracts/{id}/registration-request`: the seller's side or the broker,
/// once the contract text is attached (checked last, in the same transaction, so who may
/// not apply learns that first). The demo seed's imported history is registered without.
pub async fn request_registration(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = step(
        &state,
        user,
        id,
        "contract.registration_request",
        move |conn, u, reg| {
            let row = registration::request_registration(conn, u, reg, id)?;
            crate::files::require_contract_text(conn, id)?;
            Ok(row)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationDecision {
    /// `registered` or `not_registered`.
    pub status: String,
    pub comment: Option<String>,
    /// The technology amount the registry verified (核定); required to register.
    pub verified_tech_amount_fen: Option<i64>,
    /// Defaults to today.
    #[serde(default, deserialize_with = "validate::opt_date")]
    pub registered_on: Option<NaiveDate>,
}

fn decision(req: RegistrationDecision) -> Result<Decision, ApiError> {
    let register = match req.status.as_str() {
        "registered" => true,
        "not_registered" => false,
        _ => {
            let accepted = ["registered", "not_registered"];
            let code = ErrorCode::InvalidRequestBody;
            return Err(ApiError::one_of(code, "status", &req.status, &accepted));
        }
    };
    let comment = req
        .comment
        .as_deref()
        .map(|c| validate::text(c, "comment", 0, 2000, ErrorCode::InvalidComment))
        .transpose()?
        .filter(|c| !c.is_empty());
    let on = req.registered_on.unwrap_or_else(today);
    if on > today() {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidRequestBody,
            "registered_on（登记日期）不能晚于今天。",
            "`registered_on` cannot be in the future.",
        )
        .field("registered_on"));
    }
    Ok(Decision {
        register,
        comment,
        verified_tech_amount_fen: req.verified_tech_amount_fen,
        on,
    })
}

/// `POST /api/v1/contracts/{id}/registration` (admin): the registry's decision on a
/// submitted contract; registering verifies the technology amount and assigns the number.
pub async fn register(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: crate::error::NoQuery,
    body: Body<RegistrationDecision>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, policy::Action::RegisterContract)?;
    let id = path.into_inner();
    let view = step(
        &state,
        user,
        id,
        "contract.registration",
        move |conn, u, reg| {
            let d = decision(body.parse()?)?;
            registration::decide_registration(conn, u, reg, id, &d)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
