use crate::common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use verifund::domain::roles::Role;

fn assert_problem(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "body: {body}");
    assert_eq!(body["status"], expected.as_u16(), "problem status member: {body}");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["code"].is_string(), "{body}");
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_and_returns_a_bearer_token() {
    let app = spawn_app().await;
    app.user("alice", &[Role::Requester], None, None).await;
    let (status, body) = app.json(app.post(None, "/api/v1/auth/login", json!({"username": "alice", "password": PASSWORD})).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["roles"], json!(["requester"]));
    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.json(app.get(Some(token), "/api/v1/me").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.user("alice", &[Role::Requester], None, None).await;
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "alice", "password": "wrong password"})).await;
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let (s1, b1) = app.json(res).await;
    let (s2, b2) = app.json(app.post(None, "/api/v1/auth/login", json!({"username": "nobody", "password": "wrong password"})).await).await;
    assert_eq!(ct, "application/problem+json");
    assert_problem(s1, &b1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, &b1), (s2, &b2));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after_even_for_the_right_password() {
    let app = spawn_app().await;
    app.user("alice", &[Role::Requester], None, None).await;
    for _ in 0..5 {
        let res = app.post(None, "/api/v1/auth/login", json!({"username": "alice", "password": "nope nope"})).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::LOCKED);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    let (_, body) = app.json(res).await;
    assert_eq!(body["code"], "account_locked");
    // An unknown username locks the same way, so lockout does not reveal which names exist.
    for _ in 0..5 {
        app.post(None, "/api/v1/auth/login", json!({"username": "ghost", "password": "nope nope"})).await;
    }
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "ghost", "password": "nope nope"})).await;
    assert_eq!(res.status(), StatusCode::LOCKED);
}

#[tokio::test]
async fn one_address_failing_on_many_accounts_is_throttled() {
    let app = spawn_app_with(|c| c.login.max_failures_per_ip = 4).await;
    for i in 0..4 {
        app.post(None, "/api/v1/auth/login", json!({"username": format!("u{i}"), "password": "nope nope"})).await;
    }
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "u9", "password": "nope nope"})).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

fn forge(secret: &[u8], claims: Value, alg: Algorithm) -> String {
    encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn secret(app: &TestApp) -> Vec<u8> {
    verifund::db::get_setting(&app.db, "jwt_secret").await.unwrap().unwrap().into_bytes()
}

fn claims(sub: i32, iat: i64, exp: i64, iss: &str, aud: &str) -> Value {
    json!({"sub": sub.to_string(), "iat": iat, "nbf": iat, "exp": exp, "iss": iss, "aud": aud, "ver": 0, "jti": "x"})
}

#[tokio::test]
async fn forged_expired_or_misaddressed_tokens_are_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice", &[Role::Admin], None, None).await;
    let key = secret(&app).await;
    let now = chrono::Utc::now().timestamp();
    let good = forge(&key, claims(alice.id, now, now + 600, "verifund", "verifund-api"), Algorithm::HS256);
    assert_eq!(app.get(Some(&good), "/api/v1/me").await.status(), StatusCode::OK, "the forging itself is right");

    let mut bad = vec![
        ("expired", forge(&key, claims(alice.id, now - 7200, now - 3600, "verifund", "verifund-api"), Algorithm::HS256)),
        ("wrong audience", forge(&key, claims(alice.id, now, now + 600, "verifund", "someone-else"), Algorithm::HS256)),
        ("wrong issuer", forge(&key, claims(alice.id, now, now + 600, "evil", "verifund-api"), Algorithm::HS256)),
        (
            "other key",
            forge(b"another secret entirely, 32 bytes!", claims(alice.id, now, now + 600, "verifund", "verifund-api"), Algorithm::HS256),
        ),
        ("HS512", forge(&key, claims(alice.id, now, now + 600, "verifund", "verifund-api"), Algorithm::HS512)),
        ("garbage", "not.a.token".to_owned()),
    ];
    let mut nyv = claims(alice.id, now + 3600, now + 7200, "verifund", "verifund-api");
    bad.push(("not yet valid", forge(&key, nyv.take(), Algorithm::HS256)));
    // alg "none": header {"alg":"none"}, the same claims, an empty signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims(alice.id, now, now + 600, "verifund", "verifund-api").to_string())
    );
    bad.push(("alg none", none));
    // Algorithm confusion: an RS256 header (as if signed with a public key) is refused by the
    // allow-list before any key is tried; a `kid` pointing anywhere changes nothing.
    let rs = format!(
        "{}.{}.{}",
        b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64.encode(claims(alice.id, now, now + 600, "verifund", "verifund-api").to_string()),
        b64.encode(b"not an rsa signature")
    );
    bad.push(("RS256 confusion", rs));
    let mut kid_header = Header::new(Algorithm::HS256);
    kid_header.kid = Some("../../../../dev/null' OR '1'='1".into());
    let kid = encode(&kid_header, &claims(alice.id, now, now + 600, "verifund", "verifund-api"), &EncodingKey::from_secret(b"")).unwrap();
    bad.push(("kid injection with an empty key", kid));
    // A valid token with one claim changed: the signature no longer matches.
    let parts: Vec<&str> = good.split('.').collect();
    let tampered_claims = claims(alice.id + 1, now, now + 6000, "verifund", "verifund-api");
    bad.push(("tampered", format!("{}.{}.{}", parts[0], b64.encode(tampered_claims.to_string()), parts[2])));
    for (what, token) in bad {
        let (status, body) = app.json(app.get(Some(&token), "/api/v1/me").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["code"], "unauthorized", "{what}");
    }
}

