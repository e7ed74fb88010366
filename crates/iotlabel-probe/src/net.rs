//! Timed TCP and UDP I/O for the live checks: every connect, read and write has a deadline,
//! every read is bounded, and a connection the device drops is told apart from a refusal.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Why a network operation did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("nothing listening (connection refused)")]
    Refused,
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the device dropped the connection")]
    Dropped,
    #[error("network error: {0}")]
    Other(String),
}

impl NetError {
    fn from_io(error: &std::io::Error, timeout: Duration) -> NetError {
        match error.kind() {
            ErrorKind::ConnectionRefused => NetError::Refused,
            ErrorKind::TimedOut | ErrorKind::WouldBlock => NetError::Timeout(timeout),
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => NetError::Dropped,
            _ => NetError::Other(error.to_string()),
        }
    }
}

/// A TCP connection with a timeout on every operation and a cap on what it keeps.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    timeout: Duration,
    /// Bytes received and not yet consumed by `read_until`.
    pending: Vec<u8>,
    /// Whether the peer has closed its side.
    closed: bool,
}

/// The most a single check keeps from one connection.
pub const MAX_KEEP: usize = 256 * 1024;

impl Conn {
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Conn, NetError> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|error| NetError::from_io(&error, timeout))?;
        // Connecting to a loopback port in the ephemeral range where nothing listens can pick
        // that same port as the source and "connect" to itself (TCP simultaneous open): that
        // is nothing listening, not a service.
        if stream.local_addr().ok() == Some(addr) {
            return Err(NetError::Refused);
        }
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|error| NetError::from_io(&error, timeout))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            timeout,
            pending: Vec::new(),
            closed: false,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|error| NetError::from_io(&error, self.timeout))
    }

    /// Reads once (at most 16 KiB), waiting at most `wait`. Returns the number of bytes added
    /// to the pending buffer; 0 means the peer closed or nothing came within `wait`.
    fn fill(&mut self, wait: Duration) -> Result<usize, NetError> {
        if self.closed || self.pending.len() >= MAX_KEEP {
            return Ok(0);
        }
        let wait = wait.max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(|error| NetError::from_io(&error, wait))?;
        // Acknowledge at once what arrives: a device that writes its echo and its next
        // prompt in two small segments (Nagle) otherwise waits for our delayed ACK (40 ms
        // on Linux) before sending the prompt, on every step of every login.
        #[cfg(target_os = "linux")]
        let _ = socket2::SockRef::from(&self.stream).set_tcp_quickack(true);
        let mut chunk = [0u8; 16 * 1024];
        let result = self.stream.read(&mut chunk);
        match result {
            Ok(0) => {
                self.closed = true;
                Ok(0)
            }
            Ok(count) => {
                let room = MAX_KEEP.saturating_sub(self.pending.len());
                let take = count.min(room);
                self.pending
                    .extend_from_slice(chunk.get(..take).unwrap_or_default());
                Ok(take)
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(0)
            }
            Err(error) => {
                let error = NetError::from_io(&error, wait);
                if error == NetError::Dropped {
                    self.closed = true;
                    Ok(0)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Reads until `done` accepts the received bytes, the peer closes, `limit` bytes arrived
    /// or the connection timeout passes. Returns everything received (and consumes it).
    pub fn read_until(
        &mut self,
        limit: usize,
        mut done: impl FnMut(&[u8]) -> bool,
    ) -> Result<Vec<u8>, NetError> {
        self.read_until_within(self.timeout, limit, &mut done)
    }

    /// As `read_until`, with an explicit wait instead of the connection timeout.
    pub fn read_until_within(
        &mut self,
        wait: Duration,
        limit: usize,
        done: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Vec<u8>, NetError> {
        let deadline = Instant::now() + wait;
        loop {
            if done(&self.pending) || self.pending.len() >= limit || self.closed {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            self.fill(deadline - now)?;
        }
        Ok(std::mem::take(&mut self.pending))
    }

    /// Reads exactly `count` bytes or fails (timeout, drop).
    pub fn read_exact(&mut self, count: usize) -> Result<Vec<u8>, NetError> {
        let deadline = Instant::now() + self.timeout;
        while self.pending.len() < count {
            if self.closed {
                return Err(NetError::Dropped);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(NetError::Timeout(self.timeout));
            }
            self.fill(deadline - now)?;
        }
        let rest = self.pending.split_off(count);
        Ok(std::mem::replace(&mut self.pending, rest))
    }
}

/// Sends one UDP datagram and waits for one answer. `Ok(None)` means no answer in time;
/// `Err(NetError::Refused)` means the host said nothing listens (ICMP port unreachable).
pub fn udp_exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Option<Vec<u8>>, NetError> {
    let bind: SocketAddr = if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind).map_err(|error| NetError::from_io(&error, timeout))?;
    socket
        .connect(addr)
        .and_then(|()| socket.set_read_timeout(Some(timeout)))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(|error| NetError::from_io(&error, timeout))?;
    socket
        .send(request)
        .map_err(|error| NetError::from_io(&error, timeout))?;
    let mut buffer = vec![0u8; 65_536];
    match socket.recv(&mut buffer) {
        Ok(count) => {
            buffer.truncate(count);
            Ok(Some(buffer))
        }
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Ok(None)
        }
        Err(error) => Err(NetError::from_io(&error, timeout)),
    }
}

/// Printable text of received bytes for proofs: control bytes shown as `\xNN`, capped.
pub fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for character in text.chars() {
        if out.chars().count() >= max_chars {
            out.push('…');
            break;
        }
        match character {
            '\r' => {}
            '\n' | '\t' => out.push(character),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A random lowercase alphanumeric token (for negative-control credentials and markers).
pub fn random_token(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; length];
    if getrandom::fill(&mut bytes).is_err() {
        // Fall back to the clock: the token only has to differ from any real password.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = (nanos >> ((index % 16) * 8)) as u8 ^ (index as u8).wrapping_mul(31);
        }
    }
    bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Whether `haystack` contains `needle`, ASCII case-insensitively.
pub fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}
