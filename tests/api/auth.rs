//! Registration, sign-in, tokens, refresh rotation, logout and throttling.

use awc::http::Method;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tt_exchange::db::schema::{login_failures, users};

use crate::faults::{Task, join_all};
use crate::helpers::{Account, JWT_SECRET, PASSWORD, Resp, TestApp, spawn_app, spawn_app_with};

fn claims_of(token: &str) -> Value {
    use base64_url::decode;
    let payload = token.split('.').nth(1).expect("jwt has a payload");
    serde_json::from_slice(&decode(payload)).expect("payload is JSON")
}

/// Minimal base64url decoding for reading (not verifying) a JWT payload in tests.
mod base64_url {
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            _ => 63,
        };
        let mut out = Vec::new();
        let (mut buf, mut bits) = (0u32, 0);
        for c in s.bytes().filter(|c| *c != b'=') {
            buf = (buf << 6) | u32::from(val(c));
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
            }
        }
        out
    }
}

#[actix_rt::test]
async fn registering_creates_an_unverified_org_and_its_first_user() {
    let app = spawn_app().await;
    let account = Account::university().org("  西北工业大学  ", "university", "610100");
    let r = app.register(&account).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["role"], "university");
    assert_eq!(r.body["user"]["email"], account.email);
    assert!(r.body["user"].get("password_hash").is_none());
    assert_eq!(r.body["org"]["name"], "西北工业大学");
    assert_eq!(r.body["org"]["kind"], "university");
    assert_eq!(r.body["org"]["verified"], false);
    assert_eq!(r.body["user"]["org_id"], r.body["org"]["id"]);
}

#[actix_rt::test]
async fn institutes_register_university_users_and_agencies_brokers() {
    let app = spawn_app().await;
    app.registered(&Account::university().org("中科院西安光机所", "institute", "610100"))
        .await;
    app.registered(&Account::broker()).await;
    app.registered(&Account::enterprise().org("宝鸡钛业股份", "enterprise", "610300"))
        .await;
}

#[actix_rt::test]
async fn staff_roles_cannot_register_themselves() {
    let app = spawn_app().await;
    for role in ["admin", "statistician"] {
        let r = app.register(&Account::broker().role(role)).await;
        r.assert_error(422, "role_not_self_registrable");
    }
    app.register(&Account::broker().role("overlord"))
        .await
        .assert_error(400, "invalid_role");
}

#[actix_rt::test]
async fn the_role_must_fit_the_org_kind() {
    let app = spawn_app().await;
    let cases = [
        ("university", "enterprise"),
        ("enterprise", "university"),
        ("broker", "institute"),
        ("enterprise", "agency"),
    ];
    for (role, kind) in cases {
        let r = app
            .register(
                &Account::university()
                    .role(role)
                    .org("某某单位", kind, "610100"),
            )
            .await;
        r.assert_error(422, "role_org_kind_mismatch");
    }
    let r = app
        .register(&Account::university().org("某某单位", "guild", "610100"))
        .await;
    r.assert_error(400, "invalid_org_kind");
}

#[actix_rt::test]
async fn naming_an_existing_org_does_not_join_it() {
    let app = spawn_app().await;
    app.registered(&Account::university().org("西安交通大学", "university", "610100"))
        .await;
    let intruder = Account::university().org(" 西安交通大学 ", "university", "610100");
    app.register(&intruder)
        .await
        .assert_error(409, "org_name_taken");
    // Nothing was stored for the refused registration.
    app.login(&intruder.email, PASSWORD)
        .await
        .assert_error(401, "invalid_credentials");
    let upper = Account::enterprise().org("XJTU Tech", "enterprise", "610100");
    app.registered(&upper).await;
    app.register(&Account::enterprise().org("xjtu   tech", "enterprise", "610100"))
        .await
        .assert_error(409, "org_name_taken");
}

#[actix_rt::test]
async fn one_account_per_email() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let again = Account::enterprise().email(&a.email.to_uppercase());
    app.register(&again).await.assert_error(409, "email_taken");
}

