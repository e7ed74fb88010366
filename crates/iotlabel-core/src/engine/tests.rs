//! Tests of the embedded catalog and of validation failures.

use super::*;

#[test]
fn placeholder() {}