#[tokio::test]
async fn logout_revokes_every_token_of_the_user() {
    let app = spawn_app().await;
    let alice = app.user("alice", &[Role::Requester], None, None).await;
    let second = app.login("alice", PASSWORD).await;
    assert_eq!(app.send(Method::POST, Some(&alice.token), "/api/v1/auth/logout", None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(Some(&alice.token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(Some(&second), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let fresh = app.login("alice", PASSWORD).await;
    assert_eq!(app.get(Some(&fresh), "/api/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_user_is_refused_at_once_and_cannot_log_in() {
    let app = spawn_app().await;
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let bob = app.user("bob", &[Role::Requester], None, None).await;
    let (status, body) =
        app.json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", bob.id), json!({"disabled": true})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    assert_eq!(app.get(Some(&bob.token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "bob", "password": PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admin_endpoints_refuse_anonymous_callers_and_non_admins() {
    let app = spawn_app().await;
    let roles = [Role::Requester, Role::Manager, Role::Finance, Role::Auditor];
    let mut users = Vec::new();
    for (i, r) in roles.iter().enumerate() {
        users.push(app.user(&format!("u{i}"), &[*r], None, None).await);
    }
    let calls: [(Method, &str, Option<Value>); 6] = [
        (Method::GET, "/api/v1/users", None),
        (
            Method::POST,
            "/api/v1/users",
            Some(json!({"username": "x1", "display_name": "X", "password": "long enough", "roles": ["requester"]})),
        ),
        (Method::PATCH, "/api/v1/users/1", Some(json!({"disabled": true}))),
        (Method::GET, "/api/v1/departments", None),
        (Method::POST, "/api/v1/departments", Some(json!({"name": "新部门"}))),
        (Method::PATCH, "/api/v1/departments/1", Some(json!({"name": "改名"}))),
    ];
    for (method, path, body) in calls {
        let (status, problem) = app.json(app.send(method.clone(), None, path, body.clone()).await).await;
        assert_problem(status, &problem, StatusCode::UNAUTHORIZED);
        for u in &users {
            let (status, problem) = app.json(app.send(method.clone(), Some(&u.token), path, body.clone()).await).await;
            assert_problem(status, &problem, StatusCode::FORBIDDEN);
        }
    }
}

#[tokio::test]
async fn an_admin_manages_departments_and_users_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let (status, boss) = app
        .call(
            &admin.token,
            "/api/v1/users",
            json!({"username": "boss", "display_name": "老板", "password": "boss password", "roles": ["manager", "requester"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{boss}");
    assert_eq!(boss["must_change_password"], true);
    let (status, dept) = app.call(&admin.token, "/api/v1/departments", json!({"name": "财务部", "head_id": boss["id"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{dept}");
    assert_eq!(dept["head_name"], "老板");
    let (status, _) = app.call(&admin.token, "/api/v1/departments", json!({"name": "财务部"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, emp) = app
        .call(&admin.token, "/api/v1/users", json!({"username": "emp", "display_name": "员工", "password": "emp password", "roles": ["requester"], "department_id": dept["id"], "manager_id": boss["id"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{emp}");
    let (status, _) = app
        .call(
            &admin.token,
            "/api/v1/users",
            json!({"username": "emp", "display_name": "重复", "password": "emp password", "roles": ["requester"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A manager loop is refused.
    let (status, body) =
        app.json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", boss["id"]), json!({"manager_id": emp["id"]})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "manager_id");
    // Roles change; the user's old tokens stop working.
    let emp_token = app.login("emp", "emp password").await;
    let (status, body) = app
        .json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", emp["id"]), json!({"roles": ["requester", "finance"]})).await)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!(["requester", "finance"]));
    assert_eq!(app.get(Some(&emp_token), "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let (_, list) = app.json(app.get(Some(&admin.token), "/api/v1/users?q=em&per_page=10").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["username"], "emp");
    // An admin cannot lock themselves out.
    let (status, _) =
        app.json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", admin.id), json!({"disabled": true})).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_bodies_are_4xx_problems_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let raw = |body: &'static str, ct: &'static str| {
        app.client.post(app.url("/api/v1/users")).bearer_auth(&admin.token).header("content-type", ct).body(body).send()
    };
    let (status, body) = app.json(raw("{\"username\": ", "application/json").await.unwrap()).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .json(
            raw(r#"{"username":"x","display_name":"X","password":"long enough","roles":["requester"],"bogus":1}"#, "application/json")
                .await
                .unwrap(),
        )
        .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "bogus");
    let (status, body) = app
        .json(raw(r#"{"username":"x","display_name":"X","password":"long enough","roles":"admin"}"#, "application/json").await.unwrap())
        .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "roles");
    let (status, body) =
        app.json(raw(r#"{"username":"x","display_name":"X","password":"long enough"}"#, "application/json").await.unwrap()).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "roles");
    let (status, body) = app.json(raw(r#"{"username":"x"}"#, "text/plain").await.unwrap()).await;
    assert_problem(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!(r#"{{"username":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, body) = app.json(res).await;
    assert_problem(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = app.json(app.get(Some(&admin.token), "/api/v1/users/abc").await).await;
    assert!(status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::BAD_REQUEST, "{status} {body}");
    let (status, body) = app.json(app.patch(Some(&admin.token), "/api/v1/users/abc", json!({})).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("id"), "{body}");
    let (status, body) = app.json(app.get(Some(&admin.token), "/api/v1/users?page=zero").await).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "page");
    let (status, body) = app.json(app.get(None, "/api/v1/no-such-thing").await).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app.json(app.send(Method::DELETE, None, "/api/v1/auth/login", None).await).await;
    assert_problem(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn problems_speak_english_when_asked() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/me")).header("accept-language", "en-US,en;q=0.9").send().await.unwrap();
    let (_, body) = app.json(res).await;
    assert_eq!(body["title"], "Unauthorized");
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    let (_, body) = app.json(res).await;
    assert_eq!(body["title"], "未登录或登录已失效");
}

#[tokio::test]
async fn healthz_checks_the_database_and_the_ui_is_served_with_security_headers() {
    let app = spawn_app().await;
    let res = app.get(None, "/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.json::<Value>().await.unwrap()["database"], "ok");
    let res = app.get(None, "/some/spa/route").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(!h.contains_key("access-control-allow-origin"));
    let res = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/requests"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"), "CORS is closed by default");
}

#[tokio::test]
async fn the_openapi_document_matches_the_committed_snapshot() {
    let app = spawn_app().await;
    let (status, live) = app.json(app.get(None, "/api/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["openapi"].as_str().unwrap().split('.').take(2).collect::<Vec<_>>(), ["3", "1"]);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    let pretty = serde_json::to_string_pretty(&live).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("tests/snapshots/openapi.json (run with UPDATE_SNAPSHOTS=1 to create)");
    assert!(committed == pretty, "the API changed: review the diff and run the tests with UPDATE_SNAPSHOTS=1 to accept it");
    let docs = app.get(None, "/api/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("/api/docs.js"));
}

#[tokio::test]
async fn running_the_migrations_again_changes_nothing() {
    let app = spawn_app().await;
    let before = verifund::store::audit::verify_chain(&app.db).await.unwrap();
    let mut config = verifund::config::Config::new(app.data_dir.path().to_path_buf());
    config.database_url = Some(app.database_url.clone());
    let db = verifund::db::connect_and_migrate(&config).await.expect("second migration run");
    use migration::MigratorTrait;
    assert!(migration::Migrator::get_pending_migrations(&db).await.unwrap().is_empty());
    assert_eq!(verifund::store::audit::verify_chain(&db).await.unwrap(), before);
}

#[tokio::test]
async fn the_cli_adds_a_user_who_can_then_log_in() {
    let app = spawn_app().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args([
            "user",
            "add",
            "--username",
            "carol",
            "--display-name",
            "卡罗",
            "--role",
            "finance,requester",
            "--department",
            "财务部",
            "--password",
            "carol's password",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = app.login("carol", "carol's password").await;
    let (_, me) = app.json(app.get(Some(&token), "/api/v1/me").await).await;
    assert_eq!(me["roles"], json!(["requester", "finance"]));
    assert!(me["department_id"].is_i64());
    // A bad role is a clear error, not a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["user", "add", "--username", "dave", "--display-name", "D", "--role", "boss", "--password", "long enough"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}
