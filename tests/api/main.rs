//! Black-box tests through HTTP against the spawned app. One binary (faster to link), one
//! module per area. Each test has its own database: SQLite by default, PostgreSQL when
//! TEST_DATABASE_URL is set.
mod common;

mod auth;
mod authz;
mod batch;
mod browser;
mod chain;
mod demo;
mod excel;
mod fuzz;
mod integrity;
mod listing;
mod mail;
mod ops;
mod people;
mod printing;
mod probe;
mod properties;
mod reconciliation;
mod registry;
mod reliability;
mod sso;
mod stats;
mod tracking;
mod upgrade;
mod workflow;
