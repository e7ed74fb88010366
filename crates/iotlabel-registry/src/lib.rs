//! iotlabel-registry: the scheme's system of record. Who may do what ([`roles`]), the
//! application workflow as an explicit state machine ([`workflow`]), storage behind one trait
//! for SQLite and PostgreSQL ([`store`]), accounts ([`accounts`]), evidence checks
//! ([`evidence`]), the application logic tying them together ([`service`]) and the
//! transparency log of decisions and label events ([`transparency`]).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod accounts;
pub mod artwork;
mod artwork_font;
pub mod demo;
pub mod dossier_diff;
pub mod evidence;
pub mod firmware_scan;
pub mod jobs;
pub mod lab_review;
pub mod product_page;
pub mod published;
pub mod roles;
pub mod service;
pub mod store;
pub mod submissions;
pub mod transparency;
pub mod vulnerability_reports;
pub mod workflow;

pub use service::{Actor, Clock, LabelSigner, Registry, RegistryError, RegistrySettings};
pub use store::{SqlStore, Store, StoreError};
#[cfg(feature = "test-support")]
pub mod test_support;
