//! Checks over an unpacked image. One file per check with its metadata next to its logic, and
//! one line in the registry.
