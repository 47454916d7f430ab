//! Everything that parses bytes or text a client sends (the `verifund-parsers` crate, which
//! this builds alone): amounts and 大写, credit codes and the other identifiers, the column
//! mapping a statement import sends, and bank statements (CSV in any encoding, xls, xlsx;
//! recognised from the header or read with a mapping). None of it may panic, whatever the
//! input. Request bodies as a whole are fuzzed through the API by schemathesis
//! (`tests/api/fuzz.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use verifund_parsers::{ids, money, statement};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match selector % 6 {
        0 => {
            if let Some(fen) = money::parse_yuan(&text) {
                let _ = money::amount_in_words(fen);
                let _ = money::format_yuan(fen);
            }
            if rest.len() >= 8 {
                let fen = i64::from_le_bytes(rest[..8].try_into().unwrap_or_default());
                let _ = money::amount_in_words(fen);
                let _ = money::Money::from_fen(fen);
            }
        }
        1 => {
            let _ = ids::CreditCode::parse(&text);
            let _ = ids::AccountNumber::parse(&text);
            let _ = ids::ResidentIdNumber::parse(&text);
            let _ = ids::MobilePhone::parse(&text);
            let _ = ids::Email::parse(&text);
            let _ = ids::AppId::parse(&text);
            let _ = ids::mask_id_number(&text);
            let _ = ids::mask_phone(&text);
        }
        2 => {
            let _ = serde_json::from_slice::<statement::Mapping>(rest);
        }
        3 => {
            // The banks' own layouts, recognised from the header (csv/txt in any encoding).
            let _ = statement::parse_statement("statement.csv", rest, None);
            let _ = statement::decode_text(rest);
        }
        4 => {
            // BIFF8 as a bank's .xls export.
            let _ = statement::parse_statement("statement.xls", rest, None);
        }
        _ => {
            // xlsx, recognised and with a mapping.
            let _ = statement::parse_statement("statement.xlsx", rest, None);
            let mapping = statement::Mapping {
                date: "日期".into(),
                amount: Some("金额".into()),
                debit: None,
                credit: None,
                direction: Some("借贷".into()),
                counterparty_name: "户名".into(),
                counterparty_account: None,
                reference: None,
            };
            let _ = statement::parse_statement("statement.xlsx", rest, Some(&mapping));
        }
    }
});
