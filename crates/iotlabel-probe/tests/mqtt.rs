//! MQTT logins against a second mosquitto instance of the test's own (password file on a
//! free port; 1883 belongs to the machine), and a broker that lets anyone in.
#![allow(clippy::unwrap_used)]

mod support;

use iotlabel_core::report::CheckOutcome;
use support::*;

fn start_mosquitto(dir: &std::path::Path, password: Option<&str>) -> (Daemon, u16) {
    let port = free_port();
    let config = dir.join("mosquitto.conf");
    let mut text = format!("user root\nlistener {port} 127.0.0.1\npersistence false\n");
    match password {
        Some(password) => {
            let file = dir.join("passwords");
            let status = std::process::Command::new("mosquitto_passwd")
                .args(["-b", "-c", file.to_str().unwrap(), "admin", password])
                .status()
                .unwrap();
            assert!(status.success());
            text.push_str(&format!(
                "allow_anonymous false\npassword_file {}\n",
                file.display()
            ));
        }
        None => text.push_str("allow_anonymous true\n"),
    }
    std::fs::write(&config, text).unwrap();
    let daemon = Daemon::spawn(
        "mosquitto",
        std::process::Command::new("mosquitto").args(["-c", config.to_str().unwrap()]),
    );
    (daemon.wait_tcp(port), port)
}

fn case(password: Option<&str>) -> Option<iotlabel_core::Report> {
    if !have("mosquitto", "mosquitto") || !have("mosquitto_passwd", "mosquitto") {
        return None;
    }
    let list = mirai_for(&["admin"])?;
    let dir = tempfile::tempdir().unwrap();
    let (_daemon, port) = start_mosquitto(dir.path(), password);
    Some(run(port, &options(list)))
}

#[test]
fn mosquitto_with_a_default_is_reported_with_connack_0() {
    let Some(report) = case(Some("12345")) else {
        return;
    };
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["password"], "12345");
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("CONNACK return code 0")
    );
    assert_eq!(
        outcome(&report, "credentials.anonymous-access"),
        Some(CheckOutcome::Clean)
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
}

#[test]
fn mosquitto_with_a_unique_password_is_clean() {
    let Some(report) = case(Some("Q7-unique-pass-9x")) else {
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

#[test]
fn an_anonymous_broker_is_reported_and_its_logins_indeterminate() {
    let Some(report) = case(None) else { return };
    assert_eq!(
        findings(&report, "credentials.anonymous-access").len(),
        1,
        "{}",
        dump(&report)
    );
    assert!(findings(&report, "credentials.default-password").is_empty());
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Indeterminate)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Indeterminate)
    );
}
