//! Full TLS connections with rustls (TLS 1.2 and 1.3): HTTPS logins on device admin pages,
//! the certificate of TLS 1.3-only servers (encrypted in the handshake, so the hand-built
//! ClientHello cannot see it), and security.txt over HTTPS with real certificate validation.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned};

use crate::net::NetError;

/// How the server certificate is judged.
#[derive(Debug, Clone)]
pub enum Verification {
    /// Probing a device: any certificate is accepted (its flaws are reported separately),
    /// but handshake signatures are still checked.
    AcceptAny,
    /// Fetching a public document: the web PKI (Mozilla's roots) plus these DER roots.
    WebPki { extra_roots: Vec<Vec<u8>> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsClientError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any certificate chain; verifies handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn config(verification: &Verification) -> Result<ClientConfig, TlsClientError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsClientError::Handshake(error.to_string()))?;
    Ok(match verification {
        Verification::AcceptAny => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        Verification::WebPki { extra_roots } => {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            for der in extra_roots {
                roots
                    .add(CertificateDer::from(der.clone()))
                    .map_err(|error| {
                        TlsClientError::Handshake(format!("bad extra root: {error}"))
                    })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    })
}

/// An established TLS connection.
#[derive(Debug)]
pub struct TlsConnection {
    stream: StreamOwned<ClientConnection, TcpStream>,
    timeout: Duration,
}

impl TlsConnection {
    /// Connects and completes the handshake (every step under `timeout`).
    pub fn connect(
        addr: SocketAddr,
        host: &str,
        timeout: Duration,
        verification: &Verification,
    ) -> Result<TlsConnection, TlsClientError> {
        let config = Arc::new(config(verification)?);
        let name = ServerName::try_from(host.to_owned()).map_err(|error| {
            TlsClientError::Handshake(format!("bad server name {host}: {error}"))
        })?;
        let connection = ClientConnection::new(config, name)
            .map_err(|error| TlsClientError::Handshake(error.to_string()))?;
        let socket = TcpStream::connect_timeout(&addr, timeout).map_err(|error| {
            TlsClientError::Net(match error.kind() {
                ErrorKind::ConnectionRefused => NetError::Refused,
                ErrorKind::TimedOut | ErrorKind::WouldBlock => NetError::Timeout(timeout),
                _ => NetError::Other(error.to_string()),
            })
        })?;
        socket
            .set_read_timeout(Some(timeout))
            .and_then(|()| socket.set_write_timeout(Some(timeout)))
            .map_err(|error| TlsClientError::Net(NetError::Other(error.to_string())))?;
        let mut stream = StreamOwned::new(connection, socket);
        let deadline = Instant::now() + timeout;
        while stream.conn.is_handshaking() {
            if Instant::now() >= deadline {
                return Err(TlsClientError::Net(NetError::Timeout(timeout)));
            }
            stream
                .conn
                .complete_io(&mut stream.sock)
                .map_err(|error| match error.kind() {
                    ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                        TlsClientError::Net(NetError::Timeout(timeout))
                    }
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof => {
                        TlsClientError::Net(NetError::Dropped)
                    }
                    _ => TlsClientError::Handshake(error.to_string()),
                })?;
        }
        Ok(TlsConnection { stream, timeout })
    }

    /// The DER certificates the server presented, leaf first.
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.stream
            .conn
            .peer_certificates()
            .map(|chain| chain.iter().take(10).map(|der| der.to_vec()).collect())
            .unwrap_or_default()
    }

    /// Sends `request` and reads until `done` accepts the bytes, the peer closes, `limit`
    /// bytes arrived or the timeout passes.
    pub fn request(
        &mut self,
        request: &[u8],
        limit: usize,
        done: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, TlsClientError> {
        let timeout = self.timeout;
        self.stream
            .write_all(request)
            .and_then(|()| self.stream.flush())
            .map_err(|error| TlsClientError::Net(NetError::Other(error.to_string())))?;
        let deadline = Instant::now() + timeout;
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        while !done(&received) && received.len() < limit && Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(count) => {
                    let room = limit.saturating_sub(received.len());
                    received.extend_from_slice(chunk.get(..count.min(room)).unwrap_or_default());
                }
                // Devices often close without close_notify: what arrived is the answer.
                Err(error) if error.kind() == ErrorKind::UnexpectedEof => break,
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    break;
                }
                Err(error) => {
                    if received.is_empty() {
                        return Err(TlsClientError::Net(NetError::Other(error.to_string())));
                    }
                    break;
                }
            }
        }
        Ok(received)
    }
}
