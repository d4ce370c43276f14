//! The operations every listing type shares, written once over [`Store`]/[`Editable`]:
//! create, update, a lifecycle step (submit, review, withdraw, close), delete. Each takes
//! a connection and typed input, authorizes through `auth::policy`, and writes the
//! status history, the audit and the search outbox in the caller's transaction.

use serde_json::{Value, json};

use crate::accounts::model::find_org;
use crate::audit::{self, Act};
use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::clock::now;
use crate::db::AnyConnection;
use crate::error::{ApiError, ErrorCode};
use crate::listings::store::{Editable, Facts, Store};
use crate::listings::{
    ListingKind, Status, StatusChange, Transition, delete_history, record_status_change,
};
use crate::search::outbox;

fn not_found<S: Store>() -> ApiError {
    ApiError::not_found(S::KIND.label())
}

/// Loads the facts, hiding unpublished items from those who may not see them (404, so an
/// outsider learns nothing about another org's drafts).
pub fn visible_facts<S: Store>(
    conn: &mut AnyConnection,
    id: i64,
    user: Option<&CurrentUser>,
) -> Result<Facts, ApiError> {
    let facts = S::facts(conn, id)?.ok_or_else(not_found::<S>)?;
    if !may_see(facts.status, facts.org_id, user) {
        return Err(not_found::<S>());
    }
    Ok(facts)
}

/// Whether `viewer` may see an item of `org_id` in `status`: published items everyone,
/// the others only the owning org and admins.
pub fn may_see(status: Status, org_id: i64, viewer: Option<&CurrentUser>) -> bool {
    matches!(status, Status::Published) || policy::sees_every_status(viewer, org_id)
}

/// The item as `viewer` may see it, or 404 (the same 404 whether it is missing or hidden);
/// and whether this read counts as a view for the listing's org (`views::counts_as_view`).
pub fn show<S: Store>(
    conn: &mut AnyConnection,
    id: i64,
    viewer: Option<&CurrentUser>,
) -> Result<(Value, bool), ApiError> {
    let shown = S::show(conn, id, viewer)?.ok_or_else(not_found::<S>)?;
    let published = shown.status == Status::Published;
    let counted = super::views::counts_as_view(published, shown.org_id, viewer);
    Ok((shown.view, counted))
}

/// Who may take `step` on a listing of `kind` owned by `org_id`.
fn step_action(step: Transition, kind: ListingKind, org_id: i64) -> Action {
    match step {
        Transition::Submit => Action::EditListing { kind, org_id },
        Transition::Approve | Transition::Return | Transition::Reject => Action::ReviewListings,
        Transition::Withdraw | Transition::Close => Action::RetireListing { kind, org_id },
    }
}

/// Applies one lifecycle step: policy, allowed-from check, status, history, audit.
pub fn apply<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    step: Transition,
    comment: Option<&str>,
) -> Result<Value, ApiError> {
    let facts = visible_facts::<S>(conn, id, Some(user))?;
    let kind = S::KIND;
    policy::authorize(user, step_action(step, kind, facts.org_id))?;
    let to = step.target(kind, facts.status).ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!(
                "不能对状态为 {} 的{}执行 {}。",
                facts.status.as_str(),
                kind.zh(),
                step.name()
            ),
            format!(
                "Cannot {} a {} {}.",
                step.name(),
                facts.status.as_str(),
                kind.entity()
            ),
        )
    })?;
    if step == Transition::Approve && !facts.org_verified {
        return Err(ApiError::new(ErrorCode::OwnerOrgNotVerified));
    }
    let at = now();
    let review_comment = match step {
        Transition::Approve | Transition::Return | Transition::Reject => comment,
        _ => None,
    };
    S::set_status(conn, id, to, review_comment, at)?;
    // Entering or leaving the market changes the index, in this same transaction.
    if facts.status.is_listed() || to.is_listed() {
        outbox::enqueue(conn, S::INDEX, &[id])?;
    }
    if to == Status::Published {
        crate::alerts::listing_changed(conn, S::INDEX, id)?;
    }
    let change = StatusChange {
        kind,
        id,
        from: Some(facts.status),
        to,
        actor: user.id,
        comment,
        at,
    };
    record_status_change(conn, &change)?;
    if matches!(
        step,
        Transition::Approve | Transition::Return | Transition::Reject
    ) {
        crate::notify::on::listing_reviewed(conn, kind.entity(), id, to.as_str(), comment)?;
    }
    let action_name = format!("{}.{}", kind.entity(), step.name());
    audit::changed(
        conn,
        Act::new(user.id, &action_name, kind.entity(), id),
        &json!({"status": facts.status.as_str()}),
        &json!({"status": to.as_str(), "comment": comment}),
    )?;
    S::render(conn, id, Some(user))
}

