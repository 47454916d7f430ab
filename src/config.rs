//! Runtime configuration: one struct, filled from CLI flags and environment variables.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// From `VERIFUND_JWT_SECRET`; otherwise generated once and kept in the database.
    pub jwt_secret: Option<String>,
    pub token_ttl: Duration,
    /// The payout must be recorded by someone other than the finance sign-off.
    pub four_eyes: bool,
    pub login: LoginLimits,
    /// Largest JSON body accepted.
    pub body_limit: usize,
    /// Largest attachment accepted.
    pub upload_limit: usize,
    pub request_timeout: Duration,
    /// A client that has not sent a complete request head by then is disconnected.
    pub header_read_timeout: Duration,
    /// WeCom/DingTalk robot URL for reminders; `None` keeps them in-app only.
    pub webhook_url: Option<String>,
    /// The robot's signing secret (DingTalk "加签"), when it has one.
    pub webhook_secret: Option<String>,
    /// Run the daily jobs and the outbox worker inside the server.
    pub background_jobs: bool,
    /// 64 hex digits encrypting personal data at rest; generated into the data directory when unset.
    pub pii_key: Option<String>,
    /// `VERIFUND_FILES_DIR`: stored files in this (shared) directory; unset: in the database
    /// on PostgreSQL, in `DATA_DIR/attachments` on SQLite (see `files::FileStore`).
    pub files_dir: Option<PathBuf>,
    /// `VERIFUND_METRICS_TOKEN`: `/metrics` answers only to this bearer token; unset: 404.
    pub metrics_token: Option<String>,
    /// `VERIFUND_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` names the client
    /// (login throttling per address); empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `smtp://`, `smtp+starttls://` or `smtps://` with credentials in the URL; e-mail is off when unset.
    pub smtp_url: Option<String>,
    /// The From of e-mails (`verifund <noreply@example.com>`).
    pub mail_from: Option<String>,
    /// Single sign-on and whether passwords still work (DESIGN §2.5).
    pub sso: SsoConfig,
}

#[derive(Debug, Clone)]
pub struct SsoConfig {
    /// OpenID Connect sign-in; `None` when issuer, client id and secret are not all set.
    pub oidc: Option<OidcConfig>,
    /// The address browsers use, without a trailing slash (redirect URI, links).
    pub public_url: String,
    /// `false`: only the break-glass admin may sign in with a password.
    pub password_login: bool,
    /// The one username that may still use a password when password login is off.
    pub break_glass_admin: Option<String>,
}

impl SsoConfig {
    /// Whether `username` may sign in with a password under this configuration.
    pub fn password_allowed_for(&self, username: &str) -> bool {
        self.password_login || self.break_glass_admin.as_deref().is_some_and(|admin| admin == username.trim())
    }
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL, exactly as the provider's discovery document names it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The ID-token claim whose values that are verifund role ids become the user's roles.
    pub roles_claim: String,
    /// The provider's name on the login button.
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed attempts on one username before it is locked.
    pub max_failures_per_account: u32,
    pub account_lockout: Duration,
    /// Failed attempts from one address within `ip_window` before it is throttled.
    pub max_failures_per_ip: u32,
    pub ip_window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            max_failures_per_account: 5,
            account_lockout: Duration::from_secs(15 * 60),
            max_failures_per_ip: 30,
            ip_window: Duration::from_secs(15 * 60),
        }
    }
}

impl Config {
    /// Defaults for everything but where the data lives.
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            database_url: None,
            data_dir,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            token_ttl: Duration::from_secs(8 * 3600),
            four_eyes: true,
            login: LoginLimits::default(),
            body_limit: 1024 * 1024,
            upload_limit: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            header_read_timeout: crate::server::HEADER_READ_TIMEOUT,
            webhook_url: None,
            webhook_secret: None,
            background_jobs: true,
            pii_key: None,
            files_dir: None,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            smtp_url: None,
            mail_from: None,
            sso: SsoConfig { oidc: None, public_url: "http://127.0.0.1:8080".to_owned(), password_login: true, break_glass_admin: None },
        }
    }

    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("verifund.db").display()),
        }
    }

    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }
}
