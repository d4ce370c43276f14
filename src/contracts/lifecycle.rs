//! Recording a contract, and what every lifecycle step shares: the contract row locked
//! (PostgreSQL) before it is read, statistics settled in the same transaction, the audit.
//! The steps themselves: [`super::consent`] (confirm, decline), [`super::amendments`],
//! [`super::registration`] (认定登记). Each takes a connection inside the caller's
//! transaction and typed input.

use std::borrow::Cow;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::model::{OrgRow, Role, find_org};
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::contracts::model::{self, Consent, ContractRow, RegistrationStatus, Side};
use crate::contracts::rollups;
use crate::contracts::views::ContractView;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, contracts, demands, users};
use crate::error::{ApiError, ErrorCode};
use crate::listings::Status;
use crate::notify::on as notify;

/// A contract to record, as validated at the edge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
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

fn not_linkable(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> ApiError {
    ApiError::with_detail(ErrorCode::NotLinkable, zh, en)
}

fn reference(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> ApiError {
    ApiError::with_detail(ErrorCode::ReferenceNotFound, zh, en)
}

/// The Chinese of a linked table's name.
fn table_zh(table: &str) -> &'static str {
    if table == "achievement" {
        "成果"
    } else {
        "需求"
    }
}

/// The links a contract takes from its deal, checked: the deal open, its pair the
/// parties' own.
fn link_deal(conn: &mut AnyConnection, req: &mut NewContract) -> Result<Option<i64>, ApiError> {
    let Some(id) = req.deal_id else {
        return Ok(None);
    };
    let deal = crate::deals::find(conn, id)?
        .ok_or_else(|| reference("没有这个对接。", "No such deal."))?;
    if !deal.stage()?.is_open() {
        return Err(not_linkable(
            "该对接已经结束（已签约或失败）。",
            "The deal is closed already (signed or lost).",
        ));
    }
    let same = |given: Option<i64>, own: i64| given.is_none_or(|g| g == own);
    if !same(req.achievement_id, deal.achievement_id) || !same(req.demand_id, deal.demand_id) {
        return Err(not_linkable(
            "achievement_id 和 demand_id 必须是该对接自己的成果和需求。",
            "`achievement_id` and `demand_id` must be the deal's own.",
        ));
    }
    if !same(req.broker_id, deal.broker_id) {
        return Err(not_linkable(
            "broker_id 必须是该对接的技术经纪人。",
            "`broker_id` must be the deal's broker.",
        ));
    }
    req.achievement_id = Some(deal.achievement_id);
    req.demand_id = Some(deal.demand_id);
    req.broker_id = Some(deal.broker_id);
    Ok(Some(deal.broker_id))
}

/// (chain, field) of a linked listing that must belong to `org` and be published.
fn linked_listing(
    table: &str,
    found: Option<(i64, String, String, String)>,
    org: i64,
) -> Result<(String, String), ApiError> {
    let (owner, status, chain, field) = found.ok_or_else(|| {
        reference(
            format!("没有这个{}。", table_zh(table)),
            format!("No such {table}."),
        )
    })?;
    if owner != org {
        return Err(not_linkable(
            format!(
                "关联的{}必须属于{}机构。",
                table_zh(table),
                if table == "achievement" {
                    "卖方"
                } else {
                    "买方"
                }
            ),
            format!(
                "The {table} must be the {} org's own.",
                if table == "achievement" {
                    "seller"
                } else {
                    "buyer"
                }
            ),
        ));
    }
    if status != Status::Published.as_str() {
        return Err(not_linkable(
            format!("关联的{}必须已发布。", table_zh(table)),
            format!("The {table} must be published."),
        ));
    }
    Ok((chain, field))
}

/// Chain and field from the linked listings unless given; each linked listing checked.
fn link_listings(
    conn: &mut AnyConnection,
    req: &NewContract,
    seller: i64,
    buyer: i64,
) -> Result<(String, String), ApiError> {
    let mut derived = None;
    if let Some(id) = req.achievement_id {
        let found = achievements::table
            .find(id)
            .select((
                achievements::org_id,
                achievements::status,
                achievements::chain,
                achievements::field,
            ))
            .first(conn)
            .optional()?;
        derived = Some(linked_listing("achievement", found, seller)?);
    }
    if let Some(id) = req.demand_id {
        let found = demands::table
            .find(id)
            .select((
                demands::org_id,
                demands::status,
                demands::chain,
                demands::field,
            ))
            .first(conn)
            .optional()?;
        let d = linked_listing("demand", found, buyer)?;
        derived = derived.or(Some(d));
    }
    let chain = req.chain.clone().or(derived.as_ref().map(|d| d.0.clone()));
    let field = req.field.clone().or(derived.map(|d| d.1));
    let chain = chain.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::InvalidChain,
            "未关联成果或需求时必须给出 chain（产业链）。",
            "`chain` is required when no achievement or demand is linked.",
        )
        .field("chain")
    })?;
    let field = field.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::InvalidField,
            "未关联成果或需求时必须给出 field（技术领域）。",
            "`field` is required when no achievement or demand is linked.",
        )
        .field("field")
    })?;
    Ok((chain, field))
}

