//! Finance figures (DESIGN §2.7): the database's sums equal sums over the same rows.
use crate::common::*;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifund::domain::calendar::Calendar;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// An approved request of `kind`; refundable unless it is a certification fee.
async fn approved_kind(app: &TestApp, o: &Org, kind: &str, amount: i64) -> Value {
    let mut body = request_body(kind, amount);
    body["order_date"] = json!("2026-01-05");
    if kind == "advance_payment" {
        body["refundable"] = json!(true);
    }
    approved(app, o, body).await
}

struct Payout {
    paid_at: &'static str,
    amount: i64,
    refundable: bool,
}

struct Refund {
    payout: usize,
    refunded_at: &'static str,
    amount: i64,
}

#[tokio::test]
async fn monthly_figures_and_refund_aging_equal_sums_over_the_same_rows() {
    let (app, clock) = app_at("2026-01-05").await;
    let o = org(&app).await;
    let payouts = [
        Payout { paid_at: "2026-01-06", amount: 10_001, refundable: true },
        Payout { paid_at: "2026-01-20", amount: 20_002, refundable: true },
        Payout { paid_at: "2026-02-03", amount: 30_003, refundable: true },
        Payout { paid_at: "2026-02-10", amount: 30_000, refundable: false },
        Payout { paid_at: "2026-02-27", amount: 7_007, refundable: true },
        Payout { paid_at: "2026-03-09", amount: 6_006, refundable: true },
        Payout { paid_at: "2026-03-16", amount: 5_005, refundable: true },
    ];
    let refunds = [
        Refund { payout: 0, refunded_at: "2026-02-02", amount: 4_000 },
        Refund { payout: 0, refunded_at: "2026-03-03", amount: 6_001 },
        Refund { payout: 1, refunded_at: "2026-02-16", amount: 20_002 },
        Refund { payout: 2, refunded_at: "2026-03-10", amount: 1_000 },
        Refund { payout: 5, refunded_at: "2026-03-18", amount: 6 },
    ];
    let mut requests = Vec::new();
    for p in &payouts {
        let kind = if p.refundable { "advance_payment" } else { "certification_fee" };
        requests.push(approved_kind(&app, &o, kind, p.amount).await);
    }
    clock.set(china_morning("2026-03-20"));
    for (p, r) in payouts.iter().zip(&requests) {
        let body = json!({"paid_at": p.paid_at, "amount_fen": p.amount, "reference": format!("P-{}", p.paid_at)});
        let (s, b) = app.act(&o.finance2.token, id(r), "payout", body).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    for f in &refunds {
        let body = json!({"refunded_at": f.refunded_at, "amount_fen": f.amount, "reference": format!("R-{}", f.refunded_at)});
        let (s, b) = app.act(&o.finance1.token, id(&requests[f.payout]), "refund", body).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    let (s, body) = app.json(app.get(Some(&o.auditor.token), "/api/v1/stats/monthly?from=2025-12&to=2026-04").await).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let months: Vec<&str> = body["months"].as_array().unwrap().iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(months, ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"], "every month, empty ones included");
    for m in body["months"].as_array().unwrap() {
        let month = m["month"].as_str().unwrap();
        let end = format!("{month}-31");
        let in_month = |date: &str| date.starts_with(month);
        let by_end = |date: &str| date <= end.as_str();
        let paid: Vec<&Payout> = payouts.iter().filter(|p| in_month(p.paid_at)).collect();
        let back: Vec<&Refund> = refunds.iter().filter(|r| in_month(r.refunded_at)).collect();
        let outstanding = payouts.iter().filter(|p| p.refundable && by_end(p.paid_at)).map(|p| p.amount).sum::<i64>()
            - refunds.iter().filter(|r| by_end(r.refunded_at)).map(|r| r.amount).sum::<i64>();
        assert_eq!(m["payouts"], json!({"count": paid.len(), "amount_fen": paid.iter().map(|p| p.amount).sum::<i64>()}), "{month}");
        assert_eq!(m["refunds"], json!({"count": back.len(), "amount_fen": back.iter().map(|r| r.amount).sum::<i64>()}), "{month}");
        assert_eq!(m["outstanding_fen"], outstanding, "{month}");
    }
    assert_eq!(body["months"][3]["outstanding_fen"], 30_003 - 1_000 + 7_007 + 6_006 - 6 + 5_005);

    // A range starting after payouts carries the balance in from before it.
    let (_, later) = app.json(app.get(Some(&o.finance1.token), "/api/v1/stats/monthly?from=2026-03&to=2026-03").await).await;
    assert_eq!(later["months"][0], body["months"][3]);
    // The default is the twelve months up to the current one.
    let (_, default) = app.json(app.get(Some(&o.admin.token), "/api/v1/stats/monthly").await).await;
    assert_eq!((default["from"].as_str(), default["to"].as_str()), (Some("2025-04"), Some("2026-03")));
    assert_eq!(default["months"].as_array().unwrap().len(), 12);
    assert_eq!(default["months"][11], body["months"][3]);

    // Aging: what is still out, by working days from the payout to today (2026-03-20).
    let (s, aging) = app.json(app.get(Some(&o.finance2.token), "/api/v1/stats/refund-aging").await).await;
    assert_eq!(s, StatusCode::OK, "{aging}");
    let calendar = Calendar::builtin();
    let mut want = [("0-5", 0, 0i64), ("6-10", 0, 0), ("11-20", 0, 0), ("21+", 0, 0)];
    for (i, p) in payouts.iter().enumerate().filter(|(_, p)| p.refundable) {
        let open = p.amount - refunds.iter().filter(|r| r.payout == i).map(|r| r.amount).sum::<i64>();
        if open == 0 {
            continue;
        }
        let days = calendar.working_days_between(d(p.paid_at), d("2026-03-20")).value;
        let bucket = match days {
            ..=5 => 0,
            6..=10 => 1,
            11..=20 => 2,
            _ => 3,
        };
        want[bucket].1 += 1;
        want[bucket].2 += open;
    }
    let want: Vec<Value> = want.iter().map(|(b, n, a)| json!({"bucket": b, "count": n, "amount_fen": a})).collect();
    assert_eq!(aging["buckets"], json!(want));
    // 3/16 → 4 days; 3/9 → 9; 2/27 → 16 (2/28 is a make-up Saturday); 2/3 → well past 20.
    assert_eq!(
        aging["buckets"],
        json!([
            {"bucket": "0-5", "count": 1, "amount_fen": 5_005},
            {"bucket": "6-10", "count": 1, "amount_fen": 6_000},
            {"bucket": "11-20", "count": 1, "amount_fen": 7_007},
            {"bucket": "21+", "count": 1, "amount_fen": 29_003},
        ])
    );
}

#[tokio::test]
async fn figures_are_for_finance_auditors_and_admins_and_refuse_bad_months() {
    let (app, _clock) = app_at("2026-03-20").await;
    let o = org(&app).await;
    for path in ["/api/v1/stats/monthly", "/api/v1/stats/refund-aging"] {
        for who in [&o.requester, &o.manager] {
            let (s, _) = app.json(app.get(Some(&who.token), path).await).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path} {}", who.username);
        }
        let (s, _) = app.json(app.get(None, path).await).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, aging) = app.json(app.get(Some(&o.finance1.token), "/api/v1/stats/refund-aging").await).await;
    assert_eq!(s, StatusCode::OK);
    let buckets: Vec<&str> = aging["buckets"].as_array().unwrap().iter().map(|b| b["bucket"].as_str().unwrap()).collect();
    assert_eq!(buckets, ["0-5", "6-10", "11-20", "21+"], "all four, even empty");
    for (query, field) in [
        ("from=2026-13", "from"),
        ("from=2026-1", "from"),
        ("to=2026-03-01", "to"),
        ("from=2026-04&to=2026-03", "from"),
        ("from=2016-03&to=2026-03", "to"),
        ("month=2026-03", "month"),
    ] {
        let (s, p) = app.json(app.get(Some(&o.finance1.token), &format!("/api/v1/stats/monthly?{query}")).await).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    let (s, body) = app.json(app.get(Some(&o.finance1.token), "/api/v1/stats/monthly?from=2016-04&to=2026-03").await).await;
    assert_eq!(s, StatusCode::OK, "120 months is allowed");
    assert_eq!(body["months"].as_array().unwrap().len(), 120);
    assert!(body["months"].as_array().unwrap().iter().all(|m| m["outstanding_fen"] == 0));
}
