//! Access tokens (short-lived HS256 JWTs) and refresh tokens (random, stored as SHA-256,
//! rotated on every use; reuse of a spent one revokes its whole family).

use std::path::Path;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::model::Role;
use crate::clock::now;
use crate::config::{Environment, Settings};
use crate::db::AnyConnection;
use crate::db::schema::{refresh_tokens, users};
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub org: i64,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    /// The user's session epoch at issue (`users.session_epoch`); a token of an earlier
    /// epoch belongs to a session that has ended.
    #[serde(default)]
    pub ep: i64,
}

/// Whom an access token is for, and the session epoch it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub id: i64,
    pub role: Role,
    pub org_id: i64,
    pub epoch: i64,
}

/// Keys and rules for access tokens, built once at start-up. Tokens are signed with the
/// current secret and name it in their `kid` header; the previous secret (after a
/// rotation) still verifies the tokens it signed until they expire.
pub struct TokenKeys {
    encoding: EncodingKey,
    kid: String,
    /// Current first, then the previous one.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    issuer: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl: Duration,
}

/// A key id that names a secret without revealing it: the first 8 hex digits of a
/// domain-separated SHA-256, stable across restarts and servers sharing the secret.
pub fn key_id(secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"tt-exchange jwt kid\0");
    h.update(secret);
    hex(&h.finalize()[..4])
}

impl TokenKeys {
    pub fn new(secret: &[u8], previous: Option<&[u8]>, settings: &Settings) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[settings.jwt_issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        let mut decoding = vec![(key_id(secret), DecodingKey::from_secret(secret))];
        if let Some(previous) = previous {
            decoding.push((key_id(previous), DecodingKey::from_secret(previous)));
        }
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            kid: key_id(secret),
            decoding,
            validation,
            issuer: settings.jwt_issuer.clone(),
            access_ttl_secs: settings.access_token_ttl_secs,
            refresh_ttl: Duration::days(settings.refresh_token_ttl_days as i64),
        }
    }

    /// The `kid` of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn issue_access(&self, user: Subject) -> Result<String, ApiError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            org: user.org_id,
            iat,
            exp: iat + self.access_ttl_secs as i64,
            iss: self.issuer.clone(),
            ep: user.epoch,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(ApiError::internal)
    }

    pub fn verify_access(&self, token: &str) -> Result<Claims, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::new(ErrorCode::InvalidToken))?;
        // A token names its key; one without a `kid` (issued before key ids) may be
        // signed by either secret. An unknown `kid` is a key we do not hold.
        let candidates: Vec<&DecodingKey> = match &header.kid {
            Some(kid) => self
                .decoding
                .iter()
                .filter(|(k, _)| k == kid)
                .map(|(_, key)| key)
                .collect(),
            None => self.decoding.iter().map(|(_, key)| key).collect(),
        };
        let mut result = Err(ApiError::new(ErrorCode::InvalidToken));
        for key in candidates {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                    return Err(ApiError::new(ErrorCode::TokenExpired));
                }
                Err(_) => result = Err(ApiError::new(ErrorCode::InvalidToken)),
            }
        }
        result
    }
}

