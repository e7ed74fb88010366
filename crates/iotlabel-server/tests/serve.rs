//! `serve` for real on loopback: it creates the database and the 0600 signing key on first
//! start, loads the demo data with `demo`, listens, and answers over TCP.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(address: std::net::SocketAddr, path: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_with_zero_configuration_on_loopback() {
    let directory = tempfile::tempdir().unwrap();
    // A free loopback port: bind, read, release.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = iotlabel_server::ServerConfig {
        bind: address,
        database_url: format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("iotlabel.sqlite").display()
        ),
        data_dir: directory.path().to_path_buf(),
        demo: true,
        password_cost: iotlabel_registry::accounts::PasswordCost::Fast,
        ..iotlabel_server::ServerConfig::default()
    };
    let server = tokio::spawn(iotlabel_server::serve(config));
    let mut health = None;
    for _ in 0..100 {
        if let Some(response) = get(address, "/healthz").await {
            health = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let health = health.expect("the server did not answer within 5 s");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#"{"status":"ok"}"#));
    let ready = get(address, "/readyz").await.unwrap();
    // --demo loaded published labels, one of them suspended.
    let search = get(address, "/api/labels?status=suspended").await.unwrap();
    assert!(search.contains(r#""total":1"#), "{search}");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(directory.path().join("iotlabel.sqlite").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = directory.path().join(iotlabel_server::KEY_FILE_NAME);
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    server.abort();
}
