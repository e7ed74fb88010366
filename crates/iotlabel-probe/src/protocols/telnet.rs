//! Telnet: option negotiation (written here: refuse every option except echo and
//! suppress-go-ahead, which login prompts need), prompt detection and a login whose success is
//! proven by an echoed marker command, never by the look of a prompt. A worker keeps its
//! connection after a rejection when the device answers it with a fresh prompt.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::login::{Attempt, Authenticator, LoginSession};
use crate::net::{Conn, NetError, contains_ignore_case, excerpt, random_token};

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const OPTION_ECHO: u8 = 1;
const OPTION_SUPPRESS_GO_AHEAD: u8 = 3;

/// Splits telnet commands out of received bytes: returns the data bytes and the replies the
/// client owes. Incomplete trailing commands are dropped (the next read re-sends nothing, so
/// a split command only loses one negotiation, which servers tolerate).
pub fn negotiate(received: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut data = Vec::with_capacity(received.len());
    let mut replies = Vec::new();
    let mut index = 0;
    while let Some(&byte) = received.get(index) {
        if byte != IAC {
            data.push(byte);
            index += 1;
            continue;
        }
        match received.get(index + 1) {
            Some(&IAC) => {
                data.push(IAC);
                index += 2;
            }
            Some(&command @ (DO | DONT | WILL | WONT)) => {
                if let Some(&option) = received.get(index + 2) {
                    let wanted = matches!(option, OPTION_ECHO | OPTION_SUPPRESS_GO_AHEAD);
                    let reply = match command {
                        DO if wanted && option == OPTION_SUPPRESS_GO_AHEAD => Some(WILL),
                        DO => Some(WONT),
                        WILL if wanted => Some(DO),
                        WILL => Some(DONT),
                        _ => None,
                    };
                    if let Some(reply) = reply {
                        replies.extend_from_slice(&[IAC, reply, option]);
                    }
                }
                index += 3;
            }
            Some(&SB) => {
                // Skip the subnegotiation up to IAC SE.
                let mut end = index + 2;
                while end + 1 < received.len()
                    && !(received.get(end) == Some(&IAC) && received.get(end + 1) == Some(&SE))
                {
                    end += 1;
                }
                index = end + 2;
            }
            Some(_) => index += 2,
            None => index += 1,
        }
    }
    (data, replies)
}

/// A telnet session: data with negotiation handled, and a transcript of the data.
#[derive(Debug)]
struct Session {
    conn: Conn,
    transcript: Vec<u8>,
}

impl Session {
    fn open(addr: SocketAddr, timeout: Duration) -> Result<Session, NetError> {
        Ok(Session {
            conn: Conn::connect(addr, timeout)?,
            transcript: Vec::new(),
        })
    }

    /// Reads (answering negotiation) until `done` accepts the data seen since the call began.
    fn read_until(
        &mut self,
        wait: Duration,
        done: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, NetError> {
        let deadline = std::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let now = std::time::Instant::now();
            if now >= deadline || self.conn.is_closed() || seen.len() > 64 * 1024 {
                return Ok(seen);
            }
            let raw = self
                .conn
                .read_until_within(deadline - now, 1, &mut |bytes: &[u8]| !bytes.is_empty())?;
            let (data, replies) = negotiate(&raw);
            if !replies.is_empty() {
                self.conn.write_all(&replies)?;
            }
            seen.extend_from_slice(&data);
            self.transcript.extend_from_slice(&data);
            if done(&seen) {
                return Ok(seen);
            }
        }
    }

    fn send_line(&mut self, line: &str) -> Result<(), NetError> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        for byte in line.bytes() {
            bytes.push(byte);
            if byte == IAC {
                bytes.push(IAC);
            }
        }
        bytes.extend_from_slice(b"\r\n");
        self.conn.write_all(&bytes)
    }
}

fn ends_with_prompt(data: &[u8], words: &[&[u8]]) -> bool {
    let text = trim_end(data);
    if !text.ends_with(b":") && !text.ends_with(b">") {
        return false;
    }
    let tail_start = text.len().saturating_sub(40);
    let tail = text.get(tail_start..).unwrap_or_default();
    words.iter().any(|word| contains_ignore_case(tail, word))
}

fn trim_end(data: &[u8]) -> &[u8] {
    let mut end = data.len();
    while end > 0
        && data
            .get(end - 1)
            .is_some_and(|byte| byte.is_ascii_whitespace())
    {
        end -= 1;
    }
    data.get(..end).unwrap_or_default()
}

