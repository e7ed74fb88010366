//! UBI (Unsorted Block Images) raw flash images: reads the erase-counter and volume-identifier
//! headers of every physical erase block, maps logical erase blocks to physical ones (highest
//! sequence number wins), reads the volume table and writes each volume out as one file.
//!
//! Our own reader: no maintained crate reads UBI images, so this follows the on-flash layout
//! of the Linux kernel's `include/uapi/mtd/ubi-media.h` (format facts only). Volumes become
//! files named as the reference extractor (`ubireader`, used by unblob) names them,
//! `img-<image sequence>_vol-<volume name>.ubifs`; the UBIFS inside a volume is left to the
//! recursive driver, which identifies it and calls [`crate::unpack::ubifs`] on the file (so a
//! volume holding something else, such as a squashfs, is unpacked by its own format).

use std::collections::{BTreeMap, HashMap};

use crate::limits::LimitHit;
use crate::unpack::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::{FileEntry, Tree};

/// The UBI format: an erase-counter header (`UBI#`) with a valid CRC at offset 0.
pub const FORMAT: Format = Format {
    id: "ubi",
    description: "UBI flash image (volumes as files)",
    magics: &[b"UBI#"],
    magic_offset: 0,
    probe,
    unpack,
};

const EC_MAGIC: &[u8; 4] = b"UBI#";
const VID_MAGIC: &[u8; 4] = b"UBI!";
const HEADER_LEN: usize = 64;
const HEADER_CRC_AT: usize = 60;
/// Volume ids from here up are UBI's own (layout volume, fastmap).
const INTERNAL_VOLUME_START: u32 = 0x7FFF_EFFF;
const LAYOUT_VOLUME_ID: u32 = 0x7FFF_EFFF;
const VOLUME_DYNAMIC: u8 = 1;
const VOLUME_STATIC: u8 = 2;
const VTBL_RECORD_LEN: usize = 172;
const VTBL_MAX_RECORDS: usize = 128;
const VOLUME_NAME_MAX: usize = 127;
/// Physical erase blocks are a multiple of this (the smallest NOR/NAND sub-page UBI supports).
const PEB_ALIGN: usize = 512;
/// How many erase-counter headers are looked at to find the erase-block size.
const PEB_SIZE_SAMPLES: usize = 64;

/// The CRC UBI uses: `crc32(0xFFFFFFFF, ...)` without final inversion.
pub fn ubi_crc(data: &[u8]) -> u32 {
    !crc32fast::hash(data)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        data.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// A 64-byte header with `magic` and a valid CRC at `at`.
fn checked_header<'a>(data: &'a [u8], at: usize, magic: &[u8; 4]) -> Option<&'a [u8]> {
    let header = data.get(at..at.checked_add(HEADER_LEN)?)?;
    if header.get(..4)? != magic {
        return None;
    }
    let crc = be32(header, HEADER_CRC_AT)?;
    (ubi_crc(header.get(..HEADER_CRC_AT)?) == crc).then_some(header)
}

/// An erase-counter header.
#[derive(Debug, Clone, Copy)]
struct EcHeader {
    vid_header_offset: usize,
    data_offset: usize,
    image_seq: u32,
}

fn ec_header(data: &[u8], at: usize) -> Option<EcHeader> {
    let header = checked_header(data, at, EC_MAGIC)?;
    let version = *header.get(4)?;
    let vid_header_offset = be32(header, 16)? as usize;
    let data_offset = be32(header, 20)? as usize;
    let image_seq = be32(header, 24)?;
    if version != 1
        || vid_header_offset < HEADER_LEN
        || data_offset < vid_header_offset.checked_add(HEADER_LEN)?
    {
        return None;
    }
    Some(EcHeader {
        vid_header_offset,
        data_offset,
        image_seq,
    })
}

/// Whether `data` starts with a valid UBI erase-counter header.
pub fn probe(data: &[u8]) -> bool {
    ec_header(data, 0).is_some()
}