#[actix_rt::test]
async fn registration_fields_are_validated() {
    let app = spawn_app().await;
    app.register(&Account::university().email("not-an-email"))
        .await
        .assert_error(400, "invalid_email");
    app.register(&Account::university().password("short"))
        .await
        .assert_error(400, "invalid_password");
    app.register(&Account::university().password(&"长".repeat(129)))
        .await
        .assert_error(400, "invalid_password");
    for weak in [
        "1234567890",
        "password123",
        "qwertyuiop",
        "woaini1314",
        "aaaaaaaaaaaa",
    ] {
        app.register(&Account::university().password(weak))
            .await
            .assert_error(422, "weak_password");
    }
    app.register(&Account::university().org("某大学", "university", "999999"))
        .await
        .assert_error(400, "invalid_region");
    app.register(&Account::university().org("某", "university", "610100"))
        .await
        .assert_error(400, "invalid_org_name");
    let mut both = Account::university();
    both.invitation_token = Some("inv_x".into());
    app.register(&both)
        .await
        .assert_error(400, "org_or_invitation_required");
    let mut neither = Account::university();
    neither.org = None;
    app.register(&neither)
        .await
        .assert_error(400, "org_or_invitation_required");
}

#[actix_rt::test]
async fn passwords_are_stored_as_argon2id_with_owasp_parameters() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let email = a.email.clone();
    let hash: String = app
        .db
        .read(move |conn| {
            Ok(users::table
                .filter(users::email.eq(email))
                .select(users::password_hash)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[actix_rt::test]
async fn login_returns_a_pinned_short_lived_jwt_and_a_refresh_token() {
    let app = spawn_app().await;
    let a = Account::enterprise();
    let (user_id, org_id) = app.registered(&a).await;
    let r = app.login(&a.email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    let token = r.body["access_token"].as_str().unwrap();
    let header: Value =
        serde_json::from_slice(&base64_url::decode(token.split('.').next().unwrap())).unwrap();
    assert_eq!(header["alg"], "HS256");
    let c = claims_of(token);
    assert_eq!(c["sub"], user_id.to_string());
    assert_eq!(c["role"], "enterprise");
    assert_eq!(c["org"], org_id);
    assert_eq!(c["iss"], "tt-exchange");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert!(r.body["refresh_token"].as_str().unwrap().len() >= 64);

    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["user"]["id"], user_id);
    assert_eq!(me.body["org"]["id"], org_id);
}

#[actix_rt::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let wrong = app.login(&a.email, "not-the-password-1").await;
    wrong.assert_error(401, "invalid_credentials");
    let unknown = app.login("nobody@example.cn", "not-the-password-1").await;
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
}

#[actix_rt::test]
async fn disabled_accounts_cannot_sign_in() {
    let app = spawn_app().await;
    let a = Account::university();
    let (user_id, _) = app.registered(&a).await;
    app.db
        .write(move |conn| {
            Ok(diesel::update(users::table.find(user_id))
                .set(users::is_active.eq(false))
                .execute(conn)?)
        })
        .await
        .unwrap();
    app.login(&a.email, PASSWORD)
        .await
        .assert_error(403, "account_disabled");
}

#[actix_rt::test]
async fn me_needs_a_valid_token() {
    let app = spawn_app().await;
    let a = Account::university();
    let (user_id, org_id) = app.registered(&a).await;
    app.get("/api/v1/me", None)
        .await
        .assert_error(401, "missing_authorization");
    app.get("/api/v1/me", Some("garbage"))
        .await
        .assert_error(401, "invalid_token");
    let r = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .insert_header(("Authorization", "Basic dXNlcjpwYXNz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, exp: i64, iss: &str| json!({"sub": user_id.to_string(), "role": "admin", "org": org_id, "iat": iat, "exp": exp, "iss": iss});
    let sign = |alg: Algorithm, secret: &str, c: &Value| {
        jsonwebtoken::encode(
            &Header::new(alg),
            c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let forged = sign(
        Algorithm::HS256,
        "another-secret-another-secret-another",
        &claims(now, now + 600, "tt-exchange"),
    );
    app.get("/api/v1/me", Some(&forged))
        .await
        .assert_error(401, "invalid_token");
    let other_alg = sign(
        Algorithm::HS384,
        JWT_SECRET,
        &claims(now, now + 600, "tt-exchange"),
    );
    app.get("/api/v1/me", Some(&other_alg))
        .await
        .assert_error(401, "invalid_token");
    let other_iss = sign(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(now, now + 600, "evil"),
    );
    app.get("/api/v1/me", Some(&other_iss))
        .await
        .assert_error(401, "invalid_token");
    let expired = sign(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(now - 2000, now - 1000, "tt-exchange"),
    );
    app.get("/api/v1/me", Some(&expired))
        .await
        .assert_error(401, "token_expired");
    let unsigned = format!(
        "{}.{}.",
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
        forged.split('.').nth(1).unwrap()
    );
    app.get("/api/v1/me", Some(&unsigned))
        .await
        .assert_error(401, "invalid_token");
    // The right secret, algorithm and issuer work (the test would pass vacuously otherwise).
    let good = sign(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(now, now + 600, "tt-exchange"),
    );
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.status, 200);
}

#[actix_rt::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let app = spawn_app().await;
    let a = Account::broker();
    app.registered(&a).await;
    let first = app.login(&a.email, PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let second = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(
        app.get("/api/v1/me", Some(r.body["access_token"].as_str().unwrap()))
            .await
            .status,
        200
    );

    // Someone replays the spent token: refused, and the live one dies with it.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": first}),
    )
    .await
    .assert_error(401, "refresh_token_reused");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": second}),
    )
    .await
    .assert_error(401, "invalid_refresh_token");

    // Another session of the same user is unaffected.
    let other = app.login(&a.email, PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other})
        )
        .await
        .status,
        200
    );
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": "rt_nonsense"}),
    )
    .await
    .assert_error(401, "invalid_refresh_token");
}

