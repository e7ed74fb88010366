//! Fuzz target: the recursive extraction driver (identification, carving, every registered
//! unpacker) on arbitrary bytes, under small limits.
#![no_main]

use iotlabel_firmware::extract::{ExtractOptions, extract};
use iotlabel_firmware::limits::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ExtractOptions {
        limits: Limits {
            max_total_bytes: 16 << 20,
            max_files: 10_000,
            max_depth: 4,
            max_ratio: 1_000,
        },
        carve: true,
    };
    let extraction = extract("fuzz.bin", data, &options, &mut |_| {});
    assert!(extraction.bytes_unpacked <= 16 << 20);
});
