//! The one place that applies a change to a request.
//!
//! Every change — the workflow actions, hand-offs, payouts, refunds, edits, the scheduler's
//! expiry, reroutes and recomputed deadlines — goes down the same steps:
//!
//! 1. the version the caller saw (409 when it moved on);
//! 2. `domain::workflow::transition` (or, for edits and system changes, their own rule);
//! 3. the change's own checks, which may read but never write;
//! 4. in one transaction: the conditional update on id + version + status, the chain and
//!    its people index, the audit event, notifications, the registry follow-up and the
//!    idempotency mark; then commit.
//!
//! Handlers parse their input, call `apply`, and map what comes back.
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::config::Config;
use crate::domain::chain::{Access, Candidate, Chain, Ineligible, MAX_STEPS, Position, StepKind};
use crate::domain::deadlines;
use crate::domain::flags::{effective_status, order_lapsed};
use crate::domain::money::format_yuan;
use crate::domain::payment::{self, Ledger};
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::{Action, Actor, Facts, Refusal, Status, transition};
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::audit::{self, AuditAction, AuditCursor, NewEvent};
use crate::store::chain::{self as chains, Relation, chain_columns, chain_of, delegations_to, facts_for, facts_without_step};
use crate::store::notify::{Notice, notify, users_with_role};
use crate::store::requests::{conflict_after_race, current_state, next_number, state_conflict, status_of, version_conflict};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{company_finance_user, refund, request, user};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter,
};

/// What every change needs from the running instance.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a DatabaseConnection,
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    fn today(&self) -> NaiveDate {
        china_date(self.now)
    }

    fn webhook(&self) -> bool {
        self.config.webhook_url.is_some()
    }
}

/// Who makes the change.
#[derive(Clone, Copy)]
pub enum By<'a> {
    /// A signed-in person.
    User(&'a AuthUser),
    /// The scheduler.
    System,
    /// A person whose action elsewhere causes the change (disabling a user reroutes their
    /// steps; replacing a calendar year moves refund deadlines).
    Operator { id: Option<i32>, name: &'a str },
}

impl By<'_> {
    fn id(&self) -> Option<i32> {
        match self {
            By::User(u) => Some(u.id),
            By::System => None,
            By::Operator { id, .. } => *id,
        }
    }

    fn name(&self) -> &str {
        match self {
            By::User(u) => &u.display_name,
            By::System => "system",
            By::Operator { name, .. } => name,
        }
    }

    fn actor(&self) -> Actor {
        match self {
            By::User(u) => u.actor(),
            _ => Actor::System,
        }
    }
}

/// A change to one request, its input already parsed at the edge.
#[derive(Debug, Clone)]
pub enum Change {
    /// `incomplete`: what the stored form still lacks (answered after the workflow's own checks).
    Submit { cc_user_ids: Vec<i32>, incomplete: Vec<crate::error::FieldError> },
    Approve,
    Reject,
    Withdraw,
    Transfer { to_user_id: i32 },
    AddApprover { user_id: i32, position: Position },
    Recall,
    Payout { paid_at: NaiveDate, amount_fen: i64, reference: String, override_reason: Option<String> },
    Refund { refunded_at: NaiveDate, amount_fen: i64, reference: String },
    /// The scheduler: `pay_by` passed without a payout.
    Expire,
    /// The requester's new form (validated by the caller), with the duplicate flags it earns.
    Edit { columns: Vec<(request::Column, SimpleExpr)>, flags: String, summary_before: serde_json::Value },
    /// A chain recomputed because someone named in it can no longer decide.
    Reroute { chain: Chain, from_user_id: i32, notes: String },
    /// `refund_due` recomputed after the calendar changed.
    RefundDue { due: NaiveDate },
}

