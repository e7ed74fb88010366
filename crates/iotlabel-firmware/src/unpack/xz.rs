//! xz streams, decoded by liblzma (see [`super::stream::lzma_family`] for why).

use super::stream;
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "xz",
    description: "xz compressed stream",
    magics: &[&[0xfd, b'7', b'z', b'X', b'Z', 0x00]],
    magic_offset: 0,
    probe,
    unpack,
};

/// Stream flags: first byte zero, check type one of none/CRC32/CRC64/SHA-256, CRC32 matching.
fn probe(data: &[u8]) -> bool {
    let (Some(flags), Some(crc)) = (data.get(6..8), stream::le32(data, 8)) else {
        return false;
    };
    flags.first() == Some(&0)
        && flags
            .get(1)
            .is_some_and(|check| matches!(check, 0 | 1 | 4 | 10))
        && crc32fast::hash(flags) == crc
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let decoder = liblzma::stream::Stream::new_stream_decoder(stream::LZMA_MEMORY_LIMIT, 0)
        .map_err(|error| UnpackError::new(format!("xz decoder: {error}")))?;
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let decoded = stream::lzma_family(data, decoder, cap);
    stream::finish("xz", decoded, hit, ctx)
}
