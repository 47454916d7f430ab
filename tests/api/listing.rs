//! The fast paths of `GET /requests`: the indexed text search finds exactly what a plain
//! substring match finds, the stored per-status totals stay exact through creates,
//! transitions and deletes, and deep pages hold the right rows.
use crate::common::*;
use entity::request;
use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every id the list answers for `query` (all pages), and its `total`.
async fn all_ids(app: &TestApp, token: &str, query: &str) -> (BTreeSet<i64>, u64) {
    let mut ids = BTreeSet::new();
    let mut total = 0;
    for page in 1.. {
        let (s, list) = app.json(app.get(Some(token), &format!("/api/v1/requests?{query}&per_page=200&page={page}")).await).await;
        assert_eq!(s, StatusCode::OK, "{query}: {list}");
        total = list["total"].as_u64().unwrap();
        let items = list["items"].as_array().unwrap();
        ids.extend(items.iter().map(|r| r["id"].as_i64().unwrap()));
        if items.len() < 200 {
            break;
        }
    }
    (ids, total)
}

/// `LIKE '%q%'` as each database means it: SQLite folds ASCII case, PostgreSQL does not.
fn contains(hay: &str, needle: &str) -> bool {
    if backend_name() == "sqlite" { hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()) } else { hay.contains(needle) }
}

