//! `/api/v1/achievements` create, edit and list; the lifecycle steps are in
//! `listings::handlers`.

use actix_web::{HttpResponse, web};

use crate::accounts::model::{find_org, now};
use crate::achievements::AchievementStore;
use crate::achievements::model::{
    self, AchievementInput, AchievementListQuery, AchievementPatch, Scope,
};
use crate::auth::extract::{CurrentUser, MaybeUser};
use crate::auth::policy::{self, Action};
use crate::error::{ApiError, ErrorCode};
use crate::listings::handlers::{Store, audited_write, editable_facts};
use crate::listings::{ListingKind, Status, StatusChange, record_status_change};
use crate::pagination::Pagination;
use crate::state::AppData;
use crate::taxonomy;

/// `POST /api/v1/achievements` (university and institute users): a new draft.
pub async fn create(
    state: AppData,
    user: CurrentUser,
    body: web::Json<AchievementInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::CreateListing(ListingKind::Achievement))?;
    let input = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let org = find_org(conn, user.org_id)?.ok_or_else(|| ApiError::not_found("Org"))?;
            let data = input.validate(&org.region)?;
            let at = now();
            let id = model::insert(conn, &data, org.id, user.id, at)?;
            record_status_change(
                conn,
                &StatusChange {
                    kind: ListingKind::Achievement,
                    id,
                    from: None,
                    to: Status::Draft,
                    actor: user.id,
                    comment: None,
                    at,
                },
            )?;
            audited_write::<AchievementStore>(conn, &user, id, "create", None)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `PATCH /api/v1/achievements/{id}` (owner): drafts and returned items only.
pub async fn update(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i64>,
    body: web::Json<AchievementPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            editable_facts::<AchievementStore>(conn, &user, id)?;
            let (row, _) =
                model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Achievement"))?;
            let before = AchievementStore::render(conn, id, Some(&user))?;
            let data = patch.merged_into(&row).validate(&row.region)?;
            model::update(conn, id, &data, now())?;
            audited_write::<AchievementStore>(conn, &user, id, "update", Some(before))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

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
