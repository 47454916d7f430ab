//! Operations (DESIGN §2.6) with real `verifund serve` processes on one database: throttling,
//! payouts, idempotency and files shared between instances; the PII key check and rotation;
//! backup and restore.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command};
use std::time::Duration;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// A `verifund serve` process of its own (own data directory and port), killed when dropped.
pub struct Instance {
    child: Child,
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("stdout.log")).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("stderr.log")).unwrap_or_default()
    }
}

/// The PII key the harness app uses (its data directory's `pii.key`).
pub fn key_of(app: &TestApp) -> String {
    std::fs::read_to_string(app.data_dir.path().join("pii.key")).unwrap().trim().to_owned()
}

/// A command running the binary against the app's database, with `env` (an empty value
/// removes the variable).
pub fn verifund(database_url: &str, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_verifund"));
    cmd.env("DATABASE_URL", database_url).env("VERIFUND_DATA_DIR", data_dir).env("VERIFUND_LOG", "warn");
    for var in ["VERIFUND_PII_KEY", "VERIFUND_FILES_DIR", "VERIFUND_METRICS_TOKEN", "VERIFUND_LOG_FORMAT", "VERIFUND_JWT_SECRET"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd
}

/// Starts a server process on the app's database with the app's PII key (unless `env` says
/// otherwise); `Err(its stderr)` when it exits instead of answering `/healthz`.
pub async fn spawn_instance(app: &TestApp, env: &[(&str, &str)]) -> Result<Instance, String> {
    let key = key_of(app);
    let mut all = vec![("VERIFUND_PII_KEY", key.as_str())];
    all.extend_from_slice(env);
    spawn_on(&app.database_url, &all).await
}

pub async fn spawn_on(database_url: &str, env: &[(&str, &str)]) -> Result<Instance, String> {
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let stderr = std::fs::File::create(data_dir.path().join("stderr.log")).unwrap();
    let child = verifund(database_url, data_dir.path(), env)
        .arg("serve")
        .env("VERIFUND_BIND", format!("127.0.0.1:{port}"))
        .stdout(std::fs::File::create(data_dir.path().join("stdout.log")).unwrap())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut inst = Instance { child, base: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new(), data_dir };
    for _ in 0..600 {
        if let Ok(Some(status)) = inst.child.try_wait() {
            return Err(format!("exited with {status}: {}", inst.stderr()));
        }
        if inst.client.get(inst.url("/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(inst);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("no answer within 60 s: {}", inst.stderr()))
}

async fn login(inst: &Instance, username: &str, password: &str) -> reqwest::Response {
    inst.client.post(inst.url("/api/v1/auth/login")).json(&json!({"username": username, "password": password})).send().await.unwrap()
}

#[tokio::test]
async fn failed_logins_spread_over_two_instances_lock_the_account() {
    let app = spawn_app().await;
    app.user("alice", &[verifund::domain::roles::Role::Requester], None, None).await;
    let (a, b) = (spawn_instance(&app, &[]).await.unwrap(), spawn_instance(&app, &[]).await.unwrap());
    // The limit is 5 per account: 3 failures on one instance and 2 on the other reach it.
    for i in 0..5 {
        let inst = if i % 2 == 0 { &a } else { &b };
        assert_eq!(login(inst, "Alice", "wrong password").await.status(), StatusCode::UNAUTHORIZED, "failure {i}");
    }
    for inst in [&a, &b] {
        let res = login(inst, "alice", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::LOCKED, "locked on every instance, even with the right password");
        assert!(res.headers().get("retry-after").is_some());
    }
    assert_eq!(app.post(None, "/api/v1/auth/login", json!({"username": "alice", "password": PASSWORD})).await.status(), StatusCode::LOCKED);
}

#[tokio::test]
async fn a_payout_raced_over_two_instances_has_one_winner_and_a_replayed_key_answers_the_first_response() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (a, b) = (spawn_instance(&app, &[]).await.unwrap(), spawn_instance(&app, &[]).await.unwrap());
    let r = approved(&app, &o, request_body("verification_transfer", 50_505)).await;
    let path = format!("/api/v1/requests/{}/payout", id(&r));
    let today = today().to_string();
    let sends = (0..10).map(|i| {
        let inst = if i % 2 == 0 { &a } else { &b };
        inst.client
            .post(inst.url(&path))
            .bearer_auth(&o.finance2.token)
            .header("Idempotency-Key", format!("race-{i}"))
            .json(&json!({"paid_at": today, "amount_fen": 50_505, "reference": format!("P{i}"), "version": r["version"]}))
            .send()
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    let done = app.detail(&o.auditor.token, id(&r)).await;
    assert_eq!(done["payout_amount_fen"], 50_505);
    let payouts = done["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "payout").count();
    assert_eq!(payouts, 1, "the money is recorded once");

    // One key, sent to one instance and then replayed on the other: the first answer again.
    let r2 = approved(&app, &o, request_body("verification_transfer", 777)).await;
    let path = format!("/api/v1/requests/{}/payout", id(&r2));
    let body = json!({"paid_at": today, "amount_fen": 777, "reference": "K1", "version": r2["version"]});
    let send = |inst: &Instance| {
        inst.client.post(inst.url(&path)).bearer_auth(&o.finance2.token).header("Idempotency-Key", "pay-777").json(&body).send()
    };
    let first = send(&a).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let again = send(&b).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), first, "the other instance answers the first response");
    let done = app.detail(&o.auditor.token, id(&r2)).await;
    assert_eq!(done["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "payout").count(), 1);
}

#[tokio::test]
async fn an_attachment_uploaded_on_one_instance_downloads_on_the_other() {
    let app = spawn_app().await;
    let o = org(&app).await;
    // PostgreSQL: the files live in the database. SQLite: both mount one VERIFUND_FILES_DIR.
    let shared = tempfile::tempdir().unwrap();
    let dir = shared.path().to_str().unwrap().to_owned();
    let env: Vec<(&str, &str)> = if postgres_url().is_some() { vec![] } else { vec![("VERIFUND_FILES_DIR", dir.as_str())] };
    let (a, b) = (spawn_instance(&app, &env).await.unwrap(), spawn_instance(&app, &env).await.unwrap());
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 61)).await;
    let path = format!("/api/v1/requests/{}/attachments", id(&r));
    // Several chunks' worth, so the download is put together from pieces.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..1_300_000u32).map(|i| (i % 251) as u8));
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(pdf.clone()).file_name("回单.pdf"));
    let res = a.client.post(a.url(&path)).bearer_auth(&o.requester.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let att: Value = res.json().await.unwrap();
    let res = b.client.get(b.url(&format!("{path}/{}", id(&att)))).bearer_auth(&o.requester.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap() == pdf, "the same bytes come back from the other instance");
    if postgres_url().is_none() {
        assert!(std::fs::read_dir(shared.path()).unwrap().count() == 1, "the file is in the shared directory");
    }
}

async fn settings_snapshot(app: &TestApp) -> (Option<String>, u64, u64) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let kcv = verifund::db::get_setting(&app.db, verifund::pii::KCV_SETTING).await.unwrap();
    let users = entity::user::Entity::find().count(&app.db).await.unwrap();
    let settings = entity::setting::Entity::find().count(&app.db).await.unwrap();
    (kcv, users, settings)
}

#[tokio::test]
async fn an_instance_with_another_pii_key_or_none_refuses_to_start_and_writes_nothing() {
    let app = spawn_app().await;
    let before = settings_snapshot(&app).await;
    assert!(before.0.is_some(), "the first start stored the key check value");
    let other = "11".repeat(32);
    for env in [vec![("VERIFUND_PII_KEY", other.as_str())], vec![("VERIFUND_PII_KEY", "")]] {
        let refused = spawn_on(&app.database_url, &env).await.err().expect("refuses to start");
        assert!(refused.contains("exited with exit status: 1"), "{refused}");
        assert!(refused.contains("VERIFUND_PII_KEY"), "{refused}");
    }
    assert_eq!(settings_snapshot(&app).await, before, "nothing was written");
    // With the right key it starts.
    spawn_instance(&app, &[]).await.unwrap();
}

#[tokio::test]
async fn pii_rotate_re_encrypts_everything_and_the_old_key_is_refused_afterwards() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut body = json!({
        "name": "日升小程序", "appid": "wx0123456789abcdef", "registration_email": "mp@risun.example.com",
        "entity_name": "日升科技（深圳）有限公司", "entity_credit_code": CREDIT_CODE, "entity_type": "enterprise",
        "entity_subtype": "企业法人", "verification_method": "transfer", "admin_name": "张三",
        "admin_id_number": "11010519491231002X", "admin_phone": "13800138000",
    });
    let (s, mp) = app.call(&o.requester.token, "/api/v1/mini-programs", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{mp}");
    body["registration_email"] = json!("mp2@risun.example.com");
    body["appid"] = json!("wx0123456789abcdee");
    app.call(&o.requester.token, "/api/v1/mini-programs", body).await;
    let old = key_of(&app);
    let new = "ab".repeat(32);
    let key_file = app.data_dir.path().join("new.key");
    std::fs::write(&key_file, &new).unwrap();
    let out = verifund(&app.database_url, app.data_dir.path(), &[("VERIFUND_PII_KEY", old.as_str())])
        .args(["pii", "rotate", "--new-key-file"])
        .arg(&key_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-encrypted 2 mini-program record(s)"));
    let refused = spawn_on(&app.database_url, &[("VERIFUND_PII_KEY", old.as_str())]).await.err().expect("the old key is refused");
    assert!(refused.contains("VERIFUND_PII_KEY"), "{refused}");
    let inst = spawn_on(&app.database_url, &[("VERIFUND_PII_KEY", new.as_str())]).await.unwrap();
    let res = inst.client.get(inst.url(&format!("/api/v1/mini-programs/{}", id(&mp)))).bearer_auth(&o.finance1.token).send().await.unwrap();
    let shown: Value = res.json().await.unwrap();
    assert_eq!(shown["admin_id_number"], "11010519491231002X", "readable with the new key: {shown}");
    assert_eq!(shown["admin_phone"], "13800138000");
    // The per-person limit still counts the same person under the new key's hashes.
    let cipher = verifund::pii::PiiCipher::new(verifund::pii::parse_key(&new).unwrap());
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let same = entity::mini_program::Entity::find()
        .filter(entity::mini_program::Column::AdminIdIndex.eq(cipher.index("11010519491231002X")))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(same, 2);
}

#[tokio::test]
async fn every_table_is_in_the_backup_or_left_out_on_purpose() {
    let app = spawn_app().await;
    let listed = verifund::backup::table_names();
    let skipped: Vec<&str> = verifund::backup::SKIPPED.iter().map(|(t, _)| *t).collect();
    for t in verifund::backup::existing_tables(&app.db).await.unwrap() {
        assert!(listed.contains(&t) || skipped.contains(&t.as_str()), "table {t} is neither backed up nor in backup::SKIPPED");
    }
}

/// A new, empty database: a SQLite file, or a fresh PostgreSQL schema (dropped afterwards).
struct Fresh {
    url: String,
    _dir: tempfile::TempDir,
    schema: Option<String>,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let (Some(schema), Some(base)) = (self.schema.take(), postgres_url()) {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    let db = sea_orm::Database::connect(&base).await.ok()?;
                    db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.ok()
                })
            })
            .join();
        }
    }
}

