//! Database queries and transactions, one module per aggregate.
pub mod apply;
pub mod approval_rules;
pub mod attachments;
pub mod audit;
pub mod cache;
pub mod calendar;
pub mod chain;
pub mod companies;
pub mod delegations;
pub mod departments;
pub mod idempotency;
pub mod list;
pub mod mini_programs;
pub mod notify;
pub mod org;
pub mod requests;
pub mod security;
pub mod sso;
pub mod statements;
pub mod stats;
pub mod users;

use sea_orm::{DbErr, RuntimeErr};

/// A unique-constraint violation (username taken, number collision) on either backend.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        || matches!(e, DbErr::Exec(RuntimeErr::SqlxError(_)) | DbErr::Query(RuntimeErr::SqlxError(_)) if e.to_string().contains("UNIQUE"))
}

/// A LIKE pattern matching `text` literally: `%`, `_` and the escape character itself lose
/// their wildcard meaning (used with `ESCAPE '\'`).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `column LIKE '%text%' ESCAPE '\'`: a list's text search, where `q=%` finds a literal `%`
/// instead of everything.
pub fn contains_text(column: impl sea_orm::ColumnTrait, text: &str) -> sea_orm::sea_query::Expr {
    // No stored text holds a NUL, and PostgreSQL refuses one in a parameter: leave it out.
    let text = text.replace('\0', "");
    column.like(sea_orm::sea_query::LikeExpr::new(format!("%{}%", escape_like(&text))).escape('\\'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_taken_literally() {
        for (input, want) in [("%", "\\%"), ("_", "\\_"), ("a\\b", "a\\\\b"), ("100%_x", "100\\%\\_x"), ("日升", "日升")] {
            assert_eq!(super::escape_like(input), want);
        }
    }
}