impl Change {
    /// The workflow action this change is, when it is one.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            Change::Submit { .. } => Action::Submit,
            Change::Approve => Action::Approve,
            Change::Reject => Action::Reject,
            Change::Withdraw => Action::Withdraw,
            Change::Transfer { .. } => Action::Transfer,
            Change::AddApprover { .. } => Action::AddApprover,
            Change::Recall => Action::Recall,
            Change::Payout { .. } => Action::Payout,
            Change::Refund { .. } => Action::Refund,
            Change::Expire => Action::Expire,
            Change::Edit { .. } | Change::Reroute { .. } | Change::RefundDue { .. } => return None,
        })
    }

    fn audit_action(&self) -> AuditAction {
        match self {
            Change::Edit { .. } => AuditAction::Update,
            Change::Reroute { .. } => AuditAction::Reroute,
            Change::RefundDue { .. } => AuditAction::RefundDue,
            other => AuditAction::from(other.action().unwrap_or(Action::Expire)),
        }
    }

    fn verb(&self) -> &'static str {
        match self.action() {
            Some(a) => a.as_str(),
            None => "update",
        }
    }

    /// Whether the change touches the approval steps (and so needs the caller's delegations).
    fn decides_a_step(&self) -> bool {
        matches!(self, Change::Approve | Change::Reject | Change::Transfer { .. } | Change::AddApprover { .. } | Change::Recall)
    }
}

/// One change as asked for.
#[derive(Debug, Clone)]
pub struct Order {
    pub change: Change,
    /// The version the caller saw; `None` skips the check (the caller takes what is there).
    pub version: Option<i32>,
    /// The opinion (审批意见) or note kept with the event.
    pub comment: Option<String>,
    /// Marks the `Idempotency-Key` committed in the same transaction (payouts and refunds).
    pub idempotency_key: Option<String>,
}

impl Order {
    pub fn new(change: Change) -> Order {
        Order { change, version: None, comment: None, idempotency_key: None }
    }
}

/// The request after the change, and what the caller should be told besides.
#[derive(Debug)]
pub struct Applied {
    pub request: request::Model,
    pub warnings: Vec<String>,
}

/// Why a change inside someone else's transaction did not apply.
#[derive(Debug)]
pub enum Refused {
    Api(ApiError),
    /// The conditional update matched nothing: someone else changed the request first.
    Stale,
    /// Nobody is left to decide this step (submit only).
    NobodyLeft(String),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Api(e)
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(e: sea_orm::DbErr) -> Refused {
        Refused::Api(e.into())
    }
}

/// Applies `order` to `current` in a transaction of its own.
pub async fn apply(ctx: Ctx<'_>, by: By<'_>, current: request::Model, order: Order) -> ApiResult<Applied> {
    let verb = order.change.verb();
    let checked = check(ctx, by, &current, order).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    match write(ctx, &tx, &mut cursor, by, &current, checked).await {
        Ok(applied) => {
            tx.commit().await?;
            Ok(applied)
        }
        Err(refused) => {
            drop(tx);
            drop(cursor);
            Err(match refused {
                Refused::Api(e) => e,
                Refused::Stale => conflict_after_race(ctx.db, &current, verb).await?,
                Refused::NobodyLeft(step) => nobody_left(ctx, &current, &step).await?,
            })
        }
    }
}

/// Applies `order` inside the caller's transaction (a user's disabling, a calendar import).
pub async fn apply_in(
    ctx: Ctx<'_>,
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    by: By<'_>,
    current: &request::Model,
    order: Order,
) -> Result<Applied, Refused> {
    let checked = check(ctx, by, current, order).await?;
    write(ctx, tx, cursor, by, current, checked).await
}

/// A change that passed every check that can be made before the write lock.
struct Checked {
    order: Order,
    next: Status,
    /// The approver whose place the caller acts in (their own, or a delegator's).
    slot: Option<i32>,
    cc: Vec<i32>,
    target: Option<user::Model>,
    money: Option<Money>,
}

enum Money {
    Payout(payment::Payout),
    Refund(payment::Refund),
}

