//! A stand-in for `iotlabel probe` until the CLI wires the library in: probes the targets
//! given on the command line and prints the JSON report (and timings on stderr).
//!
//! cargo run -p iotlabel-probe --example probe -- 127.0.0.1:2323,127.0.0.1:2121 \
//!     [--service 2323=telnet] [--concurrency 4] [--udp 161] [--ssdp 1900] [--security-txt URL] [--no-brute-force]

use std::time::Instant;

use iotlabel_probe::{ProbeOptions, ServiceKind, parse_targets};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut options = ProbeOptions {
        udp_ports: Vec::new(),
        ssdp_ports: Vec::new(),
        ..ProbeOptions::default()
    };
    let mut targets = String::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--service" => {
                let value = args.next().unwrap_or_default();
                let parsed = value.split_once('=').and_then(|(port, name)| {
                    Some((port.parse().ok()?, ServiceKind::from_name(name)?))
                });
                match parsed {
                    Some(service) => options.services.push(service),
                    None => fail(&format!("--service wants PORT=NAME, got {value}")),
                }
            }
            "--concurrency" => {
                options.concurrency = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .unwrap_or_else(|| fail("--concurrency wants a number"));
            }
            "--udp" => {
                let value = args.next().unwrap_or_default();
                options
                    .udp_ports
                    .push(value.parse().unwrap_or_else(|_| fail("--udp wants a port")));
            }
            "--ssdp" => {
                let value = args.next().unwrap_or_default();
                options.ssdp_ports.push(
                    value
                        .parse()
                        .unwrap_or_else(|_| fail("--ssdp wants a port")),
                );
            }
            "--security-txt" => options.security_txt_url = args.next(),
            "--no-brute-force" => options.brute_force_attempts = 0,
            "--extended" => {
                options.credentials = iotlabel_probe::CredentialList::bundled_extended()
            }
            other => {
                if !targets.is_empty() {
                    targets.push(',');
                }
                targets.push_str(other);
            }
        }
    }
    let targets = parse_targets(&targets).unwrap_or_else(|error| fail(&error.to_string()));
    if targets.is_empty() {
        fail("name a target: host, host:port or CIDR");
    }
    for target in &targets {
        let started = Instant::now();
        let mut last = Instant::now();
        let report = iotlabel_probe::probe(target, &options, &mut |event| {
            eprintln!(
                "[{:6.1}s +{:5.1}s] {event:?}",
                started.elapsed().as_secs_f64(),
                last.elapsed().as_secs_f64()
            );
            last = Instant::now();
        });
        eprintln!(
            "probe of {} took {:.1} s",
            target.host,
            started.elapsed().as_secs_f64()
        );
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(error) => fail(&error.to_string()),
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}
