//! Fuzz target: identifying and unpacking hostile squashfs images (4.0, 3.x, 2.x, either byte
//! order, every compressor) never panics, never loops and never produces more than the budget
//! allows.
#![no_main]

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{UnpackContext, Unpacked, squashfs};
use libfuzzer_sys::fuzz_target;

const MAX_BYTES: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::new(Limits {
        max_total_bytes: MAX_BYTES,
        max_files: 10_000,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    for format in [
        &squashfs::SQUASHFS_V4,
        &squashfs::SQUASHFS_V3,
        &squashfs::SQUASHFS_V2,
    ] {
        let _ = (format.probe)(data);
    }
    let _ = squashfs::superblock_info(data);
    if let Ok(Unpacked::Tree { tree, consumed }) = squashfs::unpack(data, &mut ctx) {
        assert!(consumed <= data.len() as u64);
        assert!(tree.len() as u64 <= 10_000);
        let produced: u64 = tree.files().map(|(_, file)| file.data.len() as u64).sum();
        assert!(produced <= MAX_BYTES);
    }
});
