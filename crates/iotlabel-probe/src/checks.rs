//! The checks `probe` runs, in order: port scan, identification, then per service the
//! credential, brute-force, transport and exposure checks, then UDP services and security.txt.

use std::net::SocketAddr;

use iotlabel_core::report::{CheckOutcome, Confidence, Severity, Transport};
use serde_json::json;

use crate::bruteforce::{self, Resistance};
use crate::collect::{Collector, NewFinding};
use crate::identify::{self, Service, ServiceKind};
use crate::login::{self, Attempt, Authenticator, LoginPolicy};
use crate::protocols::{ftp, http, mqtt, snmp, ssh, telnet, tls};
use crate::{PortState, ProbeOptions, ProbeTarget, ProgressEvent, security_txt};

pub const CHECK_PORT_SCAN: &str = "network.port-scan";
pub const CHECK_OPEN_SERVICE: &str = "network.open-service";
pub const CHECK_DEFAULT_PASSWORD: &str = "credentials.default-password";
pub const CHECK_NEGATIVE_CONTROL: &str = "credentials.negative-control";
pub const CHECK_ANONYMOUS: &str = "credentials.anonymous-access";
pub const CHECK_BRUTE_FORCE: &str = "credentials.brute-force-resistance";
pub const CHECK_PLAINTEXT_ADMIN: &str = "transport.plaintext-admin";
pub const CHECK_TLS_VERSION: &str = "transport.tls-version";
pub const CHECK_TLS_CERTIFICATE: &str = "transport.tls-certificate";
pub const CHECK_UPNP: &str = "network.upnp-exposure";
pub const CHECK_SECURITY_TXT: &str = "disclosure.security-txt";
pub const CHECK_CONFIG_ENDPOINT: &str = "exposure.unauthenticated-config";

/// Every check id `probe` writes, with its provisions (for generated docs and the CLI).
pub const CHECKS: &[(&str, &[&str])] = &[
    (CHECK_PORT_SCAN, P_SURFACE),
    (CHECK_OPEN_SERVICE, P_SURFACE),
    (CHECK_DEFAULT_PASSWORD, P_CREDENTIALS),
    (CHECK_NEGATIVE_CONTROL, P_CREDENTIALS),
    (CHECK_ANONYMOUS, P_CREDENTIALS),
    (CHECK_BRUTE_FORCE, P_BRUTE_FORCE),
    (CHECK_PLAINTEXT_ADMIN, P_TRANSPORT),
    (CHECK_TLS_VERSION, P_TRANSPORT),
    (CHECK_TLS_CERTIFICATE, P_TRANSPORT),
    (CHECK_CONFIG_ENDPOINT, P_CONFIG),
    (CHECK_UPNP, P_SURFACE),
    (CHECK_SECURITY_TXT, P_DISCLOSURE),
];

const P_CREDENTIALS: &[&str] = &["5.1-1"];
const P_BRUTE_FORCE: &[&str] = &["5.1-5"];
const P_TRANSPORT: &[&str] = &["5.5-1"];
const P_SURFACE: &[&str] = &["5.6-1"];
const P_CONFIG: &[&str] = &["5.5-5", "5.6-1"];
const P_DISCLOSURE: &[&str] = &["5.2-1"];

fn outcome_name(outcome: CheckOutcome) -> String {
    format!("{outcome:?}").to_ascii_lowercase()
}

/// The provisions a check is evidence for.
fn provisions_of(check: &str) -> &'static [&'static str] {
    match check {
        CHECK_PORT_SCAN | CHECK_OPEN_SERVICE | CHECK_UPNP => P_SURFACE,
        CHECK_BRUTE_FORCE => P_BRUTE_FORCE,
        CHECK_CONFIG_ENDPOINT => P_CONFIG,
        CHECK_SECURITY_TXT => P_DISCLOSURE,
        CHECK_PLAINTEXT_ADMIN | CHECK_TLS_VERSION | CHECK_TLS_CERTIFICATE => P_TRANSPORT,
        _ => P_CREDENTIALS,
    }
}

fn record(
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
    check: &str,
    port: Option<u16>,
    outcome: CheckOutcome,
    coverage: Option<String>,
    reason: Option<String>,
) {
    collector.check(check, provisions_of(check), outcome, coverage, reason);
    progress(&ProgressEvent::CheckFinished {
        check: check.to_owned(),
        port,
        outcome: outcome_name(outcome),
    });
}

