//! SeaORM entities, one module per table. Nothing but the mapping lives here.
pub mod attachment;
pub mod audit_event;
pub mod department;
pub mod request;
pub mod setting;
pub mod user;
pub mod calendar_year;
pub mod idempotency_key;
pub mod notification;
pub mod outbox;
pub mod refund;
pub mod bank_mapping;
pub mod bank_statement;
pub mod bank_statement_line;
pub mod mini_program;
pub mod mini_program_material;
