//! Loading, resolving and indexing the approval chain of a request (DESIGN §2.4).
//!
//! The chain itself is JSON on the request row, changed only by the conditional update that
//! also bumps `version`; `request_people` is an index of it (who holds the current step, who
//! is named anywhere, who acted, who was copied in) for visibility and to-do lists, rewritten
//! in the same transaction.
use crate::auth::AuthUser;
use crate::domain::chain::{Approval, Chain, Mode, Stage, Step, StepKind};
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::{Facts, Status, StepFacts};
use crate::store::requests::status_of;
use chrono::{DateTime, Utc};
use entity::{company_finance_user, delegation, department, request, request_person, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use std::collections::HashSet;

pub const MANAGER_STEP: &str = "经理审批";

/// How a person stands towards a request in the `request_people` index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Holds an open place in the current step.
    Current,
    /// Named as an approver anywhere in the round.
    Chain,
    /// Approved a step, for themselves or for someone (kept across rounds).
    Acted,
    /// Copied in on submit.
    Cc,
    /// Decided something (approve, reject, hand-off) and keeps reading it.
    Involved,
    /// Gave the round's finance sign-off, or had it given for them by a delegate: four-eyes
    /// keeps both from recording the payout.
    SignedOff,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Current => "current",
            Relation::Chain => "chain",
            Relation::Acted => "acted",
            Relation::Cc => "cc",
            Relation::Involved => "involved",
            Relation::SignedOff => "signed_off",
        }
    }
}
pub const FINANCE_STEP: &str = "财务审批";

/// The stored chain, or for a request submitted before chains were stored, the chain its
/// manager and finance columns describe.
pub fn chain_of(m: &request::Model) -> Chain {
    if let Some(c) = m.chain.as_ref().and_then(|v| <Chain as serde::Deserialize>::deserialize(v).ok()) {
        return c;
    }
    let at = m.approved_at.or(m.submitted_at).unwrap_or(m.updated_at);
    let mut manager = Step::new(MANAGER_STEP, StepKind::Manager, Stage::Manager, Mode::Any, m.manager_approver_id.into_iter().collect());
    manager.approvals.extend(m.manager_approved_by.map(|u| Approval { user_id: u, by_user_id: u, at }));
    let mut finance = Step::new(FINANCE_STEP, StepKind::Finance, Stage::Finance, Mode::Any, Vec::new());
    finance.approvals.extend(m.finance_approved_by.map(|u| Approval { user_id: u, by_user_id: u, at }));
    let current = match status_of(m) {
        Status::PendingManager => 0,
        Status::PendingFinance => 1,
        _ => 2,
    };
    Chain { steps: vec![manager, finance], current, earlier_actors: Vec::new() }
}

pub fn to_json(c: &Chain) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or(serde_json::Value::Null)
}

/// Delegations to `me` in force today.
pub async fn delegations_to(db: &impl ConnectionTrait, me: &AuthUser) -> Result<Vec<delegation::Model>, DbErr> {
    delegation::Entity::find()
        .filter(delegation::Column::DelegateId.eq(me.id))
        .filter(delegation::Column::RevokedAt.is_null())
        .filter(delegation::Column::StartsOn.lte(me.today))
        .filter(delegation::Column::EndsOn.gte(me.today))
        .all(db)
        .await
}

/// Acting for `slot`: the delegation must still be in force once the write lock is held (a
/// revocation committed meanwhile wins). Nothing to check when the caller acts for themselves.
pub async fn still_delegated(
    tx: &sea_orm::DatabaseTransaction,
    me: &AuthUser,
    m: &request::Model,
    slot: i32,
) -> Result<(), crate::error::ApiError> {
    if slot == me.id || delegators_for(&delegations_to(tx, me).await?, &m.kind).contains(&slot) {
        return Ok(());
    }
    Err(crate::error::ApiError::Forbidden(crate::error::Msg::new("代理已撤销或已过期", "the delegation is no longer in force")))
}

/// The approvers who delegated requests of `kind` to the caller.
pub fn delegators_for(delegations: &[delegation::Model], kind: &str) -> Vec<i32> {
    delegations.iter().filter(|d| covers_kind(d.kinds.as_deref(), kind)).map(|d| d.approver_id).collect()
}

pub fn covers_kind(kinds: Option<&str>, kind: &str) -> bool {
    kinds.is_none_or(|k| k.split(',').any(|x| x == kind))
}

