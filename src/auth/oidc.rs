//! The OpenID Connect relying party (DESIGN §2.5): discovery (lazily, retried on the next
//! sign-in when the provider was unreachable, refreshed now and then so rotated signing keys
//! are picked up), the authorization request with PKCE, state and nonce, and the code
//! exchange with the ID token checked against the provider's JWKS, issuer, audience, expiry
//! and nonce.
use crate::config::OidcConfig;
use crate::domain::sso::SsoFailure;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long a discovery document (and the JWKS fetched with it) is trusted before it is read again.
const METADATA_TTL: Duration = Duration::from_secs(15 * 60);
/// Every call to the provider gives up after this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct OidcProvider {
    config: OidcConfig,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovered: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

/// A sign-in about to be sent to the provider: where to send the browser and what to keep.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in, from a verified ID token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The configured roles claim, as the token carries it.
    pub roles_claim: Option<serde_json::Value>,
}

impl OidcProvider {
    pub fn new(config: OidcConfig, public_url: &str) -> anyhow::Result<OidcProvider> {
        let redirect = RedirectUrl::new(format!("{public_url}/api/v1/auth/oidc/callback"))
            .map_err(|e| anyhow::anyhow!("VERIFUND_PUBLIC_URL is not a URL: {e}"))?;
        IssuerUrl::new(config.issuer.clone()).map_err(|e| anyhow::anyhow!("VERIFUND_OIDC_ISSUER is not a URL: {e}"))?;
        // Never follow redirects: the provider's endpoints answer directly (SSRF hardening).
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(HTTP_TIMEOUT).build()?;
        Ok(OidcProvider { config, redirect, http, discovered: Mutex::new(None) })
    }

    /// The provider's name on the login button.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn roles_claim(&self) -> &str {
        &self.config.roles_claim
    }

    /// The discovery document, read now when missing or stale. An unreachable provider is an
    /// error for this sign-in only; the next one tries again.
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoFailure> {
        let mut cached = self.discovered.lock().await;
        if let Some((m, at)) = cached.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|_| SsoFailure::Unavailable)?;
        match CoreProviderMetadata::discover_async(issuer, &self.http).await {
            Ok(m) => {
                *cached = Some((m.clone(), Instant::now()));
                Ok(m)
            }
            Err(e) => {
                tracing::warn!(issuer = %self.config.issuer, error = %e, "OpenID Connect discovery failed");
                // A stale document still beats none while the provider is briefly away.
                cached.as_ref().map(|(m, _)| m.clone()).ok_or(SsoFailure::Unavailable)
            }
        }
    }

    /// Reads the discovery document once at startup, so a misconfiguration shows in the log.
    pub async fn warm_up(&self) {
        if self.metadata().await.is_ok() {
            tracing::info!(issuer = %self.config.issuer, "OpenID Connect provider discovered");
        }
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        use openidconnect::core::CoreClientAuthMethod;
        // HTTP Basic unless the provider only takes the secret in the form (client_secret_post).
        let methods = metadata.token_endpoint_auth_methods_supported().cloned().unwrap_or_default();
        let in_body = !methods.is_empty()
            && !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
            && methods.contains(&CoreClientAuthMethod::ClientSecretPost);
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(if in_body { openidconnect::AuthType::RequestBody } else { openidconnect::AuthType::BasicAuth })
    }

    /// A new authorization request: code flow with PKCE (S256), a random state and nonce.
    pub async fn authorize(&self) -> Result<Authorization, SsoFailure> {
        let client = self.client(self.metadata().await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the provider's code and verifies the ID token it answers.
    pub async fn finish(&self, code: &str, pkce_verifier: &str, nonce: &str) -> Result<Identity, SsoFailure> {
        let client = self.client(self.metadata().await?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| SsoFailure::Unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "OpenID Connect code exchange failed");
                SsoFailure::Exchange
            })?;
        let id_token = response.id_token().ok_or(SsoFailure::Token)?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned())).map_err(|e| {
            tracing::warn!(error = %e, "OpenID Connect ID token refused");
            match e {
                ClaimsVerificationError::InvalidIssuer(_) => SsoFailure::Issuer,
                ClaimsVerificationError::InvalidAudience(_) => SsoFailure::Audience,
                _ => SsoFailure::Token,
            }
        })?;
        // The token is verified; its payload also carries the roles claim, which is not a
        // standard claim, so it is read from the payload itself.
        let roles_claim = payload(&id_token.to_string()).and_then(|p| crate::domain::sso::claim_at(&p, &self.config.roles_claim).cloned());
        Ok(Identity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
            email: claims.email().map(|e| e.as_str().to_owned()),
            roles_claim,
        })
    }
}

/// The claims of a compact JWS, unverified (only read after `claims()` has verified it).
fn payload(jws: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let part = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}
