//! An achievement's engagements: its deals and the challenge applications that name it,
//! read from the deals and challenges slices. Create, edit, lists and the lifecycle steps
//! are generic, in `listings::handlers`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::achievements::AchievementStore;
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::challenges::involvement::{self, ApplicationEngagement};
use crate::deals::{self, engagements::DealEngagement};
use crate::error::ApiError;
use crate::listings::lifecycle;
use crate::pagination::{Paged, Pagination};
use crate::state::AppData;

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
