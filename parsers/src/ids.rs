//! Identifier newtypes (parse, don't validate): once a value has one of these types,
//! it is known to be well-formed and normalised, so later code never re-checks it.

use std::fmt;

use chrono::NaiveDate;

/// Why an identifier was refused. Messages are generic; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    Length { min: usize, max: usize },
    Charset,
    Checksum,
    Format,
}

impl IdError {
    pub fn zh(&self) -> String {
        match self {
            IdError::Empty => "不能为空".to_string(),
            IdError::Length { min, max } if min == max => format!("长度必须为 {min} 位"),
            IdError::Length { min, max } => format!("长度必须在 {min} 到 {max} 位之间"),
            IdError::Charset => "包含不允许的字符".to_string(),
            IdError::Checksum => "校验位不正确".to_string(),
            IdError::Format => "格式不正确".to_string(),
        }
    }

    pub fn en(&self) -> String {
        match self {
            IdError::Empty => "must not be empty".to_string(),
            IdError::Length { min, max } if min == max => {
                format!("must be exactly {min} characters long")
            }
            IdError::Length { min, max } => format!("must be {min} to {max} characters long"),
            IdError::Charset => "contains characters that are not allowed".to_string(),
            IdError::Checksum => "check digit is wrong".to_string(),
            IdError::Format => "format is invalid".to_string(),
        }
    }
}

/// Implements `as_str` and `Display` for a newtype over `String`.
macro_rules! string_newtype {
    ($t:ident) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Removes the separators people type inside numbers: ASCII space, full-width
/// space (U+3000, common with Chinese input methods) and '-'.
fn strip_separators(input: &str) -> String {
    input.chars().filter(|c| !matches!(c, ' ' | '\u{3000}' | '-')).collect()
}

// ---------------------------------------------------------------------------
// 统一社会信用代码 (GB 32100-2015)
// ---------------------------------------------------------------------------

/// Code charset in value order: the index of a char is its numeric value.
/// I, O, S, V, Z are excluded by the standard (look-alikes of 1, 0, 5, U, 2).
const CREDIT_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn credit_value(c: char) -> Option<u32> {
    CREDIT_CHARSET.find(c).and_then(|i| u32::try_from(i).ok())
}

/// Unified social credit code, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(IdError::Empty);
        }
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(IdError::Length { min: 18, max: 18 });
        }
        if chars.iter().any(|&c| credit_value(c).is_none()) {
            return Err(IdError::Charset);
        }
        // Characters 3–8 are the administrative division code (行政区划码): digits only.
        if !chars[2..8].iter().all(|c| c.is_ascii_digit()) {
            return Err(IdError::Format);
        }
        let first17: String = chars[..17].iter().collect();
        if check_char(&first17) != Some(chars[17]) {
            return Err(IdError::Checksum);
        }
        Ok(CreditCode(code))
    }

    /// The 18th character for the first 17 (case-insensitive); None when the input is
    /// not 17 characters of the code charset. Useful to build valid demo/test codes.
    pub fn check_char(first17: &str) -> Option<char> {
        check_char(first17)
    }
}

/// Free-function form of [`CreditCode::check_char`].
pub fn check_char(first17: &str) -> Option<char> {
    let upper = first17.to_ascii_uppercase();
    let mut sum: u32 = 0;
    let mut count = 0usize;
    for c in upper.chars() {
        let w = *CREDIT_WEIGHTS.get(count)?;
        sum += credit_value(c)? * w;
        count += 1;
    }
    if count != 17 {
        return None;
    }
    let idx = (31 - sum % 31) % 31;
    CREDIT_CHARSET.chars().nth(idx as usize)
}

string_newtype!(CreditCode);

// ---------------------------------------------------------------------------
// Bank account number
// ---------------------------------------------------------------------------

/// Bank account number: 8..=32 ASCII digits, separators removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = strip_separators(input.trim());
        if digits.is_empty() {
            return Err(IdError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdError::Charset);
        }
        // ASCII digits only now, so byte length equals char count.
        if !(8..=32).contains(&digits.len()) {
            return Err(IdError::Length { min: 8, max: 32 });
        }
        Ok(AccountNumber(digits))
    }
}

string_newtype!(AccountNumber);

// ---------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------

/// E-mail address, stored as typed (trimmed); compare with [`Email::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// RFC 5322 "atext" plus '.', i.e. what real mailboxes use unquoted.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)
}

