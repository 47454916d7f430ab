//! The approval workflow of DESIGN §1.2 as one pure transition function.
//!
//! `transition` is the single source of truth: the HTTP layer calls it before every state
//! change, and `allowed_actions` is computed by asking it about every action, so the UI can
//! never offer what the server would refuse.
use super::chain::{Access, RecallRefusal};
use super::roles::{Role, RoleSet};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    PendingManager,
    PendingFinance,
    Approved,
    Paid,
    Refunded,
    Returned,
    Withdrawn,
    Expired,
    Closed,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Draft,
        Status::PendingManager,
        Status::PendingFinance,
        Status::Approved,
        Status::Paid,
        Status::Refunded,
        Status::Returned,
        Status::Withdrawn,
        Status::Expired,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingManager => "pending_manager",
            Status::PendingFinance => "pending_finance",
            Status::Approved => "approved",
            Status::Paid => "paid",
            Status::Refunded => "refunded",
            Status::Returned => "returned",
            Status::Withdrawn => "withdrawn",
            Status::Expired => "expired",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::PendingManager => "待经理审批",
            Status::PendingFinance => "待财务审批",
            Status::Approved => "已批准待打款",
            Status::Paid => "已打款待退款",
            Status::Refunded => "已退款",
            Status::Returned => "已退回",
            Status::Withdrawn => "已撤回",
            Status::Expired => "已过期",
            Status::Closed => "已完成",
        }
    }

    /// The requester may still change the form.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }

    /// Still in flight: counts for duplicate detection and "open" lists.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Refunded | Status::Withdrawn | Status::Expired | Status::Closed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Approve,
    Reject,
    Withdraw,
    Payout,
    Refund,
    /// 转交: hand the current step to someone else.
    Transfer,
    /// 加签: add an approver before or after oneself.
    AddApprover,
    /// 撤回: take back one's approval while the next step has not acted.
    Recall,
    /// End a paid request whose refund fell short or never came (DESIGN §1.2).
    Resolve,
    Expire,
}

impl Action {
    /// The actions a person can take (everything but the system's `expire`).
    pub const BY_PEOPLE: [Action; 10] = [
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::Withdraw,
        Action::Payout,
        Action::Refund,
        Action::Transfer,
        Action::AddApprover,
        Action::Recall,
        Action::Resolve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
            Action::Payout => "payout",
            Action::Refund => "refund",
            Action::Transfer => "transfer",
            Action::AddApprover => "add_approver",
            Action::Recall => "recall",
            Action::Resolve => "resolve",
            Action::Expire => "expire",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::BY_PEOPLE.into_iter().chain([Action::Expire]).find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 对公打款验证: Tencent returns the money, so it is tracked to refund.
    VerificationTransfer,
    /// 微信认证费: a fee, never refunded.
    CertificationFee,
    /// Any other advance payment; refundable only when the form says so.
    AdvancePayment,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::VerificationTransfer, Kind::CertificationFee, Kind::AdvancePayment];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VerificationTransfer => "verification_transfer",
            Kind::CertificationFee => "certification_fee",
            Kind::AdvancePayment => "advance_payment",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::VerificationTransfer => "对公打款验证",
            Kind::CertificationFee => "微信认证费",
            Kind::AdvancePayment => "其他预付款",
        }
    }

    /// The seed: "微信认证…需支付300元认证费".
    pub fn default_amount_fen(self) -> Option<i64> {
        match self {
            Kind::CertificationFee => Some(30_000),
            _ => None,
        }
    }

    /// Whether the money is expected back; `requested` is the form's `refundable` field.
    pub fn refundable(self, requested: bool) -> bool {
        match self {
            Kind::VerificationTransfer => true,
            Kind::CertificationFee => false,
            Kind::AdvancePayment => requested,
        }
    }

    /// The mini-program is what the payment is for; only a general advance payment may lack one.
    pub fn requires_mini_program(self) -> bool {
        !matches!(self, Kind::AdvancePayment)
    }
}

/// Who is acting: a signed-in person, or the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User { id: i32, roles: RoleSet },
    System,
}

