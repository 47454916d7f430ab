//! Pure domain logic: no I/O, no database, no HTTP. Table-driven unit tests live beside each rule.
pub mod audit;
pub mod calendar;
pub mod chain;
pub mod deadlines;
pub mod entity_type;
pub mod figures;
pub mod flags;
pub mod ids;
pub mod matching;
pub mod mini_program;
pub mod money;
pub mod payment;
pub mod roles;
pub mod sso;
pub mod statement;
pub mod text;
pub mod workflow;
