//! Single sign-on settings on the command line and in the environment (DESIGN §2.5).
use clap::Args;
use verifund::config::{OidcConfig, SsoConfig};

#[derive(Debug, Args)]
pub struct SsoArgs {
    /// OpenID Connect issuer URL (e.g. https://sso.example.com/realms/staff); with the client
    /// id and secret, turns on "sign in with company account".
    #[arg(long, env = "VERIFUND_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,
    /// The client id registered for verifund at the provider.
    #[arg(long, env = "VERIFUND_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,
    /// The client secret.
    #[arg(long, env = "VERIFUND_OIDC_CLIENT_SECRET", hide_env_values = true, global = true)]
    pub oidc_client_secret: Option<String>,
    /// The ID-token claim listing verifund role ids (a dotted path such as `realm_access.roles` reaches a nested claim).
    #[arg(long, env = "VERIFUND_OIDC_ROLES_CLAIM", default_value = "roles", global = true)]
    pub oidc_roles_claim: String,
    /// The provider's name on the login page.
    #[arg(long, env = "VERIFUND_OIDC_NAME", global = true)]
    pub oidc_name: Option<String>,
    /// The address browsers use (default: http://{bind}); the redirect URI is
    /// {PUBLIC_URL}/api/v1/auth/oidc/callback.
    #[arg(long, env = "VERIFUND_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Allow signing in with a password (false: only the break-glass admin may).
    #[arg(long, env = "VERIFUND_PASSWORD_LOGIN", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub password_login: bool,
    /// The username that may still sign in with a password when password login is off.
    #[arg(long, env = "VERIFUND_BREAK_GLASS_ADMIN", global = true)]
    pub break_glass_admin: Option<String>,
}

fn set(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl SsoArgs {
    pub fn config(&self, bind: std::net::SocketAddr) -> SsoConfig {
        let oidc = match (set(&self.oidc_issuer), set(&self.oidc_client_id), self.oidc_client_secret.clone().filter(|s| !s.is_empty())) {
            (Some(issuer), Some(client_id), Some(client_secret)) => Some(OidcConfig {
                issuer,
                client_id,
                client_secret,
                roles_claim: set(&Some(self.oidc_roles_claim.clone())).unwrap_or_else(|| "roles".to_owned()),
                name: set(&self.oidc_name).unwrap_or_else(|| "企业账号".to_owned()),
            }),
            _ => None,
        };
        SsoConfig {
            oidc,
            public_url: set(&self.public_url).unwrap_or_else(|| format!("http://{bind}")).trim_end_matches('/').to_owned(),
            password_login: self.password_login,
            break_glass_admin: set(&self.break_glass_admin),
        }
    }
}