/// The workflow facts of `m` as seen by `me`.
pub fn facts_for(m: &request::Model, chain: &Chain, me: &AuthUser, delegations: &[delegation::Model], four_eyes: bool) -> Facts {
    Facts {
        step: chain.facts_for(me.id, &delegators_for(delegations, &m.kind)),
        order_void: crate::domain::flags::order_lapsed(m, me.today),
        refund_unsettled: crate::domain::flags::refund_unsettled(m, me.today),
        ..facts_without_step(m, chain, four_eyes)
    }
}

/// The facts that do not depend on who asks (the scheduler, payouts and refunds).
pub fn facts_without_step(m: &request::Model, chain: &Chain, four_eyes: bool) -> Facts {
    let finance = chain.steps.iter().rev().find(|s| s.kind == StepKind::Finance).and_then(|s| s.approvals.last());
    Facts {
        requester_id: m.requester_id,
        finance_signed_by: match finance {
            Some(a) => [Some(a.by_user_id), Some(a.user_id)],
            None => [m.finance_approved_by, None],
        },
        refundable: m.refundable,
        four_eyes,
        order_void: false,
        paid_by: m.paid_by,
        refund_unsettled: false,
        step: StepFacts::NONE,
    }
}

/// Rewrites the `current` and `chain` index rows of a request and adds `acted` rows for
/// everyone who approved (kept across rounds).
pub async fn sync_people(db: &impl ConnectionTrait, request_id: i32, chain: &Chain, status: Status) -> Result<(), DbErr> {
    request_person::Entity::delete_many()
        .filter(request_person::Column::RequestId.eq(request_id))
        .filter(request_person::Column::Relation.is_in([Relation::Current, Relation::Chain, Relation::SignedOff].map(Relation::as_str)))
        .exec(db)
        .await?;
    if matches!(status, Status::PendingManager | Status::PendingFinance) {
        add_people(db, request_id, &chain.pending(), Relation::Current).await?;
    }
    let signed: Vec<i32> = chain
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Finance)
        .flat_map(|s| s.approvals.iter().flat_map(|a| [a.user_id, a.by_user_id]))
        .collect();
    add_people(db, request_id, &signed, Relation::SignedOff).await?;
    add_people(db, request_id, &chain.approvers(), Relation::Chain).await?;
    let actors: Vec<i32> = chain.steps.iter().flat_map(|s| s.approvals.iter().flat_map(|a| [a.user_id, a.by_user_id])).collect();
    add_people(db, request_id, &actors, Relation::Acted).await
}

