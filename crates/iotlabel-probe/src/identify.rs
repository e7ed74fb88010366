//! Service identification from banners and handshakes: read what the service says first;
//! if it says nothing, ask in HTTP, RTSP, TLS and MQTT (the port's usual protocol first).

use std::net::SocketAddr;
use std::time::Duration;

use crate::net::{Conn, NetError, contains_ignore_case, excerpt};
use crate::protocols::{http, mqtt, tls};

/// What a port speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    Telnet,
    Ssh,
    Ftp,
    Http,
    /// HTTP over TLS (or any TLS service on an HTTPS port).
    Https,
    Rtsp,
    Mqtt,
    /// TLS with an unknown protocol inside (MQTT over TLS on 8883 included).
    Tls,
    Unknown,
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Telnet => "telnet",
            ServiceKind::Ssh => "ssh",
            ServiceKind::Ftp => "ftp",
            ServiceKind::Http => "http",
            ServiceKind::Https => "https",
            ServiceKind::Rtsp => "rtsp",
            ServiceKind::Mqtt => "mqtt",
            ServiceKind::Tls => "tls",
            ServiceKind::Unknown => "unknown",
        }
    }

    /// Parses the names `as_str` writes (for `--service PORT=NAME`).
    pub fn from_name(name: &str) -> Option<ServiceKind> {
        [
            ServiceKind::Telnet,
            ServiceKind::Ssh,
            ServiceKind::Ftp,
            ServiceKind::Http,
            ServiceKind::Https,
            ServiceKind::Rtsp,
            ServiceKind::Mqtt,
            ServiceKind::Tls,
        ]
        .into_iter()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }

    /// The usual protocol of a well-known IoT port.
    pub fn usual_for_port(port: u16) -> Option<ServiceKind> {
        Some(match port {
            21 => ServiceKind::Ftp,
            22 => ServiceKind::Ssh,
            23 | 2323 => ServiceKind::Telnet,
            80 | 8000 | 8080 | 8081 | 5000 | 7547 | 49152 => ServiceKind::Http,
            443 | 8443 => ServiceKind::Https,
            554 | 8554 => ServiceKind::Rtsp,
            1883 => ServiceKind::Mqtt,
            8883 => ServiceKind::Tls,
            _ => return None,
        })
    }
}

/// An identified open port.
#[derive(Debug, Clone)]
pub struct Service {
    pub port: u16,
    pub kind: ServiceKind,
    /// The banner or first answer, as printable text (capped).
    pub banner: String,
    /// For HTTP and RTSP: the unauthenticated answer to `GET /` or `DESCRIBE /`.
    pub first_response: Option<http::Response>,
}

fn classify_banner(banner: &[u8]) -> Option<ServiceKind> {
    if banner.starts_with(b"SSH-") {
        return Some(ServiceKind::Ssh);
    }
    if banner.first() == Some(&0xff) {
        return Some(ServiceKind::Telnet);
    }
    if banner.starts_with(b"220") && !contains_ignore_case(banner, b"smtp") {
        return Some(ServiceKind::Ftp);
    }
    if contains_ignore_case(banner, b"login:") || contains_ignore_case(banner, b"username:") {
        return Some(ServiceKind::Telnet);
    }
    None
}

