//! Access tokens (short-lived HS256 JWTs) and refresh tokens (random, stored as SHA-256,
//! rotated on every use; reuse of a spent one revokes its whole family).

use std::path::Path;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::model::{Role, now};
use crate::config::{Environment, Settings};
use crate::db::AnyConnection;
use crate::db::schema::refresh_tokens;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub org: i64,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Keys and rules for access tokens, built once at start-up.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], settings: &Settings) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[settings.jwt_issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: settings.jwt_issuer.clone(),
            access_ttl_secs: settings.access_token_ttl_secs,
            refresh_ttl: Duration::days(settings.refresh_token_ttl_days as i64),
        }
    }

    pub fn issue_access(&self, user_id: i64, role: Role, org_id: i64) -> Result<String, ApiError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            org: org_id,
            iat,
            exp: iat + self.access_ttl_secs as i64,
            iss: self.issuer.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    pub fn verify_access(&self, token: &str) -> Result<Claims, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                Err(ApiError::new(ErrorCode::TokenExpired))
            }
            Err(_) => Err(ApiError::new(ErrorCode::InvalidToken)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(issuer: &str, secret: &[u8]) -> TokenKeys {
        let settings = Settings {
            jwt_issuer: issuer.into(),
            ..Settings::default()
        };
        TokenKeys::new(secret, &settings)
    }

    #[test]
    fn round_trip_and_rejections() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let t = k.issue_access(7, Role::Broker, 3).unwrap();
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

    #[test]
    fn other_algorithms_are_refused() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            org: 1,
            iat: now,
            exp: now + 60,
            iss: "tt-exchange".into(),
        };
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(
            k.verify_access(&hs512).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn expired_tokens_say_so() {
        let k = keys("tt-exchange", b"0123456789abcdef0123456789abcdef");
        let past = chrono::Utc::now().timestamp() - 3600;
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            org: 1,
            iat: past - 900,
            exp: past,
            iss: "tt-exchange".into(),
        };
        let t = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(
            k.verify_access(&t).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
    }
}