async fn check(ctx: Ctx<'_>, by: By<'_>, current: &request::Model, mut order: Order) -> ApiResult<Checked> {
    if let Some(v) = order.version
        && v != current.version
    {
        return Err(version_conflict(current));
    }
    order.comment = match order.comment.as_deref() {
        None => None,
        Some(c) => crate::domain::text::optional(Some(c), 2000)
            .map_err(|_| ApiError::field("comment", "意见须包含可见文字，最多 2000 个字符，且不含控制字符", "a comment must show visible text, at most 2000 characters, without control characters"))?,
    };
    let today = ctx.today();
    let four_eyes = ctx.config.four_eyes;
    let chain = chain_of(current);
    let (next, slot) = match (order.change.action(), by) {
        (Some(Action::Expire), _) => {
            let facts = facts_without_step(current, &chain, four_eyes);
            (transition(status_of(current), Action::Expire, Actor::System, &facts, None).map_err(|r| refusal(current, Action::Expire, r))?, None)
        }
        (Some(action), _) => {
            let facts = match by {
                By::User(me) if order.change.decides_a_step() => facts_for(current, &chain, me, &delegations_to(ctx.db, me).await?, four_eyes),
                _ => facts_without_step(current, &chain, four_eyes),
            };
            let facts = Facts { order_void: order_lapsed(current, today), ..facts };
            let next = transition(effective_status(current, today), action, by.actor(), &facts, order.comment.as_deref())
                .map_err(|r| refusal(current, action, r))?;
            let slot = match facts.step.access {
                Access::Delegate(approver) => Some(approver),
                _ => by.id(),
            };
            (next, slot)
        }
        (None, _) => (status_of(current), by.id()),
    };
    let mut checked = Checked { order, next, slot, cc: Vec::new(), target: None, money: None };
    let ledger = Ledger::of(current);
    match &checked.order.change {
        Change::Submit { cc_user_ids, incomplete } => {
            if !incomplete.is_empty() {
                return Err(ApiError::Validation(incomplete.clone()));
            }
            checked.cc = check_cc(ctx.db, current, cc_user_ids).await?;
        }
        Change::Transfer { to_user_id } => {
            let slot = checked.slot.unwrap_or_default();
            if *to_user_id == slot || Some(*to_user_id) == by.id() {
                return Err(ApiError::field("to_user_id", "不能转交给自己", "you cannot transfer to yourself"));
            }
            let target = hand_to(ctx.db, current, &chain, "to_user_id", *to_user_id).await?;
            check_company_finance(ctx.db, current, &chain, &target).await?;
            checked.target = Some(target);
        }
        Change::AddApprover { user_id, .. } => {
            let slot = checked.slot.unwrap_or_default();
            if *user_id == slot || Some(*user_id) == by.id() {
                return Err(ApiError::field("user_id", "不能给自己加签", "you cannot add yourself"));
            }
            let target = hand_to(ctx.db, current, &chain, "user_id", *user_id).await?;
            if chain.steps.len() >= MAX_STEPS {
                return Err(ApiError::field("user_id", format!("一轮审批最多 {MAX_STEPS} 步"), format!("a round has at most {MAX_STEPS} steps")));
            }
            checked.target = Some(target);
        }
        Change::Payout { paid_at, amount_fen, reference, override_reason } => {
            let p = payment::payout(&ledger, *paid_at, *amount_fen, reference, override_reason.as_deref(), today).map_err(ApiError::Validation)?;
            checked.money = Some(Money::Payout(p));
        }
        Change::Refund { refunded_at, amount_fen, reference } => {
            let r = payment::refund(&ledger, *refunded_at, *amount_fen, reference, today).map_err(ApiError::Validation)?;
            checked.money = Some(Money::Refund(r));
        }
        Change::Edit { .. } => {
            let requester = match by {
                By::User(me) => me.id == current.requester_id,
                _ => false,
            };
            if !requester {
                return Err(ApiError::Forbidden(Msg::new("只有申请人本人可以修改申请", "only the requester may edit the request")));
            }
            if !status_of(current).is_editable() {
                return Err(state_conflict(current, "update"));
            }
        }
        _ => {}
    }
    Ok(checked)
}

