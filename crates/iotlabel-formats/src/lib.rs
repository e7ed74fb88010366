//! iotlabel-formats: the wire formats iotlabel writes. OSCAL 1.2.1 catalogs, profiles and
//! assessment results ([`oscal`]) and the UK PSTI statement of compliance ([`psti_statement`]).
//! Nothing here performs I/O: callers write the returned documents.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod credential;
pub mod cyclonedx;
pub mod oscal;
pub mod psti_statement;
pub mod sarif;

pub use oscal::model::{AssessmentResultsDocument, CatalogDocument, ProfileDocument};
pub use oscal::{
    OscalError, assessment_results, catalog, export_all, level_profile, level_profile_name,
    regime_profile,
};
