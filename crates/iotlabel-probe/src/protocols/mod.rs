//! One module per protocol the prober speaks.

pub mod ftp;
pub mod http;
pub mod mqtt;
pub mod snmp;
pub mod ssh;
pub mod telnet;
pub mod tls;
pub mod tls_client;
