//! verifund: the 日升集团应(预)付款审批单 — requests, approvals, payouts and refunds of
//! WeChat mini-program verification transfers.
pub mod app;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod files;
pub mod http;
pub mod jobs;
pub mod outbox;
pub mod pii;
pub mod server;
pub mod store;
pub mod upload;
