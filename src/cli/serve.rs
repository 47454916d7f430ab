//! `verifund serve`: the server, the first-run administrator, graceful shutdown.
use super::describe;
use anyhow::Context;
use std::process::ExitCode;
use verifund::app::{AppState, build_router};
use verifund::config::Config;
use verifund::domain::roles::Role;
use verifund::store::users::{NewUser, Operator};

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VERIFUND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    if json_logs() {
        // One JSON object per line, for a log shipper.
        let _ = tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).try_init();
    } else {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
}

/// `VERIFUND_LOG_FORMAT=json`.
pub fn json_logs() -> bool {
    std::env::var("VERIFUND_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"))
}

/// A line for the operator: printed as is, or as a log event when the logs are JSON (so
/// that every line of output parses).
fn say(line: &str) {
    if json_logs() {
        tracing::info!("{line}");
    } else {
        println!("{line}");
    }
}

pub async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    init_tracing();
    let db = verifund::db::connect_checked(&config).await.context("cannot start")?;
    // Before the first administrator is written: the PII key must be right.
    let key = verifund::pii::checked_key(&db, config.pii_key.as_deref(), &config.data_dir).await?;
    verifund::pii::record_check_value(&db, &key).await?;
    if verifund::store::users::count(&db).await? == 0 {
        let password = verifund::db::random_token(9);
        verifund::store::users::create(
            &db,
            NewUser {
                username: "admin".into(),
                display_name: "管理员".into(),
                email: None,
                password: password.clone(),
                roles: [Role::Admin, Role::Requester].into_iter().collect(),
                department_id: None,
                manager_id: None,
                must_change_password: true,
            },
            &Operator::cli(),
            chrono::Utc::now(),
        )
        .await
        .map_err(describe)?;
        say("================================================================");
        say(" First run: created the administrator account.");
        say("   username: admin");
        say(&format!("   password: {password}   (shown once; change it after login)"));
        say(" Or try the product with demo users:  cargo run --release -- demo seed");
        say(&format!("   (or, with the built binary: {} demo seed)", std::env::args().next().unwrap_or_else(|| "verifund".into())));
        say("================================================================");
    }
    // A mistyped SMTP URL or sender stops the start, rather than mail silently never leaving.
    verifund::outbox::Senders::from_config(&config)?;
    let bind = config.bind;
    let background = config.background_jobs;
    let header_read_timeout = config.header_read_timeout;
    let state = AppState::new(db, config).await?;
    if let Some(provider) = state.oidc.clone() {
        // In the background: an unreachable provider must not keep the server from starting.
        tokio::spawn(async move { provider.warm_up().await });
    }
    if background {
        verifund::jobs::spawn_scheduler(state.clone());
        verifund::outbox::spawn_worker(state.clone());
    }
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    say(&format!("verifund is running at http://{addr}/  (API docs: http://{addr}/api/docs)"));
    verifund::server::serve(listener, build_router(state), header_read_timeout, shutdown_signal()).await?;
    say("verifund stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
