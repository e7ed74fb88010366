//! Fuzz target: the zip unpacker (FORMAT) on arbitrary bytes, under small limits.
#![no_main]

use iotlabel_firmware::limits::{Budget, Limits};
use iotlabel_firmware::unpack::{UnpackContext, zip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let budget = Budget::new(Limits {
        max_total_bytes: 16 << 20,
        max_files: 10_000,
        max_depth: 4,
        max_ratio: 1_000,
    });
    let mut ctx = UnpackContext::new(&budget);
    let format = &zip::FORMAT;
    if (format.probe)(data) {
        let _ = (format.unpack)(data, &mut ctx);
    }
    // The unpacker must cope without the probe too.
    let _ = (format.unpack)(data, &mut ctx);
    assert!(budget.bytes_used() <= 16 << 20);
});
