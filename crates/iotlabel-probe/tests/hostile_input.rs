//! Hostile input never panics: every parser that reads what a device sends gets arbitrary
//! bytes, and truncations of well-formed messages.

#![allow(clippy::unwrap_used)]

use iotlabel_probe::protocols::{ftp, http, mqtt, snmp, telnet, tls};
use iotlabel_probe::security_txt;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_survive_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = http::parse_response(&bytes);
        let _ = tls::parse_server_flight(&bytes);
        let _ = snmp::parse_response(&bytes);
        let _ = telnet::negotiate(&bytes);
        let _ = ftp::reply_code(&bytes);
        let _ = mqtt::connack_code(&bytes);
        let _ = tls::check_certificate(&bytes, "127.0.0.1", 0);
        let _ = security_txt::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn tls_flights_with_hostile_lengths(prefix in proptest::collection::vec(any::<u8>(), 0..64), length in any::<u16>()) {
        let mut flight = vec![0x16, 3, 3];
        flight.extend_from_slice(&length.to_be_bytes());
        flight.extend_from_slice(&[2, 0xff, 0xff, 0xff]);
        flight.extend_from_slice(&prefix);
        let _ = tls::parse_server_flight(&flight);
        let mut certificate = vec![0x16, 3, 3, 0, 10, 11, 0, 0, 6, 0xff, 0xff, 0xff];
        certificate.extend_from_slice(&prefix);
        let _ = tls::parse_server_flight(&certificate);
    }

    #[test]
    fn http_challenges_survive_arbitrary_headers(value in ".{0,200}") {
        let raw = format!("HTTP/1.1 401 X\r\nWWW-Authenticate: {value}\r\nWWW-Authenticate: Digest {value}\r\n\r\n");
        if let Ok(response) = http::parse_response(raw.as_bytes()) {
            let challenges = http::parse_challenges(&response);
            for challenge in &challenges.digest {
                let _ = http::digest_authorization(challenge, "GET", "/", "u", "p");
            }
        }
    }
}

#[test]
fn truncated_snmp_and_tls_messages_are_rejected_not_panicking() {
    let request = snmp::get_sys_descr(1, "public", 77);
    for end in 0..request.len() {
        assert!(snmp::parse_response(&request[..end]).is_none());
    }
    let hello = tls::client_hello(tls::TLS1_2, Some("camera.example"));
    for end in 0..hello.len() {
        let _ = tls::parse_server_flight(&hello[..end]);
    }
}