/// What the rules need to know about one request beyond its status, as seen by one actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub requester_id: i32,
    /// Who gave the finance sign-off, and for whom when they acted as a delegate.
    pub finance_signed_by: [Option<i32>; 2],
    pub refundable: bool,
    /// Payout by someone other than the finance sign-off (config, default on).
    pub four_eyes: bool,
    /// Tencent's verification order has lapsed (`pay_by` passed): it cannot be submitted
    /// again; in flight, the request reads as expired.
    pub order_void: bool,
    /// Who recorded the payout (four-eyes keeps them from resolving its refund).
    pub paid_by: Option<i32>,
    /// Paid and flagged `refund_mismatch` or `refund_overdue`: there is something to resolve.
    pub refund_unsettled: bool,
    pub step: StepFacts,
}

/// The actor and the current approval step (see `chain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepFacts {
    pub access: Access,
    /// The current step is the finance sign-off: it needs the finance role.
    pub finance_step: bool,
    /// The actor (or the approver they stand in for) already approved a step of this request;
    /// for the finance sign-off, in any round.
    pub acted_before: bool,
    /// Where approving now leads.
    pub after_approve: Status,
    /// Where recalling now leads, or why it cannot.
    pub recall: Result<Status, RecallRefusal>,
}

impl StepFacts {
    /// No step in play (drafts, the scheduler, payouts).
    pub const NONE: StepFacts = StepFacts {
        access: Access::None,
        finance_step: false,
        acted_before: false,
        after_approve: Status::PendingManager,
        recall: Err(RecallRefusal::NothingToRecall),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The action does not exist from this status (HTTP 409, with the current status).
    WrongState(Status),
    /// The action exists here, but not for this actor (HTTP 403).
    NotAllowed(Reason),
    /// `reject` without an opinion (HTTP 422).
    CommentRequired,
    /// `recall` after a later step has acted (HTTP 409).
    NextStepActed,
    /// `resolve` of a paid request whose refund is neither short nor overdue (HTTP 409).
    NothingToResolve,
    /// `submit` of a verification order that has lapsed (HTTP 422 on `order_date`).
    OrderVoid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    NotRequester,
    OwnRequest,
    NotManagerApprover,
    NotStepApprover,
    NothingToRecall,
    NotFinance,
    AlreadyApproved,
    FourEyes,
    PayoutRecorder,
    SystemOnly,
}

impl Reason {
    pub fn zh(self) -> &'static str {
        match self {
            Reason::NotRequester => "只有申请人本人可以执行此操作",
            Reason::OwnRequest => "不能审批或支付自己提交的申请",
            Reason::NotManagerApprover => "您不是此申请当前步骤的审批人",
            Reason::NotStepApprover => "您不是此申请当前步骤的审批人",
            Reason::NothingToRecall => "您在本轮没有可撤回的审批",
            Reason::NotFinance => "此操作需要财务角色",
            Reason::AlreadyApproved => "您（或您代理的审批人）已审批过此申请，此步须由其他人完成",
            Reason::FourEyes => "双人复核：打款人不能是财务审批人",
            Reason::PayoutRecorder => "双人复核：登记打款的人不能处理这笔款项的退款差异",
            Reason::SystemOnly => "此操作只能由系统执行",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Reason::NotRequester => "only the requester may do this",
            Reason::OwnRequest => "nobody may approve or pay their own request",
            Reason::NotManagerApprover => "you are not an approver of this request's current step",
            Reason::NotStepApprover => "you are not an approver of this request's current step",
            Reason::NothingToRecall => "you have no approval in this round to recall",
            Reason::NotFinance => "this action needs the finance role",
            Reason::AlreadyApproved => {
                "you (or the approver you stand in for) already approved this request; this step must be someone else's"
            }
            Reason::FourEyes => "four-eyes rule: the payout must be recorded by someone other than the finance sign-off",
            Reason::PayoutRecorder => "four-eyes rule: whoever recorded the payout may not resolve its refund",
            Reason::SystemOnly => "only the system may do this",
        }
    }
}

