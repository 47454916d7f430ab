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
    let form = reqwest::multipart::Form::new().percent_encode_noop().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let res = app.client.post(app.url(&format!("/api/v1/requests/{request_id}/attachments"))).bearer_auth(token).multipart(form).send().await.unwrap();
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

    let (s, p) = app.call(&o.admin.token, "/api/v1/users", json!({"username": "zhao", "display_name": format!("赵\u{2067}六"), "password": PASSWORD, "roles": ["requester"]})).await;
    assert_eq!((s, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["display_name".to_owned()]), "{p}");
    let (s, p) = app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.requester.id), json!({"display_name": "\u{200B}"})).await).await;
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

