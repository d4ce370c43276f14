//! Plugs achievements into the shared lifecycle handlers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::achievements::model::{self, AchievementView};
use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::db::AnyConnection;
use crate::db::schema::{achievements, orgs};
use crate::error::ApiError;
use crate::listings::fields::list_filters;
use crate::listings::lifecycle::may_see;
use crate::listings::store::{Editable, Facts, Shown, Store, content_writes, store_writes, values};
use crate::listings::{ListScope, ListingKind, Status, history};
use crate::pagination::Pagination;
use crate::search::IndexKind;

pub struct AchievementStore;

impl Store for AchievementStore {
    const KIND: ListingKind = ListingKind::Achievement;
    const INDEX: IndexKind = IndexKind::Achievements;

    fn facts(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Facts>> {
        let row: Option<(i64, String, Option<NaiveDateTime>)> = achievements::table
            .inner_join(orgs::table)
            .filter(achievements::id.eq(id))
            .select((
                achievements::org_id,
                achievements::status,
                orgs::verified_at,
            ))
            .get_result(conn)
            .optional()?;
        row.map(|(org_id, status, verified)| {
            Ok(Facts {
                org_id,
                status: Status::read(&status)?,
                org_verified: verified.is_some(),
            })
        })
        .transpose()
    }

    store_writes!(achievements);

    fn render(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Value, ApiError> {
        let (row, org_name) =
            model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Achievement"))?;
        view_of(conn, row, org_name, viewer)
    }

    fn show(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Option<Shown>, ApiError> {
        let Some((row, org_name)) = model::find(conn, id)? else {
            return Ok(None);
        };
        let (status, org_id) = (Status::read(&row.status)?, row.org_id);
        if !may_see(status, org_id, viewer) {
            return Ok(None);
        }
        let view = view_of(conn, row, org_name, viewer)?;
        Ok(Some(Shown {
            view,
            status,
            org_id,
        }))
    }

    type ListQuery = model::AchievementListQuery;

    fn check_list(q: &Self::ListQuery) -> Result<Pagination, ApiError> {
        list_filters(
            q.chain.as_deref(),
            q.field.as_deref(),
            q.region.as_deref(),
            q.status.as_deref(),
        )?;
        if let Some(s) = &q.stage {
            crate::validate::stage(s)?;
        }
        if let Some(t) = q.trl_min {
            crate::validate::trl(t, "trl_min")?;
        }
        Pagination::new(q.page, q.per_page)
    }

    fn list(
        conn: &mut AnyConnection,
        scope: ListScope,
        q: &Self::ListQuery,
        page: Pagination,
    ) -> Result<(Vec<Value>, i64), ApiError> {
        let (items, total) = model::list(conn, scope, q, page.offset(), page.limit())?;
        Ok((values(items)?, total))
    }
}

/// The single view of a loaded row as `viewer` may see it.
fn view_of(
    conn: &mut AnyConnection,
    row: model::AchievementRow,
    org_name: String,
    viewer: Option<&CurrentUser>,
) -> Result<Value, ApiError> {
    let id = row.id;
    let owner_view = policy::sees_every_status(viewer, row.org_id);
    let restricted = policy::sees_restricted_fields(viewer, row.org_id);
    let (details, contact) = (row.details.clone(), row.contact.clone());
    let comment = row.review_comment.clone();
    let mut view = AchievementView::summary(row, org_name);
    view.pool = Some(model::pool_marks(conn, id)?);
    if restricted {
        view.details = Some(details);
        view.contact = Some(contact);
    }
    if owner_view {
        view.review_comment = comment;
        view.status_history = Some(history(conn, ListingKind::Achievement, id)?);
    }
    serde_json::to_value(view).map_err(ApiError::internal)
}

impl Editable for AchievementStore {
    type Input = model::AchievementInput;
    type Patch = model::AchievementPatch;
    type Data = model::AchievementData;

    fn validate(input: Self::Input, org_region: &str) -> Result<Self::Data, ApiError> {
        input.validate(org_region)
    }

    fn patched(
        conn: &mut AnyConnection,
        id: i64,
        patch: Self::Patch,
    ) -> Result<Self::Data, ApiError> {
        let (row, _) = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Achievement"))?;
        patch.merged_into(&row).validate(&row.region)
    }

    content_writes!(achievements);
}
