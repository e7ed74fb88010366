//! zlib (RFC 1950) streams. Carving zlib is noisy (two-byte header), so the probe demands a
//! valid header and a first successful inflation step before the data is claimed.

use super::stream::{self, End};
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "zlib",
    description: "zlib compressed stream",
    magics: &[&[0x78, 0x01], &[0x78, 0x5e], &[0x78, 0x9c], &[0x78, 0xda]],
    magic_offset: 0,
    probe,
    unpack,
};

/// How much input the probe inflates at most.
const PROBE_INPUT: usize = 16 * 1024;

/// Whether the two header bytes are a valid zlib header (deflate, window <= 32 KiB, check
/// bits right, no preset dictionary).
pub fn valid_header(data: &[u8]) -> bool {
    let (Some(&cmf), Some(&flg)) = (data.first(), data.get(1)) else {
        return false;
    };
    cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0
        && flg & 0x20 == 0
}

fn probe(data: &[u8]) -> bool {
    if !valid_header(data) {
        return false;
    }
    let sample = stream::clip(data, 0, PROBE_INPUT);
    let decoded = stream::inflate(sample, true, 4096);
    match decoded.end {
        End::Complete => !decoded.data.is_empty() || decoded.consumed > 2,
        End::Capped => true,
        End::Truncated => !decoded.data.is_empty() && sample.len() == PROBE_INPUT,
        End::Corrupt(_) => false,
    }
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    if !valid_header(data) {
        return Err(UnpackError::new("not a zlib header"));
    }
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let mut decoded = stream::inflate(data, true, cap);
    if decoded.end == End::Complete {
        // The Adler-32 trailer belongs to the stream (flate2 verifies it when present).
        decoded.consumed = (decoded.consumed).min(data.len());
    }
    stream::finish("zlib", decoded, hit, ctx)
}
