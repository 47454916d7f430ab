//! An installation made by an earlier release (shared/fixtures/upgrade-e369de3: its README
//! says what it holds) upgrades in place: the binary migrates it on start, and every request,
//! event, encrypted field and file is still there and still right.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/upgrade-e369de3");
    dir.join("verifund.db").exists().then_some(dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            // The shared copy is read-only; the installation's files are not.
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

#[tokio::test]
async fn the_e369de3_installation_upgrades_in_place_with_nothing_lost() {
    let Some(fixture) = fixture() else {
        assert!(std::env::var("CI").is_err(), "the upgrade fixture must be beside the repository under CI");
        eprintln!("skipped: ../shared/fixtures/upgrade-e369de3 is not here");
        return;
    };
    let installed = tempfile::tempdir().unwrap();
    copy_dir(&fixture, installed.path());

    // The CLI migrates on start, then walks the audit chain it found.
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["audit", "verify"])
        .env("VERIFUND_DATA_DIR", installed.path())
        .env_remove("DATABASE_URL")
        .env_remove("VERIFUND_PII_KEY")
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    assert!(verify.status.success(), "audit verify after the upgrade: {said}");

    let dir = installed.path().to_path_buf();
    let app = spawn_app_with(move |c| {
        c.data_dir = dir;
        c.database_url = None;
        c.pii_key = None;
        c.background_jobs = false;
    })
    .await;
    let finance = app.login("wangwu", "verifund-demo").await;
    let requester = app.login("zhangsan", "verifund-demo").await;
    let (s, list) = app.json(app.get(Some(&finance), "/api/v1/requests?per_page=50&sort=id").await).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let zhangsans: Vec<&Value> = list["items"].as_array().unwrap().iter().filter(|r| r["requester_name"] == "张三").collect();
    let statuses: Vec<&str> = zhangsans.iter().map(|r| r["status"].as_str().unwrap()).collect();
    for wanted in ["draft", "pending_manager", "pending_finance", "approved", "paid", "refunded"] {
        assert!(statuses.contains(&wanted), "{wanted} in {statuses:?}");
    }
    assert!(zhangsans.len() >= 9, "{statuses:?}");
    let mismatch = app.detail(&finance, 7).await;
    assert_eq!(mismatch["status"], "paid");
    assert!(mismatch["flags"].as_array().unwrap().iter().any(|f| f == "refund_mismatch"), "{mismatch}");
    assert!(mismatch["refund_amount_fen"].as_i64().unwrap() < mismatch["payout_amount_fen"].as_i64().unwrap());

    // Request 9: the registry record's PII still decrypts with the installation's own key.
    let draft = app.detail(&requester, 9).await;
    assert_eq!(draft["status"], "draft");
    let mp = draft["mini_program_id"].as_i64().expect("linked to a registry record");
    let (s, record) = app.json(app.get(Some(&finance), &format!("/api/v1/mini-programs/{mp}")).await).await;
    assert_eq!(s, StatusCode::OK, "{record}");
    assert_eq!((record["admin_id_number"].as_str(), record["admin_phone"].as_str()), (Some("11010519491231002X"), Some("13800138000")));
    let (_, masked) = app.json(app.get(Some(&requester), &format!("/api/v1/mini-programs/{mp}")).await).await;
    assert_eq!(masked["admin_phone"], "138****8000");
    // Its PNG is served byte for byte.
    let attachment = record["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["attachment_id"].as_i64())
        .or_else(|| draft["attachments"][0]["id"].as_i64())
        .expect("one attachment");
    let res = app.get(Some(&requester), &format!("/api/v1/requests/9/attachments/{attachment}")).await;
    let served = if res.status() == StatusCode::OK { res.bytes().await.unwrap().to_vec() } else { Vec::new() };
    let stored: Vec<Vec<u8>> = walk(&fixture.join("attachments")).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(stored.contains(&served), "the attachment is served as it was stored ({} bytes)", served.len());
    assert!(served.starts_with(b"\x89PNG"));

    // Every event of the old release is there, and the chain still verifies after new writes.
    let (_, audit) = app.json(app.get(Some(&finance), "/api/v1/audit?per_page=1").await).await;
    assert!(audit["total"].as_u64().unwrap() >= 44, "{audit}");
    let (s, _) = app.act(&requester, 9, "withdraw", serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// The newest migrations roll back and apply again on a database holding requests: the search
/// they index still finds the same requests, short text included.
#[tokio::test]
async fn the_newest_migrations_roll_back_and_apply_again() {
    use migration::MigratorTrait;
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 150, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    // Every match (150 requests, a page holds 200); `per_page` differs before and after,
    // so no list kept from before answers.
    let matches = async |q: &str, per_page: u32| {
        let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let (s, v) = app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?per_page={per_page}&q={q}")).await).await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        let ids: Vec<i64> = v["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len() as u64, v["total"].as_u64().unwrap(), "{q}: one page holds every match");
        ids
    };
    let queries = ["日升商城", "商城", "腾讯", "财付通支付", "YF", "YF20"];
    let mut before = Vec::new();
    for q in queries {
        before.push(matches(q, 199).await);
    }
    assert!(before.iter().all(|ids| !ids.is_empty()), "{before:?}");
    // On one connection, as `verifund migrate` does (SQLite checks a column's or trigger's
    // existence against the schema the connection last read).
    let single =
        sea_orm::Database::connect(sea_orm::ConnectOptions::new(app.database_url.clone()).max_connections(1).to_owned()).await.unwrap();
    // Back to before migration 34 (the mini-program and short-text search).
    migration::Migrator::down(&single, Some(5)).await.unwrap();
    migration::Migrator::up(&single, None).await.unwrap();
    single.close().await.unwrap();
    let mut after = Vec::new();
    for q in queries {
        after.push(matches(q, 200).await);
    }
    assert_eq!(after, before);
}
