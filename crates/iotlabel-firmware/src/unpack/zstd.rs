//! Zstandard frames, decoded by `ruzstd` (pure Rust); consecutive frames are concatenated and
//! skippable frames are stepped over.

use std::io::Read;

use super::stream::{self, CountingSlice, Decoded, End};
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "zstd",
    description: "Zstandard compressed stream",
    magics: &[&[0x28, 0xb5, 0x2f, 0xfd]],
    magic_offset: 0,
    probe,
    unpack,
};

const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Frame header descriptor: the reserved bit must be clear.
fn probe(data: &[u8]) -> bool {
    data.get(..4) == Some(&MAGIC[..])
        && data.get(4).is_some_and(|descriptor| descriptor & 0x08 == 0)
}

fn is_skippable(data: &[u8]) -> bool {
    stream::le32(data, 0).is_some_and(|magic| magic & 0xffff_fff0 == 0x184d_2a50)
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let mut output = Vec::new();
    let mut position = 0usize;
    let mut end = End::Complete;
    let mut frames = 0usize;
    loop {
        let rest = data.get(position..).unwrap_or(&[]);
        if is_skippable(rest) {
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
        let mut source = CountingSlice {
            data: rest,
            position: 0,
        };
        let (produced, frame_end) = match ruzstd::decoding::StreamingDecoder::new(&mut source) {
            Ok(mut decoder) => {
                let left = cap.saturating_sub(output.len() as u64);
                stream::read_capped(&mut decoder as &mut dyn Read, left)
            }
            Err(error) => (Vec::new(), End::Corrupt(error.to_string())),
        };
        output.extend_from_slice(&produced);
        position += source.position;
        frames += 1;
        if frame_end != End::Complete || source.position == 0 {
            end = frame_end;
            break;
        }
    }
    if frames == 0 {
        return Err(UnpackError::new("not a zstd frame"));
    }
    stream::finish(
        "zstd",
        Decoded {
            data: output,
            consumed: position.min(data.len()),
            end,
        },
        hit,
        ctx,
    )
}
