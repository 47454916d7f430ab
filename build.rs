//! Builds the web UI (frontend/, Vue + Vite) into OUT_DIR/ui so that the binary embeds it.
//!
//! Cargo runs this only when a file under frontend/ changed (see the rerun-if-changed lines),
//! so Rust-only rebuilds do not pay for it. `npm ci` runs when node_modules is missing or
//! older than package-lock.json. Without npm the build fails with a clear message; set
//! VERIFUND_SKIP_UI=1 to build a binary whose UI page says that it was built without one.
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let frontend = manifest.join("frontend");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui");
    for p in [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "tsconfig.app.json",
        "env.d.ts",
    ] {
        println!("cargo:rerun-if-changed=frontend/{p}");
    }
    println!("cargo:rerun-if-env-changed=VERIFUND_SKIP_UI");

    if std::env::var_os("VERIFUND_SKIP_UI").is_some() {
        placeholder(&out, "verifund was built with VERIFUND_SKIP_UI: this binary has no web UI. The API is at /api/docs.");
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        panic!(
            "\n\nverifund: building the web UI needs Node.js 20+ and npm, and `npm` was not found.\n\
             Install Node.js (e.g. `apt-get install nodejs npm`), or set VERIFUND_SKIP_UI=1 to build\n\
             without the web UI (the API still works).\n\n"
        );
    }
    let lock = frontend.join("package-lock.json");
    let installed = frontend.join("node_modules/.package-lock.json");
    if newer(&lock, &installed) {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(&frontend), "npm ci");
    }
    run(Command::new(npm).args(["run", "build", "--", "--outDir"]).arg(&out).arg("--emptyOutDir").current_dir(&frontend), "npm run build");
    if !out.join("index.html").exists() {
        panic!("verifund: the UI build finished but produced no index.html in {}", out.display());
    }
}

/// `a` is newer than `b`, or `b` does not exist.
fn newer(a: &Path, b: &Path) -> bool {
    let m = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    match (m(a), m(b)) {
        (Some(a), Some(b)) => a > b,
        _ => true,
    }
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| panic!("verifund: cannot run {what}: {e}"));
    if !status.success() {
        panic!("verifund: {what} failed ({status}); see the output above");
    }
}

fn placeholder(out: &Path, message: &str) {
    std::fs::create_dir_all(out).expect("create the UI output directory");
    let html = format!("<!doctype html><meta charset=\"utf-8\"><title>verifund</title><p>{message}</p>");
    std::fs::write(out.join("index.html"), html).expect("write the placeholder page");
}
