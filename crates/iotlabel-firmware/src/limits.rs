//! Resource limits for unpacking hostile images, and the budget that enforces them across a
//! whole scan. A limit that is hit truncates the output and is reported; it never aborts the scan.

use std::cell::Cell;

/// Configurable bounds on what one scan may produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes of unpacked output across the whole scan.
    pub max_total_bytes: u64,
    /// Total number of files across every unpacked container.
    pub max_files: u64,
    /// How deep containers may nest (an image is depth 0, its rootfs 1, ...).
    pub max_depth: u32,
    /// The most output bytes one compressed stream may produce per input byte; more is a bomb.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_total_bytes: 1 << 30,
            max_files: 200_000,
            max_depth: 8,
            max_ratio: 10_000,
        }
    }
}

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitHit {
    #[error("total unpacked size limit of {0} bytes reached")]
    TotalBytes(u64),
    #[error("file count limit of {0} reached")]
    Files(u64),
    #[error("nesting depth limit of {0} reached")]
    Depth(u32),
    #[error("compression ratio limit of {0}:1 reached (a decompression bomb?)")]
    Ratio(u64),
}

/// What a scan has used so far. Charged from the extraction thread only: unpackers that
/// decode on several cores (`unpack::parallel`) charge the results afterwards, in order, so
/// every limit cuts exactly where a sequential read would.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    bytes: Cell<u64>,
    files: Cell<u64>,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            bytes: Cell::new(0),
            files: Cell::new(0),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn bytes_used(&self) -> u64 {
        self.bytes.get()
    }

    pub fn files_used(&self) -> u64 {
        self.files.get()
    }

    /// Bytes still available for output.
    pub fn bytes_left(&self) -> u64 {
        self.limits.max_total_bytes.saturating_sub(self.bytes.get())
    }

    /// The most a stream of `input_len` compressed bytes may inflate to: the ratio limit or
    /// what is left of the total, whichever is smaller.
    pub fn stream_cap(&self, input_len: usize) -> (u64, LimitHit) {
        let by_ratio = (input_len as u64)
            .saturating_mul(self.limits.max_ratio)
            .max(64 * 1024);
        let left = self.bytes_left();
        if by_ratio <= left {
            (by_ratio, LimitHit::Ratio(self.limits.max_ratio))
        } else {
            (left, LimitHit::TotalBytes(self.limits.max_total_bytes))
        }
    }

    /// Records `n` bytes of output; refuses (recording nothing) if that passes the total.
    pub fn charge_bytes(&self, n: u64) -> Result<(), LimitHit> {
        let total = self.bytes.get().saturating_add(n);
        if total > self.limits.max_total_bytes {
            return Err(LimitHit::TotalBytes(self.limits.max_total_bytes));
        }
        self.bytes.set(total);
        Ok(())
    }

    /// Records one more file; refuses past the file limit.
    pub fn charge_file(&self) -> Result<(), LimitHit> {
        let files = self.files.get() + 1;
        if files > self.limits.max_files {
            return Err(LimitHit::Files(self.limits.max_files));
        }
        self.files.set(files);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_past_the_limits() {
        let budget = Budget::new(Limits {
            max_total_bytes: 100,
            max_files: 2,
            ..Limits::default()
        });
        assert!(budget.charge_bytes(60).is_ok());
        assert_eq!(budget.charge_bytes(41), Err(LimitHit::TotalBytes(100)));
        assert_eq!(budget.bytes_used(), 60);
        assert!(budget.charge_file().is_ok());
        assert!(budget.charge_file().is_ok());
        assert_eq!(budget.charge_file(), Err(LimitHit::Files(2)));
        assert_eq!(budget.stream_cap(10).0, 40);
    }
}
