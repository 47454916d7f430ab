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
use crate::domain::chain::{Access, Chain, MAX_STEPS, Position};
use crate::domain::deadlines;
use crate::domain::flags::{effective_status, order_lapsed};
use crate::domain::payment::{self, Ledger};
use crate::domain::workflow::{Action, Actor, Facts, Refusal, Resolution, Status, transition};
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::audit::{self, AuditAction, AuditCursor, NewEvent};
use crate::store::chain::{self as chains, Relation, chain_columns, chain_of, delegations_to, facts_for, facts_without_step};
use crate::store::requests::{conflict_after_race, current_state, next_number, state_conflict, status_of, version_conflict};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{refund, request, user};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait};

mod checks;
mod drafts;
mod notices;

use checks::{check_cc, check_company_finance, hand_to};
pub use drafts::{comment, create, delete_draft};
use notices::{announce, nobody_left};

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

    fn channels(&self) -> crate::store::notify::Channels<'_> {
        crate::store::notify::Channels::of(self.config)
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
    Submit {
        cc_user_ids: Vec<i32>,
        incomplete: Vec<crate::error::FieldError>,
    },
    Approve,
    Reject,
    Withdraw,
    Transfer {
        to_user_id: i32,
    },
    AddApprover {
        user_id: i32,
        position: Position,
    },
    Recall,
    Payout {
        paid_at: NaiveDate,
        amount_fen: i64,
        reference: String,
        override_reason: Option<String>,
    },
    Refund {
        refunded_at: NaiveDate,
        amount_fen: i64,
        reference: String,
    },
    /// Ends a paid request whose refund fell short or never came.
    Resolve {
        resolution: Resolution,
        reason: String,
    },
    /// The scheduler: `pay_by` passed without a payout.
    Expire,
    /// The requester's new form (validated by the caller), with the duplicate flags it earns.
    Edit {
        columns: Vec<(request::Column, SimpleExpr)>,
        flags: String,
        summary_before: serde_json::Value,
    },
    /// A chain recomputed because someone named in it can no longer decide.
    Reroute {
        chain: Chain,
        from_user_id: i32,
        notes: String,
    },
    /// `refund_due` recomputed after the calendar changed.
    RefundDue {
        due: NaiveDate,
    },
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
            Change::Resolve { .. } => Action::Resolve,
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
    Resolve(payment::Resolved),
}

async fn check(ctx: Ctx<'_>, by: By<'_>, current: &request::Model, mut order: Order) -> ApiResult<Checked> {
    if let Some(v) = order.version
        && v != current.version
    {
        return Err(version_conflict(current));
    }
    order.comment = match order.comment.as_deref() {
        None => None,
        Some(c) => crate::domain::text::optional(Some(c), 2000).map_err(|_| {
            ApiError::field(
                "comment",
                "意见须包含可见文字，最多 2000 个字符，且不含控制字符",
                "a comment must show visible text, at most 2000 characters, without control characters",
            )
        })?,
    };
    let today = ctx.today();
    let four_eyes = ctx.config.four_eyes;
    let chain = chain_of(current);
    let (next, slot) = match (order.change.action(), by) {
        (Some(Action::Expire), _) => {
            let facts = facts_without_step(current, &chain, four_eyes);
            (
                transition(status_of(current), Action::Expire, Actor::System, &facts, None)
                    .map_err(|r| refusal(current, Action::Expire, r))?,
                None,
            )
        }
        (Some(action), _) => {
            let facts = match by {
                By::User(me) if order.change.decides_a_step() => {
                    facts_for(current, &chain, me, &delegations_to(ctx.db, me).await?, four_eyes)
                }
                _ => facts_without_step(current, &chain, four_eyes),
            };
            let facts = Facts {
                order_void: order_lapsed(current, today),
                refund_unsettled: crate::domain::flags::refund_unsettled(current, today),
                ..facts
            };
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
                return Err(ApiError::field(
                    "user_id",
                    format!("一轮审批最多 {MAX_STEPS} 步"),
                    format!("a round has at most {MAX_STEPS} steps"),
                ));
            }
            checked.target = Some(target);
        }
        Change::Payout { paid_at, amount_fen, reference, override_reason } => {
            let p = payment::payout(&ledger, *paid_at, *amount_fen, reference, override_reason.as_deref(), today)
                .map_err(ApiError::Validation)?;
            checked.money = Some(Money::Payout(p));
        }
        Change::Refund { refunded_at, amount_fen, reference } => {
            let r = payment::refund(&ledger, *refunded_at, *amount_fen, reference, today).map_err(ApiError::Validation)?;
            checked.money = Some(Money::Refund(r));
        }
        Change::Resolve { resolution, reason } => {
            let r = payment::resolve(&ledger, *resolution, reason).map_err(ApiError::Validation)?;
            checked.next = resolution.outcome();
            checked.money = Some(Money::Resolve(r));
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
            let requester =
                user::Entity::find_by_id(current.requester_id).one(tx).await?.ok_or_else(|| ApiError::not_found("申请人", "requester"))?;
            let rules = chains::load_rules(tx).await?;
            let mut resolved =
                chains::resolve(tx, current, &requester, &rules).await?.map_err(|nobody| Refused::NobodyLeft(nobody.step))?;
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
            next = chain
                .recall(by.id().unwrap_or_default())
                .map_err(|_| ApiError::Forbidden(Msg::new("没有可撤回的审批", "nothing to recall")))?;
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
        Change::Resolve { .. } => {
            let Some(Money::Resolve(r)) = &money else { unreachable!("checked") };
            columns.extend([
                (C::Resolution, Expr::value(r.resolution.as_str())),
                (C::ResolutionReason, Expr::value(r.reason.clone())),
                (C::ResolvedBy, Expr::value(by.id())),
                (C::ResolvedAt, Expr::value(now)),
            ]);
            event.extend(json_map(serde_json::json!({
                "resolution": r.resolution.as_str(), "reason": r.reason,
                "payout_fen": current.payout_amount_fen, "refunded_total_fen": current.refund_amount_fen.unwrap_or(0),
                "difference_fen": r.difference_fen,
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
        Change::Resolve { .. } => match &money {
            Some(Money::Resolve(r)) => Some(r.reason.clone()),
            _ => None,
        },
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
                // A draft saved again (as its requester does) changes nothing anyone else lists.
                drafts_only: matches!(order.change, Change::Edit { .. })
                    && current.status == Status::Draft.as_str()
                    && updated.status == Status::Draft.as_str(),
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
        Refusal::NothingToResolve => ApiError::Conflict {
            code: ConflictCode::NothingToResolve,
            msg: Msg::new(
                "这笔款项的退款既无差额也未逾期，无需处理",
                "the refund is neither short nor overdue; there is nothing to resolve",
            ),
            current: Some(current_state(current)),
        },
        Refusal::NextStepActed => ApiError::Conflict {
            code: ConflictCode::NextStepActed,
            msg: Msg::new("下一步已经处理，不能再撤回审批", "a later step has acted; the approval can no longer be recalled"),
            current: Some(current_state(current)),
        },
        Refusal::OrderVoid => ApiError::field(
            "order_date",
            format!("腾讯的验证订单已于 {} 失效（须在下单后 10 天内打款），请在公众平台重新发起验证后修改订单日期", current.pay_by),
            format!(
                "Tencent's verification order lapsed on {} (payment is due within 10 days of the order); start a new verification and update order_date",
                current.pay_by
            ),
        ),
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