/// The configured secret, or in development one generated once and kept in the data dir
/// (so restarts keep sessions valid).
pub fn load_or_create_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    if settings.env == Environment::Production {
        anyhow::bail!("TT_JWT_SECRET is required when TT_ENV=production");
    }
    let path = settings.data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let secret = random_hex(32);
    write_private(&path, &secret)?;
    tracing::info!(path = %path.display(), "generated a development JWT secret");
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Only the SHA-256 of a refresh token or invitation token is stored: a leaked table
/// grants nothing. (The token is 256 random bits, so no slow hash is needed.)
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new refresh token in `family` (a new family on login) and returns its plain
/// text, which is shown to the client once.
pub fn issue_refresh(
    conn: &mut AnyConnection,
    user_id: i64,
    family: Option<&str>,
    ttl: Duration,
) -> QueryResult<String> {
    let token = format!("rt_{}", random_hex(32));
    let family = family.map(str::to_owned).unwrap_or_else(|| random_hex(16));
    let created = now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::token_hash.eq(token_hash(&token)),
            refresh_tokens::created_at.eq(created),
            refresh_tokens::expires_at.eq(created + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn find_refresh(conn: &mut AnyConnection, token: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash(token)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks the token spent, only if it still is live; `false` means another request spent
/// it first (a reuse).
pub fn spend_refresh(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke_family(conn: &mut AnyConnection, family: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)
}

/// Ends every session of a user at once: revokes their live refresh tokens and moves their
/// session epoch on, so access tokens issued before stop working on the next request, not
/// when they expire. Returns the new epoch.
pub fn end_sessions(conn: &mut AnyConnection, user_id: i64) -> QueryResult<i64> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)?;
    users::table
        .find(user_id)
        .select(users::session_epoch)
        .first(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(issuer: &str, secret: &[u8]) -> TokenKeys {
        let settings = Settings {
            jwt_issuer: issuer.into(),
            ..Settings::default()
        };
        TokenKeys::new(secret, None, &settings)
    }

    const OLD: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NEW: &[u8] = b"fedcba9876543210fedcba9876543210";

    #[test]
    fn tokens_name_their_key_and_the_previous_key_still_verifies() {
        let old = keys("tt-exchange", OLD);
        let t = old
            .issue_access(Subject {
                id: 7,
                role: Role::Broker,
                org_id: 3,
                epoch: 0,
            })
            .unwrap();
        let header = jsonwebtoken::decode_header(&t).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key_id(OLD).as_str()));
        assert_eq!(key_id(OLD).len(), 8);
        assert_ne!(key_id(OLD), key_id(NEW));

        let rotated = TokenKeys::new(NEW, Some(OLD), &Settings::default());
        assert_eq!(rotated.verify_access(&t).unwrap().sub, "7");
        // New tokens are signed with the new key only.
        let fresh = rotated
            .issue_access(Subject {
                id: 8,
                role: Role::Admin,
                org_id: 1,
                epoch: 0,
            })
            .unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&fresh).unwrap().kid,
            Some(key_id(NEW))
        );
        assert!(old.verify_access(&fresh).is_err());
        // Once the previous secret is dropped, its tokens are refused.
        let only_new = keys("tt-exchange", NEW);
        assert_eq!(
            only_new.verify_access(&t).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn a_forged_kid_or_a_missing_kid_does_not_help() {
        let rotated = TokenKeys::new(NEW, Some(OLD), &Settings::default());
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            org: 1,
            iat: now,
            exp: now + 60,
            iss: "tt-exchange".into(),
            ep: 0,
        };
        let sign = |kid: Option<String>, secret: &[u8]| {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = kid;
            jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(secret)).unwrap()
        };
        let stranger = b"a-secret-nobody-configured-here-9876";
        // The current key's id on a token signed by an unknown secret.
        let forged = sign(Some(key_id(NEW)), stranger);
        assert!(rotated.verify_access(&forged).is_err());
        assert!(
            rotated
                .verify_access(&sign(Some("ffffffff".into()), NEW))
                .is_err()
        );
        assert!(rotated.verify_access(&sign(None, stranger)).is_err());
        // Tokens from before key ids verify under either configured secret.
        assert!(rotated.verify_access(&sign(None, OLD)).is_ok());
        assert!(rotated.verify_access(&sign(None, NEW)).is_ok());
    }

    #[test]
    fn round_trip_and_rejections() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let t = k
            .issue_access(Subject {
                id: 7,
                role: Role::Broker,
                org_id: 3,
                epoch: 0,
            })
            .unwrap();
        let c = k.verify_access(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.role, c.org), ("7", Role::Broker, 3));
        // Another secret, another issuer: refused.
        let other = keys("tt-exchange", b"another-secret-another-secret-xx");
        assert_eq!(
            other.verify_access(&t).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
        let foreign = keys("someone-else", b"0123456789abcdef0123456789abcdef");
        assert_eq!(
            foreign.verify_access(&t).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    /// A token for user 1 signed with `alg` under the test secret.
    fn signed(alg: Algorithm, iat: i64, exp: i64) -> String {
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            org: 1,
            iat,
            exp,
            iss: "tt-exchange".into(),
            ep: 0,
        };
        let key = EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef");
        jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap()
    }

    #[test]
    fn other_algorithms_are_refused() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let hs512 = signed(Algorithm::HS512, now, now + 60);
        assert_eq!(
            k.verify_access(&hs512).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn expired_tokens_say_so() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let past = chrono::Utc::now().timestamp() - 3600;
        let t = signed(Algorithm::HS256, past - 900, past);
        assert_eq!(
            k.verify_access(&t).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
    }
}
