//! `/api/v1/contracts`: record, read, amend, register.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::model::{self as accounts, now};
use crate::achievements::AchievementStore;
use crate::audit::{self, Change, snapshot};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::auth::tokens::token_hash;
use crate::contracts::{self as model, ContractQuery, ContractView, rollups};
use crate::db::AnyConnection;
use crate::db::schema::{
    achievements, contract_amendments, contracts, deals, demands, idempotency_keys,
};
use crate::deals::Stage;
use crate::error::{ApiError, ErrorCode};
use crate::listings::fields::{self, MAX_FEN, today};
use crate::listings::handlers::Store;
use crate::listings::{ListingKind, Status, StatusChange, record_status_change};
use crate::pagination::Pagination;
use crate::search::{IndexKind, outbox};
use crate::state::AppData;
use crate::taxonomy;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    pub registration_no: String,
    pub kind: String,
    pub sub_kind: Option<String>,
    pub seller_org_id: i64,
    pub buyer_org_id: i64,
    pub seller_region: Option<String>,
    pub buyer_region: Option<String>,
    pub deal_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub demand_id: Option<i64>,
    pub broker_id: Option<i64>,
    #[serde(deserialize_with = "crate::validate::date")]
    pub signed_on: NaiveDate,
    pub amount_fen: i64,
    pub tech_amount_fen: i64,
    pub chain: Option<String>,
    pub field: Option<String>,
}

fn check_shape(req: &CreateContract) -> Result<(), ApiError> {
    let digits = req.registration_no.chars().all(|c| c.is_ascii_digit());
    if !digits || !matches!(req.registration_no.len(), 14 | 16) {
        return Err(ApiError::new(ErrorCode::InvalidRegistrationNo));
    }
    let subs = taxonomy::contract_sub_kinds(&req.kind)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidContractKind))?;
    match &req.sub_kind {
        Some(s) if subs.contains(s) => {}
        None if subs.terms.is_empty() => {}
        _ => {
            return Err(ApiError::with_message(
                ErrorCode::InvalidContractKind,
                format!(
                    "`sub_kind` must be one of {:?} for a {} contract.",
                    subs.codes().collect::<Vec<_>>(),
                    req.kind
                ),
            ));
        }
    }
    if !(0..=MAX_FEN).contains(&req.amount_fen)
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
        fields::region(region)?;
    }
    if let Some(c) = &req.chain {
        fields::chain(c)?;
    }
    if let Some(f) = &req.field {
        fields::field(f)?;
    }
    Ok(())
}

enum Created {
    New(ContractView),
    Replayed(ContractView),
}

fn idempotent_answer(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    hash: &str,
) -> Result<Option<ContractView>, ApiError> {
    let stored: Option<(String, String)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idem_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_json,
        ))
        .first(conn)
        .optional()?;
    match stored {
        None => Ok(None),
        Some((h, _)) if h != hash => Err(ApiError::new(ErrorCode::IdempotencyKeyReused)),
        Some((_, json)) => Ok(Some(
            serde_json::from_str(&json).map_err(ApiError::internal)?,
        )),
    }
}

/// Marks a transferred achievement: off the market, out of the index, its pool entry
/// converted.
fn mark_transferred(
    conn: &mut AnyConnection,
    achievement_id: i64,
    actor: i64,
) -> Result<(), ApiError> {
    let status: String = achievements::table
        .find(achievement_id)
        .select(achievements::status)
        .first(conn)?;
    if status != Status::Published.as_str() {
        return Ok(());
    }
    let at = now();
    AchievementStore::set_status(conn, achievement_id, Status::Transferred, None, at)?;
    record_status_change(
        conn,
        &StatusChange {
            kind: ListingKind::Achievement,
            id: achievement_id,
            from: Some(Status::Published),
            to: Status::Transferred,
            actor,
            comment: Some("技术转让合同已登记"),
            at,
        },
    )?;
    outbox::enqueue(conn, IndexKind::Achievements, &[achievement_id])?;
    Ok(())
}

