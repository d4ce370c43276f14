//! `/api/v1/offerings` and `POST /api/v1/achievements/{id}/offerings`: extract, authorize
//! (inside the operation, before the body is read), call one operation, audit, answer.

use actix_web::{HttpResponse, web};

use super::lifecycle::{self, NewBid, NewOffering, Rules};
use super::model;
use super::views::{self, OfferingQuery, OfferingView, Viewer};
use crate::audit::{self, Act};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::body::Body;
use crate::db::AnyConnection;
use crate::error::{ApiError, NoQuery};
use crate::pagination::Pagination;
use crate::state::AppData;

fn audit_step(
    conn: &mut AnyConnection,
    actor: i64,
    action: &str,
    before: Option<&OfferingView>,
    after: &OfferingView,
) -> Result<(), ApiError> {
    audit::step(
        conn,
        Act::new(actor, action, "offering", after.id),
        before,
        after,
    )?;
    Ok(())
}

/// `POST /api/v1/achievements/{id}/offerings`: the owner org's verified university users
/// offer a published achievement at a listed price (挂牌) or by auction (拍卖).
pub async fn create(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewOffering>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let rules = Rules::from_settings(&state.settings);
    let view = state
        .db
        .write(move |conn| {
            let row = lifecycle::offer(conn, &user, &rules, id, || body.parse())?;
            let view = views::view(conn, row, Viewer::of(Some(&user), user.org_id))?;
            audit_step(conn, user.id, "offering.create", None, &view)?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `GET /api/v1/offerings`: public; filters by mode, status, chain, achievement, and
/// `closing_within_hours` (open ones closing soon, soonest first).
pub async fn list(
    state: AppData,
    user: MaybeUser,
    query: web::Query<OfferingQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filters = views::filters(&q)?;
    let page = Pagination::new(q.page, q.per_page)?;
    let (items, total) = state
        .db
        .read(move |conn| Ok(views::list(conn, user.0.as_ref(), &filters, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/offerings/{id}`: public, with the bid history (bidders for the seller and
/// admins only).
pub async fn get(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Offering"))?;
            let viewer = Viewer::of(user.0.as_ref(), row.org_id);
            Ok(views::view(conn, row, viewer)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/v1/offerings/{id}/bids {amount_fen}`: verified enterprises other than the
/// seller register intent at the listed price or bid; answers the offering with the bid.
pub async fn bid(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    _no_query: NoQuery,
    body: Body<NewBid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let rules = Rules::from_settings(&state.settings);
    let view = state
        .db
        .write(move |conn| {
            let (row, bid) = lifecycle::bid(conn, &user, &rules, id, || body.parse())?;
            let viewer = Viewer::of(Some(&user), row.org_id);
            let view = views::view(conn, row, viewer)?;
            let act = Act::new(user.id, "offering.bid", "offering", id);
            audit::created(conn, act, &serde_json::json!({"bid_id": bid.id, "kind": bid.kind, "amount_fen": bid.amount_fen, "org_id": bid.org_id}))?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
