//! `verifund bench export --rows N`: seeds N requests into a scratch SQLite database, times
//! the ledger export in a child `verifund export` process, and times a peer — Python
//! XlsxWriter in constant_memory mode writing the same columns from the same rows — in the
//! same run. Prints seconds, the ratio and each process's peak RSS.
use chrono::{Duration, NaiveDate, Utc};
use entity::request;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use verifund::domain::workflow::Status;

/// Inserts `rows` requests in batches, spread over statuses and dates like a real ledger.
pub async fn seed_requests(db: &DatabaseConnection, rows: u64, requester_id: i32, department_id: i32) -> anyhow::Result<()> {
    let base = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default();
    let statuses = [Status::Draft, Status::PendingManager, Status::Approved, Status::Paid, Status::Refunded, Status::Closed];
    let now = Utc::now();
    let mut done = 0u64;
    while done < rows {
        // SQLite allows 32,766 bound values per statement: 500 rows of ~40 columns fit.
        let n = (rows - done).min(500);
        let tx = db.begin().await?;
        let batch = (done..done + n).map(|i| {
            let status = statuses[(i % statuses.len() as u64) as usize];
            let order_date = base + Duration::days((i % 600) as i64);
            let paid = matches!(status, Status::Paid | Status::Refunded | Status::Closed);
            let amount = 1 + (i as i64 * 7919) % 99_999; // what sample_request uses
            let mut am = verifund::demo::sample_request(i, order_date, requester_id, Some(department_id), now);
            am.number = Set(Some(format!("YF{}-{:06}", order_date.format("%Y%m"), i + 1)));
            am.refundable = Set(status != Status::Closed);
            am.pay_by = Set(order_date + Duration::days(10));
            am.status = Set(status.as_str().into());
            am.round = Set(1);
            am.manager_approved_by = Set(Some(requester_id));
            am.finance_approved_by = Set(Some(requester_id));
            am.paid_at = Set(paid.then_some(order_date + Duration::days(2)));
            am.payout_amount_fen = Set(paid.then_some(amount));
            am.payout_reference = Set(paid.then(|| format!("CMB{i:010}")));
            am.refund_due = Set((paid && status != Status::Closed).then_some(order_date + Duration::days(16)));
            am.refunded_at = Set((status == Status::Refunded).then_some(order_date + Duration::days(9)));
            am.refund_amount_fen = Set((status == Status::Refunded).then_some(amount));
            am
        });
        request::Entity::insert_many(batch).exec_without_returning(&tx).await?;
        tx.commit().await?;
        done += n;
    }
    Ok(())
}

/// Runs `cmd` and answers (seconds, its own peak resident set in MiB). Each child prints its
/// `VmHWM` from /proc/self/status on stderr as it ends (the export with
/// VERIFUND_REPORT_PEAK_RSS, the Python peers from their last line); `getrusage` would count
/// the memory of this process inherited through fork.
fn timed(cmd: &mut Command) -> anyhow::Result<(f64, f64)> {
    let start = Instant::now();
    let out = cmd.env("VERIFUND_REPORT_PEAK_RSS", "1").output()?;
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        anyhow::bail!("{cmd:?} failed: {err}");
    }
    let kib: f64 = err
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    Ok((secs, kib / 1024.0))
}

/// The last line of each Python peer: its peak resident set, as `timed` reads it.
const PEAK_RSS_PY: &str = r#"
print([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].strip(), file=sys.stderr)
"#;

