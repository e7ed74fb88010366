//! SSH password logins with russh, offering the legacy key exchanges, host-key types, ciphers
//! and MACs that old dropbear builds need (group1/group14-sha1, ssh-rsa, ssh-dss, CBC, SHA-1).
//! Proof is an authenticated session that runs an echo of a marker; a session without exec
//! support is still proof of login (the server said "success" to the password). A worker
//! keeps its connection (after key exchange) for the next password of the same user while
//! the server answers failures, as SSH allows several tries per connection.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult, Config, Handler};
use russh::keys::{Algorithm, EcdsaCurve, HashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Preferred, cipher, kex, mac};

use crate::login::{Attempt, Authenticator, LoginSession};
use crate::net::{excerpt, random_token};

const KEX: &[kex::Name] = &[
    kex::CURVE25519,
    kex::CURVE25519_PRE_RFC_8731,
    kex::ECDH_SHA2_NISTP256,
    kex::ECDH_SHA2_NISTP384,
    kex::ECDH_SHA2_NISTP521,
    kex::DH_GEX_SHA256,
    kex::DH_G16_SHA512,
    kex::DH_G14_SHA256,
    kex::DH_G14_SHA1,
    kex::DH_GEX_SHA1,
    kex::DH_G1_SHA1,
    kex::EXTENSION_SUPPORT_AS_CLIENT,
];

const KEYS: &[Algorithm] = &[
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
    Algorithm::Rsa { hash: None },
    Algorithm::Dsa,
];

const CIPHERS: &[cipher::Name] = &[
    cipher::CHACHA20_POLY1305,
    cipher::AES_256_GCM,
    cipher::AES_128_GCM,
    cipher::AES_256_CTR,
    cipher::AES_192_CTR,
    cipher::AES_128_CTR,
    cipher::AES_256_CBC,
    cipher::AES_192_CBC,
    cipher::AES_128_CBC,
    cipher::TRIPLE_DES_CBC,
];

const MACS: &[mac::Name] = &[
    mac::HMAC_SHA256_ETM,
    mac::HMAC_SHA512_ETM,
    mac::HMAC_SHA256,
    mac::HMAC_SHA512,
    mac::HMAC_SHA1_ETM,
    mac::HMAC_SHA1,
];

/// The client configuration: modern algorithms first, legacy ones after.
pub fn legacy_config(timeout: Duration) -> Config {
    Config {
        preferred: Preferred {
            kex: Cow::Borrowed(KEX),
            key: Cow::Borrowed(KEYS),
            cipher: Cow::Borrowed(CIPHERS),
            mac: Cow::Borrowed(MACS),
            ..Preferred::default()
        },
        inactivity_timeout: Some(timeout),
        nodelay: true,
        ..Config::default()
    }
}

/// Accepts any host key (the probe is not authenticating the device) and remembers it.
#[derive(Debug, Clone, Default)]
struct KeyRecorder {
    host_key: Arc<Mutex<Option<String>>>,
}

impl Handler for KeyRecorder {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let description = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256))
            }
            PublicKeyOrCertificate::Certificate(certificate) => {
                format!("certificate {}", certificate.algorithm())
            }
        };
        if let Ok(mut slot) = self.host_key.lock() {
            *slot = Some(description);
        }
        Ok(true)
    }
}

/// SSH password logins against one service.
#[derive(Debug)]
pub struct SshAuthenticator {
    pub addr: SocketAddr,
    pub timeout: Duration,
}

enum Failure {
    Dropped(String),
    Failed(String),
}

/// An SSH connection after key exchange, kept for the next password of the same user while
/// the server allows more tries (dropbear: 10, OpenSSH: MaxAuthTries 6). Only the same user:
/// dropbear and OpenSSH both close the connection when the user name changes.
struct Connection {
    handle: client::Handle<KeyRecorder>,
    host_key: Arc<Mutex<Option<String>>>,
    user: String,
}

impl SshAuthenticator {
    pub fn new(addr: SocketAddr, timeout: Duration) -> SshAuthenticator {
        SshAuthenticator { addr, timeout }
    }