/// Without a deal, a broker records its own brokerage; anyone else may name a broker user.
fn check_broker(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    req: &mut NewContract,
    from_deal: bool,
) -> Result<(), ApiError> {
    if from_deal {
        return Ok(());
    }
    if user.role == Role::Broker {
        if req.broker_id.is_some_and(|b| b != user.id) {
            return Err(not_linkable(
                "技术经纪人只能登记自己促成的合同。",
                "A broker records contracts it brokered itself.",
            ));
        }
        req.broker_id = Some(user.id);
        return Ok(());
    }
    if let Some(b) = req.broker_id {
        let role: Option<String> = users::table
            .find(b)
            .select(users::role)
            .first(conn)
            .optional()?;
        if role.as_deref() != Some(Role::Broker.as_str()) {
            return Err(reference(
                "broker_id 必须是一名技术经纪人的用户 id。",
                "`broker_id` must be a broker's user id.",
            ));
        }
    }
    Ok(())
}

fn party_orgs(conn: &mut AnyConnection, req: &NewContract) -> Result<(OrgRow, OrgRow), ApiError> {
    let seller = find_org(conn, req.seller_org_id)?
        .ok_or_else(|| reference("没有这个卖方机构。", "No such seller org."))?;
    let buyer = find_org(conn, req.buyer_org_id)?
        .ok_or_else(|| reference("没有这个买方机构。", "No such buyer org."))?;
    Ok((seller, buyer))
}

/// Records a contract awaiting the other party (both, for a broker's or an admin's record).
/// Nothing else changes until it is confirmed.
pub fn record(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    mut req: NewContract,
) -> Result<ContractRow, ApiError> {
    let deal_broker = link_deal(conn, &mut req)?;
    let (seller, buyer) = party_orgs(conn, &req)?;
    policy::authorize(
        user,
        Action::RecordContract {
            seller_org: seller.id,
            buyer_org: buyer.id,
            deal_broker,
        },
    )?;
    check_broker(conn, user, &mut req, deal_broker.is_some())?;
    let listing = link_listings(conn, &req, seller.id, buyer.id)?;
    let side = model::acting_side(user.role, user.org_id, seller.id, buyer.id);
    let by = Recorder {
        user_id: user.id,
        side,
        offering_id: None,
    };
    let id = insert(conn, &req, (&seller, &buyer), listing, by)?;
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))
}

/// A sale the exchange itself closed (a won offering, 挂牌 or 拍卖): nobody's side has
/// confirmed it, so it awaits both parties like any contract recorded by staff.
#[derive(Debug, Clone)]
pub struct Sale {
    pub kind: &'static str,
    pub sub_kind: Option<&'static str>,
    pub seller_org_id: i64,
    pub buyer_org_id: i64,
    pub achievement_id: i64,
    pub offering_id: i64,
    pub amount_fen: i64,
    /// The user who offered it: `created_by` of the record.
    pub offered_by: i64,
}

/// Records a [`Sale`] awaiting both parties, linked to its achievement and offering; the
/// achievement must still be the seller's and published.
pub fn record_sale(conn: &mut AnyConnection, sale: &Sale) -> Result<ContractRow, ApiError> {
    let req = NewContract {
        kind: sale.kind.to_owned(),
        sub_kind: sale.sub_kind.map(str::to_owned),
        seller_org_id: sale.seller_org_id,
        buyer_org_id: sale.buyer_org_id,
        seller_region: None,
        buyer_region: None,
        deal_id: None,
        achievement_id: Some(sale.achievement_id),
        demand_id: None,
        broker_id: None,
        signed_on: crate::clock::today(),
        amount_fen: sale.amount_fen,
        tech_amount_fen: sale.amount_fen,
        chain: None,
        field: None,
    };
    let (seller, buyer) = party_orgs(conn, &req)?;
    let listing = link_listings(conn, &req, seller.id, buyer.id)?;
    let by = Recorder {
        user_id: sale.offered_by,
        side: None,
        offering_id: Some(sale.offering_id),
    };
    let id = insert(conn, &req, (&seller, &buyer), listing, by)?;
    model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))
}

/// Who records a contract, the side it stands for (confirmed at once), and the offering
/// the contract closes, if any.
struct Recorder {
    user_id: i64,
    side: Option<Side>,
    offering_id: Option<i64>,
}

