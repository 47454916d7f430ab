//! E-mail notifications against a real SMTP server (Python's aiosmtpd, started per test):
//! what arrives, once, after restarts and outages, and not for someone who opted out.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use verifund::outbox::{DeliveryReport, Mailer, Senders, deliver_due};

/// `python3 -c` this with a port and a directory: an SMTP server that writes each message it
/// receives as JSON (envelope recipients, decoded subject and body).
const SMTP_SERVER: &str = r#"
import sys, os, json, itertools, email, email.policy
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
counter = itertools.count()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        doc = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "subject": str(msg["subject"]), "body": msg.get_content()}
        path = os.path.join(out, "%04d.json" % next(counter))
        with open(path + ".tmp", "w") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 OK"
c = Controller(Handler(), hostname="127.0.0.1", port=port)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

/// aiosmtpd on `port`, killed when dropped.
struct SmtpServer {
    child: std::process::Child,
    dir: PathBuf,
}

impl SmtpServer {
    fn start(port: u16, dir: &Path) -> SmtpServer {
        use std::io::BufRead;
        let mut child = std::process::Command::new("python3")
            .args(["-c", SMTP_SERVER, &port.to_string(), dir.to_str().unwrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        SmtpServer { child, dir: dir.to_owned() }
    }

    fn received(&self) -> Vec<Value> {
        received(&self.dir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn received(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    names.sort();
    names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
}

fn aiosmtpd_missing() -> bool {
    let ok = std::process::Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "aiosmtpd is missing: python3 -m pip install aiosmtpd");
        eprintln!("skipped: aiosmtpd is not installed (python3 -m pip install aiosmtpd)");
    }
    !ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn mail_senders(port: u16) -> Senders {
    Senders { webhook: None, mail: Some(Mailer::new(&format!("smtp://127.0.0.1:{port}"), "verifund <noreply@verifund.test>").unwrap()) }
}

/// An app sending e-mail through `port`, its clock fixed, with a manager who has an address.
async fn mail_app(port: u16) -> (TestApp, Arc<verifund::clock::FixedClock>, Org) {
    let clock = Arc::new(verifund::clock::FixedClock::new(china_morning("2026-07-01")));
    let app = spawn_app_full(
        move |c| {
            c.background_jobs = false;
            c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
            c.mail_from = Some("verifund <noreply@verifund.test>".into());
            c.sso.public_url = "https://verifund.example.com".into();
        },
        clock.clone(),
    )
    .await;
    let o = org(&app).await;
    let (s, _) = app.json(app.patch(Some(&o.manager.token), "/api/v1/me", json!({"email": "manager@corp.example"})).await).await;
    assert_eq!(s, StatusCode::OK);
    (app, clock, o)
}

async fn submit(app: &TestApp, o: &Org) -> Value {
    let mut body = request_body("verification_transfer", 30_000);
    body["order_date"] = json!("2026-07-01");
    let r = app.create_request(&o.requester.token, body).await;
    let (s, after) = app.act(&o.requester.token, r["id"].as_i64().unwrap(), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    after
}

#[tokio::test]
async fn a_submit_emails_the_manager_once_with_number_amount_and_link_and_a_restart_resends_nothing() {
    if aiosmtpd_missing() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(port, dir.path());
    let (app, clock, o) = mail_app(port).await;
    let r = submit(&app, &o).await;
    let number = r["number"].as_str().unwrap().to_owned();

    let report = deliver_due(&app.db, &mail_senders(port), clock.now_for_test()).await.unwrap();
    assert_eq!(report, DeliveryReport { delivered: 1, failed: 0 });
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert_eq!(mail["to"], json!(["manager@corp.example"]));
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.starts_with("[verifund] 待您审批") && subject.contains(&number), "{subject}");
    let body = mail["body"].as_str().unwrap();
    let link = format!("https://verifund.example.com/requests/{}", r["id"]);
    for part in [number.as_str(), "¥300.00", link.as_str()] {
        assert!(body.contains(part), "{part} missing from {body}");
    }

    // A restart: a new connection and a new mailer, later; nothing goes out twice.
    let restarted = verifund::db::connect(&{
        let mut c = verifund::config::Config::new(app.data_dir.path().to_path_buf());
        c.database_url = Some(app.database_url.clone());
        c
    })
    .await
    .unwrap();
    let again = deliver_due(&restarted, &mail_senders(port), clock.now_for_test() + chrono::Duration::hours(3)).await.unwrap();
    assert_eq!(again, DeliveryReport::default());
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_person_who_turned_email_off_gets_none() {
    if aiosmtpd_missing() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(port, dir.path());
    let (app, clock, o) = mail_app(port).await;
    let (s, me) = app.json(app.patch(Some(&o.manager.token), "/api/v1/me", json!({"email_notifications": false})).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email_notifications"], false);
    submit(&app, &o).await;
    let report = deliver_due(&app.db, &mail_senders(port), clock.now_for_test()).await.unwrap();
    assert_eq!(report, DeliveryReport::default());
    assert!(server.received().is_empty());
    // The inbox still has it.
    let (_, inbox) = app.json(app.get(Some(&o.manager.token), "/api/v1/notifications").await).await;
    assert!(inbox.to_string().contains("approval_needed"), "{inbox}");
}

#[tokio::test]
async fn an_smtp_server_that_is_down_delays_the_email_and_loses_nothing() {
    if aiosmtpd_missing() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let (app, clock, o) = mail_app(port).await;
    let r = submit(&app, &o).await;

    // Nobody listens yet.
    let down = deliver_due(&app.db, &mail_senders(port), clock.now_for_test()).await.unwrap();
    assert_eq!(down, DeliveryReport { delivered: 0, failed: 1 });
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let queued = entity::outbox::Entity::find().filter(entity::outbox::Column::Kind.eq("email")).one(&app.db).await.unwrap().unwrap();
    assert!(queued.delivered_at.is_none() && queued.last_error.is_some(), "{queued:?}");
    assert_eq!(queued.attempts, 1);

    let server = SmtpServer::start(port, dir.path());
    // Still backing off: nothing yet.
    let early = deliver_due(&app.db, &mail_senders(port), clock.now_for_test() + chrono::Duration::seconds(5)).await.unwrap();
    assert_eq!(early, DeliveryReport::default());
    let later = deliver_due(&app.db, &mail_senders(port), clock.now_for_test() + chrono::Duration::seconds(31)).await.unwrap();
    assert_eq!(later, DeliveryReport { delivered: 1, failed: 0 });
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert!(got[0]["body"].as_str().unwrap().contains(r["number"].as_str().unwrap()));
}

#[tokio::test]
async fn an_english_speaker_gets_an_english_subject() {
    if aiosmtpd_missing() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(port, dir.path());
    let (app, clock, o) = mail_app(port).await;
    let (s, _) = app.json(app.patch(Some(&o.manager.token), "/api/v1/me", json!({"language": "en"})).await).await;
    assert_eq!(s, StatusCode::OK);
    submit(&app, &o).await;
    deliver_due(&app.db, &mail_senders(port), clock.now_for_test()).await.unwrap();
    let got = server.received();
    assert!(got[0]["subject"].as_str().unwrap().starts_with("[verifund] Your approval is needed"), "{got:?}");
}
