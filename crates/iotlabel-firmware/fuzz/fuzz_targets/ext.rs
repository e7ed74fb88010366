//! Fuzz target: probing and unpacking hostile ext2/ext3/ext4 images never panics, never loops, never
//! claims more input than it was given and never produces more than the budget allows.
#![no_main]

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{UnpackContext, Unpacked, ext};
use libfuzzer_sys::fuzz_target;

const MAX_BYTES: u64 = 16 << 20;
const MAX_FILES: u64 = 10_000;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::new(Limits {
        max_total_bytes: MAX_BYTES,
        max_files: MAX_FILES,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let _ = (ext::FORMAT.probe)(data);
    if let Ok(Unpacked::Tree { tree, consumed }) = (ext::FORMAT.unpack)(data, &mut ctx) {
        assert!(consumed <= data.len() as u64);
        assert!(tree.len() as u64 <= MAX_FILES);
        let produced: u64 = tree.files().map(|(_, file)| file.data.len() as u64).sum();
        assert!(produced <= MAX_BYTES);
    }
    assert!(budget.bytes_used() <= MAX_BYTES);
});
