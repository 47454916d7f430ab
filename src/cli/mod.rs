//! The `verifund` command line (DESIGN §4): the arguments and the dispatch; each command
//! group lives in its own file.
mod bench;
mod bench_http;
mod bench_statement;
mod export;
mod serve;
mod sso;
mod users;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use users::parse_roles;
use verifund::config::Config;
use verifund::store::users::{NewUser, Operator};

#[derive(Debug, Parser)]
#[command(name = "verifund", version, about = "日升集团应(预)付款审批 — WeChat mini-program verification payments")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database URL (sqlite://… or postgres://…); default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Where the SQLite file and attachments live.
    #[arg(long, env = "VERIFUND_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "VERIFUND_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,
    /// Require the payout to be recorded by someone other than the finance sign-off.
    #[arg(long, env = "VERIFUND_FOUR_EYES", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub four_eyes: bool,
    /// Largest attachment, in MiB.
    #[arg(long, env = "VERIFUND_UPLOAD_LIMIT_MB", default_value_t = 10, global = true)]
    pub upload_limit_mb: usize,
    /// WeCom/DingTalk robot webhook for reminders (in-app only when unset).
    #[arg(long, env = "VERIFUND_WEBHOOK_URL", global = true)]
    pub webhook_url: Option<String>,
    /// The robot's signing secret (DingTalk 加签).
    #[arg(long, env = "VERIFUND_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    pub webhook_secret: Option<String>,
    /// Access-token lifetime, in minutes.
    #[arg(long, env = "VERIFUND_TOKEN_TTL_MINUTES", default_value_t = 480, global = true)]
    pub token_ttl_minutes: u64,
    #[command(flatten)]
    pub sso: sso::SsoArgs,
}

