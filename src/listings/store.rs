//! How a listing type plugs into the shared lifecycle: [`Store`] (its table's lifecycle
//! columns, its views) and [`Editable`] (its content). The two listing tables have the
//! same lifecycle and content columns, so the writes are written once, as macros that
//! expand inside each type's `impl` ([`store_writes!`], [`content_writes!`]).

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::Serialize;
use serde_json::Value;

use crate::auth::extract::CurrentUser;
use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::listings::{ListScope, ListingKind, Status};
use crate::pagination::Pagination;
use crate::search::IndexKind;

/// What a lifecycle decision needs to know about one listing.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub org_id: i64,
    /// The effective status (a published demand past its date reads `expired`).
    pub status: Status,
    pub org_verified: bool,
}

/// A single view's answer with the facts it was decided on: whether the read counts as a
/// view for the listing's org is judged from these, not from the answer's JSON.
pub struct Shown {
    pub view: Value,
    /// The effective status, as for [`Facts`].
    pub status: Status,
    pub org_id: i64,
}

/// The table-specific half of a listing type.
pub trait Store: Send + 'static {
    const KIND: ListingKind;
    /// The search index its published items live in.
    const INDEX: IndexKind;

    fn facts(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Facts>>;

    /// Sets the stored status and the timestamps and comment that go with it.
    fn set_status(
        conn: &mut AnyConnection,
        id: i64,
        to: Status,
        review_comment: Option<&str>,
        at: NaiveDateTime,
    ) -> QueryResult<()>;

    fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<usize>;

    /// The item as `viewer` may see it.
    fn render(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Value, ApiError>;

    /// The item as `viewer` may see it, `None` when it does not exist or `viewer` may not
    /// see it ([`crate::listings::lifecycle::may_see`]): the single view's read, its row
    /// loaded once for both the check and the answer (the hot path of reads by id).
    fn show(
        conn: &mut AnyConnection,
        id: i64,
        viewer: Option<&CurrentUser>,
    ) -> Result<Option<Shown>, ApiError>;

    /// The filters of a list of one org's items (`GET /orgs/{id}/<kind>`).
    type ListQuery: serde::de::DeserializeOwned + Default + Send + 'static;

    /// Checks a list query's filters at the edge; its page.
    fn check_list(q: &Self::ListQuery) -> Result<Pagination, ApiError>;

    /// A page of the items in `scope`, as views.
    fn list(
        conn: &mut AnyConnection,
        scope: ListScope,
        q: &Self::ListQuery,
        page: Pagination,
    ) -> Result<(Vec<Value>, i64), ApiError>;
}

/// The content half of a listing type: its create body, its PATCH body, and the validated
/// columns both turn into.
pub trait Editable: Store {
    type Input: serde::de::DeserializeOwned + Send + 'static;
    type Patch: serde::de::DeserializeOwned + Send + 'static;
    type Data;

    /// Validates a new item; `org_region` is the default region.
    fn validate(input: Self::Input, org_region: &str) -> Result<Self::Data, ApiError>;
    /// The stored item with `patch` laid over it, validated like a new one.
    fn patched(
        conn: &mut AnyConnection,
        id: i64,
        patch: Self::Patch,
    ) -> Result<Self::Data, ApiError>;
    /// A new draft of `org_id`.
    fn insert(
        conn: &mut AnyConnection,
        data: &Self::Data,
        org_id: i64,
        user_id: i64,
        at: NaiveDateTime,
    ) -> QueryResult<i64>;
    fn update(
        conn: &mut AnyConnection,
        id: i64,
        data: &Self::Data,
        at: NaiveDateTime,
    ) -> QueryResult<()>;
}

/// A page of views as JSON values, for the generic lists.
pub fn values<T: Serialize>(items: Vec<T>) -> Result<Vec<Value>, ApiError> {
    items
        .into_iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)
}

/// `Store::set_status` and `Store::delete` for the listing table `$table`: the status,
/// and the timestamp or review comment that goes with it.
macro_rules! store_writes {
    ($table:ident) => {
        fn set_status(
            conn: &mut $crate::db::AnyConnection,
            id: i64,
            to: $crate::listings::Status,
            review_comment: Option<&str>,
            at: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<()> {
            use $crate::listings::Status;
            let target = $table::table.find(id);
            diesel::update(target)
                .set(($table::status.eq(to.as_str()), $table::updated_at.eq(at)))
                .execute(conn)?;
            match to {
                Status::PendingReview => diesel::update(target)
                    .set($table::submitted_at.eq(Some(at)))
                    .execute(conn)?,
                Status::Published => diesel::update(target)
                    .set((
                        $table::published_at.eq(Some(at)),
                        $table::review_comment.eq(review_comment),
                    ))
                    .execute(conn)?,
                Status::Returned | Status::Rejected => diesel::update(target)
                    .set($table::review_comment.eq(review_comment))
                    .execute(conn)?,
                _ => 0,
            };
            Ok(())
        }

        fn delete(conn: &mut $crate::db::AnyConnection, id: i64) -> diesel::QueryResult<usize> {
            diesel::delete($table::table.find(id)).execute(conn)
        }
    };
}
pub(crate) use store_writes;

/// `Editable::insert` and `Editable::update` for the listing table `$table`, whose
/// validated content columns are `Self::Data`.
macro_rules! content_writes {
    ($table:ident) => {
        fn insert(
            conn: &mut $crate::db::AnyConnection,
            data: &Self::Data,
            org_id: i64,
            user_id: i64,
            at: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<i64> {
            diesel::insert_into($table::table)
                .values((
                    data,
                    $table::org_id.eq(org_id),
                    $table::created_by.eq(user_id),
                    $table::status.eq($crate::listings::Status::Draft.as_str()),
                    $table::created_at.eq(at),
                    $table::updated_at.eq(at),
                ))
                .returning($table::id)
                .get_result(conn)
        }

        fn update(
            conn: &mut $crate::db::AnyConnection,
            id: i64,
            data: &Self::Data,
            at: chrono::NaiveDateTime,
        ) -> diesel::QueryResult<()> {
            diesel::update($table::table.find(id))
                .set((data, $table::updated_at.eq(at)))
                .execute(conn)?;
            Ok(())
        }
    };
}
pub(crate) use content_writes;
