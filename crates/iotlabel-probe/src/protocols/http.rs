//! A minimal HTTP/1.0 (and RTSP/1.0) client for probing: one request per connection, bounded
//! responses, Basic and Digest authentication written here (only the few lines of RFC 7616
//! a probe needs), and login proof by comparing with the unauthenticated response.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::login::{Attempt, Authenticator};
use crate::net::{Conn, NetError, excerpt, random_token};
use crate::protocols::tls_client::{TlsClientError, TlsConnection, Verification};

/// The most of a response body a probe keeps.
pub const MAX_BODY: usize = 128 * 1024;

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `HTTP/1.1` or `RTSP/1.0`.
    pub protocol: String,
    pub status: u16,
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("not an HTTP/RTSP response: {0}")]
    Malformed(String),
    #[error("TLS: {0}")]
    Tls(String),
}

impl From<TlsClientError> for HttpError {
    fn from(error: TlsClientError) -> HttpError {
        match error {
            TlsClientError::Net(error) => HttpError::Net(error),
            TlsClientError::Handshake(message) => HttpError::Tls(message),
        }
    }
}

/// How a request reaches the server.
#[derive(Debug, Clone)]
pub enum Link {
    Plain,
    Tls(Verification),
}

/// Sends a request on a new plain or TLS connection and reads one response.
pub fn exchange_over(
    link: &Link,
    host: &str,
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Response, HttpError> {
    match link {
        Link::Plain => exchange(addr, request, timeout),
        Link::Tls(verification) => {
            let mut connection = TlsConnection::connect(addr, host, timeout, verification)?;
            let bytes = connection.request(request, MAX_BODY + 16 * 1024, response_complete)?;
            if bytes.is_empty() {
                return Err(HttpError::Net(NetError::Dropped));
            }
            parse_response(&bytes)
        }
    }
}

fn find_subsequence(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Parses a status line and headers; the body is what follows, up to Content-Length.
pub fn parse_response(bytes: &[u8]) -> Result<Response, HttpError> {
    let head_end = find_subsequence(bytes, b"\r\n\r\n")
        .map(|end| (end, end + 4))
        .or_else(|| find_subsequence(bytes, b"\n\n").map(|end| (end, end + 2)))
        .ok_or_else(|| HttpError::Malformed(excerpt(bytes, 60)))?;
    let head = String::from_utf8_lossy(bytes.get(..head_end.0).unwrap_or_default()).into_owned();
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default().trim().to_owned();
    let mut parts = status_line.splitn(3, ' ');
    let protocol = parts.next().unwrap_or_default().to_owned();
    if !(protocol.starts_with("HTTP/") || protocol.starts_with("RTSP/")) {
        return Err(HttpError::Malformed(excerpt(status_line.as_bytes(), 60)));
    }
    let status = parts
        .next()
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| HttpError::Malformed(status_line.clone()))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .take(200)
        .collect();
    let mut body = bytes.get(head_end.1..).unwrap_or_default().to_vec();
    if let Some(length) = headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    body.truncate(MAX_BODY);
    Ok(Response {
        protocol,
        status,
        status_line,
        headers,
        body,
    })
}

/// Whether a buffer holds a complete response: head plus Content-Length bytes.
fn response_complete(bytes: &[u8]) -> bool {
    let Some(end) = find_subsequence(bytes, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).to_ascii_lowercase();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim() == "content-length")
        .and_then(|(_, value)| value.trim().parse::<usize>().ok());
    match length {
        Some(length) => bytes.len() >= end + 4 + length.min(MAX_BODY),
        // No length: an RTSP reply without a body is complete; HTTP reads to close.
        None => head.starts_with("rtsp/"),
    }
}

/// Sends a request on a new connection and reads one response.
pub fn exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Response, HttpError> {
    let mut conn = Conn::connect(addr, timeout)?;
    conn.write_all(request)?;
    let bytes = conn.read_until(MAX_BODY + 16 * 1024, response_complete)?;
    if bytes.is_empty() {
        return Err(HttpError::Net(if conn.is_closed() {
            NetError::Dropped
        } else {
            NetError::Timeout(timeout)
        }));
    }
    parse_response(&bytes)
}

/// Which request language to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Http,
    Rtsp,
}

