//! iotlabel-registry: the scheme's system of record. This part is pure: who may do what
//! ([`roles`]) and the application workflow as an explicit state machine ([`workflow`]).
//! Storage, labels and the server build on these rules and never bypass them.

pub mod roles;
pub mod workflow;
