//! Excel workbooks for finance and auditors (DESIGN §3): the ledger (台账) and the
//! reconciliation sheet (对账表). Rows are streamed from the database in id order, a page at
//! a time, into worksheets in constant-memory mode, so the size of the export does not
//! change the memory it needs. The printable 审批单 becomes a PDF through `pdf`.
pub mod pdf;
mod sheet;
pub mod workbooks;

pub use workbooks::{ExportKind, ExportProgress, Scope, export};
