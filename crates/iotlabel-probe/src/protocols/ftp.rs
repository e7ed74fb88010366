//! FTP: USER/PASS logins; a 230 reply followed by a working PWD is the proof.

use std::net::SocketAddr;
use std::time::Duration;

use crate::login::{Attempt, Authenticator};
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
    fn try_login(&self, user: &str, password: &str) -> Result<Attempt, NetError> {
        let mut conn = Conn::connect(self.addr, self.timeout)?;
        let greeting = read_reply(&mut conn)?;
        match reply_code(&greeting) {
            Some(220) => {}
            Some(421) | None => {
                return Ok(Attempt::Dropped(format!(
                    "greeting \"{}\"",
                    excerpt(&greeting, 60)
                )));
            }
            Some(code) => return Ok(Attempt::Failed(format!("greeting code {code}"))),
        }
        conn.write_all(format!("USER {user}\r\n").as_bytes())?;
        let user_reply = read_reply(&mut conn)?;
        let code = reply_code(&user_reply);
        let pass_reply = match code {
            Some(331) | Some(332) => {
                conn.write_all(format!("PASS {password}\r\n").as_bytes())?;
                read_reply(&mut conn)?
            }
            Some(230) => user_reply.clone(),
            Some(421) | None => return Ok(Attempt::Dropped("no answer to USER".into())),
            Some(_) => return Ok(Attempt::Rejected),
        };
        match reply_code(&pass_reply) {
            Some(230) => {}
            Some(421) | None => return Ok(Attempt::Dropped("no answer to PASS".into())),
            Some(_) => return Ok(Attempt::Rejected),
        }
        conn.write_all(b"PWD\r\n")?;
        let pwd = read_reply(&mut conn)?;
        let _ = conn.write_all(b"QUIT\r\n");
        if reply_code(&pwd) == Some(257) {
            Ok(Attempt::Accepted {
                proof: format!(
                    "USER {user} / PASS {password} -> {}PWD -> {}",
                    excerpt(&pass_reply, 120),
                    excerpt(&pwd, 120)
                ),
            })
        } else {
            Ok(Attempt::Unproven(format!(
                "230 but PWD answered \"{}\"",
                excerpt(&pwd, 60)
            )))
        }
    }
}

impl Authenticator for FtpAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        if user.contains(['\r', '\n']) || password.contains(['\r', '\n']) {
            return Attempt::Failed("credential contains a line break".into());
        }
        match self.try_login(user, password) {
            Ok(attempt) => attempt,
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