#[tokio::test]
async fn the_indexed_search_finds_exactly_what_a_substring_match_finds() {
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 1500, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    // One request with mixed case, wildcards and a quote, created and then renamed, so the
    // index follows inserts and updates.
    let zhangsan = app.login("zhangsan", verifund::demo::DEMO_PASSWORD).await;
    let mut body = request_body("verification_transfer", 12_345);
    body["title"] = json!("Risun \"Mall\" 100%_off 腾讯");
    let created = app.create_request(&zhangsan, body).await;
    let id = created["id"].as_i64().unwrap();
    let res = app
        .send(
            Method::PATCH,
            Some(&zhangsan),
            &format!("/api/v1/requests/{id}"),
            Some(json!({"version": created["version"], "title": "Risun \"Mall\" 100%_off 腾讯云"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows = request::Entity::find().all(&app.db).await.unwrap();
    let number_0007 = rows.iter().filter_map(|r| r.number.clone()).find(|n| n.ends_with("0007")).expect("a number ending 0007");
    for q in [
        "0007",
        number_0007.as_str(),
        "YF2025",
        "日升商城12",
        "腾讯",
        "腾讯云",
        "财付通",
        "星火传媒",
        "推广",
        "认证费",
        "risun",
        "MALL",
        "\"Mall\"",
        "100%_",
        "%",
        "商",
        "07",
        "科技（深圳）",
        "no such text anywhere",
    ] {
        let want: BTreeSet<i64> = rows
            .iter()
            .filter(|r| {
                r.number.as_deref().is_some_and(|n| contains(n, q))
                    || [&r.title, &r.payer_entity, &r.payee_name, &r.purpose].iter().any(|f| contains(f, q))
            })
            .map(|r| i64::from(r.id))
            .collect();
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let (got, total) = all_ids(&app, &wangwu, &format!("q={encoded}")).await;
        assert_eq!(got, want, "q={q}");
        assert_eq!(total, want.len() as u64, "q={q}");
    }
    // The renamed title is found by its new text only.
    let (got, _) = all_ids(&app, &wangwu, "q=%E8%85%BE%E8%AE%AF%E4%BA%91").await;
    assert!(got.contains(&id));
    // Combined with a status filter, and after a delete.
    let (s, _) = app.json(app.send(Method::DELETE, Some(&zhangsan), &format!("/api/v1/requests/{id}"), None).await).await;
    assert!(s.is_success(), "{s}");
    let (got, _) = all_ids(&app, &wangwu, "q=Risun&status=draft").await;
    assert!(!got.contains(&id), "a deleted request is gone from the index");
}

/// Totals per status as the database has them.
async fn stored(app: &TestApp) -> Vec<(String, u64)> {
    let rows = request::Entity::find().all(&app.db).await.unwrap();
    ["draft", "pending_manager", "pending_finance", "approved", "paid", "refunded", "returned", "withdrawn", "expired", "closed"]
        .iter()
        .map(|s| (s.to_string(), rows.iter().filter(|r| r.status == *s).count() as u64))
        .collect()
}

async fn assert_totals(app: &TestApp, token: &str, when: &str) {
    let want = stored(app).await;
    let (_, list) = app.json(app.get(Some(token), "/api/v1/requests?per_page=1").await).await;
    assert_eq!(list["total"], want.iter().map(|(_, n)| n).sum::<u64>(), "{when}: unfiltered");
    for (status, n) in want {
        let (_, list) = app.json(app.get(Some(token), &format!("/api/v1/requests?status={status}&per_page=1")).await).await;
        assert_eq!(list["total"], n, "{when}: status={status}");
    }
}

#[tokio::test]
async fn totals_stay_exact_through_creates_transitions_and_deletes() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let fin = o.finance1.token.clone();
    assert_totals(&app, &fin, "empty").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let r = app.create_request(&o.requester.token, request_body("verification_transfer", 1_000 + i)).await;
        ids.push(r["id"].as_i64().unwrap());
    }
    assert_totals(&app, &fin, "after creates").await;
    let (s, _) = app.act(&o.requester.token, ids[0], "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.act(&o.requester.token, ids[1], "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_totals(&app, &fin, "after submits").await;
    let (s, _) = app.act(&o.manager.token, ids[0], "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.act(&o.manager.token, ids[1], "reject", json!({"comment": "请补充"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_totals(&app, &fin, "after decisions").await;
    let (s, body) = app.json(app.send(Method::DELETE, Some(&o.requester.token), &format!("/api/v1/requests/{}", ids[2]), None).await).await;
    assert!(s.is_success(), "{s} {body}");
    assert_totals(&app, &fin, "after a delete").await;
    let approved = approved(&app, &o, request_body("verification_transfer", 777)).await;
    assert_eq!(approved["status"], "approved");
    assert_totals(&app, &fin, "after an approval").await;
}

#[tokio::test]
async fn deep_pages_hold_the_rows_of_the_full_order() {
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 1200, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    let rows = request::Entity::find().all(&app.db).await.unwrap();
    let mut by_id: Vec<i64> = rows.iter().map(|r| i64::from(r.id)).collect();
    by_id.sort_unstable_by(|a, b| b.cmp(a));
    let mut by_amount: Vec<(i64, i64)> = rows.iter().map(|r| (r.amount_fen, i64::from(r.id))).collect();
    // `-amount_fen`: largest first, ties newest first.
    by_amount.sort_unstable_by(|a, b| b.cmp(a));
    for (sort, order) in [("-id", by_id.clone()), ("-amount_fen", by_amount.iter().map(|x| x.1).collect())] {
        for page in [1u64, 2, 30, 60, 61] {
            let (s, list): (StatusCode, Value) =
                app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?sort={sort}&per_page=20&page={page}")).await).await;
            assert_eq!(s, StatusCode::OK);
            let got: Vec<i64> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
            let start = ((page - 1) * 20) as usize;
            let want: Vec<i64> = order.iter().skip(start).take(20).copied().collect();
            assert_eq!(got, want, "sort={sort} page={page}");
            assert_eq!(list["total"], rows.len() as u64);
        }
    }
}

/// Lists and to-do lists are served from memory while nothing changes: asked again after a
/// write, a rename or on the next day they must show it at once.
#[tokio::test]
async fn a_list_asked_again_shows_every_write_rename_and_new_day_at_once() {
    let (app, clock) = app_at("2026-04-03").await;
    let o = org(&app).await;
    let list = async |token: &str, path: &str| {
        let (s, v) = app.json(app.get(Some(token), path).await).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    };
    let finance_list = "/api/v1/requests?per_page=5";
    let empty = list(&o.finance1.token, finance_list).await;
    assert_eq!(empty["total"], 0);

    // A write: the requester's new draft and its submission appear for finance and the manager.
    let mut body = request_body("verification_transfer", 10_101);
    body["order_date"] = json!("2026-04-03");
    let r = app.create_request(&o.requester.token, body).await;
    let id = r["id"].as_i64().unwrap();
    let (s, e) = app.act(&o.requester.token, id, "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    for _ in 0..2 {
        let shown = list(&o.finance1.token, finance_list).await;
        assert_eq!((shown["total"].as_u64(), shown["items"][0]["id"].as_i64()), (Some(1), Some(id)), "{shown}");
        assert_eq!(shown["items"][0]["status"], "pending_manager");
        let tasks = list(&o.manager.token, "/api/v1/tasks").await;
        assert_eq!((tasks["total"].as_u64(), tasks["counts"]["manager_approval"].as_u64()), (Some(1), Some(1)), "{tasks}");
    }
    // The same list for another caller is that caller's own: the requester may edit nothing now,
    // and the manager may approve.
    let mine = list(&o.requester.token, finance_list).await;
    assert!(!mine["items"][0]["allowed_actions"].as_array().unwrap().contains(&json!("approve")), "{mine}");
    let managers = list(&o.manager.token, finance_list).await;
    assert!(managers["items"][0]["allowed_actions"].as_array().unwrap().contains(&json!("approve")), "{managers}");

    // The manager approves: their to-do list empties, finance's fills.
    let (s, e) = app.act(&o.manager.token, id, "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let tasks = list(&o.manager.token, "/api/v1/tasks").await;
    assert_eq!(tasks["total"], 0, "{tasks}");
    let tasks = list(&o.finance1.token, "/api/v1/tasks").await;
    assert_eq!((tasks["total"].as_u64(), tasks["items"][0]["id"].as_i64()), (Some(1), Some(id)), "{tasks}");
    assert_eq!(list(&o.finance1.token, finance_list).await["items"][0]["status"], "pending_finance");

    // A rename shows in the list at once.
    let (s, e) = app
        .json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.requester.id), json!({"display_name": "张三（改名）"})).await)
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(list(&o.finance1.token, finance_list).await["items"][0]["requester_name"], "张三（改名）");

    // The next days: the order lapses (pay-by is ten days after it was placed) and reads as
    // expired, though nothing was written.
    clock.set(china_morning("2026-04-14"));
    let shown = list(&o.finance1.token, finance_list).await;
    assert_eq!(shown["items"][0]["status"], "expired", "{shown}");
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=expired").await["total"], 1);
}
