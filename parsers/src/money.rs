//! Money in integer fen (分), the Chinese capital-letter amount (人民币大写) and yuan text.
//!
//! Amounts are never floats: a float cannot hold 0.1 exactly, and a payment that
//! Tencent asks for must be reproduced to the fen.

/// Upper bound of one request: 10 亿元 (DESIGN §1.1).
pub const MAX_AMOUNT_FEN: i64 = 100_000_000_000;

/// A validated payment amount: `0 < fen <= MAX_AMOUNT_FEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub fn from_fen(fen: i64) -> Result<Money, MoneyError> {
        if fen <= 0 {
            Err(MoneyError::NotPositive)
        } else if fen > MAX_AMOUNT_FEN {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Money(fen))
        }
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn in_words(self) -> String {
        amount_in_words(self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    NotPositive,
    TooLarge,
}

impl MoneyError {
    pub fn zh(&self) -> String {
        match self {
            MoneyError::NotPositive => "金额必须大于 0".to_string(),
            MoneyError::TooLarge => "金额不能超过 10 亿元（¥1,000,000,000.00）".to_string(),
        }
    }

    pub fn en(&self) -> String {
        match self {
            MoneyError::NotPositive => "amount must be greater than 0".to_string(),
            MoneyError::TooLarge => "amount must not exceed ¥1,000,000,000.00 (10 亿元)".to_string(),
        }
    }
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// Digit at `n`'s last position as a capital numeral; `n % 10` is always < 10.
fn digit(n: u64) -> char {
    DIGITS[(n % 10) as usize]
}

/// 1..=9999 without leading zeros; inner zero runs read 零 once; 10 reads 壹拾
/// (PBOC: the leading 拾 keeps its 壹).
fn section_words(n: u64, out: &mut String) {
    const UNITS: [&str; 4] = ["仟", "佰", "拾", ""];
    let ds = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut zero_pending = false;
    for (i, &d) in ds.iter().enumerate() {
        if d == 0 {
            // Only zeros between non-zero digits are read; leading/trailing ones are not.
            zero_pending = started;
            continue;
        }
        if zero_pending {
            out.push('零');
            zero_pending = false;
        }
        out.push(digit(d));
        out.push_str(UNITS[i]);
        started = true;
    }
}

/// Integer yuan (> 0) in words. Splits at 亿 then 万 recursively, so any u64 works
/// (above 9999 亿 it reads 万亿 / 亿亿 rather than panicking).
fn integer_words(n: u64, out: &mut String) {
    const YI: u64 = 100_000_000;
    const WAN: u64 = 10_000;
    let (unit, size, lead) = if n >= YI {
        ("亿", YI, YI / 10)
    } else if n >= WAN {
        ("万", WAN, WAN / 10)
    } else {
        section_words(n, out);
        return;
    };
    let (hi, lo) = (n / size, n % size);
    integer_words(hi, out);
    out.push_str(unit);
    if lo > 0 {
        // A zero run exists between the two parts when the high part ends in 0
        // (e.g. 壹拾万零柒仟) or the low part has a leading zero (壹亿零壹万).
        if hi.is_multiple_of(10) || lo < lead {
            out.push('零');
        }
        integer_words(lo, out);
    }
}

/// 人民币大写 per PBOC 《正确填写票据和结算凭证的基本规定》 (DESIGN §1.5).
/// Defined for every i64: negatives get the prefix 负 and nothing panics.
pub fn amount_in_words(fen: i64) -> String {
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let abs = fen.unsigned_abs();
    let yuan = abs / 100;
    let jiao = abs / 10 % 10;
    let fen_digit = abs % 10;

    let mut out = String::from("人民币");
    if fen < 0 {
        out.push('负');
    }
    if yuan == 0 && jiao == 0 && fen_digit == 0 {
        out.push_str("零元整");
        return out;
    }
    if yuan > 0 {
        integer_words(yuan, &mut out);
        out.push('元');
    }
    if jiao > 0 {
        // A zero run that crosses 元 (yuan ends in 0, 角 not 0) still reads 零 once.
        if yuan > 0 && yuan.is_multiple_of(10) {
            out.push('零');
        }
        out.push(digit(jiao));
        out.push('角');
    }
    if fen_digit > 0 {
        // 角 is zero between 元 and 分: that zero (plus any trailing yuan zeros) reads 零.
        if jiao == 0 && yuan > 0 {
            out.push('零');
        }
        out.push(digit(fen_digit));
        out.push('分');
    } else {
        // 整 after 元 (no 角/分) or after 角 (no 分); never after 分.
        out.push('整');
    }
    out
}

/// `¥1,409.50`; negative `-¥3.00`.
pub fn format_yuan(fen: i64) -> String {
    let abs = fen.unsigned_abs();
    let yuan = (abs / 100).to_string();
    let cents = abs % 100;
    let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}¥{grouped}.{cents:02}")
}

/// Parses a non-negative yuan amount into fen: `1409.5`, `1,409.50`, `¥1,409.50`,
/// `￥1409`. At most two decimals. Commas, when used, must be correct thousands
/// grouping so that e.g. `1,5` is not silently read as 15. None on anything else,
/// including signs and overflow.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_prefix('¥').or_else(|| s.strip_prefix('￥')).unwrap_or(s).trim_start();
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int_part.is_empty() {
        return None;
    }
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 {
            return None;
        }
        if groups.any(|g| g.len() != 3) {
            return None;
        }
    }
    let mut yuan: i64 = 0;
    for c in int_part.chars().filter(|&c| c != ',') {
        let d = c.to_digit(10)?;
        // to_digit(10) accepts ASCII only, so non-ASCII digits are refused too.
        yuan = yuan.checked_mul(10)?.checked_add(i64::from(d))?;
    }
    let cents: i64 = match frac_part {
        None => 0,
        Some(f) => {
            let ds: Vec<u32> = f.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
            match ds.as_slice() {
                [a] => i64::from(*a) * 10,
                [a, b] => i64::from(*a) * 10 + i64::from(*b),
                _ => return None, // "1." or more than two decimals
            }
        }
    };
    yuan.checked_mul(100)?.checked_add(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_in_words_table() {
        let cases: &[(i64, &str)] = &[
            // required examples (DESIGN §1.5 and the brief)
            (140_950, "人民币壹仟肆佰零玖元伍角整"),
            (1_640_902, "人民币壹万陆仟肆佰零玖元零贰分"),
            (32_504, "人民币叁佰贰拾伍元零肆分"),
            (35, "人民币叁角伍分"),
            (5, "人民币伍分"),
            (10_000_000, "人民币壹拾万元整"),
            (168_032, "人民币壹仟陆佰捌拾元零叁角贰分"),
            (10_050, "人民币壹佰元零伍角整"),
            (10_700_053, "人民币壹拾万零柒仟元零伍角叁分"),
            (10_000_000_000, "人民币壹亿元整"),
            (10_001_000_000, "人民币壹亿零壹万元整"),
            (100_000_000_100, "人民币壹拾亿零壹元整"),
            (MAX_AMOUNT_FEN, "人民币壹拾亿元整"),
            // zero and 1 fen
            (0, "人民币零元整"),
            (1, "人民币壹分"),
            // 角 without 分, 分 without 角
            (30, "人民币叁角整"),
            (120, "人民币壹元贰角整"),
            (102, "人民币壹元零贰分"),
            (1_002, "人民币壹拾元零贰分"),
            // leading 拾 keeps 壹
            (1_000, "人民币壹拾元整"),
            (1_100, "人民币壹拾壹元整"),
            (11_000, "人民币壹佰壹拾元整"),
            // zeros in every position of a section
            (100_000, "人民币壹仟元整"),
            (100_100, "人民币壹仟零壹元整"),
            (101_000, "人民币壹仟零壹拾元整"),
            (110_000, "人民币壹仟壹佰元整"),
            (100_001, "人民币壹仟元零壹分"),
            (100_010, "人民币壹仟元零壹角整"),
            (100_011, "人民币壹仟元零壹角壹分"),
            (1_010_101, "人民币壹万零壹佰零壹元零壹分"),
            (1_001_000, "人民币壹万零壹拾元整"),
            (10_010_000, "人民币壹拾万零壹佰元整"),
            (10_000_001, "人民币壹拾万元零壹分"),
            (10_000_010, "人民币壹拾万元零壹角整"),
            (100_000_100, "人民币壹佰万零壹元整"),
            (1_000_000_000, "人民币壹仟万元整"),
            (1_050_000_000, "人民币壹仟零伍拾万元整"),
            (1_000_700_000, "人民币壹仟万零柒仟元整"),
            // 万/亿 boundaries
            (999_999, "人民币玖仟玖佰玖拾玖元玖角玖分"),
            (1_000_000, "人民币壹万元整"),
            (1_000_100, "人民币壹万零壹元整"),
            (9_999_999_999, "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
            (10_000_000_001, "人民币壹亿元零壹分"),
            (10_000_010_000, "人民币壹亿零壹佰元整"),
            (10_100_000_000, "人民币壹亿零壹佰万元整"),
            (11_000_000_000, "人民币壹亿壹仟万元整"),
            (99_999_999_999, "人民币玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
            (100_000_000_000, "人民币壹拾亿元整"),
            (105_000_000_000, "人民币壹拾亿零伍仟万元整"),
            // negative: prefix 负
            (-300, "人民币负叁元整"),
        ];
        for &(fen, want) in cases {
            assert_eq!(amount_in_words(fen), want, "fen = {fen}");
        }
    }

    #[test]
    fn amount_in_words_never_panics_on_extremes() {
        for fen in [i64::MAX, i64::MIN, i64::MIN + 1, MAX_AMOUNT_FEN + 1, -1] {
            let w = amount_in_words(fen);
            assert!(w.starts_with("人民币"), "{fen}: {w}");
        }
        // 10^16 yuan is read as 壹亿亿 rather than losing a unit.
        assert_eq!(amount_in_words(1_000_000_000_000_000_000), "人民币壹亿亿元整");
        assert_eq!(amount_in_words(100_010_000_000_000), "人民币壹万零壹亿元整");
        assert_eq!(amount_in_words(-1), "人民币负壹分");
    }

    #[test]
    fn money_bounds() {
        let cases: &[(i64, Result<i64, MoneyError>)] = &[
            (1, Ok(1)),
            (MAX_AMOUNT_FEN, Ok(MAX_AMOUNT_FEN)),
            (0, Err(MoneyError::NotPositive)),
            (-1, Err(MoneyError::NotPositive)),
            (i64::MIN, Err(MoneyError::NotPositive)),
            (MAX_AMOUNT_FEN + 1, Err(MoneyError::TooLarge)),
            (i64::MAX, Err(MoneyError::TooLarge)),
        ];
        for &(fen, want) in cases {
            assert_eq!(Money::from_fen(fen).map(Money::fen), want, "fen = {fen}");
        }
        let m = Money::from_fen(140_950).expect("valid amount");
        assert_eq!(m.in_words(), "人民币壹仟肆佰零玖元伍角整");
        assert!(MoneyError::TooLarge.zh().contains("10 亿元"));
        assert!(MoneyError::TooLarge.en().contains("1,000,000,000.00"));
        assert_eq!(MoneyError::NotPositive.zh(), "金额必须大于 0");
        assert_eq!(MoneyError::NotPositive.en(), "amount must be greater than 0");
    }

    #[test]
    fn format_yuan_table() {
        let cases: &[(i64, &str)] = &[
            (0, "¥0.00"),
            (1, "¥0.01"),
            (10, "¥0.10"),
            (140_950, "¥1,409.50"),
            (99_999, "¥999.99"),
            (100_000, "¥1,000.00"),
            (10_000_000, "¥100,000.00"),
            (MAX_AMOUNT_FEN, "¥1,000,000,000.00"),
            (-300, "-¥3.00"),
            (-140_950, "-¥1,409.50"),
            (i64::MAX, "¥92,233,720,368,547,758.07"),
            (i64::MIN, "-¥92,233,720,368,547,758.08"),
        ];
        for &(fen, want) in cases {
            assert_eq!(format_yuan(fen), want, "fen = {fen}");
        }
    }

    #[test]
    fn parse_yuan_table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1409.5", Some(140_950)),
            ("1,409.50", Some(140_950)),
            ("¥1,409.50", Some(140_950)),
            ("￥1409.50", Some(140_950)),
            (" ¥ 1409 ", Some(140_900)),
            ("0.01", Some(1)),
            ("0", Some(0)),
            ("1,000,000,000.00", Some(MAX_AMOUNT_FEN)),
            ("92233720368547758.07", Some(i64::MAX)),
            ("92233720368547758.08", None),
            ("99999999999999999999", None),
            ("", None),
            ("¥", None),
            (".5", None),
            ("1.", None),
            ("1.234", None),
            ("-3.00", None),
            ("+3", None),
            ("1e3", None),
            ("1,5", None),
            ("14,09.50", None),
            ("1,409,", None),
            (",409", None),
            ("1.5.0", None),
            ("1 409", None),
            ("１２３", None), // full-width digits
            ("壹佰元", None),
            ("NaN", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_yuan(s), want, "input = {s:?}");
        }
    }

    #[test]
    fn parse_format_round_trip() {
        for fen in [1, 99, 100, 140_950, 1_640_902, MAX_AMOUNT_FEN] {
            assert_eq!(parse_yuan(&format_yuan(fen)), Some(fen));
        }
    }
}
