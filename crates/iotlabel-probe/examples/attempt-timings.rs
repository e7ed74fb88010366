//! Where the time of a default-credential run goes: runs the credential engine against one
//! login service and prints every attempt (worker, start, duration, outcome) and a summary
//! per outcome, to compare protocols, servers and connection reuse (`--fresh` makes every
//! attempt open its own connection, as before connection reuse).
//!
//! cargo run -p iotlabel-probe --example attempt-timings -- telnet 127.0.0.1:2323 \
//!     [--concurrency 4] [--fresh] [--quiet]
//!
//! Services: telnet, ftp, ssh, http (Basic or Digest on `/`, as the 401 asks), mqtt.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use iotlabel_probe::CredentialList;
use iotlabel_probe::login::{Attempt, Authenticator, LoginPolicy, LoginSession, run_credentials};
use iotlabel_probe::protocols::{ftp, http, mqtt, ssh, telnet};

/// One attempt as the engine saw it.
struct Record {
    worker: String,
    start: Duration,
    took: Duration,
    user: String,
    password: String,
    outcome: &'static str,
}

/// Wraps an authenticator and records every attempt of its sessions.
struct Timed<'a> {
    inner: &'a dyn Authenticator,
    fresh: bool,
    started: Instant,
    records: Mutex<Vec<Record>>,
}

struct TimedSession<'a> {
    owner: &'a Timed<'a>,
    inner: Option<Box<dyn LoginSession + 'a>>,
}

fn kind(attempt: &Attempt) -> &'static str {
    match attempt {
        Attempt::Accepted { .. } => "accepted",
        Attempt::Rejected => "rejected",
        Attempt::Unproven(_) => "unproven",
        Attempt::Dropped(_) => "dropped",
        Attempt::Failed(_) => "failed",
    }
}

impl Timed<'_> {
    fn record(&self, user: &str, password: &str, began: Instant, attempt: &Attempt) {
        let worker = format!("{:?}", std::thread::current().id());
        let record = Record {
            worker: worker
                .trim_start_matches("ThreadId(")
                .trim_end_matches(')')
                .to_owned(),
            start: began.duration_since(self.started),
            took: began.elapsed(),
            user: user.to_owned(),
            password: password.to_owned(),
            outcome: kind(attempt),
        };
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }
}

impl Authenticator for Timed<'_> {
    fn attempt(&self, user: &str, password: &str) -> Attempt {
        let began = Instant::now();
        let attempt = self.inner.attempt(user, password);
        self.record(user, password, began, &attempt);
        attempt
    }

    fn session(&self) -> Box<dyn LoginSession + '_> {
        Box::new(TimedSession {
            owner: self,
            inner: (!self.fresh).then(|| self.inner.session()),
        })
    }
}

impl LoginSession for TimedSession<'_> {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt {
        let began = Instant::now();
        let attempt = match self.inner.as_mut() {
            Some(session) => session.attempt(user, password),
            None => self.owner.inner.attempt(user, password),
        };
        self.owner.record(user, password, began, &attempt);
        attempt
    }
}

fn fail(message: &str) -> ! {
    eprintln!("attempt-timings: {message}");
    std::process::exit(2)
}

