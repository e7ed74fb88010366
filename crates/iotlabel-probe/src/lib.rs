//! iotlabel-probe: live checks of one device, the only crate that opens sockets to devices.
//! `probe` scans the ports the user named, identifies services, and runs the checks for
//! default credentials (5.1-1), brute-force resistance (5.1-5), transport security (5.5-1),
//! attack surface (5.6-1) and the disclosure policy (5.2-1), returning the shared report
//! envelope with a proof in every positive and every check in the checks-run list.

pub mod bruteforce;
pub mod checks;
pub mod collect;
pub mod credentials;
pub mod identify;
pub mod login;
pub mod net;
pub mod protocols;
pub mod security_txt;
pub mod target;

use std::net::SocketAddr;
use std::time::Duration;

use iotlabel_core::report::{Report, Target, Tool};

pub use credentials::{CredentialList, CredentialPair};
pub use identify::{Service, ServiceKind};
pub use target::{ProbeTarget, TargetError, parse_ports, parse_targets};

/// The usual IoT TCP ports probed when the user names none.
pub const DEFAULT_TCP_PORTS: &[u16] = &[
    21, 22, 23, 80, 443, 554, 1883, 2323, 5000, 7547, 8000, 8080, 8081, 8443, 8554, 8883, 49152,
];

/// The SNMP ports tried when the user names none.
pub const DEFAULT_UDP_PORTS: &[u16] = &[161];

/// The UPnP discovery (SSDP) port.
pub const DEFAULT_SSDP_PORTS: &[u16] = &[1900];

/// How to probe. `Default` is the polite configuration.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// TCP ports to scan when the target names none.
    pub ports: Vec<u16>,
    /// UDP ports tried as SNMP (v1/v2c communities).
    pub udp_ports: Vec<u16>,
    /// UDP ports sent an SSDP M-SEARCH (UPnP exposure).
    pub ssdp_ports: Vec<u16>,
    /// Ports whose protocol the user states (skips identification).
    pub services: Vec<(u16, ServiceKind)>,
    /// The limit on every connect, read and write.
    pub timeout: Duration,
    /// How long to wait for a service to speak first.
    pub banner_wait: Duration,
    /// Parallel connections per service for credential checks.
    pub concurrency: usize,
    /// Services checked at the same time (each with `concurrency` connections).
    pub parallel_services: usize,
    /// Parallel connects of the port scan.
    pub scan_concurrency: usize,
    /// Default credentials to try (default: `CredentialList::bundled()`; empty lists make
    /// the login checks report `skipped`).
    pub credentials: CredentialList,
    /// Retries of one credential pair after a dropped connection.
    pub login_retries: u32,
    /// The first pause after a dropped connection (doubled on each further drop).
    pub backoff: Duration,
    /// Failed logins made by the brute-force resistance check (0 turns it off).
    pub brute_force_attempts: usize,
    /// The manufacturer's security.txt URL (`https://` normally) to validate.
    pub security_txt_url: Option<String>,
    /// Extra trust anchors (DER) for fetching security.txt over HTTPS, beyond Mozilla's roots.
    pub trusted_roots: Vec<Vec<u8>>,
    /// The time used for expiry checks (certificates, security.txt); `None` = the clock.
    pub now: Option<time::OffsetDateTime>,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            ports: DEFAULT_TCP_PORTS.to_vec(),
            udp_ports: DEFAULT_UDP_PORTS.to_vec(),
            ssdp_ports: DEFAULT_SSDP_PORTS.to_vec(),
            services: Vec::new(),
            timeout: Duration::from_secs(5),
            banner_wait: Duration::from_millis(1500),
            concurrency: 4,
            parallel_services: 4,
            scan_concurrency: 16,
            credentials: CredentialList::bundled(),
            login_retries: 3,
            backoff: Duration::from_millis(500),
            brute_force_attempts: 10,
            security_txt_url: None,
            trusted_roots: Vec::new(),
            now: None,
        }
    }
}

/// What the prober is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    PortsScanned {
        open: Vec<u16>,
        scanned: usize,
    },
    ServiceIdentified {
        port: u16,
        service: String,
        banner: String,
    },
    CheckStarted {
        check: String,
        port: Option<u16>,
    },
    CheckFinished {
        check: String,
        port: Option<u16>,
        outcome: String,
    },
}

/// State of one TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortState {
    Open,
    /// Connection refused: nothing listening.
    Closed,
    /// No answer within the timeout (filtered or down).
    NoAnswer,
    Error(String),
}

/// Connect-scans `ports` on `address`, `concurrency` at a time.
pub fn scan_ports(
    address: std::net::IpAddr,
    ports: &[u16],
    timeout: Duration,
    concurrency: usize,
) -> Vec<(u16, PortState)> {
    let mut results = Vec::with_capacity(ports.len());
    for chunk in ports.chunks(concurrency.max(1)) {
        let states: Vec<(u16, PortState)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&port| {
                    scope.spawn(move || {
                        let addr = SocketAddr::new(address, port);
                        let state = match net::Conn::connect(addr, timeout) {
                            Ok(_) => PortState::Open,
                            Err(net::NetError::Refused) => PortState::Closed,
                            Err(net::NetError::Timeout(_)) => PortState::NoAnswer,
                            Err(error) => PortState::Error(error.to_string()),
                        };
                        (port, state)
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(chunk)
                .map(|(handle, &port)| {
                    handle
                        .join()
                        .unwrap_or((port, PortState::Error("the scan thread panicked".into())))
                })
                .collect()
        });
        results.extend(states);
    }
    results
}

/// Probes one device and returns the report. Never fails: what could not be checked is in
/// the checks-run list (outcome `error`, `indeterminate` or `skipped`) and the diagnostics.
pub fn probe(
    target: &ProbeTarget,
    options: &ProbeOptions,
    progress: &mut dyn FnMut(&ProgressEvent),
) -> Report {
    let started = time::OffsetDateTime::now_utc();
    let ports = if target.ports.is_empty() {
        options.ports.clone()
    } else {
        target.ports.clone()
    };
    let mut collector = collect::Collector::new(&target.host);
    checks::run_all(target, &ports, options, &mut collector, progress);
    Report {
        schema_version: iotlabel_core::SCHEMA_VERSION,
        tool: Tool {
            name: "iotlabel".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: Target::Device {
            host: target.host.clone(),
            ports,
        },
        started,
        finished: time::OffsetDateTime::now_utc(),
        findings: collector.findings,
        checks: collector.checks,
        diagnostics: collector.diagnostics,
        components: Vec::new(),
        unpacked: None,
        stats: None,
    }
}
