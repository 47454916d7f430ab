//! `AuthUser`: the signed-in caller, checked against the database on every request so
//! that disabling a user or logging out takes effect at once.
use crate::app::AppState;
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::Actor;
use crate::error::{ApiError, Msg};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sea_orm::{ConnectionTrait, FromQueryResult};

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub roles: RoleSet,
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
    /// The China calendar day of this request (the application clock): delegations and
    /// deadlines are judged against it.
    pub today: chrono::NaiveDate,
    /// The data versions (`store::cache::Versions`) read with the user, before anything else
    /// of the request: lists use them to know whether what they hold is current. `None` for a
    /// caller made up by the server itself (the demo, a batch acting as someone).
    pub data_version: Option<crate::store::cache::Versions>,
}

fn unauthorized(zh: &'static str, en: &'static str) -> ApiError {
    ApiError::Unauthorized(Msg::new(zh, en))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthorized("缺少 Authorization 请求头，请先登录", "missing Authorization header; log in first"))?;
        let value = header.to_str().map_err(|_| unauthorized("Authorization 请求头无效", "invalid Authorization header"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(unauthorized("Authorization 须为 Bearer 令牌", "Authorization must be a Bearer token")),
        };
        let claims = state
            .jwt
            .verify(token, state.clock.now().timestamp())
            .ok_or_else(|| unauthorized("令牌无效或已过期，请重新登录", "invalid or expired token; log in again"))?;
        let id: i32 = claims.sub.parse().map_err(|_| unauthorized("令牌无效", "invalid token"))?;
        // The user and the data version in one statement: one round trip for both.
        let backend = state.db.get_database_backend();
        let row = state
            .db
            .query_one_raw(crate::db::stmt(
                backend,
                "SELECT users.*, h.last_seq AS data_version, h.shared_seq AS shared_version \
                 FROM users LEFT JOIN audit_head h ON h.id = 1 WHERE users.id = $1",
                vec![id.into()],
            ))
            .await?
            .ok_or_else(|| unauthorized("令牌无效", "invalid token"))?;
        let user = entity::user::Model::from_query_result(&row, "")?;
        let data_version = match (row.try_get::<Option<i64>>("", "data_version")?, row.try_get::<Option<i64>>("", "shared_version")?) {
            (Some(all), Some(shared)) => Some(crate::store::cache::Versions { all, shared }),
            _ => None,
        };
        if user.disabled {
            return Err(unauthorized("账户已停用", "this account is disabled"));
        }
        if user.token_version != claims.ver {
            return Err(unauthorized("令牌已失效（已退出登录或密码已更改），请重新登录", "token revoked; log in again"));
        }
        Ok(AuthUser {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            roles: RoleSet::from_db(&user.roles),
            department_id: user.department_id,
            manager_id: user.manager_id,
            today: crate::clock::china_date(state.clock.now()),
            data_version,
        })
    }
}

impl AuthUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        self.require_any(&[role])
    }

    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.roles.has(*r)) {
            return Ok(());
        }
        let names = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" / ");
        Err(ApiError::Forbidden(Msg::new(format!("此操作需要角色：{names}"), format!("this needs the role: {names}"))))
    }

    pub fn actor(&self) -> Actor {
        Actor::User { id: self.id, roles: self.roles }
    }
}

/// An authenticated admin. As an extractor it runs before the body is read, so a caller
/// without the role gets 403 whatever they sent, never a validation error that would tell
/// them about the endpoint's shape.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require(Role::Admin)?;
        Ok(Admin(user))
    }
}