#[actix_rt::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let a = Account::university();
    app.registered(&a).await;
    let rt = app.login(&a.email, PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post("/api/v1/auth/logout", None, &json!({"refresh_token": rt}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": rt}))
        .await
        .assert_error(401, "invalid_refresh_token");
    // Unknown tokens log out quietly too.
    assert_eq!(
        app.post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": "rt_x"})
        )
        .await
        .status,
        204
    );
}

#[actix_rt::test]
async fn repeated_failures_for_one_email_are_slowed_with_429() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_email = 3;
        s.login_max_failures_per_ip = 100;
    })
    .await;
    let a = Account::university();
    app.registered(&a).await;
    for _ in 0..3 {
        app.login(&a.email, "wrong-password-xx")
            .await
            .assert_error(401, "invalid_credentials");
    }
    // Even the right password waits now.
    let r = app.login(&a.email, PASSWORD).await;
    r.assert_error(429, "too_many_login_attempts");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // Other accounts are not affected.
    let b = Account::enterprise();
    app.registered(&b).await;
    assert_eq!(app.login(&b.email, PASSWORD).await.status, 200);
}

#[actix_rt::test]
async fn a_successful_sign_in_forgives_earlier_failures() {
    let app = spawn_app_with(|s| s.login_max_failures_per_email = 3).await;
    let a = Account::university();
    app.registered(&a).await;
    for _ in 0..2 {
        app.login(&a.email, "wrong-password-xx")
            .await
            .assert_error(401, "invalid_credentials");
    }
    assert_eq!(app.login(&a.email, PASSWORD).await.status, 200);
    for _ in 0..2 {
        app.login(&a.email, "wrong-password-xx")
            .await
            .assert_error(401, "invalid_credentials");
    }
    assert_eq!(app.login(&a.email, PASSWORD).await.status, 200);
}

#[actix_rt::test]
async fn repeated_failures_from_one_address_are_slowed_with_429() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_email = 100;
        s.login_max_failures_per_ip = 4;
    })
    .await;
    for i in 0..4 {
        app.login(&format!("guess{i}@example.cn"), "wrong-password-xx")
            .await
            .assert_error(401, "invalid_credentials");
    }
    let r = app.login("guess9@example.cn", "wrong-password-xx").await;
    r.assert_error(429, "too_many_login_attempts");
    assert!(r.header("retry-after").is_some());
}

/// Signs in to `email` from the client address `client` (behind `X-Forwarded-For`).
async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Resp {
    app.request_with_headers(
        Method::POST,
        "/api/v1/auth/login",
        &[("X-Forwarded-For", client)],
        None,
        Some(&json!({"email": email, "password": password})),
    )
    .await
}

/// Wrong passwords for `email` from `guesser` up to the limit; then the right one from
/// `then` must be slowed.
async fn lock_out(app: &TestApp, guesser: &str, then: &str, email: &str) {
    for _ in 0..app.settings.login_max_failures_per_email {
        login_from(app, guesser, email, "wrong-password-xx")
            .await
            .assert_error(401, "invalid_credentials");
    }
    login_from(app, then, email, PASSWORD)
        .await
        .assert_error(429, "too_many_login_attempts");
}

