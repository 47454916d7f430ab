//! Paper (DESIGN §3, issue #21): both workbooks printed the way a finance clerk prints them
//! (LibreOffice headless to PDF) and the 审批单 as a PDF (Chromium), read back with poppler.
//! Under CI=true a missing LibreOffice, Chromium or poppler fails; elsewhere these tests say why
//! they skipped. The first pages are kept as PNG in tests/artifacts/print-<backend>/.
use crate::common::*;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().map(|o| o.status.success()).unwrap_or(false)
}

/// True when every tool is there; otherwise fails under CI and says why it skips elsewhere.
fn tools_present(tools: &[(&str, &str)]) -> bool {
    let missing: Vec<&str> = tools.iter().filter(|(cmd, arg)| !have(cmd, arg)).map(|(cmd, _)| *cmd).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(!in_ci(), "{missing:?} required under CI (apt-get install libreoffice-calc poppler-utils chromium fonts-noto-cjk)");
    eprintln!("skipped: {missing:?} not installed");
    false
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts").join(format!("print-{}", backend_name()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PDF's pages as text, in layout order.
fn pdf_pages(pdf: &Path) -> Vec<String> {
    let text = run(Command::new("pdftotext").arg("-layout").arg(pdf).arg("-"));
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

fn pdf_info(pdf: &Path) -> String {
    run(Command::new("pdfinfo").arg(pdf))
}

fn page_count(pdf: &Path) -> usize {
    pdf_info(pdf).lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).expect("Pages: in pdfinfo")
}

/// Keeps the PDF and its first page as a PNG for people to look at.
fn keep(pdf: &Path, name: &str) {
    let dir = artifacts();
    std::fs::copy(pdf, dir.join(format!("{name}.pdf"))).unwrap();
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(dir.join(format!("{name}-page1"))));
}

