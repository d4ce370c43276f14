//! Demand lists of one org; create, edit and the lifecycle steps are generic, in
//! `listings::handlers`.

use actix_web::{HttpResponse, web};

use crate::achievements::handlers::check_filters;
use crate::auth::extract::MaybeUser;
use crate::auth::policy;
use crate::clock::today;
use crate::demands::model::{self, DemandListQuery, Scope};
use crate::error::ApiError;
use crate::pagination::Pagination;
use crate::state::AppData;

fn check_query(q: &DemandListQuery) -> Result<Pagination, ApiError> {
    check_filters(
        q.chain.as_deref(),
        q.field.as_deref(),
        q.region.as_deref(),
        q.status.as_deref(),
    )?;
    Pagination::new(q.page, q.per_page)
}

async fn list_scoped(
    state: AppData,
    scope: Scope,
    q: DemandListQuery,
) -> Result<HttpResponse, ApiError> {
    let page = check_query(&q)?;
    let (items, total) = state
        .db
        .read(move |conn| {
            if let Scope::Org { org_id, .. } = scope {
                crate::accounts::model::find_org(conn, org_id)?
                    .ok_or_else(|| ApiError::not_found("Org"))?;
            }
            Ok(model::list(
                conn,
                scope,
                &q,
                today(),
                page.offset(),
                page.limit(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/orgs/{id}/demands`: members and admins see every status (filter with
/// `status`); everyone else the org's published ones.
pub async fn list_for_org(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<DemandListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    let all_statuses = policy::sees_every_status(user.0.as_ref(), org_id);
    list_scoped(
        state,
        Scope::Org {
            org_id,
            all_statuses,
        },
        query.into_inner(),
    )
    .await
}