fn create_tx(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    mut req: CreateContract,
    idem: Option<(&str, &str)>,
) -> Result<Created, ApiError> {
    if let Some((key, hash)) = idem
        && let Some(view) = idempotent_answer(conn, user.id, key, hash)?
    {
        return Ok(Created::Replayed(view));
    }
    // A deal brings its pair and broker, unless given.
    let deal = match req.deal_id {
        Some(id) => Some(crate::deals::find(conn, id)?.ok_or_else(|| {
            ApiError::with_message(ErrorCode::ReferenceNotFound, "No such deal.")
        })?),
        None => None,
    };
    if let Some(d) = &deal {
        req.achievement_id = req.achievement_id.or(Some(d.achievement_id));
        req.demand_id = req.demand_id.or(Some(d.demand_id));
        req.broker_id = req.broker_id.or(Some(d.broker_id));
    }
    let seller = accounts::find_org(conn, req.seller_org_id)?.ok_or_else(|| {
        ApiError::with_message(ErrorCode::ReferenceNotFound, "No such seller org.")
    })?;
    let buyer = accounts::find_org(conn, req.buyer_org_id)?.ok_or_else(|| {
        ApiError::with_message(ErrorCode::ReferenceNotFound, "No such buyer org.")
    })?;
    policy::authorize(
        user,
        Action::RecordContract {
            seller_org: seller.id,
            buyer_org: buyer.id,
            deal_broker: deal.as_ref().map(|d| d.broker_id),
        },
    )?;
    // Only the parties' own records may be linked: the deal's pair, the seller's
    // achievement, the buyer's demand. Otherwise a contract between other orgs could sign
    // someone else's deal or take someone else's achievement off the market.
    if let Some(d) = &deal
        && (req.achievement_id != Some(d.achievement_id) || req.demand_id != Some(d.demand_id))
    {
        return Err(ApiError::with_message(
            ErrorCode::ReferenceNotFound,
            "`achievement_id` and `demand_id` must be the deal's own.",
        ));
    }
    // Chain and field from the listings unless given.
    let from_achievement: Option<(String, String)> = match req.achievement_id {
        Some(id) => Some(
            achievements::table
                .find(id)
                .filter(achievements::org_id.eq(seller.id))
                .select((achievements::chain, achievements::field))
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    ApiError::with_message(
                        ErrorCode::ReferenceNotFound,
                        "No such achievement of the seller org.",
                    )
                })?,
        ),
        None => None,
    };
    let from_demand: Option<(String, String)> = match req.demand_id {
        Some(id) => Some(
            demands::table
                .find(id)
                .filter(demands::org_id.eq(buyer.id))
                .select((demands::chain, demands::field))
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    ApiError::with_message(
                        ErrorCode::ReferenceNotFound,
                        "No such demand of the buyer org.",
                    )
                })?,
        ),
        None => None,
    };
    let derived = from_achievement.or(from_demand);
    let chain = req
        .chain
        .clone()
        .or(derived.as_ref().map(|d| d.0.clone()))
        .ok_or_else(|| {
            ApiError::with_message(
                ErrorCode::InvalidChain,
                "`chain` is required when no achievement or demand is linked.",
            )
        })?;
    let field = req.field.clone().or(derived.map(|d| d.1)).ok_or_else(|| {
        ApiError::with_message(
            ErrorCode::InvalidField,
            "`field` is required when no achievement or demand is linked.",
        )
    })?;
    if model::find_by_registration_no(conn, &req.registration_no)?.is_some() {
        return Err(ApiError::new(ErrorCode::RegistrationNoTaken));
    }
    let at = now();
    let id: i64 = diesel::insert_into(contracts::table)
        .values((
            contracts::registration_no.eq(&req.registration_no),
            contracts::kind.eq(&req.kind),
            contracts::sub_kind.eq(&req.sub_kind),
            contracts::seller_org_id.eq(seller.id),
            contracts::buyer_org_id.eq(buyer.id),
            contracts::seller_region.eq(req.seller_region.clone().unwrap_or(seller.region.clone())),
            contracts::buyer_region.eq(req.buyer_region.clone().unwrap_or(buyer.region.clone())),
            contracts::seller_kind.eq(&seller.kind),
            contracts::deal_id.eq(req.deal_id),
            contracts::achievement_id.eq(req.achievement_id),
            contracts::demand_id.eq(req.demand_id),
            contracts::broker_id.eq(req.broker_id),
            contracts::signed_on.eq(req.signed_on),
            contracts::amount_fen.eq(req.amount_fen),
            contracts::tech_amount_fen.eq(req.tech_amount_fen),
            contracts::total_amount_fen.eq(req.amount_fen),
            contracts::total_tech_amount_fen.eq(req.tech_amount_fen),
            contracts::chain.eq(&chain),
            contracts::field.eq(&field),
            contracts::registration_status.eq("submitted"),
            contracts::created_by.eq(user.id),
            contracts::created_at.eq(at),
            contracts::updated_at.eq(at),
        ))
        .returning(contracts::id)
        .get_result(conn)?;
    let stored = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    rollups::add(
        conn,
        &stored,
        "signed",
        stored.signed_on,
        "submitted",
        (1, stored.total_amount_fen, stored.total_tech_amount_fen),
    )?;
    // A contract closes its deal as signed.
    if let Some(d) = &deal
        && d.stage().is_open()
    {
        diesel::update(deals::table.find(d.id))
            .set((
                deals::stage.eq(Stage::Signed.as_str()),
                deals::version.eq(deals::version + 1),
                deals::updated_at.eq(at),
            ))
            .execute(conn)?;
        let note = format!("合同已录入：{}", req.registration_no);
        crate::deals::add_event(
            conn,
            d.id,
            user.id,
            "stage",
            (Some(d.stage.as_str()), Some("signed")),
            Some(&note),
            at,
        )?;
    }
    if req.kind == "transfer"
        && let Some(a) = req.achievement_id
    {
        mark_transferred(conn, a, user.id)?;
    }
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    let view = model::view(conn, row)?;
    audit::record(
        conn,
        Change {
            actor_id: Some(user.id),
            action: "contract.create",
            entity: "contract",
            entity_id: Some(id),
            before: None,
            after: snapshot(&view),
        },
    )?;
    if let Some((key, hash)) = idem {
        let json = serde_json::to_string(&view).map_err(ApiError::internal)?;
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(user.id),
                idempotency_keys::idem_key.eq(key),
                idempotency_keys::request_hash.eq(hash),
                idempotency_keys::response_json.eq(json),
                idempotency_keys::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(Created::New(view))
}

