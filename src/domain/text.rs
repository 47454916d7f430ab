//! Free text from people: required text must show something, and nothing may hide or
//! reorder what others read (bidi overrides, control characters).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    NoVisibleCharacter,
    Bidi,
    Control,
    TooLong(usize),
}

fn invisible(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Trimmed text with at least one visible character, no bidi controls, at most `max_chars`.
pub fn required(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TextProblem::Empty);
    }
    if t.chars().any(bidi) {
        return Err(TextProblem::Bidi);
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err(TextProblem::Control);
    }
    if t.chars().all(invisible) {
        return Err(TextProblem::NoVisibleCharacter);
    }
    if t.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(t.to_owned())
}

/// Like `required`, but blank text is absent.
pub fn optional(s: Option<&str>, max_chars: usize) -> Result<Option<String>, TextProblem> {
    match s {
        Some(s) if !s.trim().is_empty() => required(s, max_chars).map(Some),
        _ => Ok(None),
    }
}
