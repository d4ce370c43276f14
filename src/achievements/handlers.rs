//! Achievement lists of one org and an achievement's engagements (its deals and the
//! applications that name it, read from the deals and challenges slices); create, edit
//! and the lifecycle steps are generic, in `listings::handlers`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::achievements::AchievementStore;
use crate::achievements::model::{self, AchievementListQuery, Scope};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::auth::policy::{self, Action};
use crate::challenges::involvement::{self, ApplicationEngagement};
use crate::deals::{self, engagements::DealEngagement};
use crate::error::{ApiError, ErrorCode};
use crate::listings::lifecycle;
use crate::pagination::{Paged, Pagination};
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Who is working on an achievement: the deals on it and the challenge applications that
/// name it, each list paged with the same `page` and `per_page`.
#[derive(Debug, Serialize)]
pub struct Engagements {
    pub achievement_id: i64,
    pub deals: Paged<DealEngagement>,
    pub applications: Paged<ApplicationEngagement>,
}

/// `GET /api/v1/achievements/{id}/engagements` (members of the owning org, admins): 404
/// for those who may not see the achievement, 403 for others who may.
pub async fn engagements(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<EngagementQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let page = Pagination::new(query.page, query.per_page)?;
    let answer = state
        .db
        .read(move |conn| {
            let facts = lifecycle::visible_facts::<AchievementStore>(conn, id, Some(&user))?;
            policy::authorize(
                &user,
                Action::SeeEngagements {
                    org_id: facts.org_id,
                },
            )?;
            let (deals, deal_total) = deals::engagements::for_achievement(conn, id, page)?;
            let (applications, application_total) =
                involvement::naming_achievement(conn, id, page)?;
            Ok(Engagements {
                achievement_id: id,
                deals: page.wrap(deals, deal_total),
                applications: page.wrap(applications, application_total),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
