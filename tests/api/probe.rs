//! The holes an outside probe found (issue #20): archives that lie about their size,
//! invisible and direction-changing text, missing bounds, unaudited security events,
//! self-verification in the registry, and parser words in answers.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map(|es| es.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

async fn attach(app: &TestApp, token: &str, request_id: i64, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
    // Raw UTF-8 in the file name, as a browser sends it.
    let form = reqwest::multipart::Form::new()
        .percent_encode_noop()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let res = app
        .client
        .post(app.url(&format!("/api/v1/requests/{request_id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    app.json(res).await
}

// 8. Invisible text counts as text.

#[tokio::test]
async fn a_title_of_zero_width_spaces_is_no_title() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut body = request_body("verification_transfer", 100);
    body["title"] = json!("\u{200B}\u{200B}\u{200B}");
    body["purpose"] = json!("\u{FEFF}");
    let (s, p) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let f = fields(&p);
    assert!(f.contains(&"title".to_owned()) && f.contains(&"purpose".to_owned()), "{p}");
    // Zero-width characters around real text are trimmed away.
    let mut body = request_body("verification_transfer", 100);
    body["title"] = json!("\u{200B}日升商城验证\u{200B}");
    let r = app.create_request(&o.requester.token, body).await;
    assert_eq!(r["title"], "日升商城验证");
}

#[tokio::test]
async fn names_that_reverse_their_text_direction_are_refused_everywhere_they_are_typed() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let rlo = "日升\u{202E}司公限有";
    let mut body = request_body("verification_transfer", 100);
    body["payee_name"] = json!(rlo);
    body["mini_program"]["name"] = json!(rlo);
    let (s, p) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let f = fields(&p);
    assert!(f.contains(&"payee_name".to_owned()) && f.contains(&"mini_program.name".to_owned()), "{p}");

    let (s, p) = app
        .call(
            &o.admin.token,
            "/api/v1/users",
            json!({"username": "zhao", "display_name": format!("赵\u{2067}六"), "password": PASSWORD, "roles": ["requester"]}),
        )
        .await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["display_name".to_owned()]), "{p}");
    let (s, p) = app
        .json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.requester.id), json!({"display_name": "\u{200B}"})).await)
        .await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["display_name".to_owned()]), "{p}");
    let (s, p) = app.call(&o.admin.token, "/api/v1/departments", json!({"name": format!("财务\u{202D}部")})).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "{p}");
    let (s, p) = app
        .call(&o.admin.token, "/api/v1/companies", json!({"name": "\u{2060}", "credit_code": CREDIT_CODE, "accounts": [{"bank": "招商银行", "account": "755912345610801", "is_default": true}]}))
        .await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "{p}");
    let record = json!({
        "name": rlo, "registration_email": "rlo@risun.example.com", "entity_name": "日升科技（深圳）有限公司",
        "entity_type": "enterprise", "entity_subtype": "企业法人", "verification_method": "transfer",
        "admin_name": "张三", "admin_id_number": "11010519491231002X", "admin_phone": "13812345678",
    });
    let (s, p) = app.call(&o.requester.token, "/api/v1/mini-programs", record).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "{p}");
}

#[tokio::test]
async fn attachment_file_names_lose_direction_and_zero_width_characters() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 100)).await;
    let (s, a) = attach(&app, &o.requester.token, id(&r), b"%PDF-1.4 x".to_vec(), "回单\u{200B}\u{202E}exe.pdf").await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["filename"], "回单exe.pdf");
}

use std::io::{Cursor, Write};

// 4. A zip that lies about its size.

async fn import(app: &TestApp, token: &str, file: Vec<u8>, name: &'static str, mapping: Value) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file).file_name(name))
        .text("mapping", mapping.to_string())
        .text("commit", "false");
    let res = app.client.post(app.url("/api/v1/bank-statements")).bearer_auth(token).multipart(form).send().await.unwrap();
    app.json(res).await
}

/// A real one-sheet statement: 日期 | 金额 | 户名.
fn statement_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["日期", "金额", "户名"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "2026-01-05").unwrap();
    ws.write_number(1, 1, -1.23).unwrap();
    ws.write_string(1, 2, "某供应商").unwrap();
    wb.save_to_buffer().unwrap()
}