/// `(status, action, actor, request) → next status or why not`.
///
/// Checks run from the general to the specific: capabilities that do not depend on the
/// state (being the requester, holding the finance role) answer 403 first; then a state
/// that does not offer the action answers 409; then rules about this particular request
/// (self-approval, the designated approver, four-eyes) answer 403. No role bypasses a rule:
/// `admin` grants nothing here.
pub fn transition(status: Status, action: Action, actor: Actor, facts: &Facts, comment: Option<&str>) -> Result<Status, Refusal> {
    use Refusal::{NotAllowed, WrongState};
    use Status as S;

    let (id, roles) = match (actor, action) {
        (Actor::System, Action::Expire) => {
            return match status {
                S::PendingManager | S::PendingFinance | S::Approved => Ok(S::Expired),
                _ => Err(WrongState(status)),
            };
        }
        (Actor::System, _) => return Err(NotAllowed(Reason::NotRequester)),
        (Actor::User { .. }, Action::Expire) => return Err(NotAllowed(Reason::SystemOnly)),
        (Actor::User { id, roles }, _) => (id, roles),
    };
    let is_requester = id == facts.requester_id;
    let is_finance = roles.has(Role::Finance);

    match action {
        Action::Submit => {
            if !is_requester {
                return Err(NotAllowed(Reason::NotRequester));
            }
            match status {
                S::Draft | S::Returned if facts.order_void => Err(Refusal::OrderVoid),
                S::Draft | S::Returned => Ok(S::PendingManager),
                _ => Err(WrongState(status)),
            }
        }
        Action::Withdraw => {
            if !is_requester {
                return Err(NotAllowed(Reason::NotRequester));
            }
            match status {
                S::Draft | S::Returned | S::PendingManager | S::PendingFinance => Ok(S::Withdrawn),
                _ => Err(WrongState(status)),
            }
        }
        Action::Approve | Action::Reject | Action::Transfer | Action::AddApprover => {
            if !matches!(status, S::PendingManager | S::PendingFinance) {
                return Err(WrongState(status));
            }
            if is_requester {
                return Err(NotAllowed(Reason::OwnRequest));
            }
            let step = facts.step;
            if status == S::PendingFinance && step.finance_step && !is_finance {
                return Err(NotAllowed(Reason::NotFinance));
            }
            if step.access == Access::None {
                return Err(NotAllowed(if status == S::PendingManager { Reason::NotManagerApprover } else { Reason::NotStepApprover }));
            }
            // A delegate stands in only where their own role approves (DESIGN §1.3).
            if matches!(step.access, Access::Delegate(_)) && !step.finance_step && !roles.has(Role::Manager) {
                return Err(NotAllowed(Reason::NotManagerApprover));
            }
            if step.acted_before {
                return Err(NotAllowed(Reason::AlreadyApproved));
            }
            match action {
                Action::Approve => Ok(step.after_approve),
                Action::Reject => match comment.map(str::trim) {
                    Some(c) if !c.is_empty() => Ok(S::Returned),
                    _ => Err(Refusal::CommentRequired),
                },
                _ => Ok(status),
            }
        }
        Action::Recall => {
            if !matches!(status, S::PendingManager | S::PendingFinance | S::Approved) {
                return Err(WrongState(status));
            }
            match facts.step.recall {
                Ok(next) => Ok(next),
                Err(RecallRefusal::NextActed) => Err(Refusal::NextStepActed),
                Err(RecallRefusal::NothingToRecall) => Err(NotAllowed(Reason::NothingToRecall)),
            }
        }
        Action::Payout => {
            if !is_finance {
                return Err(NotAllowed(Reason::NotFinance));
            }
            if status != S::Approved {
                return Err(WrongState(status));
            }
            if is_requester {
                return Err(NotAllowed(Reason::OwnRequest));
            }
            if facts.four_eyes && facts.finance_signed_by.contains(&Some(id)) {
                return Err(NotAllowed(Reason::FourEyes));
            }
            Ok(if facts.refundable { S::Paid } else { S::Closed })
        }
        Action::Refund => {
            if !is_finance {
                return Err(NotAllowed(Reason::NotFinance));
            }
            if status != S::Paid {
                return Err(WrongState(status));
            }
            if is_requester {
                return Err(NotAllowed(Reason::OwnRequest));
            }
            Ok(S::Refunded)
        }
        Action::Resolve => {
            if !is_finance {
                return Err(NotAllowed(Reason::NotFinance));
            }
            if status != S::Paid {
                return Err(WrongState(status));
            }
            if !facts.refund_unsettled {
                return Err(Refusal::NothingToResolve);
            }
            if is_requester {
                return Err(NotAllowed(Reason::OwnRequest));
            }
            if facts.four_eyes && facts.paid_by == Some(id) {
                return Err(NotAllowed(Reason::PayoutRecorder));
            }
            // Where it ends depends on the resolution (`resolution_outcome`); the rule here
            // is who may and when.
            Ok(S::Closed)
        }
        Action::Expire => unreachable!("handled above"),
    }
}

