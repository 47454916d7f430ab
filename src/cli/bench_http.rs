//! `verifund bench http`: the list shapes a finance user and a manager use, measured the way
//! a client sees them. The release server runs as its own process (`verifund serve`) on a
//! database seeded with `demo seed --requests N`; an external load generator (`hey`, the
//! Debian package) sends each shape at a fixed rate, and `/healthz` in the same run is the
//! floor. With `--writes`, drafts are created at that rate in the background meanwhile.
use super::bench_statement::spawn_server;
use std::process::Command;

/// One line of the table.
struct Measured {
    p50_ms: f64,
    p99_ms: f64,
    rate: f64,
    /// Responses other than 2xx, and transport errors.
    errors: u64,
}

/// Runs `hey` and reads its summary.
fn hey(url: &str, token: Option<&str>, rate: u32, workers: u32, secs: u64, post: Option<&str>) -> anyhow::Result<Measured> {
    // hey paces each worker (-q per worker): `workers` workers at rate/workers each. A worker
    // waiting on a slow response skips its ticks, which shows as a rate below the target.
    let workers = workers.clamp(1, rate.max(1));
    let per_worker = (f64::from(rate) / f64::from(workers)).max(1.0);
    let mut cmd = Command::new("hey");
    cmd.args(["-z", &format!("{secs}s"), "-c", &workers.to_string(), "-q", &format!("{per_worker}"), "-t", "10"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    if let Some(body) = post {
        cmd.args(["-m", "POST", "-T", "application/json", "-d", body]);
    }
    cmd.arg(url);
    let out = cmd.output().map_err(|e| anyhow::anyhow!("cannot run hey ({e}); install it: apt-get install -y hey"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let secs_of = |line: &str| line.split_whitespace().nth(2).and_then(|s| s.parse::<f64>().ok()).map(|s| s * 1000.0);
    let mut m = Measured { p50_ms: f64::NAN, p99_ms: f64::NAN, rate: 0.0, errors: 0 };
    let mut in_errors = false;
    for line in text.lines() {
        let l = line.trim();
        if let Some(r) = l.strip_prefix("Requests/sec:") {
            m.rate = r.trim().parse().unwrap_or(0.0);
        } else if l.starts_with("50% in") {
            m.p50_ms = secs_of(l).unwrap_or(f64::NAN);
        } else if l.starts_with("99% in") {
            m.p99_ms = secs_of(l).unwrap_or(f64::NAN);
        } else if l.starts_with("Slowest:") && m.p99_ms.is_nan() {
            // hey leaves out a percentile it has too few samples for: the slowest bounds it.
            m.p99_ms = l.split_whitespace().nth(1).and_then(|s| s.parse::<f64>().ok()).map_or(f64::NAN, |s| s * 1000.0);
        } else if let Some(rest) = l.strip_prefix('[') {
            let (code, n) = rest.split_once(']').unwrap_or(("", ""));
            let n: u64 = n.split_whitespace().next().and_then(|x| x.parse().ok()).unwrap_or(0);
            if in_errors || !code.starts_with('2') {
                m.errors += n;
            }
        } else if l.starts_with("Error distribution") {
            in_errors = true;
        }
    }
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
pub async fn bench_http_external(
    requests: u64,
    rate: u32,
    secs: u64,
    workers: u32,
    writes: u32,
    keep: Option<std::path::PathBuf>,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};
    let scratch = tempfile::tempdir()?;
    let dir = keep.unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let mut config = verifund::config::Config::new(dir.clone());
    config.database_url = database_url.clone();
    let backend = if database_url.as_deref().is_some_and(|u| u.starts_with("postgres")) { "PostgreSQL" } else { "SQLite" };
    let db = verifund::db::connect_and_migrate(&config).await?;
    verifund::demo::seed(&db, 0).await?;
    let have = entity::request::Entity::find().count(&db).await?;
    if have < requests {
        let t = std::time::Instant::now();
        eprintln!("seeding {} requests ({backend}) …", requests - have);
        verifund::demo::seed_requests(&db, requests - have, chrono::Utc::now(), true).await?;
        eprintln!("seeded in {:.1}s", t.elapsed().as_secs_f64());
        // A running system has statistics (autovacuum / ANALYZE); a bulk load does not yet.
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE").await?,
            _ => db.execute_unprepared("ANALYZE").await?,
        };
    }
    let total = entity::request::Entity::find().count(&db).await?;
    // A real number from the middle of the history, as a user would paste it.
    let number = entity::request::Entity::find()
        .order_by_asc(entity::request::Column::Id)
        .paginate(&db, 1)
        .fetch_page(total / 2)
        .await?
        .into_iter()
        .find_map(|r| r.number)
        .unwrap_or_else(|| "0007".into());
    // Today's daily jobs (expiry, reminders) run once per day at the first start; after a bulk
    // seed they write a reminder for every overdue refund (100,000 on a million requests,
    // minutes of load). A running system did that at midnight: they run here, and are timed,
    // before anything is measured.
    let now = chrono::Utc::now();
    if verifund::jobs::claim_daily(&db, verifund::clock::china_date(now), now).await? {
        let t = std::time::Instant::now();
        let report = verifund::jobs::run_daily(&db, &config, now).await?;
        verifund::jobs::record_success(&db, now).await?;
        eprintln!("daily jobs: {} expired, {} reminders in {:.1}s", report.expired, report.reminders, t.elapsed().as_secs_f64());
    }
    drop(db);

    let server = spawn_server(&dir, database_url.as_deref()).await?;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let login = async |u: &str| -> anyhow::Result<String> {
        let v: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": u, "password": verifund::demo::DEMO_PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        Ok(v["access_token"].as_str().unwrap_or_default().to_owned())
    };
    let (finance, manager, requester) = (login("wangwu").await?, login("lisi").await?, login("zhangsan").await?);
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let list = |query: &str| format!("{base}/api/v1/requests?per_page=20{query}");
    let shapes: Vec<(String, String, &str)> = vec![
        ("list (finance, no filter)".into(), list(""), &finance),
        ("status=paid".into(), list("&status=paid"), &finance),
        ("flag=refund_overdue".into(), list("&flag=refund_overdue"), &finance),
        (format!("q={number} (number)"), list(&format!("&q={}", enc(&number))), &finance),
        ("q=0007".into(), list("&q=0007"), &finance),
        ("q=星火传媒 (payee)".into(), list(&format!("&q={}", enc("星火传媒"))), &finance),
        ("q=腾讯 (2 chars)".into(), list(&format!("&q={}", enc("腾讯"))), &finance),
        // Two characters in no seeded request: every request is read unless an index says so.
        ("q=浦发 (2 chars, rare)".into(), list(&format!("&q={}", enc("浦发"))), &finance),
        ("sort=-amount_fen".into(), list("&sort=-amount_fen"), &finance),
        ("sort=order_date".into(), list("&sort=order_date"), &finance),
        ("sort=-updated_at".into(), list("&sort=-updated_at"), &finance),
        ("page=2500 (deep)".into(), list("&page=2500"), &finance),
        ("/tasks (manager lisi)".into(), format!("{base}/api/v1/tasks"), &manager),
        ("/tasks (finance wangwu)".into(), format!("{base}/api/v1/tasks"), &finance),
    ];
    // Warm every path once (caches, prepared statements).
    for (_, url, token) in &shapes {
        let _ = client.get(url).bearer_auth(token).send().await?.bytes().await?;
    }
    let writer = (writes > 0).then(|| {
        let body = serde_json::json!({
            "kind": "advance_payment", "title": "压测写入：推广服务预付款", "amount_fen": 123_456,
            "payer_entity": "日升科技（深圳）有限公司", "payer_credit_code": verifund::demo::demo_credit_code(),
            "payer_bank": "招商银行深圳分行", "payer_account": "755912345610801",
            "payee_name": "深圳市星火传媒有限公司", "payee_bank": "中国银行深圳南山支行", "payee_account": "745768891234",
            "transfer_remark": "123456", "order_date": verifund::clock::china_date(chrono::Utc::now()).to_string(),
            "purpose": "压测：后台每秒写入的草稿",
        })
        .to_string();
        (format!("{base}/api/v1/requests"), body)
    });
    println!(
        "verifund bench http — {backend}, {total} requests, {rate} req/s for {secs}s per shape, load generator: hey (separate process, {workers} workers){}",
        if writes > 0 { format!(", {writes} writes/s in the background") } else { String::new() }
    );
    // One shape at the rate for `secs`, with the drafts written in the background meanwhile.
    let under_writes = |url: &str, token: &str, secs: u64| -> anyhow::Result<(Measured, Option<Measured>)> {
        let bg = writer.as_ref().map(|(url, body)| {
            let (url, body, token) = (url.clone(), body.clone(), requester.clone());
            std::thread::spawn(move || hey(&url, Some(&token), writes, 1, secs, Some(&body)))
        });
        let m = hey(url, Some(token), rate, workers, secs, None)?;
        let w = match bg {
            Some(h) => Some(h.join().map_err(|_| anyhow::anyhow!("the writer thread panicked"))??),
            None => None,
        };
        Ok((m, w))
    };
    // A server that has been up a while has its pool's connections open and their caches
    // filled (on PostgreSQL each new connection loads the catalogue and prepares every
    // statement once): the first seconds of load, with writes, are not measured.
    under_writes(&shapes[0].1, shapes[0].2, 3)?;
    let health = format!("{base}/healthz");
    let floor_before = hey(&health, None, rate, workers, secs, None)?;
    let mut rows = Vec::new();
    for (name, url, token) in &shapes {
        let (m, w) = under_writes(url, token, secs)?;
        rows.push((name.clone(), m, w));
    }
    let floor_after = hey(&health, None, rate, workers, secs, None)?;
    let floor = floor_before.p99_ms.max(floor_after.p99_ms);
    println!(
        "{:<28} {:>9} {:>9} {:>8} {:>6} {:>10} {:>7}{}",
        "shape",
        "p50 ms",
        "p99 ms",
        "rate/s",
        "errors",
        "floor p99",
        "ratio",
        if writes > 0 { "   writes p99 ms (rate/s)" } else { "" }
    );
    let line = |name: &str, m: &Measured, w: Option<&Measured>| {
        println!(
            "{:<28} {:>9.2} {:>9.2} {:>8.0} {:>6} {:>10.2} {:>7.2}{}",
            name,
            m.p50_ms,
            m.p99_ms,
            m.rate,
            m.errors,
            floor,
            m.p99_ms / floor,
            w.map(|w| format!("   {:.2} ({:.0}, errors {})", w.p99_ms, w.rate, w.errors)).unwrap_or_default()
        );
    };
    line("/healthz (floor, before)", &floor_before, None);
    for (name, m, w) in &rows {
        line(name, m, w.as_ref());
    }
    line("/healthz (floor, after)", &floor_after, None);
    println!("floor p99 = the larger of the two /healthz runs; ratio = shape p99 / floor p99");
    drop(server);
    Ok(())
}
