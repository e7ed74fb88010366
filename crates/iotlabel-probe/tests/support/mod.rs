//! Test support: free loopback ports, daemon guards that kill what they started, skipping
//! when a Debian package is missing (failing under CI=true), and the shared credential lists.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use iotlabel_core::report::{CheckOutcome, Report};
use iotlabel_probe::{CredentialList, ProbeOptions, ProbeTarget};

/// A loopback TCP port free at the time of the call.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback TCP port that is bound but never listens, held for as long as the returned
/// socket lives: connections to it are refused, and no other test or process can take it.
pub fn closed_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

/// A loopback UDP port free at the time of the call.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the test may run: the program exists. Panics under CI=true when it does not.
pub fn have(program: &str, package: &str) -> bool {
    let found = Path::new(program).exists()
        || Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .map(|status| status.success())
            .unwrap_or(false);
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{package} is required under CI=true"
        );
        eprintln!("skipping: {package} not installed");
    }
    found
}

/// Whether a mount namespace can be made (busybox login and vsftpd read /etc/passwd).
pub fn have_mount_namespace() -> bool {
    let ok = Command::new("unshare")
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "mount namespaces (unshare -m, root) are required under CI=true"
        );
        eprintln!("skipping: cannot create a mount namespace (needs root and unshare)");
    }
    ok
}

/// A started daemon, killed (with its process group) when dropped.
#[derive(Debug)]
pub struct Daemon {
    pub child: Child,
    pub name: String,
}

impl Daemon {
    pub fn spawn(name: &str, command: &mut Command) -> Daemon {
        use std::os::unix::process::CommandExt;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        Daemon {
            child,
            name: name.into(),
        }
    }

    /// Waits until the TCP port accepts connections.
    pub fn wait_tcp(mut self, port: u16) -> Daemon {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return self;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut daemon = self;
        let _ = daemon.child.kill();
        let output = daemon.child.wait_with_output_ref();
        panic!("{} did not listen on {port}: {output}", daemon.name);
    }
}

trait StderrText {
    fn wait_with_output_ref(&mut self) -> String;
}

impl StderrText for Child {
    fn wait_with_output_ref(&mut self) -> String {
        use std::io::Read;
        let _ = self.wait();
        let mut text = String::new();
        if let Some(stderr) = self.stderr.as_mut() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Kill the whole process group: telnetd's login sessions, vsftpd's children.
        let pid = self.child.id() as i32;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace's sibling `shared` directory.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The project's bundled Mirai list (data/credentials/mirai.txt).
pub fn mirai() -> Option<CredentialList> {
    let mut list = CredentialList::bundled();
    list.communities.clear();
    Some(list)
}

/// The Mirai pairs of the given users only (keeps tests against slow logins short).
pub fn mirai_for(users: &[&str]) -> Option<CredentialList> {
    let mut list = mirai()?;
    list.pairs
        .retain(|pair| users.contains(&pair.user.as_str()));
    Some(list)
}

/// Fast, polite options for one loopback service.
pub fn options(credentials: CredentialList) -> ProbeOptions {
    ProbeOptions {
        udp_ports: Vec::new(),
        ssdp_ports: Vec::new(),
        timeout: Duration::from_secs(5),
        banner_wait: Duration::from_millis(800),
        credentials,
        backoff: Duration::from_millis(100),
        brute_force_attempts: 0,
        ..ProbeOptions::default()
    }
}

pub fn target(port: u16) -> ProbeTarget {
    ProbeTarget {
        host: "127.0.0.1".into(),
        address: "127.0.0.1".parse().unwrap(),
        ports: vec![port],
    }
}

pub fn run(port: u16, options: &ProbeOptions) -> Report {
    let report = iotlabel_probe::probe(&target(port), options, &mut |_| {});
    // Every report must be valid in the shared schema.
    let json = serde_json::to_string(&report).unwrap();
    Report::from_json(&json).unwrap();
    report
}

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The outcome of the first check run with this id.
pub fn outcome(report: &Report, check: &str) -> Option<CheckOutcome> {
    report
        .checks
        .iter()
        .find(|run| run.check == check)
        .map(|run| run.outcome)
}

pub fn findings<'a>(report: &'a Report, check: &str) -> Vec<&'a iotlabel_core::Finding> {
    report
        .findings
        .iter()
        .filter(|finding| finding.check == check)
        .collect()
}

/// Prints the checks for a failing test's log.
pub fn dump(report: &Report) -> String {
    serde_json::to_string_pretty(&(&report.checks, &report.findings)).unwrap()
}

/// Writes an /etc/passwd and /etc/shadow pair with one login user (md5crypt via openssl).
pub fn passwd_files(dir: &Path, user: &str, password: &str) -> (PathBuf, PathBuf) {
    let hash = Command::new("openssl")
        .args(["passwd", "-1", password])
        .output()
        .unwrap();
    let hash = String::from_utf8(hash.stdout).unwrap().trim().to_owned();
    let passwd = dir.join("passwd");
    let shadow = dir.join("shadow");
    std::fs::write(
        &passwd,
        format!(
            "root:x:0:0:root:/root:/bin/sh\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n{user}:x:1000:1000:{user}:/tmp:/bin/sh\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &shadow,
        format!("root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n{user}:{hash}:19000:0:99999:7:::\n"),
    )
    .unwrap();
    (passwd, shadow)
}

/// A `sh -c` script that bind-mounts the passwd/shadow pair in a private mount namespace and
/// then execs `command`.
pub fn in_private_passwd(passwd: &Path, shadow: &Path, command: &str) -> Command {
    let script = format!(
        "mount --make-rprivate / 2>/dev/null; mount --bind {} /etc/passwd && mount --bind {} /etc/shadow && exec {command}",
        passwd.display(),
        shadow.display()
    );
    let mut unshare = Command::new("unshare");
    unshare.args(["-m", "sh", "-c", &script]);
    unshare
}
