//! Batch approval (DESIGN §2.7): each item decided as it would be alone, in its own
//! transaction, with its own answer and audit event.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// A verification transfer of `amount` submitted by the org's requester, waiting on the manager.
async fn submitted(app: &TestApp, o: &Org, amount: i64) -> Value {
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", amount)).await;
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

fn item(r: &Value) -> Value {
    json!({"id": r["id"], "version": r["version"]})
}

async fn batch(app: &TestApp, token: &str, action: &str, body: Value) -> (StatusCode, Value) {
    app.call(token, &format!("/api/v1/requests/batch/{action}"), body).await
}

async fn audit_count(app: &TestApp, o: &Org, request_id: i64, action: &str) -> usize {
    let (s, a) = app.json(app.get(Some(&o.auditor.token), &format!("/api/v1/audit?request_id={request_id}&action={action}")).await).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    a["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_stale_item_is_a_409_and_the_others_go_through_each_audited() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (a, b, c) = (submitted(&app, &o, 101).await, submitted(&app, &o, 202).await, submitted(&app, &o, 303).await);
    let stale = json!({"id": c["id"], "version": c["version"].as_i64().unwrap() - 1});
    let (s, body) = batch(
        &app,
        &o.manager.token,
        "approve",
        json!({"items": [item(&a), stale, item(&b), {"id": 999_999, "version": 1}], "comment": "一并同意"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<(i64, i64)> = results.iter().map(|r| (r["id"].as_i64().unwrap(), r["status"].as_i64().unwrap())).collect();
    assert_eq!(statuses, [(id(&a), 200), (id(&c), 409), (id(&b), 200), (999_999, 404)], "in the order asked");
    assert_eq!(results[0]["request"]["status"], "pending_finance");
    assert!(results[0].get("problem").is_none());
    assert_eq!(results[1]["problem"]["code"], "version_conflict");
    assert_eq!(results[1]["problem"]["status"], 409);
    assert!(results[1]["problem"]["detail"].as_str().unwrap().contains("已被他人修改"), "{}", results[1]["problem"]);
    assert!(results[1].get("request").is_none());
    assert_eq!(results[3]["problem"]["code"], "not_found");

    assert_eq!(app.detail(&o.manager.token, id(&b)).await["status"], "pending_finance");
    assert_eq!(app.detail(&o.manager.token, id(&c)).await["status"], "pending_manager", "the stale one is untouched");
    for r in [&a, &b] {
        assert_eq!(audit_count(&app, &o, id(r), "approve").await, 1, "each item has its own audit event");
    }
    assert_eq!(audit_count(&app, &o, id(&c), "approve").await, 0);
    let timeline = app.detail(&o.requester.token, id(&a)).await["timeline"].as_array().unwrap().clone();
    assert_eq!(timeline.last().unwrap()["comment"], "一并同意", "the one opinion is kept with each decision");

    // The problem is in the caller's language.
    let res = app
        .client
        .post(app.url("/api/v1/requests/batch/approve"))
        .bearer_auth(&o.manager.token)
        .header("Accept-Language", "en")
        .json(&json!({"items": [{"id": id(&c), "version": 1}]}))
        .send()
        .await
        .unwrap();
    let (_, body) = app.json(res).await;
    assert!(body["results"][0]["problem"]["detail"].as_str().unwrap().contains("changed by someone else"), "{body}");
}

#[tokio::test]
async fn a_requester_cannot_batch_approve_their_own_and_each_item_answers_as_alone() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let own = submitted(&app, &o, 404).await;
    let (s, body) = batch(&app, &o.requester.token, "approve", json!({"items": [item(&own)]})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["status"], 403, "{body}");
    assert_eq!(body["results"][0]["problem"]["code"], "forbidden");
    let (alone, _) = app.act(&o.requester.token, id(&own), "approve", json!({"version": own["version"]})).await;
    assert_eq!(alone, StatusCode::FORBIDDEN, "the same answer as alone");

    // Someone who cannot see it gets a 404 for that item, as alone; finance may not take the
    // manager's step.
    let (_, body) = batch(&app, &o.outsider.token, "approve", json!({"items": [item(&own)]})).await;
    assert_eq!(body["results"][0]["status"], 404);
    let (_, body) = batch(&app, &o.finance1.token, "approve", json!({"items": [item(&own)]})).await;
    let (alone, _) = app.act(&o.finance1.token, id(&own), "approve", json!({"version": own["version"]})).await;
    assert_eq!(body["results"][0]["status"], alone.as_u16());

    // The manager, then finance, each in one call.
    let (_, body) = batch(&app, &o.manager.token, "approve", json!({"items": [item(&own)]})).await;
    assert_eq!(body["results"][0]["status"], 200);
    let next = &body["results"][0]["request"];
    let (_, body) = batch(&app, &o.finance1.token, "approve", json!({"items": [item(next)]})).await;
    assert_eq!(body["results"][0]["status"], 200, "{body}");
    assert_eq!(body["results"][0]["request"]["status"], "approved");
    assert_eq!(audit_count(&app, &o, id(&own), "approve").await, 2);
    // Approving again is a state conflict for that item.
    let (_, body) = batch(&app, &o.finance2.token, "approve", json!({"items": [item(&body["results"][0]["request"])]})).await;
    assert_eq!(body["results"][0]["status"], 409);
    assert_eq!(body["results"][0]["problem"]["code"], "state_conflict");
}

#[tokio::test]
async fn a_batch_reject_needs_an_opinion_and_returns_each_request() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (a, b) = (submitted(&app, &o, 505).await, submitted(&app, &o, 606).await);
    for body in [json!({"items": [item(&a), item(&b)]}), json!({"items": [item(&a)], "comment": "  "})] {
        let (s, p) = batch(&app, &o.manager.token, "reject", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], "comment");
    }
    assert_eq!(app.detail(&o.manager.token, id(&a)).await["status"], "pending_manager", "nothing was rejected");
    let (s, body) = batch(&app, &o.manager.token, "reject", json!({"items": [item(&a), item(&b)], "comment": "收款账号有误"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for (i, r) in [&a, &b].into_iter().enumerate() {
        assert_eq!(body["results"][i]["status"], 200);
        assert_eq!(body["results"][i]["request"]["status"], "returned");
        assert_eq!(audit_count(&app, &o, id(r), "reject").await, 1);
    }
}

#[tokio::test]
async fn a_batch_holds_one_to_a_hundred_distinct_items_of_approve_or_reject() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let a = submitted(&app, &o, 707).await;
    let many: Vec<Value> = (1..=101).map(|i| json!({"id": i, "version": 1})).collect();
    for (body, field) in [
        (json!({"items": many}), "items"),
        (json!({"items": []}), "items"),
        (json!({"items": [item(&a), item(&a)]}), "items"),
        (json!({"items": [{"id": id(&a)}]}), "items[0].version"),
    ] {
        let (s, p) = batch(&app, &o.manager.token, "approve", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let hundred: Vec<Value> = std::iter::once(item(&a)).chain((1..100).map(|i| json!({"id": 100_000 + i, "version": 1}))).collect();
    let (s, body) = batch(&app, &o.manager.token, "approve", json!({"items": hundred})).await;
    assert_eq!(s, StatusCode::OK, "a hundred is allowed");
    assert_eq!(body["results"].as_array().unwrap().len(), 100);
    assert_eq!(body["results"][0]["status"], 200);
    for action in ["withdraw", "submit", "payout"] {
        let (s, _) = batch(&app, &o.manager.token, action, json!({"items": [item(&a)]})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{action}");
    }
}

#[tokio::test]
async fn an_unknown_batch_action_is_a_404_whatever_the_body() {
    let app = spawn_app().await;
    let o = org(&app).await;
    for body in [json!({}), json!({"items": "x"}), json!({"items": [{"id": 1, "version": 1}], "comment": "好"})] {
        let (s, e) = app.call(&o.manager.token, "/api/v1/requests/batch/explode", body).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
    }
}