/// Runs every check on one target (called by `crate::probe`).
pub fn run_all(
    target: &ProbeTarget,
    ports: &[u16],
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let scan = crate::scan_ports(
        target.address,
        ports,
        options.timeout,
        options.scan_concurrency,
    );
    let open: Vec<u16> = scan
        .iter()
        .filter(|(_, state)| *state == PortState::Open)
        .map(|(port, _)| *port)
        .collect();
    let closed = scan
        .iter()
        .filter(|(_, state)| *state == PortState::Closed)
        .count();
    let silent: Vec<u16> = scan
        .iter()
        .filter(|(_, state)| *state == PortState::NoAnswer)
        .map(|(port, _)| *port)
        .collect();
    for (port, state) in &scan {
        if let PortState::Error(message) = state {
            collector.diagnostic(format!("{}:{port}", target.host), message.clone());
        }
    }
    progress(&ProgressEvent::PortsScanned {
        open: open.clone(),
        scanned: scan.len(),
    });
    let mut coverage = format!(
        "{} TCP ports scanned: {} open, {closed} closed (nothing listening), {} no answer within {:?}",
        scan.len(),
        open.len(),
        silent.len(),
        options.timeout
    );
    if !silent.is_empty() {
        coverage.push_str(&format!(" (timed out: {silent:?})"));
    }
    let errors = scan.len() - open.len() - closed - silent.len();
    let (outcome, reason) = if errors > 0 {
        (
            CheckOutcome::Error,
            Some(format!(
                "{errors} ports could not be scanned (see diagnostics)"
            )),
        )
    } else if open.is_empty() && silent.is_empty() {
        (
            CheckOutcome::Clean,
            Some("nothing listening on the scanned ports".into()),
        )
    } else if open.is_empty() {
        (CheckOutcome::Clean, None)
    } else {
        (CheckOutcome::Findings, None)
    };
    record(
        collector,
        progress,
        CHECK_PORT_SCAN,
        None,
        outcome,
        Some(coverage),
        reason,
    );

    run_services(target, &open, options, collector, progress);

    for &port in &options.udp_ports {
        check_snmp(
            target,
            SocketAddr::new(target.address, port),
            options,
            collector,
            progress,
        );
    }
    for &port in &options.ssdp_ports {
        check_upnp(
            target,
            SocketAddr::new(target.address, port),
            options,
            collector,
            progress,
        );
    }

    if let Some(url) = &options.security_txt_url {
        progress(&ProgressEvent::CheckStarted {
            check: CHECK_SECURITY_TXT.into(),
            port: None,
        });
        let now = options.now.unwrap_or_else(time::OffsetDateTime::now_utc);
        security_txt::check(url, options.timeout, now, &options.trusted_roots, collector);
    }
}

/// Identifies and checks every open port, `options.parallel_services` services at a time
/// (each with its own few connections); results are merged in port order and progress
/// events are passed on from the calling thread.
fn run_services(
    target: &ProbeTarget,
    open: &[u16],
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    let (sender, receiver) = std::sync::mpsc::channel::<ProgressEvent>();
    std::thread::scope(|scope| {
        for _ in 0..options
            .parallel_services
            .clamp(1, 32)
            .min(open.len().max(1))
        {
            let sender = sender.clone();
            let next = &next;
            let results = &results;
            scope.spawn(move || {
                let mut forward = |event: &ProgressEvent| {
                    let _ = sender.send(event.clone());
                };
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&port) = open.get(index) else {
                        break;
                    };
                    let mut own = Collector::new(&target.host);
                    probe_port(target, port, options, &mut own, &mut forward);
                    if let Ok(mut results) = results.lock() {
                        results.push((index, own));
                    }
                }
            });
        }
        drop(sender);
        while let Ok(event) = receiver.recv() {
            progress(&event);
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(index, _)| *index);
    for (_, own) in results {
        collector.findings.extend(own.findings);
        collector.checks.extend(own.checks);
        collector.diagnostics.extend(own.diagnostics);
    }
}

/// Identification, the open-service inventory entry and the service's checks for one port.
fn probe_port(
    target: &ProbeTarget,
    port: u16,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let addr = SocketAddr::new(target.address, port);
    let forced = options
        .services
        .iter()
        .find(|(known, _)| *known == port)
        .map(|(_, kind)| *kind);
    let service = match identify::identify(
        &target.host,
        addr,
        options.timeout,
        options.banner_wait,
        forced,
    ) {
        Ok(service) => service,
        Err(error) => {
            collector.diagnostic(
                format!("{}:{port}", target.host),
                format!("could not identify the service: {error}"),
            );
            Service {
                port,
                kind: ServiceKind::Unknown,
                banner: String::new(),
                first_response: None,
            }
        }
    };
    progress(&ProgressEvent::ServiceIdentified {
        port,
        service: service.kind.as_str().into(),
        banner: service.banner.clone(),
    });
    collector.finding(NewFinding {
        check: CHECK_OPEN_SERVICE,
        provisions: P_SURFACE,
        severity: Severity::Info,
        confidence: Confidence::Confirmed,
        port: Some(port),
        transport: Transport::Tcp,
        service: service.kind.as_str(),
        message: format!(
            "Port {port}/tcp is open ({}{}).",
            service.kind.as_str(),
            if service.banner.is_empty() {
                String::new()
            } else {
                format!(": {}", service.banner)
            }
        ),
        evidence: json!({"banner": service.banner, "proof": service.banner}),
        identity: &[],
    });
    check_service(target, addr, &service, options, collector, progress);
}

