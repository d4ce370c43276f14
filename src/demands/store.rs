//! Plugs demands into the shared lifecycle handlers.

use std::marker::PhantomData;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::Value;

use crate::auth::extract::CurrentUser;
use crate::auth::policy;
use crate::clock::today;
use crate::db::AnyConnection;
use crate::db::schema::{demands, orgs};
use crate::demands::model::{self, DemandRow, DemandView};
use crate::error::ApiError;
use crate::listings::fields::list_filters;
use crate::listings::lifecycle::may_see;
use crate::listings::store::{Editable, Facts, Shown, Store, content_writes, store_writes, values};
use crate::listings::{ListScope, ListingKind, history};
use crate::pagination::Pagination;
use crate::search::IndexKind;

/// What a demand's single view shows from the slice that keeps its challenge: the
/// challenge board. The demands slice does not know that slice; the route table names
/// the board (`DemandStore<challenges::Board>`), so the dependency points one way.
pub trait Board: Send + 'static {
    /// The board of `demand` as `viewer` may see it, if it is a challenge.
    fn board(
        conn: &mut AnyConnection,
        demand: &DemandRow,
        viewer: Option<&CurrentUser>,
    ) -> Result<Option<Value>, ApiError>;
}

/// No board: a demand as the demands slice alone shows it.
pub struct NoBoard;

impl Board for NoBoard {
    fn board(
        _: &mut AnyConnection,
        _: &DemandRow,
        _: Option<&CurrentUser>,
    ) -> Result<Option<Value>, ApiError> {
        Ok(None)
    }
}

/// Demands in the shared lifecycle handlers; `B` adds the challenge board.
pub struct DemandStore<B: Board = NoBoard>(PhantomData<B>);

impl<B: Board> Store for DemandStore<B> {
    const KIND: ListingKind = ListingKind::Demand;
    const INDEX: IndexKind = IndexKind::Demands;

    fn facts(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Facts>> {
        let row: Option<(i64, String, NaiveDate, Option<NaiveDateTime>)> = demands::table
            .inner_join(orgs::table)
            .filter(demands::id.eq(id))
            .select((
                demands::org_id,
                demands::status,
                demands::valid_until,
                orgs::verified_at,
            ))
            .get_result(conn)
            .optional()?;
        row.map(|(org_id, status, valid_until, verified)| {
            Ok(Facts {
                org_id,
                status: model::effective_status(&status, valid_until, today())?,
                org_verified: verified.is_some(),
            })
        })
        .transpose()
    }

    store_writes!(demands);

    fn render(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Value, ApiError> {
        let (row, org_name) =
            model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Demand"))?;
        view_of::<B>(conn, row, org_name, viewer)
    }

    fn show(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Option<Shown>, ApiError> {
        let Some((row, org_name)) = model::find(conn, id)? else {
            return Ok(None);
        };
        let status = model::effective_status(&row.status, row.valid_until, today())?;
        let org_id = row.org_id;
        if !may_see(status, org_id, viewer) {
            return Ok(None);
        }
        let view = view_of::<B>(conn, row, org_name, viewer)?;
        Ok(Some(Shown {
            view,
            status,
            org_id,
        }))
    }

    type ListQuery = model::DemandListQuery;

    fn check_list(q: &Self::ListQuery) -> Result<Pagination, ApiError> {
        list_filters(
            q.chain.as_deref(),
            q.field.as_deref(),
            q.region.as_deref(),
            q.status.as_deref(),
        )?;
        Pagination::new(q.page, q.per_page)
    }

    fn list(
        conn: &mut AnyConnection,
        scope: ListScope,
        q: &Self::ListQuery,
        page: Pagination,
    ) -> Result<(Vec<Value>, i64), ApiError> {
        let (items, total) = model::list(conn, scope, q, today(), page.offset(), page.limit())?;
        Ok((values(items)?, total))
    }
}

/// The single view of a loaded row as `viewer` may see it, with `B`'s board.
fn view_of<B: Board>(
    conn: &mut AnyConnection,
    row: DemandRow,
    org_name: String,
    viewer: Option<&CurrentUser>,
) -> Result<Value, ApiError> {
    let id = row.id;
    let owner_view = policy::sees_every_status(viewer, row.org_id);
    let restricted = policy::sees_restricted_fields(viewer, row.org_id);
    let contact = row.contact.clone();
    let comment = row.review_comment.clone();
    let progress = B::board(conn, &row, viewer)?;
    let mut view = DemandView::summary(row, org_name, today())?;
    view.challenge_progress = progress;
    if restricted {
        view.contact = Some(contact);
    }
    if owner_view {
        view.review_comment = comment;
        view.status_history = Some(history(conn, ListingKind::Demand, id)?);
    }
    serde_json::to_value(view).map_err(ApiError::internal)
}

impl<B: Board> Editable for DemandStore<B> {
    type Input = model::DemandInput;
    type Patch = model::DemandPatch;
    type Data = model::DemandData;

    fn validate(input: Self::Input, org_region: &str) -> Result<Self::Data, ApiError> {
        input.validate(org_region, today())
    }

    fn patched(
        conn: &mut AnyConnection,
        id: i64,
        patch: Self::Patch,
    ) -> Result<Self::Data, ApiError> {
        let (row, _) = model::find(conn, id)?.ok_or_else(|| ApiError::not_found("Demand"))?;
        patch.merged_into(&row).validate(&row.region, today())
    }

    content_writes!(demands);
}
