//! The approval chain across the group's companies (DESIGN §2.4): rules, 或签/会签, 转交,
//! 加签, 撤回, 抄送, comments, delegation, escalation, and the 60,000-元 acceptance case.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use verifund::domain::roles::Role;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// A second valid 统一社会信用代码 (one legal entity is one company).
fn second_code() -> String {
    let first17 = "91440300MA5G7K2P1";
    format!("{first17}{}", verifund::domain::ids::check_char(first17).unwrap())
}

fn step_names(detail: &Value) -> Vec<String> {
    detail["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
}

/// The org of `common::org` plus 分管领导 above the manager, and two spare colleagues.
struct Group {
    o: Org,
    leader: User,
    colleague: User,
    deputy: User,
}

async fn group(app: &TestApp) -> Group {
    let o = org(app).await;
    let leader = app.user("leader", &[Role::Manager, Role::Requester], None, None).await;
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.manager.id), json!({"manager_id": leader.id})).await).await;
    assert_eq!(s, StatusCode::OK);
    let colleague = app.user("colleague", &[Role::Manager, Role::Requester], Some(o.dept), None).await;
    // Stands in for others, so holds an approving role (DESIGN §1.3).
    let deputy = app.user("deputy", &[Role::Manager, Role::Requester], Some(o.dept), None).await;
    Group { o, leader, colleague, deputy }
}

async fn advance(app: &TestApp, o: &Org, amount_fen: i64) -> Value {
    advance_as(app, &o.requester.token, amount_fen).await
}