fn check_service(
    target: &ProbeTarget,
    addr: SocketAddr,
    service: &Service,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    let timeout = options.timeout;
    match service.kind {
        ServiceKind::Telnet => {
            collector.finding(NewFinding {
                check: CHECK_PLAINTEXT_ADMIN,
                provisions: P_TRANSPORT,
                severity: Severity::Medium,
                confidence: Confidence::Confirmed,
                port: Some(port),
                transport: Transport::Tcp,
                service: "telnet",
                message: format!("Telnet on port {port} carries logins in plaintext."),
                evidence: json!({"proof": service.banner}),
                identity: &[],
            });
            record(
                collector,
                progress,
                CHECK_PLAINTEXT_ADMIN,
                Some(port),
                CheckOutcome::Findings,
                Some(format!("telnet/{port}")),
                None,
            );
            let authenticator = telnet::TelnetAuthenticator::new(addr, timeout);
            credential_checks(&authenticator, "telnet", port, options, collector, progress);
        }
        ServiceKind::Ftp => {
            let authenticator = ftp::FtpAuthenticator { addr, timeout };
            credential_checks(&authenticator, "ftp", port, options, collector, progress);
        }
        ServiceKind::Mqtt => {
            check_mqtt_anonymous(addr, options, collector, progress);
            let authenticator = mqtt::MqttAuthenticator { addr, timeout };
            credential_checks(&authenticator, "mqtt", port, options, collector, progress);
        }
        ServiceKind::Http | ServiceKind::Rtsp => {
            check_http_like(target, addr, service, options, collector, progress);
        }
        ServiceKind::Https => {
            check_tls(target, addr, service, options, collector, progress);
            check_http_like(target, addr, service, options, collector, progress);
        }
        ServiceKind::Tls => {
            check_tls(target, addr, service, options, collector, progress);
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Skipped,
                Some(format!("tls/{port}")),
                Some("the protocol inside TLS was not identified".into()),
            );
        }
        ServiceKind::Ssh => {
            let authenticator = ssh::SshAuthenticator::new(addr, timeout);
            credential_checks(&authenticator, "ssh", port, options, collector, progress);
        }
        ServiceKind::Unknown => {
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Skipped,
                Some(format!("tcp/{port}")),
                Some("the service on this port was not identified".into()),
            );
        }
    }
}