/// Identifies the service on an open port. `forced` skips detection (the user said).
pub fn identify(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
    banner_wait: Duration,
    forced: Option<ServiceKind>,
) -> Result<Service, NetError> {
    let port = addr.port();
    let mut service = Service {
        port,
        kind: ServiceKind::Unknown,
        banner: String::new(),
        first_response: None,
    };
    if let Some(kind) = forced {
        service.kind = kind;
        if matches!(kind, ServiceKind::Http | ServiceKind::Rtsp) {
            service.first_response = first_request(host, addr, timeout, kind).ok();
        }
        return Ok(service);
    }
    let usual = ServiceKind::usual_for_port(port);
    // Ports whose protocol waits for the client: do not wait for a banner there first.
    let client_first = matches!(
        usual,
        Some(ServiceKind::Mqtt | ServiceKind::Tls | ServiceKind::Https)
    );
    if !client_first {
        let mut conn = Conn::connect(addr, timeout)?;
        let banner = conn.read_until_within(banner_wait, 4096, &mut |bytes: &[u8]| {
            bytes.contains(&b'\n')
                || bytes.ends_with(b": ")
                || bytes.len() >= 3 && bytes.first() == Some(&0xff)
        })?;
        if let Some(kind) = classify_banner(&banner) {
            service.kind = kind;
            service.banner = excerpt(&banner, 200);
            return Ok(service);
        }
        if !banner.is_empty() {
            service.banner = excerpt(&banner, 200);
            return Ok(service);
        }
        drop(conn);
    }
    let mut order = vec![
        ServiceKind::Http,
        ServiceKind::Rtsp,
        ServiceKind::Tls,
        ServiceKind::Mqtt,
    ];
    if let Some(usual) = usual {
        let usual = if usual == ServiceKind::Https {
            ServiceKind::Tls
        } else {
            usual
        };
        order.retain(|kind| *kind != usual);
        order.insert(0, usual);
    }
    for kind in order {
        match kind {
            ServiceKind::Http | ServiceKind::Rtsp => {
                if let Ok(response) = first_request(host, addr, timeout, kind) {
                    service.kind = if response.protocol.starts_with("RTSP/") {
                        ServiceKind::Rtsp
                    } else {
                        ServiceKind::Http
                    };
                    service.banner = response.status_line.clone();
                    if let Some(server) = response.header("server") {
                        service.banner.push_str(&format!(" (Server: {server})"));
                    }
                    service.first_response = Some(response);
                    return Ok(service);
                }
            }
            ServiceKind::Tls => {
                if let Ok(Some(answer)) = tls::hello_answer(host, addr, timeout) {
                    service.kind = if matches!(port, 443 | 8443) || usual.is_none() {
                        ServiceKind::Https
                    } else {
                        ServiceKind::Tls
                    };
                    service.banner = answer;
                    return Ok(service);
                }
            }
            ServiceKind::Mqtt => {
                if let Ok(Some(code)) = mqtt::connect(addr, timeout, None) {
                    service.kind = ServiceKind::Mqtt;
                    service.banner = format!(
                        "CONNACK {code} ({}) to an anonymous CONNECT",
                        mqtt::connack_meaning(code)
                    );
                    return Ok(service);
                }
            }
            _ => {}
        }
    }
    Ok(service)
}

/// The unauthenticated `GET /` (HTTP) or `DESCRIBE` (RTSP).
pub fn first_request(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
    kind: ServiceKind,
) -> Result<http::Response, http::HttpError> {
    let dialect = if kind == ServiceKind::Rtsp {
        http::Dialect::Rtsp
    } else {
        http::Dialect::Http
    };
    let request = http::build_request(dialect, host, addr, "/", None);
    http::exchange(addr, &request, timeout)
}

/// The unauthenticated `GET /` over TLS (any certificate accepted).
pub fn first_https_request(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<http::Response, http::HttpError> {
    let request = http::build_request(http::Dialect::Http, host, addr, "/", None);
    let link = http::Link::Tls(crate::protocols::tls_client::Verification::AcceptAny);
    http::exchange_over(&link, host, addr, &request, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        assert_eq!(
            classify_banner(b"SSH-2.0-dropbear\r\n"),
            Some(ServiceKind::Ssh)
        );
        assert_eq!(classify_banner(b"\xff\xfd\x01"), Some(ServiceKind::Telnet));
        assert_eq!(
            classify_banner(b"220 (vsFTPd 3.0.3)\r\n"),
            Some(ServiceKind::Ftp)
        );
        assert_eq!(classify_banner(b"220 mx ESMTP\r\n"), None);
        assert_eq!(
            classify_banner(b"\r\nrouter login: "),
            Some(ServiceKind::Telnet)
        );
        assert_eq!(ServiceKind::from_name("RTSP"), Some(ServiceKind::Rtsp));
    }
}
