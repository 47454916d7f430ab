//! The approval chain of one round (DESIGN §2.4): the manager step, the steps added by rules
//! (分管领导 …), steps added by approvers (加签), and the finance sign-off, each with its
//! approvers and the approvals given so far.
//!
//! The chain is resolved at submit and stored with the request, so editing the rules never
//! changes a request in flight. Everything here is pure; the store loads and saves the chain
//! in the same conditional update (id + version + status) as every other change.
use super::roles::{Role, RoleSet};
use super::workflow::{Kind, Status, StepFacts};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// 或签 (`any`: one approval completes the step) or 会签 (`all`: every approver must approve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Any,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The requester's manager (department head or `manager_id`).
    Manager,
    /// Added by an approval rule.
    Rule,
    /// Added by an approver (加签).
    Added,
    /// The finance sign-off.
    Finance,
}

/// Which status a step shows as: every step before the finance sign-off keeps the request
/// `pending_manager`; the finance step and steps added around it show `pending_finance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Manager,
    Finance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    /// Whose place in the step this approval fills.
    pub user_id: i32,
    /// Who acted: `user_id` themselves, or their delegate (代理).
    pub by_user_id: i32,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    pub name: String,
    pub kind: StepKind,
    pub stage: Stage,
    pub mode: Mode,
    /// Who must decide. Empty only on a finance step open to every finance user.
    pub approver_ids: Vec<i32>,
    pub approvals: Vec<Approval>,
}

impl Step {
    pub fn new(name: impl Into<String>, kind: StepKind, stage: Stage, mode: Mode, approver_ids: Vec<i32>) -> Step {
        Step { name: name.into(), kind, stage, mode, approver_ids, approvals: Vec::new() }
    }

    /// A finance step nobody was named for: any finance user may sign off.
    pub fn open_to_finance(&self) -> bool {
        self.kind == StepKind::Finance && self.approver_ids.is_empty()
    }

    /// The places still waiting for a decision.
    pub fn pending(&self) -> Vec<i32> {
        match self.mode {
            Mode::Any if !self.approvals.is_empty() => Vec::new(),
            Mode::Any => self.approver_ids.clone(),
            Mode::All => self.approver_ids.iter().copied().filter(|id| !self.approvals.iter().any(|a| a.user_id == *id)).collect(),
        }
    }

    pub fn is_complete(&self) -> bool {
        !self.approvals.is_empty() && self.pending().is_empty()
    }

    fn touched_by(&self, user: i32) -> bool {
        self.approvals.iter().any(|a| a.user_id == user || a.by_user_id == user)
    }
}

/// How the calling user stands towards the current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not theirs to decide.
    None,
    /// They hold an open place (or the step is open to every finance user).
    Holder,
    /// They may act for this approver, who delegated to them and holds an open place.
    Delegate(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Before,
    After,
}

/// Why a recall is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecallRefusal {
    /// The caller has no approval in this round to take back.
    NothingToRecall,
    /// A later step has acted already.
    NextActed,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Chain {
    pub steps: Vec<Step>,
    /// Index of the step waiting for a decision; `steps.len()` once every step is complete.
    pub current: usize,
    /// Everyone who approved in an earlier round (for themselves or for someone): the finance
    /// sign-off must come from someone who never acted on the request.
    #[serde(default)]
    pub earlier_actors: Vec<i32>,
}

/// The most steps one round may have; 加签 cannot grow a chain without bound.
pub const MAX_STEPS: usize = 20;

impl Chain {
    pub fn new(steps: Vec<Step>) -> Chain {
        Chain { steps, current: 0, earlier_actors: Vec::new() }
    }

