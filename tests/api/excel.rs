use crate::common::*;
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.get(Some(token), path).await;
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes)).expect("a valid xlsx")
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// A small ledger: a paid-and-refunded request, an approved one, and a draft whose purpose
/// looks like a formula.
async fn ledger_fixture(app: &TestApp, o: &Org) -> (Value, Value, Value) {
    let today = today().to_string();
    let a = approved(app, o, request_body("verification_transfer", 140_950)).await;
    let (s, a) = app
        .call(
            &o.finance2.token,
            &format!("/api/v1/requests/{}/payout", id(&a)),
            json!({"paid_at": today, "amount_fen": 140_950, "reference": "P-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (s, a) = app
        .call(
            &o.finance1.token,
            &format!("/api/v1/requests/{}/refund", id(&a)),
            json!({"refunded_at": today, "amount_fen": 100_000, "reference": "R-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let b = approved(app, o, request_body("certification_fee", 30_000)).await;
    let mut body = request_body("verification_transfer", 1_640_902);
    body["purpose"] = json!("=HYPERLINK(\"http://evil.example\",\"点我\")");
    let c = app.create_request(&o.requester.token, body).await;
    (a, b, c)
}

#[tokio::test]
async fn the_ledger_workbook_has_typed_cells_totals_and_no_formulas_from_user_text() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (a, b, c) = ledger_fixture(&app, &o).await;
    let (status, headers, bytes) = download(&app, &o.finance1.token, "/api/v1/exports/ledger.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let cd = headers["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''%E6%97%A5%E5%8D%87"), "{cd}");
    let mut wb = open(bytes);
    assert_eq!(wb.sheet_names(), ["台账", "汇总"]);
    let sheet = wb.worksheet_range("台账").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(text).collect();
    for col in [
        "单号",
        "申请日期",
        "申请人",
        "部门",
        "付款主体",
        "付款账户",
        "收款方",
        "收款账号",
        "金额",
        "大写金额",
        "用途",
        "小程序",
        "状态",
        "经理审批",
        "财务审批",
        "打款日期",
        "打款流水号",
        "退款截止日",
        "退款日期",
        "退款金额",
        "差额",
        "逾期工作日",
    ] {
        assert!(header.contains(&col.to_owned()), "missing column {col}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<&[Data]> = sheet.rows().skip(1).collect();
    assert_eq!(rows.len(), 4, "three requests and the totals row");
    let by_number = |n: &Value| rows.iter().find(|r| text(&r[col("单号")]) == n.as_str().unwrap_or("")).copied().unwrap();
    let ra = by_number(&a["number"]);
    assert_eq!(ra[col("金额")], Data::Float(1409.5));
    assert_eq!(text(&ra[col("大写金额")]), "人民币壹仟肆佰零玖元伍角整");
    assert_eq!(ra[col("退款金额")], Data::Float(1000.0));
    assert_eq!(ra[col("差额")], Data::Float(409.5));
    assert!(matches!(ra[col("打款日期")], Data::DateTime(_)), "dates are date cells: {:?}", ra[col("打款日期")]);
    assert_eq!(text(&ra[col("经理审批")]), "manager 名");
    assert_eq!(text(&ra[col("财务审批")]), "finance1 名");
    assert_eq!(text(&ra[col("状态")]), "已打款待退款");
    let rb = by_number(&b["number"]);
    assert_eq!(rb[col("金额")], Data::Float(300.0));
    let rc = rows.iter().find(|r| text(&r[col("金额")]) == "16409.02").unwrap();
    assert_eq!(text(&rc[col("大写金额")]), "人民币壹万陆仟肆佰零玖元零贰分");
    assert_eq!(rc[col("用途")], Data::String(c["purpose"].as_str().unwrap().to_owned()), "formula-like text is a string");
    let formulas = wb.worksheet_formula("台账").unwrap();
    let user_formulas: Vec<String> = formulas.rows().flatten().filter(|f| !f.is_empty() && !f.starts_with("SUM(")).cloned().collect();
    assert!(user_formulas.is_empty(), "no formula comes from user text: {user_formulas:?}");
    let totals = rows.last().unwrap();
    assert_eq!(text(&totals[0]), "合计");
    assert_eq!(totals[col("金额")], Data::Float(1409.5 + 300.0 + 16409.02));
    let letter = (b'A' + col("金额") as u8) as char;
    assert!(formulas.rows().flatten().any(|f| f == &format!("SUM({letter}2:{letter}4)")), "a SUM formula for the amounts");
    let summary = wb.worksheet_range("汇总").unwrap();
    let cells: Vec<String> = summary.rows().flat_map(|r| r.iter().map(text)).collect();
    assert!(cells.contains(&"按状态".to_owned()) && cells.contains(&"按部门".to_owned()) && cells.contains(&"市场部".to_owned()));
}

#[tokio::test]
async fn exports_follow_the_list_filters_and_are_refused_to_requesters_and_managers() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (_a, b, _c) = ledger_fixture(&app, &o).await;
    let (status, _, bytes) = download(&app, &o.auditor.token, "/api/v1/exports/ledger.xlsx?status=approved").await;
    assert_eq!(status, StatusCode::OK);
    let mut wb = open(bytes);
    let sheet = wb.worksheet_range("台账").unwrap();
    assert_eq!(sheet.rows().count(), 3, "header, one request, totals");
    assert_eq!(text(&sheet.rows().nth(1).unwrap()[0]), b["number"].as_str().unwrap());
    for who in [&o.requester, &o.manager] {
        for path in ["/api/v1/exports/ledger.xlsx", "/api/v1/exports/reconciliation.xlsx"] {
            assert_eq!(app.get(Some(&who.token), path).await.status(), StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(app.get(None, "/api/v1/exports/ledger.xlsx").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(Some(&o.admin.token), "/api/v1/exports/ledger.xlsx?status=bogus").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The ledger is read a page of 1,000 at a time, several pages at once: every request is on
/// it once, in id order, whole or filtered, with the amounts and states the database holds.
#[tokio::test]
async fn a_ledger_of_several_pages_holds_each_request_once_in_order() {
    use entity::request;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 4500, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    let all = request::Entity::find().order_by_asc(request::Column::Id).all(&app.db).await.unwrap();
    let submitted: Vec<&request::Model> = all.iter().filter(|r| r.status != "draft").collect();
    assert!(submitted.len() > 4000, "{}", submitted.len());
    for (path, want) in [
        ("/api/v1/exports/ledger.xlsx", all.iter().collect::<Vec<_>>()),
        (
            "/api/v1/exports/ledger.xlsx?status=paid",
            request::Entity::find()
                .filter(request::Column::Status.eq("paid"))
                .order_by_asc(request::Column::Id)
                .all(&app.db)
                .await
                .unwrap()
                .iter()
                .map(|p| all.iter().find(|r| r.id == p.id).unwrap())
                .collect(),
        ),
    ] {
        let (status, _, bytes) = download(&app, &wangwu, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let mut wb = open(bytes);
        let sheet = wb.worksheet_range("台账").unwrap();
        let header: Vec<String> = sheet.rows().next().unwrap().iter().map(text).collect();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let rows: Vec<&[Data]> = sheet.rows().skip(1).take_while(|r| text(&r[0]) != "合计").collect();
        assert_eq!(rows.len(), want.len(), "{path}: one row per request");
        for (row, r) in rows.iter().zip(&want) {
            assert_eq!(text(&row[col("单号")]), r.number.clone().unwrap_or_default(), "{path}: request {}", r.id);
            assert_eq!(row[col("金额")], Data::Float(r.amount_fen as f64 / 100.0), "{path}: request {}", r.id);
            assert_eq!(text(&row[col("收款方")]), r.payee_name, "{path}: request {}", r.id);
        }
        let total = sheet.rows().find(|r| text(&r[0]) == "合计").expect("a totals row");
        let sum: i64 = want.iter().map(|r| r.amount_fen).sum();
        assert_eq!(total[col("金额")], Data::Float(sum as f64 / 100.0), "{path}: the total");
    }
}

#[tokio::test]
async fn the_reconciliation_workbook_lists_payouts_and_what_is_still_outstanding() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (a, _b, _c) = ledger_fixture(&app, &o).await;
    let (status, _, bytes) = download(&app, &o.finance1.token, "/api/v1/exports/reconciliation.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let mut wb = open(bytes);
    assert_eq!(wb.sheet_names(), ["对账", "未退款", "汇总"]);
    for name in ["对账", "未退款"] {
        let sheet = wb.worksheet_range(name).unwrap();
        let header: Vec<String> = sheet.rows().next().unwrap().iter().map(text).collect();
        // The 对账 sheet then ends with its sign-off block (制表, 复核, 财务负责人).
        let all: Vec<&[Data]> = sheet.rows().skip(1).collect();
        let totals = all.iter().position(|r| text(&r[0]) == "合计").expect("a totals row");
        let rows = &all[..=totals];
        assert_eq!(rows.len(), 2, "{name}: the paid request and the totals row");
        let below: Vec<String> = all[totals + 1..].iter().flat_map(|r| r.iter().map(text)).filter(|t| !t.is_empty()).collect();
        let want: &[&str] =
            if name == "对账" { &["制表：", "复核：", "财务负责人：", "日期：", "日期：", "日期："] } else { &[] };
        assert_eq!(below, want, "{name}: below the totals");
        assert_eq!(text(&rows[0][0]), a["number"].as_str().unwrap());
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        assert_eq!(rows[0][col("打款金额")], Data::Float(1409.5));
        assert_eq!(rows[0][col("退款金额")], Data::Float(1000.0));
        assert_eq!(rows[0][col("差额")], Data::Float(409.5));
        assert_eq!(rows[0][col("逾期工作日")], Data::Float(0.0));
    }
}

#[tokio::test]
async fn the_cli_writes_the_same_workbook() {
    let app = spawn_app().await;
    let o = org(&app).await;
    ledger_fixture(&app, &o).await;
    let out = app.data_dir.path().join("台账.xlsx");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["export", "ledger", "--out"])
        .arg(&out)
        .args(["--kind", "verification_transfer"])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stdout).contains("wrote 2 request(s)"));
    assert!(String::from_utf8_lossy(&run.stderr).contains("2/2 (100%)"), "progress is shown");
    let mut wb = open(std::fs::read(out).unwrap());
    assert_eq!(wb.worksheet_range("台账").unwrap().rows().count(), 4);
}

async fn import(app: &TestApp, token: &str, file: Vec<u8>, name: &'static str, mapping: Value, commit: bool) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file).file_name(name))
        .text("mapping", mapping.to_string())
        .text("commit", commit.to_string());
    let res = app.client.post(app.url("/api/v1/bank-statements")).bearer_auth(token).multipart(form).send().await.unwrap();
    app.json(res).await
}

#[tokio::test]
async fn a_gbk_csv_statement_records_the_payout_once_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = approved(&app, &o, request_body("verification_transfer", 12_345)).await;
    let d = today().format("%Y/%m/%d").to_string();
    let csv = format!(
        "交易日期,交易金额,对方户名,对方账号,摘要\n{d},-123.45,财付通支付科技有限公司,7559 1570 7910 607,小程序验证打款\n{d},-99.00,某供应商,6222000000000000,货款\n合计,,,,\n"
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let mapping = json!({"date": "交易日期", "amount": "交易金额", "counterparty_name": "对方户名", "counterparty_account": "对方账号", "reference": "摘要"});
    let (s, preview) = import(&app, &o.finance2.token, gbk.to_vec(), "招行流水.csv", mapping.clone(), false).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["lines"], 2);
    assert_eq!(matched(&preview), json!([{"line": 2, "request_id": id(&r), "action": "payout"}]));
    assert_eq!(preview["unmatched"], json!([3]));
    assert_eq!(
        (preview["skipped"].as_u64(), preview["invalid"].as_array().map(Vec::len)),
        (Some(1), Some(0)),
        "合计 is not a line: {preview}"
    );
    assert_eq!(preview["statement_id"], Value::Null);
    assert_eq!(app.detail(&o.finance2.token, id(&r)).await["status"], "approved", "a preview changes nothing");

    let (s, done) = import(&app, &o.finance2.token, gbk.to_vec(), "招行流水.csv", mapping.clone(), true).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done["statement_id"].is_i64());
    assert_eq!(done["matched"].as_array().unwrap().len(), 1);
    let paid = app.detail(&o.finance2.token, id(&r)).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payout_reference"], "小程序验证打款");
    assert_eq!(paid["paid_by"], o.finance2.id);

    let (s, again) = import(&app, &o.finance2.token, gbk.to_vec(), "招行流水.csv", mapping, true).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["duplicates"], 2);
    assert_eq!(again["matched"], json!([]));
    assert_eq!(app.detail(&o.finance2.token, id(&r)).await["version"], paid["version"]);
    let (_, audit) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={}&action=payout", id(&r))).await).await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn an_xlsx_statement_records_refunds_and_leaves_ambiguous_lines_alone() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let today_s = today().to_string();
    let r = approved(&app, &o, request_body("verification_transfer", 10_101)).await;
    let (s, _) = app
        .call(
            &o.finance2.token,
            &format!("/api/v1/requests/{}/payout", id(&r)),
            json!({"paid_at": today_s, "amount_fen": 10_101, "reference": "P"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Two approved requests with the same odd amount and payee: a bank line cannot tell them apart.
    let twin1 = approved(&app, &o, request_body("verification_transfer", 777)).await;
    let twin2 = approved(&app, &o, request_body("verification_transfer", 777)).await;

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["日期", "支出", "收入", "对方户名", "对方账号", "附言"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_datetime_with_format(1, 0, today(), &date_fmt).unwrap();
    ws.write_number(1, 2, 101.01).unwrap();
    ws.write_string(1, 3, "财付通支付科技有限公司").unwrap();
    ws.write_string(1, 5, "退款").unwrap();
    ws.write_datetime_with_format(2, 0, today(), &date_fmt).unwrap();
    ws.write_number(2, 1, 7.77).unwrap();
    ws.write_string(2, 3, "财付通支付科技有限公司").unwrap();
    ws.write_string(2, 4, "755915707910607").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let mapping = json!({"date": "日期", "debit": "支出", "credit": "收入", "counterparty_name": "对方户名", "counterparty_account": "对方账号", "reference": "附言"});
    let (s, res) = import(&app, &o.finance1.token, bytes, "statement.xlsx", mapping, true).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    assert_eq!(matched(&res), json!([{"line": 2, "request_id": id(&r), "action": "refund"}]));
    let amb = &res["ambiguous"][0];
    assert_eq!(amb["line"], 3);
    let mut cands: Vec<i64> = amb["candidates"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    cands.sort();
    assert_eq!(cands, [id(&twin1), id(&twin2)]);
    assert_eq!(app.detail(&o.finance1.token, id(&r)).await["status"], "refunded");
    for t in [&twin1, &twin2] {
        assert_eq!(app.detail(&o.finance1.token, id(t)).await["status"], "approved", "ambiguous lines are never applied");
    }
}

#[tokio::test]
async fn statement_imports_refuse_bad_files_mappings_and_non_finance_users() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mapping = json!({"date": "日期", "amount": "金额", "counterparty_name": "户名"});
    let csv = "日期,金额,户名\n2026-01-01,-1.00,X\n".as_bytes().to_vec();
    let (s, _) = import(&app, &o.requester.token, csv.clone(), "a.csv", mapping.clone(), false).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = import(
        &app,
        &o.finance1.token,
        csv.clone(),
        "a.csv",
        json!({"date": "交易日", "amount": "金额", "counterparty_name": "户名"}),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "mapping.date");
    let (s, p) = import(&app, &o.finance1.token, csv.clone(), "a.csv", json!({"date": "日期", "counterparty_name": "户名"}), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, _) = import(&app, &o.finance1.token, b"PK\x03\x04garbage".to_vec(), "a.xlsx", mapping.clone(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A zip bomb: a tiny archive claiming a huge inflated part.
    let bomb = {
        let mut buf = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..300 {
            std::io::Write::write_all(&mut z, &zeros).unwrap();
        }
        z.finish().unwrap();
        buf.into_inner()
    };
    let (s, p) = import(&app, &o.finance1.token, bomb, "bomb.xlsx", mapping.clone(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("压缩炸弹"));
}

#[tokio::test]
async fn a_refund_already_entered_by_hand_is_not_recorded_again_from_the_statement() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let today_s = today().to_string();
    let r = approved(&app, &o, request_body("verification_transfer", 20_000)).await;
    app.call(
        &o.finance2.token,
        &format!("/api/v1/requests/{}/payout", id(&r)),
        json!({"paid_at": today_s, "amount_fen": 20_000, "reference": "P"}),
    )
    .await;
    let (s, _) = app
        .call(
            &o.finance1.token,
            &format!("/api/v1/requests/{}/refund", id(&r)),
            json!({"refunded_at": today_s, "amount_fen": 10_000, "reference": "手工"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let csv = format!("日期,金额,户名\n{today_s},100.00,财付通支付科技有限公司\n");
    let mapping = json!({"date": "日期", "amount": "金额", "counterparty_name": "户名"});
    let (s, res) = import(&app, &o.finance1.token, csv.into_bytes(), "s.csv", mapping, true).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    assert_eq!(res["matched"], json!([]), "{res}");
    let after = app.detail(&o.finance1.token, id(&r)).await;
    assert_eq!((after["status"].as_str(), after["refund_amount_fen"].as_i64()), (Some("paid"), Some(10_000)));
}
