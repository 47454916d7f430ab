//! Argon2id password hashing with the OWASP-recommended parameters (19 MiB, t=2, p=1).
//! Hashing takes tens of milliseconds of CPU, so it always runs on the blocking pool.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::LazyLock;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verified against when the username does not exist, so that an unknown user costs the
/// same time as a wrong password and the answer reveals nothing.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("verifund-dummy-password").unwrap_or_default());

pub async fn hash(password: String) -> Result<String, crate::error::ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(crate::error::ApiError::internal)?
        .map_err(crate::error::ApiError::internal)
}

/// `None` hash means "no such user": the dummy hash is checked and the answer is false. So
/// is a stored value that is no hash at all (an imported user's unusable password), so that
/// the answer's timing does not tell such an account apart.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) if h.starts_with('$') => verify_password(&password, &h),
        _ => {
            verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Password policy: long enough to matter, short enough that hashing cannot be abused.
pub fn check_policy(password: &str) -> Result<(), crate::error::FieldError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(crate::error::FieldError::new("password", "密码至少 8 个字符", "password must have at least 8 characters"));
    }
    if password.len() > 256 {
        return Err(crate::error::FieldError::new("password", "密码过长（最多 256 字节）", "password is too long (at most 256 bytes)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