impl GlobalArgs {
    pub fn config(&self) -> Config {
        let mut c = Config::new(self.data_dir.clone());
        c.database_url = self.database_url.clone().filter(|u| !u.trim().is_empty());
        c.bind = self.bind;
        c.four_eyes = self.four_eyes;
        c.upload_limit = self.upload_limit_mb.max(1) * 1024 * 1024;
        c.token_ttl = Duration::from_secs(self.token_ttl_minutes.max(1) * 60);
        c.webhook_url = self.webhook_url.clone().filter(|u| !u.trim().is_empty());
        c.webhook_secret = self.webhook_secret.clone().filter(|s| !s.is_empty());
        // Read here and nowhere else; never printed.
        c.jwt_secret = std::env::var("VERIFUND_JWT_SECRET").ok().filter(|s| !s.is_empty());
        c.pii_key = std::env::var("VERIFUND_PII_KEY").ok().filter(|s| !s.is_empty());
        c.files_dir = std::env::var_os("VERIFUND_FILES_DIR").filter(|s| !s.is_empty()).map(PathBuf::from);
        c.metrics_token = std::env::var("VERIFUND_METRICS_TOKEN").ok().filter(|s| !s.trim().is_empty());
        c.trusted_proxies =
            std::env::var("VERIFUND_TRUSTED_PROXIES").unwrap_or_default().split(',').filter_map(|a| a.trim().parse().ok()).collect();
        // The SMTP URL may carry a password: read here, never printed.
        c.smtp_url = std::env::var("VERIFUND_SMTP_URL").ok().filter(|s| !s.trim().is_empty());
        c.mail_from = std::env::var("VERIFUND_MAIL_FROM").ok().filter(|s| !s.trim().is_empty());
        c.sso = self.sso.config(self.bind);
        c
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage users (`users` works too).
    #[command(alias = "users")]
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Demo data for trying the product.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Excel workbooks (the same as the API's downloads).
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Benchmarks against a named peer, measured in the same run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The key encrypting personal data (`VERIFUND_PII_KEY`).
    Pii {
        #[command(subcommand)]
        command: PiiCommand,
    },
    /// Write a consistent snapshot of the database and the stored files while the server runs.
    Backup {
        /// The backup file to write (a zip: one JSON-lines file per table, the files, a manifest).
        #[arg(long)]
        out: PathBuf,
    },
    /// Load a backup into an empty database (SQLite or PostgreSQL, whatever DATABASE_URL names).
    Restore { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum PiiCommand {
    /// Re-encrypt every encrypted field and the key check value with a new key, in one
    /// transaction; then start every instance with the new key.
    Rotate {
        /// A file holding the new key: 64 hex digits.
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Comma-separated: requester, manager, finance, admin, auditor.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        /// Department name; created when it does not exist.
        #[arg(long)]
        department: Option<String>,
        /// The manager's username.
        #[arg(long)]
        manager: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Password (or env VERIFUND_PASSWORD); when absent a random one is printed once.
        #[arg(long, env = "VERIFUND_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Import the organisation from an xlsx or csv org chart (用户名, 姓名, 部门, 上级, 角色,
    /// 邮箱, 手机, 状态); a preview unless --commit. Exits 1 when the file has errors.
    Import {
        file: PathBuf,
        /// Write the changes (otherwise only show what would change).
        #[arg(long)]
        commit: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Create a small demo organisation with known passwords and a few months of requests in
    /// every state (once; running it again adds nothing).
    Seed {
        /// Instead of the history, add this many requests over the last two years, in every
        /// state, with their audit trail (the performance seed; works on a database with data).
        #[arg(long)]
        requests: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Replace one year from a JSON file ({"year", "holidays", "workdays"}) or a CSV file
    /// (`date,type` rows, type holiday|workday or 休|班).
    Import {
        file: PathBuf,
        /// The year, when the CSV cannot tell (defaults to the year of its dates).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Print one year's holidays and make-up workdays.
    Show { year: i32 },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// 台账: every request in the filter.
    Ledger(ExportArgs),
    /// 对账表: paid refundable requests, refunds and what is outstanding.
    Reconciliation(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the .xlsx file.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub flag: Option<String>,
    /// order_date from (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// order_date to (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    #[arg(long)]
    pub department_id: Option<i32>,
    /// Text search over number, title, payer and payee.
    #[arg(long)]
    pub q: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed N requests into a scratch SQLite database and time the ledger export against
    /// Python XlsxWriter (constant_memory) on the same rows.
    Export {
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// Keep the seeded database in this directory instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Seed N requests (`demo seed --requests`), start the server as its own process and
    /// drive every list shape with `hey` (apt-get install hey) at a fixed rate, next to the
    /// /healthz floor measured in the same run; prints p50/p99/rate and the ratio per shape.
    Http {
        #[arg(long, default_value_t = 100_000)]
        requests: u64,
        /// Requests per second per shape.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        /// Seconds per shape.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// hey workers sharing the rate. Each paces itself with its own ticker and they start
        /// together, so requests leave in bursts of this many; 10 at 1,000 req/s is a burst of
        /// 10 every 10 ms (hey's default of 50 is a burst of 50 every 50 ms).
        #[arg(long, default_value_t = 10)]
        workers: u32,
        /// Drafts created per second in the background while each shape is measured.
        #[arg(long, default_value_t = 0)]
        writes: u32,
        /// Keep (and reuse on the next run) the seeded database in this directory.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// The quick in-process variant instead: one list shape driven from inside the
        /// server process, and approval transitions per second.
        #[arg(long)]
        in_process: bool,
        /// With --in-process: approvals to time.
        #[arg(long, default_value_t = 2000)]
        approvals: u64,
    },
    /// A statement of N lines in CCB's export layout (1,000 of them refunds to match),
    /// previewed and committed over HTTP against the targets (preview < 5 s, commit < 20 s).
    Statement {
        #[arg(long, default_value_t = 50_000)]
        lines: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run the daily jobs now: expiry, overdue reminders, approval reminders.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and report the first broken link.
    Verify,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.global.config();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(config).await,
        Command::Migrate => {
            verifund::db::connect_and_migrate(&config).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command: UserCommand::Import { file, commit } } => users::import(&config, &file, commit).await,
        Command::User { command: UserCommand::Add { username, display_name, role, department, manager, email, password } } => {
            serve::init_tracing();
            let db = verifund::db::connect_and_migrate(&config).await?;
            let roles = parse_roles(&role)?;
            let department_id = match department {
                Some(name) => Some(verifund::store::users::ensure_department(&db, &name).await?),
                None => None,
            };
            let manager_id = match manager {
                Some(m) => Some(verifund::store::users::find_by_username(&db, &m).await?.with_context(|| format!("no user named {m}"))?.id),
                None => None,
            };
            let (password, generated) = match password.filter(|p| !p.is_empty()) {
                Some(p) => (p, false),
                None => (verifund::db::random_token(9), true),
            };
            let user = verifund::store::users::create(
                &db,
                NewUser {
                    username,
                    display_name,
                    email,
                    password: password.clone(),
                    roles,
                    department_id,
                    manager_id,
                    must_change_password: generated,
                },
                &Operator::cli(),
                chrono::Utc::now(),
            )
            .await
            .map_err(describe)?;
            println!("created user {} (id {}) with roles {}", user.username, user.id, user.roles);
            if generated {
                println!("one-time password: {password}  (change it after the first login)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { command: DemoCommand::Seed { requests } } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            verifund::demo::seed(&db, requests.unwrap_or(0)).await?;
            if requests.is_none() {
                match verifund::demo::seed_history(&db, &config, chrono::Utc::now()).await? {
                    Some(s) => verifund::demo::print_guide(&s),
                    None => println!("the demo history is there already; nothing added"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command: CalendarCommand::Import { file, year } } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let is_json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
                || text.trim_start_matches('\u{feff}').trim_start().starts_with('{');
            let parsed = if is_json {
                verifund::domain::calendar::YearCalendar::from_json(&text)
            } else {
                verifund::domain::calendar::YearCalendar::from_csv(year, &text)
            };
            let y = parsed.map_err(|e| anyhow::anyhow!("{}", e.en()))?;
            if year.is_some_and(|want| want != y.year) {
                bail!("the file holds {}, not {}", y.year, year.unwrap_or_default());
            }
            let ctx = verifund::store::apply::Ctx { db: &db, config: &config, now: chrono::Utc::now() };
            let changed = verifund::store::calendar::replace_year(ctx, &y, None).await.map_err(describe)?;
            println!(
                "imported {}: {} holidays, {} make-up workdays; refund deadlines recomputed for {} request(s)",
                y.year,
                y.holidays.len(),
                y.workdays.len(),
                changed.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command: CalendarCommand::Show { year } } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            let Some(m) = verifund::store::calendar::get(&db, year).await? else {
                println!("no calendar for {year}: working days are computed as Monday–Friday only");
                return Ok(ExitCode::from(2));
            };
            let y = verifund::store::calendar::to_year(&m);
            println!("{year} ({}, updated {})", m.source, m.updated_at.format("%Y-%m-%d"));
            println!("holidays ({}):", y.holidays.len());
            for d in &y.holidays {
                println!("  {d} {}", d.format("%a"));
            }
            println!("make-up workdays ({}):", y.workdays.len());
            for d in &y.workdays {
                println!("  {d} {}", d.format("%a"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs { command: JobsCommand::Run } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            let report = verifund::jobs::run_daily(&db, &config, chrono::Utc::now()).await?;
            println!("daily jobs: {} expired, {} reminders created", report.expired, report.reminders);
            let senders = verifund::outbox::Senders::from_config(&config)?;
            if senders.webhook.is_some() || senders.mail.is_some() {
                let r = verifund::outbox::deliver_due(&db, &senders, chrono::Utc::now()).await?;
                println!("outbox: {} delivered, {} failed (will retry)", r.delivered, r.failed);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { command } => {
            let (kind, args) = match command {
                ExportCommand::Ledger(a) => (verifund::export::ExportKind::Ledger, a),
                ExportCommand::Reconciliation(a) => (verifund::export::ExportKind::Reconciliation, a),
            };
            let db = verifund::db::connect_and_migrate(&config).await?;
            let rows = export::export_to_file(&db, kind, &args).await?;
            println!("wrote {rows} request(s) to {}", args.out.display());
            if std::env::var_os("VERIFUND_REPORT_PEAK_RSS").is_some() {
                // For `bench export`: this process's own peak resident set.
                let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
                if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                    eprintln!("{line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { command: BenchCommand::Export { rows, keep } } => {
            bench::bench_export(rows, keep.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { command: BenchCommand::Http { requests, rate, seconds, workers, writes, keep, in_process, approvals } } => {
            if in_process {
                bench::bench_http(requests, rate, seconds, approvals, config.database_url.clone()).await?;
            } else {
                bench_http::bench_http_external(requests, rate, seconds, workers, writes, keep, config.database_url.clone()).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { command: BenchCommand::Statement { lines } } => {
            bench_statement::bench_statement(lines, config.database_url.clone()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pii { command: PiiCommand::Rotate { new_key_file } } => rotate_pii(&config, &new_key_file).await,
        Command::Backup { out } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            let m = verifund::backup::backup(&db, &config, &out).await?;
            println!("wrote {}: {} rows in {} tables, {} files, schema {}", out.display(), m.rows(), m.tables.len(), m.files, m.migration);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let m = verifund::backup::restore(&config, &file).await?;
            println!(
                "restored {}: {} rows in {} tables, {} files, schema {}",
                file.display(),
                m.rows(),
                m.tables.len(),
                m.files,
                m.migration
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = verifund::db::connect_and_migrate(&config).await?;
            let report = verifund::store::audit::verify_chain(&db).await?;
            match report.first_broken {
                None => {
                    println!("audit chain OK: {} events verified", report.events);
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    println!("audit chain BROKEN at event #{seq}: {why}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

async fn rotate_pii(config: &Config, new_key_file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let db = verifund::db::connect_checked(config).await?;
    let old = verifund::pii::checked_key(&db, config.pii_key.as_deref(), &config.data_dir).await?;
    let text = std::fs::read_to_string(new_key_file).with_context(|| format!("cannot read {}", new_key_file.display()))?;
    let new = verifund::pii::parse_key(&text).with_context(|| new_key_file.display().to_string())?;
    if new == old {
        bail!("the new key is the key in use; nothing to do");
    }
    let done = verifund::pii::rotate(&db, old, new).await?;
    println!("re-encrypted {} mini-program record(s) and {} request(s) with the new key", done.mini_programs, done.requests);
    if config.pii_key.is_none() {
        // The key came from the data directory: replace it there, atomically.
        let path = verifund::pii::key_file(&config.data_dir);
        let tmp = path.with_extension("key.new");
        let _ = std::fs::remove_file(&tmp);
        verifund::pii::write_private(&tmp, &hex::encode(new))?;
        std::fs::rename(&tmp, &path)?;
        println!("{} now holds the new key", path.display());
    } else {
        println!("now set VERIFUND_PII_KEY to the new key on every instance and restart them; the old key is refused from now on");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn describe(e: verifund::error::ApiError) -> anyhow::Error {
    match e {
        verifund::error::ApiError::Validation(errors) => {
            anyhow::anyhow!("{}", errors.iter().map(|e| format!("{}: {}", e.field, e.message.en)).collect::<Vec<_>>().join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}
