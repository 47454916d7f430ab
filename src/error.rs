//! One error type for the HTTP layer, rendered as `application/problem+json` (RFC 9457)
//! in Chinese or English (DESIGN §2). Every failure a client can cause maps to a 4xx here.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use serde::Serialize;
use std::borrow::Cow;

/// A message in both languages; the response picks one per `Accept-Language`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Msg {
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Msg {
        Msg { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Chinese unless the client prefers English over Chinese.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(value) = value else { return Lang::Zh };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("zh") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Zh)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError { field: field.into(), message: Msg::new(zh, en) }
    }
}

/// The `code` of a 409 answer: what conflicted, so a client can react by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictCode {
    /// The request changed since the version the caller saw.
    VersionConflict,
    /// The request's status does not offer this action.
    StateConflict,
    /// A recall after the next step acted.
    NextStepActed,
    /// Nobody is left to decide a step.
    NoApprover,
    /// `resolve` of a paid request whose refund is neither short nor overdue.
    NothingToResolve,
    /// A request with the same `Idempotency-Key` is still being processed.
    IdempotencyInFlight,
    DelegationOverlap,
    UsernameTaken,
    EmailTaken,
    NameTaken,
    CreditCodeTaken,
    /// An admin would lock themselves out.
    SelfLockout,
}

impl ConflictCode {
    pub const ALL: [ConflictCode; 12] = [
        ConflictCode::VersionConflict,
        ConflictCode::NothingToResolve,
        ConflictCode::StateConflict,
        ConflictCode::NextStepActed,
        ConflictCode::NoApprover,
        ConflictCode::IdempotencyInFlight,
        ConflictCode::DelegationOverlap,
        ConflictCode::UsernameTaken,
        ConflictCode::EmailTaken,
        ConflictCode::NameTaken,
        ConflictCode::CreditCodeTaken,
        ConflictCode::SelfLockout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::VersionConflict => "version_conflict",
            ConflictCode::StateConflict => "state_conflict",
            ConflictCode::NextStepActed => "next_step_acted",
            ConflictCode::NoApprover => "no_approver",
            ConflictCode::NothingToResolve => "nothing_to_resolve",
            ConflictCode::IdempotencyInFlight => "idempotency_in_flight",
            ConflictCode::DelegationOverlap => "delegation_overlap",
            ConflictCode::UsernameTaken => "username_taken",
            ConflictCode::EmailTaken => "email_taken",
            ConflictCode::NameTaken => "name_taken",
            ConflictCode::CreditCodeTaken => "credit_code_taken",
            ConflictCode::SelfLockout => "self_lockout",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {}", .0.en)]
    BadRequest(Msg),
    #[error("unauthorized: {}", .0.en)]
    Unauthorized(Msg),
    #[error("forbidden: {}", .0.en)]
    Forbidden(Msg),
    #[error("not found: {}", .0.en)]
    NotFound(Msg),
    /// State or version conflict; `current` describes what the caller should reload.
    #[error("conflict: {}", .msg.en)]
    Conflict { code: ConflictCode, msg: Msg, current: Option<serde_json::Value> },
    /// A bank statement whose layout is neither recognised nor mapped: the header row found,
    /// so a form can ask which column is which.
    #[error("unknown statement format")]
    UnknownFormat { header_row: u32, header: Vec<String> },
    #[error("payload too large")]
    PayloadTooLarge(Msg),
    #[error("unsupported media type")]
    UnsupportedMediaType(Msg),
    #[error("account locked")]
    Locked { retry_after_secs: u64 },
    #[error("rate limited")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: &str, zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, zh, en)])
    }

    pub fn forbidden() -> ApiError {
        ApiError::Forbidden(Msg::new("您没有执行此操作的权限", "you are not allowed to do this"))
    }

