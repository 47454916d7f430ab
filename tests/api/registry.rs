use crate::common::*;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// Valid 18-digit ID numbers (checksum ISO 7064 MOD 11-2) for distinct people.
fn id_number(n: u32) -> String {
    let first17 = format!("110105199001{:02}{:03}", 1 + n % 28, n % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{first17}{check}")
}

fn record(n: u32, id_no: &str, phone: &str, method: &str) -> Value {
    json!({
        "name": format!("日升小程序{n}"),
        "appid": format!("wx{:016x}", 0xabc000 + n as u64),
        "registration_email": format!("mp{n}@Risun.example.com"),
        "entity_name": "日升科技（深圳）有限公司",
        "entity_credit_code": CREDIT_CODE,
        "entity_type": "enterprise",
        "entity_subtype": "企业法人",
        "verification_method": method,
        "admin_name": "张三",
        "admin_id_number": id_no,
        "admin_phone": phone,
    })
}

async fn mp_status(app: &TestApp, token: &str, mp: i64) -> String {
    app.json(app.get(Some(token), &format!("/api/v1/mini-programs/{mp}")).await).await.1["status"].as_str().unwrap().to_owned()
}

async fn register(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(token, "/api/v1/mini-programs", body).await
}

#[tokio::test]
async fn one_admin_id_number_holds_at_most_five_mini_programs_even_when_registered_at_once() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let person = id_number(1);
    for n in 0..4 {
        let (s, r) = register(&app, &o.requester.token, record(n, &person, &format!("1381234{:04}", n), "transfer")).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        if n == 3 {
            assert!(r["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("第 4 个")), "{r}");
        }
    }
    // Two at once for the 5th place: exactly one wins.
    let (a, b) = tokio::join!(
        register(&app, &o.requester.token, record(10, &person, "13900000010", "transfer")),
        register(&app, &o.requester.token, record(11, &person, "13900000011", "transfer"))
    );
    let statuses = [a.0, b.0];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{a:?} {b:?}");
    let refused = if a.0 == StatusCode::CREATED { &b.1 } else { &a.1 };
    assert_eq!(refused["errors"][0]["field"], "admin_id_number", "{refused}");
    let (s, r) = register(&app, &o.requester.token, record(12, &person, "13900000012", "transfer")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the 6th is refused: {r}");
    // The same for a phone number.
    for n in 20..25 {
        let (s, r) = register(&app, &o.requester.token, record(n, &id_number(n), "13700000000", "transfer")).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let (s, r) = register(&app, &o.requester.token, record(25, &id_number(25), "137 0000 0000", "transfer")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r["errors"][0]["field"], "admin_phone");
}

#[tokio::test]
async fn a_registration_email_is_used_once_ignoring_case_and_individuals_cannot_use_transfer() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (s, _) = register(&app, &o.requester.token, record(1, &id_number(1), "13800000001", "transfer")).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut dup = record(2, &id_number(2), "13800000002", "transfer");
    dup["registration_email"] = json!("MP1@risun.EXAMPLE.com");
    let (s, r) = register(&app, &o.requester.token, dup).await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["code"], "email_taken");
    let mut person = record(3, &id_number(3), "13800000003", "transfer");
    person["entity_type"] = json!("individual");
    person["entity_subtype"] = json!(null);
    let (s, r) = register(&app, &o.requester.token, person.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r["errors"][0]["field"], "verification_method");
    person["verification_method"] = json!("certification");
    let (s, r) = register(&app, &o.requester.token, person).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["materials"], json!([]), "individuals need no documents");
    let mut bad = record(4, "110105199001010000", "12345", "transfer");
    bad["appid"] = json!("wx123");
    let (s, r) = register(&app, &o.requester.token, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["appid", "admin_id_number", "admin_phone"]);
}

#[tokio::test]
async fn admin_pii_is_encrypted_at_rest_and_masked_for_all_but_finance_and_admin() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let person = id_number(7);
    let (s, r) = register(&app, &o.requester.token, record(7, &person, "13812345678", "transfer")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(r["admin_phone"], "138****5678");
    assert_eq!(r["admin_id_number"].as_str().unwrap(), format!("{}***********{}", &person[..3], &person[14..]));
    for who in [&o.finance1, &o.admin] {
        let (_, v) = app.json(app.get(Some(&who.token), &format!("/api/v1/mini-programs/{}", id(&r))).await).await;
        assert_eq!(v["admin_id_number"], person.as_str());
        assert_eq!(v["admin_phone"], "13812345678");
    }
    let (_, v) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/mini-programs/{}", id(&r))).await).await;
    assert_eq!(v["admin_phone"], "138****5678");
    assert_eq!(app.get(Some(&o.outsider.token), &format!("/api/v1/mini-programs/{}", id(&r))).await.status(), StatusCode::NOT_FOUND);
    let backend = app.db.get_database_backend();
    let rows = app.db.query_all_raw(Statement::from_string(backend, "SELECT * FROM mini_programs")).await.unwrap();
    assert_eq!(rows.len(), 1);
    let enc: String = rows[0].try_get("", "admin_id_number_enc").unwrap();
    let phone_enc: String = rows[0].try_get("", "admin_phone_enc").unwrap();
    let index: String = rows[0].try_get("", "admin_id_index").unwrap();
    for raw in [&enc, &phone_enc, &index] {
        assert!(!raw.contains(&person) && !raw.contains("13812345678") && !raw.contains(&person[..10]), "clear PII in a column: {raw}");
    }
    // An edit that sends the masked values back keeps the stored ones.
    let (s, v) = app.json(app.patch(Some(&o.requester.token), &format!("/api/v1/mini-programs/{}", id(&r)), json!({"admin_phone": r["admin_phone"], "admin_id_number": r["admin_id_number"], "appid": "wx00000000000000ff", "version": r["version"]})).await).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.json(app.get(Some(&o.finance1.token), &format!("/api/v1/mini-programs/{}", id(&r))).await).await;
    assert_eq!(v["admin_phone"], "13812345678");
    assert_eq!(v["appid"], "wx00000000000000ff");
    // The audit log never holds the clear values.
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), "/api/v1/audit?per_page=200").await).await;
    assert!(!audit.to_string().contains("13812345678"));
}