async fn write(
    ctx: Ctx<'_>,
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    by: By<'_>,
    current: &request::Model,
    checked: Checked,
) -> Result<Applied, Refused> {
    use request::Column as C;
    let Checked { order, mut next, slot, cc, target, money } = checked;
    let now = ctx.now;
    let from = status_of(current);
    let mut chain = chain_of(current);
    let mut chain_changed = false;
    let mut columns: Vec<(C, SimpleExpr)> = vec![(C::UpdatedAt, Expr::value(now))];
    let mut warnings = Vec::new();
    let mut event = serde_json::Map::new();
    let on_behalf_of = slot.filter(|s| Some(*s) != by.id());
    // The step this change decides or changes, named in the audit event.
    let mut step_name = if order.change.decides_a_step() { chain.current_step().map(|s| s.name.clone()) } else { None };
    if order.change.decides_a_step()
        && let (By::User(me), Some(slot)) = (by, slot)
    {
        chains::still_delegated(tx, me, current, slot).await?;
    }
    match &order.change {
        Change::Submit { .. } => {
            let requester = user::Entity::find_by_id(current.requester_id).one(tx).await?.ok_or_else(|| ApiError::not_found("申请人", "requester"))?;
            let rules = chains::load_rules(tx).await?;
            let mut resolved = chains::resolve(tx, current, &requester, &rules).await?.map_err(|nobody| Refused::NobodyLeft(nobody.step))?;
            resolved.earlier_actors = if current.round > 0 { chain.all_actors() } else { Vec::new() };
            chain = resolved;
            chain_changed = true;
            columns.push((C::ApprovedAt, Expr::value(Option::<DateTime<Utc>>::None)));
            columns.push((C::SubmittedAt, Expr::value(now)));
            columns.push((C::Round, Expr::value(current.round + 1)));
            if current.number.is_none() {
                let month = ctx.today().format("%Y%m").to_string();
                columns.push((C::Number, Expr::value(next_number(tx, &month).await?)));
            }
            event.insert("cc_user_ids".into(), cc.clone().into());
        }
        Change::Approve => {
            chain.approve(slot.unwrap_or_default(), by.id().unwrap_or_default(), now);
            chain_changed = true;
            if next == Status::Approved {
                columns.push((C::ApprovedAt, Expr::value(now)));
            }
        }
        Change::Transfer { .. } => {
            let to = target.as_ref().map(|t| t.id).unwrap_or_default();
            chain.transfer(slot.unwrap_or_default(), to);
            chain_changed = true;
            next = chain.status();
            event.insert("from_user_id".into(), slot.into());
        }
        Change::AddApprover { position, .. } => {
            let (name, pos) = match position {
                Position::Before => ("加签（前）", "before"),
                Position::After => ("加签（后）", "after"),
            };
            chain.add_approver(target.as_ref().map(|t| t.id).unwrap_or_default(), *position, name);
            chain_changed = true;
            next = chain.status();
            event.insert("position".into(), pos.into());
        }
        Change::Recall => {
            // `transition` has established that a recall is possible now.
            next = chain.recall(by.id().unwrap_or_default()).map_err(|_| ApiError::Forbidden(Msg::new("没有可撤回的审批", "nothing to recall")))?;
            chain_changed = true;
            step_name = chain.current_step().map(|s| s.name.clone());
            if from == Status::Approved {
                columns.push((C::ApprovedAt, Expr::value(Option::<DateTime<Utc>>::None)));
            }
        }
        Change::Payout { .. } => {
            let Some(Money::Payout(p)) = &money else { unreachable!("checked") };
            // The calendar is read inside the write lock, so a concurrent import cannot leave a stale deadline.
            let refund_due = if next == Status::Paid {
                let due = deadlines::refund_due(&crate::store::calendar::load(tx).await?, p.paid_at);
                warnings = crate::store::calendar::missing_year_warnings(&due.missing_years, crate::error::Lang::Zh);
                Some(due.value)
            } else {
                None
            };
            columns.extend([
                (C::PaidAt, Expr::value(p.paid_at)),
                (C::PayoutAmountFen, Expr::value(p.amount.fen())),
                (C::PayoutReference, Expr::value(p.reference.clone())),
                (C::PayoutOverrideReason, Expr::value(p.override_reason.clone())),
                (C::PaidBy, Expr::value(by.id())),
                (C::RefundDue, Expr::value(refund_due)),
            ]);
            event.extend(json_map(serde_json::json!({
                "paid_at": p.paid_at, "amount_fen": p.amount.fen(), "reference": p.reference,
                "override_reason": p.override_reason, "refund_due": refund_due,
            })));
        }
        Change::Refund { .. } => {
            let Some(Money::Refund(r)) = &money else { unreachable!("checked") };
            let paid = current.payout_amount_fen.unwrap_or(current.amount_fen);
            let total = current.refund_amount_fen.unwrap_or(0) + r.amount.fen();
            next = crate::domain::workflow::refund_outcome(paid, total);
            columns.extend([
                (C::RefundAmountFen, Expr::value(total)),
                (C::RefundedAt, Expr::value(r.refunded_at)),
                (C::RefundReference, Expr::value(r.reference.clone())),
            ]);
            event.extend(json_map(serde_json::json!({
                "refunded_at": r.refunded_at, "amount_fen": r.amount.fen(), "refunded_total_fen": total,
                "difference_fen": paid - total, "reference": r.reference,
            })));
        }
        Change::Edit { columns: form, flags, .. } => {
            columns.extend(form.iter().cloned());
            columns.push((C::Flags, Expr::value(flags.clone())));
        }
        Change::Reroute { chain: rerouted, from_user_id, .. } => {
            chain = rerouted.clone();
            chain_changed = true;
            step_name = chain.current_step().map(|s| s.name.clone());
            event.insert("from_user_id".into(), (*from_user_id).into());
        }
        Change::RefundDue { due } => {
            columns.push((C::RefundDue, Expr::value(*due)));
            event.extend(json_map(serde_json::json!({"refund_due_before": current.refund_due, "refund_due": due})));
        }
        Change::Reject | Change::Withdraw | Change::Expire => {}
    }
    columns.push((C::Status, Expr::value(next.as_str())));
    if chain_changed {
        columns.extend(chain_columns(&chain));
    }
    if !crate::store::requests::conditional_update(tx, current, columns).await? {
        return Err(Refused::Stale);
    }
    let updated = request::Entity::find_by_id(current.id).one(tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    if chain_changed || next != from {
        // Nobody has an expired, withdrawn or returned request to decide any more.
        chains::sync_people(tx, current.id, &chain, next).await?;
    }
    chains::add_people(tx, current.id, &cc, Relation::Cc).await?;
    if order.change.decides_a_step()
        && let Some(me) = by.id()
    {
        // Whoever decided keeps reading what they decided, delegates included.
        chains::add_people(tx, current.id, &[me], Relation::Involved).await?;
    }
    if let (Change::Refund { .. }, Some(Money::Refund(r))) = (&order.change, &money) {
        refund::ActiveModel {
            request_id: Set(current.id),
            refunded_at: Set(r.refunded_at),
            amount_fen: Set(r.amount.fen()),
            reference: Set(r.reference.clone()),
            recorded_by: Set(by.id().unwrap_or_default()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    let (before, after) = match &order.change {
        Change::Edit { summary_before, .. } => (summary_before.clone(), summary(&updated)),
        _ => {
            let mut after = serde_json::json!({
                "status": updated.status, "version": updated.version, "round": updated.round, "number": updated.number, "step": step_name,
            });
            if let Some(t) = &target {
                event.insert("to_user_id".into(), t.id.into());
                event.insert("to_user_name".into(), t.display_name.clone().into());
            }
            if let Some(obj) = after.as_object_mut() {
                obj.extend(event);
            }
            let mut before = serde_json::json!({"status": current.status, "version": current.version, "round": current.round});
            if matches!(order.change, Change::Refund { .. }) {
                before["refunded_total_fen"] = current.refund_amount_fen.into();
            }
            (before, after)
        }
    };
    let comment = match &order.change {
        Change::Payout { .. } => match &money {
            Some(Money::Payout(p)) => p.override_reason.clone(),
            _ => None,
        },
        Change::Expire => Some(format!("超过付款期限 {}，小程序注册验证失败", current.pay_by)),
        Change::Reroute { notes, .. } => Some(notes.clone()),
        _ => order.comment.clone(),
    };
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: by.id(),
                actor_name: by.name().to_owned(),
                on_behalf_of_id: on_behalf_of,
                action: order.change.audit_action(),
                request_id: Some(current.id),
                comment,
                before: Some(before),
                after: Some(after),
            },
            now,
        )
        .await?;
    announce(ctx, tx, &order.change, from, &updated, &chain, &cc).await?;
    crate::store::mini_programs::follow_request(tx, cursor, &updated, (by.id(), by.name()), now).await?;
    if let (Some(k), By::User(me)) = (&order.idempotency_key, by) {
        crate::store::idempotency::mark_committed(tx, me.id, k).await?;
    }
    Ok(Applied { request: updated, warnings })
}

fn json_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// What the audit log keeps of a request's form.
pub fn summary(m: &request::Model) -> serde_json::Value {
    serde_json::json!({
        "status": m.status, "version": m.version, "number": m.number, "kind": m.kind,
        "amount_fen": m.amount_fen, "payee_name": m.payee_name, "payee_account": m.payee_account, "title": m.title,
    })
}

/// A refusal of the workflow rules as the HTTP answer it is.
pub fn refusal(current: &request::Model, action: Action, r: Refusal) -> ApiError {
    match r {
        Refusal::WrongState(_) => state_conflict(current, action.as_str()),
        Refusal::NotAllowed(reason) => ApiError::Forbidden(Msg::new(reason.zh(), reason.en())),
        Refusal::CommentRequired => ApiError::field("comment", "退回时必须填写审批意见", "a comment is required to reject"),
        Refusal::NextStepActed => ApiError::Conflict {
            code: ConflictCode::NextStepActed,
            msg: Msg::new("下一步已经处理，不能再撤回审批", "a later step has acted; the approval can no longer be recalled"),
            current: Some(current_state(current)),
        },
        Refusal::OrderVoid => ApiError::field(
            "order_date",
            format!("腾讯的验证订单已于 {} 失效（须在下单后 10 天内打款），请在公众平台重新发起验证后修改订单日期", current.pay_by),
            format!("Tencent's verification order lapsed on {} (payment is due within 10 days of the order); start a new verification and update order_date", current.pay_by),
        ),
    }
}

/// The people copied in on submit: they must exist and be active; the requester is not copied.
async fn check_cc(db: &DatabaseConnection, m: &request::Model, ids: &[i32]) -> ApiResult<Vec<i32>> {
    let mut ids: Vec<i32> = ids.iter().copied().filter(|id| *id != m.requester_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 50 {
        return Err(ApiError::field("cc_user_ids", "最多抄送 50 人", "at most 50 people can be copied in"));
    }
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids.clone())).filter(user::Column::Disabled.eq(false)).all(db).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|u| u.id == **id)) {
        return Err(ApiError::field("cc_user_ids", format!("抄送人 {missing} 不存在或已停用"), format!("user {missing} does not exist or is disabled")));
    }
    Ok(ids)
}