fn authenticator(service: &str, addr: SocketAddr, timeout: Duration) -> Box<dyn Authenticator> {
    match service {
        "telnet" => Box::new(telnet::TelnetAuthenticator::new(addr, timeout)),
        "ftp" => Box::new(ftp::FtpAuthenticator { addr, timeout }),
        "ssh" => Box::new(ssh::SshAuthenticator::new(addr, timeout)),
        "mqtt" => Box::new(mqtt::MqttAuthenticator { addr, timeout }),
        "http" => {
            let host = addr.ip().to_string();
            let request = http::build_request(http::Dialect::Http, &host, addr, "/", None);
            let first = http::exchange(addr, &request, timeout)
                .unwrap_or_else(|error| fail(&format!("GET / on {addr}: {error}")));
            let challenges = http::parse_challenges(&first);
            let scheme = if !challenges.digest.is_empty() {
                http::AuthScheme::Digest
            } else if challenges.basic_realm.is_some() {
                http::AuthScheme::Basic
            } else {
                fail(&format!(
                    "GET / on {addr} asked for no login: {}",
                    first.status_line
                ))
            };
            Box::new(http::HttpAuthenticator {
                dialect: http::Dialect::Http,
                host,
                addr,
                path: "/".into(),
                scheme,
                timeout,
                link: http::Link::Plain,
                unauthenticated: first,
            })
        }
        other => fail(&format!(
            "unknown service {other}: telnet, ftp, ssh, http or mqtt"
        )),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut concurrency = 4;
    let mut fresh = false;
    let mut quiet = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--concurrency" => {
                concurrency = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .unwrap_or_else(|| fail("--concurrency wants a number"));
            }
            "--fresh" => fresh = true,
            "--quiet" => quiet = true,
            _ => positional.push(arg),
        }
    }
    let [service, addr] = positional.as_slice() else {
        fail("usage: attempt-timings SERVICE HOST:PORT [--concurrency N] [--fresh] [--quiet]");
    };
    let addr: SocketAddr = addr
        .parse()
        .unwrap_or_else(|_| fail(&format!("{addr} is not an address like 127.0.0.1:2323")));
    let inner = authenticator(service, addr, Duration::from_secs(5));
    let timed = Timed {
        inner: inner.as_ref(),
        fresh,
        started: Instant::now(),
        records: Mutex::new(Vec::new()),
    };
    let list = CredentialList::bundled();
    let policy = LoginPolicy {
        concurrency,
        retries: 3,
        backoff: Duration::from_millis(500),
    };
    let run = run_credentials(&timed, &list.pairs, policy);
    let mut records = timed.records.into_inner().unwrap_or_default();
    records.sort_by_key(|record| record.start);
    if !quiet {
        println!("worker  start_s  took_ms  outcome   credential");
        for record in &records {
            println!(
                "{:>6} {:8.3} {:8.1}  {:<9} {}:{}",
                record.worker,
                record.start.as_secs_f64(),
                record.took.as_secs_f64() * 1000.0,
                record.outcome,
                record.user,
                record.password
            );
        }
    }
    let mut outcomes: Vec<&'static str> = records.iter().map(|record| record.outcome).collect();
    outcomes.sort_unstable();
    outcomes.dedup();
    for outcome in outcomes {
        let mut took: Vec<f64> = records
            .iter()
            .filter(|record| record.outcome == outcome)
            .map(|record| record.took.as_secs_f64() * 1000.0)
            .collect();
        took.sort_by(f64::total_cmp);
        let mean = took.iter().sum::<f64>() / took.len() as f64;
        println!(
            "{outcome}: {} attempts, mean {mean:.1} ms, min {:.1} ms, median {:.1} ms, max {:.1} ms",
            took.len(),
            took.first().copied().unwrap_or_default(),
            took.get(took.len() / 2).copied().unwrap_or_default(),
            took.last().copied().unwrap_or_default()
        );
    }
    let attempts = records.len();
    println!(
        "{service} {addr}: {attempts} attempts (control included) in {:.2} s = {:.3} s per attempt at {concurrency} connections{}; control {:?}; found {:?}; {} tried, {} skipped, {} dropped, given up {:?}",
        run.elapsed.as_secs_f64(),
        run.elapsed.as_secs_f64() / attempts.max(1) as f64,
        if fresh {
            " (fresh connection per attempt)"
        } else {
            ""
        },
        kind(&run.control.result),
        run.accepted
            .iter()
            .map(|(pair, _)| format!("{}:{}", pair.user, pair.password))
            .collect::<Vec<_>>(),
        run.tried,
        run.skipped_found,
        run.dropped,
        run.given_up
    );
}
