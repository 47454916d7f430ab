//! What a caller sees of a request: every stored field plus what is derived for them
//! (大写, deadlines, flags, the actions they may take now), with PII masked by role.
use super::form::MiniProgram;
use crate::auth::AuthUser;
use crate::domain::chain::{Chain, Mode, Stage, StepKind};
use crate::domain::flags::{Flag, effective_status, flags};
use crate::domain::ids::{mask_id_number, mask_phone};
use crate::domain::money::amount_in_words;
use crate::domain::roles::Role;
use crate::domain::workflow::{Action, Kind, Resolution, Status, allowed_actions};
use crate::store::chain::{chain_of, facts_for};
use crate::store::requests::status_of;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{delegation, request};
use sea_orm::DbErr;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    pub id: i32,
    /// `YF{YYYYMM}-{NNNN}`, assigned at first submit.
    pub number: Option<String>,
    pub kind: Kind,
    pub title: String,
    pub amount_fen: i64,
    /// 人民币大写.
    pub amount_in_words: String,
    pub currency: String,
    pub refundable: bool,
    pub payer_entity: String,
    pub payer_credit_code: String,
    pub payer_bank: String,
    pub payer_account: String,
    pub payee_name: String,
    pub payee_bank: String,
    pub payee_account: String,
    pub transfer_remark: String,
    pub order_date: NaiveDate,
    /// `order_date` + 10 calendar days.
    pub pay_by: NaiveDate,
    pub purpose: String,
    pub mini_program: Option<MiniProgram>,
    /// The registry record this payment is for.
    pub mini_program_id: Option<i32>,
    pub requester_id: i32,
    pub requester_name: String,
    pub department_id: Option<i32>,
    pub department_name: Option<String>,
    pub status: Status,
    pub version: i32,
    /// How many times it has been submitted.
    pub round: i32,
    /// The paying company and account, when picked from the group's companies.
    pub company_id: Option<i32>,
    pub company_name: Option<String>,
    pub payer_account_id: Option<i32>,
    /// The step waiting for a decision now (null when none is).
    pub current_step: Option<CurrentStep>,
    pub manager_approver_id: Option<i32>,
    pub manager_approver_name: Option<String>,
    pub manager_approved_by: Option<i32>,
    pub finance_approved_by: Option<i32>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_at: Option<NaiveDate>,
    pub payout_amount_fen: Option<i64>,
    pub payout_reference: Option<String>,
    pub payout_override_reason: Option<String>,
    pub paid_by: Option<i32>,
    /// 10th China working day after `paid_at`; null for non-refundable kinds.
    pub refund_due: Option<NaiveDate>,
    pub refunded_at: Option<NaiveDate>,
    /// Sum of all refunds recorded so far.
    pub refund_amount_fen: Option<i64>,
    pub refund_reference: Option<String>,
    /// Payout minus refunds, while a refund is outstanding or mismatched, and after a
    /// resolution (the difference kept or written off).
    pub refund_difference_fen: Option<i64>,
    /// How a short or missing refund was ended (`resolve`), when it was.
    pub resolution: Option<Resolution>,
    pub resolution_reason: Option<String>,
    pub resolved_by: Option<i32>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Any of `payout_overdue`, `refund_overdue`, `refund_mismatch`, `duplicate_suspect`.
    pub flags: Vec<Flag>,
    /// What the caller may do now (the same rules the server enforces).
    pub allowed_actions: Vec<Action>,
    pub can_edit: bool,
    pub can_delete: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The step waiting for a decision (DESIGN §2.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentStep {
    pub name: String,
    pub kind: StepKind,
    /// Who may decide. For a finance sign-off open to the whole finance team: every finance
    /// user who may still sign off.
    pub approver_ids: Vec<i32>,
    pub approver_names: Vec<String>,
    pub mode: Mode,
    /// Approvers whose place is filled (by them or their delegate).
    pub approved_by: Vec<i32>,
    /// 1-based position in the chain, and the chain's length.
    pub index: usize,
    pub of: usize,
}

/// One step of the chain, for the detail view, the print view and exports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub name: String,
    pub kind: StepKind,
    pub stage: Stage,
    pub mode: Mode,
    pub approvers: Vec<UserRef>,
    pub approvals: Vec<ApprovalView>,
    pub state: StepState,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Done,
    Current,
    Waiting,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    pub user_id: i32,
    pub user_name: String,
    /// The delegate who acted for `user_id` (代理), if not themselves.
    pub by_user_id: i32,
    pub by_user_name: String,
    pub at: DateTime<Utc>,
}