/// The user a hand-off names: they must exist and be eligible for the step (`domain::chain::eligible`).
async fn hand_to(db: &DatabaseConnection, m: &request::Model, chain: &Chain, field: &str, user_id: i32) -> ApiResult<user::Model> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::field(field, format!("用户 {user_id} 不存在"), format!("user {user_id} does not exist")))?;
    let who = Candidate { id: u.id, disabled: u.disabled, roles: RoleSet::from_db(&u.roles) };
    match crate::domain::chain::eligible(&who, m.requester_id, chain, field == "to_user_id") {
        Ok(()) => Ok(u),
        Err(Ineligible::Disabled) => Err(ApiError::field(field, format!("{} 已停用", u.display_name), format!("{} is disabled", u.username))),
        Err(Ineligible::Requester) => Err(ApiError::field(field, "不能交给申请人本人审批", "the requester may not approve their own request")),
        Err(Ineligible::NoApprovingRole(Role::Finance)) => Err(ApiError::field(
            field,
            format!("{} 没有财务角色，财务审批只能交给财务人员", u.display_name),
            format!("{} does not hold the finance role; the finance sign-off can only go to finance", u.username),
        )),
        Err(Ineligible::NoApprovingRole(_)) => Err(ApiError::field(
            field,
            format!("{} 没有经理角色，不能审批此步骤", u.display_name),
            format!("{} does not hold the manager role and cannot decide this step", u.username),
        )),
        Err(Ineligible::Involved) => Err(ApiError::field(
            field,
            format!("{} 已在本轮审批中（已审批、正在等待其审批或负责后续步骤）", u.display_name),
            format!("{} already takes part in this round", u.username),
        )),
    }
}

