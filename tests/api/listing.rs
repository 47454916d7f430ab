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
    // The mini-program is searched by its name and AppID too.
    body["mini_program"]["name"] = json!("青柠Ki记账");
    body["mini_program"]["appid"] = json!("wx9f3a5c7e1b2d4a6f");
    // Another request's number in the purpose: text that begins like a number is found in
    // any column, not only as the start of a number.
    body["purpose"] = json!("补 YF202501-99999 的差额");
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
    // PostgreSQL: with statistics, rare short text is found through its index and common
    // short text (腾讯, 商) by its `LIKE` alone; both are below.
    if backend_name() != "sqlite" {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, "ANALYZE requests").await.unwrap();
        let common = verifund::store::list::CommonGrams::default();
        let rare = |q: &str| verifund::store::list::ListQuery { q: Some(q.to_owned()), ..Default::default() };
        assert!(verifund::store::list::rare_short_text(&app.db, &common, &rare("青柠")).await.unwrap().is_some());
        assert!(verifund::store::list::rare_short_text(&app.db, &common, &rare("腾讯")).await.unwrap().is_none());
        // The rare word's few rows are read without a parallel plan, whose workers take
        // milliseconds to start.
        let workers = sea_orm::ConnectionTrait::query_one_raw(
            &app.db,
            sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, "SHOW max_parallel_workers_per_gather"),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(workers.try_get::<String>("", "max_parallel_workers_per_gather").unwrap(), "0");
    }
    let rows = request::Entity::find().all(&app.db).await.unwrap();
    let number_0007 = rows.iter().filter_map(|r| r.number.clone()).find(|n| n.ends_with("0007")).expect("a number ending 0007");
    for q in [
        "0007",
        number_0007.as_str(),
        "YF2025",
        "YF202501-9999",
        "YF",
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
        // The mini-program's name and AppID.
        "青柠Ki记账",
        "wx9f3a5c7e",
        // One and two characters: the short-text index, and the scan for what it does not hold.
        "青柠",
        "柠",
        "Ki",
        "kI",
        "9f",
        "F",
        "讯云",
        "腾",
        "-1",
        "%_",
    ] {
        let want: BTreeSet<i64> = rows
            .iter()
            .filter(|r| {
                let mp = |key: &str| r.mini_program.as_ref().and_then(|m| m[key].as_str()).unwrap_or_default().to_owned();
                r.number.as_deref().is_some_and(|n| contains(n, q))
                    || [&r.title, &r.payer_entity, &r.payee_name, &r.purpose, &mp("name"), &mp("appid")].iter().any(|f| contains(f, q))
            })
            .map(|r| i64::from(r.id))
            .collect();
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let (got, total) = all_ids(&app, &wangwu, &format!("q={encoded}")).await;
        assert_eq!(got, want, "q={q}");
        assert_eq!(total, want.len() as u64, "q={q}");
    }
    // A search in another order: the page holds the matches in that order (on PostgreSQL a
    // search with few matches finds them first and orders them after).
    let mut by_amount: Vec<(i64, i64)> = rows
        .iter()
        .filter(|r| [&r.title, &r.payer_entity, &r.payee_name, &r.purpose].iter().any(|f| contains(f, "星火传媒")))
        .map(|r| (r.amount_fen, i64::from(r.id)))
        .collect();
    by_amount.sort_unstable_by(|a, b| b.cmp(a));
    let q: String = form_urlencoded::byte_serialize("星火传媒".as_bytes()).collect();
    for page in [1, 2] {
        let path = format!("/api/v1/requests?q={q}&sort=-amount_fen&per_page=7&page={page}");
        let (s, list) = app.json(app.get(Some(&wangwu), &path).await).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let got: Vec<i64> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        let want: Vec<i64> = by_amount.iter().skip((page - 1) * 7).take(7).map(|x| x.1).collect();
        assert_eq!(got, want, "page {page}");
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

/// A deep page of the newest-first list is found again from where it began after requests
/// are created (they enter at the top and push it down), and by skipping rows again after any
/// other write: either way it holds the rows of the full order, filtered or not.
#[tokio::test]
async fn a_deep_page_follows_creations_and_every_other_write() {
    use sea_orm::{QueryOrder, QuerySelect};
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 1500, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    let zhangsan = app.login("zhangsan", verifund::demo::DEMO_PASSWORD).await;
    let check = async |when: &str| {
        for (query, offset) in
            [("per_page=20&page=55", 1080u64), ("per_page=100&page=11", 1000), ("per_page=20&page=51&from=2000-01-01", 1000)]
        {
            let (s, list): (StatusCode, Value) = app.json(app.get(Some(&wangwu), &format!("/api/v1/requests?{query}")).await).await;
            assert_eq!(s, StatusCode::OK, "{when} {query}: {list}");
            let got: Vec<i64> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
            let per_page = list["per_page"].as_u64().unwrap();
            let want: Vec<i64> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .order_by_desc(request::Column::Id)
                .offset(offset)
                .limit(per_page)
                .into_tuple::<i32>()
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect();
            assert_eq!(got.len() as u64, per_page, "{when} {query}");
            assert_eq!(got, want, "{when} {query}");
        }
    };
    let create = async || app.create_request(&zhangsan, request_body("advance_payment", 12_345)).await["id"].as_i64().unwrap();
    check("at first").await;
    create().await;
    check("after one creation").await;
    let a = create().await;
    create().await;
    create().await;
    check("after three more").await;
    check("asked again").await;
    // A deletion is not a creation: the page is found by skipping, and anchored again.
    let (s, v) = app.json(app.send(Method::DELETE, Some(&zhangsan), &format!("/api/v1/requests/{a}"), None).await).await;
    assert!(s.is_success(), "{s} {v}");
    check("after a deletion").await;
    create().await;
    create().await;
    check("after two creations since").await;
}

/// A searched list's pages follow creations that match the search and creations that do not,
/// and every other write. They are kept and found again from where they were: on PostgreSQL
/// short text is tested row by row in the list's order, and on SQLite the index answers these
/// searches alone (`anchored_page`).
#[tokio::test]
async fn searched_pages_follow_matching_and_other_creations_and_every_other_write() {
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    let app = spawn_app().await;
    verifund::demo::seed(&app.db, 0).await.unwrap();
    verifund::demo::seed_requests(&app.db, 300, chrono::Utc::now(), false).await.unwrap();
    let wangwu = app.login("wangwu", verifund::demo::DEMO_PASSWORD).await;
    let zhangsan = app.login("zhangsan", verifund::demo::DEMO_PASSWORD).await;
    let backend = app.db.get_database_backend();
    let check = async |when: &str| {
        for text in ["星火", "腾讯"] {
            let q: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            let mut total = None;
            for (page, per_page) in [(1u64, 5u64), (2, 5), (1, 20)] {
                let path = format!("/api/v1/requests?q={q}&page={page}&per_page={per_page}");
                let (s, list): (StatusCode, Value) = app.json(app.get(Some(&wangwu), &path).await).await;
                assert_eq!(s, StatusCode::OK, "{when} {path}: {list}");
                let got: Vec<i64> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
                let matching = request::Entity::find().filter(verifund::store::list::text_condition(text, backend));
                let want: Vec<i64> = matching
                    .clone()
                    .select_only()
                    .column(request::Column::Id)
                    .order_by_desc(request::Column::Id)
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                    .into_tuple::<i32>()
                    .all(&app.db)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(i64::from)
                    .collect();
                assert_eq!(got, want, "{when} {path}");
                total.get_or_insert(list["total"].clone());
            }
            assert!(total.and_then(|t| t.as_u64()).is_some_and(|t| t > 10), "{when} {text}: a page 2 to check");
        }
    };
    let create = async |payee: &str| {
        let mut body = request_body("advance_payment", 12_347);
        body["payee_name"] = json!(payee);
        app.create_request(&zhangsan, body).await["id"].as_i64().unwrap()
    };
    check("at first").await;
    create("深圳市星火传媒有限公司").await;
    check("after a creation that matches 星火").await;
    create("上海某某咨询有限公司").await;
    check("after one that matches neither").await;
    let a = create("深圳市星火传媒有限公司").await;
    create("深圳市腾讯计算机系统有限公司").await;
    create("深圳市星火传媒有限公司").await;
    check("after three more").await;
    check("asked again").await;
    let (s, v) = app.json(app.send(Method::DELETE, Some(&zhangsan), &format!("/api/v1/requests/{a}"), None).await).await;
    assert!(s.is_success(), "{s} {v}");
    check("after a deletion").await;
    for _ in 0..6 {
        create("深圳市星火传媒有限公司").await;
    }
    check("after more matches than a page holds").await;
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

/// Lists that can never show a draft (the to-do lists, a list of another status) are kept
/// while requesters only save drafts. Every list that can show a draft shows the draft's
/// writes at once, and every other write (a submission, a returned request edited, a rename)
/// shows everywhere at once.
#[tokio::test]
async fn a_saved_draft_shows_where_drafts_show_and_every_other_write_everywhere() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let list = async |token: &str, path: &str| {
        let (s, v) = app.json(app.get(Some(token), path).await).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    };
    let edit = async |id: i64, title: &str| {
        let (_, current) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/requests/{id}")).await).await;
        let path = format!("/api/v1/requests/{id}");
        let (s, v) =
            app.json(app.patch(Some(&o.requester.token), &path, json!({"version": current["version"], "title": title})).await).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    let first = app.create_request(&o.requester.token, request_body("verification_transfer", 10_101)).await;
    let first = first["id"].as_i64().unwrap();
    let (s, e) = app.act(&o.requester.token, first, "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let tasks = list(&o.manager.token, "/api/v1/tasks").await;
    assert_eq!(tasks["total"], 1, "{tasks}");
    let pending = list(&o.finance1.token, "/api/v1/requests?status=pending_manager").await;
    assert_eq!(pending["total"], 1, "{pending}");

    // A draft saved, saved again and deleted: the lists that show drafts follow each write.
    let draft = app.create_request(&o.requester.token, request_body("verification_transfer", 20_202)).await;
    let draft = draft["id"].as_i64().unwrap();
    let drafts = list(&o.finance1.token, "/api/v1/requests?status=draft").await;
    assert_eq!((drafts["total"].as_u64(), drafts["items"][0]["id"].as_i64()), (Some(1), Some(draft)), "{drafts}");
    assert_eq!(list(&o.requester.token, "/api/v1/requests").await["total"], 2);
    edit(draft, "改过的草稿").await;
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=draft").await["items"][0]["title"], "改过的草稿");
    let q: String = form_urlencoded::byte_serialize("改过的草稿".as_bytes()).collect();
    assert_eq!(list(&o.finance1.token, &format!("/api/v1/requests?q={q}")).await["total"], 1);
    // …and nobody's to-do list or list of another status changed.
    assert_eq!(list(&o.manager.token, "/api/v1/tasks").await, tasks);
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=pending_manager").await, pending);
    let other = app.create_request(&o.requester.token, request_body("verification_transfer", 30_303)).await;
    let other = other["id"].as_i64().unwrap();
    let (s, v) = app.json(app.send(Method::DELETE, Some(&o.requester.token), &format!("/api/v1/requests/{other}"), None).await).await;
    assert!(s.is_success(), "{s} {v}");
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=draft").await["total"], 1);

    // The draft is submitted: it is everybody's business now.
    let (s, e) = app.act(&o.requester.token, draft, "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let tasks = list(&o.manager.token, "/api/v1/tasks").await;
    assert_eq!(tasks["total"], 2, "{tasks}");
    assert!(tasks["items"].as_array().unwrap().iter().any(|r| r["id"] == draft), "{tasks}");
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=pending_manager").await["total"], 2);
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=draft").await["total"], 0);

    // Returned and edited: not a draft, so the list of returned requests shows the edit.
    let (s, e) = app.act(&o.manager.token, draft, "reject", json!({"comment": "请补充用途"})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let returned = list(&o.finance1.token, "/api/v1/requests?status=returned").await;
    assert_eq!(returned["items"][0]["title"], "改过的草稿", "{returned}");
    assert_eq!(list(&o.requester.token, "/api/v1/tasks").await["counts"]["resubmit"], 1);
    edit(draft, "退回后改过").await;
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=returned").await["items"][0]["title"], "退回后改过");
    assert_eq!(list(&o.requester.token, "/api/v1/tasks").await["items"][0]["title"], "退回后改过");

    // A rename shows in the kept lists at once.
    let path = format!("/api/v1/users/{}", o.requester.id);
    let (s, e) = app.json(app.patch(Some(&o.admin.token), &path, json!({"display_name": "张三（改名）"})).await).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(list(&o.manager.token, "/api/v1/tasks").await["items"][0]["requester_name"], "张三（改名）");
    assert_eq!(list(&o.finance1.token, "/api/v1/requests?status=pending_manager").await["items"][0]["requester_name"], "张三（改名）");
}

/// A counted total (a search, a filter) kept from before follows the requests created since,
/// those that match and those that do not, and is counted afresh after any other write.
#[tokio::test]
async fn a_counted_total_follows_creations_edits_and_deletes() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let total = async |query: &str| {
        let (s, v) = app.json(app.get(Some(&o.finance1.token), &format!("/api/v1/requests?per_page=1&{query}")).await).await;
        assert_eq!(s, StatusCode::OK, "{query}: {v}");
        v["total"].as_u64().unwrap()
    };
    let payee = form_urlencoded::byte_serialize("星火传媒".as_bytes()).collect::<String>();
    let short = form_urlencoded::byte_serialize("星火".as_bytes()).collect::<String>();
    let mine = format!("requester_id={}", o.requester.id);
    let queries = [format!("q={payee}"), format!("q={short}"), mine.clone(), format!("q={payee}&kind=advance_payment")];
    let totals = async || {
        let mut out = Vec::new();
        for q in &queries {
            out.push(total(q).await);
        }
        out
    };
    assert_eq!(totals().await, [0, 0, 0, 0]);
    let create = async |payee: &str, kind: &str| {
        let mut body = request_body(kind, 10_101);
        body["payee_name"] = json!(payee);
        app.create_request(&o.requester.token, body).await["id"].as_i64().unwrap()
    };
    let a = create("深圳市星火传媒有限公司", "advance_payment").await;
    assert_eq!(totals().await, [1, 1, 1, 1]);
    create("深圳市星火传媒有限公司", "verification_transfer").await;
    create("财付通支付科技有限公司", "advance_payment").await;
    assert_eq!(totals().await, [2, 2, 3, 1]);
    // Another requester's request: finance counts it, the requester filter does not.
    let mut body = request_body("advance_payment", 20_202);
    body["payee_name"] = json!("星火传媒（广州）");
    app.create_request(&o.finance2.token, body).await;
    assert_eq!(totals().await, [3, 3, 3, 2]);
    // An edit that moves a request out of the search.
    let (_, current) = app.json(app.get(Some(&o.requester.token), &format!("/api/v1/requests/{a}")).await).await;
    let path = format!("/api/v1/requests/{a}");
    let (s, v) = app
        .json(app.patch(Some(&o.requester.token), &path, json!({"version": current["version"], "payee_name": "另一家公司"})).await)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(totals().await, [2, 2, 3, 1]);
    create("深圳市星火传媒有限公司", "advance_payment").await;
    assert_eq!(totals().await, [3, 3, 4, 2]);
    let (s, v) = app.json(app.send(Method::DELETE, Some(&o.requester.token), &path, None).await).await;
    assert!(s.is_success(), "{s} {v}");
    assert_eq!(totals().await, [3, 3, 3, 2]);
}
