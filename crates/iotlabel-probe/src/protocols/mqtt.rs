//! MQTT 3.1.1: a hand-written CONNECT (the probe needs one packet, not a client library) and
//! CONNACK parsing. Only return code 0 counts as a login.

use std::net::SocketAddr;
use std::time::Duration;

use crate::login::{Attempt, Authenticator};
use crate::net::{Conn, NetError, random_token};

fn push_string(packet: &mut Vec<u8>, text: &[u8]) {
    let length = text.len().min(usize::from(u16::MAX));
    packet.extend_from_slice(&(length as u16).to_be_bytes());
    packet.extend_from_slice(text.get(..length).unwrap_or_default());
}

/// A CONNECT packet with a clean session, a 30 s keep-alive and optional credentials.
pub fn connect_packet(client_id: &str, credentials: Option<(&str, &str)>) -> Vec<u8> {
    let mut body = Vec::new();
    push_string(&mut body, b"MQTT");
    body.push(4); // protocol level 3.1.1
    let mut flags = 0x02; // clean session
    if credentials.is_some() {
        flags |= 0x80 | 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&30u16.to_be_bytes());
    push_string(&mut body, client_id.as_bytes());
    if let Some((user, password)) = credentials {
        push_string(&mut body, user.as_bytes());
        push_string(&mut body, password.as_bytes());
    }
    let mut packet = vec![0x10];
    let mut remaining = body.len();
    loop {
        let mut byte = (remaining % 128) as u8;
        remaining /= 128;
        if remaining > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if remaining == 0 {
            break;
        }
    }
    packet.extend_from_slice(&body);
    packet
}

/// The CONNACK return code, if `bytes` is a CONNACK.
pub fn connack_code(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [0x20, 0x02, _, code, ..] => Some(*code),
        _ => None,
    }
}

pub fn connack_meaning(code: u8) -> &'static str {
    match code {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorised",
        _ => "unknown return code",
    }
}

/// Sends CONNECT and returns the CONNACK return code.
pub fn connect(
    addr: SocketAddr,
    timeout: Duration,
    credentials: Option<(&str, &str)>,
) -> Result<Option<u8>, NetError> {
    let mut conn = Conn::connect(addr, timeout)?;
    let client_id = format!("iotlabel-{}", random_token(8));
    conn.write_all(&connect_packet(&client_id, credentials))?;
    let reply = conn.read_until(4, |bytes| bytes.len() >= 4)?;
    if reply.is_empty() && conn.is_closed() {
        return Err(NetError::Dropped);
    }
    let code = connack_code(&reply);
    if code == Some(0) {
        let _ = conn.write_all(&[0xe0, 0x00]); // DISCONNECT
    }
    Ok(code)
}

/// MQTT logins against one broker.
#[derive(Debug, Clone)]
pub struct MqttAuthenticator {
    pub addr: SocketAddr,
    pub timeout: Duration,
}

impl Authenticator for MqttAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        match connect(self.addr, self.timeout, Some((user, password))) {
            Ok(Some(0)) => Attempt::Accepted {
                proof: format!(
                    "CONNECT user={user} password={password} -> CONNACK return code 0 (accepted)"
                ),
            },
            Ok(Some(4 | 5)) => Attempt::Rejected,
            Ok(Some(code)) => Attempt::Failed(format!(
                "CONNACK return code {code} ({})",
                connack_meaning(code)
            )),
            Ok(None) => Attempt::Failed("no CONNACK".into()),
            Err(error @ (NetError::Dropped | NetError::Timeout(_) | NetError::Refused)) => {
                Attempt::Dropped(error.to_string())
            }
            Err(error) => Attempt::Failed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_layout() {
        let packet = connect_packet("id", Some(("u", "p")));
        assert_eq!(packet[0], 0x10);
        assert_eq!(usize::from(packet[1]), packet.len() - 2);
        assert_eq!(&packet[2..8], b"\x00\x04MQTT");
        assert_eq!(packet[8], 4);
        assert_eq!(packet[9], 0xc2);
        assert_eq!(&packet[packet.len() - 6..], b"\x00\x01u\x00\x01p");
        let long = connect_packet(&"x".repeat(200), None);
        assert_eq!(long[1] & 0x80, 0x80);
        assert_eq!(connack_code(&[0x20, 2, 0, 5]), Some(5));
        assert_eq!(connack_code(&[0x30, 2, 0, 0]), None);
    }
}
