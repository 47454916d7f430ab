//! The web UI in a real browser (Debian's Chromium through playwright-core) against the real
//! router with the embedded UI, and the frontend's unit tests. Under CI=true a missing
//! browser or npm fails; elsewhere these tests say why they skipped.
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

fn frontend() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("frontend")
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().map(|o| o.status.success()).unwrap_or(false)
}

#[tokio::test]
async fn the_frontend_unit_tests_pass() {
    if !have("npm", "--version") {
        assert!(!in_ci(), "npm is required under CI");
        eprintln!("skipped: npm is not installed");
        return;
    }
    let out = Command::new("npm").args(["test", "--silent"]).current_dir(frontend()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "vitest failed:\n{text}");
}

/// Seeds a fresh app with `verifund demo seed <seed_args>`, then runs `frontend/e2e/<script>`
/// in Chromium against it (screenshots in tests/artifacts/<artifacts>-<backend>/); the run's
/// output, or `None` when there is no browser outside CI.
async fn browser_run(seed_args: &[&str], script: &str, artifacts: &str) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() || !have("node", "--version") {
        assert!(!in_ci(), "Chromium ({chromium}) and node are required under CI");
        eprintln!("skipped: no browser at {chromium} or no node");
        return None;
    }
    let app = spawn_app().await;
    let seed = Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["demo", "seed"])
        .args(seed_args)
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts").join(format!("{artifacts}-{}", backend_name()));
    let (app_base, script) = (app.base.clone(), format!("e2e/{script}"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .current_dir(frontend())
            .env("BASE_URL", app_base)
            .env("ARTIFACTS_DIR", &artifacts)
            .env("CHROMIUM", chromium)
            .env("ADMIN_PASSWORD", "verifund-demo")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser run failed:\n{text}");
    Some(text)
}

#[tokio::test]
async fn a_request_goes_from_draft_to_refunded_in_the_browser() {
    if let Some(text) = browser_run(&["--requests", "3"], "run.mjs", "e2e").await {
        assert!(text.contains("incl. payout and refund"), "the run must carry the request to refunded:\n{text}");
    }
}

/// A manager on a 390 px phone approves several to-do cards in one go; finance's dashboard
/// draws both charts from the living demo history (screenshots in tests/artifacts/).
#[tokio::test]
async fn a_manager_batch_approves_on_a_phone_and_finance_sees_the_charts() {
    if let Some(text) = browser_run(&[], "workbench.mjs", "workbench").await {
        assert!(text.contains("PASS"), "{text}");
    }
}

#[tokio::test]
async fn the_typed_api_client_matches_the_servers_openapi_document() {
    if !have("npm", "--version") {
        assert!(!in_ci(), "npm is required under CI");
        eprintln!("skipped: npm is not installed");
        return;
    }
    let app = spawn_app().await;
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("npm").args(["run", "--silent", "gen:api", "--", "--check"]).env("VERIFUND_URL", base).current_dir(frontend()).output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "frontend/src/api/schema.d.ts is stale; run `npm run gen:api` against a running server:\n{text}");
    assert!(!text.contains("operationId"), "operation ids must be unique:\n{text}");
}

/// One click on "使用企业账号登录" goes through a real OpenID provider and lands signed in.
#[tokio::test]
async fn a_user_signs_in_with_the_company_account_in_the_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() || !have("node", "--version") {
        assert!(!in_ci(), "Chromium ({chromium}) and node are required under CI");
        eprintln!("skipped: no browser at {chromium} or no node");
        return;
    }
    let Some(provider) = crate::sso::start_provider().await else { return };
    provider.set_user("e2e-sso", serde_json::json!({"preferred_username": "sso.zhang", "name": "张企业", "roles": ["requester"]})).await;
    let oidc = provider.oidc_config("verifund");
    let app = spawn_app_at(
        move |c, base| {
            c.sso.oidc = Some(oidc);
            c.sso.public_url = base.to_owned();
        },
        std::sync::Arc::new(verifund::clock::SystemClock),
    )
    .await;
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts").join(format!("sso-{}", backend_name()));
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("e2e/sso.mjs")
            .current_dir(frontend())
            .env("BASE_URL", base)
            .env("ARTIFACTS_DIR", &artifacts)
            .env("CHROMIUM", chromium)
            .env("SSO_SUB", "e2e-sso")
            .env("SSO_NAME", "张企业")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("PASS"), "the SSO browser run failed:\n{text}");
}