/// `statement_xlsx` plus a part of 8 MiB of zeros whose local and central headers both claim
/// 4 KiB: what calamine would inflate is not what the headers say.
fn lying_xlsx() -> Vec<u8> {
    const PAD: &str = "xl/media/pad.bin";
    let honest = statement_xlsx();
    let mut source = zip::ZipArchive::new(Cursor::new(honest)).unwrap();
    let mut out = Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file(PAD, deflated).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..8 {
        z.write_all(&zeros).unwrap();
    }
    for i in 0..source.len() {
        z.raw_copy_file(source.by_index(i).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let mut bytes = out.into_inner();
    let claim = 4096u32.to_le_bytes();
    // The pad is the first part: its local header is at offset 0 (uncompressed size at 22).
    assert_eq!(&bytes[0..4], b"PK\x03\x04");
    bytes[22..26].copy_from_slice(&claim);
    // Its central directory entry: uncompressed size at 24, file name at 46.
    let mut at = 0;
    let mut patched = false;
    while let Some(pos) = bytes[at..].windows(4).position(|w| w == b"PK\x01\x02") {
        let h = at + pos;
        let name_len = u16::from_le_bytes([bytes[h + 28], bytes[h + 29]]) as usize;
        if &bytes[h + 46..h + 46 + name_len] == PAD.as_bytes() {
            bytes[h + 24..h + 28].copy_from_slice(&claim);
            patched = true;
        }
        at = h + 4;
    }
    assert!(patched);
    // The archive still opens and claims a few KiB in all.
    let mut check = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let claimed: u64 = (0..check.len()).map(|i| check.by_index_raw(i).unwrap().size()).sum();
    assert!(claimed < 64 * 1024, "claimed {claimed}");
    bytes
}

#[tokio::test]
async fn a_statement_whose_zip_headers_understate_its_size_is_refused_as_too_large_unpacked() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mapping = json!({"date": "日期", "amount": "金额", "counterparty_name": "户名"});
    let (s, p) = import(&app, &o.finance1.token, lying_xlsx(), "statement.xlsx", mapping).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["file"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("解压后过大"), "{p}");
}

#[tokio::test]
async fn an_honest_small_xlsx_statement_still_imports() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mapping = json!({"date": "日期", "amount": "金额", "counterparty_name": "户名"});
    let (s, r) = import(&app, &o.finance1.token, statement_xlsx(), "statement.xlsx", mapping).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["lines"].as_u64(), r["unmatched"].clone()), (Some(1), json!([2])));
}

#[tokio::test]
async fn an_xlsx_attachment_that_lies_about_its_size_is_refused_and_an_honest_one_is_kept() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 100)).await;
    let (s, p) = attach(&app, &o.requester.token, id(&r), lying_xlsx(), "流水.xlsx").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(fields(&p), ["file"]);
    let (s, a) = attach(&app, &o.requester.token, id(&r), statement_xlsx(), "流水.xlsx").await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
}

// 9. Bounds.

#[tokio::test]
async fn a_request_holds_at_most_twenty_attachments() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 100)).await;
    for n in 0..20 {
        let (s, a) = attach(&app, &o.requester.token, id(&r), format!("%PDF-1.4 {n}").into_bytes(), &format!("{n}.pdf")).await;
        assert_eq!(s, StatusCode::CREATED, "{n}: {a}");
    }
    let (s, p) = attach(&app, &o.requester.token, id(&r), b"%PDF-1.4 21".to_vec(), "21.pdf").await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["file".to_owned()]), "{p}");
    let (_, list) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/requests/{}/attachments", id(&r))).await).await;
    assert_eq!(list.as_array().unwrap().len(), 20);
}

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_connection_that_never_finishes_its_request_head_is_dropped() {
    assert_eq!(verifund::server::HEADER_READ_TIMEOUT, Duration::from_secs(30));
    let app = spawn_app_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: verifund\r\nX-Slow: ").await.unwrap();
    let mut buf = Vec::new();
    // The server answers 408 or just closes; either way the connection ends.
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the half-sent request was still open after 10 s");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5), "closed after {elapsed:?}");
    // A complete request on a new connection is still served.
    assert_eq!(app.get(None, "/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_percent_sign_or_underscore_in_a_search_matches_only_itself() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut body = request_body("verification_transfer", 100);
    body["title"] = json!("预付 100% 保证金");
    let with_percent = app.create_request(&o.requester.token, body).await;
    app.create_request(&o.requester.token, request_body("verification_transfer", 200)).await;
    let (s, list) = app.json(app.get(Some(&o.requester.token), "/api/v1/requests?q=%25").await).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], with_percent["id"]);
    let (_, list) = app.json(app.get(Some(&o.requester.token), "/api/v1/requests?q=_").await).await;
    assert_eq!(list["total"], 0, "{list}");
    let (_, users) = app.json(app.get(Some(&o.admin.token), "/api/v1/users?q=_").await).await;
    assert_eq!(users["total"], 0, "{users}");
    let (_, users) = app.json(app.get(Some(&o.admin.token), "/api/v1/users?q=%25").await).await;
    assert_eq!(users["total"], 0, "{users}");
    let (_, mps) = app.json(app.get(Some(&o.requester.token), "/api/v1/mini-programs?q=%25").await).await;
    assert_eq!(mps["total"], 0, "{mps}");
}

