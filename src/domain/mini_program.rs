//! The mini-program registry's rules (DESIGN §2.3): Tencent's limits, and the two ways a
//! record's status moves — following its linked payment request, or a manual outcome that
//! finance records. `verified` is reached by following the refund of the verification
//! transfer, or as the recorded outcome of a review Tencent does (certification, face scan,
//! e-licence); never by declaring a transfer verified by hand. Pure.
use super::entity_type::EntityType;
use super::workflow::{Kind, Status};
use serde::{Deserialize, Serialize};

/// Tencent: "一个身份证号码只能注册5个小程序", and the same for a phone number.
pub const MAX_PER_ADMIN: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    /// 对公账户打款
    Transfer,
    /// 微信认证（300 元）
    Certification,
    /// 法人扫脸
    LegalPersonFace,
    /// 电子营业执照
    ELicense,
}

impl VerificationMethod {
    pub const ALL: [VerificationMethod; 4] = [Self::Transfer, Self::Certification, Self::LegalPersonFace, Self::ELicense];

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationMethod::Transfer => "transfer",
            VerificationMethod::Certification => "certification",
            VerificationMethod::LegalPersonFace => "legal_person_face",
            VerificationMethod::ELicense => "e_license",
        }
    }

    pub fn parse(s: &str) -> Option<VerificationMethod> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The kind of payment request whose progress moves a record verified this way.
    pub fn followed_kind(self) -> Option<Kind> {
        match self {
            VerificationMethod::Transfer => Some(Kind::VerificationTransfer),
            VerificationMethod::Certification => Some(Kind::CertificationFee),
            VerificationMethod::LegalPersonFace | VerificationMethod::ELicense => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MpStatus {
    Registering,
    AwaitingPayment,
    AwaitingRefund,
    Verified,
    Failed,
    CertificationReview,
}

impl MpStatus {
    pub const ALL: [MpStatus; 6] = [
        MpStatus::Registering,
        MpStatus::AwaitingPayment,
        MpStatus::AwaitingRefund,
        MpStatus::Verified,
        MpStatus::Failed,
        MpStatus::CertificationReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MpStatus::Registering => "registering",
            MpStatus::AwaitingPayment => "awaiting_payment",
            MpStatus::AwaitingRefund => "awaiting_refund",
            MpStatus::Verified => "verified",
            MpStatus::Failed => "failed",
            MpStatus::CertificationReview => "certification_review",
        }
    }

    pub fn parse(s: &str) -> Option<MpStatus> {
        MpStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, MpStatus::Verified | MpStatus::Failed)
    }
}

/// An individual (个人) has no corporate account to verify by transfer.
pub fn method_allowed(entity_type: EntityType, method: VerificationMethod) -> bool {
    method != VerificationMethod::Transfer || entity_type.allows_transfer_verification()
}

/// One admin ID number or phone, given how many other records already hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSlots {
    Free,
    /// This record would be the `n`-th of `MAX_PER_ADMIN`: allowed, with a warning.
    NearlyFull(u64),
    /// Already `n` records: refused.
    Full(u64),
}

pub fn admin_slots(held_by_others: u64) -> AdminSlots {
    if held_by_others >= MAX_PER_ADMIN {
        AdminSlots::Full(held_by_others)
    } else if held_by_others + 1 >= MAX_PER_ADMIN - 1 {
        AdminSlots::NearlyFull(held_by_others + 1)
    } else {
        AdminSlots::Free
    }
}

/// A registration e-mail is used by one record only (compared without case).
pub fn email_free(records_with_this_email: u64) -> bool {
    records_with_this_email == 0
}

/// Where a record goes when its linked request of `kind` reaches `status`; `None` when it
/// stays. Only the payment of the record's own verification method moves it, and a final
/// record never moves again.
pub fn follow(current: MpStatus, method: VerificationMethod, kind: Kind, status: Status) -> Option<MpStatus> {
    if current.is_final() || method.followed_kind() != Some(kind) {
        return None;
    }
    let next = match (kind, status) {
        (Kind::VerificationTransfer, Status::Paid) => MpStatus::AwaitingRefund,
        (Kind::VerificationTransfer, Status::Refunded) => MpStatus::Verified,
        (Kind::CertificationFee, Status::Closed) => MpStatus::CertificationReview,
        (_, Status::Expired) => MpStatus::Failed,
        (_, s) if s.is_open() && current == MpStatus::Registering => MpStatus::AwaitingPayment,
        _ => return None,
    };
    (next != current).then_some(next)
}

/// Why a manual status move is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualRefusal {
    /// Only finance records a registration's outcome.
    NotFinance,
    /// `verified` for this record comes only from following its payment (the refund).
    VerifiedOnlyByFollowing,
    /// This status follows the payment request; it is never set by hand.
    FollowsRequest,
    /// A verified or failed registration is settled.
    Settled,
}

impl ManualRefusal {
    pub fn zh(self) -> &'static str {
        match self {
            ManualRefusal::NotFinance => "只有财务可以手工登记小程序的验证结果",
            ManualRefusal::VerifiedOnlyByFollowing => "「已验证」只能随付款申请的退款（或腾讯审核通过）得出，不能手工设置",
            ManualRefusal::FollowsRequest => "该状态跟随付款申请变化，不能手工设置",
            ManualRefusal::Settled => "登记已验证或已失败，不能再改状态",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ManualRefusal::NotFinance => "only finance records the outcome of a registration",
            ManualRefusal::VerifiedOnlyByFollowing => {
                "verified follows the refund of the payment (or Tencent's review); it cannot be set by hand"
            }
            ManualRefusal::FollowsRequest => "this status follows the payment request; it cannot be set by hand",
            ManualRefusal::Settled => "the registration is already verified or failed",
        }
    }
}