    pub fn not_found(what_zh: &str, what_en: &str) -> ApiError {
        ApiError::NotFound(Msg::new(format!("{what_zh}不存在"), format!("{what_en} not found")))
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, Msg, Msg) {
        use ApiError::*;
        let title = |zh: &'static str, en: &'static str| Msg::new(zh, en);
        match self {
            Validation(errors) => {
                let detail = match errors.as_slice() {
                    [one] => Msg::new(format!("{}：{}", one.field, one.message.zh), format!("{}: {}", one.field, one.message.en)),
                    _ => Msg::new(format!("{} 个字段有误", errors.len()), format!("{} fields are invalid", errors.len())),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", title("输入有误", "Invalid input"), detail)
            }
            BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", title("请求有误", "Bad request"), m.clone()),
            Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", title("未登录或登录已失效", "Unauthorized"), m.clone()),
            Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", title("无权操作", "Forbidden"), m.clone()),
            NotFound(m) => (StatusCode::NOT_FOUND, "not_found", title("未找到", "Not found"), m.clone()),
            Conflict { code, msg, .. } => (StatusCode::CONFLICT, code.as_str(), title("冲突", "Conflict"), msg.clone()),
            UnknownFormat { header_row, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_format",
                title("无法识别的对账单格式", "Unknown statement format"),
                Msg::new(
                    format!("无法识别这份对账单的银行格式（表头在第 {header_row} 行），请指定各列的含义"),
                    format!("the statement's layout is not one of a known bank (header on row {header_row}); map its columns"),
                ),
            ),
            PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", title("内容过大", "Payload too large"), m.clone()),
            UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                title("不支持的内容类型", "Unsupported media type"),
                m.clone(),
            ),
            Locked { retry_after_secs } => (
                StatusCode::LOCKED,
                "account_locked",
                title("账户已暂时锁定", "Account temporarily locked"),
                Msg::new(
                    format!("登录失败次数过多，请 {} 分钟后再试", retry_after_secs.div_ceil(60)),
                    format!("too many failed logins; try again in {} minute(s)", retry_after_secs.div_ceil(60)),
                ),
            ),
            TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                title("请求过于频繁", "Too many requests"),
                Msg::new(
                    format!("请求过于频繁，请 {retry_after_secs} 秒后再试"),
                    format!("too many attempts; try again in {retry_after_secs} second(s)"),
                ),
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                title("服务暂不可用", "Service unavailable"),
                Msg::new("数据库暂不可用，请稍后再试", "the database is unavailable; try again later"),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                title("服务器内部错误", "Internal server error"),
                Msg::new("服务器内部错误，已记录日志", "internal error; it has been logged"),
            ),
        }
    }

    /// The status and problem document this error would answer with on its own, for an
    /// answer that carries several (a batch's per-item results).
    pub fn problem_body(&self, lang: Lang) -> (StatusCode, ProblemBody) {
        self.log();
        let problem = self.problem();
        (problem.status, problem.body(lang))
    }

    fn log(&self) {
        match self {
            ApiError::Internal(e) => tracing::error!(error = %e, "internal error"),
            ApiError::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            _ => {}
        }
    }

    fn problem(&self) -> Problem {
        let (status, code, title, detail) = self.parts();
        let (errors, current) = match self {
            ApiError::Validation(errors) => (errors.clone(), None),
            ApiError::Conflict { current, .. } => (Vec::new(), current.clone()),
            _ => (Vec::new(), None),
        };
        let retry_after = match self {
            ApiError::Locked { retry_after_secs } | ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let header = match self {
            ApiError::UnknownFormat { header_row, header } => Some((*header_row, header.clone())),
            _ => None,
        };
        Problem { status, code, title, detail, errors, current, retry_after, header }
    }
}

/// Everything needed to render a problem document in either language. It travels in the
/// response extensions so that the language middleware can re-render it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: Msg,
    pub detail: Msg,
    pub errors: Vec<FieldError>,
    pub current: Option<serde_json::Value>,
    pub retry_after: Option<u64>,
    /// `unknown_format`: the header row found and its cells.
    pub header: Option<(u32, Vec<String>)>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// What went wrong, by type: `validation_failed`, `bad_request`, `unauthorized`,
    /// `forbidden`, `not_found`, `payload_too_large`, `account_locked`, `rate_limited`,
    /// `unavailable`, …; on 409 always a `ConflictCode`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
    /// `unknown_format` only: the 1-based row taken for the header, and its cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn from_status(status: StatusCode) -> Problem {
        let (code, title, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", Msg::new("未找到", "Not found"), Msg::new("请求的资源不存在", "no such resource")),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                Msg::new("方法不允许", "Method not allowed"),
                Msg::new("此路径不支持该 HTTP 方法", "this path does not support that HTTP method"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                Msg::new("内容过大", "Payload too large"),
                Msg::new("请求体超过大小限制", "the request body exceeds the size limit"),
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "timeout",
                Msg::new("请求超时", "Request timeout"),
                Msg::new("请求处理超时，请重试", "the request took too long; try again"),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                Msg::new("不支持的内容类型", "Unsupported media type"),
                Msg::new("请使用 Content-Type: application/json", "use Content-Type: application/json"),
            ),
            s if s.is_server_error() => (
                "internal",
                Msg::new("服务器内部错误", "Internal server error"),
                Msg::new("服务器内部错误，已记录日志", "internal error; it has been logged"),
            ),
            _ => ("bad_request", Msg::new("请求有误", "Bad request"), Msg::new("请求有误", "bad request")),
        };
        Problem { status, code, title, detail, errors: Vec::new(), current: None, retry_after: None, header: None }
    }

    pub fn body(&self, lang: Lang) -> ProblemBody {
        ProblemBody {
            type_: format!("urn:verifund:problem:{}", self.code),
            title: self.title.get(lang).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.get(lang).to_owned(),
            code: self.code.to_owned(),
            errors: self
                .errors
                .iter()
                .map(|e| FieldErrorBody { field: e.field.clone(), message: e.message.get(lang).to_owned() })
                .collect(),
            current: self.current.clone(),
            header_row: self.header.as_ref().map(|h| h.0),
            header: self.header.as_ref().map(|h| h.1.clone()),
        }
    }

    pub fn into_response_in(self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.body(lang)).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.extensions_mut().insert(self);
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        self.problem().into_response_in(Lang::Zh)
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        if db_unavailable(&e) { ApiError::Unavailable(e.to_string()) } else { ApiError::Internal(e.to_string()) }
    }
}

/// Whether an error means the database is out of reach (down, restarting, the network gone)
/// rather than that a statement failed: those answer 503 and the pool reconnects later.
pub fn db_unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(r) | DbErr::Exec(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else { return false };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Protocol(_) | Sqlx::Tls(_) => true,
        // admin_shutdown, crash_shutdown, cannot_connect_now: the server is stopping or starting.
        Sqlx::Database(d) => d.code().is_some_and(|c| matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")),
        _ => false,
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
