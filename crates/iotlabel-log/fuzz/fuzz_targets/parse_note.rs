//! Fuzz target: the signed-note parser and verifier never panic on arbitrary bytes, and what
//! parses prints back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = iotlabel_log::SignedNote::parse(data) {
        assert_eq!(note.to_string().as_bytes(), data);
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        if let Ok(verifier) =
            iotlabel_log::NoteVerifier::new("fuzz.example/log", key.verifying_key())
        {
            let _ = note.verify(&[verifier]);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = iotlabel_log::NoteVerifier::parse(text);
        let _ = iotlabel_log::NoteSigner::parse_private_key(text);
    }
});