/// The negative control, the list, and the brute-force check for one login service.
fn credential_checks(
    authenticator: &dyn Authenticator,
    service: &str,
    port: u16,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let pairs = &options.credentials.pairs;
    let place = format!("{service}/{port}");
    if pairs.is_empty() {
        record(
            collector,
            progress,
            CHECK_DEFAULT_PASSWORD,
            Some(port),
            CheckOutcome::Skipped,
            Some(place),
            Some("no credential list was given".into()),
        );
        return;
    }
    progress(&ProgressEvent::CheckStarted {
        check: CHECK_DEFAULT_PASSWORD.into(),
        port: Some(port),
    });
    let policy = LoginPolicy {
        concurrency: options.concurrency,
        retries: options.login_retries,
        backoff: options.backoff,
    };
    let run = login::run_credentials(authenticator, pairs, policy);
    let control = &run.control;
    let control_text = format!(
        "random credential {}:{} on {place}",
        control.user, control.password
    );
    let (control_outcome, control_reason, control_result) = match &control.result {
        Attempt::Rejected => (CheckOutcome::Clean, None, "rejected".to_owned()),
        Attempt::Accepted { proof } => (
            CheckOutcome::Indeterminate,
            Some("the service accepted a random password: it accepts any login, so no default can be proven".to_owned()),
            format!("accepted ({proof})"),
        ),
        Attempt::Unproven(why) => (
            CheckOutcome::Indeterminate,
            Some(format!("the random password was neither rejected nor proven: {why}")),
            "not rejected".to_owned(),
        ),
        Attempt::Dropped(why) => (
            CheckOutcome::Indeterminate,
            Some(format!("the connection was dropped or timed out: {why}")),
            "dropped".to_owned(),
        ),
        Attempt::Failed(why) => (
            CheckOutcome::Error,
            Some(why.clone()),
            "failed".to_owned(),
        ),
    };
    record(
        collector,
        progress,
        CHECK_NEGATIVE_CONTROL,
        Some(port),
        control_outcome,
        Some(format!("{control_text}: {control_result}")),
        control_reason.clone(),
    );

    let mut coverage = format!(
        "{} of {} credential pairs tried on {place} at {} connections ({} skipped after their account was found; {} dropped connections; {:.1} s)",
        run.tried,
        run.total,
        policy.concurrency,
        run.skipped_found,
        run.dropped,
        run.elapsed.as_secs_f64()
    );
    if !run.unproven.is_empty() {
        coverage.push_str(&format!("; {} logins not proven", run.unproven.len()));
    }
    if !run.given_up.is_empty() {
        let shown: Vec<&String> = run.given_up.iter().take(3).collect();
        coverage.push_str(&format!("; {} given up: {shown:?}", run.given_up.len()));
    }
    let (outcome, reason) = if control_outcome != CheckOutcome::Clean {
        (
            if control_outcome == CheckOutcome::Error {
                CheckOutcome::Error
            } else {
                CheckOutcome::Indeterminate
            },
            Some(format!(
                "negative control: {}",
                control_reason.unwrap_or_default()
            )),
        )
    } else if !run.accepted.is_empty() {
        (CheckOutcome::Findings, None)
    } else if !run.given_up.is_empty() {
        (
            CheckOutcome::Indeterminate,
            Some(format!(
                "{} pairs could not be tried (dropped connections or errors)",
                run.given_up.len()
            )),
        )
    } else {
        (CheckOutcome::Clean, None)
    };
    for (pair, proof) in &run.accepted {
        collector.finding(NewFinding {
            check: CHECK_DEFAULT_PASSWORD,
            provisions: P_CREDENTIALS,
            severity: Severity::Critical,
            confidence: Confidence::Confirmed,
            port: Some(port),
            transport: Transport::Tcp,
            service,
            message: format!(
                "{service} on port {port} accepts the default login {}:{} ({} list).",
                pair.user, pair.password, pair.list
            ),
            evidence: json!({
                "user": pair.user,
                "password": pair.password,
                "list": pair.list,
                "negative_control": format!("{}:{} rejected", control.user, control.password),
                "proof": proof,
            }),
            identity: &[pair.user.as_str()],
        });
    }
    record(
        collector,
        progress,
        CHECK_DEFAULT_PASSWORD,
        Some(port),
        outcome,
        Some(coverage),
        reason,
    );

    if options.brute_force_attempts == 0 {
        record(
            collector,
            progress,
            CHECK_BRUTE_FORCE,
            Some(port),
            CheckOutcome::Skipped,
            Some(place),
            Some("turned off (brute_force_attempts = 0)".into()),
        );
        return;
    }
    if control_outcome != CheckOutcome::Clean {
        record(
            collector,
            progress,
            CHECK_BRUTE_FORCE,
            Some(port),
            CheckOutcome::Skipped,
            Some(place),
            Some("the negative control did not give a clean rejection".into()),
        );
        return;
    }
    let (user, known_good) = match run.accepted.first() {
        Some((pair, _)) => (pair.user.clone(), Some(pair.password.clone())),
        None => (control.user.clone(), None),
    };
    progress(&ProgressEvent::CheckStarted {
        check: CHECK_BRUTE_FORCE.into(),
        port: Some(port),
    });
    let brute = bruteforce::assess(
        authenticator,
        &user,
        known_good.as_deref(),
        options.brute_force_attempts,
    );
    let timings: Vec<String> = brute
        .timings
        .iter()
        .map(|timing| format!("{:.2}", timing.as_secs_f64()))
        .collect();
    let coverage = format!(
        "{} failed logins for {user} on {place}{}; seconds per failure: [{}]",
        brute.timings.len(),
        if known_good.is_some() {
            ", then the known default"
        } else {
            ""
        },
        timings.join(", ")
    );
    match brute.resistance {
        Resistance::None { failures, slowest } => {
            collector.finding(NewFinding {
                check: CHECK_BRUTE_FORCE,
                provisions: P_BRUTE_FORCE,
                severity: Severity::Medium,
                confidence: Confidence::Likely,
                port: Some(port),
                transport: Transport::Tcp,
                service,
                message: format!(
                    "{service} on port {port} answered {failures} failed logins in a row without delay or lock-out."
                ),
                evidence: json!({
                    "user": user,
                    "failures": failures,
                    "slowest_seconds": slowest.as_secs_f64(),
                    "still_accepts_known_login": known_good.is_some(),
                    "proof": coverage,
                }),
                identity: &[],
            });
            record(
                collector,
                progress,
                CHECK_BRUTE_FORCE,
                Some(port),
                CheckOutcome::Findings,
                Some(coverage),
                None,
            );
        }
        Resistance::Locked { evidence, .. } => {
            record(
                collector,
                progress,
                CHECK_BRUTE_FORCE,
                Some(port),
                CheckOutcome::Clean,
                Some(format!("{coverage}; locked: {evidence}")),
                None,
            );
        }
        Resistance::GrowingDelay { first, last } => {
            record(
                collector,
                progress,
                CHECK_BRUTE_FORCE,
                Some(port),
                CheckOutcome::Clean,
                Some(format!(
                    "{coverage}; delay grew from {:.2} s to {:.2} s",
                    first.as_secs_f64(),
                    last.as_secs_f64()
                )),
                None,
            );
        }
        Resistance::FixedDelay { delay } => {
            record(
                collector,
                progress,
                CHECK_BRUTE_FORCE,
                Some(port),
                CheckOutcome::Clean,
                Some(format!(
                    "{coverage}; fixed delay of {:.2} s per failure",
                    delay.as_secs_f64()
                )),
                None,
            );
        }
        Resistance::Unknown(why) => {
            record(
                collector,
                progress,
                CHECK_BRUTE_FORCE,
                Some(port),
                CheckOutcome::Indeterminate,
                Some(coverage),
                Some(why),
            );
        }
    }
}

