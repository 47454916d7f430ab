//! Single sign-on against a real OpenID provider (DESIGN §2.5): the PyPI package
//! `oidc-provider-mock` (authlib), started by each test as a separate process on a free port.
//! The whole redirect dance runs over HTTP with redirects off, as a browser would follow it.
use crate::common::*;
use reqwest::{Client, StatusCode, header::LOCATION};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use verifund::config::OidcConfig;
use verifund::domain::roles::Role;

/// The address verifund believes browsers use; the tests follow its redirects by path.
const PUBLIC_URL: &str = "http://verifund.test";

/// A running `oidc-provider-mock`, killed when dropped.
pub struct OidcProvider {
    child: Child,
    pub issuer: String,
    client: Client,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_has_provider() -> bool {
    Command::new("python3")
        .args(["-c", "import oidc_provider_mock"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the provider, or `None` (with a message) when the package is not installed; under
/// CI=true a missing package fails the test instead.
pub async fn start_provider() -> Option<OidcProvider> {
    if !python_has_provider() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "oidc-provider-mock is missing: python3 -m pip install oidc-provider-mock");
        eprintln!("skipped: the OpenID provider for this test is missing (python3 -m pip install oidc-provider-mock)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("port").port();
    let child = Command::new("python3")
        .args(["-W", "ignore", "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start oidc-provider-mock");
    let provider = OidcProvider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
        client: Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    };
    for _ in 0..150 {
        if let Ok(r) = provider.client.get(format!("{}/.well-known/openid-configuration", provider.issuer)).send().await
            && r.status() == StatusCode::OK
        {
            return Some(provider);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("oidc-provider-mock did not start on port {port}");
}

impl OidcProvider {
    /// Sets the claims the provider will put in `sub`'s ID token.
    pub async fn set_user(&self, sub: &str, claims: Value) {
        let r = self.client.put(format!("{}/users/{sub}", self.issuer)).json(&claims).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap_or_default());
    }

    pub fn oidc_config(&self, client_id: &str) -> OidcConfig {
        OidcConfig {
            issuer: self.issuer.clone(),
            client_id: client_id.to_owned(),
            client_secret: "verifund-secret".to_owned(),
            roles_claim: "roles".to_owned(),
            name: "测试身份源".to_owned(),
        }
    }
}

async fn sso_app(provider: &OidcProvider) -> TestApp {
    let oidc = provider.oidc_config("verifund");
    spawn_app_with(move |c| {
        c.sso.oidc = Some(oidc);
        c.sso.public_url = PUBLIC_URL.to_owned();
    })
    .await
}

fn no_redirects() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::FOUND, "expected a redirect");
    r.headers().get(LOCATION).expect("Location").to_str().unwrap().to_owned()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    let u = reqwest::Url::parse(url).unwrap();
    u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Where verifund's redirect to `{PUBLIC_URL}/…` lands on the test app.
fn on_app(app: &TestApp, url: &str) -> String {
    let rest = url.strip_prefix(PUBLIC_URL).unwrap_or_else(|| panic!("{url} is not under {PUBLIC_URL}"));
    app.url(rest)
}

/// The provider's half: starts at verifund's login, picks `sub` on the provider's page, and
/// answers the callback URL the provider sends the browser to.
async fn to_callback(app: &TestApp, sub: &str) -> String {
    let c = no_redirects();
    let authorize = location(&c.get(app.url("/api/v1/auth/oidc/login")).send().await.unwrap());
    let back = location(&c.post(&authorize).form(&[("sub", sub)]).send().await.unwrap());
    on_app(app, &back)
}

/// Follows the callback; `Ok(code)` for `/login/sso?code=…`, `Err(reason)` for `/login?sso_error=…`.
async fn callback(url: &str) -> Result<String, String> {
    let to = location(&no_redirects().get(url).send().await.unwrap());
    assert!(!to.contains("token"), "a token in a URL: {to}");
    let q = query(&to);
    if to.starts_with(&format!("{PUBLIC_URL}/login/sso?")) {
        Ok(q["code"].clone())
    } else {
        assert!(to.starts_with(&format!("{PUBLIC_URL}/login?")), "{to}");
        Err(q["sso_error"].clone())
    }
}

async fn exchange(app: &TestApp, code: &str) -> (StatusCode, Value) {
    app.json(app.post(None, "/api/v1/auth/sso/exchange", json!({"code": code})).await).await
}

/// The whole dance for `sub`: the signed-in user, or the reason it was refused.
async fn sign_in(app: &TestApp, sub: &str) -> Result<Value, String> {
    let url = to_callback(app, sub).await;
    let code = callback(&url).await?;
    let (s, body) = exchange(app, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    Ok(body)
}

#[tokio::test]
async fn sso_creates_the_user_with_name_and_roles_and_signs_the_same_user_in_again() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    let (s, offered) = app.json(app.get(None, "/api/v1/auth/providers").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(offered, json!({"password": true, "oidc": {"name": "测试身份源"}}));

    // The authorization request: code flow with PKCE (S256), state and nonce.
    let authorize = location(&no_redirects().get(app.url("/api/v1/auth/oidc/login")).send().await.unwrap());
    assert!(authorize.starts_with(&provider.issuer), "{authorize}");
    let q = query(&authorize);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "verifund");
    assert_eq!(q["redirect_uri"], format!("{PUBLIC_URL}/api/v1/auth/oidc/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43 && q["state"].len() >= 16 && q["nonce"].len() >= 16, "{q:?}");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));

    provider
        .set_user(
            "u-wang",
            json!({"preferred_username": "wang.wu", "name": "王五", "email": "wang.wu@example.com",
                   "roles": ["manager", "offline_access"]}),
        )
        .await;
    let first = sign_in(&app, "u-wang").await.expect("signed in");
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["user"]["username"], "wang.wu");
    assert_eq!(first["user"]["display_name"], "王五");
    assert_eq!(first["user"]["email"], "wang.wu@example.com");
    assert_eq!(first["user"]["roles"], json!(["manager"]));
    let token = first["access_token"].as_str().unwrap();
    let (s, me) = app.json(app.get(Some(token), "/api/v1/me").await).await;
    assert_eq!((s, me["id"].clone()), (StatusCode::OK, first["user"]["id"].clone()));
    // The account has no password anyone could guess.
    let (s, _) = app.json(app.post(None, "/api/v1/auth/login", json!({"username": "wang.wu", "password": ""})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Signing in again is the same user, with the roles the provider now lists.
    provider.set_user("u-wang", json!({"preferred_username": "wang.wu", "name": "王五", "roles": ["finance"]})).await;
    let again = sign_in(&app, "u-wang").await.expect("signed in again");
    assert_eq!(again["user"]["id"], first["user"]["id"]);
    assert_eq!(again["user"]["roles"], json!(["finance"]));
    let (s, users) =
        app.json(app.get(Some(&app.user("root", &[Role::Admin], None, None).await.token), "/api/v1/users?per_page=200").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(users["items"].as_array().unwrap().iter().filter(|u| u["username"] == "wang.wu").count(), 1);

    // The login is in the security log like a password login.
    let admin = app.login("root", PASSWORD).await;
    let (_, audit) = app.json(app.get(Some(&admin), "/api/v1/audit?action=login&per_page=50").await).await;
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["actor_id"] == first["user"]["id"]), "{audit}");
}

#[tokio::test]
async fn the_exchange_code_works_once() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    provider.set_user("u-once", json!({"preferred_username": "once", "name": "一次"})).await;
    let url = to_callback(&app, "u-once").await;
    let code = callback(&url).await.expect("code");
    let (s, first) = exchange(&app, &code).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (s, second) = exchange(&app, &code).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{second}");
    assert!(second.get("access_token").is_none());
    let (s, _) = exchange(&app, "not-a-code").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.json(app.post(None, "/api/v1/auth/sso/exchange", json!({})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_exchange_code_expires_after_a_minute_and_a_sign_in_after_ten() {
    let Some(provider) = start_provider().await else { return };
    let clock = Arc::new(verifund::clock::FixedClock::new(chrono::Utc::now()));
    let oidc = provider.oidc_config("verifund");
    let app = spawn_app_full(
        move |c| {
            c.sso.oidc = Some(oidc);
            c.sso.public_url = PUBLIC_URL.to_owned();
        },
        clock.clone(),
    )
    .await;
    provider.set_user("u-late", json!({"preferred_username": "late", "name": "迟到"})).await;
    let url = to_callback(&app, "u-late").await;
    let code = callback(&url).await.expect("code");
    clock.set(clock.now_for_test() + chrono::Duration::seconds(61));
    let (s, _) = exchange(&app, &code).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A sign-in left at the provider for more than ten minutes is void.
    let url = to_callback(&app, "u-late").await;
    clock.set(clock.now_for_test() + chrono::Duration::minutes(11));
    assert_eq!(callback(&url).await.unwrap_err(), "state");
}

#[tokio::test]
async fn first_sign_in_links_the_user_with_that_username() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    let existing = app.user("zhao.liu", &[Role::Finance, Role::Requester], None, None).await;
    // Values that are no verifund role leave the roles as they are.
    provider.set_user("u-zhao", json!({"preferred_username": "zhao.liu", "name": "赵六", "roles": ["offline_access"]})).await;
    let linked = sign_in(&app, "u-zhao").await.expect("linked");
    assert_eq!(linked["user"]["id"], existing.id);
    assert_eq!(linked["user"]["roles"], json!(["requester", "finance"]));
    // From now on the provider's subject finds the user, whatever username the claim says.
    provider.set_user("u-zhao", json!({"preferred_username": "someone.else", "name": "赵六"})).await;
    let again = sign_in(&app, "u-zhao").await.expect("signed in");
    assert_eq!(again["user"]["id"], existing.id);
    // Another person at the provider claiming the same username does not take the account over.
    provider.set_user("u-impostor", json!({"preferred_username": "zhao.liu", "name": "冒名"})).await;
    assert_eq!(sign_in(&app, "u-impostor").await.unwrap_err(), "account");
}

#[tokio::test]
async fn forged_and_replayed_callbacks_land_on_the_login_page_without_a_token() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    provider.set_user("u-r", json!({"preferred_username": "replay", "name": "重放"})).await;

    // A state verifund never issued, with a real code from the provider.
    let url = to_callback(&app, "u-r").await;
    let real = query(&url);
    let forged = app.url(&format!("/api/v1/auth/oidc/callback?code={}&state=forged-state-value", real["code"]));
    assert_eq!(callback(&forged).await.unwrap_err(), "state");
    assert_eq!(callback(&app.url("/api/v1/auth/oidc/callback")).await.unwrap_err(), "state");

    // The genuine callback works once; replayed, its state is spent.
    let fresh = to_callback(&app, "u-r").await;
    callback(&fresh).await.expect("first use");
    assert_eq!(callback(&fresh).await.unwrap_err(), "state");

    // The user declined at the provider.
    let c = no_redirects();
    let authorize = location(&c.get(app.url("/api/v1/auth/oidc/login")).send().await.unwrap());
    let back = location(&c.post(&authorize).form(&[("action", "deny")]).send().await.unwrap());
    assert!(query(&back).contains_key("error"), "{back}");
    assert_eq!(callback(&on_app(&app, &back)).await.unwrap_err(), "provider");

    // A state verifund issued but whose code is not the provider's.
    let authorize = location(&c.get(app.url("/api/v1/auth/oidc/login")).send().await.unwrap());
    let state = query(&authorize)["state"].clone();
    let bad_code = app.url(&format!("/api/v1/auth/oidc/callback?code=made-up&state={state}"));
    assert_eq!(callback(&bad_code).await.unwrap_err(), "exchange");

    // Each refusal is in the security log.
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let (_, audit) = app.json(app.get(Some(&admin.token), "/api/v1/audit?action=login_failed&per_page=50").await).await;
    assert!(audit["items"].as_array().unwrap().len() >= 4, "{audit}");
}

#[tokio::test]
async fn an_id_token_for_another_client_or_from_another_issuer_is_refused() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    // The provider signs what its user's claims say: a token whose audience is another client,
    // or whose issuer is not the one verifund trusts.
    provider.set_user("u-aud", json!({"preferred_username": "aud", "aud": "another-client"})).await;
    assert_eq!(sign_in(&app, "u-aud").await.unwrap_err(), "audience");
    provider.set_user("u-iss", json!({"preferred_username": "iss", "iss": "http://evil.example"})).await;
    assert_eq!(sign_in(&app, "u-iss").await.unwrap_err(), "issuer");

    // A verifund configured with another client id: the provider's code is not for it.
    let other_provider_config = provider.oidc_config("another-client");
    let other = spawn_app_with(move |c| {
        c.sso.oidc = Some(other_provider_config);
        c.sso.public_url = PUBLIC_URL.to_owned();
    })
    .await;
    provider.set_user("u-ok", json!({"preferred_username": "ok.user"})).await;
    let url = to_callback(&app, "u-ok").await;
    let c = no_redirects();
    let authorize = location(&c.get(other.url("/api/v1/auth/oidc/login")).send().await.unwrap());
    let state = query(&authorize)["state"].clone();
    let swapped = other.url(&format!("/api/v1/auth/oidc/callback?code={}&state={state}", query(&url)["code"]));
    assert!(callback(&swapped).await.is_err());

    let (s, users) =
        app.json(app.get(Some(&app.user("root", &[Role::Admin], None, None).await.token), "/api/v1/users?per_page=200").await).await;
    assert_eq!(s, StatusCode::OK);
    assert!(users["items"].as_array().unwrap().iter().all(|u| u["username"] != "aud" && u["username"] != "iss"), "{users}");
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_through_the_provider() {
    let Some(provider) = start_provider().await else { return };
    let app = sso_app(&provider).await;
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let gone = app.user("left.company", &[Role::Requester], None, None).await;
    provider.set_user("u-gone", json!({"preferred_username": "left.company"})).await;
    sign_in(&app, "u-gone").await.expect("linked while active");
    let (s, _) = app.json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", gone.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sign_in(&app, "u-gone").await.unwrap_err(), "disabled");
}

#[tokio::test]
async fn an_unreachable_provider_does_not_stop_the_server_and_login_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(move |c| {
        c.sso.oidc = Some(OidcConfig {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: "verifund".into(),
            client_secret: "s".into(),
            roles_claim: "roles".into(),
            name: "SSO".into(),
        });
        c.sso.public_url = PUBLIC_URL.to_owned();
    })
    .await;
    let r = no_redirects().get(app.url("/api/v1/auth/oidc/login")).send().await.unwrap();
    assert_eq!(location(&r), format!("{PUBLIC_URL}/login?sso_error=unavailable"));
    // Without single sign-on configured, the same start says so.
    let plain = spawn_app().await;
    let r = no_redirects().get(plain.url("/api/v1/auth/oidc/login")).send().await.unwrap();
    assert!(location(&r).ends_with("/login?sso_error=not_configured"));
    let (_, offered) = plain.json(plain.get(None, "/api/v1/auth/providers").await).await;
    assert_eq!(offered, json!({"password": true}));
}

#[tokio::test]
async fn password_login_off_refuses_everyone_but_the_break_glass_admin() {
    let app = spawn_app_with(|c| {
        c.sso.password_login = false;
        c.sso.break_glass_admin = Some("rescue".into());
    })
    .await;
    let (_, offered) = app.json(app.get(None, "/api/v1/auth/providers").await).await;
    assert_eq!(offered["password"], false);
    let rescue = app.user("rescue", &[Role::Admin], None, None).await;
    let (s, _) = app.json(app.get(Some(&rescue.token), "/api/v1/me").await).await;
    assert_eq!(s, StatusCode::OK);
    verifund::store::users::create(
        &app.db,
        verifund::store::users::NewUser {
            username: "staff".into(),
            display_name: "员工".into(),
            email: None,
            password: PASSWORD.into(),
            roles: [Role::Requester].into_iter().collect(),
            department_id: None,
            manager_id: None,
            must_change_password: false,
        },
        &verifund::store::users::Operator::cli(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let (s, body) = app.json(app.post(None, "/api/v1/auth/login", json!({"username": "staff", "password": PASSWORD})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap_or_default().contains("密码登录已关闭"), "{body}");
    assert!(body.get("access_token").is_none());
}
