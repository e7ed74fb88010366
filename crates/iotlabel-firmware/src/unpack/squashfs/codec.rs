//! Block decompression for squashfs: one bounded function per compressor, every output capped
//! at the block size (data) or 8 KiB (metadata) so a hostile block cannot inflate further.
//!
//! Crates used: flate2 (zlib, pure Rust backend), liblzma (xz and LZMA1; the C reference codec
//! through its maintained binding, already a dependency of this crate for xz streams: its raw
//! LZMA1 decoder hands back what it decoded when a stream ends without an end marker, which the
//! legacy squashfs-lzma variants need), lz4_flex (pure Rust) and ruzstd (pure Rust). LZO uses
//! this crate's own bounded decoder in `ubifs_lzo`.

use std::io::Read;

use liblzma::stream::{Action, Filters, LzmaOptions, Status, Stream};

/// Memory the liblzma decoders may use (dictionary and state); squashfs blocks are at most
/// 1 MiB so their dictionaries never need more.
const LZMA_MEMORY_LIMIT: u64 = 64 << 20;

/// Compression used by an image's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Lzma,
    Lzo,
    Xz,
    Lz4,
    Zstd,
    /// Squashfs 2.x/3.x: no id in the superblock, zlib by default; LZMA (several vendor
    /// variants) is recognised block by block.
    ZlibOrLzma,
}

impl Compression {
    /// The squashfs 4.0 compressor id.
    pub fn from_v4_id(id: u16) -> Option<Compression> {
        match id {
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Lzma),
            3 => Some(Compression::Lzo),
            4 => Some(Compression::Xz),
            5 => Some(Compression::Lz4),
            6 => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Lzma => "lzma",
            Compression::Lzo => "lzo",
            Compression::Xz => "xz",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
            Compression::ZlibOrLzma => "zlib/lzma",
        }
    }
}

/// Decompresses one block into `out` (cleared first), producing at most `cap` bytes.
/// `expected` is the exact size when the caller knows it (data blocks), which the headerless
/// LZMA variants need to stop. Partial output stays in `out` when an error is returned.
pub fn decompress(
    compression: Compression,
    input: &[u8],
    cap: usize,
    expected: Option<usize>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    out.clear();
    match compression {
        Compression::Gzip => zlib(input, cap, out),
        Compression::Lzma => lzma_any(input, cap, expected, out),
        Compression::Lzo => {
            let data =
                crate::unpack::ubifs_lzo::decompress(input, cap).map_err(|e| e.to_string())?;
            out.extend_from_slice(&data);
            Ok(())
        }
        Compression::Xz => xz(input, cap, out),
        Compression::Lz4 => {
            out.resize(cap, 0);
            match lz4_flex::block::decompress_into(input, out) {
                Ok(written) => {
                    out.truncate(written);
                    Ok(())
                }
                Err(error) => {
                    out.clear();
                    Err(format!("lz4: {error}"))
                }
            }
        }
        Compression::Zstd => match ruzstd::decoding::StreamingDecoder::new(input) {
            Ok(decoder) => read_capped(decoder, cap, out, "zstd"),
            Err(error) => Err(format!("zstd: {error}")),
        },
        Compression::ZlibOrLzma => {
            if looks_like_zlib(input) {
                zlib(input, cap, out)
            } else {
                lzma_any(input, cap, expected, out)
            }
        }
    }
}