/// A finance sign-off stays with the paying company's finance users when it names any.
async fn check_company_finance(db: &DatabaseConnection, m: &request::Model, chain: &Chain, u: &user::Model) -> ApiResult<()> {
    let (Some(company), true) = (m.company_id, chain.current_step().is_some_and(|s| s.kind == StepKind::Finance)) else {
        return Ok(());
    };
    let named = company_finance_user::Entity::find().filter(company_finance_user::Column::CompanyId.eq(company));
    let listed = named.clone().filter(company_finance_user::Column::UserId.eq(u.id)).count(db).await? > 0;
    if !listed && named.count(db).await? > 0 {
        return Err(ApiError::field("to_user_id", "此公司的财务审批只能由其财务人员完成", "this company's sign-off is limited to its finance users"));
    }
    Ok(())
}

/// Nobody is left to decide a step: admins are told (once per request and round), and the
/// submit answers 409 so the requester knows it did not go anywhere.
async fn nobody_left(ctx: Ctx<'_>, m: &request::Model, step: &str) -> ApiResult<ApiError> {
    let body = format!(
        "申请「{}」的步骤「{step}」找不到可审批的人（审批人是申请人本人、已停用或未设置上级/部门负责人），请设置后让申请人重新提交",
        m.title
    );
    chains::tell_admins_nobody_left(ctx.db, m, body, step, ctx.webhook(), ctx.now).await?;
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
async fn announce(
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
            Notice { kind: "cc", title: "抄送给您".into(), body: label.clone(), request_id: Some(m.id), dedupe_key: format!("cc:{}:{}", m.id, m.round) },
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
            let payers = finance().await?.into_iter().filter(|id| *id != m.requester_id && !(ctx.config.four_eyes && signed.contains(id))).collect();
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
                ("退款金额不符", format!("{number} 已退回 {}，打款 {}，差额 {}", format_yuan(total), format_yuan(paid), format_yuan(paid - total)))
            };
            notices.push((
                vec![m.requester_id],
                Notice { kind: "refund", title: title.into(), body, request_id: Some(m.id), dedupe_key: format!("refund:{}:{}", m.id, m.version) },
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
        notify(tx, &users, &notice, ctx.webhook(), ctx.now).await?;
    }
    Ok(())
}

/// Why a change was refused inside someone else's transaction, for their log.
pub fn refused_reason(r: &Refused) -> String {
    match r {
        Refused::Api(e) => e.to_string(),
        Refused::Stale => "changed meanwhile".into(),
        Refused::NobodyLeft(step) => format!("nobody left for {step}"),
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        match r {
            Refused::Api(e) => e,
            Refused::Stale => ApiError::Conflict {
                code: ConflictCode::VersionConflict,
                msg: Msg::new("申请已被他人修改，请刷新后重试", "the request was changed by someone else; reload and retry"),
                current: None,
            },
            Refused::NobodyLeft(step) => ApiError::Conflict {
                code: ConflictCode::NoApprover,
                msg: Msg::new(format!("步骤「{step}」找不到可审批的人"), format!("nobody can decide the step \"{step}\"")),
                current: None,
            },
        }
    }
}

/// Creates a draft: the row, its audit event and the registry follow-up, in one transaction.
pub async fn create(ctx: Ctx<'_>, me: &AuthUser, draft: request::ActiveModel) -> ApiResult<request::Model> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let m = draft.insert(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: AuditAction::Create,
                request_id: Some(m.id),
                after: Some(summary(&m)),
                ..Default::default()
            },
            ctx.now,
        )
        .await?;
    crate::store::mini_programs::follow_request(&tx, &mut cursor, &m, (Some(me.id), &me.display_name), ctx.now).await?;
    tx.commit().await?;
    Ok(m)
}

