//! Money under contention and under a crash: concurrent actions on one request record once,
//! and a server killed with SIGKILL mid-load restarts with every acknowledged action present,
//! no half-applied transition, an intact audit chain and an outbox that still delivers.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn fifty<F>(make: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> reqwest::RequestBuilder,
{
    let calls = (0..50).map(|i| make(i).send());
    futures::future::join_all(calls).await.into_iter().map(|r| r.unwrap().status()).collect()
}

fn exactly_one_wins(statuses: &[StatusCode]) {
    assert_eq!(statuses.iter().filter(|s| s.is_success()).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| s.is_success() || *s == StatusCode::CONFLICT), "{statuses:?}");
}

#[tokio::test]
async fn fifty_concurrent_approvals_payouts_and_refunds_each_record_once() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 50_505)).await;
    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    let base = app.url(&format!("/api/v1/requests/{}", id(&r)));
    let v = r["version"].clone();
    exactly_one_wins(
        &fifty(|_| app.client.post(format!("{base}/approve")).bearer_auth(&o.manager.token).json(&json!({"version": v}))).await,
    );
    let v = app.detail(&o.finance1.token, id(&r)).await["version"].clone();
    exactly_one_wins(
        &fifty(|_| app.client.post(format!("{base}/approve")).bearer_auth(&o.finance1.token).json(&json!({"version": v}))).await,
    );
    let v = app.detail(&o.finance2.token, id(&r)).await["version"].clone();
    let today = today().to_string();
    exactly_one_wins(
        &fifty(|i| {
            app.client
                .post(format!("{base}/payout"))
                .bearer_auth(&o.finance2.token)
                .header("Idempotency-Key", format!("payout-{i}"))
                .json(&json!({"paid_at": today, "amount_fen": 50_505, "reference": format!("P{i}"), "version": v}))
        })
        .await,
    );
    let v = app.detail(&o.finance1.token, id(&r)).await["version"].clone();
    exactly_one_wins(
        &fifty(|i| {
            app.client
                .post(format!("{base}/refund"))
                .bearer_auth(&o.finance1.token)
                .header("Idempotency-Key", format!("refund-{i}"))
                .json(&json!({"refunded_at": today, "amount_fen": 50_505, "reference": format!("R{i}"), "version": v}))
        })
        .await,
    );
    let done = app.detail(&o.auditor.token, id(&r)).await;
    assert_eq!(done["status"], "refunded");
    assert_eq!(done["payout_amount_fen"], 50_505);
    assert_eq!(done["refund_amount_fen"], 50_505, "the refund is counted once");
    let actions: Vec<&str> = done["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "approve", "approve", "payout", "refund"]);
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

struct Server {
    child: std::process::Child,
    base: String,
}

fn start_server(app: &TestApp, port: u16, webhook: &str) -> Server {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .env("VERIFUND_WEBHOOK_URL", webhook)
        .env("VERIFUND_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Server { child, base: format!("http://127.0.0.1:{port}") }
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server at {base} did not come up");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_server_killed_mid_load_restarts_with_every_acknowledged_action_and_an_intact_chain() {
    // A robot that accepts everything, counting deliveries.
    let delivered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = delivered.clone();
    let robot = axum::Router::new().route(
        "/robot",
        axum::routing::post(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { r#"{"errcode":0}"# }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook = format!("http://{}/robot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, robot).await.ok() });

    let app = spawn_app().await;
    let seed = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["demo", "seed"])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(seed.status.success());
    let port = free_port();
    let mut server = start_server(&app, port, &webhook);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    wait_healthy(&client, &server.base).await;
    let login = |u: &'static str| {
        let client = client.clone();
        let base = server.base.clone();
        async move {
            let r: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": u, "password": "verifund-demo"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["access_token"].as_str().unwrap().to_owned()
        }
    };
    let (req, mgr, fin1, fin2) = (login("zhangsan").await, login("lisi").await, login("wangwu").await, login("zhaoliu").await);

    // Four workers carry requests through the flow; every acknowledged step is remembered.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(i64, &'static str)>::new()));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (client, base, acked) = (client.clone(), server.base.clone(), acked.clone());
        let (req, mgr, fin1, fin2) = (req.clone(), mgr.clone(), fin1.clone(), fin2.clone());
        workers.push(tokio::spawn(async move {
            for n in 0..1000u32 {
                let mut body = request_body("verification_transfer", 1 + (w * 1000 + n) as i64);
                body["mini_program"]["registration_email"] = json!(format!("w{w}n{n}@example.com"));
                let Ok(res) = client.post(format!("{base}/api/v1/requests")).bearer_auth(&req).json(&body).send().await else { return };
                if res.status() != StatusCode::CREATED {
                    return;
                }
                let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                acked.lock().unwrap().push((id, "create"));
                let steps: [(&str, &String, &'static str, Value); 4] = [
                    ("submit", &req, "submit", json!({})),
                    ("approve", &mgr, "approve", json!({})),
                    ("approve", &fin1, "signoff", json!({})),
                    (
                        "payout",
                        &fin2,
                        "payout",
                        json!({"paid_at": today().to_string(), "amount_fen": 1 + (w * 1000 + n) as i64, "reference": format!("K{id}")}),
                    ),
                ];
                for (action, token, label, body) in steps {
                    let Ok(res) = client
                        .post(format!("{base}/api/v1/requests/{id}/{action}"))
                        .bearer_auth(token)
                        .header("Idempotency-Key", format!("{id}-{label}"))
                        .json(&body)
                        .send()
                        .await
                    else {
                        return;
                    };
                    if !res.status().is_success() {
                        return;
                    }
                    acked.lock().unwrap().push((id, label));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 10, "the load ran before the kill: {} acknowledged actions", acked.len());

    let mut server = start_server(&app, port, &webhook);
    wait_healthy(&client, &server.base).await;
    let auditor = {
        let r: Value = client
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({"username": "sunqi", "password": "verifund-demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["access_token"].as_str().unwrap().to_owned()
    };
    let order = ["create", "submit", "approve", "signoff", "payout"];
    let reached = |status: &str| match status {
        "draft" => 0,
        "pending_manager" => 1,
        "pending_finance" => 2,
        "approved" => 3,
        "paid" => 4,
        _ => 99,
    };
    let mut ids: Vec<i64> = acked.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let r: Value =
            client.get(format!("{}/api/v1/requests/{id}", server.base)).bearer_auth(&auditor).send().await.unwrap().json().await.unwrap();
        let last_acked = acked.iter().filter(|(i, _)| *i == id).map(|(_, a)| order.iter().position(|o| o == a).unwrap()).max().unwrap();
        let status = r["status"].as_str().unwrap();
        assert!(reached(status) >= last_acked, "request {id}: acknowledged {} but the database says {status}", order[last_acked]);
        // No half-applied transition: the status is what the last transition event says.
        let timeline = r["timeline"].as_array().unwrap();
        let last_to = timeline.iter().rev().find_map(|e| e["to_status"].as_str());
        assert_eq!(last_to.unwrap_or("draft"), status, "request {id}: {timeline:?}");
        if status == "paid" {
            assert!(r["payout_amount_fen"].is_i64() && r["refund_due"].is_string(), "request {id}: a payout is whole");
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The outbox delivers what was queued before the crash.
    let pending = || async {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        entity::outbox::Entity::find().filter(entity::outbox::Column::DeliveredAt.is_null()).count(&app.db).await.unwrap()
    };
    // A message claimed by the killed process waits for its claim (60 s) to lapse.
    for _ in 0..750 {
        if pending().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending().await, 0, "every queued message is delivered after the restart");
    assert!(delivered.load(std::sync::atomic::Ordering::SeqCst) > 0);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test]
async fn secrets_passwords_and_tokens_never_reach_the_logs() {
    let app = spawn_app().await;
    let seed = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["demo", "seed"])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(seed.status.success());
    let secret = "s3cret-jwt-key-that-must-never-be-printed-0123456789";
    let port = free_port();
    let log = app.data_dir.path().join("server.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .env("VERIFUND_JWT_SECRET", secret)
        .env("VERIFUND_LOG", "trace,hyper=info,h2=info")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_healthy(&client, &base).await;
    let res: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "zhangsan", "password": "verifund-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = res["access_token"].as_str().unwrap().to_owned();
    client.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "zhangsan", "password": "wrong-password-typed"}))
        .send()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("/api/v1/me"), "the log is written at all: {text}");
    for leaked in [secret, "verifund-demo", "wrong-password-typed", token.as_str()] {
        assert!(!text.contains(leaked), "the log contains a secret ({})", &leaked[..8.min(leaked.len())]);
    }
}
