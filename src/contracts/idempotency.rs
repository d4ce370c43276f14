//! `Idempotency-Key` for recording contracts: the first answer is stored with a hash of
//! the request in the same transaction, and a retry with the same key and body gets it
//! back; the same key with another body is refused.

use diesel::prelude::*;

use crate::contracts::views::{self, ContractView};
use crate::db::AnyConnection;
use crate::db::schema::idempotency_keys;
use crate::error::{ApiError, ErrorCode};

/// A key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Key {
    pub key: String,
    pub hash: String,
}

/// The stored answer of an earlier request with this key, if any.
pub fn answer(
    conn: &mut AnyConnection,
    user_id: i64,
    k: &Key,
) -> Result<Option<ContractView>, ApiError> {
    let stored: Option<(String, String)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idem_key.eq(&k.key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_json,
        ))
        .first(conn)
        .optional()?;
    match stored {
        None => Ok(None),
        Some((h, _)) if h != k.hash => Err(ApiError::new(ErrorCode::IdempotencyKeyReused)),
        Some((_, json)) => {
            let mut view: ContractView = serde_json::from_str(&json).map_err(ApiError::internal)?;
            // Names as they are now (older stored answers have none).
            views::name(conn, std::slice::from_mut(&mut view))?;
            Ok(Some(view))
        }
    }
}

pub fn store(
    conn: &mut AnyConnection,
    user_id: i64,
    k: &Key,
    view: &ContractView,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(view).map_err(ApiError::internal)?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::idem_key.eq(&k.key),
            idempotency_keys::request_hash.eq(&k.hash),
            idempotency_keys::response_json.eq(json),
            idempotency_keys::created_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}
