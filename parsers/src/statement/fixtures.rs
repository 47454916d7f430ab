//! Every file in `tests/fixtures/statements/` (made by `make.py` there) parsed with no mapping.
use super::*;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/statements")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn line(p: &Parsed, amount_fen: i64) -> &Line {
    p.lines.iter().find(|l| l.amount_fen == amount_fen).unwrap_or_else(|| panic!("no line of {amount_fen} fen in {:#?}", p.lines))
}

#[test]
fn every_bank_fixture_is_recognised_with_its_lines_account_and_skipped_rows() {
    let expected = String::from_utf8(read("expected.tsv")).unwrap();
    let mut seen = Vec::new();
    for row in expected.lines().skip(1) {
        let [file, format, skipped, header_row] = row.split('\t').collect::<Vec<_>>()[..] else { panic!("{row}") };
        let p = parse_statement(file, &read(file), None).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(p.format, format, "{file}");
        assert_eq!(p.skipped.to_string(), skipped, "{file}: skipped");
        assert_eq!(p.header_row.to_string(), header_row, "{file}: header row");
        assert_eq!(p.problems, [], "{file}");
        seen.push(file.to_owned());
        if file == "generic-identical.csv" {
            let [a, b] = &p.lines[..] else { panic!("{file}: {:?}", p.lines) };
            assert_eq!((a.amount_fen, b.amount_fen, a.occurrence, b.occurrence), (-120_001, -120_001, 1, 2), "{file}");
            assert_ne!(a.fingerprint(), b.fingerprint());
            continue;
        }
        assert_eq!(p.account.as_deref(), Some("1202001209001234567"), "{file}: own account");
        assert_eq!(p.lines.len(), 5, "{file}: {:#?}", p.lines);
        let payout = line(&p, -120_001);
        assert_eq!(
            (payout.date.to_string().as_str(), payout.counterparty_name.as_str(), payout.counterparty_account.as_str()),
            ("2026-11-23", "财付通支付科技有限公司", "755915707910607"),
            "{file}"
        );
        assert_eq!(payout.reference, "小程序认证打款", "{file}");
        let refund = line(&p, 345_678);
        assert_eq!(
            (refund.date.to_string().as_str(), refund.counterparty_name.as_str(), refund.counterparty_account.as_str()),
            ("2026-11-25", "财付通支付科技有限公司", "755915707910607"),
            "{file}"
        );
        let salary = line(&p, -5_800_000);
        assert_eq!((salary.counterparty_name.as_str(), salary.counterparty_account.as_str()), ("张三", "6222020200112233445"), "{file}");
        assert_eq!(line(&p, -1_250).date.to_string(), "2026-11-24", "{file}");
        assert_eq!(line(&p, 2_000_000).counterparty_name, "深圳某某科技有限公司", "{file}");
        assert!(p.lines.iter().all(|l| l.occurrence == 1), "{file}");
    }
    // Every preset has a fixture, and every fixture is listed.
    for id in PRESETS.iter().map(|p| p.id).chain(["generic"]) {
        assert!(seen.iter().any(|f| f.starts_with(id)), "no fixture for {id}");
    }
    let on_disk = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| [".csv", ".txt", ".xls", ".xlsx"].iter().any(|x| n.ends_with(x)) && n != "unknown.csv")
        .count();
    assert_eq!(on_disk, seen.len(), "every fixture file is in expected.tsv");
}

#[test]
fn an_unrecognisable_fixture_is_an_unknown_format_naming_its_header_row() {
    let err = parse_statement("unknown.csv", &read("unknown.csv"), None).unwrap_err();
    assert_eq!(err, ParseError::UnknownFormat { header_row: 2, header: vec!["时间".into(), "钱".into(), "谁".into()] });
}

#[test]
fn a_mapping_still_reads_a_bank_export_under_its_title_rows() {
    let m = Mapping {
        date: "交易时间".into(),
        amount: Some("发生额".into()),
        direction: Some("借贷标志".into()),
        debit: None,
        credit: None,
        counterparty_name: "对方户名".into(),
        counterparty_account: Some("对方账号".into()),
        reference: Some("摘要".into()),
    };
    let p = parse_statement("bocom.xlsx", &read("bocom.xlsx"), Some(&m)).unwrap();
    assert_eq!((p.format.as_str(), p.header_row, p.lines.len()), ("mapping", 3, 5));
    assert_eq!(line(&p, -120_001).counterparty_account, "755915707910607");
    assert_eq!(p.account.as_deref(), Some("1202001209001234567"));
}

/// `cargo test --release --lib statement::fixtures::fifty_thousand_lines -- --ignored --nocapture`
/// (needs `python3 make.py --synthetic` files: see the test body).
#[test]
#[ignore]
fn fifty_thousand_lines_parse_quickly() {
    for name in ["big.csv", "big.xlsx"] {
        let path = std::env::temp_dir().join(name);
        let made =
            std::process::Command::new("python3").arg(dir().join("make.py")).args(["--synthetic", "50000"]).arg(&path).status().unwrap();
        assert!(made.success());
        let bytes = std::fs::read(&path).unwrap();
        let t = std::time::Instant::now();
        let p = parse_statement(name, &bytes, None).unwrap();
        println!("{name}: {} lines ({} bytes) parsed in {:?}", p.lines.len(), bytes.len(), t.elapsed());
        assert_eq!((p.format.as_str(), p.lines.len()), ("ccb", 50_000));
    }
}
