//! gzip (RFC 1952), including multi-member files: the header is parsed here, the deflate body
//! is inflated by flate2 through the bounded loop in [`super::stream`], the CRC is verified.

use super::stream::{self, Decoded, End};
use super::{Format, UnpackContext, UnpackError, Unpacked};

pub static FORMAT: Format = Format {
    id: "gzip",
    description: "gzip compressed stream",
    magics: &[&[0x1f, 0x8b, 0x08]],
    magic_offset: 0,
    probe,
    unpack,
};

const FLAG_HCRC: u8 = 0x02;
const FLAG_EXTRA: u8 = 0x04;
const FLAG_NAME: u8 = 0x08;
const FLAG_COMMENT: u8 = 0x10;

fn probe(data: &[u8]) -> bool {
    data.len() >= 18 && data.get(3).is_some_and(|flags| flags & 0xe0 == 0)
}

/// A parsed member header: where the deflate body starts and the stored file name.
#[derive(Debug)]
struct MemberHeader {
    body: usize,
    name: Option<String>,
}

fn zero_terminated(data: &[u8], from: usize) -> Option<(usize, &[u8])> {
    let rest = data.get(from..)?;
    let length = rest.iter().position(|&byte| byte == 0)?;
    Some((from + length + 1, rest.get(..length)?))
}

fn parse_header(data: &[u8]) -> Option<MemberHeader> {
    if data.get(..3)? != [0x1f, 0x8b, 0x08] {
        return None;
    }
    let flags = *data.get(3)?;
    if flags & 0xe0 != 0 {
        return None;
    }
    let mut at = 10usize;
    if flags & FLAG_EXTRA != 0 {
        let length = usize::from(stream::le16(data, at)?);
        at = at.checked_add(2 + length)?;
    }
    let mut name = None;
    if flags & FLAG_NAME != 0 {
        let (next, raw) = zero_terminated(data, at)?;
        name = Some(String::from_utf8_lossy(raw).into_owned());
        at = next;
    }
    if flags & FLAG_COMMENT != 0 {
        at = zero_terminated(data, at)?.0;
    }
    if flags & FLAG_HCRC != 0 {
        at = at.checked_add(2)?;
    }
    (at <= data.len()).then_some(MemberHeader { body: at, name })
}

/// The file name stored in the first member's header (`gzip -N`), if any.
pub fn original_name(data: &[u8]) -> Option<String> {
    parse_header(data)?.name.filter(|name| !name.is_empty())
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (cap, hit) = ctx.budget.stream_cap(data.len());
    let mut output: Vec<u8> = Vec::new();
    let mut position = 0usize;
    let mut members = 0usize;
    let mut end = End::Complete;
    loop {
        let member = data.get(position..).unwrap_or(&[]);
        let Some(header) = parse_header(member) else {
            if members == 0 {
                return Err(UnpackError::new("not a gzip header"));
            }
            break;
        };
        let body = member.get(header.body..).unwrap_or(&[]);
        let left = cap.saturating_sub(output.len() as u64);
        let decoded = stream::inflate(body, false, left);
        let member_start = output.len();
        output.extend_from_slice(&decoded.data);
        position += header.body + decoded.consumed;
        members += 1;
        if decoded.end != End::Complete {
            end = decoded.end;
            break;
        }
        // Trailer: CRC-32 and size modulo 2^32 of this member's output.
        let (Some(crc), Some(size)) = (
            stream::le32(data, position),
            stream::le32(data, position + 4),
        ) else {
            ctx.diagnostic("gzip trailer is missing (file cut off after the compressed data)");
            break;
        };
        position += 8;
        let produced = output.get(member_start..).unwrap_or(&[]);
        if crc32fast::hash(produced) != crc || produced.len() as u32 != size {
            ctx.diagnostic(format!(
                "gzip member {members}: CRC or size in the trailer does not match the data"
            ));
        }
        if data.get(position..position + 3) != Some(&[0x1f, 0x8b, 0x08][..]) {
            break;
        }
    }
    stream::finish(
        "gzip",
        Decoded {
            data: output,
            consumed: position.min(data.len()),
            end,
        },
        hit,
        ctx,
    )
}