/// A zlib stream starts with CMF (method 8) and FLG such that CMF*256+FLG is a multiple of 31.
fn looks_like_zlib(input: &[u8]) -> bool {
    match input {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

fn zlib(input: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), String> {
    read_capped(flate2::read::ZlibDecoder::new(input), cap, out, "zlib")
}

/// Reads at most `cap` bytes; more is an error (the block inflates past its size).
fn read_capped(reader: impl Read, cap: usize, out: &mut Vec<u8>, what: &str) -> Result<(), String> {
    let mut limited = reader.take(cap as u64 + 1);
    match limited.read_to_end(out) {
        Ok(_) if out.len() > cap => {
            out.truncate(cap);
            Err(format!("{what}: block inflates past {cap} bytes"))
        }
        Ok(_) => Ok(()),
        Err(error) => Err(format!("{what}: {error}")),
    }
}

fn xz(input: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let mut stream =
        Stream::new_stream_decoder(LZMA_MEMORY_LIMIT, 0).map_err(|error| format!("xz: {error}"))?;
    run_liblzma(&mut stream, input, cap, out, "xz")
}

/// Feeds all of `input` to a liblzma stream, keeping at most `cap` bytes of output.
fn run_liblzma(
    stream: &mut Stream,
    input: &[u8],
    cap: usize,
    out: &mut Vec<u8>,
    what: &str,
) -> Result<(), String> {
    // One byte of headroom tells "exactly cap" from "more than cap".
    out.reserve_exact(cap + 1);
    let mut consumed = 0usize;
    loop {
        let before_in = stream.total_in();
        let before_out = out.len();
        let rest = input.get(consumed..).unwrap_or_default();
        let result = stream.process_vec(rest, out, Action::Finish);
        consumed = consumed.saturating_add((stream.total_in() - before_in) as usize);
        if out.len() > cap {
            out.truncate(cap);
            return Err(format!("{what}: block inflates past {cap} bytes"));
        }
        match result {
            Ok(Status::StreamEnd) => return Ok(()),
            Ok(_) => {
                let progressed = out.len() != before_out || stream.total_in() != before_in;
                if !progressed || out.len() == out.capacity() {
                    // Input exhausted (or output full): whatever was decoded is the block.
                    if out.len() == out.capacity() && out.len() > cap {
                        return Err(format!("{what}: block inflates past {cap} bytes"));
                    }
                    return if out.is_empty() {
                        Err(format!("{what}: stream ends before any output"))
                    } else {
                        Ok(())
                    };
                }
            }
            Err(error) => {
                return Err(format!("{what}: {error}"));
            }
        }
    }
}

/// LZMA as the squashfs variants store it, recognised by its first bytes:
/// - `.lzma` ("alone") header: properties, dictionary size, 64-bit uncompressed size (4.0's
///   lzma compressor, sqlzma);
/// - properties and dictionary size only, no size (Broadcom's squashfs 2.x/3.x LZMA);
/// - no header at all, the range coder's first byte is 0 (other 2.x/3.x LZMA patches), with
///   the defaults lc=3 lp=0 pb=2.
fn lzma_any(
    input: &[u8],
    cap: usize,
    expected: Option<usize>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let (properties, body) = match input {
        [] => return Err("lzma: empty block".to_owned()),
        [0, ..] => (0x5d_u8, input),
        [properties, _, _, _, _, rest @ ..] => {
            let body = match rest {
                [s0, s1, s2, s3, s4, s5, s6, s7, after @ ..] => {
                    let size = u64::from_le_bytes([*s0, *s1, *s2, *s3, *s4, *s5, *s6, *s7]);
                    let is_alone =
                        (size <= cap as u64 || size == u64::MAX) && after.first() == Some(&0);
                    if is_alone { after } else { rest }
                }
                _ => rest,
            };
            (*properties, body)
        }
        _ => return Err("lzma: block too short for a header".to_owned()),
    };
    if properties >= 9 * 5 * 5 {
        return Err(format!("lzma: invalid properties byte {properties:#x}"));
    }
    let lc = u32::from(properties % 9);
    let lp = u32::from((properties / 9) % 5);
    let pb = u32::from(properties / 45);
    let mut options =
        LzmaOptions::new_preset(6).map_err(|error| format!("lzma: options: {error}"))?;
    // The dictionary never needs to exceed the output: ignore the (hostile) stored size.
    let dictionary = u32::try_from(cap.max(4096)).unwrap_or(u32::MAX);
    options
        .dict_size(dictionary)
        .literal_context_bits(lc)
        .literal_position_bits(lp)
        .position_bits(pb);
    let mut filters = Filters::new();
    filters.lzma1(&options);
    let mut stream = Stream::new_raw_decoder(&filters).map_err(|error| format!("lzma: {error}"))?;
    let limit = expected.map_or(cap, |size| size.min(cap));
    let result = run_liblzma(&mut stream, body, limit, out, "lzma");
    // A stream without end marker may decode a few bytes of noise after its real end when
    // its exact size is known; and hitting the known size is success.
    match (result, expected) {
        (_, Some(size)) if out.len() >= size => {
            out.truncate(size);
            Ok(())
        }
        // Legacy LZMA metadata blocks have neither size nor end marker: the stream simply
        // stops, which liblzma may call an error after handing back the whole block.
        (Err(_), None) if !out.is_empty() => Ok(()),
        (result, _) => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_is_recognised() {
        assert!(looks_like_zlib(&[0x78, 0xda]));
        assert!(looks_like_zlib(&[0x78, 0x9c]));
        assert!(!looks_like_zlib(&[0x5d, 0x00]));
        assert!(!looks_like_zlib(&[0x00, 0x2a]));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let garbage = [0xffu8; 64];
        for compression in [
            Compression::Gzip,
            Compression::Lzma,
            Compression::Lzo,
            Compression::Xz,
            Compression::Lz4,
            Compression::Zstd,
            Compression::ZlibOrLzma,
        ] {
            let mut out = Vec::new();
            let _ = decompress(compression, &garbage, 8192, None, &mut out);
            assert!(out.len() <= 8192);
            let _ = decompress(compression, &[], 8192, None, &mut out);
        }
    }
}
