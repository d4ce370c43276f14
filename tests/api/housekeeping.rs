//! Housekeeping deletes what no longer counts (expired refresh tokens, idempotency keys
//! past their retention, sign-in failures past the window) and keeps the rest.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use tt_exchange::db::AnyConnection;
use tt_exchange::db::schema::{idempotency_keys, login_failures, refresh_tokens};
use tt_exchange::housekeeping::{IDEMPOTENCY_RETENTION_DAYS, prune};

use crate::helpers::{Account, TestApp, spawn_app};

/// Ids of the rows inserted: one on each side of each cut-off at `at`.
struct Rows {
    stale: [i64; 3],
    fresh: [i64; 3],
}

fn insert_rows(
    conn: &mut AnyConnection,
    user_id: i64,
    at: NaiveDateTime,
    window: Duration,
) -> QueryResult<Rows> {
    let token = |conn: &mut AnyConnection, expires_at: NaiveDateTime| -> QueryResult<i64> {
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::user_id.eq(user_id),
                refresh_tokens::family_id.eq(tt_exchange::auth::tokens::random_hex(8)),
                refresh_tokens::token_hash.eq(tt_exchange::auth::tokens::random_hex(32)),
                refresh_tokens::created_at.eq(expires_at - Duration::days(30)),
                refresh_tokens::expires_at.eq(expires_at),
            ))
            .returning(refresh_tokens::id)
            .get_result(conn)
    };
    let key = |conn: &mut AnyConnection, created_at: NaiveDateTime| -> QueryResult<i64> {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(user_id),
                idempotency_keys::idem_key.eq(tt_exchange::auth::tokens::random_hex(8)),
                idempotency_keys::request_hash.eq("h"),
                idempotency_keys::response_json.eq("{}"),
                idempotency_keys::created_at.eq(created_at),
            ))
            .returning(idempotency_keys::id)
            .get_result(conn)
    };
    let failure = |conn: &mut AnyConnection, created_at: NaiveDateTime| -> QueryResult<i64> {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::subject.eq("client:192.0.2.1"),
                login_failures::created_at.eq(created_at),
            ))
            .returning(login_failures::id)
            .get_result(conn)
    };
    let second = Duration::seconds(1);
    let retention = Duration::days(IDEMPOTENCY_RETENTION_DAYS);
    Ok(Rows {
        stale: [
            token(conn, at - second)?,
            key(conn, at - retention - second)?,
            failure(conn, at - window - second)?,
        ],
        fresh: [
            token(conn, at + second)?,
            key(conn, at - retention + Duration::hours(1))?,
            failure(conn, at - window + Duration::minutes(1))?,
        ],
    })
}

/// Which of `ids` (token, key, failure) are still there.
fn present(conn: &mut AnyConnection, ids: [i64; 3]) -> QueryResult<[bool; 3]> {
    let token = refresh_tokens::table
        .find(ids[0])
        .count()
        .get_result::<i64>(conn)?;
    let key = idempotency_keys::table
        .find(ids[1])
        .count()
        .get_result::<i64>(conn)?;
    let failure = login_failures::table
        .find(ids[2])
        .count()
        .get_result::<i64>(conn)?;
    Ok([token == 1, key == 1, failure == 1])
}

async fn user(app: &TestApp) -> i64 {
    app.registered(&Account::university()).await.0
}

#[actix_rt::test]
async fn prune_deletes_stale_rows_and_keeps_fresh_ones() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let window = Duration::seconds(app.settings.login_failure_window_secs as i64);
    // A year ahead, so the server's own start-up run (as of the real now) cannot touch
    // these rows, and a prune as of then sees exactly them as stale.
    let at = Utc::now().naive_utc() + Duration::days(365);
    let (rows, pruned, stale, fresh) = app
        .db
        .write(move |conn| {
            let rows = insert_rows(conn, user_id, at, window)?;
            let tokens_due: i64 = refresh_tokens::table
                .filter(refresh_tokens::expires_at.le(at))
                .count()
                .get_result(conn)?;
            let pruned = prune(conn, at, window)?;
            assert_eq!(pruned.refresh_tokens as i64, tokens_due);
            Ok((
                rows.stale,
                pruned,
                present(conn, rows.stale)?,
                present(conn, rows.fresh)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(stale, [false; 3], "stale rows {rows:?} remain");
    assert_eq!(fresh, [true; 3], "fresh rows were deleted");
    assert!(pruned.refresh_tokens >= 1, "{pruned:?}");
    assert_eq!((pruned.idempotency_keys, pruned.login_failures), (1, 1));
    // Nothing left to do.
    let again = app
        .db
        .write(move |conn| Ok(prune(conn, at, window)?))
        .await
        .unwrap();
    assert_eq!(again, Default::default());
}

#[actix_rt::test]
async fn the_server_prunes_at_start_up() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let window = Duration::seconds(app.settings.login_failure_window_secs as i64);
    let at = Utc::now().naive_utc();
    let rows = app
        .db
        .write(move |conn| Ok(insert_rows(conn, user_id, at, window)?))
        .await
        .unwrap();
    let (stale, fresh) = (rows.stale, rows.fresh);
    let app = app.restart_with(|_| {}).await;
    let mut left = [true; 3];
    for _ in 0..100 {
        left = app
            .db
            .read(move |conn| Ok(present(conn, stale)?))
            .await
            .unwrap();
        if left == [false; 3] {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, [false; 3], "stale rows remain after start-up");
    let kept = app
        .db
        .read(move |conn| Ok(present(conn, fresh)?))
        .await
        .unwrap();
    // The fresh token expires a second after `at`: it may have expired by now.
    assert_eq!(kept[1..], [true, true]);
}
