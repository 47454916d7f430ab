//! Reconciliation: bringing every paid request to an end (`resolve`, DESIGN §1.2), and
//! importing the banks' own statement exports (§2.2).
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// Approved by `finance1`, paid by `finance2` on `paid_at`.
async fn paid(app: &TestApp, o: &Org, amount: i64, day: &str) -> Value {
    let r = approved_on(app, o, "verification_transfer", amount, day).await;
    let (s, r) = app.act(&o.finance2.token, id(&r), "payout", json!({"paid_at": day, "amount_fen": amount, "reference": "P-1"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

#[tokio::test]
async fn a_short_refund_is_resolved_by_another_finance_user_and_the_difference_is_kept() {
    let (app, _clock) = app_at("2026-11-02").await;
    let o = org(&app).await;
    let r = paid(&app, &o, 12_345, "2026-11-02").await;
    let (s, r) =
        app.act(&o.finance1.token, id(&r), "refund", json!({"refunded_at": "2026-11-02", "amount_fen": 12_000, "reference": "R"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["flags"], json!(["refund_mismatch"]));
    assert!(r["allowed_actions"].as_array().unwrap().contains(&json!("resolve")), "{r}");
    let body = |version: &Value| json!({"resolution": "accept_difference", "reason": "腾讯扣了 3.45 元手续费", "version": version});

    // Who may: not the requester, not the payout's recorder (four-eyes), not without a reason.
    let (s, e) = app.act(&o.requester.token, id(&r), "resolve", body(&r["version"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let recorder = app.detail(&o.finance2.token, id(&r)).await;
    assert!(!recorder["allowed_actions"].as_array().unwrap().contains(&json!("resolve")));
    let (s, e) = app.act(&o.finance2.token, id(&r), "resolve", body(&r["version"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = app.act(&o.auditor.token, id(&r), "resolve", body(&r["version"])).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s} {e}");
    let (s, e) = app
        .act(&o.finance1.token, id(&r), "resolve", json!({"resolution": "accept_difference", "reason": " ", "version": r["version"]}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{e}");
    let (s, e) =
        app.act(&o.finance1.token, id(&r), "resolve", json!({"resolution": "keep_it", "reason": "x", "version": r["version"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = app.act(&o.finance1.token, id(&r), "resolve", body(&json!(r["version"].as_i64().unwrap() - 1))).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("version_conflict")), "{e}");

    let (s, done) = app.call(&o.finance1.token, &format!("/api/v1/requests/{}/resolve", id(&r)), body(&r["version"])).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "refunded");
    assert_eq!(done["resolution"], "accept_difference");
    assert_eq!(done["resolution_reason"], "腾讯扣了 3.45 元手续费");
    assert_eq!(done["resolved_by"], o.finance1.id);
    assert!(done["resolved_by_name"].is_string() && done["resolved_at"].is_string(), "{done}");
    assert_eq!(done["refund_difference_fen"], 345);
    assert_eq!(done["flags"], json!([]));
    assert_eq!(done["refund_amount_fen"], 12_000, "the refunds recorded stay as they were");
    // Once resolved there is nothing left to resolve.
    let (s, e) = app.act(&o.finance1.token, id(&r), "resolve", body(&done["version"])).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // The audit chain and the timeline keep it.
    let (_, events) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}", id(&r))).await).await;
    let items = events["items"].as_array().or(events.as_array()).cloned().unwrap_or_default();
    let resolved = items.iter().find(|e| e["action"] == "resolve").unwrap_or_else(|| panic!("no resolve event in {events}"));
    assert_eq!(resolved["after"]["difference_fen"], 345, "{resolved}");
    assert_eq!(resolved["after"]["resolution"], "accept_difference");
    let (_, mismatched) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=refund_mismatch").await).await;
    assert_eq!(mismatched["total"], 0, "a resolved request leaves the mismatch list");
}

#[tokio::test]
async fn a_refund_that_never_came_is_written_off_and_closed() {
    let (app, clock) = app_at("2026-04-03").await;
    let o = org(&app).await;
    let r = paid(&app, &o, 555, "2026-04-03").await;
    // Paid, not yet due: nothing to resolve.
    let (s, e) =
        app.act(&o.finance1.token, id(&r), "resolve", json!({"resolution": "write_off", "reason": "x", "version": r["version"]})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("nothing_to_resolve")), "{e}");
    clock.set(china_morning("2026-04-21"));
    let r = app.detail(&o.finance1.token, id(&r)).await;
    assert_eq!(r["flags"], json!(["refund_overdue"]));
    let (s, e) = app
        .act(&o.finance1.token, id(&r), "resolve", json!({"resolution": "accept_difference", "reason": "没退", "version": r["version"]}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("resolution")), "{e}");
    let (s, done) = app
        .act(
            &o.finance1.token,
            id(&r),
            "resolve",
            json!({"resolution": "write_off", "reason": "腾讯确认不退回，核销", "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["status"].as_str(), done["resolution"].as_str()), (Some("closed"), Some("write_off")));
    assert_eq!(done["refund_difference_fen"], 555);
    assert_eq!(done["flags"], json!([]));
    let (_, overdue) = app.json(app.get(Some(&o.finance1.token), "/api/v1/requests?flag=refund_overdue").await).await;
    assert_eq!(overdue["total"], 0);
    // The requester hears of it; the reconciliation sheet says how it ended.
    let (_, inbox) = app.json(app.get(Some(&o.requester.token), "/api/v1/notifications?per_page=100").await).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "resolved"), "{inbox}");
    let res = app.get(Some(&o.finance1.token), "/api/v1/exports/reconciliation.xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range("对账").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let header = rows.iter().find(|r| r.contains(&"处理结果".to_owned())).expect("处理结果 column");
    let col = header.iter().position(|h| h == "处理结果").unwrap();
    assert!(rows.iter().any(|r| r.get(col).is_some_and(|c| c == "核销：腾讯确认不退回，核销")), "{rows:?}");
}
