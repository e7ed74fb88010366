//! Obfuscated Arcadyan router firmware: identified by the marker bytes 00 D5 08 at offset 0x68
//! of its header, not de-obfuscated (the scrambling is outside the format list); the
//! report says the contents were not checked.

use super::{Format, UnpackContext, UnpackError, Unpacked};
use crate::vfs::Tree;

pub const FORMAT: Format = Format {
    id: "arcadyan",
    description: "obfuscated Arcadyan firmware (identified, not de-obfuscated)",
    magics: &[&[0x00, 0xD5, 0x08]],
    magic_offset: 0x68,
    probe,
    unpack,
};

/// Only trusted at offset 0 of a blob of plausible size: three bytes are a weak signature.
fn probe(data: &[u8]) -> bool {
    data.len() >= 0x1000
}

fn unpack(data: &[u8], ctx: &mut UnpackContext<'_>) -> Result<Unpacked, UnpackError> {
    ctx.diagnostic("obfuscated Arcadyan firmware identified; iotlabel does not de-obfuscate it, so its contents were not checked");
    Ok(Unpacked::Tree {
        tree: Tree::new(),
        consumed: data.len() as u64,
    })
}