#[tokio::test]
async fn the_transfer_path_follows_its_request_from_payout_to_refund() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (_, mp) = register(&app, &o.requester.token, record(1, &id_number(1), "13800000001", "transfer")).await;
    assert_eq!(mp["status"], "registering");
    assert!(mp["warnings"][0].as_str().unwrap().contains("对公打款验证"));
    let mut body = request_body("verification_transfer", 8_765);
    body.as_object_mut().unwrap().remove("mini_program");
    body["mini_program_id"] = mp["id"].clone();
    let r = app.create_request(&o.requester.token, body).await;
    assert_eq!(r["mini_program_id"], mp["id"]);
    assert_eq!(r["mini_program"]["name"], "日升小程序1", "the snapshot comes from the registry");

    assert_eq!(mp_status(&app, &o.requester.token, id(&mp)).await, "awaiting_payment");
    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    let (_, r) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    let today = today().to_string();
    let (s, r) = app
        .call(
            &o.finance2.token,
            &format!("/api/v1/requests/{}/payout", id(&r)),
            json!({"paid_at": today, "amount_fen": 8_765, "reference": "P"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(mp_status(&app, &o.requester.token, id(&mp)).await, "awaiting_refund");
    let (s, _) = app
        .call(
            &o.finance1.token,
            &format!("/api/v1/requests/{}/refund", id(&r)),
            json!({"refunded_at": today, "amount_fen": 8_765, "reference": "R"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mp_status(&app, &o.requester.token, id(&mp)).await, "verified");
    let (_, v) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/mini-programs/{}", id(&mp))).await).await;
    assert_eq!(v["request_ids"], json!([id(&r)]));
    // A transfer record cannot be declared verified by hand (manual outcomes are finance's).
    let (_, mp2) = register(&app, &o.requester.token, record(2, &id_number(2), "13800000002", "transfer")).await;
    let (s, _) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                &format!("/api/v1/mini-programs/{}", id(&mp2)),
                json!({"status": "verified", "version": mp2["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_certification_path_creates_its_300_yuan_request_and_tracks_the_review() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (s, mp) = register(&app, &o.requester.token, record(1, &id_number(1), "13800000001", "certification")).await;
    assert_eq!(s, StatusCode::CREATED, "{mp}");
    assert_eq!(mp["status"], "awaiting_payment");
    let request_id = mp["request_ids"][0].as_i64().unwrap();
    let r = app.detail(&o.requester.token, request_id).await;
    assert_eq!(
        (r["kind"].as_str(), r["amount_fen"].as_i64(), r["status"].as_str()),
        (Some("certification_fee"), Some(30_000), Some("draft"))
    );
    assert_eq!(r["amount_in_words"], "人民币叁佰元整");
    // Incomplete until the payer and payee are filled in.
    let (s, p) = app.act(&o.requester.token, request_id, "submit", json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let full = request_body("certification_fee", 30_000);
    let patch = json!({
        "payer_bank": full["payer_bank"], "payer_account": full["payer_account"], "payee_name": "腾讯科技（深圳）有限公司",
        "payee_bank": full["payee_bank"], "payee_account": full["payee_account"], "version": r["version"],
    });
    let (s, r) = app.json(app.patch(Some(&o.requester.token), &format!("/api/v1/requests/{request_id}"), patch).await).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = app.act(&o.requester.token, request_id, "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    app.act(&o.manager.token, request_id, "approve", json!({})).await;
    app.act(&o.finance1.token, request_id, "approve", json!({})).await;
    let paid_at = today();
    let (s, r) = app
        .call(
            &o.finance2.token,
            &format!("/api/v1/requests/{request_id}/payout"),
            json!({"paid_at": paid_at.to_string(), "amount_fen": 30_000, "reference": "FEE"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "closed");
    let (_, v) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/mini-programs/{}", id(&mp))).await).await;
    assert_eq!(v["status"], "certification_review");
    let expected = verifund::store::calendar::load(&app.db).await.unwrap().add_working_days(paid_at, 5).value;
    assert_eq!(v["review_due"], expected.to_string());
    let (s, v) = app
        .json(
            app.patch(
                Some(&o.finance1.token),
                &format!("/api/v1/mini-programs/{}", id(&mp)),
                json!({"status": "verified", "version": v["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "verified");
}

#[tokio::test]
async fn the_materials_checklist_follows_the_entity_type_and_ticks_with_a_file() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (_, mp) = register(&app, &o.requester.token, record(1, &id_number(1), "13800000001", "certification")).await;
    let items: Vec<&str> = mp["materials"].as_array().unwrap().iter().map(|m| m["item"].as_str().unwrap()).collect();
    assert_eq!(items, ["org_code_certificate", "business_license"]);
    assert_eq!(mp["missing_materials"], json!(["org_code_certificate", "business_license"]));
    let mut social = record(2, &id_number(2), "13800000002", "certification");
    social["entity_type"] = json!("other_org");
    social["entity_subtype"] = json!("社会团体");
    let (_, soc) = register(&app, &o.requester.token, social).await;
    let soc_items: Vec<&str> = soc["materials"].as_array().unwrap().iter().map(|m| m["item"].as_str().unwrap()).collect();
    assert!(soc_items.contains(&"social_organization_registration_certificate"), "{soc_items:?}");
    let mut media = record(3, &id_number(3), "13800000003", "certification");
    media["entity_type"] = json!("media");
    media["entity_subtype"] = json!("网络媒体");
    let (_, med) = register(&app, &o.requester.token, media).await;
    assert!(med["materials"].as_array().unwrap().len() >= 3);

    let upload = |item: &'static str, token: String| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 license".to_vec()).file_name("营业执照.pdf"));
        app.client.post(app.url(&format!("/api/v1/mini-programs/{}/materials/{item}", id(&mp)))).bearer_auth(token).multipart(form).send()
    };
    let res = upload("business_license", o.requester.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["missing_materials"], json!(["org_code_certificate"]));
    let lic = v["materials"].as_array().unwrap().iter().find(|m| m["item"] == "business_license").unwrap().clone();
    assert_eq!((lic["done"].as_bool(), lic["filename"].as_str()), (Some(true), Some("营业执照.pdf")));
    assert!(lic["attachment_id"].is_i64(), "{lic}");
    assert_eq!(upload("no_such_item", o.requester.token.clone()).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(upload("business_license", o.outsider.token.clone()).await.unwrap().status(), StatusCode::NOT_FOUND);
    let res = app.get(Some(&o.finance1.token), &format!("/api/v1/mini-programs/{}/materials/business_license/file", id(&mp))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.4 license");
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/mini-programs?verification_method=certification").await).await;
    assert_eq!(list["total"], 3);
    let (_, mine) = app.json(app.get(Some(&o.outsider.token), "/api/v1/mini-programs").await).await;
    assert_eq!(mine["total"], 0);
}