fn is_domain_label(label: &str) -> Result<(), IdError> {
    if label.is_empty() || label.len() > 63 {
        return Err(IdError::Format);
    }
    if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(IdError::Charset);
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(IdError::Format);
    }
    Ok(())
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let email = input.trim();
        if email.is_empty() {
            return Err(IdError::Empty);
        }
        // "a@b.c" is the shortest possible address; 254 is the SMTP path limit.
        let len = email.chars().count();
        if !(5..=254).contains(&len) {
            return Err(IdError::Length { min: 5, max: 254 });
        }
        let mut parts = email.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(IdError::Format);
        };
        if local.is_empty() || local.chars().count() > 64 {
            return Err(IdError::Format);
        }
        if !local.chars().all(is_local_char) {
            return Err(IdError::Charset);
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(IdError::Format);
        }
        if !domain.contains('.') {
            return Err(IdError::Format);
        }
        for label in domain.split('.') {
            is_domain_label(label)?;
        }
        Ok(Email(email.to_string()))
    }

    /// Lowercase form for uniqueness checks (a registration e-mail is used once,
    /// compared without case — DESIGN §2.3).
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

string_newtype!(Email);

// ---------------------------------------------------------------------------
// 居民身份证号 (GB 11643-1999)
// ---------------------------------------------------------------------------

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Chinese resident ID number, 18 chars, check char uppercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentIdNumber(String);

impl ResidentIdNumber {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let id = input.trim().to_ascii_uppercase();
        if id.is_empty() {
            return Err(IdError::Empty);
        }
        let chars: Vec<char> = id.chars().collect();
        if chars.len() != 18 {
            return Err(IdError::Length { min: 18, max: 18 });
        }
        let mut sum: u32 = 0;
        for (c, w) in chars[..17].iter().zip(ID_WEIGHTS) {
            let d = c.to_digit(10).ok_or(IdError::Charset)?;
            sum += d * w;
        }
        let last = chars[17];
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdError::Charset);
        }
        // All 18 chars are ASCII now, so byte slicing below is safe.
        if birth_date_of(&id).is_none() {
            return Err(IdError::Format);
        }
        if ID_CHECK_CHARS[(sum % 11) as usize] != last {
            return Err(IdError::Checksum);
        }
        Ok(ResidentIdNumber(id))
    }

    /// Birth date encoded in characters 7–14 (always valid after `parse`).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        birth_date_of(&self.0)
    }
}

/// YYYYMMDD at byte range 6..14 of an ASCII ID. Years before 1800 are refused:
/// the 18-digit format dates from 1999 and covers people born since the 19th century.
fn birth_date_of(id: &str) -> Option<NaiveDate> {
    let ymd = id.get(6..14)?;
    let y: i32 = ymd.get(0..4)?.parse().ok()?;
    let m: u32 = ymd.get(4..6)?.parse().ok()?;
    let d: u32 = ymd.get(6..8)?.parse().ok()?;
    if y < 1800 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

string_newtype!(ResidentIdNumber);

// ---------------------------------------------------------------------------
// Mainland mobile phone
// ---------------------------------------------------------------------------

/// Mainland China mobile number, stored as the bare 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl MobilePhone {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let compact = strip_separators(input.trim());
        if compact.is_empty() {
            return Err(IdError::Empty);
        }
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdError::Charset);
        }
        // Country code only when what follows is a full 11-digit number; a '+' requires it.
        let has_plus = digits.len() != compact.len();
        let number = match digits.strip_prefix("86") {
            Some(rest) if rest.len() == 11 => rest,
            _ if has_plus => return Err(IdError::Format),
            _ => digits,
        };
        if number.len() != 11 {
            return Err(IdError::Length { min: 11, max: 11 });
        }
        let b = number.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(IdError::Format);
        }
        Ok(MobilePhone(number.to_string()))
    }
}

string_newtype!(MobilePhone);

// ---------------------------------------------------------------------------
// WeChat AppID
// ---------------------------------------------------------------------------

/// WeChat mini-program AppID: "wx" + 16 hex digits, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let id = input.trim().to_ascii_lowercase();
        if id.is_empty() {
            return Err(IdError::Empty);
        }
        if id.chars().count() != 18 {
            return Err(IdError::Length { min: 18, max: 18 });
        }
        let Some(hex) = id.strip_prefix("wx") else {
            return Err(IdError::Format);
        };
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(IdError::Charset);
        }
        Ok(AppId(id))
    }
}

