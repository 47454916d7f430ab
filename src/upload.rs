//! Files sent by clients and handed back to them, shared by request attachments, bank
//! statements and registry materials: reading a multipart body within the size limit,
//! recognising the content by its bytes, bounding what a zip archive (xlsx) inflates to, and
//! serving a stored file safely.
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Msg};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The transport cap for multipart bodies; the configured (smaller) limit is enforced while reading.
pub const TRANSPORT_CAP: usize = 64 * 1024 * 1024;

pub use verifund_parsers::archive::{
    ArchiveProblem, MAX_ENTRIES, MAX_INFLATED, MAX_RATIO, MIN_INFLATED_ALLOWANCE, check_archive, inflate_limit,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The kinds of file accepted, recognised by their first bytes.
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static [&'static str])> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", &["pdf"]))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", &["png"]))
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(("image/jpeg", &["jpg", "jpeg"]))
    } else if bytes.starts_with(b"PK\x03\x04") && contains(bytes, b"[Content_Types].xml") && contains(bytes, b"xl/") {
        Some((XLSX, &["xlsx"]))
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `check_archive` for an uploaded xlsx, as the 422 naming `file` a client sees.
pub fn check_xlsx(bytes: &[u8]) -> ApiResult<()> {
    check_archive(bytes, inflate_limit(bytes.len())).map_err(|p| match p {
        ArchiveProblem::Unreadable => ApiError::field("file", "文件不是有效的 xlsx", "the file is not a valid xlsx"),
        ArchiveProblem::TooManyParts => ApiError::field("file", "xlsx 内部文件过多", "the xlsx holds too many parts"),
        ArchiveProblem::TooLargeUnpacked => {
            ApiError::field("file", "xlsx 解压后过大（疑似压缩炸弹），已拒绝", "the xlsx is too large when unpacked (a zip bomb?); refused")
        }
    })
}

/// The client's file name reduced to a safe display name: no directories, no control,
/// direction or zero-width characters, at most 120 characters. It is only ever shown,
/// never used as a path.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let visible = crate::domain::text::file_name(base);
    let cleaned: String = visible
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(120)
        .collect();
    if cleaned.is_empty() { "file".to_owned() } else { cleaned }
}

/// A checked upload: the content is one of the accepted kinds and matches the name's extension.
pub struct Upload {
    pub filename: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
    pub purpose: Option<String>,
}

/// The multipart body, read only once the caller has been checked: a caller without access
/// learns nothing from a malformed-body error.
pub async fn multipart_of(body: Request, state: &AppState) -> ApiResult<Multipart> {
    use axum::extract::FromRequest;
    Multipart::from_request(body, state).await.map_err(|_| {
        ApiError::UnsupportedMediaType(Msg::new(
            "请求须为 multipart/form-data（带 boundary）",
            "the body must be multipart/form-data (with a boundary)",
        ))
    })
}

/// A malformed multipart body, in our words.
pub fn malformed(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(Msg::new("上传内容超过大小限制", "the upload exceeds the size limit"))
    } else {
        ApiError::BadRequest(Msg::new("无法解析上传内容（multipart 格式错误）", "malformed multipart body"))
    }
}

/// Reads a multipart body with a `file` (and optional `purpose`), enforcing the size limit
/// while streaming and checking the content by its bytes.
pub async fn read_upload(state: &AppState, mut multipart: Multipart) -> ApiResult<Upload> {
    let limit = state.config.upload_limit;
    let too_large = || {
        ApiError::PayloadTooLarge(Msg::new(
            format!("附件不能超过 {} MB", limit / 1024 / 1024),
            format!("attachments are limited to {} MB", limit / 1024 / 1024),
        ))
    };
    let bad = |e: MultipartError| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { malformed(e) };
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut purpose = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                let name = clean_filename(field.file_name().unwrap_or("file"));
                file = Some((name, read_file_field(field, limit, too_large, bad).await?));
            }
            Some("purpose") => purpose = Some(field.text().await.map_err(bad)?.trim().to_owned()),
            other => {
                let name = other.unwrap_or("").to_owned();
                return Err(ApiError::field(&name, "不允许的表单字段", "unknown form field; use file and purpose"));
            }
        }
    }
    let Some((filename, data)) = file else {
        return Err(ApiError::field("file", "请选择要上传的文件", "a file is required"));
    };
    if data.is_empty() {
        return Err(ApiError::field("file", "文件为空", "the file is empty"));
    }
    let Some((content_type, extensions)) = sniff(&data) else {
        return Err(ApiError::field("file", "只接受 PDF、PNG、JPG 或 XLSX 文件", "only PDF, PNG, JPG or XLSX files are accepted"));
    };
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !extensions.contains(&ext.as_str()) {
        return Err(ApiError::field(
            "file",
            format!("文件扩展名与内容不符（内容为 {}）", extensions[0]),
            format!("the file name's extension does not match its content ({})", extensions[0]),
        ));
    }
    if content_type == XLSX {
        // Whoever downloads it opens it: an archive that lies about its size is refused here.
        let bytes = data.clone();
        tokio::task::spawn_blocking(move || check_xlsx(&bytes)).await.map_err(ApiError::internal)??;
    }
    Ok(Upload { filename, content_type, data, purpose })
}

