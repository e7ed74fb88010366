//! Signed notes and checkpoints: the published golang.org/x/mod/sumdb/note vectors (Ed25519 is
//! deterministic, so signing must reproduce them byte for byte), round trips, wrong keys,
//! tampering, and each malformed input rejected with its own error.

#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use iotlabel_log::note::{self, MAX_SIGNATURES, key_id};
use iotlabel_log::{
    Checkpoint, CheckpointError, CompactTree, KeyError, NoteError, NoteSigner, NoteVerifier,
    ProofError, SignedNote, consistency_proof, leaf_hash,
};

const PETER_PRIVATE: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VERIFIER: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIGNATURE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIGNATURE: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const ORIGIN: &str = "registry.example/log";

fn registry_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[42; 32])).unwrap()
}

#[test]
fn the_published_keys_parse_and_print_back() {
    let signer = NoteSigner::parse_private_key(PETER_PRIVATE).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.to_private_key_string(), PETER_PRIVATE);
    assert_eq!(signer.verifier().to_string(), PETER_VERIFIER);
    let verifier = NoteVerifier::parse(PETER_VERIFIER).unwrap();
    assert_eq!(verifier, signer.verifier());
    assert_eq!(key_id("PeterNeumann", verifier.public_key()), 0xc74f20a3);
    assert_eq!(
        PETER_VERIFIER.parse::<NoteVerifier>().unwrap().to_string(),
        PETER_VERIFIER
    );
}

#[test]
fn signing_reproduces_the_published_note() {
    let signer = NoteSigner::parse_private_key(PETER_PRIVATE).unwrap();
    let signed = note::sign(TEXT, &[&signer]).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIGNATURE}"));
}

#[test]
fn opening_checks_trusted_signatures_and_ignores_unknown_ones() {
    let peter = NoteVerifier::parse(PETER_VERIFIER).unwrap();
    let enoch = NoteVerifier::parse(ENOCH_VERIFIER).unwrap();
    let both = format!("{TEXT}\n{PETER_SIGNATURE}{ENOCH_SIGNATURE}");

    let opened = note::open(both.as_bytes(), std::slice::from_ref(&peter)).unwrap();
    assert_eq!(opened.text, TEXT);
    assert_eq!(opened.verified_by, vec!["PeterNeumann".to_owned()]);

    let opened = note::open(both.as_bytes(), &[peter.clone(), enoch.clone()]).unwrap();
    assert_eq!(
        opened.verified_by,
        vec!["PeterNeumann".to_owned(), "EnochRoot".to_owned()]
    );

    assert_eq!(
        note::open(both.as_bytes(), &[]),
        Err(NoteError::NoTrustedSignature)
    );

    let parsed = SignedNote::parse(both.as_bytes()).unwrap();
    assert_eq!(parsed.to_string(), both);
    assert_eq!(parsed.signatures().len(), 2);
    assert_eq!(parsed.signatures()[1].key_id, 0xaf0cfe78);
}

