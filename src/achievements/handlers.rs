//! Achievement lists of one org; create, edit and the lifecycle steps are generic, in
//! `listings::handlers`.

use actix_web::{HttpResponse, web};

use crate::achievements::model::{self, AchievementListQuery, Scope};
use crate::auth::extract::MaybeUser;
use crate::auth::policy;
use crate::error::{ApiError, ErrorCode};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::taxonomy;

/// Rejects unknown codes in list filters with the same codes as the write path.
pub fn check_filters(
    chain: Option<&str>,
    field: Option<&str>,
    region: Option<&str>,
    status: Option<&str>,
) -> Result<(), ApiError> {
    let check = |value: Option<&str>, vocab: taxonomy::Vocabulary, code: ErrorCode| match value {
        Some(v) if !vocab.contains(v) => Err(ApiError::new(code)),
        _ => Ok(()),
    };
    check(chain, taxonomy::CHAINS, ErrorCode::InvalidChain)?;
    check(field, taxonomy::FIELDS, ErrorCode::InvalidField)?;
    check(region, taxonomy::REGIONS, ErrorCode::InvalidRegion)?;
    check(status, taxonomy::LISTING_STATUSES, ErrorCode::InvalidStatus)
}

fn check_query(q: &AchievementListQuery) -> Result<Pagination, ApiError> {
    check_filters(
        q.chain.as_deref(),
        q.field.as_deref(),
        q.region.as_deref(),
        q.status.as_deref(),
    )?;
    if let Some(s) = &q.stage {
        crate::listings::fields::stage(s)?;
    }
    if let Some(t) = q.trl_min {
        crate::listings::fields::trl(t, "trl_min")?;
    }
    Pagination::new(q.page, q.per_page)
}

async fn list_scoped(
    state: AppData,
    scope: Scope,
    q: AchievementListQuery,
) -> Result<HttpResponse, ApiError> {
    let page = check_query(&q)?;
    let (items, total) = state
        .db
        .read(move |conn| {
            if let Scope::Org { org_id, .. } = scope {
                crate::accounts::model::find_org(conn, org_id)?
                    .ok_or_else(|| ApiError::not_found("Org"))?;
            }
            Ok(model::list(conn, scope, &q, page.offset(), page.limit())?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// `GET /api/v1/orgs/{id}/achievements`: members and admins see every status (filter with
/// `status`); everyone else the org's published ones.
pub async fn list_for_org(
    state: AppData,
    user: MaybeUser,
    path: web::Path<i64>,
    query: web::Query<AchievementListQuery>,
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