fn check_mqtt_anonymous(
    addr: SocketAddr,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    match mqtt::connect(addr, options.timeout, None) {
        Ok(Some(0)) => {
            collector.finding(NewFinding {
                check: CHECK_ANONYMOUS,
                provisions: P_CREDENTIALS,
                severity: Severity::High,
                confidence: Confidence::Confirmed,
                port: Some(port),
                transport: Transport::Tcp,
                service: "mqtt",
                message: format!("The MQTT broker on port {port} accepts connections without a user name."),
                evidence: json!({"proof": "CONNECT without user name or password -> CONNACK return code 0 (accepted)"}),
                identity: &[],
            });
            record(
                collector,
                progress,
                CHECK_ANONYMOUS,
                Some(port),
                CheckOutcome::Findings,
                Some(format!("mqtt/{port}")),
                None,
            );
        }
        Ok(Some(code)) => record(
            collector,
            progress,
            CHECK_ANONYMOUS,
            Some(port),
            CheckOutcome::Clean,
            Some(format!(
                "mqtt/{port}: anonymous CONNECT -> CONNACK {code} ({})",
                mqtt::connack_meaning(code)
            )),
            None,
        ),
        Ok(None) => record(
            collector,
            progress,
            CHECK_ANONYMOUS,
            Some(port),
            CheckOutcome::Indeterminate,
            Some(format!("mqtt/{port}")),
            Some("no CONNACK to an anonymous CONNECT".into()),
        ),
        Err(error) => record(
            collector,
            progress,
            CHECK_ANONYMOUS,
            Some(port),
            CheckOutcome::Indeterminate,
            Some(format!("mqtt/{port}")),
            Some(error.to_string()),
        ),
    }
}

fn check_http_like(
    target: &ProbeTarget,
    addr: SocketAddr,
    service: &Service,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    let name = service.kind.as_str();
    let first = match service.kind {
        // Identification may have spoken HTTP to it: ask in RTSP now.
        ServiceKind::Rtsp => {
            identify::first_request(&target.host, addr, options.timeout, ServiceKind::Rtsp)
        }
        ServiceKind::Https => identify::first_https_request(&target.host, addr, options.timeout),
        _ => match &service.first_response {
            Some(response) => Ok(response.clone()),
            None => identify::first_request(&target.host, addr, options.timeout, ServiceKind::Http),
        },
    };
    let first = match first {
        Ok(response) => response,
        Err(error) => {
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Error,
                Some(format!("{name}/{port}")),
                Some(format!("no answer to the first request: {error}")),
            );
            return;
        }
    };
    let challenges = http::parse_challenges(&first);
    let asks_login = first.status == 401;
    if service.kind == ServiceKind::Http {
        let redirects_to_https = (300..400).contains(&first.status)
            && first
                .header("location")
                .is_some_and(|location| location.to_ascii_lowercase().starts_with("https://"));
        let login_form = net_contains(&first.body, b"type=\"password\"")
            || net_contains(&first.body, b"type=password");
        if redirects_to_https {
            record(
                collector,
                progress,
                CHECK_PLAINTEXT_ADMIN,
                Some(port),
                CheckOutcome::Clean,
                Some(format!("http/{port}: GET / redirects to HTTPS")),
                None,
            );
        } else if asks_login || login_form {
            let proof = format!(
                "GET / -> {}{}",
                first.status_line,
                if asks_login {
                    " with WWW-Authenticate"
                } else {
                    " with a password form"
                }
            );
            collector.finding(NewFinding {
                check: CHECK_PLAINTEXT_ADMIN,
                provisions: P_TRANSPORT,
                severity: Severity::Medium,
                confidence: Confidence::Confirmed,
                port: Some(port),
                transport: Transport::Tcp,
                service: "http",
                message: format!("The web login on port {port} is served over plain HTTP without a redirect to HTTPS."),
                evidence: json!({"proof": proof}),
                identity: &[],
            });
            record(
                collector,
                progress,
                CHECK_PLAINTEXT_ADMIN,
                Some(port),
                CheckOutcome::Findings,
                Some(format!("http/{port}: GET /")),
                None,
            );
        } else {
            record(
                collector,
                progress,
                CHECK_PLAINTEXT_ADMIN,
                Some(port),
                CheckOutcome::Clean,
                Some(format!(
                    "http/{port}: GET / -> {} (no login asked)",
                    first.status_line
                )),
                None,
            );
        }
    }
    if service.kind != ServiceKind::Rtsp {
        let link = if service.kind == ServiceKind::Https {
            http::Link::Tls(crate::protocols::tls_client::Verification::AcceptAny)
        } else {
            http::Link::Plain
        };
        check_config_endpoints(target, addr, &link, name, options, collector, progress);
    }
    if !asks_login {
        record(
            collector,
            progress,
            CHECK_DEFAULT_PASSWORD,
            Some(port),
            CheckOutcome::Skipped,
            Some(format!("{name}/{port}: / only")),
            Some(format!(
                "the unauthenticated request was not asked for a login ({})",
                first.status_line
            )),
        );
        return;
    }
    let scheme = if !challenges.digest.is_empty() {
        http::AuthScheme::Digest
    } else if challenges.basic_realm.is_some() {
        http::AuthScheme::Basic
    } else {
        record(
            collector,
            progress,
            CHECK_DEFAULT_PASSWORD,
            Some(port),
            CheckOutcome::Skipped,
            Some(format!("{name}/{port}")),
            Some("401 without a Basic or Digest challenge".into()),
        );
        return;
    };
    let authenticator = http::HttpAuthenticator {
        dialect: if service.kind == ServiceKind::Rtsp {
            http::Dialect::Rtsp
        } else {
            http::Dialect::Http
        },
        host: target.host.clone(),
        addr,
        path: "/".into(),
        scheme,
        timeout: options.timeout,
        link: if service.kind == ServiceKind::Https {
            http::Link::Tls(crate::protocols::tls_client::Verification::AcceptAny)
        } else {
            http::Link::Plain
        },
        unauthenticated: first,
    };
    let label = format!("{name}-{}", scheme.as_str());
    credential_checks(&authenticator, &label, port, options, collector, progress);
}

