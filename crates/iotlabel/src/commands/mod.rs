//! One module per subcommand.

pub mod assess;
pub mod catalog;
pub mod probe;
pub mod psti_statement;
pub mod registry;
pub mod scan;
pub mod vulndb;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `text` to `out`, or to standard output when `out` is absent.
pub fn emit(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .context("cannot write to standard output")?;
            Ok(())
        }
    }
}
