//! The vocabulary of the audit log (DESIGN §1.6): every event's `action`, with its one label.
use super::workflow::Action;
use serde::{Deserialize, Serialize};

macro_rules! audit_actions {
    ($($(#[$attr:meta])* $variant:ident => $name:literal, $zh:literal;)*) => {
        /// What an audit event records. (`Default` only lets event literals name the action
        /// and leave the rest empty; every event names its action.)
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum AuditAction {
            $($(#[$attr])* $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name stored in the log and answered by the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            /// How people say it, in the timeline, the print view, the ledger and messages.
            pub fn label_zh(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $zh,)*
                }
            }
        }
    };
}

audit_actions! {
    Create => "create", "创建";
    #[default]
    Update => "update", "修改";
    Delete => "delete", "删除";
    Submit => "submit", "提交";
    Approve => "approve", "同意";
    Reject => "reject", "退回";
    Withdraw => "withdraw", "撤回申请";
    Payout => "payout", "登记打款";
    Refund => "refund", "登记退款";
    Expire => "expire", "过期";
    Transfer => "transfer", "转交";
    AddApprover => "add_approver", "加签";
    Recall => "recall", "撤回审批";
    Resolve => "resolve", "处理差额";
    Comment => "comment", "评论";
    Reroute => "reroute", "改派";
    RefundDue => "refund_due", "重算退款截止日";
    AttachmentAdd => "attachment_add", "上传附件";
    MiniProgramCreate => "mini_program_create", "登记小程序";
    MiniProgramUpdate => "mini_program_update", "修改小程序";
    MiniProgramStatus => "mini_program_status", "小程序状态变更";
    MiniProgramMaterial => "mini_program_material", "小程序材料";
    UserCreate => "user_create", "新建用户";
    UserUpdate => "user_update", "修改用户";
    DepartmentCreate => "department_create", "新建部门";
    DepartmentUpdate => "department_update", "修改部门";
    CompanyCreate => "company_create", "新建公司";
    CompanyUpdate => "company_update", "修改公司";
    DelegationCreate => "delegation_create", "设置代理";
    DelegationRevoke => "delegation_revoke", "撤销代理";
    ApprovalRulesUpdate => "approval_rules_update", "修改审批规则";
    CalendarReplace => "calendar_replace", "更新节假日安排";
    Login => "login", "登录";
    LoginFailed => "login_failed", "登录失败";
    Lockout => "lockout", "账户锁定";
    Logout => "logout", "退出登录";
    PasswordChange => "password_change", "修改密码";
}

impl AuditAction {
    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.iter().copied().find(|a| a.as_str() == s)
    }
}

impl From<Action> for AuditAction {
    fn from(a: Action) -> AuditAction {
        match a {
            Action::Submit => AuditAction::Submit,
            Action::Approve => AuditAction::Approve,
            Action::Reject => AuditAction::Reject,
            Action::Withdraw => AuditAction::Withdraw,
            Action::Payout => AuditAction::Payout,
            Action::Refund => AuditAction::Refund,
            Action::Transfer => AuditAction::Transfer,
            Action::AddApprover => AuditAction::AddApprover,
            Action::Recall => AuditAction::Recall,
            Action::Resolve => AuditAction::Resolve,
            Action::Expire => AuditAction::Expire,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name_and_one_label() {
        let mut names = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(names.insert(a.as_str()), "{} twice", a.as_str());
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert!(!a.label_zh().is_empty());
        }
        assert_eq!(AuditAction::from(Action::AddApprover).label_zh(), "加签");
    }
}