/// Deletes a draft of the user's org; its history goes with it.
pub fn delete<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(), ApiError> {
    let facts = visible_facts::<S>(conn, id, Some(user))?;
    let kind = S::KIND;
    policy::authorize(user, step_action(Transition::Submit, kind, facts.org_id))?;
    if facts.status != Status::Draft {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("只有草稿可以删除，此条目为 {}。", facts.status.as_str()),
            format!(
                "Only drafts can be deleted; this one is {}.",
                facts.status.as_str()
            ),
        ));
    }
    let before = S::render(conn, id, Some(user))?;
    delete_history(conn, kind, id)?;
    S::delete(conn, id)?;
    let action = format!("{}.delete", kind.entity());
    audit::removed(conn, Act::new(user.id, &action, kind.entity(), id), &before)?;
    Ok(())
}

/// The facts of a listing `user` may edit now (owner, draft or returned), or the error.
pub fn editable_facts<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<Facts, ApiError> {
    let facts = visible_facts::<S>(conn, id, Some(user))?;
    policy::authorize(user, step_action(Transition::Submit, S::KIND, facts.org_id))?;
    if !facts.status.is_editable() {
        return Err(ApiError::new(ErrorCode::NotEditable));
    }
    Ok(facts)
}

/// Renders the item after a content write and audits it as `<entity>.<verb>`.
pub fn audited_write<S: Store>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    verb: &str,
    before: Option<Value>,
) -> Result<Value, ApiError> {
    let after = S::render(conn, id, Some(user))?;
    let action = format!("{}.{verb}", S::KIND.entity());
    let act = Act::new(user.id, &action, S::KIND.entity(), id);
    audit::step(conn, act, before.as_ref(), &after)?;
    Ok(after)
}

/// A new draft of the user's org (the route has authorized the role).
pub fn create<S: Editable>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    input: S::Input,
) -> Result<Value, ApiError> {
    let org = find_org(conn, user.org_id)?.ok_or_else(|| ApiError::not_found("Org"))?;
    let data = S::validate(input, &org.region)?;
    let at = now();
    let id = S::insert(conn, &data, org.id, user.id, at)?;
    let change = StatusChange {
        kind: S::KIND,
        id,
        from: None,
        to: Status::Draft,
        actor: user.id,
        comment: None,
        at,
    };
    record_status_change(conn, &change)?;
    audited_write::<S>(conn, user, id, "create", None)
}

/// Lays `patch` over an editable item of the user's org; the patch is read only once the
/// item is known to exist and be the user's to edit.
pub fn update<S: Editable>(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    id: i64,
    patch: impl FnOnce() -> Result<S::Patch, ApiError>,
) -> Result<Value, ApiError> {
    editable_facts::<S>(conn, user, id)?;
    let patch = patch()?;
    let before = S::render(conn, id, Some(user))?;
    let data = S::patched(conn, id, patch)?;
    S::update(conn, id, &data, now())?;
    audited_write::<S>(conn, user, id, "update", Some(before))
}
