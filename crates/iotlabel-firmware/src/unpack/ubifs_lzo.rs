//! A bounded LZO1X decompressor for UBIFS (and jffs2) data nodes.
//!
//! Written here instead of taken from a crate: `rust-lzo` (GPL-2.0) and `minilzo-rs` (GPL-3.0)
//! do not fit the project's Apache-2.0 licence, and `lzokay-native` (one 0.1.0 release) indexes
//! its output with unchecked back-reference distances and subtracts without underflow checks,
//! so a hostile stream panics it, and it has no output cap. This one follows the LZO1X
//! bitstream as the Linux kernel's `lzo1x_decompress_safe` reads it (format facts only), checks
//! every read and back-reference, and never writes past `max_output` bytes.

/// Why an LZO stream could not be decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LzoError {
    #[error("LZO input ends inside an instruction")]
    InputOverrun,
    #[error("LZO output would exceed {0} bytes")]
    OutputOverrun(usize),
    #[error("LZO back-reference points before the start of the output")]
    LookBehindOverrun,
    #[error("LZO stream ends without its end marker")]
    MissingEndMarker,
}

/// Longest run of zero bytes a length may use (as in the kernel: keeps lengths far from
/// overflowing).
const MAX_ZERO_RUN: usize = 1 << 20;

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Result<u8, LzoError> {
        let value = *self.data.get(self.pos).ok_or(LzoError::InputOverrun)?;
        self.pos += 1;
        Ok(value)
    }

    fn le16(&mut self) -> Result<usize, LzoError> {
        let low = self.byte()?;
        let high = self.byte()?;
        Ok(usize::from(u16::from_le_bytes([low, high])))
    }

    /// Reads an extended length: zero bytes add 255 each, the first non-zero byte ends it.
    fn extended_length(&mut self, base: usize) -> Result<usize, LzoError> {
        let mut zeros = 0usize;
        while self.data.get(self.pos) == Some(&0) {
            self.pos += 1;
            zeros += 1;
            if zeros > MAX_ZERO_RUN {
                return Err(LzoError::InputOverrun);
            }
        }
        let last = usize::from(self.byte()?);
        Ok(base + zeros * 255 + last)
    }

    fn literals(&mut self, count: usize) -> Result<&[u8], LzoError> {
        let end = self.pos.checked_add(count).ok_or(LzoError::InputOverrun)?;
        let bytes = self.data.get(self.pos..end).ok_or(LzoError::InputOverrun)?;
        self.pos = end;
        Ok(bytes)
    }
}

fn push_literals(output: &mut Vec<u8>, bytes: &[u8], max_output: usize) -> Result<(), LzoError> {
    if output.len() + bytes.len() > max_output {
        return Err(LzoError::OutputOverrun(max_output));
    }
    output.extend_from_slice(bytes);
    Ok(())
}

/// Copies `length` bytes starting `distance` bytes back (the ranges may overlap).
fn copy_match(
    output: &mut Vec<u8>,
    distance: usize,
    length: usize,
    max_output: usize,
) -> Result<(), LzoError> {
    if distance == 0 || distance > output.len() {
        return Err(LzoError::LookBehindOverrun);
    }
    if output.len() + length > max_output {
        return Err(LzoError::OutputOverrun(max_output));
    }
    let start = output.len() - distance;
    for index in start..start + length {
        let byte = output
            .get(index)
            .copied()
            .ok_or(LzoError::LookBehindOverrun)?;
        output.push(byte);
    }
    Ok(())
}

