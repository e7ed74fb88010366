//! SNMP v1/v2c community checks: hand-encoded BER GetRequests for sysDescr.0 (a whole SNMP
//! library for one request is not worth it) sent in small bursts on one socket; an answer with
//! a sysDescr is the proof. A random community goes first as the negative control.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::net::random_token;

/// sysDescr.0 = 1.3.6.1.2.1.1.1.0
const SYS_DESCR_OID: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

fn push_length(out: &mut Vec<u8>, length: usize) {
    if length < 0x80 {
        out.push(length as u8);
    } else if length <= 0xff {
        out.extend_from_slice(&[0x81, length as u8]);
    } else {
        let length = length.min(0xffff) as u16;
        out.push(0x82);
        out.extend_from_slice(&length.to_be_bytes());
    }
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_length(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

fn integer(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = bytes.iter().position(|byte| *byte != 0).unwrap_or(3);
    // Keep the value positive: a leading byte with the top bit set needs a zero before it.
    let mut body = Vec::new();
    if bytes.get(start).is_some_and(|byte| byte & 0x80 != 0) {
        body.push(0);
    }
    start = start.min(3);
    body.extend_from_slice(bytes.get(start..).unwrap_or_default());
    tlv(0x02, &body)
}

/// A GetRequest for sysDescr.0. `version` 0 is v1, 1 is v2c.
pub fn get_sys_descr(version: u32, community: &str, request_id: u32) -> Vec<u8> {
    let varbind = tlv(0x30, &[tlv(0x06, SYS_DESCR_OID), vec![0x05, 0x00]].concat());
    let varbinds = tlv(0x30, &varbind);
    let pdu = tlv(
        0xa0,
        &[integer(request_id), integer(0), integer(0), varbinds].concat(),
    );
    tlv(
        0x30,
        &[integer(version), tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// Reads one TLV: (tag, value, rest). Lengths are capped by the input.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let mut length = 0usize;
        for index in 0..count {
            length = (length << 8) | usize::from(*input.get(2 + index)?);
        }
        (length, 2 + count)
    };
    let value = input.get(header..header.checked_add(length)?)?;
    let rest = input.get(header + length..)?;
    Some((tag, value, rest))
}

fn read_integer(value: &[u8]) -> Option<u32> {
    if value.is_empty() || value.len() > 5 {
        return None;
    }
    Some(
        value
            .iter()
            .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte)),
    )
}

/// A GetResponse: (request id, error status, sysDescr text if present).
pub fn parse_response(packet: &[u8]) -> Option<(u32, u32, Option<String>)> {
    let (tag, message, _) = read_tlv(packet)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, rest) = read_tlv(message)?;
    let (_, _community, rest) = read_tlv(rest)?;
    let (pdu_tag, pdu, _) = read_tlv(rest)?;
    if pdu_tag != 0xa2 {
        return None;
    }
    let (_, request_id, rest) = read_tlv(pdu)?;
    let (_, error_status, rest) = read_tlv(rest)?;
    let (_, _error_index, rest) = read_tlv(rest)?;
    let (_, varbinds, _) = read_tlv(rest)?;
    let sys_descr = read_tlv(varbinds)
        .and_then(|(_, varbind, _)| read_tlv(varbind))
        .and_then(|(_, oid, rest)| {
            let (tag, value, _) = read_tlv(rest)?;
            (oid == SYS_DESCR_OID && tag == 0x04)
                .then(|| String::from_utf8_lossy(value).chars().take(300).collect())
        });
    Some((
        read_integer(request_id)?,
        read_integer(error_status)?,
        sys_descr,
    ))
}

/// A community that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityHit {
    pub community: String,
    pub list: String,
    pub version: &'static str,
    pub sys_descr: String,
}

/// The result of the community check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnmpRun {
    NothingListening,
    ControlAnswered {
        community: String,
        sys_descr: String,
    },
    Tried {
        control: String,
        tried: usize,
        found: Vec<CommunityHit>,
        /// No answer to anything (an agent dropping wrong communities, or a filter).
        silent: bool,
        errors: Vec<String>,
    },
    Error(String),
}