// 10. Security events are audited.

async fn audit_actions(app: &TestApp, auditor: &str, action: &str) -> Vec<Value> {
    let (s, page) = app.json(app.get(Some(auditor), &format!("/api/v1/audit?action={action}&per_page=200")).await).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sign_ins_failures_lockouts_password_changes_and_logouts_are_in_the_audit_log() {
    let app = spawn_app_with(|c| c.login.max_failures_per_account = 3).await;
    let o = org(&app).await;
    let wrong = "not-the-password-xyz";
    for _ in 0..3 {
        let res = app.post(None, "/api/v1/auth/login", json!({"username": "requester", "password": wrong})).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let failed = audit_actions(&app, &o.auditor.token, "login_failed").await;
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed.iter().all(|e| e["actor_name"] == "requester" && e["request_id"].is_null()));
    let locks = audit_actions(&app, &o.auditor.token, "lockout").await;
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["after"]["scope"], "account");

    let logins = audit_actions(&app, &o.auditor.token, "login").await;
    assert!(logins.iter().any(|e| e["actor_id"] == o.finance1.id), "{logins:?}");

    let new_password = "a brand new passphrase 42";
    let res =
        app.post(Some(&o.finance1.token), "/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": new_password})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let changes = audit_actions(&app, &o.auditor.token, "password_change").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["actor_id"], o.finance1.id);

    let res = app.post(Some(&o.manager.token), "/api/v1/auth/logout", json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let logouts = audit_actions(&app, &o.auditor.token, "logout").await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0]["actor_id"], o.manager.id);

    let (_, all) = app.json(app.get(Some(&o.auditor.token), "/api/v1/audit?per_page=200").await).await;
    let text = all.to_string();
    assert!(!text.contains(wrong) && !text.contains(new_password) && !text.contains(PASSWORD), "a password in the audit log");
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

// 11. Nobody verifies their own mini-program by hand.

fn transfer_record() -> Value {
    json!({
        "name": "日升商城", "registration_email": "shop@risun.example.com", "entity_name": "日升科技（深圳）有限公司",
        "entity_credit_code": CREDIT_CODE, "entity_type": "enterprise", "entity_subtype": "企业法人", "verification_method": "transfer",
        "admin_name": "张三", "admin_id_number": "11010519491231002X", "admin_phone": "13812345678",
    })
}