/// Decompresses one LZO1X stream, producing at most `max_output` bytes.
pub fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, LzoError> {
    let mut output = Vec::with_capacity(max_output.min(64 * 1024));
    let mut input = Input {
        data: input,
        pos: 0,
    };
    // `state` is how many literals the previous instruction copied (4 means "four or more").
    let mut state: usize;
    let first = *input.data.first().ok_or(LzoError::InputOverrun)?;
    if first > 17 {
        input.pos = 1;
        let count = usize::from(first - 17);
        let bytes = input.literals(count)?;
        push_literals(&mut output, bytes, max_output)?;
        state = if count < 4 { count } else { 4 };
    } else {
        state = 0;
    }
    loop {
        let instruction = usize::from(input.byte()?);
        let (distance, length, next_literals);
        if instruction < 16 {
            if state == 0 {
                // A run of four or more literals.
                let count = if instruction == 0 {
                    input.extended_length(15)? + 3
                } else {
                    instruction + 3
                };
                let bytes = input.literals(count)?;
                push_literals(&mut output, bytes, max_output)?;
                state = 4;
                continue;
            }
            let high = usize::from(input.byte()?);
            next_literals = instruction & 3;
            if state == 4 {
                // A 3-byte match 2049..3072 bytes back.
                distance = 1 + 0x0800 + (instruction >> 2) + (high << 2);
                length = 3;
            } else {
                // A 2-byte match up to 1 KiB back.
                distance = 1 + (instruction >> 2) + (high << 2);
                length = 2;
            }
        } else if instruction >= 64 {
            let high = usize::from(input.byte()?);
            next_literals = instruction & 3;
            distance = 1 + ((instruction >> 2) & 7) + (high << 3);
            length = (instruction >> 5) + 1;
        } else if instruction >= 32 {
            length = match instruction & 31 {
                0 => input.extended_length(31)? + 2,
                low => low + 2,
            };
            let word = input.le16()?;
            next_literals = word & 3;
            distance = 1 + (word >> 2);
        } else {
            // 16..31: a far match, or the end marker.
            length = match instruction & 7 {
                0 => input.extended_length(7)? + 2,
                low => low + 2,
            };
            let word = input.le16()?;
            next_literals = word & 3;
            let far = ((instruction & 8) << 11) + (word >> 2);
            if far == 0 {
                if length != 3 {
                    return Err(LzoError::MissingEndMarker);
                }
                return Ok(output);
            }
            distance = far + 0x4000;
        }
        copy_match(&mut output, distance, length, max_output)?;
        state = next_literals;
        if next_literals > 0 {
            let bytes = input.literals(next_literals)?;
            push_literals(&mut output, bytes, max_output)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_only_stream_decodes() {
        // First byte 17 + 5: five literals, then the end marker 0x11 0x00 0x00.
        let stream = [22, b'h', b'e', b'l', b'l', b'o', 0x11, 0, 0];
        assert_eq!(decompress(&stream, 100).unwrap(), b"hello");
    }

    #[test]
    fn matches_copy_from_history() {
        // Four literals "abcd", then an M2 match: instruction 0x6C = 0b011_011_00 gives length
        // (0x6C >> 5) + 1 = 4 and distance 1 + ((0x6C >> 2) & 7) + (0x00 << 3) = 4.
        let stream = [21, b'a', b'b', b'c', b'd', 0x6C, 0x00, 0x11, 0, 0];
        assert_eq!(decompress(&stream, 100).unwrap(), b"abcdabcd");
    }

    #[test]
    fn hostile_streams_fail_cleanly() {
        assert_eq!(decompress(&[], 10), Err(LzoError::InputOverrun));
        // A far match (instruction 17, distance 0x4001) before any output.
        assert_eq!(
            decompress(&[0x11, 0x04, 0x00, 0x11, 0, 0], 10),
            Err(LzoError::LookBehindOverrun)
        );
        // Output cap.
        let stream = [22, b'h', b'e', b'l', b'l', b'o', 0x11, 0, 0];
        assert_eq!(decompress(&stream, 3), Err(LzoError::OutputOverrun(3)));
        // Truncated.
        assert_eq!(decompress(&stream[..7], 10), Err(LzoError::InputOverrun));
        // A long zero run in a length.
        let mut zeros = vec![0u8; 100];
        zeros.insert(0, 0);
        assert_eq!(decompress(&zeros, 10), Err(LzoError::InputOverrun));
    }
}
