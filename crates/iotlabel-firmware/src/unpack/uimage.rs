//! Legacy U-Boot images (uImage, magic 0x27051956): the 64-byte header is decoded and checked,
//! and the payload (or each part of a multi-file image) is decompressed by the compression
//! type the header names, or handed on as stored when it cannot be.

use super::stream::{be32, clip};
use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Tree};

pub static FORMAT: Format = Format {
    id: "uimage",
    description: "U-Boot legacy image (uImage)",
    magics: &[&[0x27, 0x05, 0x19, 0x56]],
    magic_offset: 0,
    probe,
    unpack,
};

pub const HEADER_SIZE: usize = 64;
const TYPE_MULTI: u8 = 4;

/// The fields of a uImage header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub header_crc: u32,
    pub timestamp: u32,
    pub data_size: u32,
    pub load_address: u32,
    pub entry_point: u32,
    pub data_crc: u32,
    pub os: u8,
    pub architecture: u8,
    pub image_type: u8,
    pub compression: u8,
    pub name: String,
}

impl Header {
    /// Decodes the header at the start of `data` (magic checked, CRC not).
    pub fn parse(data: &[u8]) -> Option<Header> {
        if be32(data, 0)? != 0x2705_1956 {
            return None;
        }
        let name_bytes = data.get(32..HEADER_SIZE)?;
        let name_length = name_bytes
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(name_bytes.len());
        Some(Header {
            header_crc: be32(data, 4)?,
            timestamp: be32(data, 8)?,
            data_size: be32(data, 12)?,
            load_address: be32(data, 16)?,
            entry_point: be32(data, 20)?,
            data_crc: be32(data, 24)?,
            os: *data.get(28)?,
            architecture: *data.get(29)?,
            image_type: *data.get(30)?,
            compression: *data.get(31)?,
            name: String::from_utf8_lossy(name_bytes.get(..name_length)?).into_owned(),
        })
    }

    /// The compression named by the header, as a format id of this crate.
    pub fn compression_name(&self) -> &'static str {
        match self.compression {
            0 => "none",
            1 => "gzip",
            2 => "bzip2",
            3 => "lzma",
            4 => "lzo",
            5 => "lz4",
            6 => "zstd",
            _ => "unknown",
        }
    }
}

/// The header CRC (computed with the CRC field zeroed) must match.
pub fn header_crc_matches(data: &[u8]) -> bool {
    let (Some(header), Some(stored)) = (data.get(..HEADER_SIZE), be32(data, 4)) else {
        return false;
    };
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header.get(..4).unwrap_or(&[]));
    hasher.update(&[0; 4]);
    hasher.update(header.get(8..).unwrap_or(&[]));
    hasher.finalize() == stored
}

fn probe(data: &[u8]) -> bool {
    header_crc_matches(data)
}

/// A file name for the payload: the image name with separators replaced, or `payload`.
fn payload_name(header: &Header) -> String {
    let cleaned: String = header
        .name
        .trim()
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "payload".into()
    } else {
        cleaned
    }
}

/// Decompresses `payload` with the header's compression, or returns it as stored.
fn decompress(payload: &[u8], header: &Header, ctx: &mut UnpackContext<'_>) -> Vec<u8> {
    let format = match header.compression {
        1 => &super::gzip::FORMAT,
        2 => &super::bzip2::FORMAT,
        3 => &super::lzma::FORMAT,
        5 => &super::lz4::FORMAT,
        6 => &super::zstd::FORMAT,
        0 => return payload.to_vec(),
        _ => {
            ctx.diagnostic(format!(
                "uimage: compression {} ({}) is not supported; payload kept as stored",
                header.compression,
                header.compression_name()
            ));
            return payload.to_vec();
        }
    };
    match (format.unpack)(payload, ctx) {
        Ok(Unpacked::Stream { data, .. }) => data,
        Ok(Unpacked::Tree { .. }) => payload.to_vec(),
        Err(error) => {
            ctx.diagnostic(format!(
                "uimage: payload does not decompress as {}: {error}; kept as stored",
                format.id
            ));
            payload.to_vec()
        }
    }
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let header = Header::parse(data).ok_or_else(|| UnpackError::new("uimage: header cut off"))?;
    if !header_crc_matches(data) {
        ctx.diagnostic("uimage: header CRC does not match");
    }
    let size = header.data_size as usize;
    let payload = clip(data, HEADER_SIZE, size);
    if payload.len() < size {
        ctx.diagnostic(format!(
            "uimage: payload is cut off ({} of {size} bytes present)",
            payload.len()
        ));
    } else if crc32fast::hash(payload) != header.data_crc {
        ctx.diagnostic("uimage: payload CRC does not match");
    }
    let mut tree = Tree::new();
    if header.image_type == TYPE_MULTI {
        // A list of big-endian sizes ended by zero, then each part padded to 4 bytes.
        let mut sizes = Vec::new();
        let mut at = 0usize;
        while let Some(part) = be32(payload, at) {
            at += 4;
            if part == 0 {
                break;
            }
            sizes.push(part as usize);
            if sizes.len() > 256 {
                ctx.diagnostic("uimage: more than 256 parts listed; the rest is ignored");
                break;
            }
        }
        for (index, part_size) in sizes.into_iter().enumerate() {
            let part = clip(payload, at, part_size);
            let contents = decompress(part, &header, ctx);
            ctx.add_file(&mut tree, &format!("part{index}"), FileEntry::new(contents));
            at = at.saturating_add(part_size).saturating_add(3) / 4 * 4;
        }
    } else {
        let contents = decompress(payload, &header, ctx);
        ctx.add_file(&mut tree, &payload_name(&header), FileEntry::new(contents));
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: (HEADER_SIZE + payload.len()) as u64,
    })
}