#[tokio::test]
async fn a_requester_cannot_declare_their_own_mini_program_verified() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (s, mp) = app.call(&o.requester.token, "/api/v1/mini-programs", transfer_record()).await;
    assert_eq!(s, StatusCode::CREATED, "{mp}");
    let url = format!("/api/v1/mini-programs/{}", id(&mp));
    let (s, p) = app.json(app.patch(Some(&o.requester.token), &url, json!({"status": "verified", "version": mp["version"]})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, p) = app.json(app.patch(Some(&o.requester.token), &url, json!({"status": "failed", "version": mp["version"]})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    // Editing the record itself, with its status unchanged, is still theirs.
    let (s, v) = app
        .json(
            app.patch(Some(&o.requester.token), &url, json!({"name": "日升商城 2", "status": "registering", "version": mp["version"]}))
                .await,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("registering")), "{v}");
}

#[tokio::test]
async fn a_transfer_is_verified_by_its_refund_never_by_hand_and_finance_records_a_failure() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (_, mp) = app.call(&o.requester.token, "/api/v1/mini-programs", transfer_record()).await;
    let url = format!("/api/v1/mini-programs/{}", id(&mp));
    let (s, p) = app.json(app.patch(Some(&o.finance1.token), &url, json!({"status": "verified", "version": mp["version"]})).await).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["status".to_owned()]), "{p}");
    let (s, p) = app.json(app.patch(Some(&o.admin.token), &url, json!({"status": "verified", "version": mp["version"]})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, p) =
        app.json(app.patch(Some(&o.finance1.token), &url, json!({"status": "awaiting_refund", "version": mp["version"]})).await).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["status".to_owned()]), "{p}");
    let (s, v) = app.json(app.patch(Some(&o.finance1.token), &url, json!({"status": "failed", "version": mp["version"]})).await).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("failed")), "{v}");
    let (_, events) = app.json(app.get(Some(&o.auditor.token), "/api/v1/audit?action=mini_program_update").await).await;
    assert_eq!(events["items"][0]["after"]["status"], "failed");
}

// 12. Smaller holes.

#[tokio::test]
async fn bad_path_and_query_parameters_are_answered_in_our_words_naming_the_parameter() {
    let app = spawn_app().await;
    let o = org(&app).await;
    for (path, name) in [("/api/v1/requests/abc", "id"), ("/api/v1/requests/1/attachments/x1", "aid")] {
        let (s, p) = app.json(app.get(Some(&o.requester.token), path).await).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(name), "{path}: {detail}");
        assert!(!detail.contains("Invalid URL") && !detail.contains("Cannot parse") && !detail.contains("index"), "{path}: {detail}");
    }
    let res = app
        .client
        .get(app.url("/api/v1/requests?page=abc"))
        .bearer_auth(&o.requester.token)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let (s, p) = app.json(res).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["page".to_owned()]), "{p}");
    assert_eq!(p["errors"][0]["message"], "must be a whole number in range", "{p}");
    let res = app
        .client
        .get(app.url("/api/v1/calendar/add-working-days?from=2026-13-45&days=1"))
        .bearer_auth(&o.requester.token)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let (s, p) = app.json(res).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["from".to_owned()]), "{p}");
    assert_eq!(p["errors"][0]["message"], "must be a valid date (YYYY-MM-DD)", "{p}");
}

#[tokio::test]
async fn adding_working_days_never_answers_a_date_outside_four_digit_years() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let ask = |q: &str| {
        let url = format!("/api/v1/calendar/add-working-days?{q}");
        let (app, token) = (&app, o.requester.token.clone());
        async move { app.get(Some(&token), &url).await }
    };
    let (s, p) = app.json(ask("from=9999-12-31&days=5").await).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["days".to_owned()]), "{p}");
    let (s, p) = app.json(ask("from=1066-10-14&days=5").await).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["from".to_owned()]), "{p}");
    let (s, r) = app.json(ask("from=9999-12-20&days=5").await).await;
    assert_eq!((s, r["date"].as_str()), (StatusCode::OK, Some("9999-12-27")), "{r}");
}

#[tokio::test]
async fn a_future_dated_statement_line_is_listed_as_invalid_not_matched() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, request_body("verification_transfer", 12_345)).await;
    assert_eq!(r["status"], "approved");
    let tomorrow = today().succ_opt().unwrap();
    let csv = format!("日期,金额,户名\n{tomorrow},-123.45,财付通支付科技有限公司\n{},-123.45,财付通支付科技有限公司\n", today());
    let mapping = json!({"date": "日期", "amount": "金额", "counterparty_name": "户名"});
    let (s, res) = import(&app, &o.finance2.token, csv.into_bytes(), "s.csv", mapping).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    assert_eq!(res["invalid"][0]["line"], 2, "{res}");
    assert!(res["invalid"][0]["message"].as_str().unwrap().contains("未来"), "{res}");
    assert_eq!(matched(&res), json!([{"line": 3, "request_id": id(&r), "action": "payout"}]), "{res}");
}
