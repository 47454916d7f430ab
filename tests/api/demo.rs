//! `demo seed` without `--requests`: a living history in every state, through the one path.
use crate::common::*;
use entity::request;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::collections::BTreeSet;

#[tokio::test]
async fn the_demo_history_has_every_state_verifies_and_is_seeded_once() {
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    let now = chrono::Utc::now();
    let seeded = verifund::demo::seed_history(&app.db, &app.state.config, now).await.unwrap().expect("seeded the first time");
    let all = request::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), seeded.requests);
    assert!(all.len() >= 30, "a few dozen requests");
    let states: BTreeSet<&str> = all.iter().map(|r| r.status.as_str()).collect();
    let every =
        ["draft", "pending_manager", "pending_finance", "approved", "paid", "refunded", "returned", "withdrawn", "expired", "closed"];
    assert_eq!(states, every.into_iter().collect(), "every state");
    let months: BTreeSet<String> = all.iter().filter_map(|r| r.paid_at).map(|d| d.format("%Y-%m").to_string()).collect();
    assert!(months.len() >= 4, "payouts over several months: {months:?}");

    let report = verifund::store::audit::verify_chain(&app.db).await.unwrap();
    assert!(report.first_broken.is_none(), "{:?}", report.first_broken);
    assert!(report.events > 100);

    // Who to log in as sees what the guide says.
    let pw = verifund::demo::DEMO_PASSWORD;
    let (lisi, wangwu, zhouba) = (app.login("lisi", pw).await, app.login("wangwu", pw).await, app.login("zhouba", pw).await);
    let (_, tasks) = app.json(app.get(Some(&lisi), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["manager_approval"], seeded.manager_tasks as u64, "{}", tasks["counts"]);
    let (_, tasks) = app.json(app.get(Some(&zhouba), "/api/v1/tasks").await).await;
    assert_eq!(tasks["total"], 1, "周八 stands in for 吴九 on the 分管领导 step");
    assert_eq!(tasks["items"][0]["current_step"]["name"], "分管领导", "{}", tasks["items"][0]);
    for (flag, at_least) in [("refund_overdue", 2), ("refund_mismatch", 1)] {
        let (s, list) = app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?flag={flag}")).await).await;
        assert_eq!(s, StatusCode::OK);
        assert!(list["total"].as_u64().unwrap() >= at_least, "{flag}: {}", list["total"]);
    }
    let (_, figures) = app.json(app.get(Some(&wangwu), "/api/v1/stats/monthly").await).await;
    assert!(figures["months"].as_array().unwrap().iter().filter(|m| m["payouts"]["count"].as_i64() > Some(0)).count() >= 4);

    // A second seed adds nothing.
    verifund::demo::seed(&app.db, 0).await.unwrap();
    assert!(verifund::demo::seed_history(&app.db, &app.state.config, chrono::Utc::now()).await.unwrap().is_none());
    assert_eq!(request::Entity::find().count(&app.db).await.unwrap(), seeded.requests as u64);
}

/// `demo seed --requests N` on top of the living history: two years in every state, numbers
/// that never collide, list totals that match the rows, and an audit chain that verifies.
#[tokio::test]
async fn a_bulk_seed_covers_every_state_over_two_years_and_the_chain_verifies() {
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    let now = chrono::Utc::now();
    verifund::demo::seed_history(&app.db, &app.state.config, now).await.unwrap().expect("the living history");
    let before = request::Entity::find().count(&app.db).await.unwrap();
    let seeded = verifund::demo::seed_requests(&app.db, 2000, now, false).await.unwrap();
    assert_eq!(seeded.requests, 2000);
    let all = request::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len() as u64, before + 2000);

    let every =
        ["draft", "pending_manager", "pending_finance", "approved", "paid", "refunded", "returned", "withdrawn", "expired", "closed"];
    let new: Vec<&request::Model> = all.iter().filter(|r| r.id > before as i32).collect();
    let states: BTreeSet<&str> = new.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(states, every.into_iter().collect(), "every state");
    let today = verifund::clock::china_date(now);
    let oldest = new.iter().map(|r| r.order_date).min().unwrap();
    assert!((today - oldest).num_days() > 600, "two years back: {oldest}");
    let numbers: Vec<&str> = all.iter().filter_map(|r| r.number.as_deref()).collect();
    let distinct: BTreeSet<&str> = numbers.iter().copied().collect();
    assert_eq!(numbers.len(), distinct.len(), "numbers never collide with the living history's");
    assert!(new.iter().filter(|r| r.status != "draft").all(|r| r.number.is_some() && r.chain.is_some()));
    assert!(new.iter().filter(|r| r.status == "refunded").all(|r| r.refund_amount_fen == r.payout_amount_fen));
    let kinds: BTreeSet<&str> = new.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    let requesters: BTreeSet<i32> = new.iter().map(|r| r.requester_id).collect();
    assert!(requesters.len() >= 5, "several requesters");

    let report = verifund::store::audit::verify_chain(&app.db).await.unwrap();
    assert!(report.first_broken.is_none(), "{:?}", report.first_broken);
    assert!(report.events > 2000 * 3, "the history's events: {}", report.events);

    // What the lists say matches the rows.
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    let (s, list) = app.json(app.get(Some(&wangwu), "/api/v1/requests?per_page=5").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], all.len() as u64);
    let mut sum = 0;
    for status in every {
        let (_, list) = app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?status={status}")).await).await;
        let n = list["total"].as_u64().unwrap();
        sum += n;
        if !matches!(status, "pending_manager" | "pending_finance" | "approved" | "expired") {
            assert_eq!(n, all.iter().filter(|r| r.status == status).count() as u64, "{status}");
        }
    }
    assert_eq!(sum, all.len() as u64, "the status filters split the list");
    for flag in ["refund_overdue", "refund_mismatch"] {
        let (_, list) = app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?flag={flag}")).await).await;
        assert!(list["total"].as_u64().unwrap() >= 5, "{flag}: {}", list["total"]);
    }
    // A manager of one of the new departments has requests waiting.
    let chenyu = app.login("chenyu", verifund::demo::DEMO_PASSWORD).await;
    let (_, tasks) = app.json(app.get(Some(&chenyu), "/api/v1/tasks").await).await;
    assert!(tasks["counts"]["manager_approval"].as_u64().unwrap() > 0, "{}", tasks["counts"]);
}
