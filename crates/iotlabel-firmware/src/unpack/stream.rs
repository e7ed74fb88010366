//! Bounded stream decompression shared by the compressed-stream unpackers: every decoder runs
//! through one loop that stops at the scan's cap (ratio and total limits), so a bomb comes back
//! truncated instead of inflated, and reports exactly how many input bytes the stream used.

use crate::limits::LimitHit;
use crate::unpack::{UnpackContext, UnpackError, Unpacked};

/// Output is produced in pieces of this size, never more than the cap allows.
const CHUNK: usize = 64 * 1024;

/// How a decoding run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The stream's end marker was reached.
    Complete,
    /// The cap was reached; more output was available.
    Capped,
    /// The input ended before the stream did.
    Truncated,
    /// The decoder reported damage.
    Corrupt(String),
}

/// What one decoding run produced.
#[derive(Debug)]
pub struct Decoded {
    pub data: Vec<u8>,
    /// Input bytes that belonged to the stream (up to where decoding stopped).
    pub consumed: usize,
    pub end: End,
}

/// One call of a decoder: given the unread input and an output buffer, returns (input bytes
/// used, output bytes written, whether the end of the stream was reached).
pub type Step<'s> = dyn FnMut(&[u8], &mut [u8]) -> Result<(usize, usize, bool), String> + 's;

/// Runs `step` over `input` until the stream ends, the input runs out, the decoder fails or
/// `cap` output bytes were produced.
pub fn run(input: &[u8], cap: u64, step: &mut Step<'_>) -> Decoded {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut data: Vec<u8> = Vec::new();
    let mut consumed = 0usize;
    let mut buffer = vec![0u8; CHUNK];
    let mut idle_rounds = 0;
    loop {
        let rest = input.get(consumed..).unwrap_or(&[]);
        // Ask for one byte more than the cap allows, to tell "exactly at the cap" from "over it".
        let room = cap.saturating_sub(data.len()).saturating_add(1).min(CHUNK);
        let Some(window) = buffer.get_mut(..room) else {
            return Decoded {
                data,
                consumed,
                end: End::Corrupt("internal buffer error".into()),
            };
        };
        let (used, written, finished) = match step(rest, window) {
            Ok(result) => result,
            Err(message) => {
                return Decoded {
                    data,
                    consumed,
                    end: End::Corrupt(message),
                };
            }
        };
        consumed = consumed.saturating_add(used).min(input.len());
        let keep = written
            .min(window.len())
            .min(cap.saturating_sub(data.len()));
        data.extend_from_slice(window.get(..keep).unwrap_or(&[]));
        if written > keep {
            return Decoded {
                data,
                consumed,
                end: End::Capped,
            };
        }
        if finished {
            return Decoded {
                data,
                consumed,
                end: End::Complete,
            };
        }
        if used == 0 && written == 0 {
            idle_rounds += 1;
            if idle_rounds > 2 || rest.is_empty() {
                return Decoded {
                    data,
                    consumed,
                    end: End::Truncated,
                };
            }
        } else {
            idle_rounds = 0;
        }
    }
}

/// Charges `decoded` to the budget and turns it into the unpacker's result: a capped stream is
/// marked truncated, a damaged or cut-off one keeps what was decoded plus a diagnostic, and one
/// that produced nothing at all is an error.
pub fn finish(
    format: &str,
    decoded: Decoded,
    hit: LimitHit,
    ctx: &mut UnpackContext<'_>,
) -> Result<Unpacked, UnpackError> {
    let Decoded {
        data,
        consumed,
        end,
    } = decoded;
    match &end {
        End::Complete => {}
        End::Capped => ctx.limit_hit(hit),
        End::Truncated => {
            if data.is_empty() {
                return Err(UnpackError::new(format!(
                    "{format} stream is cut off before any output"
                )));
            }
            ctx.diagnostic(format!(
                "{format} stream is cut off after {} output bytes; keeping what was decoded",
                data.len()
            ));
        }
        End::Corrupt(message) => {
            if data.is_empty() {
                return Err(UnpackError::new(format!(
                    "{format} stream is damaged: {message}"
                )));
            }
            ctx.diagnostic(format!(
                "{format} stream is damaged after {} output bytes ({message}); keeping what was decoded",
                data.len()
            ));
        }
    }
    if let Err(limit) = ctx.budget.charge_bytes(data.len() as u64) {
        ctx.limit_hit(limit);
        return Err(UnpackError::new(format!("{format}: {limit}")));
    }
    Ok(Unpacked::Stream {
        data,
        consumed: consumed as u64,
    })
}

