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
    // Written off, it is no longer money out with Tencent.
    let (s, figures) = app.json(app.get(Some(&o.finance1.token), "/api/v1/stats/monthly?from=2026-04&to=2026-04").await).await;
    assert_eq!(s, StatusCode::OK, "{figures}");
    assert_eq!(
        (figures["months"][0]["payouts"]["amount_fen"].as_i64(), figures["months"][0]["outstanding_fen"].as_i64()),
        (Some(555), Some(0)),
        "{figures}"
    );
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

/// Sends a statement as the bank gave it: no mapping.
async fn drop_in(app: &TestApp, token: &str, path: &std::path::Path, commit: bool, choices: Option<Value>) -> (StatusCode, Value) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(std::fs::read(path).unwrap()).file_name(name))
        .text("commit", commit.to_string());
    if let Some(c) = choices {
        form = form.text("choices", c.to_string());
    }
    let res = app.client.post(app.url("/api/v1/bank-statements")).bearer_auth(token).multipart(form).send().await.unwrap();
    app.json(res).await
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statements")
}

/// The requests every bank fixture's lines are about (tests/fixtures/statements/README.md):
/// one approved for 1,200.01 (its payout is in the file) and one paid 3,456.78 (its refund is).
async fn fixture_world() -> (TestApp, Org, i64, i64) {
    let (app, clock) = app_at("2026-11-20").await;
    let o = org(&app).await;
    let (to_pay, to_refund) = fixture_requests(&app, &o, &clock).await;
    (app, o, to_pay, to_refund)
}

