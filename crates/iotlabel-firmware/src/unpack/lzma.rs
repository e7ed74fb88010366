//! LZMA "alone" streams (`.lzma`, the format of LZMA-compressed kernels, U-Boot payloads and
//! many vendor containers), decoded by liblzma. There is no magic number: identification keys on
//! the common properties bytes with power-of-two dictionary sizes, then the probe checks the
//! header (properties < 225, sane dictionary, plausible size, range coder's first byte zero).

use super::stream;
use super::{Format, UnpackContext, UnpackError, Unpacked};

/// Properties byte followed by the little-endian dictionary size: `lc/lp/pb` combinations seen
/// in firmware (0x5d is the default; 0x5a, 0x5e, 0x6d, 0x6e appear in vendor images) times
/// dictionary sizes 64 KiB .. 64 MiB.
macro_rules! lzma_magics {
    ($($props:literal),*) => {
        &[$(
            &[$props, 0, 0, 0x01, 0], &[$props, 0, 0, 0x02, 0], &[$props, 0, 0, 0x04, 0],
            &[$props, 0, 0, 0x08, 0], &[$props, 0, 0, 0x10, 0], &[$props, 0, 0, 0x20, 0],
            &[$props, 0, 0, 0x40, 0], &[$props, 0, 0, 0x80, 0], &[$props, 0, 0, 0, 0x01],
            &[$props, 0, 0, 0, 0x02], &[$props, 0, 0, 0, 0x04],
        )*]
    };
}

pub static FORMAT: Format = Format {
    id: "lzma",
    description: "LZMA (alone) compressed stream",
    magics: lzma_magics!(0x5d, 0x5a, 0x5e, 0x6d, 0x6e),
    magic_offset: 0,
    probe,
    unpack,
};

/// The largest uncompressed size a header may announce before it is called implausible.
const MAX_DECLARED_SIZE: u64 = 1 << 32;

/// Header check: properties byte < 225, dictionary between 4 KiB and 64 MiB, declared size
/// unknown (all ones) or plausible, and the range coder's first byte zero.
pub fn probe(data: &[u8]) -> bool {
    let (Some(&properties), Some(dictionary), Some(size_bytes), Some(&first)) = (
        data.first(),
        stream::le32(data, 1),
        data.get(5..13),
        data.get(13),
    ) else {
        return false;
    };
    let size = size_bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
    properties < 225
        && (4096..=(64 << 20)).contains(&dictionary)
        && (size == u64::MAX || (size > 0 && size <= MAX_DECLARED_SIZE))
        && first == 0
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    if !probe(data) {
        return Err(UnpackError::new("not a plausible LZMA header"));
    }
    let decoder = liblzma::stream::Stream::new_lzma_decoder(stream::LZMA_MEMORY_LIMIT)
        .map_err(|error| UnpackError::new(format!("lzma decoder: {error}")))?;
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let decoded = stream::lzma_family(data, decoder, cap);
    stream::finish("lzma", decoded, hit, ctx)
}
