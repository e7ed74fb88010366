//! Fuzz target: the checkpoint text parser never panics, and what parses prints back to the
//! same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(checkpoint) = iotlabel_log::Checkpoint::parse_note_text(text) {
            assert_eq!(checkpoint.to_note_text().ok().as_deref(), Some(text));
        }
    }
});
