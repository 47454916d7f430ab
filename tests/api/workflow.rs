use crate::common::*;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use verifund::domain::roles::Role;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn submitted(app: &TestApp, o: &Org, kind: &str, amount: i64) -> Value {
    let r = app.create_request(&o.requester.token, request_body(kind, amount)).await;
    let (status, body) = app.act(&o.requester.token, id(&r), "submit", json!({"version": r["version"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn approved(app: &TestApp, o: &Org, kind: &str, amount: i64) -> Value {
    let r = submitted(app, o, kind, amount).await;
    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({"comment": "同意", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.act(&o.finance1.token, id(&r), "approve", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

#[tokio::test]
async fn a_verification_transfer_goes_from_draft_to_approved_through_manager_and_finance() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 12_345)).await;
    assert_eq!(r["status"], "draft");
    assert_eq!(r["number"], Value::Null);
    assert_eq!(r["amount_in_words"], "人民币壹佰贰拾叁元肆角伍分");
    assert_eq!(r["payer_account"], "755912345610801", "account stored without spaces");
    assert_eq!(r["pay_by"], (today() + chrono::Duration::days(10)).to_string());
    assert_eq!(r["refundable"], true);
    assert_eq!(r["allowed_actions"], json!(["submit", "withdraw"]));
    assert_eq!(r["mini_program"]["admin_id_number"], "110***********002X", "PII masked for the requester");
    assert_eq!(r["mini_program"]["admin_phone"], "138****5678");

    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({"version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_manager");
    let month = verifund::clock::china_date(chrono::Utc::now()).format("%Y%m").to_string();
    assert_eq!(r["number"], format!("YF{month}-0001"));
    assert_eq!(r["manager_approver_id"], o.manager.id);
    assert_eq!(r["allowed_actions"], json!(["withdraw"]));

    let (_, tasks) = app.json(app.get(Some(&o.manager.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["manager_approval"], 1);
    assert_eq!(tasks["items"][0]["id"], r["id"]);
    assert_eq!(tasks["items"][0]["allowed_actions"], json!(["approve", "reject", "transfer", "add_approver"]));

    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({"comment": "同意", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_finance");
    let (_, tasks) = app.json(app.get(Some(&o.finance1.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["finance_approval"], 1);

    let (s, r) = app.act(&o.finance1.token, id(&r), "approve", json!({"comment": "已核对金额", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    assert!(r["approved_at"].is_string());
    // Four-eyes: the sign-off may not pay (only take the sign-off back); the other finance user may.
    assert_eq!(r["allowed_actions"], json!(["recall"]));
    let finance2_view = app.detail(&o.finance2.token, id(&r)).await;
    assert_eq!(finance2_view["allowed_actions"], json!(["payout"]));
    assert_eq!(finance2_view["mini_program"]["admin_id_number"], "11010519491231002X", "finance sees PII");

    let actions: Vec<&str> = r["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "approve", "approve"]);
    assert_eq!(r["timeline"][2]["comment"], "同意");
    assert_eq!(r["timeline"][2]["from_status"], "pending_manager");
    assert_eq!(r["timeline"][2]["to_status"], "pending_finance");
}

#[tokio::test]
async fn every_kind_reaches_approved_and_the_certification_fee_defaults_to_300_yuan() {
    let app = spawn_app().await;
    let o = org(&app).await;
    for kind in ["verification_transfer", "certification_fee", "advance_payment"] {
        let r = approved(&app, &o, kind, 99_999).await;
        assert_eq!(r["status"], "approved", "{kind}");
        assert_eq!(r["kind"], kind);
    }
    let mut body = request_body("certification_fee", 0);
    body.as_object_mut().unwrap().remove("amount_fen");
    let r = app.create_request(&o.requester.token, body).await;
    assert_eq!(r["amount_fen"], 30_000);
    assert_eq!(r["amount_in_words"], "人民币叁佰元整");
    assert_eq!(r["refundable"], false);
    let mut body = request_body("advance_payment", 500_000);
    body["refundable"] = json!(true);
    let r = app.create_request(&o.requester.token, body).await;
    assert_eq!(r["refundable"], true);
}

#[tokio::test]
async fn nobody_approves_their_own_request_whatever_their_roles() {
    let app = spawn_app().await;
    let dept = app.department("总经办", None).await;
    // Holds every role, heads the department, and is their own manager's manager's report.
    let boss = app.user("boss", &Role::ALL, Some(dept), None).await;
    app.set_department_head(dept, boss.id).await;
    // A deputy reporting to the boss: the boss still has nobody above.
    app.user("deputy", &[Role::Manager, Role::Requester], Some(dept), Some(boss.id)).await;
    let r = app.create_request(&boss.token, request_body("verification_transfer", 101)).await;
    // The department head is the requester, so the step goes to nobody above → cannot submit.
    let (s, body) = app.act(&boss.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "no_approver");
    // Give the boss a manager of their own (the deputy cannot be: that would be a loop).
    let chair = app.user("chair", &[Role::Manager], None, None).await;
    let admin = app.user("root", &[Role::Admin], None, None).await;
    let (s, _) =
        app.json(app.patch(Some(&admin.token), &format!("/api/v1/users/{}", boss.id), json!({"manager_id": chair.id})).await).await;
    assert_eq!(s, StatusCode::OK);
    let boss_token = app.login("boss", PASSWORD).await;
    let r = app.detail(&boss_token, id(&r)).await;
    let (s, r) = app.act(&boss_token, id(&r), "submit", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["manager_approver_id"], chair.id);
    assert_eq!(r["allowed_actions"], json!(["withdraw"]));
    for action in ["approve", "reject"] {
        let (s, body) = app.act(&boss_token, id(&r), action, json!({"comment": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{action}: {body}");
    }
    let (s, r) = app.act(&chair.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = app.act(&boss_token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "finance sign-off of one's own request");
}

#[tokio::test]
async fn admin_without_the_finance_role_cannot_sign_off_or_pay() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = submitted(&app, &o, "verification_transfer", 777).await;
    let (s, _) = app.act(&o.admin.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "admin is not the manager approver");
    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = app.act(&o.admin.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.detail(&o.admin.token, id(&r)).await["allowed_actions"], json!([]));
}

#[tokio::test]
async fn the_manager_approver_cannot_also_give_the_finance_sign_off() {
    let app = spawn_app().await;
    let dept = app.department("销售部", None).await;
    let mgr = app.user("mgrfin", &[Role::Manager, Role::Finance], Some(dept), None).await;
    let req = app.user("req", &[Role::Requester], Some(dept), Some(mgr.id)).await;
    let r = app.create_request(&req.token, request_body("verification_transfer", 555)).await;
    let (_, r) = app.act(&req.token, id(&r), "submit", json!({})).await;
    let (s, r) = app.act(&mgr.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["allowed_actions"], json!(["recall"]), "they may only take their approval back");
    let (s, body) = app.act(&mgr.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn reject_needs_an_opinion_returns_to_the_requester_and_the_history_keeps_every_round() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = submitted(&app, &o, "verification_transfer", 1_001).await;
    let number = r["number"].clone();
    let (s, body) = app.act(&o.manager.token, id(&r), "reject", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "comment");
    let (s, r) = app.act(&o.manager.token, id(&r), "reject", json!({"comment": "金额与腾讯页面不符", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "returned");
    assert_eq!(r["can_edit"], false, "the view is the caller's: the manager cannot edit");
    assert_eq!(app.detail(&o.requester.token, id(&r)).await["can_edit"], true);
    let (_, tasks) = app.json(app.get(Some(&o.requester.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["resubmit"], 1);

    let (s, r) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                &format!("/api/v1/requests/{}", id(&r)),
                json!({"amount_fen": 1_003, "version": r["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["amount_fen"], 1_003);
    assert_eq!(r["amount_in_words"], "人民币壹拾元零叁分");
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["number"], number, "the number is kept on resubmit");
    assert_eq!(r["round"], 2);
    let (s, r) = app.act(&o.manager.token, id(&r), "approve", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app.act(&o.finance2.token, id(&r), "reject", json!({"comment": "附言缺失", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = r["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "reject", "update", "submit", "approve", "reject"]);
    // The audit log holds the same events.
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}", id(&r))).await).await;
    assert_eq!(audit["total"], 7);
    assert_eq!(audit["items"][2]["comment"], "金额与腾讯页面不符");
    // Withdraw by the requester from returned.
    let (s, r) = app.act(&o.requester.token, id(&r), "withdraw", json!({"version": r["version"]})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["status"], "withdrawn");
    let (s, _) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_that_reports_the_current_state() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 4_321)).await;
    let path = format!("/api/v1/requests/{}", id(&r));
    let (s, _) = app.json(app.patch(Some(&o.requester.token), &path, json!({"title": "第一次修改", "version": 1})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = app.json(app.patch(Some(&o.requester.token), &path, json!({"title": "基于旧版本", "version": 1})).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(body["current"]["version"], 2);
    assert_eq!(body["current"]["status"], "draft");
    let (s, body) = app.json(app.patch(Some(&o.requester.token), &path, json!({"title": "没有版本"})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "version");
    let (s, body) = app.act(&o.requester.token, id(&r), "submit", json!({"version": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.detail(&o.requester.token, id(&r)).await["title"], "第一次修改");
}

/// For each status, who may do what: everything else answers 403 or 409, never 2xx or 5xx.
#[tokio::test]
async fn every_action_by_every_role_in_every_reachable_state_is_allowed_only_by_the_rules() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let draft = app.create_request(&o.requester.token, request_body("verification_transfer", 11)).await;
    let pm = submitted(&app, &o, "verification_transfer", 13).await;
    let pf = {
        let r = submitted(&app, &o, "verification_transfer", 15).await;
        app.act(&o.manager.token, id(&r), "approve", json!({})).await.1
    };
    let ap = approved(&app, &o, "verification_transfer", 17).await;
    let ret = {
        let r = submitted(&app, &o, "verification_transfer", 19).await;
        app.act(&o.manager.token, id(&r), "reject", json!({"comment": "退回"})).await.1
    };
    let wd = {
        let r = submitted(&app, &o, "verification_transfer", 21).await;
        app.act(&o.requester.token, id(&r), "withdraw", json!({})).await.1
    };
    let actors = [
        ("requester", &o.requester),
        ("manager", &o.manager),
        ("finance1", &o.finance1),
        ("finance2", &o.finance2),
        ("auditor", &o.auditor),
        ("admin", &o.admin),
        ("outsider", &o.outsider),
    ];
    let allowed: &[(&Value, &str, &[&str])] = &[
        (&draft, "requester", &["submit", "withdraw"]),
        (&pm, "requester", &["withdraw"]),
        (&pm, "manager", &["approve", "reject", "transfer", "add_approver"]),
        (&pf, "requester", &["withdraw"]),
        (&pf, "manager", &["recall"]),
        (&pf, "finance1", &["approve", "reject", "transfer", "add_approver"]),
        (&pf, "finance2", &["approve", "reject", "transfer", "add_approver"]),
        (&ap, "finance1", &["recall"]),
        (&ap, "finance2", &["payout"]),
        (&ret, "requester", &["submit", "withdraw"]),
    ];
    for r in [&draft, &pm, &pf, &ap, &ret, &wd] {
        for (name, user) in &actors {
            let expected: Vec<&str> =
                allowed.iter().filter(|(req, who, _)| id(req) == id(r) && who == name).flat_map(|(_, _, a)| a.iter().copied()).collect();
            let res = app.get(Some(&user.token), &format!("/api/v1/requests/{}", id(r))).await;
            if res.status() == StatusCode::NOT_FOUND {
                assert!(expected.is_empty());
                // A draft that was never submitted is its requester's alone (finance, admin
                // and auditor read everything).
                let blind = *name == "outsider" || (id(r) == id(&draft) && *name == "manager");
                assert!(blind, "only the outsider is blind to these requests, and the manager to a draft: {name}");
                continue;
            }
            let view: Value = res.json().await.unwrap();
            let offered: Vec<&str> = view["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
            assert_eq!(offered, expected, "{name} on {}", r["status"]);
            for action in ["submit", "approve", "reject", "withdraw"] {
                if expected.contains(&action) {
                    continue;
                }
                let (s, body) = app.act(&user.token, id(r), action, json!({"comment": "试试"})).await;
                assert!(s == StatusCode::FORBIDDEN || s == StatusCode::CONFLICT, "{name} {action} on {}: {s} {body}", r["status"]);
                assert_eq!(body["status"], s.as_u16());
            }
        }
    }
    // Nothing changed along the way.
    for r in [&draft, &pm, &pf, &ap, &ret, &wd] {
        assert_eq!(app.detail(&o.auditor.token, id(r)).await["version"], r["version"]);
    }
}

#[tokio::test]
async fn twenty_concurrent_approvals_of_one_request_record_exactly_one() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = submitted(&app, &o, "verification_transfer", 2_023).await;
    let version = r["version"].clone();
    let url = app.url(&format!("/api/v1/requests/{}/approve", id(&r)));
    let calls = (0..20).map(|_| app.client.post(&url).bearer_auth(&o.manager.token).json(&json!({"version": version})).send());
    let statuses: Vec<StatusCode> = futures::future::join_all(calls).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 19, "{statuses:?}");
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}&action=approve", id(&r))).await).await;
    assert_eq!(audit["total"], 1);
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

#[tokio::test]
async fn twenty_concurrent_first_submits_get_distinct_consecutive_numbers() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(id(&app.create_request(&o.requester.token, request_body("verification_transfer", 100 + i)).await));
    }
    let calls = ids
        .iter()
        .map(|i| app.client.post(app.url(&format!("/api/v1/requests/{i}/submit"))).bearer_auth(&o.requester.token).json(&json!({})).send());
    let results = futures::future::join_all(calls).await;
    let mut numbers = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        numbers.push(r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned());
    }
    numbers.sort();
    let month = verifund::clock::china_date(chrono::Utc::now()).format("%Y%m").to_string();
    let expected: Vec<String> = (1..=20).map(|n| format!("YF{month}-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn the_database_refuses_to_change_the_audit_log_and_verify_finds_a_forged_row() {
    let app = spawn_app().await;
    let o = org(&app).await;
    submitted(&app, &o, "verification_transfer", 31).await;
    let report = verifund::store::audit::verify_chain(&app.db).await.unwrap();
    assert!(report.first_broken.is_none());
    assert!(report.events >= 9);
    let update = app.db.execute_unprepared("UPDATE audit_events SET comment = 'forged' WHERE seq = 1").await;
    assert!(update.is_err(), "UPDATE must be refused");
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = app.db.execute_unprepared("DELETE FROM audit_events WHERE seq = 1").await;
    assert!(delete.is_err(), "DELETE must be refused");
    // An INSERT cannot be refused by a trigger (appending is the point), but it cannot fake the chain.
    let next = report.events as i64 + 1;
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO audit_events (seq, occurred_at, actor_name, action, prev_hash, hash) \
             VALUES ({next}, '2026-01-01 00:00:00+00:00', 'mallory', 'approve', 'abc', 'def')"
        ))
        .await
        .unwrap();
    let report = verifund::store::audit::verify_chain(&app.db).await.unwrap();
    assert_eq!(report.first_broken.as_ref().map(|b| b.0), Some(next));
    // The CLI says the same and exits non-zero.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("BROKEN at event #{next}")));
}

#[tokio::test]
async fn bad_form_input_is_refused_with_field_errors() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("amount_fen", json!(0), "amount_fen"),
        ("amount_fen", json!(-5), "amount_fen"),
        ("amount_fen", json!(12.5), "amount_fen"),
        ("amount_fen", json!(100_000_000_001i64), "amount_fen"),
        ("amount_fen", json!("100"), "amount_fen"),
        ("payer_credit_code", json!("9144030071526726XA"), "payer_credit_code"),
        ("payer_credit_code", json!("91440300715267"), "payer_credit_code"),
        ("payer_account", json!("12ab34567890"), "payer_account"),
        ("payer_account", json!("1234567"), "payer_account"),
        ("payee_account", json!("1".repeat(33)), "payee_account"),
        ("title", json!("长".repeat(201)), "title"),
        ("title", json!(""), "title"),
        ("purpose", json!("x".repeat(2001)), "purpose"),
        ("kind", json!("loan"), "kind"),
        ("currency", json!("USD"), "currency"),
        ("order_date", json!("2026-13-01"), "order_date"),
        ("order_date", json!((today() + chrono::Duration::days(3)).to_string()), "order_date"),
        ("unexpected", json!(1), "unexpected"),
    ];
    for (field, value, reported) in cases {
        let mut body = request_body("verification_transfer", 100);
        body[field] = value.clone();
        let (s, problem) = app.call(&o.requester.token, "/api/v1/requests", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}: {problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&reported), "{field}={value}: {problem}");
    }
    let mut body = request_body("verification_transfer", 100);
    body["mini_program"]["registration_email"] = json!("not-an-email");
    body["mini_program"]["admin_phone"] = json!("12345");
    let (s, problem) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["mini_program.registration_email", "mini_program.admin_phone"]);
    let mut body = request_body("verification_transfer", 100);
    body["mini_program"]["entity_type"] = json!("individual");
    body["mini_program"]["entity_subtype"] = json!(null);
    let (s, problem) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "mini_program.entity_type");
    // Someone without the requester role cannot create requests.
    let (s, _) = app.call(&o.auditor.token, "/api/v1/requests", request_body("verification_transfer", 100)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn people_see_only_the_requests_they_should() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mine = app.create_request(&o.requester.token, request_body("verification_transfer", 41)).await;
    let other = app.create_request(&o.outsider.token, request_body("advance_payment", 43)).await;
    let list = |token: String| {
        let app = &app;
        async move {
            let (_, body) = app.json(app.get(Some(&token), "/api/v1/requests").await).await;
            body["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list(o.requester.token.clone()).await, vec![id(&mine)]);
    assert_eq!(list(o.outsider.token.clone()).await, vec![id(&other)]);
    assert_eq!(list(o.manager.token.clone()).await, Vec::<i64>::new(), "a draft never submitted is its requester's alone");
    let sent = app.create_request(&o.requester.token, request_body("verification_transfer", 47)).await;
    app.act(&o.requester.token, id(&sent), "submit", json!({})).await;
    assert_eq!(list(o.manager.token.clone()).await, vec![id(&sent)], "the manager sees their reports' once submitted");
    for who in [&o.finance1, &o.auditor, &o.admin] {
        assert_eq!(list(who.token.clone()).await, vec![id(&sent), id(&other), id(&mine)]);
    }
    // IDOR: another person's request is a 404 on every {id} route.
    let p = format!("/api/v1/requests/{}", id(&mine));
    assert_eq!(app.get(Some(&o.outsider.token), &p).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(Some(&o.outsider.token), &format!("{p}/print")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(Some(&o.outsider.token), &format!("{p}/attachments")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.patch(Some(&o.outsider.token), &p, json!({"version": 1, "title": "x"})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.send(Method::DELETE, Some(&o.outsider.token), &p, None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.act(&o.outsider.token, id(&mine), "submit", json!({})).await.0, StatusCode::NOT_FOUND);
    // The requester may delete the draft; then it is gone, and the audit log remembers.
    assert_eq!(app.send(Method::DELETE, Some(&o.requester.token), &p, None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(Some(&o.requester.token), &p).await.status(), StatusCode::NOT_FOUND);
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}", id(&mine))).await).await;
    assert_eq!(audit["items"][1]["action"], "delete");
}

#[tokio::test]
async fn the_list_filters_sorts_and_paginates() {
    let app = spawn_app().await;
    let o = org(&app).await;
    for amount in [5, 3, 9, 1, 7] {
        app.create_request(&o.requester.token, request_body("verification_transfer", amount)).await;
    }
    app.create_request(&o.requester.token, request_body("advance_payment", 2)).await;
    let get = |q: &'static str| {
        let app = &app;
        let t = o.finance1.token.clone();
        async move { app.json(app.get(Some(&t), &format!("/api/v1/requests{q}")).await).await.1 }
    };
    let page = get("?kind=verification_transfer&sort=amount_fen&per_page=2&page=2").await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    let amounts: Vec<i64> = page["items"].as_array().unwrap().iter().map(|r| r["amount_fen"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [5, 7]);
    let page = get("?sort=-amount_fen&per_page=1").await;
    assert_eq!(page["items"][0]["amount_fen"], 9);
    assert_eq!(get("?status=pending_manager").await["total"], 0);
    assert_eq!(get("?q=%E6%97%A5%E5%8D%87").await["total"], 6);
    assert_eq!(get("?flag=payout_overdue").await["total"], 0);
    let from = today().to_string();
    assert_eq!(app.json(app.get(Some(&o.finance1.token), &format!("/api/v1/requests?from={from}&to={from}")).await).await.1["total"], 6);
    for bad in [
        "?sort=password",
        "?status=nope",
        "?flag=nope",
        "?per_page=0",
        "?page=0",
        "?page=18446744073709551615",
        "?page=99999999999",
        "?from=yesterday",
        "?extra=1",
    ] {
        let (s, body) = app.json(app.get(Some(&o.finance1.token), &format!("/api/v1/requests{bad}")).await).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["errors"][0]["field"].is_string(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_served_back_to_those_who_may_see_them() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 61)).await;
    let url = app.url(&format!("/api/v1/requests/{}/attachments", id(&r)));
    let png = b"\x89PNG\r\n\x1a\n0000 fake but well-started png".to_vec();
    let upload = |bytes: Vec<u8>, name: &'static str, token: String| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.client.post(&url).bearer_auth(token).multipart(form).send()
    };
    let res = upload(png.clone(), "../../腾讯打款页面.png", o.requester.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["filename"], "腾讯打款页面.png");
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["size_bytes"], png.len());
    use sha2::Digest;
    assert_eq!(a["sha256"], hex::encode(sha2::Sha256::digest(&png)));
    let res = upload(b"<script>alert(1)</script>".to_vec(), "evil.png", o.requester.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = upload(png.clone(), "disguised.pdf", o.requester.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = upload(png.clone(), "x.png", o.manager.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a draft never submitted is its requester's alone");
    let big = [b"%PDF-".to_vec(), vec![b'x'; 11 * 1024 * 1024]].concat();
    let res = upload(big, "big.pdf", o.requester.token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Once submitted, the manager reads the attachment too.
    let (s, _) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let res = app.get(Some(&o.manager.token), &format!("/api/v1/requests/{}/attachments/{}", id(&r), a["id"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    assert_eq!(
        app.get(Some(&o.outsider.token), &format!("/api/v1/requests/{}/attachments/{}", id(&r), a["id"])).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.detail(&o.requester.token, id(&r)).await["attachments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_print_view_is_the_paper_form_with_signatures() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, "verification_transfer", 140_950).await;
    let res = app.get(Some(&o.requester.token), &format!("/api/v1/requests/{}/print", id(&r))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    for needle in [
        "日升集团应(预)付款审批单",
        r["number"].as_str().unwrap(),
        "¥1,409.50",
        "人民币壹仟肆佰零玖元伍角整",
        "manager 名（同意）",
        "finance1 名（同意）",
        "@page",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
}

#[tokio::test]
async fn a_second_open_request_with_the_same_amount_and_payee_is_flagged_and_warned() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let first = app.create_request(&o.requester.token, request_body("verification_transfer", 12_321)).await;
    assert_eq!(first["flags"], json!([]));
    assert_eq!(first["warnings"], json!([]));
    let second = app.create_request(&o.requester.token, request_body("verification_transfer", 12_321)).await;
    assert_eq!(second["flags"], json!(["duplicate_suspect"]));
    assert!(second["warnings"][0].as_str().unwrap().contains(&format!("#{}", id(&first))), "{}", second["warnings"]);
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=duplicate_suspect").await).await;
    assert_eq!(list["total"], 1);
    // Changing the amount clears it; withdrawing the first makes a new twin harmless.
    let (s, second) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                &format!("/api/v1/requests/{}", id(&second)),
                json!({"amount_fen": 12_323, "version": second["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(second["flags"], json!([]));
    app.act(&o.requester.token, id(&first), "withdraw", json!({})).await;
    let third = app.create_request(&o.requester.token, request_body("verification_transfer", 12_321)).await;
    assert_eq!(third["flags"], json!([]));
}

#[tokio::test]
async fn the_admins_id_number_and_phone_on_a_request_are_encrypted_at_rest() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 4_444)).await;
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(backend, format!("SELECT mini_program FROM requests WHERE id = {}", id(&r))))
        .await
        .unwrap()
        .unwrap();
    let raw: Value = row.try_get("", "mini_program").unwrap();
    let text = raw.to_string();
    assert!(!text.contains("11010519491231002X") && !text.contains("13812345678"), "{text}");
    assert!(text.contains("日升商城"), "the rest is stored as is");
    assert_eq!(app.detail(&o.finance1.token, id(&r)).await["mini_program"]["admin_phone"], "13812345678");
    // An edit that sends the masked values back keeps the real ones.
    let masked = app.detail(&o.requester.token, id(&r)).await;
    let mut mp = masked["mini_program"].clone();
    mp["name"] = json!("日升商城二期");
    let (s, _) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                &format!("/api/v1/requests/{}", id(&r)),
                json!({"mini_program": mp, "version": masked["version"]}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let after = app.detail(&o.finance1.token, id(&r)).await;
    assert_eq!(after["mini_program"]["admin_id_number"], "11010519491231002X");
    assert_eq!(after["mini_program"]["name"], "日升商城二期");
}

/// Many open twins: the warning names the first ten and still says how many there are.
#[tokio::test]
async fn the_duplicate_warning_names_the_first_ten_of_many_twins_and_counts_them_all() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(id(&app.create_request(&o.requester.token, request_body("advance_payment", 45_678)).await));
    }
    let last = app.create_request(&o.requester.token, request_body("advance_payment", 45_678)).await;
    let warning = last["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.contains(" 12 张（包括 "), "{warning}");
    for (i, twin) in ids.iter().enumerate() {
        assert_eq!(warning.contains(&format!("#{twin}、")) || warning.contains(&format!("#{twin} ")), i < 10, "#{twin} in {warning}");
    }
}

/// Beyond a hundred open twins the warning stops counting: it says "at least 100" and still
/// names the first ten by number.
#[tokio::test]
async fn the_duplicate_warning_counts_at_most_a_hundred_twins() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut ids = Vec::new();
    for _ in 0..100 {
        ids.push(id(&app.create_request(&o.requester.token, request_body("advance_payment", 45_679)).await));
    }
    let last = app.create_request(&o.requester.token, request_body("advance_payment", 45_679)).await;
    assert_eq!(last["flags"], json!(["duplicate_suspect"]));
    let warning = last["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.contains("至少 100 张（包括 "), "{warning}");
    for (i, twin) in ids.iter().enumerate().take(12) {
        assert_eq!(warning.contains(&format!("#{twin}、")) || warning.contains(&format!("#{twin} ")), i < 10, "#{twin} in {warning}");
    }
    // Two twins fewer and the count is exact again.
    for gone in [ids[0], id(&last)] {
        let res = app.send(Method::DELETE, Some(&o.requester.token), &format!("/api/v1/requests/{gone}"), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let again = app.create_request(&o.requester.token, request_body("advance_payment", 45_679)).await;
    let warning = again["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.contains(" 99 张（包括 "), "{warning}");
}

/// On PostgreSQL the duplicate check reads the open twins from `idx_requests_open_amount`
/// (migration 38), whose condition must name exactly the open statuses for the check's
/// condition to prove it.
#[tokio::test]
async fn the_open_amount_index_names_exactly_the_open_statuses() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return;
    }
    let sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_requests_open_amount' AND schemaname = current_schema()";
    let row = app.db.query_one_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql)).await.unwrap();
    let def: String = row.expect("the index exists").try_get("", "indexdef").unwrap();
    for s in verifund::domain::workflow::Status::ALL {
        assert_eq!(def.contains(&format!("'{}'", s.as_str())), s.is_open(), "{s:?} in {def}");
    }
    assert!(def.contains("(amount_fen, id)"), "{def}");
}