/// One request carried through both approvals to its payout, and every second one refunded.
async fn paid_request(app: &TestApp, o: &Org, i: usize) -> Value {
    let mut body = request_body("verification_transfer", 10_001 + 7_919 * i as i64 % 90_000);
    body["title"] = json!(format!("小程序「日升商城{i}」对公打款验证"));
    body["payee_name"] =
        json!(if i.is_multiple_of(3) { "深圳市腾讯计算机系统有限公司" } else { "财付通支付科技有限公司" });
    body["transfer_remark"] = json!(format!("{:06}", 100_000 + i));
    let r = app.create_request(&o.requester.token, body).await;
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({"comment": "同意"})).await;
    let (s, r) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let today = today().to_string();
    let amount = r["amount_fen"].clone();
    let (s, r) = app
        .act(&o.finance2.token, id(&r), "payout", json!({"paid_at": today, "amount_fen": amount, "reference": format!("CMB2026{i:08}")}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    if i.is_multiple_of(2) {
        let (s, r2) = app
            .act(&o.finance1.token, id(&r), "refund", json!({"refunded_at": today, "amount_fen": amount, "reference": format!("TP{i:08}")}))
            .await;
        assert_eq!(s, StatusCode::OK, "{r2}");
        return r2;
    }
    r
}

async fn download(app: &TestApp, token: &str, path: &str, to: &Path) {
    let res = app.get(Some(token), path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    std::fs::write(to, res.bytes().await.unwrap()).unwrap();
}

/// `soffice --convert-to pdf` with a profile of its own, so that runs side by side do not
/// wait on each other's lock.
fn xlsx_to_pdf(xlsx: &Path, dir: &Path) -> PathBuf {
    let profile = dir.join("lo-profile");
    run(Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(xlsx));
    xlsx.with_extension("pdf")
}

/// Pages of each sheet by the title in its page header (`sheets`: a marker that only that
/// sheet's header has, or "" for the main sheet).
fn pages_by_sheet<'a>(pages: &'a [String], sheets: &[(&'static str, &'static str)]) -> Vec<(&'static str, Vec<&'a String>)> {
    let mut out: Vec<(&'static str, Vec<&String>)> = sheets.iter().map(|(name, _)| (*name, Vec::new())).collect();
    for page in pages {
        let at = sheets.iter().position(|(_, marker)| !marker.is_empty() && page.contains(marker)).unwrap_or(0);
        out[at].1.push(page);
    }
    out
}

fn check_rows_pages(what: &str, pages: &[&String], amount_header: &str) {
    assert!(!pages.is_empty(), "{what}: no pages");
    assert!(pages.len() <= 4, "{what}: 90 requests take {} pages, at most 4 wanted", pages.len());
    for (n, page) in pages.iter().enumerate() {
        if page.contains("YF") {
            assert!(
                page.contains("单号") && page.contains(amount_header),
                "{what} page {}: the header row with 单号 and {amount_header} on every page:\n{page}",
                n + 1
            );
            assert!(page.contains('¥'), "{what} page {}: amounts are on the page", n + 1);
        }
    }
}

#[tokio::test]
async fn ninety_requests_print_one_page_wide_with_titles_page_numbers_and_a_sign_off() {
    if !tools_present(&[("soffice", "--version"), ("pdftotext", "-v"), ("pdfinfo", "-v"), ("pdftoppm", "-v")]) {
        return;
    }
    let app = spawn_app().await;
    let o = org(&app).await;
    let made: Vec<Value> = futures::stream::iter(0..90).map(|i| paid_request(&app, &o, i)).buffer_unordered(4).collect().await;
    assert_eq!(made.len(), 90);
    let dir = tempfile::tempdir().unwrap();
    let period = format!("from={}&to={}", today() - chrono::Duration::days(30), today());

    let ledger = dir.path().join("ledger.xlsx");
    download(&app, &o.finance1.token, &format!("/api/v1/exports/ledger.xlsx?{period}"), &ledger).await;
    let pdf = xlsx_to_pdf(&ledger, dir.path());
    keep(&pdf, "ledger");
    let pages = pdf_pages(&pdf);
    assert_eq!(pages.len(), page_count(&pdf));
    let by_sheet = pages_by_sheet(&pages, &[("台账", ""), ("汇总", "（汇总）")]);
    check_rows_pages("台账", &by_sheet[0].1, "金额");
    assert_eq!(by_sheet[1].1.len(), 1, "the summary prints on one page");
    let total = pages.len();
    for (n, page) in pages.iter().enumerate() {
        // pdftotext drops some of the spaces around the numbers.
        let squeezed: String = page.chars().filter(|c| *c != ' ').collect();
        assert!(squeezed.contains(&format!("第{}页/共{total}页", n + 1)), "page numbers on page {}:\n{page}", n + 1);
        assert!(page.contains("日升集团应(预)付款台账") && page.contains("主体：全部"), "title and company in the page header:\n{page}");
        assert!(
            page.contains(&format!("期间：{} 至 {}", today() - chrono::Duration::days(30), today())),
            "the period in the page header:\n{page}"
        );
        assert!(page.contains("导出时间："), "the export time in the footer");
    }
    eprintln!("ledger of 90 requests: {} page(s) 台账, {} page(s) 汇总", by_sheet[0].1.len(), by_sheet[1].1.len());

    let reconciliation = dir.path().join("reconciliation.xlsx");
    download(&app, &o.auditor.token, "/api/v1/exports/reconciliation.xlsx", &reconciliation).await;
    let pdf = xlsx_to_pdf(&reconciliation, dir.path());
    keep(&pdf, "reconciliation");
    let pages = pdf_pages(&pdf);
    let by_sheet = pages_by_sheet(&pages, &[("对账", ""), ("未退款", "（未退款）"), ("汇总", "（汇总）")]);
    check_rows_pages("对账", &by_sheet[0].1, "打款金额");
    check_rows_pages("未退款", &by_sheet[1].1, "打款金额");
    assert_eq!(by_sheet[2].1.len(), 1, "the summary prints on one page");
    let last = by_sheet[0].1.last().unwrap();
    for word in ["制表", "复核", "财务负责人", "日期"] {
        assert!(last.contains(word), "the sign-off block ends the 对账 sheet ({word}):\n{last}");
    }
    assert!(pages.iter().all(|p| p.contains("期间：全部") && p.contains("共")), "unfiltered: 期间 全部, and page numbers");
    eprintln!(
        "reconciliation of 90 requests: {} page(s) 对账, {} page(s) 未退款, {} page(s) 汇总",
        by_sheet[0].1.len(),
        by_sheet[1].1.len(),
        by_sheet[2].1.len()
    );
}

/// The xlsx's own print setup, read from its XML: no office suite needed.
fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[tokio::test]
async fn every_sheet_prints_landscape_a4_one_page_wide_under_a_header_naming_company_and_period() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (s, c) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "日升科技（深圳）有限公司", "credit_code": verifund::demo::demo_credit_code(),
                   "accounts": [{"bank": "招商银行深圳分行", "account": "7559 1234 5610 801"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let mut body = request_body("verification_transfer", 4_321);
    for f in ["payer_entity", "payer_credit_code", "payer_bank", "payer_account"] {
        body.as_object_mut().unwrap().remove(f);
    }
    body["company_id"] = c["id"].clone();
    app.create_request(&o.requester.token, body).await;
    app.create_request(&o.requester.token, request_body("certification_fee", 30_000)).await;

    let from = today() - chrono::Duration::days(7);
    let res = app.get(Some(&o.finance1.token), &format!("/api/v1/exports/ledger.xlsx?company_id={}&from={from}", c["id"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-export-rows"], "1", "only the company's requests");
    let xlsx = res.bytes().await.unwrap().to_vec();
    let workbook = part(&xlsx, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Titles") && workbook.contains("台账!$1:$1"), "the header row repeats: {workbook}");
    assert!(workbook.contains("_xlnm.Print_Area") && workbook.contains("台账!$A$1:$V$"), "the ledger prints up to 逾期工作日: {workbook}");
    for (n, sheet) in [(1, "台账"), (2, "汇总")] {
        let xml = part(&xlsx, &format!("xl/worksheets/sheet{n}.xml"));
        assert!(xml.contains(r#"orientation="landscape""#) && xml.contains(r#"paperSize="9""#), "{sheet}: landscape A4: {xml}");
        assert!(xml.contains(r#"fitToPage="1""#), "{sheet}: fit to page");
        assert!(xml.contains("第 &amp;P 页 / 共 &amp;N 页"), "{sheet}: page numbers in the footer");
        assert!(
            xml.contains("主体：日升科技（深圳）有限公司") && xml.contains(&format!("期间：{from} 起")),
            "{sheet}: company and period in the header"
        );
    }
    assert!(part(&xlsx, "xl/worksheets/sheet1.xml").contains(r#"fitToHeight="0""#), "the ledger is one page wide, any number tall");
    assert!(!part(&xlsx, "xl/worksheets/sheet2.xml").contains("fitToHeight"), "the summary is one page (Excel's default 1 × 1)");

    let res = app.get(Some(&o.auditor.token), "/api/v1/exports/reconciliation.xlsx").await;
    let xlsx = res.bytes().await.unwrap().to_vec();
    let workbook = part(&xlsx, "xl/workbook.xml");
    for sheet in ["对账", "未退款", "汇总"] {
        assert!(workbook.contains(&format!("{sheet}!$1:$1")) || sheet == "汇总", "{sheet}: print titles: {workbook}");
    }
    assert!(part(&xlsx, "xl/worksheets/sheet1.xml").contains("主体：全部"), "unfiltered: 全部");

    for bad in ["company_id=abc", "company_id=999999", "company_id=1&bogus=1", "from=2026-13-01"] {
        let res = app.get(Some(&o.finance1.token), &format!("/api/v1/exports/ledger.xlsx?{bad}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{bad}");
    }
}

/// create, submit, two approvals, payout, refund.
async fn refunded_with_six_timeline_rows(app: &TestApp, o: &Org) -> Value {
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 140_950)).await;
    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({"comment": "请审批"})).await;
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({"comment": "同意，尽快打款"})).await;
    let (s, r) = app.act(&o.finance1.token, id(&r), "approve", json!({"comment": "核对无误"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let today = today().to_string();
    let (s, r) = app
        .act(&o.finance2.token, id(&r), "payout", json!({"paid_at": today, "amount_fen": 140_950, "reference": "CMB20261130000123"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app
        .act(&o.finance1.token, id(&r), "refund", json!({"refunded_at": today, "amount_fen": 140_950, "reference": "TP20261130000456"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

async fn form_pdf(app: &TestApp, token: &str, rid: i64, to: &Path) {
    let res = app.get(Some(token), &format!("/api/v1/requests/{rid}/print.pdf")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let cd = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(cd.starts_with("attachment;") && cd.contains(".pdf"), "{cd}");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    std::fs::write(to, bytes).unwrap();
}

#[tokio::test]
async fn the_approval_form_with_its_ordinary_history_is_one_a4_page_with_the_signatures() {
    let chromium = std::env::var("VERIFUND_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    if !tools_present(&[(chromium.as_str(), "--version"), ("pdftotext", "-v"), ("pdfinfo", "-v"), ("pdftoppm", "-v")]) {
        return;
    }
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = refunded_with_six_timeline_rows(&app, &o).await;
    assert_eq!(app.detail(&o.requester.token, id(&r)).await["timeline"].as_array().unwrap().len(), 6, "six timeline rows");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("form.pdf");
    form_pdf(&app, &o.requester.token, id(&r), &pdf).await;
    keep(&pdf, "form");
    let info = pdf_info(&pdf);
    assert_eq!(page_count(&pdf), 1, "one page:\n{info}");
    assert!(info.contains("(A4)"), "A4:\n{info}");
    let text = pdf_pages(&pdf).concat();
    for words in [
        "日升集团应(预)付款审批单",
        "审批签字",
        "申请人",
        "出纳打款",
        "退款确认",
        "manager 名",
        "finance2 名",
        "审批记录",
        "登记退款",
        r["number"].as_str().unwrap(),
    ] {
        assert!(text.contains(words), "{words} on the page:\n{text}");
    }
    eprintln!("审批单 with six timeline rows: {} page(s)", page_count(&pdf));

    // The same readers as /print: the manager reads it, someone from another department does not.
    let res = app.get(Some(&o.manager.token), &format!("/api/v1/requests/{}/print.pdf", id(&r))).await;
    assert_eq!(res.status(), StatusCode::OK);
    for (token, path, want) in [
        (Some(o.outsider.token.as_str()), format!("/api/v1/requests/{}/print.pdf", id(&r)), StatusCode::NOT_FOUND),
        (Some(o.requester.token.as_str()), "/api/v1/requests/999999/print.pdf".to_owned(), StatusCode::NOT_FOUND),
        (Some(o.requester.token.as_str()), "/api/v1/requests/abc/print.pdf".to_owned(), StatusCode::BAD_REQUEST),
        (None, format!("/api/v1/requests/{}/print.pdf", id(&r)), StatusCode::UNAUTHORIZED),
    ] {
        let res = app.get(token, &path).await;
        assert_eq!(res.status(), want, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{path}");
    }
}

#[tokio::test]
async fn a_long_history_continues_on_the_next_page_under_its_repeated_header() {
    let chromium = std::env::var("VERIFUND_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    if !tools_present(&[(chromium.as_str(), "--version"), ("pdftotext", "-v"), ("pdfinfo", "-v")]) {
        return;
    }
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = refunded_with_six_timeline_rows(&app, &o).await;
    for n in 0..30 {
        let (s, c) = app
            .call(
                &o.manager.token,
                &format!("/api/v1/requests/{}/comments", id(&r)),
                json!({"body": format!("第 {n} 条备注：请财务核对回单与流水号")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("long.pdf");
    form_pdf(&app, &o.finance1.token, id(&r), &pdf).await;
    let pages = pdf_pages(&pdf);
    assert!(pages.len() >= 2, "36 timeline rows do not fit one page");
    assert!(pages[0].contains("审批签字") && pages[0].contains("退款确认"), "the signatures stay whole on page 1");
    for (n, page) in pages.iter().enumerate().skip(1) {
        if page.contains("备注") {
            assert!(
                page.contains("时间") && page.contains("人员") && page.contains("操作"),
                "page {}: the history's header repeats:\n{page}",
                n + 1
            );
        }
    }
}

/// A second server on the same database, started with a browser that is not there.
#[tokio::test]
async fn without_a_browser_the_pdf_is_a_503_that_says_so_and_the_html_form_still_prints() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 12_345)).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_verifund"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("VERIFUND_DATA_DIR", app.data_dir.path())
        .env("VERIFUND_CHROMIUM", "/nonexistent/chromium")
        .env("VERIFUND_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if app.client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let get = |path: String, lang: &'static str| {
        app.client.get(format!("{base}{path}")).bearer_auth(&o.requester.token).header("accept-language", lang).send()
    };
    let pdf = if up { Some(get(format!("/api/v1/requests/{}/print.pdf", id(&r)), "en").await.unwrap()) } else { None };
    let html = if up { Some(get(format!("/api/v1/requests/{}/print", id(&r)), "zh-CN").await.unwrap()) } else { None };
    let _ = child.kill();
    let _ = child.wait();
    let (pdf, html) = (pdf.expect("the second server came up"), html.unwrap());
    assert_eq!(pdf.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(pdf.headers()["content-type"], "application/problem+json");
    let problem: Value = pdf.json().await.unwrap();
    assert_eq!(problem["code"], "pdf_unavailable");
    assert!(problem["detail"].as_str().unwrap().contains("Chromium"), "{problem}");
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html.text().await.unwrap().contains("审批签字"));
}
