//! Property-based test of the workflow through the real server: random sequences of actions
//! by random people on two requests, paying and refunding random amounts. Whatever happens,
//! what `allowed_actions` offers is exactly what the server accepts for a valid body
//! (hand-offs included), nobody approves or pays their own request, money moves only along
//! the workflow, a payout never exceeds the approved amount and the refunds never add up past
//! the payout, each accepted action adds exactly one audit event (a refused one none), and the
//! audit chain verifies.
use crate::common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy)]
struct Op {
    actor: usize,
    action: usize,
    target: usize,
    /// Payouts: the approved amount plus this (in fen); refunds: this share of the payout,
    /// in percent of what is left, from 1 to 150.
    amount: i64,
}

const ACTIONS: [&str; 8] = ["submit", "approve", "reject", "withdraw", "payout", "refund", "transfer", "recall"];

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (0usize..6, 0usize..8, 0usize..2, -3i64..150).prop_map(|(actor, action, target, amount)| Op { actor, action, target, amount }),
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
        let (seen, before) = app.json(app.get(Some(&who.token), &format!("/api/v1/requests/{id}")).await).await;
        if seen == reqwest::StatusCode::NOT_FOUND {
            // A draft never submitted is its requester's alone: nothing else about it answers.
            let (status, _) = app.act(&who.token, id, action, json!({})).await;
            assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{action} by {} on a request they cannot see", who.username);
            continue;
        }
        let offered = before["allowed_actions"].as_array().unwrap().iter().any(|a| a == action);
        let amount = before["amount_fen"].as_i64().unwrap();
        let paid = before["payout_amount_fen"].as_i64().unwrap_or(amount);
        let refunded = before["refund_amount_fen"].as_i64().unwrap_or(0);
        // Whether the money in the body is one the rules accept (DESIGN §2.1).
        let (body, valid) = match action {
            "payout" => {
                let fen = (amount + op.amount.min(3)).max(1);
                (json!({"paid_at": today, "amount_fen": fen, "reference": "P", "override_reason": "随机金额"}), fen <= amount)
            }
            "refund" => {
                let fen = ((paid - refunded) * (op.amount.max(1)) / 100).max(1);
                (json!({"refunded_at": today, "amount_fen": fen, "reference": "R"}), refunded + fen <= paid)
            }
            _ => (Value::Null, true),
        };
        let body = match action {
            "payout" | "refund" => body,
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
        assert_eq!(
            offered && valid,
            accepted,
            "{action} by {} on {}: offered={offered}, valid={valid}, but the server said {status} {after}",
            who.username,
            before["status"]
        );
        if offered && !valid {
            assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{action} past a ceiling: {after}");
        }
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
            let paid_now = after["payout_amount_fen"].as_i64();
            assert!(paid_now.is_none_or(|p| p <= after["amount_fen"].as_i64().unwrap()), "a payout above the approval: {after}");
            if action == "refund" {
                let total = after["refund_amount_fen"].as_i64().unwrap();
                let paid = paid_now.unwrap();
                assert!(total <= paid, "refunds past the payout: {after}");
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
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&ops(), |ops| {
            rt.block_on(run(ops));
            Ok(())
        })
        .unwrap();
}
