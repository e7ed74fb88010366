//! FTP: USER/PASS logins; a 230 reply followed by a working PWD is the proof. A worker keeps
//! its control connection after a 530 for the next USER while the server allows it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::login::{Attempt, Authenticator, LoginSession};
use crate::net::{Conn, NetError, excerpt};

/// Whether `bytes` ends with a complete FTP reply (a line `NNN text`, not `NNN-` continuation).
fn reply_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    if !text.ends_with('\n') {
        return false;
    }
    text.lines().any(|line| {
        let code = line.get(..3).unwrap_or_default();
        code.len() == 3
            && code.bytes().all(|byte| byte.is_ascii_digit())
            && line.as_bytes().get(3) == Some(&b' ')
    })
}

/// The code of the final line of a reply.
pub fn reply_code(bytes: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|line| line.as_bytes().get(3) == Some(&b' '))
        .and_then(|line| line.get(..3))
        .and_then(|code| code.parse().ok())
}

fn read_reply(conn: &mut Conn) -> Result<Vec<u8>, NetError> {
    conn.read_until(16 * 1024, reply_complete)
}

/// FTP logins against one service.
#[derive(Debug, Clone)]
pub struct FtpAuthenticator {
    pub addr: SocketAddr,
    pub timeout: Duration,
}

impl FtpAuthenticator {
    /// Connects and reads the greeting.
    fn open(&self) -> Result<Result<Conn, Attempt>, NetError> {
        let mut conn = Conn::connect(self.addr, self.timeout)?;
        let greeting = read_reply(&mut conn)?;
        match reply_code(&greeting) {
            Some(220) => Ok(Ok(conn)),
            Some(421) | None => Ok(Err(Attempt::Dropped(format!(
                "greeting \"{}\"",
                excerpt(&greeting, 60)
            )))),
            Some(code) => Ok(Err(Attempt::Failed(format!("greeting code {code}")))),
        }
    }

    /// USER/PASS on a connection waiting for USER. A rejection returns the connection when
    /// it is still open: FTP takes another USER after a 530 (vsftpd: 3 tries, then it closes).
    fn login(
        &self,
        mut conn: Conn,
        user: &str,
        password: &str,
    ) -> Result<(Attempt, Option<Conn>), NetError> {
        let rejected = |conn: Conn| {
            let keep = !conn.is_closed();
            Ok((Attempt::Rejected, keep.then_some(conn)))
        };
        conn.write_all(format!("USER {user}\r\n").as_bytes())?;
        let user_reply = read_reply(&mut conn)?;
        let code = reply_code(&user_reply);
        let pass_reply = match code {
            Some(331) | Some(332) => {
                conn.write_all(format!("PASS {password}\r\n").as_bytes())?;
                read_reply(&mut conn)?
            }
            Some(230) => user_reply.clone(),
            Some(421) | None => return Ok((Attempt::Dropped("no answer to USER".into()), None)),
            Some(_) => return rejected(conn),
        };
        match reply_code(&pass_reply) {
            Some(230) => {}
            Some(421) | None => return Ok((Attempt::Dropped("no answer to PASS".into()), None)),
            Some(_) => return rejected(conn),
        }
        conn.write_all(b"PWD\r\n")?;
        let pwd = read_reply(&mut conn)?;
        let _ = conn.write_all(b"QUIT\r\n");
        let attempt = if reply_code(&pwd) == Some(257) {
            Attempt::Accepted {
                proof: format!(
                    "USER {user} / PASS {password} -> {}PWD -> {}",
                    excerpt(&pass_reply, 120),
                    excerpt(&pwd, 120)
                ),
            }
        } else {
            Attempt::Unproven(format!("230 but PWD answered \"{}\"", excerpt(&pwd, 60)))
        };
        Ok((attempt, None))
    }

    fn try_login(&self, user: &str, password: &str) -> Result<(Attempt, Option<Conn>), NetError> {
        match self.open()? {
            Ok(conn) => self.login(conn, user, password),
            Err(attempt) => Ok((attempt, None)),
        }
    }
}

fn attempt_of(result: Result<(Attempt, Option<Conn>), NetError>) -> (Attempt, Option<Conn>) {
    match result {
        Ok(outcome) => outcome,
        Err(error @ (NetError::Dropped | NetError::Timeout(_) | NetError::Refused)) => {
            (Attempt::Dropped(error.to_string()), None)
        }
        Err(error) => (Attempt::Failed(error.to_string()), None),
    }
}

fn check_credential(user: &str, password: &str) -> Result<(), Attempt> {
    if user.contains(['\r', '\n']) || password.contains(['\r', '\n']) {
        return Err(Attempt::Failed("credential contains a line break".into()));
    }
    Ok(())
}

impl Authenticator for FtpAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        if let Err(attempt) = check_credential(user, password) {
            return attempt;
        }
        attempt_of(self.try_login(user, password)).0
    }

    fn session(&self) -> Box<dyn LoginSession + '_> {
        Box::new(FtpSession {
            authenticator: self,
            kept: None,
        })
    }
}

/// One worker's logins, on one control connection while the server takes another USER.
struct FtpSession<'a> {
    authenticator: &'a FtpAuthenticator,
    kept: Option<Conn>,
}

impl LoginSession for FtpSession<'_> {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt {
        if let Err(attempt) = check_credential(user, password) {
            return attempt;
        }
        let authenticator = self.authenticator;
        if let Some(conn) = self.kept.take() {
            // A kept connection the server closed (its limit of tries) is not a drop by the
            // device: the attempt is made again on a new connection.
            let (attempt, reusable) = attempt_of(authenticator.login(conn, user, password));
            if !matches!(attempt, Attempt::Dropped(_)) {
                self.kept = reusable;
                return attempt;
            }
        }
        let (attempt, reusable) = attempt_of(authenticator.try_login(user, password));
        self.kept = reusable;
        attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_replies() {
        assert!(!reply_complete(b"220-Welcome\r\n"));
        assert!(reply_complete(b"220-Welcome\r\n220 Ready\r\n"));
        assert_eq!(
            reply_code(b"230-Hi\r\n230 Login successful.\r\n"),
            Some(230)
        );
        assert_eq!(reply_code(b"x"), None);
    }
}
