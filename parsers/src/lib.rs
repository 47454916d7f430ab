//! What verifund reads from outside, pure (bytes or text in, typed values out): money in fen
//! and the capital-letter amount, identifiers (credit codes, accounts, ID numbers, phones,
//! e-mail, AppIDs), bank statements in the banks' own layouts, and the zip-bomb guard for the
//! xlsx among them. None of it may panic on any input; `fuzz/` checks that with libFuzzer.
//! The product reaches these as `verifund::domain::{ids, money, statement}`.
pub mod archive;
pub mod ids;
pub mod money;
pub mod statement;
