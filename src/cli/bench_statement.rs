//! `verifund bench statement --lines N`: a statement of N lines in CCB's own export layout
//! (title rows, the account row, the header, a totals row), of which 1,000 are Tencent's
//! refunds of paid requests and the rest other traffic, previewed and committed through the
//! HTTP API of a `verifund serve` process of its own against DESIGN's targets (preview < 5 s, commit < 20 s at
//! 50,000 lines). Prints the seconds, the lines per second and the ratio to each target.
use super::bench::seed_requests;
use chrono::Duration;
use entity::request;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::time::Instant;
use verifund::domain::workflow::Status;

const REFUNDS: usize = 1_000;

/// 1,234.56: how CCB writes amounts.
fn yuan(fen: i64) -> String {
    verifund::domain::money::format_yuan(fen).trim_start_matches('¥').to_owned()
}

/// `verifund serve` as its own process on a free port, killed when dropped.
pub(super) struct Server {
    child: std::process::Child,
    pub(super) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) async fn spawn_server(data_dir: &std::path::Path, database_url: Option<&str>) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("serve")
        .env("VERIFUND_DATA_DIR", data_dir)
        .env("VERIFUND_BIND", format!("127.0.0.1:{port}"))
        .env("VERIFUND_UPLOAD_LIMIT_MB", "64")
        .env("VERIFUND_LOG", "warn")
        .stdout(std::process::Stdio::null());
    match database_url {
        Some(url) => cmd.env("DATABASE_URL", url),
        None => cmd.env_remove("DATABASE_URL"),
    };
    let server = Server { child: cmd.spawn()?, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not answer /healthz within 30 s")
}

fn statement(lines: usize, refunds: &[(chrono::NaiveDate, i64)]) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "中国建设银行")?;
    ws.write(1, 0, "明细查询结果")?;
    ws.write(2, 0, "账\u{3000}\u{3000}号")?;
    ws.write(2, 1, "1202 0012 0900 1234 567")?;
    ws.write(2, 2, "账户名称")?;
    ws.write(2, 3, "日升集团有限公司")?;
    let head = [
        "交易时间",
        "借方发生额/元(支取)",
        "贷方发生额/元(收入)",
        "余额",
        "币种",
        "对方户名",
        "对方账号",
        "对方开户机构",
        "记账日期",
        "摘要",
        "备注",
        "账户明细编号-交易流水号",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write(4, c as u16, *h)?;
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    for i in 0..lines {
        let row = 5 + i as u32;
        let (day, out, fen, name, account) = match refunds.get(i) {
            Some((day, fen)) => (*day, false, *fen, "财付通支付科技有限公司".to_owned(), "755915707910607".to_owned()),
            None => (
                start + Duration::days((i % 330) as i64),
                i % 3 != 0,
                100 + (i as i64 * 7919) % 9_999_999,
                format!("供应商{}有限公司", i % 997),
                format!("6222{i:015}"),
            ),
        };
        ws.write(row, 0, format!("{} 10:{:02}:00", day.format("%Y%m%d"), i % 60))?;
        ws.write(row, if out { 1 } else { 2 }, yuan(fen))?;
        ws.write(row, 3, "1,000.00")?;
        ws.write(row, 4, "人民币元")?;
        ws.write(row, 5, name)?;
        ws.write(row, 6, account)?;
        ws.write(row, 8, day.format("%Y%m%d").to_string())?;
        ws.write(row, 9, if out { "货款" } else { "退款" })?;
        ws.write(row, 11, format!("S{i}"))?;
    }
    ws.write(5 + lines as u32, 0, "合计")?;
    Ok(wb.save_to_buffer()?)
}

pub async fn bench_statement(lines: usize, database_url: Option<String>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = verifund::config::Config::new(dir.path().to_path_buf());
    config.database_url = database_url.clone();
    let db = verifund::db::connect_and_migrate(&config).await?;
    verifund::demo::seed(&db, 0).await?;
    let requester = verifund::store::users::find_by_username(&db, "zhangsan").await?.ok_or_else(|| anyhow::anyhow!("no demo user"))?;
    // Six statuses in turn: a sixth of the rows are paid and await their refund.
    seed_requests(&db, (REFUNDS as u64) * 6 + 600, requester.id, requester.department_id.unwrap_or_default()).await?;
    let paid: Vec<(Option<chrono::NaiveDate>, Option<i64>)> = request::Entity::find()
        .select_only()
        .columns([request::Column::PaidAt, request::Column::PayoutAmountFen])
        .filter(request::Column::Status.eq(Status::Paid.as_str()))
        .order_by_asc(request::Column::Id)
        .limit(REFUNDS as u64)
        .into_tuple()
        .all(&db)
        .await?;
    let refunds: Vec<(chrono::NaiveDate, i64)> =
        paid.into_iter().filter_map(|(d, a)| Some((d? + Duration::days(3), a?))).take(lines.min(REFUNDS)).collect();
    let t = Instant::now();
    let file = statement(lines, &refunds)?;
    eprintln!("wrote a {lines}-line CCB statement ({:.1} MB) in {:.1}s", file.len() as f64 / 1e6, t.elapsed().as_secs_f64());

    // The server is a process of its own, as in production; this one only sends.
    drop(db);
    let server = spawn_server(dir.path(), database_url.as_deref()).await?;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let v: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "wangwu", "password": verifund::demo::DEMO_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = v["access_token"].as_str().unwrap_or_default().to_owned();
    // A multipart body as a browser sends it (the CLI's HTTP client has no multipart feature).
    let boundary = "verifund-bench-boundary";
    let send = |commit: bool| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"commit\"\r\n\r\n{commit}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ccb-statement.xlsx\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        client
            .post(format!("{base}/api/v1/bank-statements"))
            .bearer_auth(&token)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    for (label, commit, target) in [("preview", false, 5.0), ("commit", true, 20.0), ("re-import", true, 20.0)] {
        let t = Instant::now();
        let res = send(commit).await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(status.is_success(), "{label} answered {status}: {body}");
        println!(
            "{label:<10} {lines} lines in {secs:>6.2}s = {:>8.0} lines/s  matched={} unmatched={} duplicates={} format={}  {:.2} of the {target:.0} s target",
            lines as f64 / secs,
            body["matched"].as_array().map(Vec::len).unwrap_or(0),
            body["unmatched"].as_array().map(Vec::len).unwrap_or(0),
            body["duplicates"],
            body["format"],
            secs / target
        );
    }
    Ok(())
}