/// Deletes a draft that was never submitted, with its attachment rows, if it is still at the
/// version the caller saw. Returns the attachments whose stored files the caller removes.
pub async fn delete_draft(ctx: Ctx<'_>, me: &AuthUser, current: request::Model) -> ApiResult<Vec<entity::attachment::Model>> {
    use entity::attachment;
    let files = attachment::Entity::find().filter(attachment::Column::RequestId.eq(current.id)).all(ctx.db).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    attachment::Entity::delete_many().filter(attachment::Column::RequestId.eq(current.id)).exec(&tx).await?;
    let deleted = request::Entity::delete_many()
        .filter(request::Column::Id.eq(current.id))
        .filter(request::Column::Version.eq(current.version))
        .filter(request::Column::Status.eq(Status::Draft.as_str()))
        .exec(&tx)
        .await?;
    if deleted.rows_affected != 1 {
        drop(tx);
        drop(cursor);
        return Err(conflict_after_race(ctx.db, &current, "delete").await?);
    }
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: AuditAction::Delete,
                request_id: Some(current.id),
                before: Some(summary(&current)),
                ..Default::default()
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(files)
}

/// A comment without acting: its audit event and the notices to the people it mentions.
pub async fn comment(ctx: Ctx<'_>, me: &AuthUser, m: &request::Model, text: &str, mentioned: &[i32]) -> ApiResult<()> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let ev = cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: AuditAction::Comment,
                request_id: Some(m.id),
                comment: Some(text.to_owned()),
                after: Some(serde_json::json!({"status": m.status, "version": m.version, "mentioned_user_ids": mentioned})),
                ..Default::default()
            },
            ctx.now,
        )
        .await?;
    let notice = Notice {
        kind: "mention",
        title: format!("{} 在审批单中提到了您", me.display_name),
        body: format!("{} {}：{}", m.number.as_deref().unwrap_or(""), m.title, text.chars().take(200).collect::<String>()),
        request_id: Some(m.id),
        dedupe_key: format!("mention:{}:{}", m.id, ev.seq),
    };
    notify(&tx, mentioned, &notice, ctx.webhook(), ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