async fn fixture_requests(app: &TestApp, o: &Org, clock: &verifund::clock::FixedClock) -> (i64, i64) {
    clock.set(china_morning("2026-11-20"));
    let to_pay = approved_on(app, o, "verification_transfer", 120_001, "2026-11-20").await;
    let to_refund = approved_on(app, o, "verification_transfer", 345_678, "2026-11-20").await;
    clock.set(china_morning("2026-11-21"));
    let (s, r) = app
        .act(&o.finance2.token, id(&to_refund), "payout", json!({"paid_at": "2026-11-21", "amount_fen": 345_678, "reference": "P-2"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    clock.set(china_morning("2026-11-30"));
    (id(&to_pay), id(&to_refund))
}

/// A line of the result's `entries` by its signed amount.
fn line_of(result: &Value, amount_fen: i64) -> Value {
    result["entries"].as_array().unwrap().iter().find(|e| e["amount_fen"] == amount_fen).map(|e| e["line"].clone()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn every_banks_own_export_imports_without_a_mapping() {
    let expected = std::fs::read_to_string(fixtures().join("expected.tsv")).unwrap();
    let banks: Vec<(String, String)> = expected
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_owned(), cols.next()?.to_owned()))
        })
        .filter(|(file, _)| !file.starts_with("generic-identical"))
        .collect();
    assert!(banks.len() >= 12, "a fixture per preset: {banks:?}");
    let formats: std::collections::BTreeSet<&str> = banks.iter().map(|(_, f)| f.as_str()).collect();
    for bank in ["icbc", "ccb", "cmb", "boc", "abc", "bocom", "spdb", "cib", "cmbc", "pingan", "citic", "generic"] {
        assert!(formats.contains(bank), "no fixture for {bank}");
    }
    // One database: before each file the lines of the previous one are forgotten (they are
    // the same lines), and two new requests wait for its payout and refund.
    let (app, clock) = app_at("2026-11-20").await;
    let o = org(&app).await;
    let mut failures = Vec::new();
    for (file, format) in banks {
        use sea_orm::EntityTrait;
        entity::bank_statement_line::Entity::delete_many().exec(&app.db).await.unwrap();
        let (to_pay, to_refund) = fixture_requests(&app, &o, &clock).await;
        let (app, o) = (&app, &o);
        let outcome: Option<String> = async {
            let path = fixtures().join(&file);
            // finance2 recorded the earlier payout, and finance1 signed both off: under
            // four-eyes the statement is finance2's to import.
            let (s, preview) = drop_in(app, &o.finance2.token, &path, false, None).await;
            let problem = |what: &str, v: &Value| Some(format!("{file}: {what}: {v}"));
            if s != StatusCode::OK {
                return problem(&format!("preview answered {s}"), &preview);
            }
            if preview["format"] != format.as_str() {
                return problem(&format!("format is not {format}"), &preview["format"]);
            }
            let (payout_line, refund_line) = (line_of(&preview, -120_001), line_of(&preview, 345_678));
            let want = json!([{"line": payout_line, "request_id": to_pay, "action": "payout"}, {"line": refund_line, "request_id": to_refund, "action": "refund"}]);
            if payout_line.is_null() || refund_line.is_null() || matched(&preview) != want {
                return problem("matched", &preview);
            }
            for noise in [-5_800_000, -1_250, 2_000_000] {
                let l = line_of(&preview, noise);
                if l.is_null() || !preview["unmatched"].as_array().unwrap().contains(&l) {
                    return problem(&format!("noise line {noise} not read as unmatched"), &preview);
                }
            }
            if preview["skipped"].as_u64().unwrap_or(0) == 0 || !preview["invalid"].as_array().unwrap().is_empty() {
                return problem("title/footer rows must be skipped, not invalid", &preview);
            }
            if format != "generic" && preview["account"] != "1202001209001234567" {
                return problem("own account", &preview["account"]);
            }
            let (s, done) = drop_in(app, &o.finance2.token, &path, true, None).await;
            if s != StatusCode::OK || matched(&done) != want {
                return problem("commit", &done);
            }
            let paid = app.detail(&o.finance1.token, to_pay).await;
            let refunded = app.detail(&o.finance1.token, to_refund).await;
            if (paid["status"].as_str(), paid["paid_at"].as_str(), refunded["status"].as_str()) != (Some("paid"), Some("2026-11-23"), Some("refunded")) {
                return problem("after commit", &json!([paid, refunded]));
            }
            let (s, again) = drop_in(app, &o.finance2.token, &path, true, None).await;
            if s != StatusCode::OK || again["matched"] != json!([]) || again["duplicates"] != again["entries"].as_array().map(Vec::len).unwrap_or(0) {
                return problem("a re-import must record nothing", &again);
            }
            None
        }
        .await;
        failures.extend(outcome);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn an_unknown_layout_asks_for_a_mapping_and_identical_lines_are_two_payments() {
    let (app, clock) = app_at("2026-11-20").await;
    let o = org(&app).await;
    let (s, e) = drop_in(&app, &o.finance1.token, &fixtures().join("unknown.csv"), false, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_format")), "{e}");
    assert!(e["header_row"].as_u64().is_some() && e["header"].as_array().is_some_and(|h| h.contains(&json!("钱"))), "{e}");
    let (s, e) = drop_in(&app, &o.requester.token, &fixtures().join("generic.csv"), false, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

    // Two identical payouts on one day: two requests of the same amount and payee, so both
    // lines are ambiguous until a person chooses; each line is recorded once, and again never.
    let text = std::fs::read_to_string(fixtures().join("generic-identical.csv")).unwrap();
    let amount_yuan = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .find_map(|c| c.trim().trim_start_matches('-').parse::<f64>().ok().filter(|v| v.fract() != 0.0 || *v > 0.0));
    let (s, preview0) = drop_in(&app, &o.finance1.token, &fixtures().join("generic-identical.csv"), false, None).await;
    assert_eq!(s, StatusCode::OK, "{preview0}");
    let entries = preview0["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "{preview0}");
    assert_eq!((entries[0]["occurrence"].as_u64(), entries[1]["occurrence"].as_u64()), (Some(1), Some(2)));
    let amount = -entries[0]["amount_fen"].as_i64().unwrap();
    let day = entries[0]["date"].as_str().unwrap().to_owned();
    assert!(amount > 0 && amount_yuan.is_some(), "{preview0}");
    let mut body = request_body("verification_transfer", amount);
    body["order_date"] = json!(day);
    body["payee_name"] = entries[0]["counterparty_name"].clone();
    clock.set(china_morning(&day));
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app.create_request(&o.requester.token, body.clone()).await;
        for (who, action) in [(&o.requester, "submit"), (&o.manager, "approve"), (&o.finance1, "approve")] {
            let (s, r) = app.act(&who.token, id(&r), action, json!({})).await;
            assert_eq!(s, StatusCode::OK, "{r}");
        }
        ids.push(id(&r));
    }
    let (s, preview) = drop_in(&app, &o.finance2.token, &fixtures().join("generic-identical.csv"), false, None).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["ambiguous"].as_array().map(Vec::len), Some(2), "{preview}");
    assert_eq!(preview["ambiguous"][0]["candidate_requests"].as_array().map(Vec::len), Some(2), "{preview}");
    let (l1, l2) = (entries[0]["line"].clone(), entries[1]["line"].clone());
    let choices = json!({l1.to_string(): ids[1], l2.to_string(): ids[0]});
    let (s, done) = drop_in(&app, &o.finance2.token, &fixtures().join("generic-identical.csv"), true, Some(choices)).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    // The first line goes where the person chose; the second then has one candidate left.
    let got: Vec<(Value, i64)> =
        done["matched"].as_array().unwrap().iter().map(|m| (m["line"].clone(), m["request_id"].as_i64().unwrap())).collect();
    assert_eq!(got, vec![(l1.clone(), ids[1]), (l2.clone(), ids[0])], "{done}");
    assert_eq!(done["matched"][0]["chosen"], true);
    for rid in &ids {
        assert_eq!(app.detail(&o.finance2.token, *rid).await["status"], "paid");
    }
    let (_, again) = drop_in(&app, &o.finance2.token, &fixtures().join("generic-identical.csv"), true, None).await;
    assert_eq!((again["duplicates"].as_u64(), again["matched"].clone()), (Some(2), json!([])), "{again}");
}

#[tokio::test]
async fn a_statement_of_a_group_companys_account_matches_only_requests_paid_from_it() {
    let (app, o, to_pay, _) = fixture_world().await;
    // finance1 signed it off: under four-eyes the preview already says the payout is not theirs to record.
    let (s, own) = drop_in(&app, &o.finance1.token, &fixtures().join("generic.csv"), false, None).await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert!(own["errors"].as_array().unwrap().iter().any(|e| e["request_id"] == to_pay), "{own}");
    assert!(!matched(&own).as_array().unwrap().iter().any(|m| m["request_id"] == to_pay), "{own}");
    // The statement's own account belongs to a group company; the request was paid from another.
    let (s, c) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "日升集团有限公司", "credit_code": CREDIT_CODE, "accounts": [{"bank": "工商银行", "account": "1202 0012 0900 1234 567", "is_default": true}], "finance_user_ids": []}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, preview) = drop_in(&app, &o.finance2.token, &fixtures().join("icbc-detail.xlsx"), false, None).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["company"]["name"], "日升集团有限公司");
    assert!(
        !matched(&preview).as_array().unwrap().iter().any(|m| m["request_id"] == to_pay),
        "paid from 7559…801, not this account: {preview}"
    );
}
