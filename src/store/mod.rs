//! Database queries and transactions, one module per aggregate.
pub mod apply;
pub mod approval_rules;
pub mod audit;
pub mod calendar;
pub mod chain;
pub mod cache;
pub mod companies;
pub mod delegations;
pub mod departments;
pub mod idempotency;
pub mod list;
pub mod mini_programs;
pub mod notify;
pub mod requests;
pub mod users;

use sea_orm::{DbErr, RuntimeErr};

/// A unique-constraint violation (username taken, number collision) on either backend.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        || matches!(e, DbErr::Exec(RuntimeErr::SqlxError(_)) | DbErr::Query(RuntimeErr::SqlxError(_)) if e.to_string().contains("UNIQUE"))
}