fn is_login_prompt(data: &[u8]) -> bool {
    ends_with_prompt(data, &[b"login", b"username", b"user name", b"user"])
}

fn is_password_prompt(data: &[u8]) -> bool {
    ends_with_prompt(data, &[b"password", b"passcode"])
}

fn looks_rejected(data: &[u8]) -> bool {
    [
        &b"incorrect"[..],
        b"failed",
        b"denied",
        b"invalid",
        b"bad password",
        b"wrong",
    ]
    .iter()
    .any(|word| contains_ignore_case(data, word))
        || is_login_prompt(data)
        || is_password_prompt(data)
}

/// The prompt a connection is waiting at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    Login,
    /// A device that asks for a password only.
    Password,
}

fn prompt_of(data: &[u8]) -> Option<Prompt> {
    if is_password_prompt(data) {
        Some(Prompt::Password)
    } else if is_login_prompt(data) {
        Some(Prompt::Login)
    } else {
        None
    }
}

/// A connection kept between attempts: busybox and most device logins allow a few tries per
/// connection and answer a failure with a fresh prompt.
#[derive(Debug)]
struct OpenLogin {
    session: Session,
    /// The prompt the connection opened with; a reused connection must be back at it.
    first: Prompt,
    /// Whether the last reply already ended with that prompt.
    at_prompt: bool,
}

/// How one login on a connection ended.
struct LoginEnd {
    attempt: Attempt,
    /// The connection, when the protocol allows another try on it.
    reusable: Option<OpenLogin>,
}

/// Telnet logins against one service.
#[derive(Debug)]
pub struct TelnetAuthenticator {
    pub addr: SocketAddr,
    pub timeout: Duration,
    /// Cleared when a kept connection did not come back to its prompt in time: from then on
    /// every attempt opens its own connection.
    reuse: AtomicBool,
}

impl TelnetAuthenticator {
    pub fn new(addr: SocketAddr, timeout: Duration) -> TelnetAuthenticator {
        TelnetAuthenticator {
            addr,
            timeout,
            reuse: AtomicBool::new(true),
        }
    }

    /// Opens a connection and reads up to the first prompt.
    fn open(&self) -> Result<Result<OpenLogin, Attempt>, NetError> {
        let mut session = Session::open(self.addr, self.timeout)?;
        let banner = session.read_until(self.timeout, &|data| prompt_of(data).is_some())?;
        match prompt_of(&banner) {
            Some(first) => Ok(Ok(OpenLogin {
                session,
                first,
                at_prompt: true,
            })),
            None if session.conn.is_closed() => Ok(Err(Attempt::Dropped(
                "closed before the login prompt".into(),
            ))),
            None => Ok(Err(Attempt::Failed(format!(
                "no login prompt (got \"{}\")",
                excerpt(&banner, 80)
            )))),
        }
    }

    /// Brings a kept connection back to the prompt it opened with, or says it cannot be used.
    fn back_at_prompt(&self, open: &mut OpenLogin) -> Result<bool, NetError> {
        if open.at_prompt {
            return Ok(true);
        }
        let seen = open
            .session
            .read_until(self.timeout, &|data| prompt_of(data).is_some())?;
        if prompt_of(&seen) == Some(open.first) {
            open.at_prompt = true;
            return Ok(true);
        }
        if !open.session.conn.is_closed() && prompt_of(&seen).is_none() {
            // Neither a prompt nor a close: this device does not take another try here.
            self.reuse.store(false, Ordering::Relaxed);
        }
        Ok(false)
    }

