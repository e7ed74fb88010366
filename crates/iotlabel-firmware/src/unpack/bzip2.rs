//! bzip2 streams (including concatenated streams as pbzip2 writes them), decoded by the `bzip2`
//! crate, whose default backend (libbz2-rs-sys) is pure Rust.

use super::stream::{self, Decoded, End};
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "bzip2",
    description: "bzip2 compressed stream",
    magics: &[b"BZh"],
    magic_offset: 0,
    probe,
    unpack,
};

const BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

fn probe(data: &[u8]) -> bool {
    data.get(3)
        .is_some_and(|level| (b'1'..=b'9').contains(level))
        && data
            .get(4..10)
            .is_some_and(|magic| magic == BLOCK_MAGIC || magic == END_MAGIC)
}

fn one_stream(data: &[u8], cap: u64) -> Decoded {
    let mut decoder = bzip2::Decompress::new(false);
    stream::run(data, cap, &mut |rest, out| {
        let in_before = decoder.total_in();
        let out_before = decoder.total_out();
        let status = decoder
            .decompress(rest, out)
            .map_err(|error| error.to_string())?;
        let used = usize::try_from(decoder.total_in() - in_before).unwrap_or(0);
        let written = usize::try_from(decoder.total_out() - out_before).unwrap_or(0);
        Ok((used, written, status == bzip2::Status::StreamEnd))
    })
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let mut output = Vec::new();
    let mut position = 0usize;
    let mut end = End::Complete;
    loop {
        let rest = data.get(position..).unwrap_or(&[]);
        if !probe(rest) {
            break;
        }
        let decoded = one_stream(rest, cap.saturating_sub(output.len() as u64));
        output.extend_from_slice(&decoded.data);
        position += decoded.consumed;
        if decoded.end != End::Complete || decoded.consumed == 0 {
            end = decoded.end;
            break;
        }
    }
    if position == 0 && output.is_empty() && end == End::Complete {
        return Err(UnpackError::new("not a bzip2 stream"));
    }
    stream::finish(
        "bzip2",
        Decoded {
            data: output,
            consumed: position,
            end,
        },
        hit,
        ctx,
    )
}