/// Names needed to show a page of requests, loaded in two queries.
#[derive(Default)]
pub struct Names {
    users: HashMap<i32, String>,
    departments: HashMap<i32, String>,
    companies: HashMap<i32, String>,
    /// Delegations to the caller in force today (for `allowed_actions`).
    delegations: Vec<delegation::Model>,
    /// Active finance users, when a row waits on a sign-off open to all of them.
    finance: Vec<i32>,
    /// Each row's chain, parsed once.
    chains: HashMap<i32, Chain>,
}

impl Names {
    /// `version`: the shared data version (`store::cache::Versions::shared`: names change
    /// with users, departments and companies, never with a draft) the caller read before
    /// loading `rows` (read here if `None`).
    pub async fn load(state: &crate::app::AppState, me: &AuthUser, rows: &[request::Model], version: Option<i64>) -> Result<Names, DbErr> {
        let db = &state.db;
        let version = match version.or(me.data_version.map(|v| v.shared)) {
            Some(v) => v,
            None => crate::store::cache::data_versions(db).await?.shared,
        };
        let chains: HashMap<i32, Chain> = rows.iter().map(|r| (r.id, chain_of(r))).collect();
        let open_finance = chains.values().any(|c| c.current_step().is_some_and(|s| s.open_to_finance()))
            && rows.iter().any(|r| status_of(r) == Status::PendingFinance);
        let finance = if open_finance { crate::store::notify::users_with_role(db, Role::Finance).await? } else { Vec::new() };
        let mut user_ids: Vec<i32> = rows.iter().map(|r| r.requester_id).collect();
        user_ids.extend(rows.iter().filter_map(|r| r.manager_approver_id));
        user_ids.extend(rows.iter().filter_map(|r| r.resolved_by));
        user_ids.extend(finance.iter().copied());
        for c in chains.values() {
            for st in &c.steps {
                user_ids.extend(st.approver_ids.iter().copied());
                user_ids.extend(st.approvals.iter().flat_map(|a| [a.user_id, a.by_user_id]));
            }
        }
        let unique = |mut ids: Vec<i32>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let user_ids = unique(user_ids);
        let dept_ids = unique(rows.iter().filter_map(|r| r.department_id).collect());
        let company_ids = unique(rows.iter().filter_map(|r| r.company_id).collect());
        let found = state.names.names(db, version, &user_ids, &dept_ids, &company_ids).await?;
        // Delegations only matter for what the caller may do on a step waiting for a decision.
        let pending = rows.iter().any(|r| matches!(status_of(r), Status::PendingManager | Status::PendingFinance));
        let delegations = if pending { crate::store::chain::delegations_to(db, me).await? } else { Vec::new() };
        Ok(Names { users: found.users, departments: found.departments, companies: found.companies, delegations, finance, chains })
    }

    /// The chain of a row these names were loaded for (parsed now for any other).
    pub fn chain(&self, m: &request::Model) -> std::borrow::Cow<'_, Chain> {
        match self.chains.get(&m.id) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(chain_of(m)),
        }
    }

    pub fn user(&self, id: i32) -> String {
        self.users.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    /// Every step of `chain` with names, in order.
    pub fn steps(&self, chain: &Chain) -> Vec<StepView> {
        chain
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| StepView {
                name: st.name.clone(),
                kind: st.kind,
                stage: st.stage,
                mode: st.mode,
                approvers: st.approver_ids.iter().map(|id| UserRef { id: *id, name: self.user(*id) }).collect(),
                approvals: st
                    .approvals
                    .iter()
                    .map(|a| ApprovalView {
                        user_id: a.user_id,
                        user_name: self.user(a.user_id),
                        by_user_id: a.by_user_id,
                        by_user_name: self.user(a.by_user_id),
                        at: a.at,
                    })
                    .collect(),
                state: match i.cmp(&chain.current) {
                    std::cmp::Ordering::Less => StepState::Done,
                    std::cmp::Ordering::Equal => StepState::Current,
                    std::cmp::Ordering::Greater => StepState::Waiting,
                },
            })
            .collect()
    }

    fn current_step(&self, m: &request::Model, chain: &Chain) -> Option<CurrentStep> {
        if !matches!(status_of(m), Status::PendingManager | Status::PendingFinance) {
            return None;
        }
        let st = chain.current_step()?;
        let approver_ids = if st.open_to_finance() { chain.deciders(m.requester_id, &self.finance) } else { st.approver_ids.clone() };
        Some(CurrentStep {
            name: st.name.clone(),
            kind: st.kind,
            approver_names: approver_ids.iter().map(|id| self.user(*id)).collect(),
            approver_ids,
            mode: st.mode,
            approved_by: st.approvals.iter().map(|a| a.user_id).collect(),
            index: chain.current + 1,
            of: chain.steps.len(),
        })
    }
}

