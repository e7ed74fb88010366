//! SSH password logins against dropbear (a local user in a private mount namespace with a test
//! passwd), with an RSA host key so the legacy algorithms are exercised too.

#![allow(clippy::unwrap_used)]

mod support;

use iotlabel_core::report::CheckOutcome;
use support::*;

fn start_dropbear(dir: &std::path::Path, password: &str, key_type: &str) -> (Daemon, u16) {
    let (passwd, shadow) = passwd_files(dir, "admin", password);
    let key = dir.join(format!("host-{key_type}"));
    let status = std::process::Command::new("dropbearkey")
        .args(["-t", key_type, "-f", key.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let command = format!(
        "/usr/sbin/dropbear -F -E -p 127.0.0.1:{port} -r {} -P {}",
        key.display(),
        dir.join("dropbear.pid").display()
    );
    let daemon = Daemon::spawn(
        "dropbear",
        &mut in_private_passwd(&passwd, &shadow, &command),
    );
    (daemon.wait_tcp(port), port)
}

fn case(password: &str, key_type: &str) -> Option<iotlabel_core::Report> {
    if !have("/usr/sbin/dropbear", "dropbear-bin") || !have_mount_namespace() {
        return None;
    }
    let list = mirai_for(&["admin"])?;
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_dropbear(dir.path(), password, key_type);
    Some(run(port, &options(list)))
}

#[test]
fn dropbear_with_a_default_is_reported_with_an_echoed_marker() {
    let Some(report) = case("password", "rsa") else {
        return;
    };
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "password");
    let proof = found[0].evidence["proof"].as_str().unwrap();
    assert!(proof.contains("printed IOTLABEL"), "{proof}");
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
}

#[test]
fn dropbear_with_a_unique_password_is_clean() {
    let Some(report) = case("Q7-unique-pass-9x", "ed25519") else {
        return;
    };
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Clean),
        "{}",
        dump(&report)
    );
}

/// OpenSSH restricted to the algorithms of old devices: DH group1-sha1, ssh-rsa (SHA-1),
/// 3des-cbc and hmac-sha1.
#[test]
fn openssh_with_only_legacy_algorithms_is_still_probed() {
    if !have("/usr/sbin/sshd", "openssh-server") || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (passwd, shadow) = passwd_files(dir.path(), "admin", "admin");
    let key = dir.path().join("host-rsa");
    let status = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-N",
            "",
            "-f",
            key.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let config = dir.path().join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nUsePAM no\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
             KexAlgorithms diffie-hellman-group1-sha1\nHostKeyAlgorithms ssh-rsa\n\
             Ciphers 3des-cbc\nMACs hmac-sha1\n",
            key.display(),
            dir.path().join("sshd.pid").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let command = format!("/usr/sbin/sshd -D -e -f {}", config.display());
    let _daemon =
        Daemon::spawn("sshd", &mut in_private_passwd(&passwd, &shadow, &command)).wait_tcp(port);
    let report = run(port, &options(list));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "admin");
    let proof = found[0].evidence["proof"].as_str().unwrap();
    assert!(
        proof.contains("printed IOTLABEL") && proof.contains("ssh-rsa"),
        "{proof}"
    );
}

/// A russh server of the test's own that accepts every password.
struct AcceptAnyPassword;

impl russh::server::Handler for AcceptAnyPassword {
    type Error = russh::Error;

    async fn auth_password(
        &mut self,
        _user: &str,
        _password: &str,
    ) -> Result<russh::server::Auth, Self::Error> {
        Ok(russh::server::Auth::Accept)
    }
}

#[test]
fn an_ssh_server_accepting_any_password_is_indeterminate() {
    if !have("ssh-keygen", "openssh-client") {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("host");
    let status = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            key_path.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let key = russh::keys::PrivateKey::from_openssh(std::fs::read(&key_path).unwrap()).unwrap();
    let config = std::sync::Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: std::time::Duration::from_millis(10),
        ..Default::default()
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((socket, _)) = listener.accept().await {
                let config = config.clone();
                tokio::spawn(async move {
                    if let Ok(session) =
                        russh::server::run_stream(config, socket, AcceptAnyPassword).await
                    {
                        let _ = session.await;
                    }
                });
            }
        });
    });
    let mut options = options(list);
    options.timeout = std::time::Duration::from_secs(2);
    options.services = vec![(port, iotlabel_probe::ServiceKind::Ssh)];
    let report = run(port, &options);
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Indeterminate),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Indeterminate)
    );
}

#[test]
fn one_worker_finds_a_default_beyond_dropbears_tries_per_connection() {
    // One worker keeps its connection for admin's passwords; dropbear closes it after 10
    // failures, and the default is the list's last admin pair: the closed connection must be
    // replaced, not taken for a rejection or a drop.
    if !have("/usr/sbin/dropbear", "dropbear-bin") || !have_mount_namespace() {
        return;
    }
    let Some(list) = mirai_for(&["admin"]) else {
        return;
    };
    assert_eq!(
        list.pairs.last().map(|pair| pair.password.as_str()),
        Some("meinsm")
    );
    assert!(list.pairs.len() > 10);
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_dropbear(dir.path(), "meinsm", "ed25519");
    let mut options = options(list.clone());
    options.concurrency = 1;
    let report = run(port, &options);
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "meinsm");
    let coverage = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.default-password")
        .and_then(|run| run.coverage.clone())
        .unwrap();
    assert!(
        coverage.starts_with(&format!("{} of {}", list.pairs.len(), list.pairs.len())),
        "{coverage}"
    );
    assert!(coverage.contains("0 dropped connections"), "{coverage}");
}
