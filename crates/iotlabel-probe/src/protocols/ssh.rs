//! SSH password logins with russh, offering the legacy key exchanges, host-key types, ciphers
//! and MACs that old dropbear builds need (group1/group14-sha1, ssh-rsa, ssh-dss, CBC, SHA-1).
//! Proof is an authenticated session that runs an echo of a marker; a session without exec
//! support is still proof of login (the server said "success" to the password).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Config, Handler};
use russh::keys::{Algorithm, EcdsaCurve, HashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Preferred, cipher, kex, mac};

use crate::login::{Attempt, Authenticator};
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
#[derive(Debug, Clone)]
pub struct SshAuthenticator {
    pub addr: SocketAddr,
    pub timeout: Duration,
}

enum Failure {
    Dropped(String),
    Failed(String),
}

impl SshAuthenticator {
    async fn try_login(&self, user: &str, password: &str) -> Result<Attempt, Failure> {
        let timeout = self.timeout;
        let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(self.addr))
            .await
            .map_err(|_| Failure::Dropped(format!("connect timed out after {timeout:?}")))?
            .map_err(|error| Failure::Dropped(error.to_string()))?;
        let recorder = KeyRecorder::default();
        let host_key = recorder.host_key.clone();
        let config = Arc::new(legacy_config(timeout));
        let mut handle =
            tokio::time::timeout(timeout, client::connect_stream(config, stream, recorder))
                .await
                .map_err(|_| Failure::Dropped("key exchange timed out".into()))?
                .map_err(|error| match error {
                    russh::Error::Disconnect | russh::Error::IO(_) | russh::Error::HUP => {
                        Failure::Dropped(error.to_string())
                    }
                    other => Failure::Failed(format!("key exchange failed: {other}")),
                })?;
        let result = tokio::time::timeout(timeout, handle.authenticate_password(user, password))
            .await
            .map_err(|_| Failure::Dropped("no answer to the password".into()))?
            .map_err(|error| Failure::Dropped(error.to_string()))?;
        if !result.success() {
            return Ok(Attempt::Rejected);
        }
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
        Ok(Attempt::Accepted { proof })
    }
}

impl Authenticator for SshAuthenticator {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => return Attempt::Failed(format!("no async runtime: {error}")),
        };
        match runtime.block_on(self.try_login(user, password)) {
            Ok(attempt) => attempt,
            Err(Failure::Dropped(why)) => Attempt::Dropped(why),
            Err(Failure::Failed(why)) => Attempt::Failed(why),
        }
    }
}