async fn fresh_database(postgres: bool) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    match postgres_url().filter(|_| postgres) {
        Some(base) => {
            use sea_orm::ConnectionTrait;
            let schema = format!("vr_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(&base).await.unwrap();
            db.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            Fresh { url: format!("{base}{sep}options=-c%20search_path%3D{schema}"), _dir: dir, schema: Some(schema) }
        }
        None => Fresh { url: format!("sqlite://{}?mode=rwc", dir.path().join("restored.db").display()), _dir: dir, schema: None },
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_into_a_fresh_database_with_every_request_event_and_file() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, request_body("verification_transfer", 12_345)).await;
    let png = b"\x89PNG\r\n\x1a\n0000 a receipt".to_vec();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(png.clone()).file_name("回单.png"))
        .text("purpose", "payout_receipt");
    let res = app
        .client
        .post(app.url(&format!("/api/v1/requests/{}/attachments", id(&r))))
        .bearer_auth(&o.finance1.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let att: Value = res.json().await.unwrap();
    // Writers keep creating requests while the backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, base, token, stop) = (app.client.clone(), app.base.clone(), o.requester.token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut made = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let res = client
                    .post(format!("{base}/api/v1/requests"))
                    .bearer_auth(&token)
                    .json(&request_body("verification_transfer", 100))
                    .send()
                    .await;
                if res.is_ok_and(|r| r.status() == StatusCode::CREATED) {
                    made += 1;
                }
            }
            made
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let file = app.data_dir.path().join("backup.zip");
    let key = key_of(&app);
    let backup = tokio::task::spawn_blocking({
        let (url, dir, file, key) = (app.database_url.clone(), app.data_dir.path().to_owned(), file.clone(), key.clone());
        move || run(verifund(&url, &dir, &[("VERIFUND_PII_KEY", key.as_str())]).args(["backup", "--out"]).arg(&file))
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let made = writer.await.unwrap();
    assert!(backup.0, "{}", backup.1);
    assert!(made > 0);
    let manifest: Value = {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
        serde_json::from_reader(zip.by_name("manifest.json").unwrap()).unwrap()
    };
    let backed_up = manifest["tables"]["requests"].as_u64().unwrap();
    let events = manifest["tables"]["audit_events"].as_u64().unwrap();
    assert!(backed_up >= 2, "{manifest}");
    assert_eq!(manifest["files"], 1);

    let fresh = fresh_database(true).await;
    let restore_dir = tempfile::tempdir().unwrap();
    // On SQLite the restored files go to a directory the restored server then serves from.
    let files = restore_dir.path().join("files").to_str().unwrap().to_owned();
    let files_env = if postgres_url().is_some() { "" } else { files.as_str() };
    let env = [("VERIFUND_PII_KEY", key.as_str()), ("VERIFUND_FILES_DIR", files_env)];
    let (ok, out) = run(verifund(&fresh.url, restore_dir.path(), &env).arg("restore").arg(&file));
    assert!(ok, "{out}");
    let (ok, out) = run(verifund(&fresh.url, restore_dir.path(), &[("VERIFUND_PII_KEY", key.as_str())]).args(["audit", "verify"]));
    assert!(ok && out.contains(&format!("audit chain OK: {events} events")), "{out}");
    // A second restore into the now full database is refused.
    let (ok, out) = run(verifund(&fresh.url, restore_dir.path(), &[("VERIFUND_PII_KEY", key.as_str())]).arg("restore").arg(&file));
    assert!(!ok && out.contains("not empty"), "{out}");
    // Served from the restored copy: the same requests, the same file.
    let inst = spawn_on(&fresh.url, &env).await.unwrap();
    let restored = verifund::db::connect(&{
        let mut c = verifund::config::Config::new(restore_dir.path().to_owned());
        c.database_url = Some(fresh.url.clone());
        c
    })
    .await
    .unwrap();
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::request::Entity::find().count(&restored).await.unwrap(), backed_up);
    let detail: Value = inst
        .client
        .get(inst.url(&format!("/api/v1/requests/{}", id(&r))))
        .bearer_auth(&o.auditor.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "approved", "{detail}");
    let res = inst
        .client
        .get(inst.url(&format!("/api/v1/requests/{}/attachments/{}", id(&r), id(&att))))
        .bearer_auth(&o.requester.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap() == png);
    // New requests continue after the restored ids (PostgreSQL's sequences were set).
    let res = inst
        .client
        .post(inst.url("/api/v1/requests"))
        .bearer_auth(&o.requester.token)
        .json(&request_body("verification_transfer", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_sqlite_installation_moves_to_the_configured_database_by_backup_and_restore() {
    // The source is always SQLite: the demo installation.
    let src = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", src.path().join("verifund.db").display());
    let key = "5a".repeat(32);
    std::fs::write(src.path().join("pii.key"), &key).unwrap();
    let (ok, out) = run(verifund(&sqlite, src.path(), &[]).args(["demo", "seed"]));
    assert!(ok, "{out}");
    let file = src.path().join("sqlite.zip");
    let (ok, out) = run(verifund(&sqlite, src.path(), &[]).args(["backup", "--out"]).arg(&file));
    assert!(ok, "{out}");
    let (_, before) = run(verifund(&sqlite, src.path(), &[]).args(["audit", "verify"]));
    let fresh = fresh_database(true).await;
    let dest = tempfile::tempdir().unwrap();
    let (ok, out) = run(verifund(&fresh.url, dest.path(), &[]).arg("restore").arg(&file));
    assert!(ok, "{out}");
    let (ok, after) = run(verifund(&fresh.url, dest.path(), &[]).args(["audit", "verify"]));
    assert!(ok, "{after}");
    assert_eq!(after, before, "the same events, and the chain verifies");
    let inst = spawn_on(&fresh.url, &[("VERIFUND_PII_KEY", key.as_str())]).await.unwrap();
    let res = login(&inst, "zhangsan", "verifund-demo").await;
    assert_eq!(res.status(), StatusCode::OK, "the demo users sign in on the new database");
}

#[tokio::test]
async fn metrics_need_their_token_and_count_requests_by_route_template_with_a_histogram() {
    let app = spawn_app().await;
    let o = org(&app).await;
    assert_eq!(app.get(None, "/metrics").await.status(), StatusCode::NOT_FOUND, "no token configured: no metrics");
    let token = "metrics-token-0123456789";
    let inst = spawn_instance(&app, &[("VERIFUND_METRICS_TOKEN", token)]).await.unwrap();
    for id in [1, 2, 999] {
        inst.client.get(inst.url(&format!("/api/v1/requests/{id}"))).bearer_auth(&o.requester.token).send().await.unwrap();
    }
    let scrape = |t: Option<&str>| {
        let mut req = inst.client.get(inst.url("/metrics"));
        if let Some(t) = t {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(Some("wrong")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let res = scrape(Some(token)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let bucket = text
        .lines()
        .find(|l| l.starts_with("http_request_duration_seconds_bucket") && l.contains(r#"route="/api/v1/requests/{id}""#))
        .unwrap_or_else(|| panic!("no histogram bucket for the route template:\n{text}"));
    assert!(bucket.contains("le="), "{bucket}");
    let count = text
        .lines()
        .find(|l| l.starts_with("http_requests_total") && l.contains(r#"route="/api/v1/requests/{id}""#) && l.contains(r#"status="404""#))
        .unwrap_or_else(|| panic!("no counter by route and status:\n{text}"));
    assert!(count.ends_with(" 3"), "three requests to one template make one series: {count}");
    assert!(!text.contains("/api/v1/requests/999"), "raw paths never become labels");
    for gauge in ["verifund_outbox_waiting", "verifund_db_connections_in_use"] {
        assert!(text.lines().any(|l| l.starts_with(gauge)), "{gauge} missing:\n{text}");
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let app = spawn_app().await;
    let inst = spawn_instance(&app, &[("VERIFUND_LOG_FORMAT", "json"), ("VERIFUND_LOG", "info")]).await.unwrap();
    let res = login(&inst, "nobody", "wrong password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = inst.stdout();
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "{out}");
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
    }
    assert!(lines.iter().any(|l| l.contains("login failed")), "{out}");
    assert!(lines.iter().any(|l| l.contains("verifund is running")), "{out}");
}
