//! Access tokens: HS256 only, with issuer, audience, expiry and a per-user token version
//! that logout, disabling and password changes bump to revoke every outstanding token.
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const ISSUER: &str = "verifund";
pub const AUDIENCE: &str = "verifund-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: String,
    /// The user's token version when the token was issued.
    pub ver: i32,
    pub jti: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

/// Clock skew tolerated between instances.
const LEEWAY_SECS: u64 = 5;

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> JwtKeys {
        // The allow-list is exactly HS256: `none`, RS*/ES* and anything else are refused
        // before the signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "aud", "sub"]);
        // Time is checked in `verify` against the application clock (injectable in tests),
        // not against the system clock the library would use.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        JwtKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, ttl }
    }

    pub fn issue(&self, user_id: i32, token_version: i32, now_unix: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            exp: now_unix + self.ttl.as_secs() as i64,
            iat: now_unix,
            nbf: now_unix,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            ver: token_version,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Checks signature, algorithm, issuer, audience, expiry and not-before. A token claiming
    /// to be issued in the future is refused too.
    pub fn verify(&self, token: &str, now_unix: i64) -> Option<Claims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let c = data.claims;
        let leeway = LEEWAY_SECS as i64;
        if now_unix > c.exp + leeway || c.nbf > now_unix + leeway || c.iat > now_unix + leeway {
            return None;
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_own_key_only() {
        let now = chrono::Utc::now().timestamp();
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let token = keys.issue(7, 3, now).unwrap();
        let claims = keys.verify(&token, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("7", 3));
        let other = JwtKeys::new(b"another secret another secret!!", Duration::from_secs(60));
        assert!(other.verify(&token, now).is_none());
    }
}