    async fn connect(&self) -> Result<Connection, Failure> {
        let timeout = self.timeout;
        let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(self.addr))
            .await
            .map_err(|_| Failure::Dropped(format!("connect timed out after {timeout:?}")))?
            .map_err(|error| Failure::Dropped(error.to_string()))?;
        let recorder = KeyRecorder::default();
        let host_key = recorder.host_key.clone();
        let config = Arc::new(legacy_config(timeout));
        let handle =
            tokio::time::timeout(timeout, client::connect_stream(config, stream, recorder))
                .await
                .map_err(|_| Failure::Dropped("key exchange timed out".into()))?
                .map_err(|error| match error {
                    russh::Error::Disconnect | russh::Error::IO(_) | russh::Error::HUP => {
                        Failure::Dropped(error.to_string())
                    }
                    other => Failure::Failed(format!("key exchange failed: {other}")),
                })?;
        Ok(Connection {
            handle,
            host_key,
            user: String::new(),
        })
    }

    /// One password on an established connection. `Ok(Some(connection))` is a rejection
    /// with the connection still usable for another try.
    async fn login(
        &self,
        mut connection: Connection,
        user: &str,
        password: &str,
    ) -> Result<(Attempt, Option<Connection>), Failure> {
        let timeout = self.timeout;
        connection.user = user.to_owned();
        let result = tokio::time::timeout(
            timeout,
            connection.handle.authenticate_password(user, password),
        )
        .await
        .map_err(|_| Failure::Dropped("no answer to the password".into()))?
        .map_err(|error| Failure::Dropped(error.to_string()))?;
        if let AuthResult::Failure {
            remaining_methods, ..
        } = &result
        {
            // russh reports a connection closed before the answer as a failure with no
            // methods left; a real USERAUTH_FAILURE lists the methods that can continue.
            if remaining_methods.is_empty() {
                return Err(Failure::Dropped(
                    "the connection closed before the server answered the password".into(),
                ));
            }
            let keep = !connection.handle.is_closed();
            return Ok((Attempt::Rejected, keep.then_some(connection)));
        }
        let Connection {
            handle, host_key, ..
        } = connection;
        Ok((prove(handle, host_key, user, password, timeout).await, None))
    }

    async fn try_login(&self, user: &str, password: &str) -> Result<Attempt, Failure> {
        let connection = self.connect().await?;
        Ok(self.login(connection, user, password).await?.0)
    }
}

/// After USERAUTH_SUCCESS: runs an echo of a marker for the proof, then disconnects.
async fn prove(
    handle: client::Handle<KeyRecorder>,
    host_key: Arc<Mutex<Option<String>>>,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Attempt {
    let key = host_key
        .lock()
        .ok()
        .and_then(|slot| slot.clone())
        .unwrap_or_default();
    let token = random_token(10);
    let marker = format!("IOTLABEL{token}");
    let echoed = tokio::time::timeout(timeout, async {
        let mut channel = handle.channel_open_session().await.ok()?;
        channel
            .exec(true, format!("echo IOTLABEL\"\"{token}"))
            .await
            .ok()?;
        let mut output = Vec::new();
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Data { data } => {
                    output.extend_from_slice(&data);
                    if output.len() > 4096 {
                        break;
                    }
                }
                ChannelMsg::Eof | ChannelMsg::Close => break,
                _ => {}
            }
        }
        Some(output)
    })
    .await
    .ok()
    .flatten();
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    let proof = match echoed {
        Some(output) if String::from_utf8_lossy(&output).contains(&marker) => format!(
            "SSH password login {user}:{password} succeeded (host key {key}); exec `echo` printed {}",
            excerpt(&output, 80).trim()
        ),
        _ => format!(
            "SSH password login {user}:{password} succeeded (host key {key}): the server answered USERAUTH_SUCCESS; exec was not available"
        ),
    };
    Attempt::Accepted { proof }
}

fn runtime() -> Result<tokio::runtime::Runtime, Attempt> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Attempt::Failed(format!("no async runtime: {error}")))
}

fn attempt_of(result: Result<Attempt, Failure>) -> Attempt {
    match result {
        Ok(attempt) => attempt,
        Err(Failure::Dropped(why)) => Attempt::Dropped(why),
        Err(Failure::Failed(why)) => Attempt::Failed(why),
    }
}

impl Authenticator for SshAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        match runtime() {
            Ok(runtime) => attempt_of(runtime.block_on(self.try_login(user, password))),
            Err(attempt) => attempt,
        }
    }

    fn session(&self) -> Box<dyn LoginSession + '_> {
        Box::new(SshSession {
            authenticator: self,
            kept: None,
            runtime: runtime(),
        })
    }
}

/// One worker's logins on one connection while the server keeps answering failures.
struct SshSession<'a> {
    authenticator: &'a SshAuthenticator,
    // Declared before the runtime: the connection is dropped while its runtime still exists.
    kept: Option<Connection>,
    runtime: Result<tokio::runtime::Runtime, Attempt>,
}

impl LoginSession for SshSession<'_> {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt {
        let authenticator = self.authenticator;
        let runtime = match &self.runtime {
            Ok(runtime) => runtime,
            Err(attempt) => return attempt.clone(),
        };
        if let Some(connection) = self.kept.take().filter(|kept| kept.user == user) {
            // A kept connection the server closed (its limit of tries) is not a drop by the
            // device: the attempt is made again on a new connection.
            if let Ok((attempt, reusable)) =
                runtime.block_on(authenticator.login(connection, user, password))
            {
                self.kept = reusable;
                return attempt;
            }
        }
        let result = runtime.block_on(async {
            let connection = authenticator.connect().await?;
            authenticator.login(connection, user, password).await
        });
        match result {
            Ok((attempt, reusable)) => {
                self.kept = reusable;
                attempt
            }
            Err(failure) => attempt_of(Err(failure)),
        }
    }
}