#[test]
fn a_signature_by_the_wrong_key_fails() {
    let signed = note::sign(TEXT, &[&registry_signer()]).unwrap();
    // Another key under the same name: a different key id, so the signature is not by a
    // trusted key at all.
    let impostor =
        NoteVerifier::new(ORIGIN, SigningKey::from_bytes(&[43; 32]).verifying_key()).unwrap();
    assert_eq!(
        note::open(signed.as_bytes(), &[impostor]),
        Err(NoteError::NoTrustedSignature)
    );
    // The trusted key's name and id on a signature made by another key: a bad signature.
    let forger = SigningKey::from_bytes(&[43; 32]);
    let trusted = registry_signer().verifier();
    let forged_signature = {
        use ed25519_dalek::Signer as _;
        forger.sign(TEXT.as_bytes()).to_bytes()
    };
    let mut bytes = trusted.key_id().to_be_bytes().to_vec();
    bytes.extend_from_slice(&forged_signature);
    let forged = format!("{TEXT}\n\u{2014} {ORIGIN} {}\n", base64_encode(&bytes));
    assert_eq!(
        note::open(forged.as_bytes(), &[trusted]),
        Err(NoteError::BadSignature {
            key_name: ORIGIN.to_owned(),
            key_id: registry_signer().key_id()
        })
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn changing_any_byte_of_the_text_or_signature_fails() {
    let signer = registry_signer();
    let verifier = signer.verifier();
    let signed = note::sign(TEXT, &[&signer]).unwrap().into_bytes();
    let signature_start = TEXT.len() + 1;
    // Every byte of the signature line's start (dash, name, separators), every fourth byte of
    // the text and of the base64 signature: each verification costs milliseconds in an
    // unoptimised build.
    let base64_start = signature_start + "\u{2014} ".len() + ORIGIN.len() + 1;
    let positions = (0..signature_start)
        .step_by(4)
        .chain(signature_start - 1..base64_start)
        .chain((base64_start..signed.len()).step_by(4));
    for position in positions {
        let mut tampered = signed.clone();
        tampered[position] ^= 0x01;
        let result = note::open(&tampered, std::slice::from_ref(&verifier));
        assert!(
            result.is_err(),
            "changing byte {position} ({} part) still verified",
            if position < signature_start {
                "text"
            } else {
                "signature"
            }
        );
    }
}

#[test]
fn checkpoints_round_trip_through_signed_notes() {
    let signer = registry_signer();
    let mut tree = CompactTree::new();
    for event in [
        "application 1 submitted",
        "application 1 approved",
        "label 1 issued",
    ] {
        tree.append_entry(event.as_bytes()).unwrap();
    }
    let checkpoint = Checkpoint {
        origin: ORIGIN.to_owned(),
        size: tree.size(),
        root_hash: tree.root(),
        extensions: vec!["registry-version 0.1.0".to_owned()],
    };
    let signed = checkpoint.sign(&signer).unwrap();
    assert!(signed.starts_with(&format!("{ORIGIN}\n3\n")));
    assert!(signed.contains("\nregistry-version 0.1.0\n\n\u{2014} registry.example/log "));
    let verifier: NoteVerifier = signer.verifier().to_string().parse().unwrap();
    let opened =
        Checkpoint::open(signed.as_bytes(), ORIGIN, std::slice::from_ref(&verifier)).unwrap();
    assert_eq!(opened, checkpoint);

    assert_eq!(
        Checkpoint::open(
            signed.as_bytes(),
            "other.example/log",
            std::slice::from_ref(&verifier)
        ),
        Err(CheckpointError::OriginMismatch {
            expected: "other.example/log".to_owned(),
            actual: ORIGIN.to_owned()
        })
    );
    let stranger =
        NoteVerifier::new(ORIGIN, SigningKey::from_bytes(&[9; 32]).verifying_key()).unwrap();
    assert_eq!(
        Checkpoint::open(signed.as_bytes(), ORIGIN, &[stranger]),
        Err(CheckpointError::Note(NoteError::NoTrustedSignature))
    );
}

#[test]
fn a_newer_checkpoint_is_checked_against_an_older_one() {
    let leaves: Vec<_> = (0u8..10).map(|i| leaf_hash(&[i])).collect();
    let old_tree = CompactTree::from_leaf_hashes(&leaves[..4]).unwrap();
    let new_tree = CompactTree::from_leaf_hashes(&leaves).unwrap();
    let checkpoint = |tree: &CompactTree| Checkpoint {
        origin: ORIGIN.to_owned(),
        size: tree.size(),
        root_hash: tree.root(),
        extensions: vec![],
    };
    let (old, new) = (checkpoint(&old_tree), checkpoint(&new_tree));
    let proof = consistency_proof(&leaves, 4).unwrap();
    old.verify_extended_by(&new, &proof).unwrap();

    let mut rewritten = leaves.clone();
    rewritten[1] = leaf_hash(b"rewritten history");
    let forked = checkpoint(&CompactTree::from_leaf_hashes(&rewritten).unwrap());
    let forked_proof = consistency_proof(&rewritten, 4).unwrap();
    assert!(matches!(
        old.verify_extended_by(&forked, &forked_proof),
        Err(CheckpointError::Inconsistent(
            ProofError::OldRootMismatch | ProofError::RootMismatch
        ))
    ));
    // Nor can an honest proof be passed off for the forked head.
    assert!(old.verify_extended_by(&forked, &proof).is_err());
}

#[test]
fn checkpoint_texts_are_parsed_strictly() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    let good = format!("example.com/behind-the-sofa\n20852163\n{root}\n");
    let parsed = Checkpoint::parse_note_text(&good).unwrap();
    assert_eq!(parsed.size, 20852163);
    assert_eq!(parsed.to_note_text().unwrap(), good);
    // The example of c2sp.org/tlog-checkpoint parses as a signed note holding that text.
    let example = format!(
        "{good}\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    );
    let example_note = SignedNote::parse(example.as_bytes()).unwrap();
    assert_eq!(example_note.text(), good);
    assert_eq!(
        example_note.signatures()[0].key_name,
        "example.com/behind-the-sofa"
    );
    assert_eq!(example_note.signatures()[0].signature.len(), 64);
    assert_eq!(example_note.to_string(), example);

    let cases: Vec<(String, CheckpointError)> = vec![
        (
            format!("origin\n1\n{root}"),
            CheckpointError::MissingFinalNewline,
        ),
        ("origin\n1\n".to_owned(), CheckpointError::TooFewLines(2)),
        (
            format!("origin\n\n{root}\n"),
            CheckpointError::EmptyLine { line: 2 },
        ),
        (
            format!("origin\n1\n{root}\n\n"),
            CheckpointError::EmptyLine { line: 4 },
        ),
        (
            format!("origin\n01\n{root}\n"),
            CheckpointError::InvalidTreeSize {
                text: "01".to_owned(),
                reason: "leading zeros are not allowed",
            },
        ),
        (
            format!("origin\n+1\n{root}\n"),
            CheckpointError::InvalidTreeSize {
                text: "+1".to_owned(),
                reason: "only the digits 0-9 are allowed",
            },
        ),
        (
            format!("origin\n18446744073709551616\n{root}\n"),
            CheckpointError::InvalidTreeSize {
                text: "18446744073709551616".to_owned(),
                reason: "it does not fit in 64 bits",
            },
        ),
        (
            "origin\n1\nAAAA\n".to_owned(),
            CheckpointError::InvalidRootHash {
                text: "AAAA".to_owned(),
                reason: "a 32-byte hash is 44 base64 characters",
            },
        ),
        (
            "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I*\n".to_owned(),
            CheckpointError::InvalidRootHash {
                text: "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I*".to_owned(),
                reason: "it is not base64 (standard alphabet, with padding)",
            },
        ),
        (
            format!("origin\r\n1\n{root}\n"),
            CheckpointError::ControlCharacter { field: "origin" },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Checkpoint::parse_note_text(&text),
            Err(expected),
            "{text:?}"
        );
    }
    assert_eq!(
        Checkpoint::parse_note_text(&format!("o\n0\n{root}\n"))
            .unwrap()
            .size,
        0
    );

    let empty_origin = Checkpoint {
        origin: String::new(),
        size: 0,
        root_hash: [0; 32],
        extensions: vec![],
    };
    assert_eq!(
        empty_origin.to_note_text(),
        Err(CheckpointError::EmptyLine { line: 1 })
    );
    let newline_extension = Checkpoint {
        origin: "o".to_owned(),
        size: 0,
        root_hash: [0; 32],
        extensions: vec!["a\nb".to_owned()],
    };
    assert_eq!(
        newline_extension.to_note_text(),
        Err(CheckpointError::ControlCharacter {
            field: "extension line"
        })
    );
}

#[test]
fn malformed_notes_are_rejected_with_the_right_error() {
    let sig = PETER_SIGNATURE;
    let mut too_large = TEXT.repeat(3000);
    too_large.push('\n');
    too_large.push_str(sig);
    let cases: Vec<(Vec<u8>, NoteError)> = vec![
        (
            too_large.clone().into_bytes(),
            NoteError::TooLarge {
                size: too_large.len(),
                max: note::MAX_NOTE_BYTES,
            },
        ),
        (
            [b"abc\xff\n\n".as_slice(), sig.as_bytes()].concat(),
            NoteError::InvalidUtf8 { offset: 3 },
        ),
        (
            format!("\u{1}{TEXT}\n{sig}").into_bytes(),
            NoteError::ControlCharacter { offset: 0, byte: 1 },
        ),
        (
            format!("{TEXT}\n{}", sig.trim_end()).into_bytes(),
            NoteError::MissingFinalNewline,
        ),
        (TEXT.as_bytes().to_vec(), NoteError::MissingSeparator),
        (format!("{TEXT}\n").into_bytes(), NoteError::NoSignatures),
        (
            format!("{TEXT}\n{}", sig.repeat(MAX_SIGNATURES + 1)).into_bytes(),
            NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            },
        ),
        (
            format!("{TEXT}\n{sig}Unexpected line.\n").into_bytes(),
            NoteError::SignatureLinePrefix { line: 5 },
        ),
        (
            format!("{TEXT}\n- PeterNeumann AAAAAAAA\n").into_bytes(),
            NoteError::SignatureLinePrefix { line: 4 },
        ),
        (
            format!("{TEXT}\n\u{2014} PeterNeumann\n").into_bytes(),
            NoteError::SignatureLineFields { line: 4 },
        ),
        (
            format!("{TEXT}\n\u{2014} Bad+Name x08go/ZJk\n").into_bytes(),
            NoteError::InvalidKeyName {
                line: 4,
                source: KeyError::InvalidName {
                    name: "Bad+Name".to_owned(),
                    reason: "it contains '+'",
                },
            },
        ),
        (
            format!("{TEXT}\n\u{2014}  x08go/ZJk\n").into_bytes(),
            NoteError::InvalidKeyName {
                line: 4,
                source: KeyError::InvalidName {
                    name: String::new(),
                    reason: "it is empty",
                },
            },
        ),
        (
            format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/Sffc=\n").into_bytes(),
            NoteError::InvalidSignatureBase64 { line: 4 },
        ),
        (
            format!("{TEXT}\n\u{2014} PeterNeumann x08go/ZJk!\n").into_bytes(),
            NoteError::InvalidSignatureBase64 { line: 4 },
        ),
        (
            format!("{TEXT}\n\u{2014} PeterNeumann AAAAAA==\n").into_bytes(),
            NoteError::SignatureTooShort { line: 4, length: 4 },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            SignedNote::parse(&input),
            Err(expected),
            "{:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn signing_refuses_bad_text() {
    let signer = registry_signer();
    assert_eq!(note::sign("", &[&signer]), Err(NoteError::EmptyText));
    assert_eq!(
        note::sign("no newline", &[&signer]),
        Err(NoteError::MissingFinalNewline)
    );
    assert_eq!(
        note::sign("tab\there\n", &[&signer]),
        Err(NoteError::ControlCharacter {
            offset: 3,
            byte: b'\t'
        })
    );
    assert_eq!(note::sign(TEXT, &[]), Err(NoteError::NoSignatures));
}

#[test]
fn malformed_key_strings_are_rejected_with_the_right_error() {
    let cases = [
        (
            "PeterNeumann+c74f20a3",
            KeyError::WrongFieldCount {
                kind: "verifier",
                expected: 3,
                actual: 2,
            },
        ),
        (
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidKeyId("C74F20A3".to_owned()),
        ),
        (
            "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidKeyId("c74f20a".to_owned()),
        ),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            KeyError::InvalidBase64,
        ),
        ("PeterNeumann+c74f20a3+", KeyError::EmptyKey),
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::UnsupportedAlgorithm(0x65),
        ),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::KeyIdMismatch {
                stated: 0xc74f20a4,
                computed: 0xc74f20a3,
            },
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidName {
                name: "Peter Neumann".to_owned(),
                reason: "it contains white space",
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(NoteVerifier::parse(input), Err(expected), "{input}");
    }
    let long_key = format!(
        "PeterNeumann+c74f20a3+{}",
        base64_encode(&[[1u8].as_slice(), &[7u8; 33]].concat())
    );
    assert_eq!(
        NoteVerifier::parse(&long_key),
        Err(KeyError::WrongKeyLength(33))
    );
    assert!(matches!(
        NoteSigner::parse_private_key(PETER_VERIFIER),
        Err(KeyError::MissingPrivateKeyPrefix)
    ));
    assert!(matches!(
        NoteSigner::parse_private_key(&PETER_PRIVATE.replace("c74f20a3", "c74f20a4")),
        Err(KeyError::KeyIdMismatch { .. })
    ));
    // Every truncation and every single-byte change of the published key is refused.
    for end in 0..PETER_VERIFIER.len() {
        if PETER_VERIFIER.is_char_boundary(end) {
            assert!(
                NoteVerifier::parse(&PETER_VERIFIER[..end]).is_err(),
                "prefix {end}"
            );
        }
    }
    let bytes = PETER_VERIFIER.as_bytes();
    for position in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[position] = changed[position].wrapping_add(1);
        if let Ok(text) = std::str::from_utf8(&changed) {
            assert!(
                NoteVerifier::parse(text).is_err(),
                "byte {position} changed: {text}"
            );
        }
    }
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// What the fuzz targets check, on stable: arbitrary bytes never panic the parsers, and
        /// what parses prints back to the same bytes.
        #[test]
        fn parsers_never_panic_and_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(parsed) = SignedNote::parse(&data) {
                prop_assert_eq!(parsed.to_string().into_bytes(), data.clone());
                let _ = parsed.verify(&[registry_signer().verifier()]);
            }
            if let Ok(text) = std::str::from_utf8(&data) {
                if let Ok(checkpoint) = Checkpoint::parse_note_text(text) {
                    prop_assert_eq!(checkpoint.to_note_text().unwrap(), text);
                }
                let _ = NoteVerifier::parse(text);
                let _ = NoteSigner::parse_private_key(text);
            }
        }

        /// Notes built from the grammar's pieces, so the parser's deeper branches are reached.
        #[test]
        fn structured_notes_round_trip(
            lines in proptest::collection::vec("[a-z0-9/.]{0,12}", 1..5),
            names in proptest::collection::vec("[A-Za-z+ ]{0,6}", 1..4),
            signature in proptest::collection::vec(any::<u8>(), 0..70),
        ) {
            let mut note = lines.join("\n");
            note.push_str("\n\n");
            for name in &names {
                note.push_str(&format!("\u{2014} {name} {}\n", base64_encode(&signature)));
            }
            if let Ok(parsed) = SignedNote::parse(note.as_bytes()) {
                prop_assert_eq!(parsed.to_string(), note.clone());
                prop_assert!(signature.len() > 4);
            }
            if let Ok(checkpoint) = Checkpoint::parse_note_text(&format!("{}\n", lines.join("\n"))) {
                prop_assert!(checkpoint.to_note_text().is_ok());
            }
        }
    }
}
