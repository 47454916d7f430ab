//! Money integrity and the holes an outside probe found (issue #20), and the fixes that came
//! with the one action path (issue #14), each through HTTP on the configured database.
use crate::common::*;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifund::domain::roles::Role;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn submitted(app: &TestApp, o: &Org, body: Value) -> Value {
    let r = app.create_request(&o.requester.token, body).await;
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

async fn paid(app: &TestApp, o: &Org, amount_fen: i64) -> Value {
    paid_on(app, o, amount_fen, today()).await
}

/// Ordered, approved and paid on `day` (the app's clock may stand elsewhere than today).
async fn paid_on(app: &TestApp, o: &Org, amount_fen: i64, day: NaiveDate) -> Value {
    let mut body = request_body("verification_transfer", amount_fen);
    body["order_date"] = json!(day);
    let r = approved(app, o, body).await;
    let body = json!({"paid_at": day, "amount_fen": amount_fen, "reference": "P-1"});
    let (s, r) = app.act(&o.finance2.token, id(&r), "payout", body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

fn field_errors(p: &Value) -> Vec<String> {
    p["errors"].as_array().map(|es| es.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

async fn import(app: &TestApp, token: &str, csv: &str, mapping: Value, commit: bool) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("statement.csv"))
        .text("mapping", mapping.to_string())
        .text("commit", commit.to_string());
    let res = app.client.post(app.url("/api/v1/bank-statements")).bearer_auth(token).multipart(form).send().await.unwrap();
    app.json(res).await
}

fn debit_credit() -> Value {
    json!({"date": "日期", "debit": "支出", "credit": "收入", "counterparty_name": "对方户名", "counterparty_account": "对方账号", "reference": "摘要"})
}

async fn audit_actions(app: &TestApp, o: &Org, request_id: i64) -> Vec<String> {
    let (_, a) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={request_id}&per_page=100")).await).await;
    a["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_reversal_line_is_never_recorded_as_a_payout_nor_as_a_refund() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, request_body("verification_transfer", 632_175)).await;
    let d = today().to_string();
    // 冲正 / 退汇: a negative amount in the debit or credit column is money moving the other way.
    let csv = format!(
        "日期,支出,收入,对方户名,对方账号,摘要\n\
         {d},-6321.75,,财付通支付科技有限公司,755915707910607,冲正\n\
         {d},,-6321.75,财付通支付科技有限公司,755915707910607,退汇\n"
    );
    for commit in [false, true] {
        let (s, res) = import(&app, &o.finance2.token, &csv, debit_credit(), commit).await;
        assert_eq!(s, StatusCode::OK, "{res}");
        assert_eq!(res["matched"], json!([]), "{res}");
        let invalid: Vec<(i64, String)> = res["invalid"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["line"].as_i64().unwrap(), p["message"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(invalid.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 3], "{res}");
        assert!(invalid.iter().all(|(_, m)| m.contains("冲正") && m.contains("reversal")), "{res}");
    }
    let after = app.detail(&o.finance2.token, id(&r)).await;
    assert_eq!((after["status"].as_str(), after["version"].as_i64()), (Some("approved"), r["version"].as_i64()));
}

#[tokio::test]
async fn refunds_never_add_up_past_the_payout_manual_or_imported() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = paid(&app, &o, 10_001).await;
    let refund = |amount: i64, reference: &str| json!({"refunded_at": today().to_string(), "amount_fen": amount, "reference": reference});
    let (s, p) = app.act(&o.finance1.token, id(&r), "refund", refund(40_004, "R-4x")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_errors(&p), ["amount_fen"]);
    let (s, p) = app.act(&o.finance1.token, id(&r), "refund", refund(4_000, "R-1")).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, p) = app.act(&o.finance1.token, id(&r), "refund", refund(6_002, "R-2")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "one fen past the payout: {p}");
    assert_eq!(field_errors(&p), ["amount_fen"]);

    // The bank's line for the whole amount, on top of the manual partial refund.
    let d = today().to_string();
    let csv = format!("日期,支出,收入,对方户名,对方账号,摘要\n{d},,100.01,财付通支付科技有限公司,755915707910607,退款\n");
    for commit in [false, true] {
        let (s, res) = import(&app, &o.finance1.token, &csv, debit_credit(), commit).await;
        assert_eq!(s, StatusCode::OK, "{res}");
        assert_eq!(res["matched"], json!([]), "{res}");
        assert_eq!(res["invalid"][0]["line"], 2, "{res}");
        assert!(res["invalid"][0]["message"].as_str().unwrap().contains("amount_fen"), "{res}");
    }
    let now = app.detail(&o.finance1.token, id(&r)).await;
    assert_eq!((now["status"].as_str(), now["refund_amount_fen"].as_i64()), (Some("paid"), Some(4_000)));
    let (s, done) = app.act(&o.finance1.token, id(&r), "refund", refund(6_001, "R-3")).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["status"].as_str(), done["refund_amount_fen"].as_i64()), (Some("refunded"), Some(10_001)));
}

#[tokio::test]
async fn a_payout_is_never_above_the_approved_amount() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, request_body("verification_transfer", 71_870)).await;
    let pay = |amount: i64, reason: Option<&str>| {
        let mut b = json!({"paid_at": today().to_string(), "amount_fen": amount, "reference": "P"});
        if let Some(reason) = reason {
            b["override_reason"] = json!(reason);
        }
        b
    };
    for (body, field) in [
        (pay(7_187_000, Some("typo")), "amount_fen"),
        (pay(71_871, Some("手续费外加")), "amount_fen"),
        (pay(71_869, None), "override_reason"),
    ] {
        let (s, p) = app.act(&o.finance2.token, id(&r), "payout", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert_eq!(field_errors(&p), [field], "{body}: {p}");
    }
    assert_eq!(app.detail(&o.finance2.token, id(&r)).await["status"], "approved");
    let (s, p) = app.act(&o.finance2.token, id(&r), "payout", pay(71_869, Some("银行手续费内扣 1 分"))).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!((p["payout_amount_fen"].as_i64(), p["payout_override_reason"].as_str()), (Some(71_869), Some("银行手续费内扣 1 分")));
}