/// A multipart file field read chunk by chunk, refused as soon as it passes `limit`.
pub async fn read_file_field(
    mut field: Field<'_>,
    limit: usize,
    too_large: impl Fn() -> ApiError,
    bad: impl Fn(MultipartError) -> ApiError,
) -> ApiResult<Vec<u8>> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(&bad)? {
        if data.len() + chunk.len() > limit {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// Stores the bytes under a server-generated key in the file store.
pub async fn store_file(state: &AppState, data: &[u8]) -> ApiResult<String> {
    state.files.put(&state.db, data).await
}

/// A stored file as a download: images and PDFs inline (for preview), in a sandbox so that a
/// crafted file cannot run anything on our origin, and never cached by shared caches.
pub fn file_response(data: axum::body::Body, content_type: &str, filename: &str) -> Response {
    let disposition = if content_type.starts_with("image/") || content_type == "application/pdf" { "inline" } else { "attachment" };
    let mut res = data.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// RFC 6266 / RFC 5987: an ASCII fallback plus the UTF-8 name percent-encoded.
pub fn content_disposition(kind: &str, filename: &str) -> String {
    let ascii: String = filename.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn client_file_names_cannot_escape_or_inject() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\x\\回单.pdf"), "回单.pdf");
        assert_eq!(clean_filename("..\u{0}"), "file");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(clean_filename("回单\u{202E}fdp.exe"), "回单fdp.exe");
        assert_eq!(clean_filename("\u{200B}.pdf"), "pdf");
    }

    #[test]
    fn content_is_recognised_by_its_bytes() {
        assert_eq!(sniff(b"%PDF-1.7 ...").map(|s| s.0), Some("application/pdf"));
        assert_eq!(sniff(b"<html>").map(|s| s.0), None);
        assert_eq!(sniff(b"PK\x03\x04 no office here").map(|s| s.0), None);
    }

    #[test]
    fn chinese_file_names_use_rfc_5987() {
        assert_eq!(
            content_disposition("attachment", "台账.xlsx"),
            "attachment; filename=\"__.xlsx\"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.xlsx"
        );
    }

    fn archive(part: &[u8]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        std::io::Write::write_all(&mut z, part).unwrap();
        z.finish().unwrap();
        buf.into_inner()
    }

    /// Rewrites the uncompressed size of the only part, in both headers, to `claim`.
    fn lie_about_size(mut zip: Vec<u8>, claim: u32) -> Vec<u8> {
        let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        zip[22..26].copy_from_slice(&claim.to_le_bytes());
        zip[central + 24..central + 28].copy_from_slice(&claim.to_le_bytes());
        zip
    }

    #[test]
    fn an_archive_is_measured_by_what_it_inflates_to_not_by_its_headers() {
        let honest = archive(&vec![b'a'; 100_000]);
        assert_eq!(check_archive(&honest, 200_000), Ok(()));
        assert_eq!(check_archive(&honest, 50_000), Err(ArchiveProblem::TooLargeUnpacked));
        let liar = lie_about_size(archive(&vec![0u8; 4 * 1024 * 1024]), 4096);
        assert_eq!(check_archive(&liar, 1024 * 1024), Err(ArchiveProblem::TooLargeUnpacked));
        assert_eq!(check_archive(b"PK\x03\x04garbage", 1024), Err(ArchiveProblem::Unreadable));
    }

    #[test]
    fn small_files_may_always_unpack_to_a_megabyte() {
        assert_eq!(inflate_limit(10), MIN_INFLATED_ALLOWANCE);
        assert_eq!(inflate_limit(10 * 1024 * 1024), MAX_INFLATED);
        assert_eq!(inflate_limit(100 * 1024), 200 * 100 * 1024);
    }
}