pub async fn add_people(db: &impl ConnectionTrait, request_id: i32, users: &[i32], relation: Relation) -> Result<(), DbErr> {
    let mut seen = HashSet::new();
    for &u in users {
        if !seen.insert(u) {
            continue;
        }
        request_person::Entity::insert(request_person::ActiveModel {
            request_id: Set(request_id),
            user_id: Set(u),
            relation: Set(relation.as_str().to_owned()),
        })
        .on_conflict(
            OnConflict::columns([request_person::Column::RequestId, request_person::Column::UserId, request_person::Column::Relation])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn people(db: &impl ConnectionTrait, request_id: i32, relation: Relation) -> Result<Vec<i32>, DbErr> {
    Ok(request_person::Entity::find()
        .filter(request_person::Column::RequestId.eq(request_id))
        .filter(request_person::Column::Relation.eq(relation.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}

pub use crate::domain::chain::{ApprovalRule, ApprovalRules};

pub const RULES_KEY: &str = "approval_rules";

pub async fn load_rules(db: &impl ConnectionTrait) -> Result<ApprovalRules, DbErr> {
    Ok(crate::db::get_setting(db, RULES_KEY).await?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
}

/// Why a chain could not be resolved: nobody is left to decide this step.
#[derive(Debug, Clone)]
pub struct NobodyLeft {
    pub step: String,
}

async fn department_head(db: &impl ConnectionTrait, dept: Option<i32>) -> Result<Option<i32>, DbErr> {
    match dept {
        Some(d) => Ok(department::Entity::find_by_id(d).one(db).await?.and_then(|d| d.head_id)),
        None => Ok(None),
    }
}

/// The first usable approver, starting with `start` and going one level up (their manager,
/// then their department head) past anyone who is disabled, missing or in `excluded`.
pub async fn escalate(db: &impl ConnectionTrait, start: Vec<i32>, excluded: &HashSet<i32>) -> Result<Option<i32>, DbErr> {
    let mut candidates = start;
    let mut seen = HashSet::new();
    let mut i = 0;
    while i < candidates.len() && i < 64 {
        let id = candidates[i];
        i += 1;
        if !seen.insert(id) {
            continue;
        }
        let Some(u) = user::Entity::find_by_id(id).one(db).await? else { continue };
        if !u.disabled && !excluded.contains(&u.id) {
            return Ok(Some(u.id));
        }
        candidates.extend(u.manager_id);
        candidates.extend(department_head(db, u.department_id).await?);
    }
    Ok(None)
}

/// One level above `u`: their manager, then their department head.
pub async fn above(db: &impl ConnectionTrait, u: &user::Model) -> Result<Vec<i32>, DbErr> {
    let mut ids: Vec<i32> = u.manager_id.into_iter().collect();
    ids.extend(department_head(db, u.department_id).await?);
    Ok(ids)
}

/// Resolves the whole chain at submit: the manager step, the rule steps that apply, and the
/// finance sign-off (limited to the paying company's finance users when it names any).
/// Nobody ever approves their own request, and nobody decides two steps of one round.
pub async fn resolve(
    db: &impl ConnectionTrait,
    m: &request::Model,
    requester: &user::Model,
    rules: &ApprovalRules,
) -> Result<Result<Chain, NobodyLeft>, DbErr> {
    let mut excluded: HashSet<i32> = HashSet::from([requester.id]);
    let mut steps = Vec::new();
    let Some(manager) = escalate(db, above(db, requester).await?, &excluded).await? else {
        return Ok(Err(NobodyLeft { step: MANAGER_STEP.into() }));
    };
    excluded.insert(manager);
    steps.push(Step::new(MANAGER_STEP, StepKind::Manager, Stage::Manager, Mode::Any, vec![manager]));
    for rule in rules.rules.iter().filter(|r| r.applies_to(m)) {
        let starts: Vec<Vec<i32>> = if rule.approver_ids.is_empty() {
            let previous = steps.last().and_then(|s: &Step| s.approver_ids.first().copied());
            let prev_user = match previous {
                Some(p) => user::Entity::find_by_id(p).one(db).await?,
                None => None,
            };
            vec![match prev_user {
                Some(u) => above(db, &u).await?,
                None => Vec::new(),
            }]
        } else {
            rule.approver_ids.iter().map(|a| vec![*a]).collect()
        };
        let mut approvers = Vec::new();
        for start in starts {
            if let Some(a) = escalate(db, start, &excluded).await?
                && !approvers.contains(&a)
            {
                approvers.push(a);
            }
        }
        if approvers.is_empty() {
            return Ok(Err(NobodyLeft { step: rule.name.clone() }));
        }
        excluded.extend(approvers.iter().copied());
        steps.push(Step::new(rule.name.clone(), StepKind::Rule, Stage::Manager, rule.mode, approvers));
    }
    let mut finance = Vec::new();
    if let Some(company) = m.company_id {
        let named: Vec<i32> = company_finance_user::Entity::find()
            .filter(company_finance_user::Column::CompanyId.eq(company))
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.user_id)
            .collect();
        if !named.is_empty() {
            finance = user::Entity::find()
                .filter(user::Column::Id.is_in(named))
                .filter(user::Column::Disabled.eq(false))
                .all(db)
                .await?
                .into_iter()
                .filter(|u| RoleSet::from_db(&u.roles).has(Role::Finance) && !excluded.contains(&u.id))
                .map(|u| u.id)
                .collect();
            if finance.is_empty() {
                return Ok(Err(NobodyLeft { step: FINANCE_STEP.into() }));
            }
        }
    }
    steps.push(Step::new(FINANCE_STEP, StepKind::Finance, Stage::Finance, Mode::Any, finance));
    Ok(Ok(Chain::new(steps)))
}

/// The chain and the columns kept beside it for exports, filters and older readers: who
/// decides and who gave the manager step, and who signed off finance. Always written together.
pub fn chain_columns(chain: &Chain) -> Vec<(request::Column, sea_orm::sea_query::SimpleExpr)> {
    use sea_orm::sea_query::Expr;
    let manager = chain.steps.iter().find(|s| s.kind == StepKind::Manager);
    let finance = chain.steps.iter().rev().find(|s| s.kind == StepKind::Finance);
    vec![
        (request::Column::Chain, Expr::value(to_json(chain))),
        (request::Column::ManagerApproverId, Expr::value(manager.and_then(|s| s.approver_ids.first().copied()))),
        (request::Column::ManagerApprovedBy, Expr::value(manager.and_then(|s| s.approvals.first().map(|a| a.user_id)))),
        (request::Column::FinanceApprovedBy, Expr::value(finance.and_then(|s| s.approvals.first().map(|a| a.by_user_id)))),
    ]
}

/// Admins hear, once per request, round and step, that nobody is left to decide a step.
pub async fn tell_admins_nobody_left(
    db: &impl ConnectionTrait,
    m: &request::Model,
    body: String,
    step: &str,
    channels: crate::store::notify::Channels<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::store::notify::{Notice, notify, users_with_role};
    let notice = Notice {
        kind: "no_approver",
        title: "审批无人可路由".into(),
        body,
        request_id: Some(m.id),
        dedupe_key: format!("no_approver:{}:{}:{step}", m.id, m.round),
    };
    notify(db, &users_with_role(db, Role::Admin).await?, &notice, channels, now).await?;
    Ok(())
}

/// When a user is disabled (or loses the role a step needs), no step still to be decided may
/// wait on them, in the same transaction as that change: on a step others may also decide
/// (或签) they are simply taken off; a finance sign-off falls back to the other finance users
/// (or the whole finance team); otherwise the place goes one level up (their manager, then
/// their department head). Admins are told about any step nobody is left to decide. Each
/// request changes through `store::apply`. Returns how many requests changed.
pub async fn reroute_from(
    ctx: crate::store::apply::Ctx<'_>,
    tx: &sea_orm::DatabaseTransaction,
    cursor: &mut crate::store::audit::AuditCursor,
    gone: &user::Model,
    by: (Option<i32>, &str),
) -> Result<u32, crate::error::ApiError> {
    use crate::store::apply::{By, Change, Order, Refused, apply_in};
    let waiting: Vec<i32> = request_person::Entity::find()
        .filter(request_person::Column::UserId.eq(gone.id))
        .filter(request_person::Column::Relation.is_in([Relation::Current.as_str(), Relation::Chain.as_str()]))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| p.request_id)
        .collect();
    let still = RoleSet::from_db(&gone.roles);
    let why = if gone.disabled { "已停用" } else { "已不是财务人员" };
    let mut moved = 0;
    for m in request::Entity::find().filter(request::Column::Id.is_in(waiting)).all(tx).await? {
        let status = status_of(&m);
        if !matches!(status, Status::PendingManager | Status::PendingFinance) {
            continue;
        }
        let mut chain = chain_of(&m);
        let label = format!("{} {}", m.number.as_deref().unwrap_or(""), m.title);
        let mut notes = Vec::new();
        let mut stuck = Vec::new();
        for i in chain.current..chain.steps.len() {
            let step = &chain.steps[i];
            let can_stay = !gone.disabled && (step.kind != StepKind::Finance || still.has(Role::Finance));
            if can_stay || !step.approver_ids.contains(&gone.id) || step.approvals.iter().any(|a| a.user_id == gone.id) {
                continue;
            }
            let others: Vec<i32> = step.approver_ids.iter().copied().filter(|id| *id != gone.id).collect();
            let name = step.name.clone();
            if (step.mode == Mode::Any && !others.is_empty()) || step.kind == StepKind::Finance {
                // Empty on a finance step: open to every finance user again.
                chain.steps[i].approver_ids = others;
                notes.push(format!("{name}：移除{why}的 {}", gone.display_name));
                continue;
            }
            let mut excluded: HashSet<i32> = chain.all_actors().into_iter().chain(chain.approvers()).collect();
            excluded.insert(m.requester_id);
            match escalate(tx, above(tx, gone).await?, &excluded).await? {
                Some(next) => {
                    for id in chain.steps[i].approver_ids.iter_mut() {
                        if *id == gone.id {
                            *id = next;
                        }
                    }
                    let to = user::Entity::find_by_id(next).one(tx).await?.map(|u| u.display_name).unwrap_or_default();
                    notes.push(format!("{name}：{} {why}，转由 {to} 审批", gone.display_name));
                }
                None => stuck.push(name),
            }
        }
        for step_name in &stuck {
            let body = format!("{label}：步骤「{step_name}」的审批人 {} {why}，且没有上级可接替，请手工安排", gone.display_name);
            tell_admins_nobody_left(tx, &m, body, step_name, crate::store::notify::Channels::of(ctx.config), ctx.now).await?;
        }
        if notes.is_empty() {
            continue;
        }
        let change = Change::Reroute { chain, from_user_id: gone.id, notes: notes.join("；") };
        match apply_in(ctx, tx, cursor, By::Operator { id: by.0, name: by.1 }, &m, Order::new(change)).await {
            Ok(_) => moved += 1,
            // Inside the caller's write lock nothing else can have changed it; skip if it did.
            Err(Refused::Stale) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(moved)
}
