//! Saving the approval rules. They are read where chains are resolved
//! (`store::chain::load_rules`), at submit, and copied into the request's chain, so saving
//! never alters a request in flight.
use crate::auth::AuthUser;
use crate::domain::audit::AuditAction;
use crate::domain::chain::ApprovalRules;
use crate::error::{ApiError, ApiResult};
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use crate::store::chain::{RULES_KEY, load_rules};
use entity::setting;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

/// Replaces the rules in force with `rules` (validated at the edge), recording both in the
/// audit event.
pub async fn save(ctx: Ctx<'_>, me: &AuthUser, rules: &ApprovalRules) -> ApiResult<()> {
    let before = load_rules(ctx.db).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let value = serde_json::to_string(rules).map_err(|e| ApiError::Internal(e.to_string()))?;
    setting::Entity::insert(setting::ActiveModel { key: Set(RULES_KEY.to_owned()), value: Set(value) })
        .on_conflict(OnConflict::column(setting::Column::Key).update_column(setting::Column::Value).to_owned())
        .exec_without_returning(&tx)
        .await?;
    cursor
        .append(
            &tx,
            NewEvent {
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(rules).ok(),
                ..NewEvent::by(me, AuditAction::ApprovalRulesUpdate)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}