/// Inserts the contract row, awaiting the side(s) the recorder does not stand for.
fn insert(
    conn: &mut AnyConnection,
    req: &NewContract,
    (seller, buyer): (&OrgRow, &OrgRow),
    (chain, field): (String, String),
    by: Recorder,
) -> Result<i64, ApiError> {
    let at = now();
    let side = by.side;
    let confirmer = |s: Side| (side == Some(s)).then_some(by.user_id);
    let when = |s: Side| (side == Some(s)).then_some(at);
    let id: i64 = diesel::insert_into(contracts::table)
        .values((
            (
                contracts::kind.eq(&req.kind),
                contracts::sub_kind.eq(&req.sub_kind),
                contracts::seller_org_id.eq(seller.id),
                contracts::buyer_org_id.eq(buyer.id),
                contracts::seller_region
                    .eq(req.seller_region.clone().unwrap_or(seller.region.clone())),
                contracts::buyer_region
                    .eq(req.buyer_region.clone().unwrap_or(buyer.region.clone())),
                contracts::seller_kind.eq(&seller.kind),
                contracts::deal_id.eq(req.deal_id),
                contracts::achievement_id.eq(req.achievement_id),
                contracts::demand_id.eq(req.demand_id),
                contracts::broker_id.eq(req.broker_id),
                contracts::signed_on.eq(req.signed_on),
                contracts::offering_id.eq(by.offering_id),
            ),
            (
                contracts::amount_fen.eq(req.amount_fen),
                contracts::tech_amount_fen.eq(req.tech_amount_fen),
                contracts::total_amount_fen.eq(req.amount_fen),
                contracts::total_tech_amount_fen.eq(req.tech_amount_fen),
                contracts::chain.eq(&chain),
                contracts::field.eq(&field),
                contracts::registration_status.eq(RegistrationStatus::NotSubmitted.as_str()),
                contracts::created_by.eq(by.user_id),
                contracts::created_at.eq(at),
                contracts::updated_at.eq(at),
            ),
            (
                contracts::consent.eq(Consent::initial(side).as_str()),
                contracts::seller_confirmed_by.eq(confirmer(Side::Seller)),
                contracts::seller_confirmed_at.eq(when(Side::Seller)),
                contracts::buyer_confirmed_by.eq(confirmer(Side::Buyer)),
                contracts::buyer_confirmed_at.eq(when(Side::Buyer)),
                contracts::stat_status.eq(model::StatStatus::NotCounted.as_str()),
                contracts::stat_amount_fen.eq(0),
                contracts::stat_tech_amount_fen.eq(0),
            ),
        ))
        .returning(contracts::id)
        .get_result(conn)?;
    let parties = notify::ContractParties {
        id,
        seller: seller.id,
        buyer: buyer.id,
        broker: req.broker_id,
    };
    let state = notify::ContractState {
        consent: Consent::initial(side).as_str(),
        registration: RegistrationStatus::NotSubmitted.as_str(),
    };
    let actor = by.offering_id.is_none().then_some(by.user_id);
    notify::contract_step(conn, parties, None, state, actor)?;
    Ok(id)
}

/// The contract for a write, locked; 404 for those who may not see it.
pub fn visible_locked(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ContractRow, ApiError> {
    seen_by(user, model::find_locked(conn, id)?)
}

/// The contract for a read; 404 for those who may not see it.
pub fn visible(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ContractRow, ApiError> {
    seen_by(user, model::find(conn, id)?)
}

/// A contract exists for its parties, its broker, statisticians and admins only.
fn seen_by(user: &CurrentUser, row: Option<ContractRow>) -> Result<ContractRow, ApiError> {
    row.filter(|r| policy::sees_contract(user, r.seller_org_id, r.buyer_org_id, r.broker_id))
        .ok_or_else(|| ApiError::not_found("Contract"))
}

/// Re-reads the contract after a step, stores what statistics count now, and moves the
/// rollups from what it counted before the step (`before`, read under the row lock) to
/// that: exactly once, including a move to another registration month.
pub(super) fn settle_stats(
    conn: &mut AnyConnection,
    before: &ContractRow,
) -> Result<ContractRow, ApiError> {
    let id = before.id;
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    let now_counted = row.counted_now()?;
    if now_counted == before.counted_stored()? && row.registered_on == before.registered_on {
        return Ok(row);
    }
    let mut deltas = rollups::Deltas::default();
    deltas.count(before, -1)?;
    diesel::update(contracts::table.find(id))
        .set((
            contracts::stat_status.eq(now_counted.status.as_str()),
            contracts::stat_amount_fen.eq(now_counted.amount_fen),
            contracts::stat_tech_amount_fen.eq(now_counted.tech_amount_fen),
        ))
        .execute(conn)?;
    let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Contract"))?;
    deltas.count(&row, 1)?;
    deltas.apply(conn)?;
    Ok(row)
}

/// Records a step in the audit trail with the contract before and after.
pub fn audit_step(
    conn: &mut AnyConnection,
    actor: i64,
    action: &str,
    before: Option<&ContractView>,
    after: &ContractView,
) -> Result<(), ApiError> {
    let act = Act::new(actor, action, "contract", after.id);
    audit::step(conn, act, before, after)?;
    if let Some(before) = before {
        let parties = notify::ContractParties {
            id: after.id,
            seller: after.seller_org_id,
            buyer: after.buyer_org_id,
            broker: after.broker_id,
        };
        let state = |v: &ContractView| notify::ContractState {
            consent: v.consent.as_str(),
            registration: v.registration_status.as_str(),
        };
        notify::contract_step(
            conn,
            parties,
            Some(state(before)),
            state(after),
            Some(actor),
        )?;
    }
    Ok(())
}
