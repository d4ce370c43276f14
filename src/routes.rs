//! Every route of the API, in one table. The server is built from it and the OpenAPI test
//! reads it, so a route cannot exist without being in the spec.

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{Route, web};

use crate::achievements::AchievementStore;
use crate::{
    accounts, achievements, alerts, audit, auth, bookmarks, challenges, contracts, deals, files,
    inquiries, listings, matching, notify, offerings, publicity, search, stats, system,
};

/// Demands with the challenge board on a single read: the challenges slice gives it, so
/// the demands slice does not import that slice.
type DemandStore = crate::demands::DemandStore<challenges::Board>;

/// One registered route; `make` builds the actix route (once per worker).
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    make: fn() -> Route,
}

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        vec![ $( RouteDef {
            method: Method::$method,
            path: $path,
            make: || web::route().method(Method::$method).to($handler),
        }, )* ]
    };
}

pub fn table() -> Vec<RouteDef> {
    routes![
        GET "/health" => system::health,
        GET "/ready" => system::ready,
        GET "/metrics" => system::metrics,
        GET "/dashboard" => crate::dashboard::page,
        GET "/dashboard/app.js" => crate::dashboard::script,
        GET "/dashboard/app.css" => crate::dashboard::style,
        GET "/openapi.yaml" => system::openapi,
        GET "/api/v1/taxonomy" => system::taxonomy,
        GET "/api/v1/errors" => system::errors,

        POST "/api/v1/auth/register" => auth::handlers::register,
        POST "/api/v1/auth/login" => auth::handlers::login,
        POST "/api/v1/auth/refresh" => auth::handlers::refresh,
        POST "/api/v1/auth/logout" => auth::handlers::logout,
        GET "/api/v1/me" => auth::handlers::me,
        PATCH "/api/v1/me" => auth::handlers::update_me,
        POST "/api/v1/me/password" => auth::handlers::change_password,
        GET "/api/v1/me/applications" => challenges::handlers::mine,

        POST "/api/v1/users" => accounts::handlers::create_user,
        GET "/api/v1/users" => accounts::handlers::list_users,
        PATCH "/api/v1/users/{id}" => accounts::handlers::update_user,
        GET "/api/v1/orgs" => accounts::handlers::list_orgs,
        GET "/api/v1/orgs/{id}" => accounts::handlers::get_org,
        POST "/api/v1/orgs/{id}/verify" => accounts::handlers::verify_org,
        GET "/api/v1/orgs/{id}/invitations" => accounts::handlers::list_invitations,
        POST "/api/v1/orgs/{id}/invitations" => accounts::handlers::create_invitation,

        GET "/api/v1/audit" => audit::list_handler,

        GET "/api/v1/achievements" => search::handlers::achievements,
        POST "/api/v1/achievements" => listings::handlers::create::<AchievementStore>,
        GET "/api/v1/achievements/{id}" => listings::handlers::get::<AchievementStore>,
        PATCH "/api/v1/achievements/{id}" => listings::handlers::update::<AchievementStore>,
        DELETE "/api/v1/achievements/{id}" => listings::handlers::delete::<AchievementStore>,
        POST "/api/v1/achievements/{id}/submit" => listings::handlers::submit::<AchievementStore>,
        POST "/api/v1/achievements/{id}/review" => listings::handlers::review::<AchievementStore>,
        POST "/api/v1/achievements/{id}/withdraw" => listings::handlers::withdraw::<AchievementStore>,
        GET "/api/v1/orgs/{id}/achievements" => listings::handlers::list_for_org::<AchievementStore>,
        GET "/api/v1/achievements/{id}/engagements" => achievements::handlers::engagements,
        GET "/api/v1/review/achievements" => listings::handlers::review_queue::<AchievementStore>,

        GET "/api/v1/demands" => search::handlers::demands,
        POST "/api/v1/demands" => listings::handlers::create::<DemandStore>,
        GET "/api/v1/demands/{id}" => listings::handlers::get::<DemandStore>,
        PATCH "/api/v1/demands/{id}" => listings::handlers::update::<DemandStore>,
        DELETE "/api/v1/demands/{id}" => listings::handlers::delete::<DemandStore>,
        POST "/api/v1/demands/{id}/submit" => listings::handlers::submit::<DemandStore>,
        POST "/api/v1/demands/{id}/review" => listings::handlers::review::<DemandStore>,
        POST "/api/v1/demands/{id}/close" => listings::handlers::close::<DemandStore>,
        GET "/api/v1/orgs/{id}/demands" => listings::handlers::list_for_org::<DemandStore>,
        GET "/api/v1/review/demands" => listings::handlers::review_queue::<DemandStore>,

        POST "/api/v1/demands/{id}/applications" => challenges::handlers::apply,
        GET "/api/v1/demands/{id}/applications" => challenges::handlers::list,
        POST "/api/v1/applications/{id}/decision" => challenges::handlers::decide,
        POST "/api/v1/demands/{id}/milestones" => challenges::handlers::create_milestone,
        POST "/api/v1/milestones/{id}/submit" => challenges::handlers::submit_milestone,
        POST "/api/v1/milestones/{id}/review" => challenges::handlers::review_milestone,

        GET "/api/v1/pool/{year}" => achievements::pool::list,
        PUT "/api/v1/pool/{year}/entries/{achievement_id}" => achievements::pool::put_entry,
        DELETE "/api/v1/pool/{year}/entries/{achievement_id}" => achievements::pool::delete_entry,

        GET "/api/v1/admin/search" => search::handlers::admin_status,

        GET "/api/v1/demands/{id}/matches" => matching::handlers::for_demand,
        GET "/api/v1/achievements/{id}/matches" => matching::handlers::for_achievement,
        GET "/api/v1/achievements/{id}/stats" => bookmarks::handlers::achievement_stats,
        GET "/api/v1/demands/{id}/stats" => bookmarks::handlers::demand_stats,
        POST "/api/v1/achievements/{id}/inquiries" => inquiries::handlers::ask_achievement,
        POST "/api/v1/demands/{id}/inquiries" => inquiries::handlers::ask_demand,
        GET "/api/v1/me/inquiries" => inquiries::handlers::mine,
        GET "/api/v1/inquiries/{id}/messages" => inquiries::handlers::messages,
        POST "/api/v1/inquiries/{id}/messages" => inquiries::handlers::reply,

        GET "/api/v1/deals" => deals::handlers::list,
        POST "/api/v1/deals" => deals::handlers::create,
        GET "/api/v1/deals/{id}" => deals::handlers::get,
        PATCH "/api/v1/deals/{id}" => deals::handlers::update,

        GET "/api/v1/contracts" => contracts::handlers::list,
        POST "/api/v1/contracts" => contracts::handlers::create,
        GET "/api/v1/contracts/{id}" => contracts::handlers::get,
        POST "/api/v1/contracts/{id}/confirm" => contracts::handlers::confirm,
        POST "/api/v1/contracts/{id}/decline" => contracts::handlers::decline,
        POST "/api/v1/contracts/{id}/amendments" => contracts::handlers::amend,
        POST "/api/v1/contracts/{id}/amendments/{amendment_id}/confirm" => contracts::handlers::confirm_amendment,
        POST "/api/v1/contracts/{id}/amendments/{amendment_id}/decline" => contracts::handlers::decline_amendment,
        POST "/api/v1/contracts/{id}/registration-request" => contracts::handlers::request_registration,
        POST "/api/v1/contracts/{id}/registration" => contracts::handlers::register,

        POST "/api/v1/achievements/{id}/offerings" => offerings::handlers::create,
        GET "/api/v1/offerings" => offerings::handlers::list,
        GET "/api/v1/offerings/{id}" => offerings::handlers::get,
        POST "/api/v1/offerings/{id}/bids" => offerings::handlers::bid,

        POST "/api/v1/achievements/{id}/publicity" => publicity::handlers::create,
        GET "/api/v1/publicity" => publicity::handlers::list,
        GET "/api/v1/publicity/{id}" => publicity::handlers::get,
        POST "/api/v1/publicity/{id}/objections" => publicity::handlers::object,
        POST "/api/v1/objections/{id}/answer" => publicity::handlers::answer,
        POST "/api/v1/objections/{id}/close" => publicity::handlers::close,

        GET "/api/v1/stats/turnover" => stats::handlers::turnover,
        GET "/api/v1/stats/targets" => stats::handlers::targets,
        PUT "/api/v1/stats/targets/{year}" => stats::handlers::put_target,
        GET "/api/v1/stats/chains" => stats::handlers::chains,
        GET "/api/v1/stats/brokers" => stats::handlers::brokers,
        GET "/api/v1/stats/conversion" => stats::handlers::conversion,
        GET "/api/v1/stats/chains/{chain}/quarterly" => stats::handlers::quarterly,

        POST "/api/v1/files" => files::handlers::upload,
        GET "/api/v1/files/{id}" => files::handlers::download,
        GET "/api/v1/files/{id}/thumbnail" => files::handlers::thumbnail,
        POST "/api/v1/attachments" => files::handlers::attach,
        GET "/api/v1/attachments" => files::handlers::list,
        DELETE "/api/v1/attachments/{id}" => files::handlers::detach,
        GET "/api/v1/me/notifications" => notify::handlers::list,
        POST "/api/v1/me/notifications/read" => notify::handlers::mark_read,
        GET "/api/v1/me/notification-settings" => notify::handlers::get_settings,
        PUT "/api/v1/me/notification-settings" => notify::handlers::put_settings,
        GET "/api/v1/me/saved-searches" => alerts::handlers::list,
        POST "/api/v1/me/saved-searches" => alerts::handlers::create,
        PATCH "/api/v1/me/saved-searches/{id}" => alerts::handlers::update,
        DELETE "/api/v1/me/saved-searches/{id}" => alerts::handlers::delete,
        GET "/api/v1/me/bookmarks" => bookmarks::handlers::list,
        PUT "/api/v1/me/bookmarks/{kind}/{id}" => bookmarks::handlers::put,
        DELETE "/api/v1/me/bookmarks/{kind}/{id}" => bookmarks::handlers::delete,
    ]
}

