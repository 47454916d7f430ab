use crate::common::*;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use verifund::clock::FixedClock;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn money(app: &TestApp, token: &str, id: i64, action: &str, key: Option<&str>, body: Value) -> (StatusCode, Value, bool) {
    let mut req = app.client.post(app.url(&format!("/api/v1/requests/{id}/{action}"))).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let (s, b) = app.json(res).await;
    (s, b, replayed)
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (_, body) = app.json(app.get(Some(token), "/api/v1/notifications?per_page=100").await).await;
    body["items"].as_array().unwrap().clone()
}

fn kinds(ns: &[Value]) -> Vec<String> {
    ns.iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_payout_before_national_day_is_due_back_on_the_tenth_working_day_and_a_full_refund_settles_it() {
    let (app, _clock) = app_at("2026-09-30").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 12_345, "2026-09-28").await;
    assert_eq!(r["pay_by"], "2026-10-08");
    let (s, r, _) = money(
        &app,
        &o.finance2.token,
        id(&r),
        "payout",
        Some("k1"),
        json!({"paid_at": "2026-09-30", "amount_fen": 12_345, "reference": "CMB202609300001", "version": r["version"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "paid");
    assert_eq!(r["paid_at"], "2026-09-30");
    assert_eq!(r["payout_amount_fen"], 12_345);
    assert_eq!(r["paid_by"], o.finance2.id);
    // 10/1–7 国庆 off; 10/8 Thu, 10/9 Fri, 10/10 Sat (make-up), 10/12–16, 10/19, 10/20 → the 10th.
    assert_eq!(r["refund_due"], "2026-10-20");
    assert_eq!(r["allowed_actions"], json!(["refund"]));
    assert!(kinds(&notifications(&app, &o.requester.token).await).contains(&"paid".to_owned()));

    let (s, r, _) = money(
        &app,
        &o.finance1.token,
        id(&r),
        "refund",
        Some("k2"),
        json!({"refunded_at": "2026-09-30", "amount_fen": 12_345, "reference": "TENPAY-RETURN-1"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "refunded");
    assert_eq!(r["refund_amount_fen"], 12_345);
    assert_eq!(r["flags"], json!([]));
    let actions: Vec<&str> = r["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "approve", "approve", "payout", "refund"]);
}

#[tokio::test]
async fn refunds_add_up_and_a_mismatch_stays_paid_and_flagged_with_the_difference() {
    let (app, _clock) = app_at("2026-05-06").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 10_001, "2026-05-06").await;
    let (s, r, _) =
        money(&app, &o.finance2.token, id(&r), "payout", None, json!({"paid_at": "2026-05-06", "amount_fen": 10_001, "reference": "P1"}))
            .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // 5/7 Thu, 5/8 Fri, 5/9 Sat make-up, 5/11–15, 5/18, 5/19 → 10th is 5/19.
    assert_eq!(r["refund_due"], "2026-05-19");
    let (s, r, _) = money(
        &app,
        &o.finance1.token,
        id(&r),
        "refund",
        None,
        json!({"refunded_at": "2026-05-06", "amount_fen": 4_000, "reference": "R1"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "paid");
    assert_eq!(r["flags"], json!(["refund_mismatch"]));
    assert_eq!(r["refund_difference_fen"], 6_001);
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=refund_mismatch").await).await;
    assert_eq!(list["total"], 1);
    let (s, r, _) = money(
        &app,
        &o.finance1.token,
        id(&r),
        "refund",
        None,
        json!({"refunded_at": "2026-05-06", "amount_fen": 6_001, "reference": "R2"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "refunded");
    assert_eq!(r["refund_amount_fen"], 10_001);
    let (s, _, _) =
        money(&app, &o.finance1.token, id(&r), "refund", None, json!({"refunded_at": "2026-05-06", "amount_fen": 1, "reference": "R3"}))
            .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing more to refund once settled");
}

#[tokio::test]
async fn payout_rules_amount_override_dates_and_who_may_pay() {
    let (app, _clock) = app_at("2026-03-10").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 777, "2026-03-09").await;
    let path_id = id(&r);
    let cases = [
        (json!({"paid_at": "2026-03-10", "amount_fen": 776, "reference": "X"}), "override_reason"),
        (json!({"paid_at": "2026-03-10", "amount_fen": 778, "reference": "X", "override_reason": "手续费"}), "amount_fen"),
        (json!({"paid_at": "2026-03-11", "amount_fen": 777, "reference": "X"}), "paid_at"),
        (json!({"paid_at": "2026-03-09", "amount_fen": 777, "reference": "X"}), "paid_at"),
        (json!({"paid_at": "2026-03-10", "amount_fen": 777, "reference": ""}), "reference"),
        (json!({"paid_at": "2026-03-10", "amount_fen": 0, "reference": "X"}), "amount_fen"),
        (json!({"paid_at": "2026-03-10", "amount_fen": 7.5, "reference": "X"}), "amount_fen"),
        (json!({"paid_at": "10/03/2026", "amount_fen": 777, "reference": "X"}), "paid_at"),
    ];
    for (body, field) in cases {
        let (s, p, _) = money(&app, &o.finance2.token, path_id, "payout", None, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{body}: {p}");
    }
    let ok = json!({"paid_at": "2026-03-10", "amount_fen": 777, "reference": "X"});
    for (who, expected) in [
        (&o.requester, StatusCode::FORBIDDEN),
        (&o.finance1, StatusCode::FORBIDDEN),
        (&o.auditor, StatusCode::FORBIDDEN),
        (&o.admin, StatusCode::FORBIDDEN),
        (&o.manager, StatusCode::FORBIDDEN),
    ] {
        let (s, p, _) = money(&app, &who.token, path_id, "payout", None, ok.clone()).await;
        assert_eq!(s, expected, "{}: {p}", who.username);
    }
    let (s, _, _) =
        money(&app, &o.finance2.token, path_id, "refund", None, json!({"refunded_at": "2026-03-10", "amount_fen": 777, "reference": "R"}))
            .await;
    assert_eq!(s, StatusCode::CONFLICT, "no refund before the payout");
    let (s, r, _) = money(
        &app,
        &o.finance2.token,
        path_id,
        "payout",
        None,
        json!({"paid_at": "2026-03-10", "amount_fen": 775, "reference": "X", "override_reason": "银行手续费内扣"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["payout_amount_fen"], 775);
    assert_eq!(r["payout_override_reason"], "银行手续费内扣");
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={path_id}&action=payout")).await).await;
    assert_eq!(audit["items"][0]["comment"], "银行手续费内扣");
    assert_eq!(audit["items"][0]["after"]["amount_fen"], 775);
    // A non-refundable kind closes on payout and has no refund deadline.
    let fee = approved_on(&app, &o, "certification_fee", 30_000, "2026-03-10").await;
    let (s, fee, _) = money(
        &app,
        &o.finance2.token,
        id(&fee),
        "payout",
        None,
        json!({"paid_at": "2026-03-10", "amount_fen": 30_000, "reference": "FEE"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{fee}");
    assert_eq!(fee["status"], "closed");
    assert_eq!(fee["refund_due"], Value::Null);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_a_different_body() {
    let (app, _clock) = app_at("2026-06-01").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 4_242, "2026-06-01").await;
    let body = json!({"paid_at": "2026-06-01", "amount_fen": 4_242, "reference": "DUP-1"});
    let (s1, b1, replay1) = money(&app, &o.finance2.token, id(&r), "payout", Some("same-key"), body.clone()).await;
    let (s2, b2, replay2) = money(&app, &o.finance2.token, id(&r), "payout", Some("same-key"), body.clone()).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert!(!replay1 && replay2);
    assert_eq!(b1, b2, "the replay is the first answer");
    let (s3, b3, _) = money(
        &app,
        &o.finance2.token,
        id(&r),
        "payout",
        Some("same-key"),
        json!({"paid_at": "2026-06-01", "amount_fen": 4_243, "reference": "DUP-1", "override_reason": "x"}),
    )
    .await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{b3}");
    let (s4, b4, _) = money(&app, &o.finance2.token, id(&r), "payout", Some("other-key"), body).await;
    assert_eq!(s4, StatusCode::CONFLICT, "a new key on a paid request is a state conflict: {b4}");
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}&action=payout", id(&r))).await).await;
    assert_eq!(audit["total"], 1, "recorded once");
}

#[tokio::test]
async fn twenty_concurrent_payouts_with_different_keys_record_exactly_one() {
    let (app, _clock) = app_at("2026-06-02").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 3_131, "2026-06-02").await;
    let url = app.url(&format!("/api/v1/requests/{}/payout", id(&r)));
    let calls = (0..20).map(|i| {
        app.client
            .post(&url)
            .bearer_auth(&o.finance2.token)
            .header("Idempotency-Key", format!("key-{i}"))
            .json(&json!({"paid_at": "2026-06-02", "amount_fen": 3_131, "reference": format!("REF-{i}"), "version": r["version"]}))
            .send()
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(calls).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 19, "{statuses:?}");
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}&action=payout", id(&r))).await).await;
    assert_eq!(audit["total"], 1);
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

#[tokio::test]
async fn the_calendar_api_answers_working_days_and_warns_for_a_missing_year() {
    let (app, _clock) = app_at("2026-11-30").await;
    let o = org(&app).await;
    let (s, y) = app.json(app.get(Some(&o.requester.token), "/api/v1/calendar/2026").await).await;
    assert_eq!(s, StatusCode::OK);
    assert!(y["holidays"].as_array().unwrap().contains(&json!("2026-10-01")));
    assert!(y["workdays"].as_array().unwrap().contains(&json!("2026-10-10")));
    assert_eq!(y["source"], "builtin");
    let ask = |q: &'static str| {
        let app = &app;
        let t = o.requester.token.clone();
        async move { app.json(app.get(Some(&t), &format!("/api/v1/calendar/add-working-days?{q}")).await).await }
    };
    let (_, a) = ask("from=2026-09-30&days=10").await;
    assert_eq!(a, json!({"date": "2026-10-20", "warnings": []}));
    let (_, a) = ask("from=2025-12-31&days=10").await;
    assert_eq!(a["date"], "2026-01-15");
    let (_, a) = ask("from=2026-12-30&days=10").await;
    assert_eq!(a["date"], "2027-01-13", "weekends only in 2027");
    assert!(a["warnings"][0].as_str().unwrap().contains("2027"));
    for bad in ["from=2026-02-30&days=1", "from=2026-01-01&days=-1", "from=2026-01-01", "from=2026-01-01&days=99999"] {
        let (s, p) = ask(bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
    }
    assert_eq!(app.get(Some(&o.requester.token), "/api/v1/calendar/2027").await.status(), StatusCode::NOT_FOUND);
    // Admins are reminded from November that next year is missing.
    let (_, me) = app.json(app.get(Some(&o.admin.token), "/api/v1/me").await).await;
    assert!(me["warnings"][0].as_str().unwrap().contains("2027"), "{me}");

    let y2027 = json!({"holidays": ["2027-01-01", "2027-02-06"], "workdays": ["2027-02-20"]});
    assert_eq!(
        app.send(reqwest::Method::PUT, Some(&o.finance1.token), "/api/v1/calendar/2027", Some(y2027.clone())).await.status(),
        StatusCode::FORBIDDEN
    );
    for bad in [
        json!({"holidays": ["2026-12-31"], "workdays": []}),
        json!({"holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}),
        json!({"holidays": [], "workdays": ["2027-01-05"]}),
        json!({"year": 2028, "holidays": [], "workdays": []}),
    ] {
        let (s, p) = app.json(app.send(reqwest::Method::PUT, Some(&o.admin.token), "/api/v1/calendar/2027", Some(bad.clone())).await).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
    }
    let (s, y) = app.json(app.send(reqwest::Method::PUT, Some(&o.admin.token), "/api/v1/calendar/2027", Some(y2027)).await).await;
    assert_eq!(s, StatusCode::OK, "{y}");
    assert_eq!(y["source"], "imported");
    let (_, a) = ask("from=2026-12-30&days=10").await;
    assert_eq!(a["warnings"], json!([]));
    assert_eq!(a["date"], "2027-01-14", "1/1 is now a holiday");
}

#[tokio::test]
async fn the_daily_jobs_expire_unpaid_requests_and_remind_once() {
    let (app, clock) = app_at("2026-07-01").await;
    let o = org(&app).await;
    // Due in two days: order 6/23 → pay by 7/3.
    let due = approved_on(&app, &o, "verification_transfer", 901, "2026-06-23").await;
    // Waiting on the manager since 7/1.
    let mut body = request_body("verification_transfer", 903);
    body["order_date"] = json!("2026-07-01");
    let waiting = app.create_request(&o.requester.token, body).await;
    app.act(&o.requester.token, id(&waiting), "submit", json!({})).await;

    let report = verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert_eq!(report.expired, 0);
    let again = verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert_eq!(again.reminders, 0, "a second run creates nothing new");
    let fin = notifications(&app, &o.finance2.token).await;
    assert_eq!(kinds(&fin).iter().filter(|k| *k == "payout_due").count(), 1);
    let (_, tasks) = app.json(app.get(Some(&o.finance2.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["payout"], 1);

    // 7/6 (Mon): more than two working days after 7/1 → 催办 to the manager.
    clock.set(china_morning("2026-07-06"));
    verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert!(kinds(&notifications(&app, &o.manager.token).await).contains(&"approval_overdue".to_owned()));
    // The unpaid request passed its pay-by date (7/3): expired, by the system, audited.
    let r = app.detail(&o.requester.token, id(&due)).await;
    assert_eq!(r["status"], "expired");
    let last = r["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor_name"].as_str()), (Some("expire"), Some("system")));
    assert!(kinds(&notifications(&app, &o.requester.token).await).contains(&"expired".to_owned()));
    // The one waiting on the manager is pay_by 7/11: Tencent's order lapsed, so it reads as
    // expired at once (DESIGN §2.1), before the job makes it so.
    clock.set(china_morning("2026-07-12"));
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?status=expired").await).await;
    assert_eq!(list["total"], 2);
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=payout_overdue").await).await;
    assert_eq!(list["total"], 0, "a lapsed verification order is expired, not an overdue payout");
    let report = verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert_eq!(report.expired, 1);
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

#[tokio::test]
async fn an_overdue_refund_reminds_finance_and_the_requester() {
    let (app, clock) = app_at("2026-04-03").await;
    let o = org(&app).await;
    let r = approved_on(&app, &o, "verification_transfer", 555, "2026-04-03").await;
    let (s, r, _) =
        money(&app, &o.finance2.token, id(&r), "payout", None, json!({"paid_at": "2026-04-03", "amount_fen": 555, "reference": "P"})).await;
    assert_eq!(s, StatusCode::OK);
    // 4/4–6 清明: 4/7…4/10 (4), 4/13…4/17 (9), 4/20 (10).
    assert_eq!(r["refund_due"], "2026-04-20");
    clock.set(china_morning("2026-04-21"));
    let (_, list) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=refund_overdue").await).await;
    assert_eq!(list["total"], 1);
    let report = verifund::jobs::run_daily(&app.db, &app.state.config, clock.now_for_test()).await.unwrap();
    assert!(report.reminders >= 3);
    for who in [&o.requester, &o.finance1, &o.finance2] {
        assert!(kinds(&notifications(&app, &who.token).await).contains(&"refund_overdue".to_owned()), "{}", who.username);
    }
    // Mark one read.
    let n = notifications(&app, &o.requester.token).await[0].clone();
    let (s, read) = app.call(&o.requester.token, &format!("/api/v1/notifications/{}/read", n["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(read["read_at"].is_string());
    let (s, _) = app.call(&o.finance1.token, &format!("/api/v1/notifications/{}/read", n["id"]), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's notification");
}

#[tokio::test]
async fn two_instances_claim_the_daily_run_once_and_never_double_send() {
    let (app, clock) = app_at("2026-07-01").await;
    let o = org(&app).await;
    approved_on(&app, &o, "verification_transfer", 901, "2026-06-23").await;
    let now = clock.now_for_test();
    let today = verifund::clock::china_date(now);
    let second = verifund::db::connect(&{
        let mut c = verifund::config::Config::new(app.data_dir.path().to_path_buf());
        c.database_url = Some(app.database_url.clone());
        c
    })
    .await
    .unwrap();
    let (a, b) = tokio::join!(verifund::jobs::claim_daily(&app.db, today, now), verifund::jobs::claim_daily(&second, today, now));
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|x| **x).count(), 1);
    let (a, b) = tokio::join!(
        verifund::jobs::run_daily(&app.db, &app.state.config, now),
        verifund::jobs::run_daily(&second, &app.state.config, now)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let sent = a.reminders + b.reminders;
    let fin = notifications(&app, &o.finance2.token).await;
    assert_eq!(kinds(&fin).iter().filter(|k| *k == "payout_due").count(), 1);
    assert!(sent >= 1);
}

#[tokio::test]
async fn the_webhook_outbox_retries_a_failing_robot_and_delivers_after_a_restart() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let robot = {
        let hits = hits.clone();
        let received = received.clone();
        axum::Router::new().route(
            "/robot",
            axum::routing::post(move |body: String| {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                received.lock().unwrap().push(body);
                async move {
                    if n == 0 {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy".to_owned())
                    } else {
                        (axum::http::StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.to_owned())
                    }
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let robot_url = format!("http://{}/robot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, robot).await.ok() });

    let clock = Arc::new(FixedClock::new(china_morning("2026-07-01")));
    let url = robot_url.clone();
    let app = spawn_app_full(
        move |c| {
            c.background_jobs = false;
            c.webhook_url = Some(url);
        },
        clock.clone(),
    )
    .await;
    let o = org(&app).await;
    let mut body = request_body("verification_transfer", 321);
    body["order_date"] = json!("2026-07-01");
    let r = app.create_request(&o.requester.token, body).await;
    let (s, _) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);

    let senders = verifund::outbox::Senders { webhook: Some(verifund::outbox::Webhook::new(robot_url.clone(), None)), mail: None };
    let first = verifund::outbox::deliver_due(&app.db, &senders, clock.now_for_test()).await.unwrap();
    assert_eq!(first, verifund::outbox::DeliveryReport { delivered: 0, failed: 1 });
    // Not due again until the backoff has passed.
    let early = verifund::outbox::deliver_due(&app.db, &senders, clock.now_for_test()).await.unwrap();
    assert_eq!(early, verifund::outbox::DeliveryReport::default());
    // "Restart": a new connection and client, later.
    let restarted = verifund::db::connect(&{
        let mut c = verifund::config::Config::new(app.data_dir.path().to_path_buf());
        c.database_url = Some(app.database_url.clone());
        c
    })
    .await
    .unwrap();
    let later = clock.now_for_test() + chrono::Duration::seconds(31);
    let fresh = verifund::outbox::Senders { webhook: Some(verifund::outbox::Webhook::new(robot_url.clone(), None)), mail: None };
    let second = verifund::outbox::deliver_due(&restarted, &fresh, later).await.unwrap();
    assert_eq!(second, verifund::outbox::DeliveryReport { delivered: 1, failed: 0 });
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let body: Value = serde_json::from_str(&received.lock().unwrap()[1]).unwrap();
    assert_eq!(body["msgtype"], "text");
    assert!(body["text"]["content"].as_str().unwrap().contains("待您审批"));
    let nothing = verifund::outbox::deliver_due(&restarted, &fresh, later + chrono::Duration::hours(2)).await.unwrap();
    assert_eq!(nothing, verifund::outbox::DeliveryReport::default(), "delivered once");
}

#[tokio::test]
async fn the_cli_imports_a_csv_calendar_year_and_shows_it() {
    let app = spawn_app().await;
    let csv_path = app.data_dir.path().join("2027.csv");
    std::fs::write(&csv_path, "\u{feff}日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,休,春节\n2027-02-20,班,春节调休\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("VERIFUND_DATA_DIR", app.data_dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["calendar", "import", csv_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2027: 2 holidays, 1 make-up workdays"));
    let out = run(&["calendar", "show", "2027"]);
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(shown.contains("2027-02-20 Sat") && shown.contains("2027-01-01 Fri"), "{shown}");
    let bad = app.data_dir.path().join("bad.csv");
    std::fs::write(&bad, "2027-03-01,班\n").unwrap();
    let out = run(&["calendar", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success(), "a weekday cannot be a make-up workday");
    let cal = verifund::store::calendar::load(&app.db).await.unwrap();
    assert!(cal.has_year(2027));
    assert_eq!(cal.add_working_days(NaiveDate::from_ymd_opt(2027, 2, 19).unwrap(), 1).value, NaiveDate::from_ymd_opt(2027, 2, 20).unwrap());
}