/// Decodes with flate2's (pure Rust, miniz_oxide) inflater: zlib-wrapped or raw deflate.
pub fn inflate(input: &[u8], zlib_header: bool, cap: u64) -> Decoded {
    let mut inflater = flate2::Decompress::new(zlib_header);
    run(input, cap, &mut |rest, out| {
        let in_before = inflater.total_in();
        let out_before = inflater.total_out();
        let status = inflater
            .decompress(rest, out, flate2::FlushDecompress::None)
            .map_err(|error| error.to_string())?;
        let used = usize::try_from(inflater.total_in() - in_before).unwrap_or(0);
        let written = usize::try_from(inflater.total_out() - out_before).unwrap_or(0);
        Ok((used, written, status == flate2::Status::StreamEnd))
    })
}

/// Memory the xz/lzma decoder may use (dictionary included); a header asking for more is refused.
pub const LZMA_MEMORY_LIMIT: u64 = 128 << 20;

/// Decodes with liblzma (the C library through the `liblzma` crate). Chosen over the pure-Rust
/// decoders because it supports every xz filter (BCJ filters are common in firmware kernels),
/// enforces a memory limit, and reports exactly where a stream ended, which trailing-data
/// handling needs.
pub fn lzma_family(input: &[u8], mut stream: liblzma::stream::Stream, cap: u64) -> Decoded {
    run(input, cap, &mut |rest, out| {
        let in_before = stream.total_in();
        let out_before = stream.total_out();
        let status = stream
            .process(rest, out, liblzma::stream::Action::Run)
            .map_err(|error| error.to_string())?;
        let used = usize::try_from(stream.total_in() - in_before).unwrap_or(0);
        let written = usize::try_from(stream.total_out() - out_before).unwrap_or(0);
        Ok((used, written, status == liblzma::stream::Status::StreamEnd))
    })
}

/// Decodes a `Read` based decoder over `input`, counting the input it pulls through `source`.
/// Used where the crate offers only a reader (lz4 frames, zstd).
pub fn read_capped(reader: &mut dyn std::io::Read, cap: u64) -> (Vec<u8>, End) {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut data = Vec::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let room = cap.saturating_sub(data.len()).saturating_add(1).min(CHUNK);
        let Some(window) = buffer.get_mut(..room) else {
            return (data, End::Corrupt("internal buffer error".into()));
        };
        match reader.read(window) {
            Ok(0) => return (data, End::Complete),
            Ok(read) => {
                let keep = read.min(cap.saturating_sub(data.len()));
                data.extend_from_slice(window.get(..keep).unwrap_or(&[]));
                if read > keep {
                    return (data, End::Capped);
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                return (data, End::Truncated);
            }
            Err(error) => return (data, End::Corrupt(error.to_string())),
        }
    }
}

/// A reader over a byte slice that counts what was read from it.
#[derive(Debug)]
pub struct CountingSlice<'a> {
    pub data: &'a [u8],
    pub position: usize,
}

impl std::io::Read for CountingSlice<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.position..).unwrap_or(&[]);
        let count = rest.len().min(out.len());
        if let (Some(target), Some(source)) = (out.get_mut(..count), rest.get(..count)) {
            target.copy_from_slice(source);
        }
        self.position += count;
        Ok(count)
    }
}

/// Reads a big-endian u32 at `at`, if the bytes are there.
pub fn be32(data: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Reads a little-endian u32 at `at`, if the bytes are there.
pub fn le32(data: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// Reads a little-endian u16 at `at`, if the bytes are there.
pub fn le16(data: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(bytes))
}

/// The bytes `[start, start + len)` of `data`, clipped to what exists.
pub fn clip(data: &[u8], start: usize, len: usize) -> &[u8] {
    let start = start.min(data.len());
    let end = start.saturating_add(len).min(data.len());
    data.get(start..end).unwrap_or(&[])
}
