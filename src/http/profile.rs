//! The caller's own settings: e-mail, phone, e-mail notifications and language.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::ids::{Email, MobilePhone};
use crate::domain::mail::Language;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::store::users::{self, ProfileChanges, UserView};
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_me))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// `false`: notifications stay in the inbox (and the group robot), no e-mail.
    pub email_notifications: Option<bool>,
    /// The language of e-mails (`zh` by default).
    pub language: Option<Language>,
    /// Mainland mobile number; `null` or `""` removes it.
    #[serde(default, deserialize_with = "super::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// `null` or `""` removes it.
    #[serde(default, deserialize_with = "super::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

/// Change one's own e-mail, phone, e-mail notifications or language.
#[utoipa::path(patch, path = "/me", tag = "auth", security(("bearer" = [])), request_body = UpdateMe,
    responses((status = 200, body = UserView), (status = 401, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn update_me(State(state): State<AppState>, me: AuthUser, Json(body): Json<UpdateMe>) -> ApiResult<Json<UserView>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let blank = |v: Option<Option<String>>| v.map(|v| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
    let email = blank(body.email);
    if let Some(Some(e)) = &email
        && Email::parse(e).is_err()
    {
        errors.push(FieldError::new("email", "邮箱格式不正确", "invalid e-mail address"));
    }
    let phone = match blank(body.phone) {
        Some(Some(p)) => match MobilePhone::parse(&p) {
            Ok(p) => Some(Some(p.as_str().to_owned())),
            Err(_) => {
                errors.push(FieldError::new(
                    "phone",
                    "手机号须为 11 位中国大陆手机号",
                    "phone must be an 11-digit mainland China mobile number",
                ));
                None
            }
        },
        other => other,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let changes = ProfileChanges { email, phone, email_notifications: body.email_notifications, language: body.language };
    Ok(Json(users::update_profile(state.ctx(), &me, changes).await?.into()))
}
