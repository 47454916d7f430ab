//! HTTP handlers, one module per resource; each exposes `router()`.
pub mod approval_rules;
pub mod audit;
pub mod auth;
pub mod bank_statements;
pub mod calendar;
pub mod companies;
pub mod delegations;
pub mod departments;
pub mod docs;
pub mod exports;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod mini_programs;
pub mod notifications;
pub mod org_import;
pub mod profile;
pub mod requests;
pub mod sso;
pub mod stats;
pub mod ui;
pub mod users;

use serde::{Deserialize, Serialize};

/// `{items, total, page, per_page}`: the shape of every list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20).
    pub per_page: Option<u64>,
}

impl PageParams {
    pub fn resolve(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64), crate::error::ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(20);
        if page == 0 || page > 1_000_000 {
            return Err(crate::error::ApiError::field("page", "页码须在 1 到 1000000 之间", "page must be between 1 and 1000000"));
        }
        if !(1..=200).contains(&per_page) {
            return Err(crate::error::ApiError::field("per_page", "每页条数须在 1 到 200 之间", "per_page must be between 1 and 200"));
        }
        Ok((page, per_page))
    }
}
