//! The server's configuration: where to listen, which database, where the keys live.

use std::net::SocketAddr;
use std::path::PathBuf;

use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::evidence::DEFAULT_MAX_EVIDENCE_BYTES;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://iotlabel.sqlite?mode=rwc";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Default 127.0.0.1:8080.
    pub bind: SocketAddr,
    /// `sqlite://file?mode=rwc` (default: `iotlabel.sqlite` in the working directory) or
    /// `postgres://user@host/db`.
    pub database_url: String,
    /// The registry's public base URL (no trailing slash): the issuer of label credentials,
    /// and the prefix of the product pages and status URLs they name.
    pub public_url: String,
    /// Where the signing key is kept (default: the working directory).
    pub data_dir: PathBuf,
    /// The evidence upload limit (default 16 MiB); larger uploads get 413.
    pub max_evidence_bytes: usize,
    /// Set when served behind TLS so session cookies are `Secure`.
    pub secure_cookies: bool,
    /// `iotlabel serve --demo`: load the demo data set on start (once per database).
    pub demo: bool,
    /// Argon2id cost for new passwords ([`PasswordCost::Standard`] outside tests).
    pub password_cost: PasswordCost,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            public_url: format!("http://{DEFAULT_BIND}"),
            data_dir: PathBuf::from("."),
            max_evidence_bytes: DEFAULT_MAX_EVIDENCE_BYTES,
            secure_cookies: false,
            demo: false,
            password_cost: PasswordCost::Standard,
        }
    }
}

impl ServerConfig {
    /// The defaults with `DATABASE_URL` applied when it is set and not empty.
    pub fn from_env() -> ServerConfig {
        let mut config = ServerConfig::default();
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.trim().is_empty()
        {
            config.database_url = url;
        }
        config
    }

    /// The database URL without a password, for messages.
    pub fn redacted_database_url(&self) -> String {
        redact(&self.database_url)
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_redaction() {
        let config = ServerConfig::default();
        assert_eq!(config.bind.to_string(), DEFAULT_BIND);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(
            redact("postgres://app:secret@db.local/registry"),
            "postgres://app:***@db.local/registry"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
    }
}
