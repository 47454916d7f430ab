//! Delegations while away: giving one (no two ranges of one approver overlap) and revoking it,
//! with their audit events.
use crate::auth::AuthUser;
use crate::domain::audit::AuditAction;
use crate::domain::workflow::Kind;
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use chrono::NaiveDate;
use entity::delegation;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

/// A delegation as validated at the edge: the delegate may stand in, the range is sound.
#[derive(Debug, Clone)]
pub struct NewDelegation {
    pub delegate_id: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Only these kinds; every kind when `None`.
    pub kinds: Option<Vec<Kind>>,
}

/// Records `me` naming a delegate. The overlap check runs under the audit lock, so two
/// delegations given at the same time cannot both pass it.
pub async fn create(ctx: Ctx<'_>, me: &AuthUser, new: &NewDelegation) -> ApiResult<delegation::Model> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let overlapping = delegation::Entity::find()
        .filter(delegation::Column::ApproverId.eq(me.id))
        .filter(delegation::Column::RevokedAt.is_null())
        .filter(delegation::Column::StartsOn.lte(new.ends_on))
        .filter(delegation::Column::EndsOn.gte(new.starts_on))
        .one(&tx)
        .await?;
    if let Some(o) = overlapping {
        return Err(ApiError::Conflict {
            code: ConflictCode::DelegationOverlap,
            msg: Msg::new(
                format!("您在 {} 至 {} 已有代理（#{}），请先撤销或调整日期", o.starts_on, o.ends_on, o.id),
                format!("you already have a delegation from {} to {} (#{}); revoke it or change the dates", o.starts_on, o.ends_on, o.id),
            ),
            current: Some(serde_json::json!({"id": o.id})),
        });
    }
    let d = delegation::ActiveModel {
        approver_id: Set(me.id),
        delegate_id: Set(new.delegate_id),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        kinds: Set(new.kinds.as_deref().map(kinds_column)),
        created_at: Set(ctx.now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    cursor
        .append(
            &tx,
            NewEvent {
                after: Some(serde_json::json!({
                    "delegation_id": d.id, "approver_id": d.approver_id, "delegate_id": d.delegate_id,
                    "starts_on": d.starts_on, "ends_on": d.ends_on, "kinds": d.kinds,
                })),
                ..NewEvent::by(me, AuditAction::DelegationCreate)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(d)
}

/// Marks `d` revoked; it stays on record. The caller has checked that `me` may revoke it and
/// that it is not revoked already.
pub async fn revoke(ctx: Ctx<'_>, me: &AuthUser, d: &delegation::Model) -> ApiResult<()> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let mut am = d.clone().into_active_model();
    am.revoked_at = Set(Some(ctx.now));
    am.update(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                after: Some(serde_json::json!({"delegation_id": d.id, "approver_id": d.approver_id, "delegate_id": d.delegate_id})),
                ..NewEvent::by(me, AuditAction::DelegationRevoke)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The stored form of a kind filter: sorted, without repeats, and wrapped in commas
/// (`,advance_payment,certification_fee,`) so that SQL can match one kind with
/// `LIKE '%,kind,%'` (`store::requests::waiting_on_my_delegators`).
fn kinds_column(kinds: &[Kind]) -> String {
    let set: std::collections::BTreeSet<&str> = kinds.iter().map(|k| k.as_str()).collect();
    format!(",{},", set.into_iter().collect::<Vec<_>>().join(","))
}