/// Well-known device paths that hand out configuration (with credentials) without a login:
/// GoAhead-based IP cameras (CVE-2017-8225), Sapido routers' config export, generic exports.
const CONFIG_PATHS: &[&str] = &[
    "/system.ini?loginuse&loginpas",
    "/cgi-bin/config.exp",
    "/config.xml",
    "/config.json",
    "/backup.cfg",
];

/// What configuration content looks like (any one, case-insensitive).
const CONFIG_MARKERS: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"admin_pass",
    b"wpa_psk",
    b"ssid",
    b"<config",
];

/// Requests the well-known configuration paths without credentials. A random path goes first
/// as the negative control: a server answering it like a config file answers anything.
fn check_config_endpoints(
    target: &ProbeTarget,
    addr: SocketAddr,
    link: &http::Link,
    name: &str,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    let get = |path: &str| {
        let request = http::build_request(http::Dialect::Http, &target.host, addr, path, None);
        http::exchange_over(link, &target.host, addr, &request, options.timeout)
    };
    let looks_like_config = |response: &http::Response| {
        response.status == 200
            && !response.body.is_empty()
            && CONFIG_MARKERS
                .iter()
                .any(|marker| net_contains(&response.body, marker))
    };
    let control_path = format!("/iotlabel-{}.xml", crate::net::random_token(12));
    let control = get(&control_path);
    if let Some(response) = control
        .as_ref()
        .ok()
        .filter(|response| response.status == 200)
    {
        let reason = format!(
            "a random path ({control_path}) answered {}: the server answers anything, so no endpoint can be told apart",
            response.status_line
        );
        record(
            collector,
            progress,
            CHECK_CONFIG_ENDPOINT,
            Some(port),
            CheckOutcome::Indeterminate,
            Some(format!("{name}/{port}: negative control {control_path}")),
            Some(reason),
        );
        return;
    }
    let mut exposed = Vec::new();
    let mut errors = Vec::new();
    for path in CONFIG_PATHS {
        match get(path) {
            Ok(response) if looks_like_config(&response) => exposed.push((*path, response)),
            Ok(_) => {}
            Err(error) => errors.push(format!("{path}: {error}")),
        }
    }
    for (path, response) in &exposed {
        collector.finding(NewFinding {
            check: CHECK_CONFIG_ENDPOINT,
            provisions: P_CONFIG,
            severity: Severity::High,
            confidence: Confidence::Likely,
            port: Some(port),
            transport: Transport::Tcp,
            service: name,
            message: format!("{name} on port {port} serves configuration at {path} without a login."),
            evidence: json!({
                "path": path,
                "negative_control": format!("{control_path} not served"),
                "proof": format!("GET {path} without credentials -> {} ({} bytes): {}", response.status_line, response.body.len(), crate::net::excerpt(&response.body, 160)),
            }),
            identity: &[path],
        });
    }
    let coverage = format!(
        "{name}/{port}: {} well-known configuration paths requested without credentials after a random-path control",
        CONFIG_PATHS.len()
    );
    let (outcome, reason) = if !exposed.is_empty() {
        (CheckOutcome::Findings, None)
    } else if errors.len() == CONFIG_PATHS.len() {
        (CheckOutcome::Error, Some(errors.join("; ")))
    } else {
        (
            CheckOutcome::Clean,
            (!errors.is_empty()).then(|| errors.join("; ")),
        )
    };
    record(
        collector,
        progress,
        CHECK_CONFIG_ENDPOINT,
        Some(port),
        outcome,
        Some(coverage),
        reason,
    );
}

fn net_contains(haystack: &[u8], needle: &[u8]) -> bool {
    crate::net::contains_ignore_case(haystack, needle)
}