/// A status asked for by hand (`PATCH … {status}`). Asking for the current status is no move
/// and allowed to whoever may edit; any real move is finance's: `failed` at any time before
/// the end, `verified` only as the outcome of a review Tencent does (after the certification
/// review, or for face-scan and e-licence verification) — a transfer is verified by its
/// refund alone.
pub fn manual_move(current: MpStatus, to: MpStatus, method: VerificationMethod, by_finance: bool) -> Result<MpStatus, ManualRefusal> {
    if to == current {
        return Ok(current);
    }
    if !by_finance {
        return Err(ManualRefusal::NotFinance);
    }
    if current.is_final() {
        return Err(ManualRefusal::Settled);
    }
    match to {
        MpStatus::Failed => Ok(MpStatus::Failed),
        MpStatus::Verified => match (method, current) {
            (VerificationMethod::Certification, MpStatus::CertificationReview) => Ok(MpStatus::Verified),
            (VerificationMethod::LegalPersonFace | VerificationMethod::ELicense, MpStatus::Registering) => Ok(MpStatus::Verified),
            _ => Err(ManualRefusal::VerifiedOnlyByFollowing),
        },
        _ => Err(ManualRefusal::FollowsRequest),
    }
}

#[cfg(test)]
mod tests {
    use super::MpStatus::*;
    use super::VerificationMethod as M;
    use super::*;

    #[test]
    fn limits_per_admin_and_method() {
        assert_eq!(admin_slots(0), AdminSlots::Free);
        assert_eq!(admin_slots(2), AdminSlots::Free);
        assert_eq!(admin_slots(3), AdminSlots::NearlyFull(4));
        assert_eq!(admin_slots(4), AdminSlots::NearlyFull(5));
        assert_eq!(admin_slots(5), AdminSlots::Full(5));
        assert!(email_free(0) && !email_free(1));
        assert!(!method_allowed(EntityType::Individual, M::Transfer));
        assert!(method_allowed(EntityType::Individual, M::Certification));
        assert!(method_allowed(EntityType::Enterprise, M::Transfer));
    }

    #[test]
    fn a_record_follows_its_own_payment() {
        let cases = [
            (Registering, M::Transfer, Kind::VerificationTransfer, Status::PendingManager, Some(AwaitingPayment)),
            (AwaitingPayment, M::Transfer, Kind::VerificationTransfer, Status::Approved, None),
            (AwaitingPayment, M::Transfer, Kind::VerificationTransfer, Status::Paid, Some(AwaitingRefund)),
            (AwaitingRefund, M::Transfer, Kind::VerificationTransfer, Status::Refunded, Some(Verified)),
            (AwaitingPayment, M::Transfer, Kind::VerificationTransfer, Status::Expired, Some(Failed)),
            (AwaitingPayment, M::Certification, Kind::CertificationFee, Status::Closed, Some(CertificationReview)),
            (AwaitingPayment, M::Certification, Kind::CertificationFee, Status::Expired, Some(Failed)),
            // Another method's payment, or any other kind, moves nothing.
            (AwaitingPayment, M::Transfer, Kind::CertificationFee, Status::Closed, None),
            (Registering, M::LegalPersonFace, Kind::VerificationTransfer, Status::Refunded, None),
            (Registering, M::Transfer, Kind::AdvancePayment, Status::Paid, None),
            // Settled stays settled.
            (Failed, M::Transfer, Kind::VerificationTransfer, Status::Refunded, None),
            (Verified, M::Transfer, Kind::VerificationTransfer, Status::Expired, None),
        ];
        for (current, method, kind, status, want) in cases {
            assert_eq!(follow(current, method, kind, status), want, "{current:?} {method:?} {kind:?} {status:?}");
        }
    }

    #[test]
    fn manual_moves_are_finance_s_and_never_verify_a_transfer() {
        use ManualRefusal::*;
        let cases = [
            // (current, to, method, by finance, outcome)
            (AwaitingRefund, AwaitingRefund, M::Transfer, false, Ok(AwaitingRefund)),
            (AwaitingRefund, Verified, M::Transfer, false, Err(NotFinance)),
            (AwaitingRefund, Verified, M::Transfer, true, Err(VerifiedOnlyByFollowing)),
            (Registering, Verified, M::Transfer, true, Err(VerifiedOnlyByFollowing)),
            (AwaitingPayment, Verified, M::Certification, true, Err(VerifiedOnlyByFollowing)),
            (CertificationReview, Verified, M::Certification, true, Ok(Verified)),
            (CertificationReview, Verified, M::Certification, false, Err(NotFinance)),
            (Registering, Verified, M::LegalPersonFace, true, Ok(Verified)),
            (Registering, Verified, M::ELicense, false, Err(NotFinance)),
            (AwaitingPayment, Failed, M::Transfer, true, Ok(Failed)),
            (AwaitingPayment, Failed, M::Transfer, false, Err(NotFinance)),
            (Registering, AwaitingRefund, M::Transfer, true, Err(FollowsRequest)),
            (Registering, CertificationReview, M::Certification, true, Err(FollowsRequest)),
            (Failed, Verified, M::Certification, true, Err(Settled)),
            (Verified, Failed, M::Transfer, true, Err(Settled)),
        ];
        for (current, to, method, finance, want) in cases {
            assert_eq!(manual_move(current, to, method, finance), want, "{current:?} → {to:?} {method:?} finance={finance}");
        }
    }
}
