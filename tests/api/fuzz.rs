//! API fuzzing with schemathesis (from PyPI) over /api/openapi.json, once per role: no
//! response is a 5xx and every response matches the documented schema. Under CI=true a
//! missing schemathesis fails; elsewhere the test says why it skipped.
use crate::common::*;
use std::process::Command;

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch_for_any_role() {
    if Command::new("schemathesis").arg("--version").output().is_err() {
        assert!(
            !matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1")),
            "schemathesis is required under CI (pip install schemathesis)"
        );
        eprintln!("skipped: schemathesis is not installed");
        return;
    }
    let app = spawn_app().await;
    let seed = Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["demo", "seed", "--requests", "3"])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(seed.status.success());
    // Log everyone in first: the fuzzed login attempts soon throttle this address (as they should).
    let mut sessions = Vec::new();
    for user in ["zhangsan", "lisi", "wangwu", "sunqi", "admin"] {
        sessions.push((user, app.login(user, "verifund-demo").await));
    }
    for (user, token) in sessions {
        let base = app.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("schemathesis")
                .args(["run", &format!("{base}/api/openapi.json")])
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .args(["--checks", "not_a_server_error,response_schema_conformance"])
                .args(["--max-examples", "10", "--workers", "1", "--seed", "20261130"])
                // Logging out or changing the password would end the run's own session.
                .args(["--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/me/password"])
                .env("NO_COLOR", "1")
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "schemathesis as {user} found problems:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A short coverage-guided run (cargo fuzz, libFuzzer with AddressSanitizer) of the parsers a
/// client can reach (`parsers/`): amounts, identifiers, statement mappings, bank statements
/// (CSV, xls and xlsx).
/// .ci/run builds the target first; here it runs for 20 seconds and must find nothing.
#[tokio::test]
async fn the_parsers_survive_a_short_fuzzing_run() {
    let has_cargo_fuzz = Command::new("cargo").args(["fuzz", "--version"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !has_cargo_fuzz {
        assert!(
            !matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1")),
            "cargo-fuzz is required under CI (cargo install cargo-fuzz)"
        );
        eprintln!("skipped: cargo-fuzz is not installed");
        return;
    }
    let out = tokio::task::spawn_blocking(|| {
        Command::new("cargo")
            .args(["fuzz", "run", "parsers", "--", "-max_total_time=20", "-rss_limit_mb=2048", "-print_final_stats=1"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            // cargo fuzz needs nightly flags.
            .env("RUSTC_BOOTSTRAP", "1")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the fuzzer found a crash:\n{}",
        err.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    assert!(err.contains("Done ") && err.contains(" runs in "), "the fuzzer ran:\n{err}");
}
