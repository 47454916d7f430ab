//! Who hears of a change, written in the same transaction as the change.
use super::{Change, Ctx};
use crate::domain::chain::Chain;
use crate::domain::money::format_yuan;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::chain::{self as chains};
use crate::store::notify::{Notice, notify, users_with_role};
use crate::store::requests::{current_state, status_of};
use entity::request;
use sea_orm::DatabaseTransaction;

/// Nobody is left to decide a step: admins are told (once per request and round), and the
/// submit answers 409 so the requester knows it did not go anywhere.
pub(super) async fn nobody_left(ctx: Ctx<'_>, m: &request::Model, step: &str) -> ApiResult<ApiError> {
    let body = format!(
        "申请「{}」的步骤「{step}」找不到可审批的人（审批人是申请人本人、已停用或未设置上级/部门负责人），请设置后让申请人重新提交",
        m.title
    );
    chains::tell_admins_nobody_left(ctx.db, m, body, step, ctx.channels(), ctx.now).await?;
    Ok(ApiError::Conflict {
        code: ConflictCode::NoApprover,
        msg: Msg::new(
            format!("步骤「{step}」找不到可审批的人（未设置上级或部门负责人），已通知管理员"),
            format!("nobody can decide the step \"{step}\" (no manager or department head is set); admins have been told"),
        ),
        current: Some(current_state(m)),
    })
}

/// Tells the people the change concerns, in the same transaction as the change.
pub(super) async fn announce(
    ctx: Ctx<'_>,
    tx: &DatabaseTransaction,
    change: &Change,
    from: Status,
    m: &request::Model,
    chain: &Chain,
    cc: &[i32],
) -> ApiResult<()> {
    let number = m.number.as_deref().unwrap_or("");
    let label = format!("{number} {}", m.title);
    let status = status_of(m);
    let mut notices: Vec<(Vec<i32>, Notice)> = Vec::new();
    if !cc.is_empty() {
        notices.push((
            cc.to_vec(),
            Notice {
                kind: "cc",
                title: "抄送给您".into(),
                body: label.clone(),
                request_id: Some(m.id),
                dedupe_key: format!("cc:{}:{}", m.id, m.round),
            },
        ));
    }
    let finance = || users_with_role(tx, Role::Finance);
    match (change, status) {
        (
            Change::Submit { .. } | Change::Approve | Change::Transfer { .. } | Change::AddApprover { .. } | Change::Recall,
            Status::PendingManager | Status::PendingFinance,
        ) => {
            let step = chain.current_step();
            let team = match step {
                Some(s) if s.open_to_finance() => finance().await?,
                _ => Vec::new(),
            };
            let name = step.map(|s| s.name.clone()).unwrap_or_default();
            notices.push((
                chain.deciders(m.requester_id, &team),
                Notice {
                    kind: "approval_needed",
                    title: if status == Status::PendingFinance { "待财务审批".into() } else { format!("待您审批（{name}）") },
                    body: label,
                    request_id: Some(m.id),
                    dedupe_key: format!("approve:{}:{}:{}:{}", m.id, m.round, chain.current, chain.pending().len()),
                },
            ));
        }
        (Change::Approve, Status::Approved) => {
            let signed = chain.all_actors();
            let payers =
                finance().await?.into_iter().filter(|id| *id != m.requester_id && !(ctx.config.four_eyes && signed.contains(id))).collect();
            notices.push((
                payers,
                Notice {
                    kind: "payout_needed",
                    title: "待打款".into(),
                    body: format!("{label}，请在 {} 前完成汇款", m.pay_by),
                    request_id: Some(m.id),
                    dedupe_key: format!("payout:{}:{}", m.id, m.round),
                },
            ));
        }
        (Change::Reject, _) => notices.push((
            vec![m.requester_id],
            Notice {
                kind: "returned",
                title: "申请被退回".into(),
                body: label,
                request_id: Some(m.id),
                dedupe_key: format!("returned:{}:{}:{}", m.id, m.round, from.as_str()),
            },
        )),
        (Change::Payout { .. }, _) => {
            let (paid_at, fen) = (m.paid_at.unwrap_or_default(), m.payout_amount_fen.unwrap_or_default());
            let body = match m.refund_due {
                Some(due) => format!("{number} 已于 {paid_at} 打款 {}，腾讯应于 {due} 前退回", format_yuan(fen)),
                None => format!("{number} 已于 {paid_at} 打款 {}", format_yuan(fen)),
            };
            notices.push((
                vec![m.requester_id],
                Notice { kind: "paid", title: "已打款".into(), body, request_id: Some(m.id), dedupe_key: format!("paid:{}", m.id) },
            ));
        }
        (Change::Refund { .. }, _) => {
            let paid = m.payout_amount_fen.unwrap_or(m.amount_fen);
            let total = m.refund_amount_fen.unwrap_or(0);
            let (title, body) = if status == Status::Refunded {
                ("退款已到账", format!("{number} 已全额退回 {}", format_yuan(total)))
            } else {
                (
                    "退款金额不符",
                    format!("{number} 已退回 {}，打款 {}，差额 {}", format_yuan(total), format_yuan(paid), format_yuan(paid - total)),
                )
            };
            notices.push((
                vec![m.requester_id],
                Notice {
                    kind: "refund",
                    title: title.into(),
                    body,
                    request_id: Some(m.id),
                    dedupe_key: format!("refund:{}:{}", m.id, m.version),
                },
            ));
        }
        (Change::Expire, _) => notices.push((
            vec![m.requester_id],
            Notice {
                kind: "expired",
                title: "申请已过期".into(),
                body: format!("{label} 未在 {} 前打款，已过期", m.pay_by),
                request_id: Some(m.id),
                dedupe_key: format!("expired:{}", m.id),
            },
        )),
        (Change::Resolve { resolution, reason }, _) => {
            let paid = m.payout_amount_fen.unwrap_or(m.amount_fen);
            let difference = format_yuan(paid - m.refund_amount_fen.unwrap_or(0));
            notices.push((
                vec![m.requester_id],
                Notice {
                    kind: "resolved",
                    title: format!("退款差异已处理（{}）", resolution.label_zh()),
                    body: format!("{label}：差额 {difference}，{reason}"),
                    request_id: Some(m.id),
                    dedupe_key: format!("resolved:{}", m.id),
                },
            ));
        }
        (Change::Reroute { .. }, _) => {
            let pending = chain.pending();
            if !pending.is_empty() {
                notices.push((
                    pending,
                    Notice {
                        kind: "approval_needed",
                        title: format!("待您审批（{}）", chain.current_step().map(|s| s.name.as_str()).unwrap_or("")),
                        body: label,
                        request_id: Some(m.id),
                        dedupe_key: format!("reroute:{}:{}:{}", m.id, m.round, m.version),
                    },
                ));
            }
        }
        _ => {}
    }
    for (users, notice) in notices {
        notify(tx, &users, &notice, ctx.channels(), ctx.now).await?;
    }
    Ok(())
}