async fn advance_as(app: &TestApp, token: &str, amount_fen: i64) -> Value {
    let r = app.create_request(token, request_body("advance_payment", amount_fen)).await;
    let (s, r) = app.act(token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

async fn put_rules(app: &TestApp, admin: &User, rules: Value) -> (StatusCode, Value) {
    app.json(app.send(reqwest::Method::PUT, Some(&admin.token), "/api/v1/approval-rules", Some(json!({"rules": rules}))).await).await
}

#[tokio::test]
async fn the_default_rule_adds_the_leader_step_only_from_50000_yuan_and_only_for_advance_payments() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let (s, rules) = app.json(app.get(Some(&o.admin.token), "/api/v1/approval-rules").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rules["rules"][0]["name"], "分管领导");
    assert_eq!(rules["rules"][0]["min_amount_fen"], 5_000_000);
    assert_eq!(rules["rules"][0]["kinds"], json!(["advance_payment"]));

    let below = advance(&app, o, 4_999_999).await;
    assert_eq!(step_names(&below), ["经理审批", "财务审批"]);
    let at = advance(&app, o, 5_000_000).await;
    assert_eq!(step_names(&at), ["经理审批", "分管领导", "财务审批"]);
    assert_eq!(at["steps"][1]["approvers"][0]["id"], g.leader.id, "the manager's own manager");
    let other_kind = app.create_request(&o.requester.token, request_body("verification_transfer", 9_000_001)).await;
    let (_, other_kind) = app.act(&o.requester.token, id(&other_kind), "submit", json!({})).await;
    assert_eq!(step_names(&other_kind), ["经理审批", "财务审批"]);

    // The leader step keeps the request pending_manager and shows as the current step.
    let (s, r) = app.act(&o.manager.token, id(&at), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_manager");
    assert_eq!(r["current_step"]["name"], "分管领导");
    assert_eq!(r["current_step"]["approver_ids"], json!([g.leader.id]));
    let (_, tasks) = app.json(app.get(Some(&g.leader.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["manager_approval"], 1);
    let (s, body) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "finance cannot skip the leader step: {body}");
    let (s, r) = app.act(&g.leader.token, id(&r), "approve", json!({"comment": "同意"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_finance");
    let (s, r) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")));
}

#[tokio::test]
async fn all_needs_every_approver_and_any_needs_one() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let rules = json!([
        {"name": "会签", "kinds": ["verification_transfer"], "approver_ids": [g.colleague.id, g.leader.id], "mode": "all"},
        {"name": "或签", "kinds": ["verification_transfer"], "approver_ids": [o.auditor.id, g.deputy.id], "mode": "any"},
    ]);
    let (s, body) = put_rules(&app, &o.admin, rules).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 101)).await;
    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(step_names(&r), ["经理审批", "会签", "或签", "财务审批"]);
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    let (s, r) = app.act(&g.colleague.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["current_step"]["name"], "会签", "one of two is not enough");
    assert_eq!(r["current_step"]["approved_by"], json!([g.colleague.id]));
    let (s, _) = app.act(&g.colleague.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nobody approves twice");
    let (_, r) = app.act(&g.leader.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["current_step"]["name"], "或签");
    let (s, r) = app.act(&g.deputy.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_finance", "one approval completes an any step");
    let (s, _) = app.act(&o.auditor.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn editing_the_rules_after_submit_does_not_change_a_request_in_flight() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 6_000_000).await;
    assert_eq!(step_names(&r), ["经理审批", "分管领导", "财务审批"]);
    let (s, _) = put_rules(&app, &o.admin, json!([])).await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["current_step"]["name"], "分管领导", "the stored chain still has the leader step");
    let fresh = advance(&app, o, 6_000_001).await;
    assert_eq!(step_names(&fresh), ["经理审批", "财务审批"], "new requests follow the new rules");
    let (s, body) = put_rules(&app, &o.admin, json!([{"name": "", "approver_ids": [999999], "mode": "all", "min_amount_fen": -1}])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rules[0].name", "rules[0].min_amount_fen", "rules[0].approver_ids"]);
    let (s, _) = put_rules(&app, &o.manager, json!([])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn transfer_moves_the_step_and_the_old_approver_is_refused() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 1_001).await;
    let (s, body) = app
        .call(
            &o.manager.token,
            &format!("/api/v1/requests/{}/transfer", id(&r)),
            json!({"to_user_id": o.requester.id, "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "never to the requester: {body}");
    let (s, body) = app.call(&o.finance1.token, &format!("/api/v1/requests/{}/transfer", id(&r)), json!({"to_user_id": g.deputy.id})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the approver hands over: {body}");
    let (s, t) = app
        .call(
            &o.manager.token,
            &format!("/api/v1/requests/{}/transfer", id(&r)),
            json!({"to_user_id": g.colleague.id, "comment": "我休假", "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["version"], r["version"].as_i64().unwrap() + 1);
    assert_eq!(t["current_step"]["approver_ids"], json!([g.colleague.id]));
    let (s, body) = app.act(&o.manager.token, id(&t), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    // The old approver still reads it (they acted on it); the new one has it to do.
    assert_eq!(app.get(Some(&o.manager.token), &format!("/api/v1/requests/{}", id(&t))).await.status(), StatusCode::OK);
    let (_, tasks) = app.json(app.get(Some(&g.colleague.token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["manager_approval"], 1);
    let (s, a) = app.act(&g.colleague.token, id(&t), "approve", json!({"version": t["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "pending_finance");
    let handoff = a["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "transfer").unwrap().clone();
    assert_eq!(handoff["to_user_id"], g.colleague.id);
    assert_eq!(handoff["comment"], "我休假");
    // A stale version is a conflict like for every other action.
    let (s, _) = app
        .call(
            &o.finance1.token,
            &format!("/api/v1/requests/{}/transfer", id(&a)),
            json!({"to_user_id": o.finance2.id, "version": t["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The finance sign-off goes only to finance.
    let (s, _) = app.call(&o.finance1.token, &format!("/api/v1/requests/{}/transfer", id(&a)), json!({"to_user_id": g.deputy.id})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, f) = app.call(&o.finance1.token, &format!("/api/v1/requests/{}/transfer", id(&a)), json!({"to_user_id": o.finance2.id})).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let (s, _) = app.act(&o.finance1.token, id(&f), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the finance step now belongs to finance2 alone");
    let (s, f) = app.act(&o.finance2.token, id(&f), "approve", json!({})).await;
    assert_eq!((s, f["status"].as_str()), (StatusCode::OK, Some("approved")));
}

#[tokio::test]
async fn add_approver_before_comes_back_and_after_follows() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 2_001).await;
    let url = format!("/api/v1/requests/{}/add-approver", id(&r));
    let (s, b) = app
        .call(
            &o.manager.token,
            &url,
            json!({"user_id": g.colleague.id, "position": "before", "comment": "请先看", "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["current_step"]["approver_ids"], json!([g.colleague.id]));
    assert_eq!(step_names(&b).len(), 3);
    let (s, _) = app.act(&o.manager.token, id(&b), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the added approver decides first");
    let (_, b) = app.act(&g.colleague.token, id(&b), "approve", json!({})).await;
    assert_eq!(b["current_step"]["approver_ids"], json!([o.manager.id]), "then it comes back");
    let (s, a) = app.call(&o.manager.token, &url, json!({"user_id": g.deputy.id, "position": "after", "version": b["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["current_step"]["approver_ids"], json!([o.manager.id]), "after: the caller still decides now");
    let (_, a) = app.act(&o.manager.token, id(&a), "approve", json!({})).await;
    assert_eq!(a["status"], "pending_manager");
    assert_eq!(a["current_step"]["approver_ids"], json!([g.deputy.id]));
    let (s, body) = app.call(&g.deputy.token, &url, json!({"user_id": g.colleague.id, "position": "before"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "someone who already approved is not added again: {body}");
    let (s, body) = app.call(&g.deputy.token, &url, json!({"user_id": g.leader.id, "position": "sideways"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, a) = app.act(&g.deputy.token, id(&a), "approve", json!({})).await;
    assert_eq!(a["status"], "pending_finance");
}

#[tokio::test]
async fn recall_works_until_the_next_step_acts() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 3_001).await;
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["status"], "pending_finance");
    let url = format!("/api/v1/requests/{}/recall", id(&r));
    let (s, body) = app.call(&o.finance2.token, &url, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nothing of theirs to recall: {body}");
    let (s, _) = app.call(&g.colleague.token, &url, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not even visible to a colleague");
    let (s, back) = app.call(&o.manager.token, &url, json!({"version": r["version"], "comment": "金额要再核"})).await;
    assert_eq!(s, StatusCode::OK, "{back}");
    assert_eq!(back["status"], "pending_manager");
    assert_eq!(back["current_step"]["approver_ids"], json!([o.manager.id]));
    let (_, r) = app.act(&o.manager.token, id(&back), "approve", json!({})).await;
    let (_, r) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["status"], "approved");
    let (s, body) = app.call(&o.manager.token, &url, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "finance has acted: {body}");
    assert_eq!(body["code"], "next_step_acted");
    // Finance may take a sign-off back until the payout.
    let (s, f) = app.call(&o.finance1.token, &url, json!({})).await;
    assert_eq!((s, f["status"].as_str()), (StatusCode::OK, Some("pending_finance")));
    assert!(f["approved_at"].is_null());
}

#[tokio::test]
async fn cc_users_can_read_and_others_still_cannot() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let stranger = app.user("stranger", &[Role::Requester], None, None).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 4_001)).await;
    assert_eq!(app.get(Some(&o.outsider.token), &format!("/api/v1/requests/{}", id(&r))).await.status(), StatusCode::NOT_FOUND);
    let (s, body) = app.act(&o.requester.token, id(&r), "submit", json!({"cc_user_ids": [999999]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({"cc_user_ids": [o.outsider.id]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["cc"][0]["id"], o.outsider.id);
    let seen = app.detail(&o.outsider.token, id(&r)).await;
    assert_eq!(seen["allowed_actions"], json!([]), "reading is all a CC may do");
    let (_, list) = app.json(app.get(Some(&o.outsider.token), "/api/v1/requests").await).await;
    assert_eq!(list["total"], 1);
    let (_, inbox) = app.json(app.get(Some(&o.outsider.token), "/api/v1/notifications").await).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "cc"), "{inbox}");
    assert_eq!(app.get(Some(&stranger.token), &format!("/api/v1/requests/{}", id(&r))).await.status(), StatusCode::NOT_FOUND);
    let (s, _) = app.act(&o.outsider.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.act(&o.requester.token, id(&r), "withdraw", json!({"cc_user_ids": [stranger.id]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "cc only on submit");
}

#[tokio::test]
async fn comments_are_in_the_timeline_and_mentions_reach_readers_only() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 5_001).await;
    let url = format!("/api/v1/requests/{}/comments", id(&r));
    let (s, c) = app.call(&o.manager.token, &url, json!({"body": "@finance1 请看看附言；@outsider 也看看；@nobody"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["version"], r["version"], "a comment changes nothing recorded");
    assert_eq!(c["warnings"].as_array().unwrap().len(), 2, "{c}");
    let last = c["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor_id"].as_i64()), (Some("comment"), Some(o.manager.id as i64)));
    let (_, inbox) = app.json(app.get(Some(&o.finance1.token), "/api/v1/notifications").await).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "mention"));
    let (_, inbox) = app.json(app.get(Some(&o.outsider.token), "/api/v1/notifications").await).await;
    assert!(!inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "mention"), "no leak to someone who cannot read it");
    let (s, _) = app.call(&o.outsider.token, &url, json!({"body": "hi"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.call(&o.manager.token, &url, json!({"body": "   "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_delegate_acts_inside_the_range_and_never_on_their_own_request() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let today = today();
    // The requester manages people elsewhere, so may stand in for their own manager.
    let (s, _) = app
        .json(
            app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.requester.id), json!({"roles": ["requester", "manager"]})).await,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // New roles end the old session.
    let requester_token = app.login(&o.requester.username, PASSWORD).await;
    let r = advance_as(&app, &requester_token, 6_003).await;
    let (s, _) = app.act(&g.deputy.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no delegation yet: not even visible");
    // A delegation starting tomorrow does not count today.
    let tomorrow = today.succ_opt().unwrap();
    let (s, later) = app
        .call(&o.manager.token, "/api/v1/delegations", json!({"delegate_id": g.deputy.id, "starts_on": tomorrow, "ends_on": tomorrow}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{later}");
    assert_eq!(later["state"], "upcoming");
    assert_eq!(app.get(Some(&g.deputy.token), &format!("/api/v1/requests/{}", id(&r))).await.status(), StatusCode::NOT_FOUND);
    let (s, body) = app
        .call(&o.manager.token, "/api/v1/delegations", json!({"delegate_id": o.requester.id, "starts_on": today, "ends_on": tomorrow}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "ranges of one approver do not overlap: {body}");
    let (s, now) = app
        .call(&o.manager.token, "/api/v1/delegations", json!({"delegate_id": o.requester.id, "starts_on": today, "ends_on": today}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{now}");
    // The requester is the manager's delegate today, but never for their own request.
    let seen = app.detail(&requester_token, id(&r)).await;
    assert_eq!(seen["allowed_actions"], json!(["withdraw"]));
    let (s, body) = app.act(&requester_token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    // Another colleague's request: the delegate may act, recorded on behalf of the manager.
    let other = app.user("other", &[Role::Requester], Some(o.dept), Some(o.manager.id)).await;
    let theirs = app.create_request(&other.token, request_body("advance_payment", 6_005)).await;
    let (_, theirs) = app.act(&other.token, id(&theirs), "submit", json!({})).await;
    let (_, tasks) = app.json(app.get(Some(&requester_token), "/api/v1/tasks").await).await;
    assert_eq!(tasks["counts"]["manager_approval"], 1, "{tasks}");
    let (s, a) = app.act(&requester_token, id(&theirs), "approve", json!({"comment": "代李四同意"})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["steps"][0]["approvals"][0]["user_id"], o.manager.id);
    assert_eq!(a["steps"][0]["approvals"][0]["by_user_id"], o.requester.id);
    let ev = a["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "approve").unwrap().clone();
    assert_eq!((ev["actor_id"].as_i64(), ev["on_behalf_of_id"].as_i64()), (Some(o.requester.id as i64), Some(o.manager.id as i64)));
    // Revoked: the delegate loses the power at once.
    let theirs2 = app.create_request(&other.token, request_body("advance_payment", 6_007)).await;
    let (_, theirs2) = app.act(&other.token, id(&theirs2), "submit", json!({})).await;
    let res = app.send(reqwest::Method::DELETE, Some(&o.manager.token), &format!("/api/v1/delegations/{}", id(&now)), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.act(&requester_token, id(&theirs2), "approve", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // What they decided as a delegate stays readable to them.
    assert_eq!(app.get(Some(&requester_token), &format!("/api/v1/requests/{}", id(&theirs))).await.status(), StatusCode::OK);
    let (_, mine) = app.json(app.get(Some(&o.manager.token), "/api/v1/delegations").await).await;
    let states: Vec<&str> = mine.as_array().unwrap().iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["revoked", "upcoming"]);
    let (s, _) =
        app.call(&o.manager.token, "/api/v1/delegations", json!({"delegate_id": o.manager.id, "starts_on": today, "ends_on": today})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not to oneself");
}

#[tokio::test]
async fn a_requester_approver_or_a_disabled_one_passes_the_step_up_and_admins_hear_when_nobody_is_left() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    // The manager's own request: their department head is themselves, so it goes to their manager.
    let r = app.create_request(&o.manager.token, request_body("verification_transfer", 7_001)).await;
    let (s, r) = app.act(&o.manager.token, id(&r), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["current_step"]["approver_ids"], json!([g.leader.id]));
    // A disabled manager passes the step to the next one up.
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.manager.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let r2 = advance(&app, o, 7_003).await;
    assert_eq!(r2["current_step"]["approver_ids"], json!([g.leader.id]));
    // A rule naming the requester escalates too; a rule step with nobody left refuses the submit.
    let (s, _) = put_rules(&app, &o.admin, json!([{"name": "复核", "approver_ids": [g.deputy.id]}])).await;
    assert_eq!(s, StatusCode::OK);
    let d = app.create_request(&g.deputy.token, request_body("verification_transfer", 7_005)).await;
    let (s, body) = app.act(&g.deputy.token, id(&d), "submit", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "no_approver");
    let (_, inbox) = app.json(app.get(Some(&o.admin.token), "/api/v1/notifications").await).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "no_approver"), "{inbox}");
    assert_eq!(app.detail(&g.deputy.token, id(&d)).await["status"], "draft", "nothing half-submitted");
}

#[tokio::test]
async fn disabling_an_approver_with_steps_waiting_on_them_passes_the_steps_up() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let r = advance(&app, o, 7_101).await;
    assert_eq!(r["current_step"]["approver_ids"], json!([o.manager.id]));
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.manager.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let now = app.detail(&o.auditor.token, id(&r)).await;
    assert_eq!(now["current_step"]["approver_ids"], json!([g.leader.id]), "one level up");
    assert_eq!(now["version"], r["version"].as_i64().unwrap() + 1);
    assert_eq!(now["timeline"].as_array().unwrap().last().unwrap()["action"], "reroute");
    let (s, a) = app.act(&g.leader.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, a["status"].as_str()), (StatusCode::OK, Some("pending_finance")), "{a}");
    // Nobody above: the step stays, and admins are told.
    let r2 = advance(&app, o, 7_103).await;
    assert_eq!(r2["current_step"]["approver_ids"], json!([g.leader.id]));
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", g.leader.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let (_, inbox) = app.json(app.get(Some(&o.admin.token), "/api/v1/notifications").await).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "no_approver" && n["request_id"] == r2["id"]), "{inbox}");
}

#[tokio::test]
async fn disabling_someone_named_in_a_later_step_or_on_a_shared_step_keeps_every_step_decidable() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let (s, _) =
        put_rules(&app, &o.admin, json!([{"name": "复核", "kinds": ["verification_transfer"], "approver_ids": [g.colleague.id]}])).await;
    assert_eq!(s, StatusCode::OK);
    let code = second_code();
    let (_, c) = app
        .call(&o.admin.token, "/api/v1/companies", json!({"name": "二公司", "credit_code": code, "accounts": [{"bank": "b", "account": "12345678"}], "finance_user_ids": [o.finance1.id, o.finance2.id]}))
        .await;
    let mut body = request_body("verification_transfer", 7_201);
    body["company_id"] = c["id"].clone();
    let r = app.create_request(&o.requester.token, body).await;
    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    assert_eq!(step_names(&r), ["经理审批", "复核", "财务审批"]);
    // The later 复核 step goes one level up past the manager (already in the chain) to the leader.
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", g.colleague.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let now = app.detail(&o.auditor.token, id(&r)).await;
    assert_eq!(now["steps"][1]["approvers"][0]["id"], g.leader.id, "{}", now["steps"]);
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    let (_, r) = app.act(&g.leader.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["current_step"]["approver_ids"], json!([o.finance1.id, o.finance2.id]));
    // On the shared finance step, a disabled finance user is simply taken off.
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", o.finance1.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);
    let now = app.detail(&o.auditor.token, id(&r)).await;
    assert_eq!(now["current_step"]["approver_ids"], json!([o.finance2.id]));
    let (s, done) = app.act(&o.finance2.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("approved")));
}

#[tokio::test]
async fn concurrent_transfer_and_approve_on_one_step_let_exactly_one_win() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    for amount in [8_001, 8_003, 8_005] {
        let r = advance(&app, o, amount).await;
        let v = r["version"].clone();
        let url = format!("/api/v1/requests/{}/transfer", id(&r));
        let transfer = app.call(&o.manager.token, &url, json!({"to_user_id": g.colleague.id, "version": v}));
        let approve = app.act(&o.manager.token, id(&r), "approve", json!({"version": v}));
        let ((s1, b1), (s2, b2)) = tokio::join!(transfer, approve);
        let wins = [s1, s2].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(wins, 1, "transfer {s1} {b1}; approve {s2} {b2}");
        assert!([s1, s2].contains(&StatusCode::CONFLICT));
        let after = app.detail(&o.auditor.token, id(&r)).await;
        assert_eq!(after["version"], v.as_i64().unwrap() + 1, "exactly one change");
        let events = after["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "transfer" || e["action"] == "approve").count();
        assert_eq!(events, 1);
    }
}

#[tokio::test]
async fn companies_fill_the_payer_and_limit_the_finance_sign_off() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let code = verifund::demo::demo_credit_code();
    let (s, body) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "坏公司", "credit_code": "91440300MA5DEM0010", "accounts": [{"bank": "x", "account": "12"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["credit_code", "accounts[0].account"]);
    let (s, _) = app.call(&o.manager.token, "/api/v1/companies", json!({"name": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, c) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "日升科技（深圳）有限公司", "credit_code": code,
                   "accounts": [{"bank": "招商银行深圳分行", "account": "7559 1234 5610 801"}, {"bank": "建设银行", "account": "44250100003600001234", "is_default": true}],
                   "finance_user_ids": [o.finance2.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["accounts"][0]["account"], "755912345610801");
    let (s, _) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "日升科技（深圳）有限公司", "credit_code": code, "accounts": [{"bank": "b", "account": "12345678"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "names are unique");
    let (s, _) = app.json(app.get(Some(&o.requester.token), "/api/v1/companies").await).await;
    assert_eq!(s, StatusCode::OK, "everyone reads companies");

    let mut body = request_body("verification_transfer", 9_001);
    for f in ["payer_entity", "payer_credit_code", "payer_bank", "payer_account"] {
        body.as_object_mut().unwrap().remove(f);
    }
    body["company_id"] = c["id"].clone();
    let r = app.create_request(&o.requester.token, body.clone()).await;
    assert_eq!(r["payer_entity"], "日升科技（深圳）有限公司");
    assert_eq!(r["payer_account"], "44250100003600001234", "the default account");
    assert_eq!(r["payer_account_id"], c["accounts"][1]["id"]);
    body["payer_account_id"] = json!(999999);
    let (s, e) = app.call(&o.requester.token, "/api/v1/requests", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["field"], "payer_account_id");

    let (_, r) = app.act(&o.requester.token, id(&r), "submit", json!({})).await;
    let (_, r) = app.act(&o.manager.token, id(&r), "approve", json!({})).await;
    assert_eq!(r["current_step"]["approver_ids"], json!([o.finance2.id]));
    let (s, _) = app.act(&o.finance1.token, id(&r), "approve", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not this company's finance");
    let (s, r) = app.act(&o.finance2.token, id(&r), "approve", json!({})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")));

    // A draft can leave its company again: the payer is then typed.
    let mut body = request_body("verification_transfer", 9_003);
    body["company_id"] = c["id"].clone();
    let d = app.create_request(&o.requester.token, body).await;
    let res = app
        .patch(
            Some(&o.requester.token),
            &format!("/api/v1/requests/{}", id(&d)),
            json!({"company_id": null, "payer_bank": "手填银行", "version": d["version"]}),
        )
        .await;
    let (s, d2) = app.json(res).await;
    assert_eq!(s, StatusCode::OK, "{d2}");
    assert!(d2["company_id"].is_null() && d2["payer_account_id"].is_null());
    assert_eq!(d2["payer_bank"], "手填银行");
    let (s, body) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "另一家", "credit_code": code, "accounts": [{"bank": "b", "account": "12345678"}]}),
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::CONFLICT, Some("credit_code_taken")), "one legal entity, one company");

    // Editing keeps account ids; a stale version is refused.
    let accounts =
        json!([{"id": c["accounts"][1]["id"], "bank": "建设银行科技园支行", "account": "44250100003600001234", "is_default": true}]);
    let res = app
        .patch(Some(&o.admin.token), &format!("/api/v1/companies/{}", id(&c)), json!({"accounts": accounts, "version": c["version"]}))
        .await;
    let (s, c2) = app.json(res).await;
    assert_eq!(s, StatusCode::OK, "{c2}");
    assert_eq!(c2["accounts"].as_array().unwrap().len(), 1, "the left-out account is retired");
    let res =
        app.patch(Some(&o.admin.token), &format!("/api/v1/companies/{}", id(&c)), json!({"name": "改名", "version": c["version"]})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

/// The acceptance case: a 60,000-元 advance payment from a second group company goes
/// manager → 分管领导 → finance with a transfer, a CC and a delegated approval on the way, all
/// visible in the timeline, the print view and the ledger.
#[tokio::test]
async fn a_60000_yuan_advance_payment_from_a_second_company_goes_through_every_hand_off() {
    let app = spawn_app().await;
    let g = group(&app).await;
    let o = &g.o;
    let (_, _first) = app
        .call(&o.admin.token, "/api/v1/companies", json!({"name": "日升集团有限公司", "credit_code": verifund::demo::demo_credit_code(), "accounts": [{"bank": "招商银行", "account": "755912345610801"}]}))
        .await;
    let (s, second) = app
        .call(
            &o.admin.token,
            "/api/v1/companies",
            json!({"name": "日升科技（深圳）有限公司", "credit_code": second_code(),
                   "accounts": [{"bank": "建设银行", "account": "44250100003600001234"}], "finance_user_ids": [o.finance1.id, o.finance2.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let mut body = request_body("advance_payment", 6_000_000);
    body["company_id"] = second["id"].clone();
    let r = app.create_request(&o.requester.token, body).await;
    let (s, r) = app.act(&o.requester.token, id(&r), "submit", json!({"cc_user_ids": [o.auditor.id, g.deputy.id]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(step_names(&r), ["经理审批", "分管领导", "财务审批"]);
    // The manager hands the step to a colleague, who approves.
    let (s, r) = app
        .call(
            &o.manager.token,
            &format!("/api/v1/requests/{}/transfer", id(&r)),
            json!({"to_user_id": g.colleague.id, "comment": "出差", "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, r) = app.act(&g.colleague.token, id(&r), "approve", json!({"comment": "同意"})).await;
    assert_eq!(r["current_step"]["name"], "分管领导");
    // The leader is away: their delegate approves on their behalf.
    let (s, _) = app
        .call(
            &g.leader.token,
            "/api/v1/delegations",
            json!({"delegate_id": g.deputy.id, "starts_on": today(), "ends_on": today(), "kinds": ["advance_payment"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, r) = app.act(&g.deputy.token, id(&r), "approve", json!({"comment": "代吴总同意"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending_finance");
    // The company's finance sign-off is open to both its finance users; one hands it to the other.
    assert_eq!(r["current_step"]["approver_ids"], json!([o.finance1.id, o.finance2.id]));
    let (s, r) = app
        .call(
            &o.finance1.token,
            &format!("/api/v1/requests/{}/transfer", id(&r)),
            json!({"to_user_id": o.finance2.id, "version": r["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["current_step"]["approver_ids"], json!([o.finance2.id]));
    let (s, r) = app.act(&o.finance2.token, id(&r), "approve", json!({"comment": "已核"})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    // The CC'd colleague reads it all.
    let seen = app.detail(&g.deputy.token, id(&r)).await;
    let actions: Vec<&str> = seen["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "transfer", "approve", "approve", "transfer", "approve"]);
    let delegated = &seen["timeline"][4];
    assert_eq!(
        (delegated["actor_id"].as_i64(), delegated["on_behalf_of_id"].as_i64()),
        (Some(g.deputy.id as i64), Some(g.leader.id as i64))
    );
    assert_eq!(delegated["step"], "分管领导");
    // The print view names every step, the delegate and the hand-off.
    let html = app.get(Some(&o.auditor.token), &format!("/api/v1/requests/{}/print", id(&r))).await.text().await.unwrap();
    for needle in ["分管领导", "leader 名（deputy 名 代，同意）", "转交", "colleague 名", "财务审批", "finance2 名"] {
        assert!(html.contains(needle), "print view lacks {needle}");
    }
    // The ledger's 审批过程 column has the whole path.
    let res = app.get(Some(&o.auditor.token), "/api/v1/exports/ledger.xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("台账").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = header.iter().position(|h| h == "审批过程").expect("审批过程 column");
    let path = sheet.rows().nth(1).unwrap()[col].to_string();
    assert_eq!(
        path,
        "经理审批：colleague 名；分管领导：leader 名（deputy 名代）；财务审批：finance2 名；转交：manager 名→colleague 名；转交：finance1 名→finance2 名"
    );
}
