//! The database goes away under a running server and comes back (DESIGN §2.6): requests answer
//! 503 problem+json and `/healthz` 503 meanwhile; afterwards the same process serves again
//! and everything it acknowledged before is there.
//!
//! It stops and starts the local PostgreSQL cluster, so it is its own test binary, named to
//! run after the `api` binary (cargo runs test binaries one at a time, by name), and runs only
//! when TEST_DATABASE_URL names a PostgreSQL on this machine. PostgreSQL is always started
//! again, whatever happens (a drop guard).
use serde_json::{Value, json};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn cluster(action: &str) -> bool {
    let version = std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .unwrap_or_default();
    Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", &version, "main", action]).status().is_ok_and(|s| s.success())
}

fn wait_ready() {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if Command::new("pg_isready").args(["-h", "127.0.0.1", "-q"]).status().is_ok_and(|s| s.success()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts PostgreSQL again when dropped, so a failing test never leaves it down.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        cluster("start");
        wait_ready();
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_process_serves_again_after_postgresql_restarts_and_nothing_acknowledged_is_lost() {
    let Some(base) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        eprintln!("skipped: the outage test needs TEST_DATABASE_URL (a local PostgreSQL it may stop and start)");
        return;
    };
    if !std::path::Path::new("/etc/postgresql").is_dir() {
        eprintln!("skipped: no local PostgreSQL cluster (/etc/postgresql) to stop and start");
        return;
    }
    use sea_orm::ConnectionTrait;
    let schema = format!("vo_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(&base).await.unwrap();
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    admin.close().await.ok();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_verifund"))
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("VERIFUND_DATA_DIR", dir.path())
            .env("VERIFUND_BIND", format!("127.0.0.1:{port}"))
            .env("VERIFUND_LOG", "warn")
            .env_remove("VERIFUND_PII_KEY")
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let at = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let mut up = false;
    for _ in 0..600 {
        if http.get(at("/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");
    let out = std::fs::read_to_string(dir.path().join("stdout.log")).unwrap();
    let password = out.lines().find_map(|l| l.trim().strip_prefix("password: ")).unwrap().split_whitespace().next().unwrap().to_owned();
    let login: Value = http
        .post(at("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let create = |name: &str| http.post(at("/api/v1/departments")).bearer_auth(&token).json(&json!({"name": name})).send();
    for name in ["财务部", "市场部"] {
        assert_eq!(create(name).await.unwrap().status(), 201, "acknowledged before the outage");
    }

    let guard = Restart;
    assert!(cluster("stop"), "could not stop PostgreSQL");
    let res = http.get(at("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let started = Instant::now();
    let res = http.get(at("/api/v1/departments")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 503, "a request while the database is away");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unavailable", "{body}");
    assert!(started.elapsed() < Duration::from_secs(15), "answered within seconds, not hung: {:?}", started.elapsed());
    let res = create("技术部").await.unwrap();
    assert_eq!(res.status(), 503, "a write while the database is away is refused, not acknowledged");

    drop(guard);
    let mut back = false;
    for _ in 0..120 {
        if http.get(at("/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(back, "the same process serves again once PostgreSQL is back");
    assert_eq!(create("人事部").await.unwrap().status(), 201);
    let list: Value = http.get(at("/api/v1/departments")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().filter_map(|d| d["name"].as_str()).collect();
    for name in ["财务部", "市场部", "人事部"] {
        assert!(names.contains(&name), "{name} is there: {names:?}");
    }
    assert!(!names.contains(&"技术部"), "what was refused was not written: {names:?}");
    drop(server);
    if let Ok(admin) = sea_orm::Database::connect(&base).await {
        admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.ok();
    }
}