/// `POST /api/v1/contracts` (a party org's users, the deal's broker, admins). With an
/// `Idempotency-Key` header, a retry of the same body answers the first result.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    req: HttpRequest,
    body: web::Json<CreateContract>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    check_shape(&body)?;
    let key = match req.headers().get("idempotency-key") {
        Some(v) => {
            let k = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200);
            Some(
                k.ok_or_else(|| {
                    ApiError::with_message(
                        ErrorCode::InvalidRequestBody,
                        "Idempotency-Key must be 1 to 200 visible characters.",
                    )
                })?
                .to_owned(),
            )
        }
        None => None,
    };
    let hash = token_hash(&serde_json::to_string(&body).map_err(ApiError::internal)?);
    let (k2, h2) = (key.clone(), hash.clone());
    let result = state
        .db
        .write(move |conn| create_tx(conn, &user, body, k2.as_deref().zip(Some(h2.as_str()))))
        .await;
    let created = match (result, &key) {
        // Two identical requests raced (PostgreSQL): the loser hit a unique index; answer
        // with what the winner stored.
        (Err(e), Some(k))
            if matches!(
                e.code(),
                ErrorCode::AlreadyExists | ErrorCode::RegistrationNoTaken
            ) =>
        {
            let (k, h) = (k.clone(), hash.clone());
            match state
                .db
                .read(move |conn| idempotent_answer(conn, user.id, &k, &h))
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

/// `GET /api/v1/contracts`.
pub async fn list(
    state: AppData,
    user: CurrentUser,
    query: web::Query<ContractQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = policy::contract_scope(&user);
    let q = query.into_inner();
    if let Some(k) = &q.kind
        && !taxonomy::CONTRACT_KINDS.contains(k)
    {
        return Err(ApiError::new(ErrorCode::InvalidContractKind));
    }
    if let Some(s) = &q.registration_status
        && !taxonomy::REGISTRATION_STATUSES.contains(s)
    {
        return Err(ApiError::with_message(
            ErrorCode::InvalidQuery,
            "Unknown `registration_status`.",
        ));
    }
    if let Some(r) = &q.region {
        fields::region(r)?;
    }
    if let Some(c) = &q.chain {
        fields::chain(c)?;
    }
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| Ok(model::list(conn, scope, &q, page.offset(), page.limit())?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

fn visible(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<model::ContractRow, ApiError> {
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    if !policy::sees_contract(user, row.seller_org_id, row.buyer_org_id, row.broker_id) {
        return Err(ApiError::not_found("Contract"));
    }
    Ok(row)
}

/// `GET /api/v1/contracts/{id}`: the parties, the broker, statisticians and admins.
pub async fn get(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = visible(conn, &user, id)?;
            Ok(model::view(conn, row)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentRequest {
    pub amount_delta_fen: i64,
    pub tech_amount_delta_fen: i64,
    pub reason: String,
}

/// `POST /api/v1/contracts/{id}/amendments`: a correction as a new row; the totals move.
pub async fn amend(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<AmendmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let req = body.into_inner();
    let reason = fields::text(
        &req.reason,
        "reason",
        1,
        1000,
        ErrorCode::InvalidRequestBody,
    )?;
    let view = state
        .db
        .write(move |conn| {
            let row = visible(conn, &user, id)?;
            policy::authorize(&user, Action::AmendContract { seller_org: row.seller_org_id, buyer_org: row.buyer_org_id, broker: row.broker_id })?;
            let total = row.total_amount_fen.checked_add(req.amount_delta_fen);
            let tech = row.total_tech_amount_fen.checked_add(req.tech_amount_delta_fen);
            let (Some(total), Some(tech)) = (total, tech) else {
                return Err(ApiError::new(ErrorCode::InvalidAmendment));
            };
            if !(0..=MAX_FEN).contains(&total) || tech < 0 || tech > total {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidAmendment,
                    format!("The totals would become {total} and {tech} fen; they must stay ≥ 0 with tech ≤ total."),
                ));
            }
            let before = model::view(conn, row.clone())?;
            let at = now();
            diesel::insert_into(contract_amendments::table)
                .values((
                    contract_amendments::contract_id.eq(id),
                    contract_amendments::amount_delta_fen.eq(req.amount_delta_fen),
                    contract_amendments::tech_amount_delta_fen.eq(req.tech_amount_delta_fen),
                    contract_amendments::reason.eq(&reason),
                    contract_amendments::created_by.eq(user.id),
                    contract_amendments::created_at.eq(at),
                ))
                .execute(conn)?;
            diesel::update(contracts::table.find(id))
                .set((contracts::total_amount_fen.eq(total), contracts::total_tech_amount_fen.eq(tech), contracts::updated_at.eq(at)))
                .execute(conn)?;
            let delta = (0, req.amount_delta_fen, req.tech_amount_delta_fen);
            rollups::add(conn, &row, "signed", row.signed_on, &row.registration_status, delta)?;
            if let (true, Some(on)) = (row.registration_status == "registered", row.registered_on) {
                rollups::add(conn, &row, "registered", on, "registered", delta)?;
            }
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
            let after = model::view(conn, row)?;
            audit::record(
                conn,
                Change { actor_id: Some(user.id), action: "contract.amend", entity: "contract", entity_id: Some(id), before: snapshot(&before), after: snapshot(&after) },
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// `registered` or `not_registered`.
    pub status: String,
    pub comment: Option<String>,
    /// Defaults to today.
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub registered_on: Option<NaiveDate>,
}

/// `POST /api/v1/contracts/{id}/registration` (admin): the 认定登记 decision on a
/// submitted contract.
pub async fn register(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<RegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::RegisterContract)?;
    let id = path.into_inner();
    let req = body.into_inner();
    if !matches!(req.status.as_str(), "registered" | "not_registered") {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequestBody,
            "`status` must be registered or not_registered.",
        ));
    }
    let comment = req
        .comment
        .as_deref()
        .map(|c| fields::text(c, "comment", 0, 2000, ErrorCode::InvalidComment))
        .transpose()?
        .filter(|c| !c.is_empty());
    let on = req.registered_on.unwrap_or_else(today);
    if on > today() {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequestBody,
            "`registered_on` cannot be in the future.",
        ));
    }
    let view = state
        .db
        .write(move |conn| {
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
            if row.registration_status != "submitted" {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidTransition,
                    format!("This contract is {} already.", row.registration_status),
                ));
            }
            if on < row.signed_on {
                return Err(ApiError::with_message(
                    ErrorCode::InvalidRequestBody,
                    "`registered_on` cannot be before `signed_on`.",
                ));
            }
            // The contract moves between statuses in the rollups too.
            let sums = (1, row.total_amount_fen, row.total_tech_amount_fen);
            let minus = (-1, -row.total_amount_fen, -row.total_tech_amount_fen);
            rollups::add(conn, &row, "signed", row.signed_on, "submitted", minus)?;
            rollups::add(conn, &row, "signed", row.signed_on, &req.status, sums)?;
            if req.status == "registered" {
                rollups::add(conn, &row, "registered", on, "registered", sums)?;
            }
            let before = model::view(conn, row)?;
            diesel::update(contracts::table.find(id))
                .set((
                    contracts::registration_status.eq(&req.status),
                    contracts::registered_on.eq(Some(on)),
                    contracts::registration_comment.eq(&comment),
                    contracts::updated_at.eq(now()),
                ))
                .execute(conn)?;
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
            let after = model::view(conn, row)?;
            audit::record(
                conn,
                Change {
                    actor_id: Some(user.id),
                    action: "contract.registration",
                    entity: "contract",
                    entity_id: Some(id),
                    before: snapshot(&before),
                    after: snapshot(&after),
                },
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
