//! Single sign-on rules that need no I/O: why a sign-in failed (the reason code the login
//! page shows), which roles a provider's claim grants, and the username a new user gets.
use crate::domain::roles::{Role, RoleSet};
use serde_json::Value;

/// Why a single sign-on ended on the login page; `as_str` is the `sso_error` the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFailure {
    /// The state is unknown, expired or already used (a forged or replayed callback).
    State,
    /// The provider answered with an error (e.g. the user declined).
    Provider,
    /// The provider could not be reached or its discovery document is unusable.
    Unavailable,
    /// The provider refused to exchange the code.
    Exchange,
    /// The ID token is missing, badly signed, expired, or for another sign-in (nonce).
    Token,
    /// The ID token names another issuer.
    Issuer,
    /// The ID token is for another client.
    Audience,
    /// The verifund account is disabled.
    Disabled,
    /// The provider's account cannot be matched to a verifund account.
    Account,
    /// Too many failed sign-ins from this address.
    Throttled,
    /// Single sign-on is not configured on this server.
    NotConfigured,
}

impl SsoFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoFailure::State => "state",
            SsoFailure::Provider => "provider",
            SsoFailure::Unavailable => "unavailable",
            SsoFailure::Exchange => "exchange",
            SsoFailure::Token => "token",
            SsoFailure::Issuer => "issuer",
            SsoFailure::Audience => "audience",
            SsoFailure::Disabled => "disabled",
            SsoFailure::Account => "account",
            SsoFailure::Throttled => "throttled",
            SsoFailure::NotConfigured => "not_configured",
        }
    }
}

/// The roles a provider's roles claim grants: the values that are verifund role ids (unknown
/// values ignored). A list of strings (or of objects with a `name`, as Casdoor writes roles)
/// or one string of values separated by spaces or commas. `None` when the claim is absent or
/// names no verifund role: the user keeps their roles.
pub fn roles_from_claim(claim: Option<&Value>) -> Option<RoleSet> {
    let values: Vec<&str> = match claim? {
        Value::Array(items) => items.iter().filter_map(|v| v.as_str().or_else(|| v.get("name").and_then(Value::as_str))).collect(),
        Value::String(s) => s.split([' ', ',']).collect(),
        _ => return None,
    };
    let set: RoleSet = values.into_iter().filter_map(Role::parse).collect();
    (set != RoleSet::default()).then_some(set)
}

/// The value at a claim path: `roles`, or `realm_access.roles` for a claim nested in an
/// object (as Keycloak puts realm roles).
pub fn claim_at<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, key| v.get(key))
}

/// The username a new user from the provider gets: `preferred_username`, else the local part
/// of the e-mail, keeping only the characters a username may hold; `None` when nothing usable
/// is left (the caller then derives one from the subject).
pub fn username_from_claims(preferred_username: Option<&str>, email: Option<&str>) -> Option<String> {
    let candidates = [preferred_username, email.and_then(|e| e.split('@').next())];
    candidates.into_iter().flatten().find_map(|raw| {
        let cleaned: String = raw.trim().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).take(64).collect();
        (cleaned.len() >= 2).then_some(cleaned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_claim_grants_only_verifund_roles() {
        let cases: Vec<(Option<Value>, Option<Vec<Role>>)> = vec![
            (None, None),
            (Some(json!(["manager", "finance"])), Some(vec![Role::Manager, Role::Finance])),
            (Some(json!(["manager", "offline_access", "uma_authorization"])), Some(vec![Role::Manager])),
            (Some(json!(["offline_access"])), None),
            (Some(json!([])), None),
            (Some(json!("admin auditor")), Some(vec![Role::Admin, Role::Auditor])),
            (Some(json!("requester,manager")), Some(vec![Role::Requester, Role::Manager])),
            (Some(json!(42)), None),
            (Some(json!([1, "finance"])), Some(vec![Role::Finance])),
            (Some(json!([{"owner": "built-in", "name": "manager"}, {"name": "ops"}])), Some(vec![Role::Manager])),
        ];
        for (claim, want) in cases {
            let got = roles_from_claim(claim.as_ref());
            assert_eq!(got, want.map(|w| w.into_iter().collect::<RoleSet>()), "{claim:?}");
        }
    }

    #[test]
    fn a_claim_path_may_name_a_nested_claim() {
        let claims = json!({"roles": ["a"], "realm_access": {"roles": ["manager"]}, "x.y": 1});
        assert_eq!(claim_at(&claims, "roles"), Some(&json!(["a"])));
        assert_eq!(claim_at(&claims, "realm_access.roles"), Some(&json!(["manager"])));
        assert_eq!(claim_at(&claims, "x.y"), Some(&json!(1)));
        assert_eq!(claim_at(&claims, "realm_access.groups"), None);
        assert_eq!(claim_at(&claims, "missing"), None);
    }

    #[test]
    fn new_usernames_come_from_the_claims() {
        let cases = [
            (Some("zhang.san"), None, Some("zhang.san")),
            (Some("Zhang San"), None, Some("ZhangSan")),
            (Some("张三"), Some("zs@example.com"), Some("zs")),
            (None, Some("li-si@example.com"), Some("li-si")),
            (Some("张"), Some("王@example.com"), None),
            (None, None, None),
        ];
        for (preferred, email, want) in cases {
            assert_eq!(username_from_claims(preferred, email).as_deref(), want, "{preferred:?} {email:?}");
        }
    }
}
