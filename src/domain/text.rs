//! Free text a person types (titles, names, opinions) and file names: what counts as text.
//! A value made only of blanks or zero-width characters says nothing, and direction overrides
//! (U+202E "RIGHT-TO-LEFT OVERRIDE" placed in `invoice[U+202E]fdp.exe` makes it read as `invoiceexe.pdf`)
//! make a name display as something else than what it is. Pure; the HTTP layer maps a
//! `TextProblem` to a field error.
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    /// Only blanks, zero-width or other invisible characters.
    NoVisibleCharacter,
    /// Bidi embedding, override or isolate controls.
    Bidi,
    /// Control characters other than line breaks and tabs.
    Control,
    /// Longer than this many characters.
    TooLong(usize),
}

impl TextProblem {
    pub fn zh(&self) -> String {
        match self {
            TextProblem::Empty => "不能为空".into(),
            TextProblem::NoVisibleCharacter => "须含有可见文字（不能只有空白或零宽字符）".into(),
            TextProblem::Bidi => "不能含有文字方向控制字符".into(),
            TextProblem::Control => "不能含有控制字符".into(),
            TextProblem::TooLong(max) => format!("不能超过 {max} 个字符"),
        }
    }

    pub fn en(&self) -> String {
        match self {
            TextProblem::Empty => "must not be empty".into(),
            TextProblem::NoVisibleCharacter => "must contain a visible character (not only blanks or zero-width characters)".into(),
            TextProblem::Bidi => "must not contain text-direction control characters".into(),
            TextProblem::Control => "must not contain control characters".into(),
            TextProblem::TooLong(max) => format!("must be at most {max} characters"),
        }
    }
}

/// The field error for `field`: "标题不能为空" reads as "不能为空" next to the field in the UI.
pub fn field_error(field: &str, p: TextProblem) -> FieldError {
    FieldError::new(field, p.zh(), format!("{field} {}", p.en()))
}

/// The same with the field's name in Chinese leading the message.
pub fn labelled_field_error(field: &str, label_zh: &str, p: TextProblem) -> FieldError {
    FieldError::new(field, format!("{label_zh}{}", p.zh()), format!("{field} {}", p.en()))
}

/// Embedding, override and isolate controls (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Format characters (Unicode category Cf) and the few letters that render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{0600}'..='\u{0605}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{08E2}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || is_invisible(c)
}

/// Line breaks and tabs are text in multi-line fields (purpose, opinions); other C0/C1
/// controls never are.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// A required text: trimmed (also of invisible characters at either end), with at least one
/// visible character, no direction controls or control characters, at most `max_chars`.
pub fn required(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TextProblem::Empty);
    }
    if t.chars().any(is_bidi_control) {
        return Err(TextProblem::Bidi);
    }
    if t.chars().any(is_forbidden_control) {
        return Err(TextProblem::Control);
    }
    let t = t.trim_matches(is_blank);
    if t.is_empty() {
        return Err(TextProblem::NoVisibleCharacter);
    }
    if t.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(t.to_owned())
}

/// An optional text: absent, empty or only blanks is `None`; anything else must pass `required`.
pub fn optional(s: Option<&str>, max_chars: usize) -> Result<Option<String>, TextProblem> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => required(t, max_chars).map(Some),
    }
}

/// A client's file name for display: control, direction and zero-width characters dropped;
/// `file` when nothing is left.
pub fn file_name(s: &str) -> String {
    let kept: String = s.chars().filter(|&c| !c.is_control() && !is_invisible(c)).collect();
    let kept = kept.trim();
    if kept.is_empty() { "file".to_owned() } else { kept.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_table() {
        use TextProblem::*;
        let cases: &[(&str, usize, Result<&str, TextProblem>)] = &[
            ("  报销打款  ", 10, Ok("报销打款")),
            ("", 10, Err(Empty)),
            ("   \t\n ", 10, Err(Empty)),
            ("\u{3000}", 10, Err(Empty)),
            ("\u{200B}\u{200B}\u{200B}", 10, Err(NoVisibleCharacter)),
            ("\u{200B}", 10, Err(NoVisibleCharacter)),
            ("\u{FEFF}\u{2060}\u{200C}\u{200D}", 10, Err(NoVisibleCharacter)),
            ("\u{00AD} \u{3164}", 10, Err(NoVisibleCharacter)),
            ("\u{200B}同意\u{200B}", 10, Ok("同意")),
            ("👩\u{200D}💻", 10, Ok("👩\u{200D}💻")),
            ("合同\u{202E}fdp.exe", 50, Err(Bidi)),
            ("\u{2066}abc\u{2069}", 50, Err(Bidi)),
            ("a\u{0007}b", 50, Err(Control)),
            ("a\u{0085}b", 50, Err(Control)),
            ("第一行\n第二行\r\n\t第三行", 50, Ok("第一行\n第二行\r\n\t第三行")),
            ("abcd", 3, Err(TooLong(3))),
            ("日升科技", 4, Ok("日升科技")),
        ];
        for (input, max, want) in cases {
            assert_eq!(required(input, *max).as_deref().map_err(|e| *e), *want, "{input:?}");
        }
    }

    #[test]
    fn optional_text_is_none_when_blank() {
        assert_eq!(optional(None, 5), Ok(None));
        assert_eq!(optional(Some("  "), 5), Ok(None));
        assert_eq!(optional(Some(" 附言 "), 5), Ok(Some("附言".to_owned())));
        assert_eq!(optional(Some("\u{200B}"), 5), Err(TextProblem::NoVisibleCharacter));
        assert_eq!(optional(Some("123456"), 5), Err(TextProblem::TooLong(5)));
    }

    #[test]
    fn file_names_lose_invisible_and_direction_characters() {
        let cases = [
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("回单\u{200B}.pdf", "回单.pdf"),
            ("a\u{0000}b\u{001F}.png", "ab.png"),
            ("\u{2067}\u{200B}\u{FEFF}", "file"),
            ("  ", "file"),
            ("台账 2026.xlsx", "台账 2026.xlsx"),
        ];
        for (input, want) in cases {
            assert_eq!(file_name(input), want, "{input:?}");
        }
    }

    #[test]
    fn every_problem_has_both_languages() {
        for p in [TextProblem::Empty, TextProblem::NoVisibleCharacter, TextProblem::Bidi, TextProblem::Control, TextProblem::TooLong(7)] {
            assert!(!p.zh().is_empty() && !p.en().is_empty());
            let fe = field_error("title", p);
            assert_eq!(fe.field, "title");
        }
        assert!(TextProblem::TooLong(7).en().contains('7'));
    }
}
