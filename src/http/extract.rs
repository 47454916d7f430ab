//! Extractors whose rejections are problem documents naming the field at fault, in place of
//! axum's plain-text rejections.
use crate::error::{ApiError, FieldError, Msg};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// A JSON body, deserialized with the path of the offending field on error.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(Msg::new(
                "请求体须为 JSON（Content-Type: application/json）",
                "the body must be JSON (Content-Type: application/json)",
            )));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(Msg::new("请求体超过大小限制", "the request body exceeds the size limit"))
            } else {
                ApiError::BadRequest(Msg::new("无法读取请求体", "could not read the request body"))
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize::<_, T>(&mut de);
    if parsed.is_ok()
        && let Err(inner) = de.end()
    {
        return Err(ApiError::BadRequest(Msg::new(
            format!("JSON 之后还有多余内容：第 {} 行第 {} 列", inner.line(), inner.column()),
            format!("trailing characters after the JSON value at line {} column {}", inner.line(), inner.column()),
        )));
    }
    match parsed {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            // serde_json reports a wrong token for an enum (`{"kind": 3}`) as a syntax error;
            // when the document itself is well-formed JSON it is the field's value that is wrong.
            let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
            if (inner.is_syntax() || inner.is_eof()) && !well_formed {
                return Err(ApiError::BadRequest(Msg::new(
                    format!("JSON 格式错误：第 {} 行第 {} 列", inner.line(), inner.column()),
                    format!("malformed JSON at line {} column {}", inner.line(), inner.column()),
                )));
            }
            let message = if inner.is_syntax() { "invalid type for this field".to_owned() } else { inner.to_string() };
            Err(ApiError::Validation(vec![field_error_from_serde(&path, &message)]))
        }
    }
}

/// Turns a serde message into a field error in our own words: "unknown field `x`" and
/// "missing field `x`" name the field inside the message, everything else at the path where
/// it failed. Parser internals (serde's, chrono's, the integer parser's) are never shown.
fn field_error_from_serde(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    let quoted = message.split('`').nth(1).map(str::to_owned);
    let parent = if path == "." { String::new() } else { format!("{path}.") };
    if let (true, Some(name)) = (message.starts_with("unknown field"), &quoted) {
        // The path already ends at the unknown key.
        let field = if path.ends_with(name.as_str()) { path.to_owned() } else { format!("{parent}{name}") };
        return FieldError::new(field, format!("不允许的字段：{name}"), format!("unknown field {name}"));
    }
    if let (true, Some(name)) = (message.starts_with("missing field"), &quoted) {
        return FieldError::new(format!("{parent}{name}"), "必填字段缺失", "this field is required");
    }
    let field = if path == "." { "body".to_owned() } else { path.to_owned() };
    let (zh, en) = describe_value_error(&message);
    FieldError::new(field, zh, en)
}

/// What a value that failed to parse should have been, from the parser's message.
fn describe_value_error(message: &str) -> (String, String) {
    let m = message.to_ascii_lowercase();
    if m.starts_with("unknown variant") {
        // "unknown variant `x`, expected one of `a`, `b`": the allowed values are our vocabulary.
        let allowed: Vec<&str> = message.split("expected").nth(1).unwrap_or("").split('`').skip(1).step_by(2).collect();
        if !allowed.is_empty() {
            let list = allowed.join(", ");
            return (format!("取值无效，可选：{list}"), format!("not an allowed value; use one of {list}"));
        }
        return ("取值无效".into(), "not an allowed value".into());
    }
    let is = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if is(&["invalid digit", "number too large", "number too small", "parse integer", "invalid type: string", "expected u", "expected i"])
        && !m.contains("date")
    {
        return ("须为范围内的整数".into(), "must be a whole number in range".into());
    }
    if is(&[
        "premature end of input",
        "input contains invalid characters",
        "input is out of range",
        "trailing input",
        "no possible date",
        "not enough",
        "bad or unsupported format",
    ]) {
        return ("须为有效日期，格式 YYYY-MM-DD".into(), "must be a valid date (YYYY-MM-DD)".into());
    }
    if is(&["true", "false", "boolean"]) {
        return ("须为 true 或 false".into(), "must be true or false".into());
    }
    if is(&["invalid float", "floating"]) {
        return ("须为数字".into(), "must be a number".into());
    }
    if is(&["invalid type: null"]) {
        return ("不能为 null".into(), "must not be null".into());
    }
    if is(&["invalid type: map", "invalid type: sequence", "expected a sequence", "expected a map", "expected struct"]) {
        return ("类型不正确".into(), "has the wrong type".into());
    }
    if is(&["invalid type", "invalid value", "invalid length"]) {
        return ("类型或取值不正确".into(), "has the wrong type or value".into());
    }
    ("取值无效".into(), "not a valid value".into())
}