    /// One login at the prompt `open` is waiting at.
    fn login(&self, mut open: OpenLogin, user: &str, password: &str) -> Result<LoginEnd, NetError> {
        let first = open.first;
        let session = &mut open.session;
        if first == Prompt::Login {
            session.send_line(user)?;
            let reply = session.read_until(self.timeout, &|data| is_password_prompt(data))?;
            // Without a password prompt some devices log straight in: the marker check decides.
            if !is_password_prompt(&reply) && session.conn.is_closed() {
                return Ok(LoginEnd {
                    attempt: Attempt::Dropped("closed after the user name".into()),
                    reusable: None,
                });
            }
        }
        session.send_line(password)?;
        // Wait for either a rejection or quiet; then prove the shell with a marker command.
        // Failed logins often sleep before answering, so wait up to the full timeout.
        let after = session.read_until(self.timeout, &|data| {
            looks_rejected(data) || trim_end(data).ends_with(b"#") || trim_end(data).ends_with(b"$")
        })?;
        if looks_rejected(&after) || session.conn.is_closed() {
            let reusable = if session.conn.is_closed() {
                None
            } else {
                open.at_prompt = prompt_of(&after) == Some(first);
                Some(open)
            };
            return Ok(LoginEnd {
                attempt: Attempt::Rejected,
                reusable,
            });
        }
        let token = random_token(10);
        // The command line holds `MARK""token`; only a shell that ran it prints `MARKtoken`.
        let marker = format!("IOTLABEL{token}");
        session.send_line(&format!("echo IOTLABEL\"\"{token}"))?;
        let output = session.read_until(self.timeout, &|data| {
            contains_ignore_case(data, marker.as_bytes())
        })?;
        let attempt = if contains_ignore_case(&output, marker.as_bytes()) {
            let _ = session.send_line("exit");
            let start = session.transcript.len().saturating_sub(300);
            let proof = excerpt(session.transcript.get(start..).unwrap_or_default(), 300);
            Attempt::Accepted {
                proof: format!("login {user}:{password}; `echo` marker {marker} echoed:\n{proof}"),
            }
        } else if looks_rejected(&output) {
            Attempt::Rejected
        } else {
            Attempt::Unproven(format!(
                "no rejection but the marker command was not echoed (got \"{}\")",
                excerpt(&output, 80)
            ))
        };
        // After a marker exchange the connection is in an unknown state: never reused.
        Ok(LoginEnd {
            attempt,
            reusable: None,
        })
    }

    fn try_login(&self, user: &str, password: &str) -> Result<LoginEnd, NetError> {
        match self.open()? {
            Ok(open) => self.login(open, user, password),
            Err(attempt) => Ok(LoginEnd {
                attempt,
                reusable: None,
            }),
        }
    }
}

fn attempt_of(result: Result<LoginEnd, NetError>) -> (Attempt, Option<OpenLogin>) {
    match result {
        Ok(end) => (end.attempt, end.reusable),
        Err(error @ (NetError::Dropped | NetError::Timeout(_) | NetError::Refused)) => {
            (Attempt::Dropped(error.to_string()), None)
        }
        Err(error) => (Attempt::Failed(error.to_string()), None),
    }
}

impl Authenticator for TelnetAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        attempt_of(self.try_login(user, password)).0
    }

    fn session(&self) -> Box<dyn LoginSession + '_> {
        Box::new(TelnetSession {
            authenticator: self,
            kept: None,
        })
    }
}

/// One worker's logins, on one connection for as long as the device re-prompts after a
/// failure (busybox login: three tries, then it closes).
struct TelnetSession<'a> {
    authenticator: &'a TelnetAuthenticator,
    kept: Option<OpenLogin>,
}

impl LoginSession for TelnetSession<'_> {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt {
        let authenticator = self.authenticator;
        if let Some(mut open) = self.kept.take() {
            // A kept connection that closed or did not re-prompt is not a drop by the device:
            // the attempt is made on a new connection instead.
            if let Ok(true) = authenticator.back_at_prompt(&mut open) {
                let (attempt, reusable) = attempt_of(authenticator.login(open, user, password));
                if !matches!(attempt, Attempt::Dropped(_)) {
                    self.kept = reusable.filter(|_| authenticator.reuse.load(Ordering::Relaxed));
                    return attempt;
                }
            }
        }
        let (attempt, reusable) = attempt_of(authenticator.try_login(user, password));
        self.kept = reusable.filter(|_| authenticator.reuse.load(Ordering::Relaxed));
        attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_refuses_all_but_echo_and_sga() {
        let input = [
            IAC,
            DO,
            24,
            b'h',
            IAC,
            WILL,
            OPTION_ECHO,
            IAC,
            IAC,
            IAC,
            SB,
            24,
            1,
            IAC,
            SE,
            b'i',
            IAC,
            DO,
            OPTION_SUPPRESS_GO_AHEAD,
            IAC,
        ];
        let (data, replies) = negotiate(&input);
        assert_eq!(data, vec![b'h', IAC, b'i']);
        assert_eq!(
            replies,
            vec![
                IAC,
                WONT,
                24,
                IAC,
                DO,
                OPTION_ECHO,
                IAC,
                WILL,
                OPTION_SUPPRESS_GO_AHEAD
            ]
        );
    }

    #[test]
    fn prompts_are_recognised() {
        assert!(is_login_prompt(b"\r\nrouter login: "));
        assert!(is_password_prompt(b"Password: "));
        assert!(!is_login_prompt(b"Last login: Mon\n# "));
        assert!(looks_rejected(b"\r\nLogin incorrect\r\n"));
    }
}
