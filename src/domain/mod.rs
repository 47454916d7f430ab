//! Pure domain logic: no I/O, no database, no HTTP. Table-driven unit tests live beside each rule.
pub mod audit;
pub mod calendar;
pub mod chain;
pub mod deadlines;
pub mod entity_type;
pub mod figures;
pub mod flags;
pub mod mail;
pub mod matching;
pub mod mini_program;
pub mod payment;
pub mod people;
pub mod roles;
pub mod sso;
pub mod text;
pub mod workflow;

// What is read from outside lives in its own crate (`parsers/`), which the fuzz target builds
// alone; here it keeps its place among the rules.
pub use verifund_parsers::{ids, money, statement};
