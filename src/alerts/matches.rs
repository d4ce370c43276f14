//! Published listings as implicit saved searches: a newly published achievement that
//! ranks in a published demand's top 10 matches tells the demand's org, and a newly
//! published demand that ranks in an achievement's top 10 tells the achievement's org.
//!
//! Asking every listing of the other side would cost one matching per listing; instead
//! the new listing's own best [`CANDIDATES`] matches are the only ones asked (the scores
//! are close to symmetric: shared key terms, chain, field, TRL, price), so a publication
//! costs `1 + CANDIDATES` matchings whatever the size of the exchange.

use diesel::QueryResult;

use crate::achievements::model as amodel;
use crate::clock::today;
use crate::db::{AnyConnection, Db};
use crate::demands::model as dmodel;
use crate::error::ApiError;
use crate::listings::Status;
use crate::matching::{self, Profile};
use crate::notify::{Audience, Kind, Notice, emit, texts};
use crate::search::documents::unexpired;
use crate::search::{Engine, IndexKind};

/// How many of the new listing's own matches are asked whether it ranks in their top 10.
pub const CANDIDATES: usize = 10;
/// The rank a new listing must reach among a listing's matches to be announced.
pub const TOP: usize = 10;

/// A published listing's profile and org, or `None` when it is not (or no longer) published.
fn published_profile(
    conn: &mut AnyConnection,
    kind: IndexKind,
    id: i64,
) -> QueryResult<Option<(Profile, String)>> {
    Ok(match kind {
        IndexKind::Achievements => amodel::find(conn, id)?
            .filter(|(row, _)| row.status().ok() == Some(Status::Published))
            .map(|(row, _)| (Profile::of_achievement(&row), row.title.clone())),
        IndexKind::Demands => dmodel::find(conn, id)?
            .filter(|(row, _)| {
                dmodel::effective_status(&row.status, row.valid_until, today()).ok()
                    == Some(Status::Published)
            })
            .map(|(row, _)| (Profile::of_demand(&row), row.title.clone())),
    })
}

/// The best matches of a listing of `kind` (on the other side's index).
async fn top(
    engine: &Engine,
    kind: IndexKind,
    profile: &Profile,
    limit: usize,
) -> Result<Vec<i64>, ApiError> {
    let source_is_demand = kind == IndexKind::Demands;
    let filters = match source_is_demand {
        true => vec![],
        false => vec![unexpired()],
    };
    let now = chrono::Utc::now().timestamp();
    let found = matching::find(engine, profile, source_is_demand, filters, limit, now).await?;
    Ok(found.iter().filter_map(|m| m.doc["id"].as_i64()).collect())
}

fn other(kind: IndexKind) -> IndexKind {
    match kind {
        IndexKind::Achievements => IndexKind::Demands,
        IndexKind::Demands => IndexKind::Achievements,
    }
}

/// Announces each new listing of `ids` to the listings of the other side whose top
/// matches it entered.
pub async fn announce(
    db: &Db,
    engine: &Engine,
    kind: IndexKind,
    ids: &[i64],
) -> Result<(), ApiError> {
    for &id in ids {
        let Some((profile, title)) = db
            .read(move |c| Ok(published_profile(c, kind, id)?))
            .await?
        else {
            continue;
        };
        let mut entered = Vec::new();
        for candidate in top(engine, kind, &profile, CANDIDATES).await? {
            let them = db
                .read(move |c| Ok(published_profile(c, other(kind), candidate)?))
                .await?;
            let Some((their, their_title)) = them else {
                continue;
            };
            if top(engine, other(kind), &their, TOP).await?.contains(&id) {
                entered.push((their.id, their.org_id, their_title));
            }
        }
        if entered.is_empty() {
            continue;
        }
        db.write(move |conn| {
            for (their_id, org, their_title) in &entered {
                let message = texts::new_match(kind.name(), id, &title, *their_id, their_title);
                let key = format!("match:{}:{id}:{their_id}", kind.name());
                let notice =
                    Notice::new(Kind::NewMatch, Audience::orgs([*org]), message).keyed(key);
                emit(conn, &notice)?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}
