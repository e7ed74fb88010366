//! iotlabel-core: the domain types and JSON contracts, the rules catalog, and the pure
//! assessment engine. Nothing in this crate performs I/O: callers read files and the clock.

pub mod assessment;
pub mod catalog;
pub mod date;
pub mod document;
pub mod dossier;
pub mod engine;
pub mod ids;
pub mod label_id;
pub mod psti_statement;
pub mod report;

pub use assessment::Assessment;
pub use catalog::Catalog;
pub use date::Date;
pub use dossier::Dossier;
pub use ids::{Edition, ProvisionId};
pub use report::{Finding, Report};

/// The `schema_version` written into, and accepted from, every JSON document this crate owns:
/// the scan/probe report, the dossier and the assessment. Bumped only on a breaking change.
pub const SCHEMA_VERSION: u32 = 1;
