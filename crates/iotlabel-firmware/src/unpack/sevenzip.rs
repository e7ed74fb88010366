//! 7-Zip archives: identified (signature header checked, archive length computed so trailing
//! data is handed back) but not unpacked. 7z is outside the format list and rare in
//! firmware; the report says so instead of silently skipping the data.

use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::Tree;

const MAGIC: &[u8] = b"7z\xBC\xAF\x27\x1C";
/// Signature header: magic, version, start-header CRC, next-header offset/size/CRC.
const SIGNATURE_HEADER: u64 = 32;

pub const FORMAT: Format = Format {
    id: "7z",
    description: "7-Zip archive (identified, not unpacked)",
    magics: &[MAGIC],
    magic_offset: 0,
    probe,
    unpack,
};

/// The archive's length: the signature header plus the next-header offset and size.
fn archive_length(data: &[u8]) -> Option<u64> {
    let field = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
    };
    let next_offset = field(12)?;
    let next_size = field(20)?;
    let expected_crc = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
    if crc32fast::hash(data.get(12..32)?) != expected_crc {
        return None;
    }
    SIGNATURE_HEADER
        .checked_add(next_offset)?
        .checked_add(next_size)
}

fn probe(data: &[u8]) -> bool {
    data.get(6) == Some(&0) && archive_length(data).is_some()
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let length =
        archive_length(data).ok_or_else(|| UnpackError::new("7-Zip start header is damaged"))?;
    ctx.diagnostic("7-Zip archive identified; iotlabel does not unpack 7z (outside its format list), so its contents were not checked");
    Ok(Unpacked::Tree {
        tree: Tree::new(),
        consumed: length.min(data.len() as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Budget, Limits};

    #[test]
    fn identifies_and_measures_an_archive() {
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(&[0, 4]);
        let mut start = Vec::new();
        start.extend_from_slice(&5u64.to_le_bytes());
        start.extend_from_slice(&3u64.to_le_bytes());
        start.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&crc32fast::hash(&start).to_le_bytes());
        data.extend_from_slice(&start);
        data.extend_from_slice(&[0; 8]);
        data.extend_from_slice(b"trailing");
        assert!(probe(&data));
        let budget = Budget::new(Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        let Ok(Unpacked::Tree { consumed, .. }) = unpack(&data, &mut ctx) else {
            panic!("not unpacked")
        };
        assert_eq!(consumed, 40);
        assert!(ctx.diagnostics[0].contains("not unpack"));
        data[9] ^= 1;
        assert!(!probe(&data), "a damaged start header is not a 7z archive");
    }
}