/// Builds a request. `authorization` is a full header value.
pub fn build_request(
    dialect: Dialect,
    host: &str,
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
) -> Vec<u8> {
    let mut request = match dialect {
        Dialect::Http => format!(
            "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: iotlabel-probe\r\nConnection: close\r\n"
        ),
        Dialect::Rtsp => format!(
            "DESCRIBE {} RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: iotlabel-probe\r\nAccept: application/sdp\r\n",
            rtsp_url(host, addr, path)
        ),
    };
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

pub fn rtsp_url(host: &str, addr: SocketAddr, path: &str) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("rtsp://{host}:{}{path}", addr.port())
}

/// The parameters of a `WWW-Authenticate: Digest` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestChallenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub qop_auth: bool,
    pub algorithm: String,
}

/// The authentication schemes a 401 offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenges {
    pub basic_realm: Option<String>,
    pub digest: Vec<DigestChallenge>,
}

/// Splits `key=value, key="quoted, value"` parameter lists.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((index, character)) = chars.next() {
                match character {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    other => value.push(other),
                }
            }
            (value, quoted.get(end..).unwrap_or_default())
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (
                after.get(..end).unwrap_or_default().trim().to_owned(),
                after.get(end..).unwrap_or_default(),
            )
        };
        params.push((key, value));
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
        if params.len() > 32 {
            break;
        }
    }
    params
}

/// Reads the challenges of a 401 response.
pub fn parse_challenges(response: &Response) -> Challenges {
    let mut challenges = Challenges::default();
    for value in response.headers_named("www-authenticate") {
        let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
        let params = parse_params(params);
        let get = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            challenges.basic_realm = Some(get("realm").unwrap_or_default());
        } else if scheme.eq_ignore_ascii_case("digest") {
            let Some(nonce) = get("nonce") else {
                continue;
            };
            challenges.digest.push(DigestChallenge {
                realm: get("realm").unwrap_or_default(),
                nonce,
                opaque: get("opaque"),
                qop_auth: get("qop")
                    .is_some_and(|qop| qop.split(',').any(|item| item.trim() == "auth")),
                algorithm: get("algorithm").unwrap_or_else(|| "MD5".into()),
            });
        }
    }
    challenges
}

fn hash_hex(algorithm: &str, text: &str) -> Option<String> {
    match algorithm.to_ascii_uppercase().trim_end_matches("-SESS") {
        "MD5" => Some(hex::encode(Md5::digest(text.as_bytes()))),
        "SHA-256" => Some(hex::encode(Sha256::digest(text.as_bytes()))),
        _ => None,
    }
}

/// The `Authorization: Digest` value for one request (RFC 7616, qop=auth or none).
pub fn digest_authorization(
    challenge: &DigestChallenge,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
) -> Option<String> {
    let algorithm = challenge.algorithm.as_str();
    let cnonce = random_token(16);
    let mut ha1 = hash_hex(algorithm, &format!("{user}:{}:{password}", challenge.realm))?;
    if algorithm.to_ascii_uppercase().ends_with("-SESS") {
        ha1 = hash_hex(algorithm, &format!("{ha1}:{}:{cnonce}", challenge.nonce))?;
    }
    let ha2 = hash_hex(algorithm, &format!("{method}:{uri}"))?;
    let nc = "00000001";
    let response = if challenge.qop_auth {
        hash_hex(
            algorithm,
            &format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", challenge.nonce),
        )?
    } else {
        hash_hex(algorithm, &format!("{ha1}:{}:{ha2}", challenge.nonce))?
    };
    let quote = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let mut value = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{}\"",
        quote(user),
        quote(&challenge.realm),
        quote(&challenge.nonce),
        quote(uri),
        algorithm,
        response
    );
    if challenge.qop_auth {
        value.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(opaque) = &challenge.opaque {
        value.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
    }
    Some(value)
}

pub fn basic_authorization(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Which scheme a protected resource uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    Basic,
    Digest,
}

impl AuthScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::Basic => "basic",
            AuthScheme::Digest => "digest",
        }
    }
}

/// Logins on an HTTP or RTSP resource that answered 401.
#[derive(Debug, Clone)]
pub struct HttpAuthenticator {
    pub dialect: Dialect,
    pub host: String,
    pub addr: SocketAddr,
    pub path: String,
    pub scheme: AuthScheme,
    pub timeout: Duration,
    pub link: Link,
    /// The unauthenticated response, to prove a login changed something.
    pub unauthenticated: Response,
}