fn check_tls(
    target: &ProbeTarget,
    addr: SocketAddr,
    service: &Service,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    let name = service.kind.as_str();
    progress(&ProgressEvent::CheckStarted {
        check: CHECK_TLS_VERSION.into(),
        port: Some(port),
    });
    let scan = tls::scan_versions(&target.host, addr, options.timeout);
    let seen: Vec<String> = scan
        .results
        .iter()
        .map(|(_, _, seen)| seen.clone())
        .collect();
    let mut coverage = format!("{name}/{port}: {}", seen.join("; "));
    if !scan.errors.is_empty() {
        coverage.push_str(&format!("; errors: {}", scan.errors.join("; ")));
    }
    let old: Vec<&(u16, bool, String)> = scan
        .results
        .iter()
        .filter(|(version, accepted, _)| *accepted && *version < tls::TLS1_2)
        .collect();
    for (version, _, seen) in &old {
        let version_name = tls::version_name(*version);
        collector.finding(NewFinding {
            check: CHECK_TLS_VERSION,
            provisions: P_TRANSPORT,
            severity: Severity::Medium,
            confidence: Confidence::Confirmed,
            port: Some(port),
            transport: Transport::Tcp,
            service: name,
            message: format!("Port {port} accepts {version_name}, a deprecated TLS version."),
            evidence: json!({"version": version_name, "proof": seen}),
            identity: &[version_name.as_str()],
        });
    }
    let outcome = if !old.is_empty() {
        CheckOutcome::Findings
    } else if scan.results.iter().any(|(_, accepted, _)| *accepted) {
        CheckOutcome::Clean
    } else {
        CheckOutcome::Indeterminate
    };
    let reason =
        (outcome == CheckOutcome::Indeterminate).then(|| "no TLS version was accepted".to_owned());
    record(
        collector,
        progress,
        CHECK_TLS_VERSION,
        Some(port),
        outcome,
        Some(coverage),
        reason,
    );

    let mut certificates = scan.certificates.clone();
    let mut source = "the plaintext TLS 1.2-or-older handshake";
    if certificates.is_empty() && scan.results.iter().any(|(_, accepted, _)| *accepted) {
        // TLS 1.3 encrypts the certificate: complete a real handshake to see it.
        if let Ok(connection) = crate::protocols::tls_client::TlsConnection::connect(
            addr,
            &target.host,
            options.timeout,
            &crate::protocols::tls_client::Verification::AcceptAny,
        ) {
            certificates = connection.peer_certificates();
            source = "a full TLS handshake";
        }
    }
    let Some(leaf) = certificates.first() else {
        record(
            collector,
            progress,
            CHECK_TLS_CERTIFICATE,
            Some(port),
            CheckOutcome::Skipped,
            Some(format!("{name}/{port}")),
            Some("the server sent no certificate".into()),
        );
        return;
    };
    let now = options
        .now
        .unwrap_or_else(time::OffsetDateTime::now_utc)
        .unix_timestamp();
    match tls::check_certificate(leaf, &target.host, now) {
        Ok(report) => {
            let coverage = format!(
                "{name}/{port}: leaf certificate from {source}: subject {}, issuer {}, key {}, not after {}, sha256 {}",
                report.subject, report.issuer, report.key, report.not_after, report.sha256
            );
            for issue in &report.issues {
                let severity = match issue.kind {
                    "expired" | "weak-key" | "weak-signature" => Severity::High,
                    "self-signed" => Severity::Low,
                    _ => Severity::Medium,
                };
                collector.finding(NewFinding {
                    check: CHECK_TLS_CERTIFICATE,
                    provisions: P_TRANSPORT,
                    severity,
                    confidence: Confidence::Confirmed,
                    port: Some(port),
                    transport: Transport::Tcp,
                    service: name,
                    message: format!(
                        "The certificate on port {port} is {}: {}.",
                        issue.kind.replace('-', " "),
                        issue.detail
                    ),
                    evidence: json!({
                        "issue": issue.kind,
                        "subject": report.subject,
                        "issuer": report.issuer,
                        "key": report.key,
                        "not_after": report.not_after,
                        "sha256": report.sha256,
                        "proof": format!("certificate from the TLS handshake: {}", issue.detail),
                    }),
                    identity: &[issue.kind, report.sha256.as_str()],
                });
            }
            let outcome = if report.issues.is_empty() {
                CheckOutcome::Clean
            } else {
                CheckOutcome::Findings
            };
            record(
                collector,
                progress,
                CHECK_TLS_CERTIFICATE,
                Some(port),
                outcome,
                Some(coverage),
                None,
            );
        }
        Err(error) => record(
            collector,
            progress,
            CHECK_TLS_CERTIFICATE,
            Some(port),
            CheckOutcome::Error,
            Some(format!("{name}/{port}")),
            Some(error),
        ),
    }
}