    /// Everyone who approved in this round or before, for themselves or for someone else.
    pub fn all_actors(&self) -> Vec<i32> {
        let mut ids = self.earlier_actors.clone();
        for s in &self.steps {
            for a in &s.approvals {
                ids.extend([a.user_id, a.by_user_id]);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// What the workflow rules need to know about `user` and the current step, given the
    /// approvers who delegated to them (active today, for this request's kind).
    pub fn facts_for(&self, user: i32, delegators: &[i32]) -> StepFacts {
        let access = self.access(user, delegators);
        let slot = match access {
            Access::Delegate(a) => a,
            _ => user,
        };
        let finance_step = self.current_step().is_some_and(|s| s.kind == StepKind::Finance);
        let earlier = |u: i32| finance_step && self.earlier_actors.contains(&u);
        // A delegate who decides a later step themselves would decide two steps of the round.
        let delegate_named_later = slot != user && self.named_later(user);
        StepFacts {
            access,
            finance_step,
            acted_before: self.acted(user) || self.acted(slot) || earlier(user) || earlier(slot) || delegate_named_later,
            after_approve: self.status_after_approval(slot, user),
            recall: self.recall_outcome(user),
        }
    }

    pub fn current_step(&self) -> Option<&Step> {
        self.steps.get(self.current)
    }

    /// The status the request shows while the chain is where it is.
    pub fn status(&self) -> Status {
        match self.current_step() {
            None => Status::Approved,
            Some(s) if s.stage == Stage::Finance => Status::PendingFinance,
            Some(_) => Status::PendingManager,
        }
    }

    /// Whether `user` approved anything in this round, for themselves or for someone else.
    pub fn acted(&self, user: i32) -> bool {
        self.steps.iter().any(|s| s.touched_by(user))
    }

    /// Whether `user` is named in a step after the current one.
    pub fn named_later(&self, user: i32) -> bool {
        self.steps.iter().skip(self.current + 1).any(|s| s.approver_ids.contains(&user))
    }

    /// Everyone named as an approver anywhere in the round.
    pub fn approvers(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.steps.iter().flat_map(|s| s.approver_ids.iter().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The places still open in the current step (empty for a step open to every finance user).
    pub fn pending(&self) -> Vec<i32> {
        self.current_step().map(Step::pending).unwrap_or_default()
    }

    /// Who may decide the current step now: its open places, or for a finance step open to
    /// the whole team, every finance user in `finance_team` but the requester and anyone who
    /// already approved the request.
    pub fn deciders(&self, requester: i32, finance_team: &[i32]) -> Vec<i32> {
        match self.current_step() {
            Some(s) if s.open_to_finance() => {
                let acted = self.all_actors();
                finance_team.iter().copied().filter(|id| *id != requester && !acted.contains(id)).collect()
            }
            _ => self.pending(),
        }
    }

    /// How `user` stands towards the current step, given the approvers who delegated to them
    /// (active today, for this request's kind).
    pub fn access(&self, user: i32, delegators: &[i32]) -> Access {
        let Some(step) = self.current_step() else { return Access::None };
        if step.open_to_finance() {
            return Access::Holder;
        }
        let pending = step.pending();
        if pending.contains(&user) {
            return Access::Holder;
        }
        delegators.iter().find(|d| pending.contains(d)).map_or(Access::None, |d| Access::Delegate(*d))
    }

    /// Records an approval of the current step for `user_id` by `by_user_id`, and moves on
    /// when the step is complete. Returns the new status.
    pub fn approve(&mut self, user_id: i32, by_user_id: i32, at: DateTime<Utc>) -> Status {
        if let Some(step) = self.steps.get_mut(self.current) {
            step.approvals.push(Approval { user_id, by_user_id, at });
            if step.is_complete() {
                self.current += 1;
            }
        }
        self.status()
    }

    /// The status approving now would lead to (for `allowed_actions` and the rules).
    pub fn status_after_approval(&self, user_id: i32, by_user_id: i32) -> Status {
        let mut probe = self.clone();
        probe.approve(user_id, by_user_id, DateTime::<Utc>::UNIX_EPOCH)
    }

    /// 转交: `from` hands their place in the current step to `to`. On an `any` step (or one open
    /// to every finance user) `to` then holds the step alone; on an `all` step `to` takes
    /// `from`'s place and the others keep theirs.
    pub fn transfer(&mut self, from: i32, to: i32) {
        let Some(step) = self.steps.get_mut(self.current) else { return };
        match step.mode {
            Mode::All if !step.approver_ids.is_empty() => {
                for id in step.approver_ids.iter_mut() {
                    if *id == from {
                        *id = to;
                    }
                }
                step.approver_ids.dedup();
            }
            _ => step.approver_ids = vec![to],
        }
    }

    /// 加签: a one-person step for `user` before the current step (they decide first, then it
    /// comes back) or right after it. The new step shows in the same stage.
    pub fn add_approver(&mut self, user: i32, position: Position, name: impl Into<String>) {
        let Some(step) = self.current_step() else { return };
        let added = Step::new(name, StepKind::Added, step.stage, Mode::Any, vec![user]);
        let at = match position {
            Position::Before => self.current,
            Position::After => self.current + 1,
        };
        self.steps.insert(at, added);
    }

    /// 撤回: takes back `user`'s latest approval (given by them or for them) while no later
    /// step has acted; the chain returns to that step. Returns the new status.
    pub fn recall(&mut self, user: i32) -> Result<Status, RecallRefusal> {
        let last = self.current.min(self.steps.len().saturating_sub(1));
        let Some(k) = (0..=last).rev().find(|k| self.steps.get(*k).is_some_and(|s| s.touched_by(user))) else {
            return Err(RecallRefusal::NothingToRecall);
        };
        if self.steps[k + 1..].iter().any(|s| !s.approvals.is_empty()) {
            return Err(RecallRefusal::NextActed);
        }
        let step = &mut self.steps[k];
        if let Some(i) = step.approvals.iter().rposition(|a| a.user_id == user || a.by_user_id == user) {
            step.approvals.remove(i);
        }
        self.current = k;
        Ok(self.status())
    }

    /// Whether `user` could recall now (`Ok(status after)`), for `allowed_actions`.
    pub fn recall_outcome(&self, user: i32) -> Result<Status, RecallRefusal> {
        self.clone().recall(user)
    }
}

/// An extra approval step by rule (DESIGN §2.4), applied in order after the manager step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// The step's name, e.g. 分管领导.
    pub name: String,
    /// Only these kinds (all kinds when absent).
    #[serde(default)]
    pub kinds: Option<Vec<Kind>>,
    /// Only requests paid by these companies (all when absent).
    #[serde(default)]
    pub company_ids: Option<Vec<i32>>,
    /// Only at or above this amount.
    #[serde(default)]
    pub min_amount_fen: Option<i64>,
    /// Who decides. Empty: the next level up from the previous step's approver (their manager,
    /// else their department head), which is what 分管领导 means for most departments.
    #[serde(default)]
    pub approver_ids: Vec<i32>,
    /// `any` (或签, one approval) or `all` (会签, every approver).
    #[serde(default)]
    pub mode: Mode,
}

impl ApprovalRule {
    pub fn applies_to(&self, m: &entity::request::Model) -> bool {
        let kind_ok = self.kinds.as_ref().is_none_or(|ks| ks.iter().any(|k| k.as_str() == m.kind));
        let company_ok = self.company_ids.as_ref().is_none_or(|cs| m.company_id.is_some_and(|c| cs.contains(&c)));
        let amount_ok = self.min_amount_fen.is_none_or(|min| m.amount_fen >= min);
        kind_ok && company_ok && amount_ok
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRules {
    pub rules: Vec<ApprovalRule>,
}

impl Default for ApprovalRules {
    /// Shipped default: an advance payment of 50,000 元 or more also needs the 分管领导.
    fn default() -> Self {
        ApprovalRules {
            rules: vec![ApprovalRule {
                name: "分管领导".into(),
                kinds: Some(vec![Kind::AdvancePayment]),
                company_ids: None,
                min_amount_fen: Some(5_000_000),
                approver_ids: Vec::new(),
                mode: Mode::Any,
            }],
        }
    }
}

/// Why someone may not be given a place in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    Disabled,
    Requester,
    /// Already approved in this round, decides a later step, or already waits in this one.
    Involved,
    /// Lacks the role that approves at this stage (DESIGN §1.3): `manager` before finance,
    /// `finance` at finance.
    NoApprovingRole(Role),
}

/// The person a hand-off or a delegation would give a place to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i32,
    pub disabled: bool,
    pub roles: RoleSet,
}

/// The role that approves at `stage`.
pub fn approving_role(stage: Stage) -> Role {
    match stage {
        Stage::Manager => Role::Manager,
        Stage::Finance => Role::Finance,
    }
}

/// Whether `who` may be given a place in the current step of a request by `requester`:
/// active, holding the role that approves at this stage, not the requester, not someone who
/// already approved in this round or decides a later step, and not already waiting in the
/// current step — except that a transfer on an `any` step may go to a fellow approver, who
/// then holds it alone.
pub fn eligible(who: &Candidate, requester: i32, chain: &Chain, transfer: bool) -> Result<(), Ineligible> {
    if who.disabled {
        return Err(Ineligible::Disabled);
    }
    if who.id == requester {
        return Err(Ineligible::Requester);
    }
    let step = chain.current_step();
    if let Some(s) = step {
        let role = approving_role(s.stage);
        if !who.roles.has(role) {
            return Err(Ineligible::NoApprovingRole(role));
        }
    }
    let finance_step = step.is_some_and(|s| s.kind == StepKind::Finance);
    let fellow_ok = transfer && step.is_some_and(|s| s.mode == Mode::Any);
    let waiting = chain.pending().contains(&who.id) && !fellow_ok;
    if chain.acted(who.id) || waiting || chain.named_later(who.id) || (finance_step && chain.earlier_actors.contains(&who.id)) {
        return Err(Ineligible::Involved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANAGER: i32 = 2;
    const LEADER: i32 = 7;
    const FIN: i32 = 3;
    const OTHER: i32 = 8;

    fn at() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH
    }

    fn chain() -> Chain {
        Chain::new(vec![
            Step::new("经理审批", StepKind::Manager, Stage::Manager, Mode::Any, vec![MANAGER]),
            Step::new("分管领导", StepKind::Rule, Stage::Manager, Mode::Any, vec![LEADER]),
            Step::new("财务审批", StepKind::Finance, Stage::Finance, Mode::Any, vec![]),
        ])
    }

    #[test]
    fn a_place_in_a_step_goes_only_to_an_active_approver_with_the_role_that_approves_there() {
        const REQUESTER: i32 = 1;
        let who = |id: i32, roles: &[Role], disabled: bool| Candidate { id, disabled, roles: roles.iter().copied().collect() };
        let at_manager = chain();
        let mut at_finance = chain();
        at_finance.approve(MANAGER, MANAGER, at());
        at_finance.approve(LEADER, LEADER, at());
        let cases: &[(&Chain, Candidate, bool, Result<(), Ineligible>)] = &[
            (&at_manager, who(OTHER, &[Role::Manager], false), false, Ok(())),
            (&at_manager, who(OTHER, &[Role::Auditor], false), false, Err(Ineligible::NoApprovingRole(Role::Manager))),
            (&at_manager, who(OTHER, &[Role::Admin, Role::Finance], false), false, Err(Ineligible::NoApprovingRole(Role::Manager))),
            (&at_manager, who(OTHER, &[Role::Manager], true), false, Err(Ineligible::Disabled)),
            (&at_manager, who(REQUESTER, &[Role::Manager], false), false, Err(Ineligible::Requester)),
            // The leader decides the next step: not also this one.
            (&at_manager, who(LEADER, &[Role::Manager], false), false, Err(Ineligible::Involved)),
            // A fellow approver may take over an `any` step by transfer, not be added to it.
            (&at_manager, who(MANAGER, &[Role::Manager], false), true, Ok(())),
            (&at_manager, who(MANAGER, &[Role::Manager], false), false, Err(Ineligible::Involved)),
            (&at_finance, who(FIN, &[Role::Finance], false), false, Ok(())),
            (&at_finance, who(OTHER, &[Role::Manager], false), false, Err(Ineligible::NoApprovingRole(Role::Finance))),
            // Whoever approved this round may not sign off finance too.
            (&at_finance, who(MANAGER, &[Role::Manager, Role::Finance], false), false, Err(Ineligible::Involved)),
        ];
        for (chain, candidate, transfer, want) in cases {
            assert_eq!(eligible(candidate, REQUESTER, chain, *transfer), *want, "{candidate:?} transfer={transfer}");
        }
    }

    #[test]
    fn every_pre_finance_step_shows_pending_manager_then_finance_then_approved() {
        let mut c = chain();
        assert_eq!(c.status(), Status::PendingManager);
        assert_eq!(c.approve(MANAGER, MANAGER, at()), Status::PendingManager);
        assert_eq!(c.current_step().unwrap().name, "分管领导");
        assert_eq!(c.approve(LEADER, LEADER, at()), Status::PendingFinance);
        assert_eq!(c.access(FIN, &[]), Access::Holder, "a step open to finance");
        assert_eq!(c.approve(FIN, FIN, at()), Status::Approved);
        assert_eq!(c.current_step(), None);
    }

    #[test]
    fn all_needs_every_approver_and_any_needs_one() {
        let mut all = Chain::new(vec![Step::new("会签", StepKind::Rule, Stage::Manager, Mode::All, vec![4, 5, 6])]);
        assert_eq!(all.approve(4, 4, at()), Status::PendingManager);
        assert_eq!(all.pending(), vec![5, 6]);
        assert_eq!(all.access(4, &[]), Access::None, "an approver who decided has no open place");
        assert_eq!(all.approve(6, 6, at()), Status::PendingManager);
        assert_eq!(all.approve(5, 5, at()), Status::Approved);
        let mut any = Chain::new(vec![Step::new("或签", StepKind::Rule, Stage::Manager, Mode::Any, vec![4, 5, 6])]);
        assert_eq!(any.access(5, &[]), Access::Holder);
        assert_eq!(any.approve(5, 5, at()), Status::Approved);
    }

    #[test]
    fn a_delegate_acts_only_for_an_approver_with_an_open_place() {
        let c = chain();
        assert_eq!(c.access(OTHER, &[MANAGER]), Access::Delegate(MANAGER));
        assert_eq!(c.access(OTHER, &[LEADER]), Access::None, "the leader's step is not current yet");
        let mut c = chain();
        c.approve(MANAGER, OTHER, at());
        assert!(c.acted(OTHER) && c.acted(MANAGER), "both the delegate and the approver count as having acted");
    }

    #[test]
    fn a_delegate_who_decides_a_later_step_may_not_stand_in_for_an_earlier_one() {
        // The manager delegates to their own boss, who holds the 分管领导 step.
        let f = chain().facts_for(LEADER, &[MANAGER]);
        assert_eq!(f.access, Access::Delegate(MANAGER));
        assert!(f.acted_before, "the leader would otherwise decide two steps");
        assert!(!chain().facts_for(OTHER, &[MANAGER]).acted_before);
    }

    #[test]
    fn an_open_finance_step_is_decided_by_the_team_but_not_by_who_approved_before() {
        let mut c = chain();
        assert_eq!(c.deciders(1, &[FIN, MANAGER]), vec![MANAGER], "the manager step's own places");
        c.approve(MANAGER, MANAGER, at());
        c.approve(LEADER, LEADER, at());
        assert_eq!(c.deciders(1, &[FIN, MANAGER, 1]), vec![FIN], "not the manager who approved, not the requester");
    }

    #[test]
    fn transfer_hands_the_place_to_one_person() {
        let mut c = chain();
        c.transfer(MANAGER, OTHER);
        assert_eq!(c.access(MANAGER, &[]), Access::None);
        assert_eq!(c.access(OTHER, &[]), Access::Holder);
        let mut all = Chain::new(vec![Step::new("会签", StepKind::Rule, Stage::Manager, Mode::All, vec![4, 5])]);
        all.transfer(4, OTHER);
        assert_eq!(all.pending(), vec![OTHER, 5]);
        let mut fin = chain();
        fin.current = 2;
        fin.transfer(FIN, OTHER);
        assert_eq!(fin.access(FIN, &[]), Access::None, "a transferred finance step is no longer open to all");
    }

    #[test]
    fn add_approver_before_comes_back_and_after_follows() {
        let mut c = chain();
        c.add_approver(OTHER, Position::Before, "加签");
        assert_eq!(c.access(OTHER, &[]), Access::Holder);
        assert_eq!(c.access(MANAGER, &[]), Access::None);
        c.approve(OTHER, OTHER, at());
        assert_eq!(c.access(MANAGER, &[]), Access::Holder, "back to the one who added");
        let mut c = chain();
        c.add_approver(OTHER, Position::After, "加签");
        c.approve(MANAGER, MANAGER, at());
        assert_eq!(c.current_step().unwrap().approver_ids, vec![OTHER]);
        assert_eq!(c.status(), Status::PendingManager);
        let mut f = chain();
        f.current = 2;
        f.add_approver(OTHER, Position::Before, "加签");
        assert_eq!(f.status(), Status::PendingFinance, "added around finance stays in the finance stage");
    }

    #[test]
    fn recall_works_until_the_next_step_acts() {
        let mut c = chain();
        c.approve(MANAGER, MANAGER, at());
        assert_eq!(c.recall_outcome(LEADER), Err(RecallRefusal::NothingToRecall));
        assert_eq!(c.recall(MANAGER), Ok(Status::PendingManager));
        assert_eq!(c.access(MANAGER, &[]), Access::Holder);
        c.approve(MANAGER, MANAGER, at());
        c.approve(LEADER, LEADER, at());
        assert_eq!(c.recall_outcome(MANAGER), Err(RecallRefusal::NextActed));
        assert_eq!(c.recall(LEADER), Ok(Status::PendingManager));
        c.approve(LEADER, LEADER, at());
        c.approve(FIN, FIN, at());
        assert_eq!(c.recall(FIN), Ok(Status::PendingFinance), "finance takes back a sign-off before the payout");
    }

    #[test]
    fn a_delegated_approval_is_recalled_by_either_person() {
        let mut c = chain();
        c.approve(MANAGER, OTHER, at());
        assert!(c.clone().recall(OTHER).is_ok());
        assert!(c.recall(MANAGER).is_ok());
    }

    #[test]
    fn the_chain_round_trips_through_json() {
        let mut c = chain();
        c.approve(MANAGER, OTHER, at());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(serde_json::from_value::<Chain>(json).unwrap(), c);
    }
}