#[tokio::test]
async fn a_step_is_only_ever_held_by_someone_with_an_approving_role() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = submitted(&app, &o, request_body("verification_transfer", 3_301)).await;
    let v = r["version"].clone();
    for who in [&o.auditor, &o.admin, &o.finance1] {
        let (s, p) = app.act(&o.manager.token, id(&r), "transfer", json!({"to_user_id": who.id, "version": v})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "manager step to {}: {p}", who.username);
        assert_eq!(field_errors(&p), ["to_user_id"]);
        let (s, p) = app.act(&o.manager.token, id(&r), "add-approver", json!({"user_id": who.id, "position": "after", "version": v})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "added approver {}: {p}", who.username);
        assert_eq!(field_errors(&p), ["user_id"]);
    }
    let (s, p) = app
        .call(&o.manager.token, "/api/v1/delegations", json!({"delegate_id": o.auditor.id, "starts_on": today(), "ends_on": today()}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_errors(&p), ["delegate_id"]);
    // Nothing changed, and the auditor still cannot approve.
    let (s, _) = app.act(&o.auditor.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A fellow manager may take it.
    let (s, p) = app.act(&o.manager.token, id(&r), "transfer", json!({"to_user_id": o.outsider.id, "version": v})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, p) = app.act(&o.outsider.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    // At finance only finance: not the manager who approved, not the auditor.
    let (s, p) = app.act(&o.finance1.token, id(&r), "transfer", json!({"to_user_id": o.auditor.id})).await;
    assert_eq!((s, field_errors(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["to_user_id".to_owned()]), "{p}");
}

#[tokio::test]
async fn a_lapsed_verification_order_reads_as_expired_and_refuses_submit_approve_and_pay() {
    let (app, clock) = app_at("2026-07-01").await;
    let o = org(&app).await;
    let mut body = request_body("verification_transfer", 4_321);
    body["order_date"] = json!("2026-07-01");
    let approved_one = approved(&app, &o, body.clone()).await;
    let pending = submitted(&app, &o, body.clone()).await;
    let draft = app.create_request(&o.requester.token, body.clone()).await;
    let mut fee = request_body("certification_fee", 30_000);
    fee["order_date"] = json!("2026-07-01");
    let fee = approved(&app, &o, fee).await;
    assert_eq!(approved_one["pay_by"], "2026-07-11");

    // Weeks later, before the daily job ran.
    clock.set(china_morning("2026-07-30"));
    let seen = app.detail(&o.finance2.token, id(&approved_one)).await;
    assert_eq!(seen["status"], "expired");
    assert_eq!(seen["allowed_actions"], json!([]));
    assert_eq!(seen["flags"], json!([]), "an expired order is not an overdue payout");
    let (s, p) = app
        .act(&o.finance2.token, id(&approved_one), "payout", json!({"paid_at": "2026-07-30", "amount_fen": 4_321, "reference": "LATE"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, p) = app.act(&o.manager.token, id(&pending), "approve", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, p) = app.act(&o.requester.token, id(&draft), "submit", json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_errors(&p), ["order_date"]);
    // Lists agree with what the detail says; other kinds keep the overdue flag.
    let (_, expired) = app.json(app.get(Some(&o.finance2.token), "/api/v1/requests?status=expired").await).await;
    let ids: Vec<i64> = expired["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&pending), id(&approved_one)], "{expired}");
    let (_, still) = app.json(app.get(Some(&o.finance2.token), "/api/v1/requests?status=approved").await).await;
    let ids: Vec<i64> = still["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&fee)]);
    let (_, late) = app.json(app.get(Some(&o.finance2.token), "/api/v1/requests?flag=payout_overdue").await).await;
    assert_eq!(late["total"], 1);
    assert_eq!(late["items"][0]["flags"], json!(["payout_overdue"]));
    // The daily job then makes it so, audited once (and expires the unpaid fee too: §1.2).
    let report = verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert_eq!(report.expired, 3);
    assert_eq!(audit_actions(&app, &o, id(&approved_one)).await.iter().filter(|a| *a == "expire").count(), 1);
}

#[tokio::test]
async fn drafts_are_private_until_first_submitted_and_duplicate_warnings_name_only_what_you_may_read() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let draft = app.create_request(&o.requester.token, request_body("verification_transfer", 5_555)).await;
    for path in [format!("/api/v1/requests/{}", id(&draft)), format!("/api/v1/requests/{}/attachments", id(&draft))] {
        let res = app.get(Some(&o.manager.token), &path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = app.json(app.get(Some(&o.manager.token), "/api/v1/requests").await).await;
    assert_eq!(list["total"], 0);
    let (s, sent) = app.act(&o.requester.token, id(&draft), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    assert_eq!(app.get(Some(&o.manager.token), &format!("/api/v1/requests/{}", id(&draft))).await.status(), StatusCode::OK);

    // Someone in another department asks for the same amount and payee.
    let (s, twin) = app.call(&o.outsider.token, "/api/v1/requests", request_body("verification_transfer", 5_555)).await;
    assert_eq!(s, StatusCode::CREATED, "{twin}");
    assert_eq!(twin["flags"], json!(["duplicate_suspect"]));
    let warning = twin["warnings"][0].as_str().unwrap();
    let number = sent["number"].as_str().unwrap();
    assert!(!warning.contains(number) && !warning.contains(&format!("#{}", id(&draft))), "{warning}");
    // The requester, who may read the first one, is told which it is.
    let (_, mine) = app.call(&o.requester.token, "/api/v1/requests", request_body("verification_transfer", 5_555)).await;
    assert!(mine["warnings"][0].as_str().unwrap().contains(number), "{mine}");
}

#[tokio::test]
async fn a_number_where_a_string_is_expected_names_the_field() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut body = request_body("verification_transfer", 101);
    body["kind"] = json!(3);
    let (s, p) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_errors(&p), ["kind"], "{p}");
}

#[tokio::test]
async fn the_to_do_list_pages_like_every_list() {
    let app = spawn_app().await;
    let o = org(&app).await;
    for amount in [1_001, 1_003, 1_005] {
        submitted(&app, &o, request_body("verification_transfer", amount)).await;
    }
    let (s, first) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?per_page=2").await).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!((first["total"].as_i64(), first["page"].as_i64(), first["per_page"].as_i64()), (Some(3), Some(1), Some(2)));
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["counts"]["manager_approval"], 3);
    let (_, second) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?per_page=2&page=2").await).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    let mut seen: Vec<i64> = first["items"].as_array().unwrap().iter().chain(second["items"].as_array().unwrap()).map(id).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 3, "no item twice, none lost");
    let (s, p) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?per_page=500").await).await;
    assert_eq!((s, field_errors(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["per_page".to_owned()]));
    // One kind of task at a time, paged on the server.
    let (_, bucket) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?bucket=manager_approval&per_page=2&page=2").await).await;
    assert_eq!((bucket["total"].as_i64(), bucket["items"].as_array().unwrap().len()), (Some(3), 1));
    let (_, none) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?bucket=payout").await).await;
    assert_eq!((none["total"].as_i64(), none["items"].as_array().unwrap().len()), (Some(0), 0));
    assert_eq!(none["counts"]["manager_approval"], 3, "counts stay for every kind");
    let (s, p) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks?bucket=everything").await).await;
    assert_eq!((s, field_errors(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["bucket".to_owned()]));
}

#[tokio::test]
async fn taking_the_finance_role_away_reroutes_the_finance_step_they_hold() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = submitted(&app, &o, request_body("verification_transfer", 2_345)).await;
    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.act(&o.finance1.token, id(&r), "transfer", json!({"to_user_id": o.finance2.id})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["current_step"]["approver_ids"], json!([o.finance2.id]));
    let (s, u) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.finance2.id), json!({"roles": ["requester"]})).await).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    let after = app.detail(&o.finance1.token, id(&r)).await;
    // Open to the finance team again: finance1 is the only finance user left.
    assert_eq!(after["current_step"]["approver_ids"], json!([o.finance1.id]));
    assert_eq!(after["version"].as_i64(), r["version"].as_i64().map(|v| v + 1));
    assert!(audit_actions(&app, &o, id(&r)).await.contains(&"reroute".to_owned()));
    let finance2 = app.login(&o.finance2.username, PASSWORD).await;
    let (s, done) = app.act(&finance2, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no longer finance, so not even readable: {done}");
    let (s, done) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("approved")), "{done}");
}

#[tokio::test]
async fn replacing_a_calendar_year_bumps_and_audits_each_moved_refund_deadline() {
    let (app, _clock) = app_at("2026-12-01").await;
    let o = org(&app).await;
    let r = paid_on(&app, &o, 1_111, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).await;
    assert_eq!(r["refund_due"], "2026-12-15");
    let (_, year) = app.json(app.get(Some(&o.admin.token), "/api/v1/calendar/2026").await).await;
    let mut holidays = year["holidays"].as_array().unwrap().clone();
    holidays.push(json!("2026-12-07"));
    let res = app
        .send(
            reqwest::Method::PUT,
            Some(&o.admin.token),
            "/api/v1/calendar/2026",
            Some(json!({"year": 2026, "holidays": holidays, "workdays": year["workdays"]})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = app.detail(&o.finance1.token, id(&r)).await;
    assert_eq!(after["refund_due"], "2026-12-16");
    assert_eq!(after["version"].as_i64(), r["version"].as_i64().map(|v| v + 1));
    let (_, a) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}&action=refund_due", id(&r))).await).await;
    assert_eq!(a["total"], 1, "{a}");
    assert_eq!(
        (a["items"][0]["after"]["refund_due"].as_str(), a["items"][0]["before"]["version"].as_i64()),
        (Some("2026-12-16"), r["version"].as_i64())
    );
}

#[tokio::test]
async fn an_approver_whose_delegate_signed_off_finance_is_not_offered_the_payout() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let finance3 = app.user("finance3", &[Role::Finance], None, None).await;
    let r = submitted(&app, &o, request_body("verification_transfer", 8_765)).await;
    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // finance1 holds the sign-off and is away; finance2 signs for them.
    let (s, r) = app.act(&o.finance2.token, id(&r), "transfer", json!({"to_user_id": o.finance1.id})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, d) = app
        .call(&o.finance1.token, "/api/v1/delegations", json!({"delegate_id": o.finance2.id, "starts_on": today(), "ends_on": today()}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (s, r) = app.act(&o.finance2.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    for (who, offered) in [(&o.finance1, 0), (&o.finance2, 0), (&finance3, 1)] {
        let (_, tasks) = app.json(app.get(Some(&who.token), "/api/v1/tasks").await).await;
        assert_eq!(tasks["counts"]["payout"], offered, "{}: {tasks}", who.username);
        let pay = json!({"paid_at": today().to_string(), "amount_fen": 8_765, "reference": "P"});
        if offered == 0 {
            let (s, _) = app.act(&who.token, id(&r), "payout", pay).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{} would be refused", who.username);
        }
    }
}

#[tokio::test]
async fn editing_a_draft_to_link_a_registry_record_moves_the_record_as_creating_does() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let record = json!({
        "name": "日升会员", "registration_email": "member@risun.example.com",
        "entity_name": "日升科技（深圳）有限公司", "entity_credit_code": CREDIT_CODE,
        "entity_type": "enterprise", "verification_method": "transfer",
        "admin_name": "张三", "admin_id_number": "11010519491231002X", "admin_phone": "13812345678",
    });
    let (s, mp) = app.call(&o.requester.token, "/api/v1/mini-programs", record).await;
    assert_eq!(s, StatusCode::CREATED, "{mp}");
    assert_eq!(mp["status"], "registering");
    let draft = app.create_request(&o.requester.token, request_body("verification_transfer", 909)).await;
    let (s, edited) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                &format!("/api/v1/requests/{}", id(&draft)),
                json!({"mini_program_id": id(&mp), "version": draft["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    let (_, after) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/mini-programs/{}", id(&mp))).await).await;
    assert_eq!(after["status"], "awaiting_payment", "{after}");
    assert!(audit_actions(&app, &o, id(&draft)).await.contains(&"mini_program_status".to_owned()));
}

#[tokio::test]
async fn a_username_with_a_nul_byte_is_a_failed_sign_in_not_a_server_error() {
    let app = spawn_app().await;
    let res = app.post(None, "/api/v1/auth/login", json!({"username": "a\u{0000}b", "password": "whatever it is"})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
