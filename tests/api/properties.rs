//! Property-based test of the workflow through the real server: random sequences of actions
//! by random people on two requests. Whatever happens, what `allowed_actions` offers is
//! exactly what the server accepts (hand-offs included), nobody approves or pays their own request, money moves
//! only along the workflow, each accepted action adds exactly one audit event (a refused one
//! none), and the audit chain verifies.
use crate::common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy)]
struct Op {
    actor: usize,
    action: usize,
    target: usize,
    half_refund: bool,
}

const ACTIONS: [&str; 8] = ["submit", "approve", "reject", "withdraw", "payout", "refund", "transfer", "recall"];

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (0usize..6, 0usize..8, 0usize..2, any::<bool>()).prop_map(|(actor, action, target, half_refund)| Op { actor, action, target, half_refund }),
        1..30,
    )
}

async fn audit_count(app: &TestApp, auditor: &str, id: i64) -> u64 {
    app.json(app.get(Some(auditor), &format!("/api/v1/audit?request_id={id}&per_page=1")).await).await.1["total"].as_u64().unwrap()
}

async fn run(ops: Vec<Op>) {
    let app = spawn_app().await;
    let o = org(&app).await;
    let people = [&o.requester, &o.manager, &o.finance1, &o.finance2, &o.auditor, &o.admin];
    // Transfers go to one of two colleagues who never act themselves (so they are always
    // free to take a step over): whichever is not holding the step already.
    let spares = [
        app.user("spare1", &[verifund::domain::roles::Role::Finance, verifund::domain::roles::Role::Manager], None, None).await,
        app.user("spare2", &[verifund::domain::roles::Role::Finance, verifund::domain::roles::Role::Manager], None, None).await,
    ];
    let mut ids = Vec::new();
    for amount in [1_001i64, 2_002] {
        ids.push(app.create_request(&o.requester.token, request_body("verification_transfer", amount)).await["id"].as_i64().unwrap());
    }
    let today = today().to_string();
    for op in ops {
        let who = people[op.actor];
        let id = ids[op.target];
        let action = ACTIONS[op.action];
        let before = app.detail(&who.token, id).await;
        let offered = before["allowed_actions"].as_array().unwrap().iter().any(|a| a == action);
        let amount = before["amount_fen"].as_i64().unwrap();
        let body = match action {
            "payout" => json!({"paid_at": today, "amount_fen": amount, "reference": "P"}),
            "refund" => json!({"refunded_at": today, "amount_fen": if op.half_refund { amount / 2 } else { amount }, "reference": "R"}),
            "reject" => json!({"comment": "退回修改"}),
            "transfer" => {
                // The places named in the current step (none on a finance step open to the team,
                // where `current_step.approver_ids` lists everyone who may sign off).
                let current = before["steps"].as_array().and_then(|st| st.iter().find(|s| s["state"] == "current").cloned());
                let holding: Vec<i64> = current
                    .map(|s| s["approvers"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect())
                    .unwrap_or_default();
                let free = spares.iter().find(|s| !holding.contains(&i64::from(s.id))).unwrap();
                json!({"to_user_id": free.id})
            }
            _ => json!({}),
        };
        let audits_before = audit_count(&app, &o.auditor.token, id).await;
        let (status, after) = app.act(&who.token, id, action, body).await;
        let accepted = status.is_success();
        assert!(!status.is_server_error(), "{action} by {}: {status} {after}", who.username);
        assert_eq!(offered, accepted, "{action} by {} on {}: offered={offered} but the server said {status} {after}", who.username, before["status"]);
        let audits_after = audit_count(&app, &o.auditor.token, id).await;
        assert_eq!(audits_after - audits_before, u64::from(accepted), "one audit event per accepted action");
        if accepted {
            if matches!(action, "approve" | "payout" | "refund") {
                assert_ne!(who.id, o.requester.id, "nobody approves or pays their own request");
            }
            let from = before["status"].as_str().unwrap();
            let allowed_from: &[&str] = match action {
                "submit" => &["draft", "returned"],
                "approve" | "reject" => &["pending_manager", "pending_finance"],
                "withdraw" => &["draft", "returned", "pending_manager", "pending_finance"],
                "transfer" => &["pending_manager", "pending_finance"],
                "recall" => &["pending_manager", "pending_finance", "approved"],
                "payout" => &["approved"],
                _ => &["paid"],
            };
            assert!(allowed_from.contains(&from), "{action} accepted from {from}");
            if action == "refund" {
                let total = after["refund_amount_fen"].as_i64().unwrap();
                let paid = after["payout_amount_fen"].as_i64().unwrap();
                assert_eq!(after["status"] == "refunded", total == paid, "{after}");
            }
        } else {
            let unchanged: Value = app.detail(&o.auditor.token, id).await;
            assert_eq!(unchanged["version"], before["version"], "a refused action changes nothing");
        }
    }
    assert!(verifund::store::audit::verify_chain(&app.db).await.unwrap().first_broken.is_none());
}

#[test]
fn random_action_sequences_never_break_the_workflow_rules() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&ops(), |ops| {
            rt.block_on(run(ops));
            Ok(())
        })
        .unwrap();
}
