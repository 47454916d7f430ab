//! The registry record follows its linked request: paid → awaiting refund → verified for the
//! transfer path; paid certification fee → review with a 1–5 working-day deadline; an
//! expired request fails the registration. Runs inside the request's own transaction.
use crate::domain::mini_program::{VerificationMethod, follow};
use crate::domain::workflow::{Kind, Status};
use crate::store::audit::{AuditCursor, NewEvent};
use chrono::{DateTime, Utc};
use entity::{mini_program, request};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

pub use crate::domain::mini_program::MpStatus;

/// Moves the request's registry record as `domain::mini_program::follow` says, with the
/// certification review's deadline and an audit event.
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
    let (Some(method), Some(kind), Some(status)) = (VerificationMethod::parse(&mp.verification_method), Kind::parse(&req.kind), Status::parse(&req.status)) else {
        return Ok(());
    };
    let Some(next) = follow(current, method, kind, status) else { return Ok(()) };
    let mut review_due = mp.review_due;
    if next == MpStatus::CertificationReview
        && let Some(paid) = req.paid_at
    {
        let cal = crate::store::calendar::load(tx).await?;
        review_due = Some(crate::domain::deadlines::review_due(&cal, paid).value);
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