const PYTHON_PEER: &str = r#"
import sqlite3, sys, json, datetime
import xlsxwriter
db, out = sys.argv[1], sys.argv[2]
D = "零壹贰叁肆伍陆柒捌玖"
def words(fen):
    y, j, f = fen // 100, (fen // 10) % 10, fen % 10
    s, zero, digits = "", False, str(y)
    n = len(digits)
    for i, ch in enumerate(digits):
        u, d = n - 1 - i, int(ch)
        if y == 0: break
        if d == 0: zero = True
        else:
            if zero and s: s += "零"
            zero = False
            s += D[d] + ["", "拾", "佰", "仟"][u % 4]
        if u % 4 == 0 and u > 0 and int(digits[max(0, i - 3):i + 1] or "0") != 0:
            s += ["", "万", "亿", "万"][u // 4]
    if y > 0: s += "元"
    if j: s += ("零" if zero and s else "") + D[j] + "角"; zero = False
    elif y > 0: zero = True
    if f: s += ("零" if zero and s else "") + D[f] + "分"
    else: s += "整"
    return "人民币" + s
def wd_between(a, b):
    if not a or not b or b <= a: return 0
    a, b = datetime.date.fromisoformat(a), datetime.date.fromisoformat(b)
    n, d = 0, a
    while d < b:
        d += datetime.timedelta(days=1)
        if d.weekday() < 5: n += 1
    return n
STATUS = {"draft": "草稿", "pending_manager": "待经理审批", "pending_finance": "待财务审批", "approved": "已批准待打款", "paid": "已打款待退款", "refunded": "已退款", "returned": "已退回", "withdrawn": "已撤回", "expired": "已过期", "closed": "已完成"}
con = sqlite3.connect(db)
users = dict(con.execute("select id, display_name from users"))
depts = dict(con.execute("select id, name from departments"))
wb = xlsxwriter.Workbook(out, {"constant_memory": True})
ws = wb.add_worksheet("台账")
money = wb.add_format({"num_format": "¥#,##0.00"})
date = wb.add_format({"num_format": "yyyy-mm-dd"})
headers = ["单号","申请日期","申请人","部门","付款主体","付款账户","收款方","收款账号","金额","大写金额","用途","小程序","状态","经理审批","财务审批","打款日期","打款流水号","退款截止日","退款日期","退款金额","差额","逾期工作日","类型","标记"]
ws.write_row(0, 0, headers)
ws.freeze_panes(1, 0)
r = 1
today = datetime.date.today().isoformat()
cur = con.execute("select number, created_at, requester_id, department_id, payer_entity, payer_bank, payer_account, payee_name, payee_account, amount_fen, purpose, mini_program, status, manager_approved_by, finance_approved_by, paid_at, payout_reference, refund_due, refunded_at, refund_amount_fen, payout_amount_fen, kind, flags from requests order by id")
while True:
    rows = cur.fetchmany(2000)
    if not rows: break
    for (number, created, req, dep, payer, pbank, pacct, payee, pyacct, amount, purpose, mp, status, mgr, fin, paid_at, pref, due, refunded_at, refund, payout, kind, flags) in rows:
        ws.write_string(r, 0, number or "")
        ws.write_datetime(r, 1, datetime.datetime.fromisoformat(created[:10]), date)
        ws.write_string(r, 2, users.get(req, ""))
        ws.write_string(r, 3, depts.get(dep, ""))
        ws.write_string(r, 4, payer)
        ws.write_string(r, 5, pbank + " " + pacct)
        ws.write_string(r, 6, payee)
        ws.write_string(r, 7, pyacct)
        ws.write_number(r, 8, amount / 100, money)
        ws.write_string(r, 9, words(amount))
        ws.write_string(r, 10, purpose)
        ws.write_string(r, 11, (json.loads(mp) or {}).get("name", "") if mp else "")
        ws.write_string(r, 12, STATUS.get(status, ""))
        ws.write_string(r, 13, users.get(mgr, ""))
        ws.write_string(r, 14, users.get(fin, ""))
        if paid_at: ws.write_datetime(r, 15, datetime.datetime.fromisoformat(paid_at), date)
        ws.write_string(r, 16, pref or "")
        if due: ws.write_datetime(r, 17, datetime.datetime.fromisoformat(due), date)
        if refunded_at: ws.write_datetime(r, 18, datetime.datetime.fromisoformat(refunded_at), date)
        if refund is not None: ws.write_number(r, 19, refund / 100, money)
        if payout is not None: ws.write_number(r, 20, (payout - (refund or 0)) / 100, money)
        ws.write_number(r, 21, wd_between(due, refunded_at or (today if status == "paid" else None)))
        ws.write_string(r, 22, kind)
        ws.write_string(r, 23, flags)
        r += 1
ws.write_formula(r, 8, "=SUM(I2:I%d)" % r, money)
ws.autofilter(0, 0, r - 1, len(headers) - 1)
wb.set_properties({"title": "台账", "author": "verifund"})
wb.close()
print(r - 1)
"#;

/// The same rows through `rustpy-xlsxwriter` (rust_xlsxwriter under Python, PyPI), fed by a
/// generator so it streams: the prelude (queries, 大写金额, working days) is the XlsxWriter
/// peer's.
const RUSTPY_BODY: &str = r#"
import rustpy_xlsxwriter
today = datetime.date.today().isoformat()
def day(s):
    return datetime.datetime.fromisoformat(s[:10]) if s else None
def records():
    cur = con.execute("select number, created_at, requester_id, department_id, payer_entity, payer_bank, payer_account, payee_name, payee_account, amount_fen, purpose, mini_program, status, manager_approved_by, finance_approved_by, paid_at, payout_reference, refund_due, refunded_at, refund_amount_fen, payout_amount_fen, kind, flags from requests order by id")
    while True:
        rows = cur.fetchmany(2000)
        if not rows: break
        for (number, created, req, dep, payer, pbank, pacct, payee, pyacct, amount, purpose, mp, status, mgr, fin, paid_at, pref, due, refunded_at, refund, payout, kind, flags) in rows:
            yield {
                "单号": number or "", "申请日期": day(created), "申请人": users.get(req, ""), "部门": depts.get(dep, ""),
                "付款主体": payer, "付款账户": pbank + " " + pacct, "收款方": payee, "收款账号": pyacct,
                "金额": amount / 100, "大写金额": words(amount), "用途": purpose,
                "小程序": (json.loads(mp) or {}).get("name", "") if mp else "", "状态": STATUS.get(status, ""),
                "经理审批": users.get(mgr, ""), "财务审批": users.get(fin, ""), "打款日期": day(paid_at), "打款流水号": pref or "",
                "退款截止日": day(due), "退款日期": day(refunded_at),
                "退款金额": refund / 100 if refund is not None else None,
                "差额": (payout - (refund or 0)) / 100 if payout is not None else None,
                "逾期工作日": wd_between(due, refunded_at or (today if status == "paid" else None)),
                "类型": kind, "标记": flags,
            }
rustpy_xlsxwriter.write_worksheet(records(), out, sheet_name="台账", freeze_row=1, float_format="¥#,##0.00",
    datetime_format="yyyy-mm-dd", autofilter=True)
"#;

pub async fn bench_export(rows: u64, keep: Option<&Path>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data_dir = keep.map(Path::to_path_buf).unwrap_or_else(|| dir.path().to_path_buf());
    let config = verifund::config::Config::new(data_dir.clone());
    let db = verifund::db::connect_and_migrate(&config).await?;
    let dept = verifund::store::users::ensure_department(&db, "市场部").await?;
    let user = match verifund::store::users::find_by_username(&db, "bench").await? {
        Some(u) => u,
        None => verifund::store::users::create(
            &db,
            verifund::store::users::NewUser {
                username: "bench".into(),
                display_name: "基准测试".into(),
                email: None,
                password: verifund::db::random_token(12),
                roles: [verifund::domain::roles::Role::Requester].into_iter().collect(),
                department_id: Some(dept),
                manager_id: None,
                must_change_password: false,
            },
            &verifund::store::users::Operator::cli(),
            Utc::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let seed_start = Instant::now();
    seed_requests(&db, rows, user.id, dept).await?;
    eprintln!("seeded {rows} requests in {:.1}s", seed_start.elapsed().as_secs_f64());
    db.close().await?;
    let db_file = data_dir.join("verifund.db");
    let exe = std::env::current_exe()?;

    let py = dir.path().join("peer.py");
    std::fs::write(&py, format!("{PYTHON_PEER}{PEAK_RSS_PY}"))?;
    let peer_available = Command::new("python3").args(["-c", "import xlsxwriter"]).status().map(|s| s.success()).unwrap_or(false);
    // The smaller process runs first so that each peak-RSS reading is its own (see `timed`).
    let (rust_secs, rust_rss) = timed(
        Command::new(&exe)
            .args(["export", "ledger", "--out"])
            .arg(dir.path().join("rust.xlsx"))
            .env("VERIFUND_DATA_DIR", &data_dir)
            .env_remove("DATABASE_URL"),
    )?;
    let rust_size = std::fs::metadata(dir.path().join("rust.xlsx"))?.len();
    println!(
        "verifund export ledger   rows={rows}  time={rust_secs:.2}s  peak_rss={rust_rss:.1}MiB  file={:.1}MiB",
        rust_size as f64 / 1048576.0
    );
    if !peer_available {
        println!("peer skipped: python3 with XlsxWriter is not installed (pip install xlsxwriter)");
        return Ok(());
    }
    let (py_secs, py_rss) = timed(Command::new("python3").arg(&py).arg(&db_file).arg(dir.path().join("peer.xlsx")))?;
    let py_size = std::fs::metadata(dir.path().join("peer.xlsx"))?.len();
    println!(
        "python XlsxWriter (constant_memory)  rows={rows}  time={py_secs:.2}s  peak_rss={py_rss:.1}MiB  file={:.1}MiB",
        py_size as f64 / 1048576.0
    );
    println!("ratio: verifund is {:.2}x the speed of Python XlsxWriter (target ≥ 6)", py_secs / rust_secs);
    let prelude = PYTHON_PEER.split("wb = xlsxwriter.Workbook").next().unwrap_or_default();
    let rustpy = dir.path().join("rustpy_peer.py");
    std::fs::write(&rustpy, format!("{prelude}{RUSTPY_BODY}{PEAK_RSS_PY}"))?;
    let rustpy_available = Command::new("python3").args(["-c", "import rustpy_xlsxwriter"]).status().map(|s| s.success()).unwrap_or(false);
    if !rustpy_available {
        println!("peer skipped: rustpy-xlsxwriter is not installed (pip install rustpy-xlsxwriter)");
        return Ok(());
    }
    let (rp_secs, rp_rss) = timed(Command::new("python3").arg(&rustpy).arg(&db_file).arg(dir.path().join("rustpy.xlsx")))?;
    let rp_size = std::fs::metadata(dir.path().join("rustpy.xlsx"))?.len();
    println!(
        "python rustpy-xlsxwriter  rows={rows}  time={rp_secs:.2}s  peak_rss={rp_rss:.1}MiB  file={:.1}MiB",
        rp_size as f64 / 1048576.0
    );
    println!("ratio: verifund is {:.2}x the speed of rustpy-xlsxwriter (target ≥ 1.5)", rp_secs / rust_secs);
    Ok(())
}

/// Latency percentiles in milliseconds.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Open-loop load: requests are sent on a fixed schedule whatever the server does, and each
/// latency is measured from its scheduled time, so a slow server cannot hide its queueing.
async fn open_loop(client: &reqwest::Client, url: &str, token: &str, rate: u32, secs: u64) -> (Vec<f64>, usize) {
    let total = rate as u64 * secs;
    let interval = std::time::Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let mut handles = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due).await;
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        handles.push(tokio::spawn(async move {
            let ok = client.get(&url).bearer_auth(&token).send().await.map(|r| r.status().is_success()).unwrap_or(false);
            (due.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut lat = Vec::with_capacity(handles.len());
    let mut errors = 0;
    for h in handles {
        if let Ok((ms, ok)) = h.await {
            lat.push(ms);
            if !ok {
                errors += 1;
            }
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    (lat, errors)
}

/// Serves the app on a free local port; answers its base URL.
pub async fn serve(db: &DatabaseConnection, config: verifund::config::Config) -> anyhow::Result<String> {
    let state = verifund::app::AppState::new(db.clone(), config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = verifund::app::build_router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    Ok(base)
}

pub async fn bench_http(requests: u64, rate: u32, secs: u64, approvals: u64, database_url: Option<String>) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let dir = tempfile::tempdir()?;
    let mut config = verifund::config::Config::new(dir.path().to_path_buf());
    // An empty PostgreSQL database (or schema) can be named; the default is a scratch SQLite file.
    config.database_url = database_url;
    let backend = if config.database_url.as_deref().is_some_and(|u| u.starts_with("postgres")) { "PostgreSQL" } else { "SQLite" };
    config.background_jobs = false;
    config.login.max_failures_per_ip = u32::MAX;
    let db = verifund::db::connect_and_migrate(&config).await?;
    verifund::demo::seed(&db, 0).await?;
    let requester = verifund::store::users::find_by_username(&db, "zhangsan").await?.ok_or_else(|| anyhow::anyhow!("no demo user"))?;
    let manager = verifund::store::users::find_by_username(&db, "lisi").await?.ok_or_else(|| anyhow::anyhow!("no demo manager"))?;
    let dept = requester.department_id.unwrap_or_default();
    let t = Instant::now();
    seed_requests(&db, requests + approvals, requester.id, dept).await?;
    // The last `approvals` rows wait on the manager, for the transition benchmark.
    let first_pending = request::Entity::find()
        .filter(request::Column::RequesterId.eq(requester.id))
        .count(&db)
        .await
        .map(|n| (n - approvals) as i32 + 1)?;
    request::Entity::update_many()
        .col_expr(request::Column::Status, Expr::value(Status::PendingManager.as_str()))
        .col_expr(request::Column::ManagerApproverId, Expr::value(manager.id))
        .col_expr(request::Column::ManagerApprovedBy, Expr::value(Option::<i32>::None))
        .col_expr(request::Column::PayBy, Expr::value(verifund::clock::china_date(Utc::now()) + Duration::days(10)))
        .filter(request::Column::Id.gte(first_pending))
        .exec(&db)
        .await?;
    // A bulk load leaves the planner without statistics (and PostgreSQL without a visibility map
    // for index-only counts); a running system has them from autovacuum / ANALYZE.
    {
        use sea_orm::ConnectionTrait;
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE requests").await?,
            _ => db.execute_unprepared("ANALYZE").await?,
        };
    }
    eprintln!("seeded {} requests in {:.1}s", requests + approvals, t.elapsed().as_secs_f64());

    let base = serve(&db, config).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let login = |u: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let v: serde_json::Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"username": u, "password": verifund::demo::DEMO_PASSWORD}))
                .send()
                .await?
                .json()
                .await?;
            Ok::<_, anyhow::Error>(v["access_token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let finance = login("wangwu").await?;
    let lisi = login("lisi").await?;

    // Warm up both paths, then measure the floor and the list at the same rate.
    let list_url = format!("{base}/api/v1/requests?status=paid&per_page=20");
    let health_url = format!("{base}/healthz");
    open_loop(&client, &list_url, &finance, rate, 1).await;
    let (health, health_err) = open_loop(&client, &health_url, &finance, rate, secs).await;
    let (list, list_err) = open_loop(&client, &list_url, &finance, rate, secs).await;
    println!(
        "GET /healthz (floor)          rate={rate}/s n={} p50={:.2}ms p99={:.2}ms errors={health_err}",
        health.len(),
        percentile(&health, 0.5),
        percentile(&health, 0.99)
    );
    println!(
        "GET /api/v1/requests (list)   rate={rate}/s n={} p50={:.2}ms p99={:.2}ms errors={list_err}  over {requests} requests",
        list.len(),
        percentile(&list, 0.5),
        percentile(&list, 0.99)
    );
    println!("list p99 / floor p99 = {:.2}", percentile(&list, 0.99) / percentile(&health, 0.99));

    // Approvals: 16 at a time, each a full audited, conditional transition.
    let ids: Vec<i32> = (first_pending..first_pending + approvals as i32).collect();
    let t = Instant::now();
    let mut ok = 0u64;
    for chunk in ids.chunks(16) {
        let calls = chunk
            .iter()
            .map(|id| client.post(format!("{base}/api/v1/requests/{id}/approve")).bearer_auth(&lisi).json(&serde_json::json!({})).send());
        for r in futures_util::future::join_all(calls).await {
            if r.map(|r| r.status().is_success()).unwrap_or(false) {
                ok += 1;
            }
        }
    }
    let secs_taken = t.elapsed().as_secs_f64();
    println!("POST approve: {ok}/{approvals} in {secs_taken:.2}s = {:.0} transitions/s ({backend}, audited)", ok as f64 / secs_taken);
    Ok(())
}
