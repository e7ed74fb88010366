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

/// Decompresses one data block straight into `slot` (the block's place in its file, whose
/// length is the block's expected size), returning how many bytes of it were filled. Same
/// outcome as [`decompress`] with `expected = slot.len()` followed by copying at most
/// `slot.len()` bytes: output beyond the slot but within `cap` is dropped, beyond `cap` is an
/// error. zlib, zstd and xz decode in place; the others go through `scratch` (reused by the
/// caller from block to block).
pub fn decompress_into(
    compression: Compression,
    input: &[u8],
    cap: usize,
    slot: &mut [u8],
    scratch: &mut Vec<u8>,
) -> Result<usize, String> {
    match compression {
        Compression::Gzip => zlib_into(input, cap, slot),
        Compression::ZlibOrLzma if looks_like_zlib(input) => zlib_into(input, cap, slot),
        Compression::Xz => {
            let mut stream = Stream::new_stream_decoder(LZMA_MEMORY_LIMIT, 0)
                .map_err(|error| format!("xz: {error}"))?;
            run_liblzma_into(&mut stream, input, cap, slot, "xz")
        }
        Compression::Zstd => match ruzstd::decoding::StreamingDecoder::new(input) {
            Ok(decoder) => read_capped_into(decoder, cap, slot, "zstd"),
            Err(error) => Err(format!("zstd: {error}")),
        },
        _ => {
            decompress(compression, input, cap, Some(slot.len()), scratch)?;
            let take = scratch.len().min(slot.len());
            if let (Some(target), Some(source)) = (slot.get_mut(..take), scratch.get(..take)) {
                target.copy_from_slice(source);
            }
            Ok(take)
        }
    }
}

/// Output past a slot is decoded into this much scratch at a time (and dropped), only to tell
/// a block that ends within the cap from one that inflates past it.
const OVERFLOW_CHUNK: usize = 4096;

fn zlib_into(input: &[u8], cap: usize, slot: &mut [u8]) -> Result<usize, String> {
    read_capped_into(flate2::read::ZlibDecoder::new(input), cap, slot, "zlib")
}

/// [`read_capped`] into a slot: reads at most `cap` bytes, keeping the first `slot.len()`.
fn read_capped_into(
    reader: impl Read,
    cap: usize,
    slot: &mut [u8],
    what: &str,
) -> Result<usize, String> {
    let mut limited = reader.take(cap as u64 + 1);
    let mut total = 0usize;
    let mut overflow = [0u8; OVERFLOW_CHUNK];
    loop {
        let target = match slot.get_mut(total..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => &mut overflow[..],
        };
        match limited.read(target) {
            Ok(0) => break,
            Ok(read) => total = total.saturating_add(read),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(format!("{what}: {error}")),
        }
    }
    if total > cap {
        return Err(format!("{what}: block inflates past {cap} bytes"));
    }
    Ok(total.min(slot.len()))
}

/// [`run_liblzma`] into a slot: feeds all of `input`, keeps the first `slot.len()` bytes of
/// output, and fails like it when the output passes `cap` or the stream is unusable.
fn run_liblzma_into(
    stream: &mut Stream,
    input: &[u8],
    cap: usize,
    slot: &mut [u8],
    what: &str,
) -> Result<usize, String> {
    let mut total = 0usize;
    let mut consumed = 0usize;
    let mut overflow = [0u8; OVERFLOW_CHUNK];
    loop {
        let before_in = stream.total_in();
        let before_out = stream.total_out();
        let rest = input.get(consumed..).unwrap_or_default();
        let target = match slot.get_mut(total..) {
            Some(room) if !room.is_empty() => room,
            _ => &mut overflow[..],
        };
        let result = stream.process(rest, target, Action::Finish);
        let used = usize::try_from(stream.total_in() - before_in).unwrap_or(usize::MAX);
        let written = usize::try_from(stream.total_out() - before_out).unwrap_or(usize::MAX);
        consumed = consumed.saturating_add(used);
        total = total.saturating_add(written);
        if total > cap {
            return Err(format!("{what}: block inflates past {cap} bytes"));
        }
        match result {
            Ok(Status::StreamEnd) => return Ok(total.min(slot.len())),
            Ok(_) => {
                if used == 0 && written == 0 {
                    // Input exhausted: whatever was decoded is the block.
                    return if total == 0 {
                        Err(format!("{what}: stream ends before any output"))
                    } else {
                        Ok(total.min(slot.len()))
                    };
                }
            }
            Err(error) => return Err(format!("{what}: {error}")),
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

    fn compress(compression: Compression, data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        match compression {
            Compression::Gzip => {
                let mut encoder =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            }
            Compression::Xz => {
                let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 6);
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            }
            Compression::Zstd => {
                ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
            }
            Compression::Lz4 => lz4_flex::block::compress(data),
            other => panic!("no encoder for {other:?} in this test"),
        }
    }

    /// `decompress_into` must give what `decompress` gives, cut to the slot.
    fn assert_same_outcome(compression: Compression, input: &[u8], cap: usize, slot_len: usize) {
        let mut reference = Vec::new();
        let expected = decompress(compression, input, cap, Some(slot_len), &mut reference)
            .map(|()| reference.len().min(slot_len));
        let mut slot = vec![0u8; slot_len];
        let mut scratch = Vec::new();
        let got = decompress_into(compression, input, cap, &mut slot, &mut scratch);
        match (&expected, &got) {
            (Ok(want), Ok(filled)) => {
                assert_eq!(want, filled, "{compression:?} cap {cap} slot {slot_len}");
                assert_eq!(&slot[..*filled], &reference[..*filled]);
                assert!(slot[*filled..].iter().all(|byte| *byte == 0));
            }
            (Err(_), Err(_)) => {}
            _ => panic!("{compression:?} cap {cap} slot {slot_len}: {expected:?} vs {got:?}"),
        }
    }

    #[test]
    fn decoding_into_a_slot_matches_decoding_into_a_buffer() {
        let data: Vec<u8> = (0..20_000u32)
            .map(|index| (index * 7 % 251) as u8 ^ (index / 300) as u8)
            .collect();
        for compression in [
            Compression::Gzip,
            Compression::Xz,
            Compression::Zstd,
            Compression::Lz4,
        ] {
            let packed = compress(compression, &data);
            // Exact, slot shorter than the output (rest dropped), output over the cap.
            for (cap, slot_len) in [(32_768, 20_000), (32_768, 4096), (32_768, 0), (8192, 8192)] {
                assert_same_outcome(compression, &packed, cap, slot_len);
            }
            // Output shorter than the slot: a short block, the rest stays zero.
            assert_same_outcome(compression, &packed, 32_768, 25_000);
            // Cut off, or damaged in the middle.
            for cut in [1, packed.len() / 2, packed.len() - 1] {
                assert_same_outcome(compression, &packed[..cut], 32_768, 20_000);
            }
            let mut damaged = packed.clone();
            let middle = damaged.len() / 2;
            damaged[middle] ^= 0x55;
            assert_same_outcome(compression, &damaged, 32_768, 20_000);
        }
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