pub fn view(m: &request::Model, me: &AuthUser, names: &Names, today: NaiveDate, state: &crate::app::AppState) -> RequestView {
    let four_eyes = state.config.four_eyes;
    let status = effective_status(m, today);
    let chain = names.chain(m);
    let sees_pii = me.has(Role::Finance) || me.has(Role::Admin);
    let mini_program = m.mini_program.as_ref().and_then(|v| MiniProgram::open(v, &state.pii)).map(|mut mp| {
        if !sees_pii {
            mp.admin_id_number = mp.admin_id_number.as_deref().map(mask_id_number);
            mp.admin_phone = mp.admin_phone.as_deref().map(mask_phone);
        }
        mp
    });
    let is_requester = me.id == m.requester_id;
    let resolution = m.resolution.as_deref().and_then(Resolution::parse);
    let refund_difference_fen = match (status, m.payout_amount_fen) {
        (Status::Paid, Some(paid)) => Some(paid - m.refund_amount_fen.unwrap_or(0)),
        (_, Some(paid)) if resolution.is_some() => Some(paid - m.refund_amount_fen.unwrap_or(0)),
        _ => None,
    };
    RequestView {
        id: m.id,
        number: m.number.clone(),
        kind: Kind::parse(&m.kind).unwrap_or(Kind::AdvancePayment),
        title: m.title.clone(),
        amount_fen: m.amount_fen,
        amount_in_words: amount_in_words(m.amount_fen),
        currency: m.currency.clone(),
        refundable: m.refundable,
        payer_entity: m.payer_entity.clone(),
        payer_credit_code: m.payer_credit_code.clone(),
        payer_bank: m.payer_bank.clone(),
        payer_account: m.payer_account.clone(),
        payee_name: m.payee_name.clone(),
        payee_bank: m.payee_bank.clone(),
        payee_account: m.payee_account.clone(),
        transfer_remark: m.transfer_remark.clone(),
        order_date: m.order_date,
        pay_by: m.pay_by,
        purpose: m.purpose.clone(),
        mini_program,
        mini_program_id: m.mini_program_id,
        requester_id: m.requester_id,
        requester_name: names.users.get(&m.requester_id).cloned().unwrap_or_default(),
        department_id: m.department_id,
        department_name: m.department_id.and_then(|d| names.departments.get(&d).cloned()),
        status,
        version: m.version,
        round: m.round,
        company_id: m.company_id,
        company_name: m.company_id.and_then(|c| names.companies.get(&c).cloned()),
        payer_account_id: m.payer_account_id,
        current_step: names.current_step(m, &chain),
        manager_approver_id: m.manager_approver_id,
        manager_approver_name: m.manager_approver_id.and_then(|u| names.users.get(&u).cloned()),
        manager_approved_by: m.manager_approved_by,
        finance_approved_by: m.finance_approved_by,
        submitted_at: m.submitted_at,
        approved_at: m.approved_at,
        paid_at: m.paid_at,
        payout_amount_fen: m.payout_amount_fen,
        payout_reference: m.payout_reference.clone(),
        payout_override_reason: m.payout_override_reason.clone(),
        paid_by: m.paid_by,
        refund_due: m.refund_due,
        refunded_at: m.refunded_at,
        refund_amount_fen: m.refund_amount_fen,
        refund_reference: m.refund_reference.clone(),
        refund_difference_fen,
        resolution,
        resolution_reason: m.resolution_reason.clone(),
        resolved_by: m.resolved_by,
        resolved_by_name: m.resolved_by.and_then(|u| names.users.get(&u).cloned()),
        resolved_at: m.resolved_at,
        flags: flags(m, today),
        allowed_actions: allowed_actions(status, me.actor(), &facts_for(m, &chain, me, &names.delegations, four_eyes)),
        can_edit: is_requester && status.is_editable(),
        can_delete: is_requester && status == Status::Draft,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}