#[actix_rt::test]
async fn wrong_passwords_from_one_client_do_not_lock_the_owner_out_from_another() {
    let app = spawn_app_with(|s| s.client_ip_header = Some("X-Forwarded-For".into())).await;
    let admin = "admin-lockout@qcy.example.cn";
    app.create_user_directly(admin, "admin", None).await;
    // The attacker's client is slowed, even with the right password ...
    let attacker = "203.0.113.66";
    lock_out(&app, attacker, attacker, admin).await;
    // ... the owner elsewhere is not. An IPv6 /64 is one client: another address in the
    // attacker's /64 is slowed, an address in the next /64 is not.
    let owner = |client| login_from(&app, client, admin, PASSWORD);
    assert_eq!(owner("198.51.100.20").await.status, 200);
    lock_out(&app, "2001:db8:66:1::1", "2001:db8:66:1:ffff::2", admin).await;
    assert_eq!(owner("2001:db8:66:2::1").await.status, 200);
    // What the database counts: pairs and clients, IPv6 by its /64, never a bare email.
    let mut subjects: Vec<String> = app
        .db
        .read(|conn| {
            Ok(login_failures::table
                .select(login_failures::subject)
                .distinct()
                .load(conn)?)
        })
        .await
        .unwrap();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "client:2001:db8:66:1::/64",
            "client:203.0.113.66",
            format!("email+client:{admin}|2001:db8:66:1::/64").as_str(),
            format!("email+client:{admin}|203.0.113.66").as_str(),
        ]
    );
}

#[actix_rt::test]
async fn concurrent_wrong_guesses_cannot_pass_the_limit_together() {
    let app = spawn_app_with(|s| {
        s.client_ip_header = Some("X-Forwarded-For".into());
        s.login_max_failures_per_email = 3;
        s.workers = Some(2);
        s.db_pool_size = 8;
    })
    .await;
    let a = Account::university();
    app.registered(&a).await;
    let guesses: Vec<Task<'_, Resp>> = (0..24)
        .map(|i| {
            let (app, email) = (&app, a.email.clone());
            Box::pin(async move {
                login_from(app, "198.51.100.99", &email, &format!("wrong-password-{i}")).await
            }) as Task<'_, Resp>
        })
        .collect();
    let answers = join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == 401).count();
    let slowed = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + slowed, answers.len(), "only 401 or 429");
    assert!(
        checked <= 3,
        "{checked} guesses were checked, the limit is 3"
    );
    assert!(checked >= 1, "the first guess is checked");
    // The right password from elsewhere still works.
    assert_eq!(
        login_from(&app, "198.51.100.100", &a.email, PASSWORD)
            .await
            .status,
        200
    );
}

/// The lock itself, with the race window held open: a first attempt that has checked and
/// counted but not committed makes a second one on the same subject wait, and then see
/// the first's failure (without the lock, PostgreSQL's second check would read 0).
#[actix_rt::test]
async fn a_throttle_check_waits_for_an_attempt_in_flight_on_the_same_subject() {
    use tt_exchange::auth::throttle;
    use tt_exchange::error::ErrorCode;
    let app = spawn_app().await;
    let client = "192.0.2.7";
    let limits = vec![
        (throttle::pair_subject("race@example.cn", client), 1),
        (throttle::client_subject(client), 100),
    ];
    let window = chrono::Duration::minutes(15);
    let now = chrono::Utc::now().naive_utc();
    let (db, first_limits) = (app.db.clone(), limits.clone());
    let first = std::thread::spawn(move || {
        db.write_blocking(|conn| {
            let attempt = throttle::begin(conn, &first_limits, window, now)?;
            std::thread::sleep(std::time::Duration::from_millis(400));
            Ok(attempt)
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    let db = app.db.clone();
    let second = std::thread::spawn(move || {
        db.write_blocking(|conn| throttle::begin(conn, &limits, window, now))
    });
    assert!(first.join().expect("first thread").is_ok());
    let second = second.join().expect("second thread");
    assert_eq!(
        second.map(|_| ()).map_err(|e| e.code()),
        Err(ErrorCode::TooManyLoginAttempts)
    );
}
