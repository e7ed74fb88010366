//! LZ4 streams: the frame format (magic 0x184D2204, consecutive frames concatenated, skippable
//! frames stepped over) and the legacy format that Linux kernels use (magic 0x184C2102). Blocks
//! are decompressed by `lz4_flex` (pure Rust); the frame layer is walked here because
//! `lz4_flex`'s frame reader reads past the end of the last frame, and trailing-data handling
//! needs to know exactly where the stream stopped.

use super::stream::{self, Decoded, End};
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "lz4",
    description: "LZ4 compressed stream (frame or legacy format)",
    magics: &[&FRAME_MAGIC, &LEGACY_MAGIC],
    magic_offset: 0,
    probe,
    unpack,
};

const FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];
/// Legacy blocks decompress to at most 8 MiB each.
const LEGACY_BLOCK: usize = 8 << 20;
/// Blocks may refer back this far into earlier output.
const WINDOW: usize = 64 * 1024;

/// Frame descriptor: version 01, reserved bits clear, block maximum size code 4..=7. Legacy:
/// a plausible first block size.
fn probe(data: &[u8]) -> bool {
    if data.get(..4) == Some(&LEGACY_MAGIC[..]) {
        return stream::le32(data, 4)
            .is_some_and(|size| size > 0 && (size as usize) <= LEGACY_BLOCK);
    }
    let (Some(&flags), Some(&block)) = (data.get(4), data.get(5)) else {
        return false;
    };
    data.get(..4) == Some(&FRAME_MAGIC[..])
        && flags >> 6 == 1
        && flags & 0x02 == 0
        && block & 0x8f == 0
        && (4..=7).contains(&(block >> 4))
}

fn is_skippable(data: &[u8]) -> bool {
    stream::le32(data, 0).is_some_and(|magic| magic & 0xffff_fff0 == 0x184d_2a50)
}

/// Decompresses one block into `output`, with the last 64 KiB of earlier output as dictionary.
fn decode_block(block: &[u8], max_size: usize, output: &mut Vec<u8>) -> Result<(), String> {
    let window_start = output.len().saturating_sub(WINDOW);
    let dictionary = output.get(window_start..).unwrap_or(&[]);
    let decoded = lz4_flex::block::decompress_with_dict(block, max_size, dictionary)
        .map_err(|error| error.to_string())?;
    output.extend_from_slice(&decoded);
    Ok(())
}

/// Walks one frame starting at `data[0]`; returns the input bytes it used and how it ended.
fn frame(data: &[u8], cap: usize, output: &mut Vec<u8>) -> (usize, End) {
    let (Some(&flags), Some(&block_descriptor)) = (data.get(4), data.get(5)) else {
        return (0, End::Truncated);
    };
    let block_checksums = flags & 0x10 != 0;
    let content_size = flags & 0x08 != 0;
    let content_checksum = flags & 0x04 != 0;
    let dictionary_id = flags & 0x01 != 0;
    let max_block = 1usize << (8 + 2 * usize::from(block_descriptor >> 4 & 0x07));
    let mut at = 6 + if content_size { 8 } else { 0 } + if dictionary_id { 4 } else { 0 } + 1;
    if at > data.len() {
        return (data.len(), End::Truncated);
    }
    loop {
        let Some(word) = stream::le32(data, at) else {
            return (data.len(), End::Truncated);
        };
        at += 4;
        if word == 0 {
            if content_checksum {
                at += 4;
            }
            return (
                at.min(data.len()),
                if at <= data.len() {
                    End::Complete
                } else {
                    End::Truncated
                },
            );
        }
        let stored = word & 0x8000_0000 != 0;
        let size = (word & 0x7fff_ffff) as usize;
        if size > max_block {
            return (
                at,
                End::Corrupt(format!(
                    "block of {size} bytes exceeds the frame's {max_block}"
                )),
            );
        }
        let Some(block) = data.get(at..at + size) else {
            return (data.len(), End::Truncated);
        };
        let result = if stored {
            output.extend_from_slice(block);
            Ok(())
        } else {
            decode_block(block, max_block, output)
        };
        if let Err(message) = result {
            return (at, End::Corrupt(message));
        }
        at += size + if block_checksums { 4 } else { 0 };
        if output.len() > cap {
            output.truncate(cap);
            return (at.min(data.len()), End::Capped);
        }
    }
}

/// Walks a legacy stream: blocks until the input ends or something that is not a block follows.
fn legacy(data: &[u8], cap: usize, output: &mut Vec<u8>) -> (usize, End) {
    let mut at = 4usize;
    loop {
        let Some(size) = stream::le32(data, at) else {
            return (at.min(data.len()), End::Complete);
        };
        let size = size as usize;
        if size == 0 || size > LEGACY_BLOCK || size == 0x184c_2102 {
            return (at, End::Complete);
        }
        let Some(block) = data.get(at + 4..at + 4 + size) else {
            return (data.len(), End::Truncated);
        };
        // The legacy format has no end marker; a block that does not decode ends the stream.
        if let Err(message) = decode_block(block, LEGACY_BLOCK, output) {
            return if at == 4 {
                (at, End::Corrupt(message))
            } else {
                (at, End::Complete)
            };
        }
        at += 4 + size;
        if output.len() > cap {
            output.truncate(cap);
            return (at, End::Capped);
        }
    }
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut output = Vec::new();
    let mut position = 0usize;
    let mut end = End::Complete;
    let mut frames = 0usize;
    loop {
        let rest = data.get(position..).unwrap_or(&[]);
        if is_skippable(rest) && frames > 0 {
            let length = stream::le32(rest, 4).unwrap_or(0) as usize;
            position = position
                .saturating_add(8)
                .saturating_add(length)
                .min(data.len());
            continue;
        }
        if !probe(rest) {
            break;
        }
        let (used, frame_end) = if rest.get(..4) == Some(&LEGACY_MAGIC[..]) {
            legacy(rest, cap, &mut output)
        } else {
            frame(rest, cap, &mut output)
        };
        position += used;
        frames += 1;
        if frame_end != End::Complete || used == 0 {
            end = frame_end;
            break;
        }
    }
    if frames == 0 {
        return Err(UnpackError::new("not an lz4 stream"));
    }
    stream::finish(
        "lz4",
        Decoded {
            data: output,
            consumed: position.min(data.len()),
            end,
        },
        hit,
        ctx,
    )
}
