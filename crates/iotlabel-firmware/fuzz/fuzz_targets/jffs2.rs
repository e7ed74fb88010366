//! Fuzz target: unpacking hostile jffs2 images (either byte order) never panics, never loops and never produces more
//! than the budget allows.
#![no_main]

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{UnpackContext, Unpacked, jffs2};
use libfuzzer_sys::fuzz_target;

const MAX_BYTES: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::new(Limits {
        max_total_bytes: MAX_BYTES,
        max_files: 10_000,
        ..Limits::default()
    });
    let mut ctx = UnpackContext::new(&budget);
    let _ = jffs2::probe(data);
    if let Ok(Unpacked::Tree { consumed, .. }) = jffs2::unpack(data, &mut ctx) {
        assert!(consumed <= data.len() as u64);
    }
    assert!(budget.bytes_used() <= MAX_BYTES);
});
