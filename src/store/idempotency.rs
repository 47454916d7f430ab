//! `Idempotency-Key` for payouts and refunds: the same key and body replays the first answer
//! and records nothing; the same key with another body is refused; a key still being
//! processed is a conflict.
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_key as key;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict};

pub enum Claim {
    /// First use: go ahead, then call `finish` (or `release` on a server error).
    New,
    /// Already answered: send this again.
    Replay { status: u16, body: String },
    /// Same key, different request.
    Mismatch,
    /// The first request with this key has not finished.
    InFlight,
    /// The money was recorded but the first answer was lost; show the current state.
    Committed,
}

/// A claim older than this is taken to be abandoned by a crashed process.
const STALE_AFTER_MINUTES: i64 = 5;

pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: i32,
    k: &str,
    endpoint: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let inserted = key::Entity::insert(key::ActiveModel {
        user_id: Set(user_id),
        key: Set(k.to_owned()),
        endpoint: Set(endpoint.to_owned()),
        request_hash: Set(hash.to_owned()),
        state: Set("in_flight".into()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
    })
    .on_conflict(OnConflict::columns([key::Column::UserId, key::Column::Key]).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let Some(row) = key::Entity::find_by_id((user_id, k.to_owned())).one(db).await? else {
        return Ok(Claim::InFlight);
    };
    if row.endpoint != endpoint || row.request_hash != hash {
        return Ok(Claim::Mismatch);
    }
    match (row.state.as_str(), row.response_status, row.response_body) {
        ("done", Some(status), Some(body)) => Ok(Claim::Replay { status: status as u16, body }),
        // Committed, but the process stopped before the answer was stored: answer with the
        // request as it is now.
        ("done", _, None) => Ok(Claim::Committed),
        _ if row.created_at < now - Duration::minutes(STALE_AFTER_MINUTES) => {
            // Take over an abandoned claim: only one taker can move created_at forward.
            let taken = key::Entity::update_many()
                .col_expr(key::Column::CreatedAt, sea_orm::sea_query::Expr::value(now))
                .filter(key::Column::UserId.eq(user_id))
                .filter(key::Column::Key.eq(k))
                .filter(key::Column::State.eq("in_flight"))
                .filter(key::Column::CreatedAt.eq(row.created_at))
                .exec(db)
                .await?;
            Ok(if taken.rows_affected == 1 { Claim::New } else { Claim::InFlight })
        }
        _ => Ok(Claim::InFlight),
    }
}

pub async fn finish(db: &impl ConnectionTrait, user_id: i32, k: &str, status: u16, body: &str) -> Result<(), DbErr> {
    key::Entity::update_many()
        .col_expr(key::Column::State, sea_orm::sea_query::Expr::value("done"))
        .col_expr(key::Column::ResponseStatus, sea_orm::sea_query::Expr::value(i32::from(status)))
        .col_expr(key::Column::ResponseBody, sea_orm::sea_query::Expr::value(body))
        .filter(key::Column::UserId.eq(user_id))
        .filter(key::Column::Key.eq(k))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the key as used inside the transaction that records the money, so that the key and
/// the money commit together: if the process dies after the commit, a retry replays instead
/// of recording again. The response body is filled in by `finish` after the commit.
pub async fn mark_committed(tx: &impl ConnectionTrait, user_id: i32, k: &str) -> Result<(), DbErr> {
    key::Entity::update_many()
        .col_expr(key::Column::State, sea_orm::sea_query::Expr::value("done"))
        .col_expr(key::Column::ResponseStatus, sea_orm::sea_query::Expr::value(200))
        .filter(key::Column::UserId.eq(user_id))
        .filter(key::Column::Key.eq(k))
        .exec(tx)
        .await?;
    Ok(())
}

/// Forget a claim whose request failed on our side before anything was recorded, so the
/// client can retry with the same key. A key whose money committed is never forgotten.
pub async fn release(db: &impl ConnectionTrait, user_id: i32, k: &str) -> Result<(), DbErr> {
    key::Entity::delete_many()
        .filter(key::Column::UserId.eq(user_id))
        .filter(key::Column::Key.eq(k))
        .filter(key::Column::State.eq("in_flight"))
        .exec(db)
        .await?;
    Ok(())
}
