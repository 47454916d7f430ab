//! HTML to PDF with headless Chromium, for the 审批单 (`/requests/{id}/print.pdf`).
//!
//! Why Chromium and not a PDF crate: the PDF is then the very page `/print` serves and the
//! browser prints, laid out once in HTML/CSS (`@page`, repeated table headers, names that never
//! break), with Chinese shaped and fonts embedded by a maintained engine. A pure-Rust writer
//! (printpdf, genpdf) would need a second, hand-placed layout of the same form and a CJK font
//! of some 16 MiB shipped or found on the system. Chromium is a Debian package that the
//! browser tests already install together with fonts-noto-cjk.
//!
//! Each render gets its own temporary directory (page, profile, output), a time limit, and
//! runs at most two at a time. Without a browser the caller says so (503) instead of failing.
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Chromium renders take a few hundred MiB each: at most this many at once.
static RENDERS: Semaphore = Semaphore::const_new(2);

const TIME_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no Chromium found ({0})")]
    NoBrowser(String),
    #[error("PDF rendering is busy")]
    Busy,
    #[error("Chromium did not finish within {} s", TIME_LIMIT.as_secs())]
    TimedOut,
    #[error("Chromium failed: {0}")]
    Failed(String),
}

/// The browser to run: `VERIFUND_CHROMIUM` when set, else the first of the usual names on PATH.
pub fn chromium() -> Result<PathBuf, PdfError> {
    if let Some(named) = std::env::var_os("VERIFUND_CHROMIUM").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&named);
        return if path.is_file() || on_path(&path.to_string_lossy()).is_some() {
            Ok(on_path(&path.to_string_lossy()).unwrap_or(path))
        } else {
            Err(PdfError::NoBrowser(format!("VERIFUND_CHROMIUM={} does not exist", path.display())))
        };
    }
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .find_map(|name| on_path(name))
        .ok_or_else(|| PdfError::NoBrowser("none of chromium, chromium-browser, google-chrome on PATH; set VERIFUND_CHROMIUM".into()))
}

fn on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// Prints `html` (a complete, self-contained page: no external resources) to PDF. `scratch`
/// is a directory for the temporary files.
pub async fn html_to_pdf(html: &str, scratch: &Path) -> Result<Vec<u8>, PdfError> {
    let browser = chromium()?;
    let _permit = tokio::time::timeout(TIME_LIMIT, RENDERS.acquire()).await.map_err(|_| PdfError::Busy)?.map_err(|_| PdfError::Busy)?;
    tokio::fs::create_dir_all(scratch).await.map_err(|e| PdfError::Failed(format!("scratch directory: {e}")))?;
    let dir = tempfile::Builder::new().prefix("print-").tempdir_in(scratch).map_err(|e| PdfError::Failed(format!("temp dir: {e}")))?;
    let page = dir.path().join("form.html");
    let out = dir.path().join("form.pdf");
    tokio::fs::write(&page, html).await.map_err(|e| PdfError::Failed(format!("writing the page: {e}")))?;
    // Chromium's messages go to a file: a pipe nobody reads while it runs could fill and stall it.
    let log = dir.path().join("chromium.log");
    let log_file = std::fs::File::create(&log).map_err(|e| PdfError::Failed(format!("log file: {e}")))?;
    let mut cmd = Command::new(&browser);
    cmd.args([
        "--headless",
        // Chromium's sandbox needs user namespaces, which containers (and root) often lack;
        // the page is our own HTML, without scripts or external resources.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-breakpad",
        "--no-pdf-header-footer",
    ])
    .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
    .arg(format!("--print-to-pdf={}", out.display()))
    .arg(format!("file://{}", page.display()))
    .env("HOME", dir.path())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(log_file)
    // Its own process group, so that a render past its time is ended with all its helpers.
    .process_group(0);
    let status =
        tokio::task::spawn_blocking(move || run_with_limit(cmd, TIME_LIMIT)).await.map_err(|e| PdfError::Failed(e.to_string()))??;
    let pdf = tokio::fs::read(&out).await.unwrap_or_default();
    if !status.success() || !pdf.starts_with(b"%PDF") {
        let said = tokio::fs::read_to_string(&log).await.unwrap_or_default();
        let tail: Vec<&str> = said.lines().rev().take(5).collect();
        return Err(PdfError::Failed(format!("{status}, no PDF: {}", tail.join(" | "))));
    }
    Ok(pdf)
}

fn run_with_limit(mut cmd: Command, limit: Duration) -> Result<ExitStatus, PdfError> {
    let mut child = cmd.spawn().map_err(|e| PdfError::Failed(format!("starting {:?}: {e}", cmd.get_program())))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                // The child is not reaped yet, so its id (and group id) is still its own.
                if let Ok(pgid) = i32::try_from(child.id()) {
                    // SAFETY: kill(2) with a negative id signals that process group only.
                    unsafe { libc::kill(-pgid, libc::SIGKILL) };
                }
                let _ = child.wait();
                return Err(PdfError::TimedOut);
            }
            Err(e) => return Err(PdfError::Failed(e.to_string())),
        }
    }
}