/// Where a refund leaves the request: `refunded` once the refunds add up to the payout,
/// otherwise still `paid` (flagged `refund_mismatch` by the caller).
pub fn refund_outcome(payout_fen: i64, refunded_total_fen: i64) -> Status {
    if refunded_total_fen == payout_fen { Status::Refunded } else { Status::Paid }
}

/// How the resolution of a short or missing refund ends the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// At least one refund came back; the difference is kept as it is: `refunded`.
    AcceptDifference,
    /// The money will not come back: `closed`.
    WriteOff,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::AcceptDifference => "accept_difference",
            Resolution::WriteOff => "write_off",
        }
    }

    pub fn parse(s: &str) -> Option<Resolution> {
        [Resolution::AcceptDifference, Resolution::WriteOff].into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Resolution::AcceptDifference => "接受差额",
            Resolution::WriteOff => "核销",
        }
    }

    pub fn outcome(self) -> Status {
        match self {
            Resolution::AcceptDifference => Status::Refunded,
            Resolution::WriteOff => Status::Closed,
        }
    }
}

/// The actions `actor` may take now; the same function decides what the server accepts.
pub fn allowed_actions(status: Status, actor: Actor, facts: &Facts) -> Vec<Action> {
    Action::BY_PEOPLE
        .into_iter()
        // An opinion is asked for in the dialog; its absence is not a reason to hide `reject`.
        .filter(|a| transition(status, *a, actor, facts, Some("opinion")).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::chain::{Chain, Mode, Stage, Step, StepKind};
    use super::*;
    use Action as A;
    use Status as S;

    const REQUESTER: i32 = 1;
    const MANAGER: i32 = 2;
    const FINANCE_1: i32 = 3;
    const FINANCE_2: i32 = 4;
    const ADMIN: i32 = 5;

    fn user(id: i32, roles: &[Role]) -> Actor {
        Actor::User { id, roles: roles.iter().copied().collect() }
    }

    /// A manager step for MANAGER and a finance step open to every finance user, advanced to
    /// `status` (MANAGER approved, then FINANCE_1 signed off).
    fn chain_at(status: Status, manager: i32) -> Chain {
        let mut c = Chain::new(vec![
            Step::new("经理审批", StepKind::Manager, Stage::Manager, Mode::Any, vec![manager]),
            Step::new("财务审批", StepKind::Finance, Stage::Finance, Mode::Any, vec![]),
        ]);
        let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        if matches!(status, S::PendingFinance | S::Approved | S::Paid | S::Refunded | S::Closed) {
            c.approve(manager, manager, t);
        }
        if matches!(status, S::Approved | S::Paid | S::Refunded | S::Closed) {
            c.approve(FINANCE_1, FINANCE_1, t);
        }
        c
    }

    fn facts_with(status: Status, actor: i32, manager: i32) -> Facts {
        Facts {
            requester_id: REQUESTER,
            finance_signed_by: [Some(FINANCE_1), None],
            refundable: true,
            four_eyes: true,
            order_void: false,
            paid_by: Some(FINANCE_2),
            refund_unsettled: status == Status::Paid,
            step: chain_at(status, manager).facts_for(actor, &[]),
        }
    }

    fn facts(status: Status, actor: i32) -> Facts {
        facts_with(status, actor, MANAGER)
    }

    fn act(status: Status, action: Action, actor: Actor, comment: Option<&str>) -> Result<Status, Refusal> {
        let Actor::User { id, .. } = actor else { unreachable!() };
        transition(status, action, actor, &facts(status, id), comment)
    }

    #[test]
    fn resolve_is_finance_on_a_paid_and_unsettled_request_never_the_requester_nor_the_payer() {
        let fin = |id| user(id, &[Role::Finance]);
        let unsettled = facts(S::Paid, FINANCE_1);
        let cases: &[(Status, Actor, bool, Result<Status, Refusal>)] = &[
            (S::Paid, fin(FINANCE_1), true, Ok(S::Closed)),
            (S::Paid, fin(FINANCE_2), true, Err(Refusal::NotAllowed(Reason::PayoutRecorder))),
            (S::Paid, user(REQUESTER, &[Role::Finance]), true, Err(Refusal::NotAllowed(Reason::OwnRequest))),
            (S::Paid, user(ADMIN, &[Role::Admin]), true, Err(Refusal::NotAllowed(Reason::NotFinance))),
            (S::Paid, fin(FINANCE_1), false, Err(Refusal::NothingToResolve)),
            (S::Refunded, fin(FINANCE_1), true, Err(Refusal::WrongState(S::Refunded))),
            (S::Approved, fin(FINANCE_1), true, Err(Refusal::WrongState(S::Approved))),
        ];
        for (status, actor, open, expected) in cases {
            let f = Facts { refund_unsettled: *open, ..unsettled };
            assert_eq!(transition(*status, A::Resolve, *actor, &f, None), *expected, "{status:?} {actor:?} {open}");
        }
        let relaxed = Facts { four_eyes: false, ..unsettled };
        assert_eq!(transition(S::Paid, A::Resolve, fin(FINANCE_2), &relaxed, None), Ok(S::Closed));
        assert_eq!(Resolution::AcceptDifference.outcome(), S::Refunded);
        assert_eq!(Resolution::WriteOff.outcome(), S::Closed);
    }

    #[test]
    fn the_happy_path_moves_draft_to_refunded() {
        let steps = [
            (S::Draft, A::Submit, user(REQUESTER, &[Role::Requester]), S::PendingManager),
            (S::PendingManager, A::Approve, user(MANAGER, &[Role::Manager]), S::PendingFinance),
            (S::PendingFinance, A::Approve, user(FINANCE_1, &[Role::Finance]), S::Approved),
            (S::Approved, A::Payout, user(FINANCE_2, &[Role::Finance]), S::Paid),
            (S::Paid, A::Refund, user(FINANCE_1, &[Role::Finance]), S::Refunded),
        ];
        for (from, action, actor, to) in steps {
            assert_eq!(act(from, action, actor, None), Ok(to), "{from:?} {action:?}");
        }
    }

    #[test]
    fn a_non_refundable_payout_closes_the_request() {
        let f = Facts { refundable: false, ..facts(S::Approved, FINANCE_2) };
        assert_eq!(transition(S::Approved, A::Payout, user(FINANCE_2, &[Role::Finance]), &f, None), Ok(S::Closed));
    }

    #[test]
    fn nobody_approves_their_own_request_whatever_their_roles() {
        let all = [Role::Requester, Role::Manager, Role::Finance, Role::Admin, Role::Auditor];
        let me = user(REQUESTER, &all);
        for status in [S::PendingManager, S::PendingFinance] {
            // Even if a broken routing named the requester as the approver.
            let f = facts_with(status, REQUESTER, REQUESTER);
            for action in [A::Approve, A::Reject, A::Transfer, A::AddApprover] {
                assert_eq!(
                    transition(status, action, me, &f, Some("x")),
                    Err(Refusal::NotAllowed(Reason::OwnRequest)),
                    "{status:?} {action:?}"
                );
            }
        }
        assert_eq!(act(S::Approved, A::Payout, me, None), Err(Refusal::NotAllowed(Reason::OwnRequest)));
        assert_eq!(act(S::Paid, A::Refund, me, None), Err(Refusal::NotAllowed(Reason::OwnRequest)));
    }

    #[test]
    fn admin_without_the_role_cannot_move_money_or_approve() {
        let admin = user(ADMIN, &[Role::Admin, Role::Requester]);
        assert_eq!(act(S::PendingManager, A::Approve, admin, None), Err(Refusal::NotAllowed(Reason::NotManagerApprover)));
        assert_eq!(act(S::PendingFinance, A::Approve, admin, None), Err(Refusal::NotAllowed(Reason::NotFinance)));
        assert_eq!(act(S::Approved, A::Payout, admin, None), Err(Refusal::NotAllowed(Reason::NotFinance)));
        assert_eq!(act(S::Paid, A::Refund, admin, None), Err(Refusal::NotAllowed(Reason::NotFinance)));
        assert_eq!(act(S::Draft, A::Submit, admin, None), Err(Refusal::NotAllowed(Reason::NotRequester)));
        assert_eq!(act(S::PendingManager, A::Transfer, admin, None), Err(Refusal::NotAllowed(Reason::NotManagerApprover)));
    }

    #[test]
    fn the_manager_approver_cannot_also_sign_off_finance() {
        let both = user(MANAGER, &[Role::Manager, Role::Finance]);
        assert_eq!(act(S::PendingFinance, A::Approve, both, None), Err(Refusal::NotAllowed(Reason::AlreadyApproved)));
        assert_eq!(act(S::PendingFinance, A::Transfer, both, None), Err(Refusal::NotAllowed(Reason::AlreadyApproved)));
    }

    #[test]
    fn an_approver_of_an_earlier_round_cannot_sign_off_finance() {
        let mut c = chain_at(S::PendingFinance, 9);
        c.earlier_actors = vec![MANAGER];
        let f = Facts { step: c.facts_for(MANAGER, &[]), ..facts(S::PendingFinance, MANAGER) };
        let both = user(MANAGER, &[Role::Manager, Role::Finance]);
        assert_eq!(transition(S::PendingFinance, A::Approve, both, &f, None), Err(Refusal::NotAllowed(Reason::AlreadyApproved)));
    }

    #[test]
    fn four_eyes_separates_sign_off_and_payout_unless_turned_off() {
        let signer = user(FINANCE_1, &[Role::Finance]);
        assert_eq!(act(S::Approved, A::Payout, signer, None), Err(Refusal::NotAllowed(Reason::FourEyes)));
        let relaxed = Facts { four_eyes: false, ..facts(S::Approved, FINANCE_1) };
        assert_eq!(transition(S::Approved, A::Payout, signer, &relaxed, None), Ok(S::Paid));
        let delegated = Facts { finance_signed_by: [Some(FINANCE_2), Some(FINANCE_1)], ..facts(S::Approved, FINANCE_1) };
        assert_eq!(
            transition(S::Approved, A::Payout, signer, &delegated, None),
            Err(Refusal::NotAllowed(Reason::FourEyes)),
            "the approver a delegate signed for may not pay either"
        );
    }

    #[test]
    fn reject_needs_an_opinion_and_returns_to_the_requester() {
        let m = user(MANAGER, &[Role::Manager]);
        assert_eq!(act(S::PendingManager, A::Reject, m, None), Err(Refusal::CommentRequired));
        assert_eq!(act(S::PendingManager, A::Reject, m, Some("  ")), Err(Refusal::CommentRequired));
        assert_eq!(act(S::PendingManager, A::Reject, m, Some("金额不对")), Ok(S::Returned));
        assert_eq!(act(S::Returned, A::Submit, user(REQUESTER, &[]), None), Ok(S::PendingManager));
    }

    #[test]
    fn actions_outside_their_states_are_conflicts() {
        let r = user(REQUESTER, &[Role::Requester]);
        let m = user(MANAGER, &[Role::Manager]);
        let fin = user(FINANCE_2, &[Role::Finance]);
        for status in Status::ALL {
            let submit_ok = matches!(status, S::Draft | S::Returned);
            assert_eq!(act(status, A::Submit, r, None).is_ok(), submit_ok, "{status:?}");
            let withdraw_ok = matches!(status, S::Draft | S::Returned | S::PendingManager | S::PendingFinance);
            assert_eq!(act(status, A::Withdraw, r, None).is_ok(), withdraw_ok, "{status:?}");
            if !matches!(status, S::PendingManager | S::PendingFinance) {
                for a in [A::Approve, A::Transfer, A::AddApprover] {
                    assert_eq!(act(status, a, m, None), Err(Refusal::WrongState(status)));
                }
            }
            if !matches!(status, S::PendingManager | S::PendingFinance | S::Approved) {
                assert_eq!(act(status, A::Recall, m, None), Err(Refusal::WrongState(status)));
            }
            if status != S::Approved {
                assert!(act(status, A::Payout, fin, None).is_err());
            }
            if status != S::Paid {
                assert_eq!(act(status, A::Refund, fin, None), Err(Refusal::WrongState(status)));
            }
        }
    }

    #[test]
    fn recall_is_for_the_approver_and_only_until_the_next_step_acts() {
        let m = user(MANAGER, &[Role::Manager]);
        assert_eq!(act(S::PendingFinance, A::Recall, m, None), Ok(S::PendingManager));
        assert_eq!(act(S::Approved, A::Recall, m, None), Err(Refusal::NextStepActed), "finance has acted");
        assert_eq!(act(S::Approved, A::Recall, user(FINANCE_1, &[Role::Finance]), None), Ok(S::PendingFinance));
        assert_eq!(act(S::PendingFinance, A::Recall, user(ADMIN, &[Role::Admin]), None), Err(Refusal::NotAllowed(Reason::NothingToRecall)));
    }

    #[test]
    fn only_the_system_expires_and_only_unpaid_requests() {
        for status in Status::ALL {
            let ok = matches!(status, S::PendingManager | S::PendingFinance | S::Approved);
            assert_eq!(transition(status, A::Expire, Actor::System, &facts(status, 0), None).is_ok(), ok);
        }
        let everyone = user(ADMIN, &Role::ALL);
        assert_eq!(
            transition(S::Approved, A::Expire, everyone, &facts(S::Approved, ADMIN), None),
            Err(Refusal::NotAllowed(Reason::SystemOnly))
        );
    }

    #[test]
    fn allowed_actions_lists_exactly_what_transition_accepts() {
        let m = user(MANAGER, &[Role::Manager]);
        let at = |status: Status, actor: Actor, id: i32| allowed_actions(status, actor, &facts(status, id));
        assert_eq!(at(S::PendingManager, m, MANAGER), vec![A::Approve, A::Reject, A::Transfer, A::AddApprover]);
        assert_eq!(at(S::PendingFinance, m, MANAGER), vec![A::Recall]);
        let r = user(REQUESTER, &[Role::Requester]);
        assert_eq!(at(S::PendingManager, r, REQUESTER), vec![A::Withdraw]);
        assert_eq!(at(S::Draft, r, REQUESTER), vec![A::Submit, A::Withdraw]);
        let fin = user(FINANCE_2, &[Role::Finance]);
        assert_eq!(at(S::Approved, fin, FINANCE_2), vec![A::Payout]);
        let auditor = user(9, &[Role::Auditor]);
        for status in Status::ALL {
            assert!(at(status, auditor, 9).is_empty());
        }
    }

    #[test]
    fn refunds_settle_only_when_they_add_up() {
        assert_eq!(refund_outcome(12_345, 12_345), S::Refunded);
        assert_eq!(refund_outcome(12_345, 12_000), S::Paid);
        assert_eq!(refund_outcome(12_345, 12_346), S::Paid);
    }
}
