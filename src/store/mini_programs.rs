//! The registry record follows its linked request: paid → awaiting refund → verified for the
//! transfer path; paid certification fee → review with a 1–5 working-day deadline; an
//! expired request fails the registration. Runs inside the request's own transaction.
use crate::domain::workflow::{Kind, Status};
use crate::store::audit::{AuditCursor, NewEvent};
use chrono::{DateTime, Utc};
use entity::{mini_program, request};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

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


pub async fn follow_request(
    tx: &DatabaseTransaction,
    cursor: &mut AuditCursor,
    req: &request::Model,
    actor: (Option<i32>, &str),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(mp_id) = req.mini_program_id else { return Ok(()) };
    let Some(mp) = mini_program::Entity::find_by_id(mp_id).one(tx).await? else { return Ok(()) };
    let current = MpStatus::parse(&mp.status).unwrap_or(MpStatus::Registering);
    if current.is_final() {
        return Ok(());
    }
    let kind = Kind::parse(&req.kind);
    let status = Status::parse(&req.status);
    // Only the payment of the record's own verification method moves it.
    let follows = matches!(
        (mp.verification_method.as_str(), kind),
        ("transfer", Some(Kind::VerificationTransfer)) | ("certification", Some(Kind::CertificationFee))
    );
    if !follows {
        return Ok(());
    }
    let mut review_due = mp.review_due;
    let next = match (kind, status) {
        (Some(Kind::VerificationTransfer), Some(Status::Paid)) => MpStatus::AwaitingRefund,
        (Some(Kind::VerificationTransfer), Some(Status::Refunded)) => MpStatus::Verified,
        (Some(Kind::CertificationFee), Some(Status::Closed)) => {
            if let Some(paid) = req.paid_at {
                let cal = crate::store::calendar::load(tx).await?;
                review_due = Some(crate::domain::deadlines::review_due(&cal, paid).value);
            }
            MpStatus::CertificationReview
        }
        (_, Some(Status::Expired)) => MpStatus::Failed,
        (Some(Kind::VerificationTransfer | Kind::CertificationFee), Some(s)) if s.is_open() && current == MpStatus::Registering => {
            MpStatus::AwaitingPayment
        }
        _ => return Ok(()),
    };
    if next == current {
        return Ok(());
    }
    mini_program::Entity::update_many()
        .col_expr(mini_program::Column::Status, Expr::value(next.as_str()))
        .col_expr(mini_program::Column::ReviewDue, Expr::value(review_due))
        .col_expr(mini_program::Column::Version, Expr::value(mp.version + 1))
        .col_expr(mini_program::Column::UpdatedAt, Expr::value(now))
        .filter(mini_program::Column::Id.eq(mp.id))
        .exec(tx)
        .await?;
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: actor.0,
                actor_name: actor.1.to_owned(),
                action: crate::domain::audit::AuditAction::MiniProgramStatus,
                request_id: Some(req.id),
                before: Some(serde_json::json!({"mini_program_id": mp.id, "status": mp.status})),
                after: Some(serde_json::json!({"mini_program_id": mp.id, "status": next.as_str(), "review_due": review_due})),
                ..Default::default()
            },
            now,
        )
        .await?;
    Ok(())
}
