//! Authentication: password hashing, JWTs, the `AuthUser` extractor, login throttling.
pub mod extractor;
pub mod jwt;
pub mod limiter;
pub mod oidc;
pub mod password;

pub use extractor::{Admin, AuthUser};