/// A volume-identifier header: which logical block of which volume a physical block holds.
#[derive(Debug, Clone, Copy)]
struct VidHeader {
    vol_type: u8,
    /// Set when the block was copied (wear levelling); `data_crc` then covers its data.
    copy_flag: u8,
    data_crc: u32,
    vol_id: u32,
    lnum: u32,
    data_size: u32,
    used_ebs: u32,
    data_pad: u32,
    sqnum: u64,
    /// Start of this physical block in the image.
    peb_start: usize,
    data_offset: usize,
}

fn vid_header(data: &[u8], at: usize) -> Option<VidHeader> {
    let header = checked_header(data, at, VID_MAGIC)?;
    Some(VidHeader {
        vol_type: *header.get(5)?,
        copy_flag: *header.get(6)?,
        data_crc: be32(header, 32)?,
        vol_id: be32(header, 8)?,
        lnum: be32(header, 12)?,
        data_size: be32(header, 20)?,
        used_ebs: be32(header, 24)?,
        data_pad: be32(header, 28)?,
        sqnum: be64(header, 40)?,
        peb_start: 0,
        data_offset: 0,
    })
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The physical erase-block size: the greatest common divisor of the offsets of the first
/// erase-counter headers of the same image (robust against a damaged header in between).
fn peb_size(data: &[u8], first: &EcHeader) -> usize {
    let mut size = 0usize;
    let mut samples = 0;
    let mut at = PEB_ALIGN;
    while at < data.len() && samples < PEB_SIZE_SAMPLES {
        if let Some(header) = ec_header(data, at)
            && header.image_seq == first.image_seq
        {
            size = gcd(size, at);
            samples += 1;
        }
        at += PEB_ALIGN;
    }
    if size == 0 { data.len() } else { size }
}

/// One entry of the volume table.
#[derive(Debug, Clone)]
struct VolumeRecord {
    reserved_pebs: u32,
    data_pad: u32,
    vol_type: u8,
    name: String,
}

fn volume_table(leb: &[u8]) -> Option<BTreeMap<u32, VolumeRecord>> {
    let mut records = BTreeMap::new();
    let mut valid = 0;
    for index in 0..VTBL_MAX_RECORDS.min(leb.len() / VTBL_RECORD_LEN) {
        let start = index * VTBL_RECORD_LEN;
        let record = leb.get(start..start + VTBL_RECORD_LEN)?;
        let crc = be32(record, 168)?;
        // As the kernel does, one bad record makes the whole copy bad (the other copy, or
        // none, is used instead).
        if ubi_crc(record.get(..168)?) != crc {
            return None;
        }
        valid += 1;
        let reserved_pebs = be32(record, 0)?;
        if reserved_pebs == 0 {
            continue;
        }
        let name_len = usize::from(u16::from_be_bytes([*record.get(14)?, *record.get(15)?]))
            .min(VOLUME_NAME_MAX);
        let name = String::from_utf8_lossy(record.get(16..16 + name_len)?).into_owned();
        records.insert(
            index as u32,
            VolumeRecord {
                reserved_pebs,
                data_pad: be32(record, 8)?,
                vol_type: *record.get(12)?,
                name,
            },
        );
    }
    (valid > 0).then_some(records)
}

/// Unpacks a UBI image: one file per volume.
pub fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let first =
        ec_header(data, 0).ok_or_else(|| UnpackError::new("no valid UBI erase-counter header"))?;
    let peb = peb_size(data, &first);
    if peb <= first.data_offset {
        return Err(UnpackError::new(format!(
            "UBI erase block size {peb} leaves no room for data after offset {}",
            first.data_offset
        )));
    }
    let leb_size = peb - first.data_offset;

    let mut blocks: HashMap<(u32, u32), VidHeader> = HashMap::new();
    let mut bad_ec = 0u64;
    let mut bad_vid = 0u64;
    let mut empty = 0u64;
    let mut bad_data = 0u64;
    let mut consumed = 0usize;
    let mut pebs = 0u64;
    let mut start = 0usize;
    while start.saturating_add(peb) <= data.len() {
        let Some(ec) = ec_header(data, start) else {
            bad_ec += 1;
            start += peb;
            continue;
        };
        if ec.image_seq != first.image_seq {
            // The next image starts here; hand it back.
            break;
        }
        pebs += 1;
        consumed = start + peb;
        let vid_at = start + ec.vid_header_offset;
        let Some(mut vid) = vid_header(data, vid_at) else {
            if data
                .get(vid_at..vid_at + HEADER_LEN)
                .is_some_and(|bytes| bytes.iter().all(|&b| b == 0xFF))
            {
                empty += 1;
            } else {
                bad_vid += 1;
            }
            start += peb;
            continue;
        };
        if ec.data_offset >= peb {
            bad_vid += 1;
            start += peb;
            continue;
        }
        vid.peb_start = start;
        vid.data_offset = ec.data_offset;
        // Static volumes and copied blocks carry a CRC of their data. A copy whose data is
        // damaged (an interrupted wear-levelling move) loses to the original.
        if vid.copy_flag != 0 || vid.vol_type == VOLUME_STATIC {
            let data_start = start + ec.data_offset;
            let crc_ok = data
                .get(data_start..data_start.saturating_add(vid.data_size as usize))
                .filter(|_| data_start + (vid.data_size as usize) <= start + peb)
                .is_some_and(|bytes| ubi_crc(bytes) == vid.data_crc);
            if !crc_ok {
                bad_data += 1;
                if vid.copy_flag != 0 {
                    start += peb;
                    continue;
                }
            }
        }
        let key = (vid.vol_id, vid.lnum);
        match blocks.get(&key) {
            Some(existing) if existing.sqnum >= vid.sqnum => {}
            _ => {
                blocks.insert(key, vid);
            }
        }
        start += peb;
    }
    if bad_ec > 0 {
        ctx.diagnostic(format!(
            "ubi: {bad_ec} erase blocks with a bad erase-counter header skipped"
        ));
    }
    if bad_vid > 0 {
        ctx.diagnostic(format!(
            "ubi: {bad_vid} erase blocks with a bad volume header skipped"
        ));
    }
    if bad_data > 0 {
        ctx.diagnostic(format!(
            "ubi: {bad_data} erase blocks whose data fails its CRC"
        ));
    }
    if pebs == 0 {
        return Err(UnpackError::new("no UBI erase block"));
    }

    let leb_data = |vid: &VidHeader, length: usize| -> Option<&[u8]> {
        let begin = vid.peb_start.checked_add(vid.data_offset)?;
        let end = begin
            .checked_add(length)?
            .min(vid.peb_start.checked_add(peb)?);
        data.get(begin..end)
    };

    // The volume table: layout volume, block 0, or its copy in block 1.
    let table = [0u32, 1]
        .iter()
        .filter_map(|lnum| blocks.get(&(LAYOUT_VOLUME_ID, *lnum)))
        .filter_map(|vid| leb_data(vid, leb_size))
        .find_map(volume_table);
    let volumes: BTreeMap<u32, VolumeRecord> = match table {
        Some(records) => records,
        None => {
            ctx.diagnostic("ubi: no readable volume table; volumes named by id");
            let mut ids: Vec<u32> = blocks
                .keys()
                .map(|(vol_id, _)| *vol_id)
                .filter(|id| *id < INTERNAL_VOLUME_START)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.into_iter()
                .filter_map(|id| {
                    let any = blocks.values().find(|vid| vid.vol_id == id)?;
                    Some((
                        id,
                        VolumeRecord {
                            reserved_pebs: u32::MAX,
                            data_pad: any.data_pad,
                            vol_type: any.vol_type,
                            name: format!("volume_{id}"),
                        },
                    ))
                })
                .collect()
        }
    };

    let mut tree = Tree::new();
    for (vol_id, record) in &volumes {
        let usable = leb_size.saturating_sub(record.data_pad as usize);
        if usable == 0 {
            ctx.diagnostic(format!("ubi: volume {} has no usable space", record.name));
            continue;
        }
        let mut lebs: Vec<&VidHeader> = blocks
            .values()
            .filter(|vid| vid.vol_id == *vol_id)
            .collect();
        lebs.sort_by_key(|vid| vid.lnum);
        let Some(last) = lebs.last() else {
            ctx.diagnostic(format!("ubi: volume {} has no data", record.name));
            continue;
        };
        let is_static = record.vol_type == VOLUME_STATIC
            || (record.vol_type != VOLUME_DYNAMIC && last.vol_type == VOLUME_STATIC);
        // How many logical blocks the volume spans: a static volume says so in every header,
        // a dynamic one ends with its last mapped block.
        let mut count = if is_static {
            last.used_ebs as usize
        } else {
            last.lnum as usize + 1
        };
        // No volume spans more blocks than the image has (hostile headers claim billions).
        let limit = (record.reserved_pebs as usize).min(pebs as usize);
        if count > limit {
            ctx.diagnostic(format!(
                "ubi: volume {} claims {count} blocks, more than the {limit} it can have",
                record.name
            ));
            count = limit;
        }
        let by_lnum: HashMap<u32, &VidHeader> = lebs.iter().map(|vid| (vid.lnum, *vid)).collect();
        let mut contents: Vec<u8> = Vec::new();
        let mut missing = 0u64;
        let mut truncated = false;
        for lnum in 0..count {
            let length = match by_lnum.get(&(lnum as u32)) {
                Some(vid) if is_static => (vid.data_size as usize).min(usable),
                _ => usable,
            };
            if (contents.len() + length) as u64 > ctx.budget.bytes_left() {
                truncated = true;
                break;
            }
            match by_lnum
                .get(&(lnum as u32))
                .and_then(|vid| leb_data(vid, length))
            {
                Some(bytes) => {
                    contents.extend_from_slice(bytes);
                    // A block cut by the end of the image reads as erased flash.
                    contents.resize(contents.len() + (length - bytes.len()), 0xFF);
                }
                None => {
                    missing += 1;
                    contents.resize(contents.len() + length, 0xFF);
                }
            }
        }
        if truncated {
            ctx.limit_hit(LimitHit::TotalBytes(ctx.budget.limits().max_total_bytes));
        }
        if missing > 0 && is_static {
            ctx.diagnostic(format!(
                "ubi: static volume {} lacks {missing} of its {count} blocks (filled with 0xFF)",
                record.name
            ));
        }
        let name = format!(
            "img-{}_vol-{}.ubifs",
            first.image_seq,
            record.name.replace(['/', '\\', '\0'], "_")
        );
        ctx.add_file(&mut tree, &name, FileEntry::new(contents));
    }
    if empty > 0 && volumes.is_empty() {
        ctx.diagnostic(format!(
            "ubi: image holds {empty} empty erase blocks and no volume"
        ));
    }
    Ok(Unpacked::Tree {
        tree,
        consumed: consumed as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_seeded_with_all_ones() {
        // crc32(0xFFFFFFFF, "123456789") without final inversion.
        assert_eq!(ubi_crc(b"123456789"), 0x340B_C6D9);
    }

    #[test]
    fn rejects_junk() {
        assert!(!probe(b"UBI#"));
        assert!(!probe(&[0u8; 64]));
        let budget = crate::limits::Budget::new(crate::limits::Limits::default());
        let mut ctx = UnpackContext::new(&budget);
        assert!(unpack(b"UBI#\x01", &mut ctx).is_err());
    }
}
