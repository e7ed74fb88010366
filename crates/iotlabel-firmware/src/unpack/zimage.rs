//! ARM Linux zImage: identified by its magic (0x016F2818 at offset 0x24, either byte order)
//! and handed on whole: the compressed kernel inside is found by carving, since each kernel
//! build places its decompressor and payload differently.

use super::{Format, UnpackContext, UnpackError, Unpacked};

pub const FORMAT: Format = Format {
    id: "zimage",
    description: "ARM Linux zImage (the compressed kernel inside is carved)",
    magics: &[&[0x18, 0x28, 0x6F, 0x01], &[0x01, 0x6F, 0x28, 0x18]],
    magic_offset: 0x24,
    probe,
    unpack,
};

/// Start and end addresses follow the magic; the end must lie past the start and inside a
/// plausible kernel size.
fn bounds(data: &[u8]) -> Option<(u32, u32)> {
    let word = |at: usize| -> Option<[u8; 4]> { data.get(at..at + 4)?.try_into().ok() };
    let little = word(0x24)? == [0x18, 0x28, 0x6F, 0x01];
    let read = |bytes: [u8; 4]| {
        if little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    let start = read(word(0x28)?);
    let end = read(word(0x2C)?);
    (end > start && end - start <= 64 << 20).then_some((start, end))
}

fn probe(data: &[u8]) -> bool {
    bounds(data).is_some()
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    let (start, end) = bounds(data).ok_or_else(|| UnpackError::new("zImage header is damaged"))?;
    let length = u64::from(end - start).min(data.len() as u64);
    ctx.diagnostic(format!(
        "ARM zImage identified ({length} bytes); its compressed kernel is left to carving"
    ));
    // Hand the image on as a stream of itself minus nothing would loop; instead give the bytes
    // after the header so the driver's carving finds the payload.
    let payload = data.get(0x30..length as usize).unwrap_or_default().to_vec();
    if let Err(hit) = ctx.budget.charge_bytes(payload.len() as u64) {
        ctx.limit_hit(hit);
        return Err(UnpackError::new("no budget left for the zImage payload"));
    }
    Ok(Unpacked::Stream {
        data: payload,
        consumed: length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_both_byte_orders() {
        let mut data = vec![0u8; 0x40];
        data[0x24..0x28].copy_from_slice(&[0x01, 0x6F, 0x28, 0x18]);
        data[0x28..0x2C].copy_from_slice(&0u32.to_be_bytes());
        data[0x2C..0x30].copy_from_slice(&0x40u32.to_be_bytes());
        assert!(probe(&data));
        data[0x24..0x28].copy_from_slice(&[0x18, 0x28, 0x6F, 0x01]);
        assert!(
            !probe(&data),
            "little-endian magic with big-endian addresses is inconsistent"
        );
        data[0x28..0x2C].copy_from_slice(&0u32.to_le_bytes());
        data[0x2C..0x30].copy_from_slice(&0x40u32.to_le_bytes());
        assert!(probe(&data));
    }
}