string_newtype!(AppId);

// ---------------------------------------------------------------------------
// Masking (PII shown to non-finance users, DESIGN §2.3)
// ---------------------------------------------------------------------------

/// Keeps `head` first and `tail` last chars, fills between with `stars` stars
/// (or one star per hidden char when `stars` is None). Inputs shorter than
/// `min_len` are fully masked so that little of a short value leaks.
fn mask(s: &str, head: usize, tail: usize, stars: Option<usize>, min_len: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    if n < min_len || n < head + tail {
        return "*".repeat(n);
    }
    let hidden = stars.unwrap_or(n - head - tail);
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[n - tail..]);
    out
}

/// `110***********1234`: first 3, a star per hidden char, last 4; under 8 chars all stars.
pub fn mask_id_number(s: &str) -> String {
    mask(s, 3, 4, None, 8)
}

/// `138****5678`: first 3, four stars, last 4; under 11 chars all stars (fewer would
/// reveal almost the whole number).
pub fn mask_phone(s: &str) -> String {
    mask(s, 3, 4, Some(4), 11)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid credit code from 17 chars, for tests and demo data.
    fn valid_code(first17: &str) -> String {
        let c = check_char(first17).expect("17 valid chars");
        format!("{first17}{c}")
    }

    #[test]
    fn credit_code_table() {
        let ok: &[(&str, &str)] = &[
            // 腾讯科技（深圳）有限公司
            ("9144030071526726XG", "9144030071526726XG"),
            // From the brief; both its own and the embedded organisation code's
            // (10000648-5, GB 11714) check digits verify.
            ("91110000100006485K", "91110000100006485K"),
            // 华为技术有限公司
            ("914403001922038216", "914403001922038216"),
            // 北京百度网讯科技有限公司
            ("91110000802100433B", "91110000802100433B"),
            // lowercase and surrounding spaces are normalised
            ("  9144030071526726xg ", "9144030071526726XG"),
        ];
        for &(input, want) in ok {
            let code = CreditCode::parse(input).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!(code.as_str(), want);
            assert_eq!(code.to_string(), want);
        }
        let bad: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            ("   ", IdError::Empty),
            ("9144030071526726X", IdError::Length { min: 18, max: 18 }),
            ("9144030071526726XGG", IdError::Length { min: 18, max: 18 }),
            ("9144030071526726XA", IdError::Checksum),
            ("9144030071526726YG", IdError::Checksum),
            ("914403007152672IXG", IdError::Charset),
            ("914403007152672OXG", IdError::Charset),
            ("914403007152672SXG", IdError::Charset),
            ("914403007152672VXG", IdError::Charset),
            ("914403007152672ZXG", IdError::Charset),
            ("9144030071526726X中", IdError::Charset),
            ("腾讯科技深圳有限公司腾讯科技深圳有限公", IdError::Length { min: 18, max: 18 }),
            ("91A4030071526726XG", IdError::Format),
            ("9144030A71526726XG", IdError::Format),
        ];
        for (input, want) in bad {
            assert_eq!(CreditCode::parse(input), Err(want.clone()), "input = {input:?}");
        }
    }

    #[test]
    fn credit_code_check_char() {
        assert_eq!(check_char("9144030071526726X"), Some('G'));
        assert_eq!(CreditCode::check_char("9111000010000648"), None);
        assert_eq!(check_char("91110000100006485"), Some('K'));
        assert_eq!(check_char("91110000100006485K"), None);
        assert_eq!(check_char("9111000010000648I"), None);
        assert_eq!(check_char(""), None);
        assert_eq!(check_char("中中中中中中中中中中中中中中中中中"), None);
        // Generated codes round-trip, including ones whose check char is '0'.
        for first17 in ["91310000MA1FL0000", "12100000400000000", "Y1440300MA5DA1B2C"] {
            let code = valid_code(first17);
            assert!(CreditCode::parse(&code).is_ok(), "{code}");
        }
    }

    #[test]
    fn account_number_table() {
        let cases: &[(&str, Result<&str, IdError>)] = &[
            ("6222 0202 0000 1234 567", Ok("6222020200001234567")),
            ("6222-0202-0000", Ok("622202020000")),
            ("6222\u{3000}0202", Ok("62220202")),
            ("12345678", Ok("12345678")),
            ("12345678901234567890123456789012", Ok("12345678901234567890123456789012")),
            ("1234567", Err(IdError::Length { min: 8, max: 32 })),
            ("123456789012345678901234567890123", Err(IdError::Length { min: 8, max: 32 })),
            ("", Err(IdError::Empty)),
            (" - ", Err(IdError::Empty)),
            ("6222 0202 ABCD", Err(IdError::Charset)),
            ("６２２２０２０２", Err(IdError::Charset)),
            ("1234.5678", Err(IdError::Charset)),
        ];
        for (input, want) in cases {
            let got = AccountNumber::parse(input);
            assert_eq!(got.as_ref().map(|a| a.as_str()), want.as_ref().copied(), "{input:?}");
        }
    }

    #[test]
    fn email_table() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", "b".repeat(250));
        let long_label = format!("a@{}.com", "b".repeat(64));
        let cases: Vec<(&str, Result<&str, IdError>)> = vec![
            ("ops@example.com", Ok("ops@example.com")),
            ("  Ops.Team+mp@Example.COM ", Ok("Ops.Team+mp@Example.COM")),
            ("a@b.c", Ok("a@b.c")),
            ("first_last@sub-domain.example.cn", Ok("first_last@sub-domain.example.cn")),
            ("", Err(IdError::Empty)),
            ("a@b", Err(IdError::Length { min: 5, max: 254 })),
            ("opsexample.com", Err(IdError::Format)),
            ("a@b@example.com", Err(IdError::Format)),
            ("@example.com", Err(IdError::Format)),
            ("ops@", Err(IdError::Length { min: 5, max: 254 })),
            ("opsxx@", Err(IdError::Format)),
            ("ops@example", Err(IdError::Format)),
            ("ops@example.", Err(IdError::Format)),
            ("ops@.example.com", Err(IdError::Format)),
            ("ops@exa..mple.com", Err(IdError::Format)),
            ("ops@-example.com", Err(IdError::Format)),
            ("ops@example-.com", Err(IdError::Format)),
            ("ops@exa_mple.com", Err(IdError::Charset)),
            (".ops@example.com", Err(IdError::Format)),
            ("ops.@example.com", Err(IdError::Format)),
            ("o..ps@example.com", Err(IdError::Format)),
            ("o ps@example.com", Err(IdError::Charset)),
            ("张三@example.com", Err(IdError::Charset)),
            ("ops@例子.中国", Err(IdError::Charset)),
            (long_local.as_str(), Err(IdError::Format)),
            (long_total.as_str(), Err(IdError::Length { min: 5, max: 254 })),
            (long_label.as_str(), Err(IdError::Format)),
        ];
        for (input, want) in cases {
            let got = Email::parse(input);
            assert_eq!(got.as_ref().map(|e| e.as_str()), want.as_ref().copied(), "{input:?}");
        }
        let a = Email::parse("Ops@Example.com").expect("valid");
        let b = Email::parse("ops@example.COM").expect("valid");
        assert_ne!(a, b);
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(a.to_string(), "Ops@Example.com");
    }

    #[test]
    fn resident_id_table() {
        let cases: &[(&str, Result<&str, IdError>)] = &[
            // GB 11643-1999 examples
            ("11010519491231002X", Ok("11010519491231002X")),
            ("11010519491231002x", Ok("11010519491231002X")),
            ("440524188001010014", Ok("440524188001010014")),
            (" 11010519491231002X ", Ok("11010519491231002X")),
            ("", Err(IdError::Empty)),
            ("11010519491231002", Err(IdError::Length { min: 18, max: 18 })),
            ("11010519491231002XX", Err(IdError::Length { min: 18, max: 18 })),
            ("11010519491231002Y", Err(IdError::Charset)),
            ("1101051949123100X2", Err(IdError::Charset)),
            ("11010519491231００2X", Err(IdError::Charset)), // full-width digits
            ("110105194912310021", Err(IdError::Checksum)),
            ("110105194913310020", Err(IdError::Format)), // month 13
            ("110105194902300020", Err(IdError::Format)), // 30 February
            ("110105000001010020", Err(IdError::Format)), // year 0000
        ];
        for (input, want) in cases {
            let got = ResidentIdNumber::parse(input);
            assert_eq!(got.as_ref().map(|e| e.as_str()), want.as_ref().copied(), "{input:?}");
        }
        let id = ResidentIdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        // A leap day is a valid birth date.
        let first17 = "11010520000229002";
        let sum: u32 = first17.chars().zip(ID_WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
        let full = format!("{first17}{}", ID_CHECK_CHARS[(sum % 11) as usize]);
        assert!(ResidentIdNumber::parse(&full).is_ok(), "{full}");
    }

    #[test]
    fn mobile_phone_table() {
        let cases: &[(&str, Result<&str, IdError>)] = &[
            ("13812345678", Ok("13812345678")),
            ("138 1234 5678", Ok("13812345678")),
            ("138-1234-5678", Ok("13812345678")),
            ("+86 138 1234 5678", Ok("13812345678")),
            ("+8613812345678", Ok("13812345678")),
            ("8613812345678", Ok("13812345678")),
            ("86-19912345678", Ok("19912345678")),
            ("\u{3000}15012345678", Ok("15012345678")),
            ("", Err(IdError::Empty)),
            ("12812345678", Err(IdError::Format)),
            ("10012345678", Err(IdError::Format)),
            ("23812345678", Err(IdError::Format)),
            ("+8512345678901", Err(IdError::Format)),
            ("+13812345678", Err(IdError::Format)),
            ("1381234567", Err(IdError::Length { min: 11, max: 11 })),
            ("138123456789", Err(IdError::Length { min: 11, max: 11 })),
            ("86138123456789", Err(IdError::Length { min: 11, max: 11 })),
            ("138abcd5678", Err(IdError::Charset)),
            ("１３８１２３４５６７８", Err(IdError::Charset)),
            ("(138)12345678", Err(IdError::Charset)),
            ("++8613812345678", Err(IdError::Charset)),
        ];
        for (input, want) in cases {
            let got = MobilePhone::parse(input);
            assert_eq!(got.as_ref().map(|e| e.as_str()), want.as_ref().copied(), "{input:?}");
        }
    }

    #[test]
    fn app_id_table() {
        let cases: &[(&str, Result<&str, IdError>)] = &[
            ("wx1234567890abcdef", Ok("wx1234567890abcdef")),
            ("wx1234567890ABCDEF", Ok("wx1234567890abcdef")),
            (" WX1234567890abcdef ", Ok("wx1234567890abcdef")),
            ("", Err(IdError::Empty)),
            ("wx1234567890abcde", Err(IdError::Length { min: 18, max: 18 })),
            ("wx1234567890abcdef0", Err(IdError::Length { min: 18, max: 18 })),
            ("tt1234567890abcdef", Err(IdError::Format)),
            ("wx1234567890abcdeg", Err(IdError::Charset)),
            ("wx1234567890abcde中", Err(IdError::Charset)),
        ];
        for (input, want) in cases {
            let got = AppId::parse(input);
            assert_eq!(got.as_ref().map(|e| e.as_str()), want.as_ref().copied(), "{input:?}");
        }
    }

    #[test]
    fn masks() {
        let id_cases: &[(&str, &str)] = &[
            ("110105194912311234", "110***********1234"),
            ("12345678", "123*5678"),
            ("1234567", "*******"),
            ("", ""),
            ("张三李四王五赵六钱", "张三李**五赵六钱"),
            ("é", "*"),
        ];
        for &(input, want) in id_cases {
            assert_eq!(mask_id_number(input), want, "{input:?}");
        }
        let phone_cases: &[(&str, &str)] = &[
            ("13812345678", "138****5678"),
            ("8613812345678", "861****5678"),
            ("1381234567", "**********"),
            ("", ""),
            ("一二三四五六七八九十百", "一二三****八九十百"),
        ];
        for &(input, want) in phone_cases {
            assert_eq!(mask_phone(input), want, "{input:?}");
        }
    }

    #[test]
    fn error_messages_are_bilingual() {
        let all = [
            IdError::Empty,
            IdError::Length { min: 18, max: 18 },
            IdError::Length { min: 8, max: 32 },
            IdError::Charset,
            IdError::Checksum,
            IdError::Format,
        ];
        for e in &all {
            assert!(!e.zh().is_empty() && !e.en().is_empty());
        }
        assert_eq!(IdError::Checksum.zh(), "校验位不正确");
        assert_eq!(IdError::Checksum.en(), "check digit is wrong");
        assert_eq!(IdError::Length { min: 8, max: 32 }.zh(), "长度必须在 8 到 32 位之间");
        assert_eq!(IdError::Length { min: 18, max: 18 }.en(), "must be exactly 18 characters long");
    }
}