/// `(method, path)` of every route, for tests and docs.
pub fn list() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|r| (r.method, r.path)).collect()
}

/// Registers the table: one resource per path, a JSON 405 for other methods on it.
///
/// The resources under `/api/v1/<segment>` are grouped in one scope per static segment:
/// actix tries the resources of a router one by one, a dynamic path through its regex,
/// so without scopes `GET /api/v1/stats/turnover` ran some 50 regexes before it matched
/// (a fifth of the server's CPU time in reads by id). A scope compares its prefix as a
/// string, then tries only its own resources, in the same order as before; a request no
/// resource of its scope matches falls through to the app's default service as before.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: BTreeMap<&'static str, Vec<RouteDef>> = BTreeMap::new();
    for def in table() {
        by_path.entry(def.path).or_default().push(def);
    }
    let mut scoped: BTreeMap<&'static str, Vec<actix_web::Resource>> = BTreeMap::new();
    for (path, defs) in by_path {
        let split = scope_of(path);
        let mut resource = web::resource(split.map_or(path, |(_, rest)| rest));
        for def in defs {
            resource = resource.route((def.make)());
        }
        let resource = resource.default_service(web::to(system::method_not_allowed));
        match split {
            Some((prefix, _)) => scoped.entry(prefix).or_default().push(resource),
            None => {
                cfg.service(resource);
            }
        }
    }
    for (prefix, resources) in scoped {
        let scope = resources
            .into_iter()
            .fold(web::scope(prefix), |scope, r| scope.service(r));
        cfg.service(scope);
    }
}

/// `/api/v1/<segment>` and the rest of `path` when its segment is static: the scope a
/// path is registered in. Paths outside `/api/v1/` are registered on their own.
pub fn scope_of(path: &'static str) -> Option<(&'static str, &'static str)> {
    let rest = path.strip_prefix("/api/v1/")?;
    let end = rest.find('/').unwrap_or(rest.len());
    let segment = &rest[..end];
    if segment.is_empty() || segment.contains('{') {
        return None;
    }
    let at = "/api/v1/".len() + end;
    Some((&path[..at], &path[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_at_their_first_static_segment() {
        assert_eq!(
            scope_of("/api/v1/achievements/{id}"),
            Some(("/api/v1/achievements", "/{id}"))
        );
        assert_eq!(
            scope_of("/api/v1/achievements"),
            Some(("/api/v1/achievements", ""))
        );
        assert_eq!(scope_of("/health"), None);
        assert_eq!(scope_of("/api/v1/{kind}/x"), None);
        // Every route of the table lands back on its own path.
        for (_, path) in list() {
            if let Some((prefix, rest)) = scope_of(path) {
                assert_eq!(format!("{prefix}{rest}"), path);
            }
        }
    }
}
