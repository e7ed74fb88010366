//! SNMP v1/v2c communities against snmpd on a free loopback UDP port, and an agent of the
//! test's own that answers any community.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use iotlabel_core::report::CheckOutcome;
use iotlabel_probe::CredentialList;
use support::*;

fn communities() -> Option<CredentialList> {
    let mut list = CredentialList::bundled();
    list.pairs.clear();
    Some(list)
}

fn snmp_options(list: CredentialList, port: u16) -> iotlabel_probe::ProbeOptions {
    let mut options = options(list);
    options.udp_ports = vec![port];
    options.timeout = Duration::from_secs(2);
    options
}

/// Runs only the UDP part: the TCP port list names a closed port.
fn run_udp(options: &iotlabel_probe::ProbeOptions) -> iotlabel_core::Report {
    run(free_port(), options)
}

fn start_snmpd(dir: &std::path::Path, community: &str) -> Option<(Daemon, u16)> {
    if !have("/usr/sbin/snmpd", "snmpd") {
        return None;
    }
    let port = free_udp_port();
    let config = dir.join("snmpd.conf");
    std::fs::write(
        &config,
        format!("agentAddress udp:127.0.0.1:{port}\nrocommunity {community} 127.0.0.1\nsysDescr iotlabel test camera 1.0\n"),
    )
    .unwrap();
    let daemon = Daemon::spawn(
        "snmpd",
        std::process::Command::new("/usr/sbin/snmpd")
            .env("SNMP_PERSISTENT_DIR", dir)
            .args(["-f", "-Lo", "-C", "-c", config.to_str().unwrap(), "-p"])
            .arg(dir.join("snmpd.pid")),
    );
    // Wait until the agent answers (UDP has no connect to wait on).
    let request = iotlabel_probe::protocols::snmp::get_sys_descr(1, community, 1);
    for _ in 0..100 {
        if let Ok(Some(_)) =
            iotlabel_probe::net::udp_exchange(addr(port), &request, Duration::from_millis(100))
        {
            return Some((daemon, port));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("snmpd did not answer on {port}");
}

#[test]
fn snmpd_with_public_is_reported_with_sys_descr() {
    let Some(list) = communities() else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some((_daemon, port)) = start_snmpd(dir.path(), "public") else {
        return;
    };
    let report = run_udp(&snmp_options(list, port));
    let found = findings(&report, "credentials.default-password");
    assert_eq!(found.len(), 1, "{}", dump(&report));
    assert_eq!(found[0].evidence["community"], "public");
    assert!(
        found[0].evidence["proof"]
            .as_str()
            .unwrap()
            .contains("iotlabel test camera 1.0")
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Clean)
    );
}

#[test]
fn snmpd_with_a_unique_community_is_clean() {
    let Some(list) = communities() else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some((_daemon, port)) = start_snmpd(dir.path(), "Q7uniqueCommunity9x") else {
        return;
    };
    let report = run_udp(&snmp_options(list, port));
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
fn an_agent_answering_any_community_is_indeterminate() {
    let Some(list) = communities() else { return };
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 2048];
        while let Ok((count, from)) = socket.recv_from(&mut buffer) {
            // Answer with the request turned into a GetResponse carrying a sysDescr.
            let reply = any_community_reply(&buffer[..count]);
            let _ = socket.send_to(&reply, from);
        }
    });
    let report = run_udp(&snmp_options(list, port));
    assert!(
        findings(&report, "credentials.default-password").is_empty(),
        "{}",
        dump(&report)
    );
    assert_eq!(
        outcome(&report, "credentials.negative-control"),
        Some(CheckOutcome::Indeterminate)
    );
    assert_eq!(
        outcome(&report, "credentials.default-password"),
        Some(CheckOutcome::Indeterminate)
    );
}

#[test]
fn nothing_listening_on_udp_is_clean() {
    let port = free_udp_port();
    let mut options = snmp_options(communities().unwrap_or_default(), port);
    options.credentials.communities.truncate(3);
    let report = run_udp(&options);
    let check = report
        .checks
        .iter()
        .find(|run| run.check == "credentials.default-password")
        .unwrap();
    assert_eq!(check.outcome, CheckOutcome::Clean, "{}", dump(&report));
    assert!(
        check
            .reason
            .as_deref()
            .unwrap()
            .contains("nothing listening")
    );
}

/// A GetResponse with request id 1 or 2 (the control's ids) and a sysDescr, built by hand.
fn any_community_reply(request: &[u8]) -> Vec<u8> {
    // The request id is the first INTEGER inside the PDU; the prober's control uses 1 and 2,
    // the list 1000 upwards: answering with the control ids is enough to be "answered".
    let id = if request.len() > 20 { 1u8 } else { 2u8 };
    let descr = b"any-community agent";
    let oid = [0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0];
    let mut value = vec![0x04, descr.len() as u8];
    value.extend_from_slice(descr);
    let mut varbind = vec![0x30, (oid.len() + value.len()) as u8];
    varbind.extend_from_slice(&oid);
    varbind.extend_from_slice(&value);
    let mut list = vec![0x30, varbind.len() as u8];
    list.extend_from_slice(&varbind);
    let mut pdu_body = vec![0x02, 0x01, id, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00];
    pdu_body.extend_from_slice(&list);
    let mut pdu = vec![0xa2, pdu_body.len() as u8];
    pdu.extend_from_slice(&pdu_body);
    let mut body = vec![0x02, 0x01, 0x01, 0x04, 0x03, b'a', b'n', b'y'];
    body.extend_from_slice(&pdu);
    let mut message = vec![0x30, body.len() as u8];
    message.extend_from_slice(&body);
    message
}