impl HttpAuthenticator {
    fn method(&self) -> &'static str {
        match self.dialect {
            Dialect::Http => "GET",
            Dialect::Rtsp => "DESCRIBE",
        }
    }

    fn uri(&self) -> String {
        match self.dialect {
            Dialect::Http => self.path.clone(),
            Dialect::Rtsp => rtsp_url(&self.host, self.addr, &self.path),
        }
    }

    fn try_login(&self, user: &str, password: &str) -> Result<Attempt, HttpError> {
        let authorization = match self.scheme {
            AuthScheme::Basic => basic_authorization(user, password),
            AuthScheme::Digest => {
                // A fresh challenge per attempt: nonces are single-use on many devices.
                let request = build_request(self.dialect, &self.host, self.addr, &self.path, None);
                let first =
                    exchange_over(&self.link, &self.host, self.addr, &request, self.timeout)?;
                let challenges = parse_challenges(&first);
                let Some(challenge) = challenges
                    .digest
                    .iter()
                    .find(|challenge| hash_hex(&challenge.algorithm, "").is_some())
                else {
                    return Ok(Attempt::Failed(format!(
                        "no usable Digest challenge (status {})",
                        first.status
                    )));
                };
                match digest_authorization(challenge, self.method(), &self.uri(), user, password) {
                    Some(value) => value,
                    None => return Ok(Attempt::Failed("unsupported digest algorithm".into())),
                }
            }
        };
        let request = build_request(
            self.dialect,
            &self.host,
            self.addr,
            &self.path,
            Some(&authorization),
        );
        let response = exchange_over(&self.link, &self.host, self.addr, &request, self.timeout)?;
        if response.status == 401 || response.status == 403 {
            return Ok(Attempt::Rejected);
        }
        if response.status == self.unauthenticated.status
            && response.body == self.unauthenticated.body
        {
            return Ok(Attempt::Unproven(format!(
                "status {} identical to the unauthenticated response",
                response.status
            )));
        }
        if response.status >= 500 {
            return Ok(Attempt::Failed(format!("server error {}", response.status)));
        }
        // Only a success or a redirect counts: a 400 to an odd header is not a login.
        if response.status >= 400 {
            return Ok(Attempt::Rejected);
        }
        Ok(Attempt::Accepted {
            proof: format!(
                "{} {} with {} {user}:{password} -> {} ({} body bytes; unauthenticated: {}): {}",
                self.method(),
                self.uri(),
                self.scheme.as_str(),
                response.status_line,
                response.body.len(),
                self.unauthenticated.status_line,
                excerpt(&response.body, 160)
            ),
        })
    }
}

impl Authenticator for HttpAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        match self.try_login(user, password) {
            Ok(attempt) => attempt,
            Err(HttpError::Net(
                error @ (NetError::Dropped | NetError::Timeout(_) | NetError::Refused),
            )) => Attempt::Dropped(error.to_string()),
            Err(error) => Attempt::Failed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_responses_and_challenges() {
        let raw = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"cam, inc\", charset=UTF-8, algorithm=SHA-256, qop=\"auth\", nonce=\"abc\", opaque=\"xyz\"\r\nWWW-Authenticate: Basic realm=\"r\"\r\nContent-Length: 3\r\n\r\nabcdef";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 401);
        assert_eq!(response.body, b"abc");
        let challenges = parse_challenges(&response);
        assert_eq!(challenges.basic_realm.as_deref(), Some("r"));
        let digest = &challenges.digest[0];
        assert_eq!(digest.realm, "cam, inc");
        assert_eq!(digest.nonce, "abc");
        assert!(digest.qop_auth);
        assert_eq!(digest.algorithm, "SHA-256");
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn digest_matches_rfc_2617_example() {
        // RFC 2617 section 3.5 example, computed without qop to keep cnonce out of it.
        let challenge = DigestChallenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: None,
            qop_auth: false,
            algorithm: "MD5".into(),
        };
        let value = digest_authorization(
            &challenge,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
        )
        .unwrap();
        let ha1 = hex::encode(Md5::digest(b"Mufasa:testrealm@host.com:Circle Of Life"));
        let ha2 = hex::encode(Md5::digest(b"GET:/dir/index.html"));
        let expected = hex::encode(Md5::digest(
            format!("{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}").as_bytes(),
        ));
        assert!(value.contains(&format!("response=\"{expected}\"")));
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