fn check_snmp(
    target: &ProbeTarget,
    addr: SocketAddr,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    progress(&ProgressEvent::CheckStarted {
        check: CHECK_DEFAULT_PASSWORD.into(),
        port: Some(port),
    });
    let communities = &options.credentials.communities;
    let run = snmp::check_communities(addr, communities, options.timeout);
    let place = format!("snmp/{port}/udp");
    let _ = target;
    match run {
        snmp::SnmpRun::NothingListening => {
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Clean,
                Some(place),
                Some("nothing listening (ICMP port unreachable)".into()),
            );
        }
        snmp::SnmpRun::ControlAnswered {
            community,
            sys_descr,
        } => {
            record(
                collector,
                progress,
                CHECK_NEGATIVE_CONTROL,
                Some(port),
                CheckOutcome::Indeterminate,
                Some(format!(
                    "random community {community} on {place}: answered ({sys_descr})"
                )),
                Some("the agent answers any community".into()),
            );
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Indeterminate,
                Some(place),
                Some("negative control: the agent answers any community".into()),
            );
        }
        snmp::SnmpRun::Tried {
            control,
            tried,
            found,
            silent,
            errors,
        } => {
            record(
                collector,
                progress,
                CHECK_NEGATIVE_CONTROL,
                Some(port),
                CheckOutcome::Clean,
                Some(format!("random community {control} on {place}: no answer")),
                None,
            );
            for hit in &found {
                collector.finding(NewFinding {
                    check: CHECK_DEFAULT_PASSWORD,
                    provisions: P_CREDENTIALS,
                    severity: Severity::High,
                    confidence: Confidence::Confirmed,
                    port: Some(port),
                    transport: Transport::Udp,
                    service: "snmp",
                    message: format!("SNMP on port {port}/udp answers the default community '{}' ({} list, SNMP {}).", hit.community, hit.list, hit.version),
                    evidence: json!({
                        "community": hit.community,
                        "list": hit.list,
                        "version": hit.version,
                        "negative_control": format!("community {control} unanswered"),
                        "proof": format!("GetRequest sysDescr.0 with community '{}' -> {}", hit.community, hit.sys_descr),
                    }),
                    identity: &[hit.community.as_str()],
                });
            }
            let mut coverage = format!(
                "{tried} of {} communities tried on {place} (SNMP v1 and v2c)",
                communities.len()
            );
            if silent {
                // No ICMP unreachable came back, so something listens and drops them all.
                coverage.push_str(
                    "; no answer to any community (the port did not report itself closed)",
                );
            }
            let outcome = if found.is_empty() {
                CheckOutcome::Clean
            } else {
                CheckOutcome::Findings
            };
            let reason = (!errors.is_empty()).then(|| errors.join("; "));
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                outcome,
                Some(coverage),
                reason,
            );
        }
        snmp::SnmpRun::Error(error) => {
            record(
                collector,
                progress,
                CHECK_DEFAULT_PASSWORD,
                Some(port),
                CheckOutcome::Error,
                Some(place),
                Some(error),
            );
        }
    }
}

fn check_upnp(
    target: &ProbeTarget,
    addr: SocketAddr,
    options: &ProbeOptions,
    collector: &mut Collector,
    progress: &mut dyn FnMut(&ProgressEvent),
) {
    let port = addr.port();
    let request = format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: {}:{port}\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n",
        target.address
    );
    match crate::net::udp_exchange(addr, request.as_bytes(), options.timeout) {
        Ok(Some(answer)) => {
            let text = crate::net::excerpt(&answer, 300);
            collector.finding(NewFinding {
                check: CHECK_UPNP,
                provisions: P_SURFACE,
                severity: Severity::Low,
                confidence: Confidence::Confirmed,
                port: Some(port),
                transport: Transport::Udp,
                service: "ssdp",
                message: format!("The device answers UPnP discovery (SSDP) on port {port}/udp."),
                evidence: json!({"proof": format!("M-SEARCH ssdp:all -> {text}")}),
                identity: &[],
            });
            record(
                collector,
                progress,
                CHECK_UPNP,
                Some(port),
                CheckOutcome::Findings,
                Some(format!("ssdp/{port}/udp")),
                None,
            );
        }
        Ok(None) => record(
            collector,
            progress,
            CHECK_UPNP,
            Some(port),
            CheckOutcome::Clean,
            Some(format!(
                "ssdp/{port}/udp: no answer to M-SEARCH within {:?}",
                options.timeout
            )),
            None,
        ),
        Err(crate::net::NetError::Refused) => record(
            collector,
            progress,
            CHECK_UPNP,
            Some(port),
            CheckOutcome::Clean,
            Some(format!("ssdp/{port}/udp")),
            Some("nothing listening (ICMP port unreachable)".into()),
        ),
        Err(error) => record(
            collector,
            progress,
            CHECK_UPNP,
            Some(port),
            CheckOutcome::Error,
            Some(format!("ssdp/{port}/udp")),
            Some(error.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_provisions_parse() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        for (id, provisions) in CHECKS {
            assert_eq!(
                crate::collect::provisions(provisions).len(),
                provisions.len(),
                "{id}"
            );
            assert_eq!(provisions_of(id), *provisions, "{id}");
        }
    }
}