/// Sends the requests and collects answers until `wait` after the last one.
fn burst(
    addr: SocketAddr,
    requests: &[(u32, Vec<u8>)],
    wait: Duration,
) -> Result<HashMap<u32, Option<String>>, ErrorKind> {
    let bind: SocketAddr = if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind).map_err(|error| error.kind())?;
    socket.connect(addr).map_err(|error| error.kind())?;
    let mut answers = HashMap::new();
    let mut buffer = vec![0u8; 65_536];
    let mut receive = |socket: &UdpSocket,
                       until: Instant,
                       answers: &mut HashMap<u32, Option<String>>|
     -> Result<(), ErrorKind> {
        loop {
            let now = Instant::now();
            if now >= until {
                return Ok(());
            }
            socket
                .set_read_timeout(Some((until - now).max(Duration::from_millis(1))))
                .map_err(|error| error.kind())?;
            match socket.recv(&mut buffer) {
                Ok(count) => {
                    if let Some((id, 0, descr)) =
                        parse_response(buffer.get(..count).unwrap_or_default())
                    {
                        answers.insert(id, descr);
                    }
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    return Ok(());
                }
                Err(error) => return Err(error.kind()),
            }
        }
    };
    // Small bursts with a pause: polite to small agents, fast enough for 120 communities.
    for chunk in requests.chunks(8) {
        for (_, packet) in chunk {
            socket.send(packet).map_err(|error| error.kind())?;
        }
        receive(
            &socket,
            Instant::now() + Duration::from_millis(30),
            &mut answers,
        )?;
    }
    receive(&socket, Instant::now() + wait, &mut answers)?;
    Ok(answers)
}

/// Tries a random community, then the list, in v1 and v2c.
pub fn check_communities(
    addr: SocketAddr,
    communities: &[(String, String)],
    wait: Duration,
) -> SnmpRun {
    let control = format!("iotlabel-{}", random_token(12));
    let control_requests = vec![
        (1u32, get_sys_descr(0, &control, 1)),
        (2u32, get_sys_descr(1, &control, 2)),
    ];
    match burst(addr, &control_requests, wait) {
        Err(ErrorKind::ConnectionRefused) => return SnmpRun::NothingListening,
        Err(kind) => return SnmpRun::Error(format!("UDP error: {kind}")),
        Ok(answers) => {
            if let Some(descr) = answers.values().next() {
                return SnmpRun::ControlAnswered {
                    community: control,
                    sys_descr: descr
                        .clone()
                        .unwrap_or_else(|| "an answer without sysDescr".into()),
                };
            }
        }
    }
    let mut requests = Vec::new();
    let mut index = HashMap::new();
    for (position, (community, list)) in communities.iter().take(100_000).enumerate() {
        for (version, name) in [(0u32, "v1"), (1u32, "v2c")] {
            let id = u32::try_from(position)
                .unwrap_or(u32::MAX)
                .saturating_mul(2)
                .saturating_add(1000 + version);
            requests.push((id, get_sys_descr(version, community, id)));
            index.insert(id, (community.clone(), list.clone(), name));
        }
    }
    let mut errors = Vec::new();
    let answers = match burst(addr, &requests, wait) {
        Ok(answers) => answers,
        Err(ErrorKind::ConnectionRefused) => return SnmpRun::NothingListening,
        Err(kind) => {
            errors.push(format!("UDP error: {kind}"));
            HashMap::new()
        }
    };
    let mut found: Vec<CommunityHit> = Vec::new();
    let mut ids: Vec<&u32> = answers.keys().collect();
    ids.sort();
    for id in ids {
        let Some((community, list, version)) = index.get(id) else {
            continue;
        };
        let Some(Some(sys_descr)) = answers.get(id) else {
            continue;
        };
        if found.iter().any(|hit| &hit.community == community) {
            continue;
        }
        found.push(CommunityHit {
            community: community.clone(),
            list: list.clone(),
            version,
            sys_descr: sys_descr.clone(),
        });
    }
    SnmpRun::Tried {
        control,
        tried: communities.len(),
        silent: answers.is_empty(),
        found,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encoding_round_trips_through_the_reader() {
        let packet = get_sys_descr(1, "public", 300);
        let (tag, message, rest) = read_tlv(&packet).unwrap();
        assert_eq!(tag, 0x30);
        assert!(rest.is_empty());
        let (_, version, rest) = read_tlv(message).unwrap();
        assert_eq!(version, [1]);
        let (_, community, _) = read_tlv(rest).unwrap();
        assert_eq!(community, b"public");
        assert_eq!(integer(300), vec![2, 2, 1, 44]);
        assert_eq!(integer(200), vec![2, 2, 0, 200]);
        assert_eq!(integer(0), vec![2, 1, 0]);
    }

    #[test]
    fn parses_a_get_response() {
        let varbind = tlv(
            0x30,
            &[tlv(0x06, SYS_DESCR_OID), tlv(0x04, b"Linux cam 4.9")].concat(),
        );
        let pdu = tlv(
            0xa2,
            &[integer(7), integer(0), integer(0), tlv(0x30, &varbind)].concat(),
        );
        let packet = tlv(0x30, &[integer(1), tlv(0x04, b"public"), pdu].concat());
        assert_eq!(
            parse_response(&packet),
            Some((7, 0, Some("Linux cam 4.9".into())))
        );
        assert_eq!(parse_response(&packet[..packet.len() - 3]), None);
        assert_eq!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