/// Query-string parameters, with the offending parameter named on error.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize::<_, T>(de).map(Query).map_err(|err| {
            let path = err.path().to_string();
            let e = field_error_from_serde(&path, &err.into_inner().to_string());
            ApiError::Validation(vec![e])
        })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// Path parameters; a non-numeric id is a 400 naming the parameter, not a plain-text 400.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                // The names of the route's parameters, in order, to name one given by position.
                let names: Vec<String> = match axum::extract::RawPathParams::from_request_parts(parts, state).await {
                    Ok(raw) => raw.iter().map(|(k, _)| k.to_owned()).collect(),
                    Err(_) => Vec::new(),
                };
                let (field, expected) = match e.into_kind() {
                    ErrorKind::ParseErrorAtKey { key, expected_type, .. } => (Some(key), Some(expected_type)),
                    ErrorKind::ParseErrorAtIndex { index, expected_type, .. } => (names.get(index).cloned(), Some(expected_type)),
                    ErrorKind::ParseError { expected_type, .. } => (names.first().cloned(), Some(expected_type)),
                    ErrorKind::InvalidUtf8InPathParam { key } | ErrorKind::DeserializeError { key, .. } => (Some(key), None),
                    _ => (None, None),
                };
                let field = field.unwrap_or_else(|| "path".to_owned());
                let whole_number =
                    expected.is_some_and(|t| ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize"].contains(&t));
                Err(if whole_number {
                    ApiError::BadRequest(Msg::new(
                        format!("路径参数 {field} 须为整数"),
                        format!("the path parameter {field} must be a whole number"),
                    ))
                } else {
                    ApiError::BadRequest(Msg::new(
                        format!("路径参数 {field} 的取值无效"),
                        format!("the path parameter {field} is not valid"),
                    ))
                })
            }
            Err(_) => Err(ApiError::BadRequest(Msg::new("路径无效", "invalid path"))),
        }
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Distinguishes an absent field (no change) from an explicit `null` (clear it).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_messages_become_our_own_words() {
        let cases = [
            ("invalid digit found in string", "must be a whole number in range"),
            ("number too large to fit in target type", "must be a whole number in range"),
            ("premature end of input", "must be a valid date (YYYY-MM-DD)"),
            ("input contains invalid characters", "must be a valid date (YYYY-MM-DD)"),
            ("provided string was not `true` or `false`", "must be true or false"),
            ("unknown variant `nope`, expected one of `draft`, `paid`", "not an allowed value; use one of draft, paid"),
            ("something else entirely", "not a valid value"),
        ];
        for (message, want) in cases {
            let e = field_error_from_serde("days", message);
            assert_eq!((e.field.as_str(), e.message.en.as_ref()), ("days", want), "{message}");
        }
        let e = field_error_from_serde(".", "unknown field `x`, expected `a`");
        assert_eq!((e.field.as_str(), e.message.en.as_ref()), ("x", "unknown field x"));
    }
}
