//! What the user asked to probe: a host, optional explicit ports, or a CIDR block expanded
//! into hosts. Only what the user names is ever a target.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// The largest CIDR block `parse_targets` expands (a /22 of IPv4 addresses).
pub const MAX_CIDR_HOSTS: u32 = 1024;

/// One device to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The name the user gave (kept for the report).
    pub host: String,
    pub address: IpAddr,
    /// Ports the user named with `host:port`; empty means "the options' port list".
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("\"{0}\" is not a port list: write e.g. 22,23,80 or 8000-8010 (ports 1 to 65535)")]
    BadPorts(String),
    #[error(
        "\"{0}\" is not a host, host:port or CIDR block: write e.g. 192.0.2.7, 192.0.2.7:8080 or 192.0.2.0/28"
    )]
    Malformed(String),
    #[error("could not resolve \"{0}\": give an IP address instead")]
    Unresolved(String),
    #[error("CIDR block {0} has more than {MAX_CIDR_HOSTS} hosts: name a smaller block")]
    TooLarge(String),
}

impl ProbeTarget {
    /// A target for one IP address.
    pub fn from_address(address: IpAddr) -> ProbeTarget {
        ProbeTarget {
            host: address.to_string(),
            address,
            ports: Vec::new(),
        }
    }
}

/// The most ports one `--ports` list may name.
pub const MAX_PORTS: usize = 4096;

/// Parses `--ports 22,23,8000-8010` into a sorted list without duplicates.
pub fn parse_ports(list: &str) -> Result<Vec<u16>, TargetError> {
    let bad = || TargetError::BadPorts(list.to_owned());
    let mut ports = Vec::new();
    for item in list
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (first.trim(), last.trim()),
            None => (item, item),
        };
        let first: u16 = first.parse().map_err(|_| bad())?;
        let last: u16 = last.parse().map_err(|_| bad())?;
        if first == 0 || last < first || ports.len() + usize::from(last - first) >= MAX_PORTS {
            return Err(bad());
        }
        ports.extend(first..=last);
    }
    ports.sort_unstable();
    ports.dedup();
    if ports.is_empty() {
        return Err(bad());
    }
    Ok(ports)
}

/// Parses a comma- or whitespace-separated list of `host`, `host:port`, `[v6]:port` and
/// `a.b.c.d/len` entries. Entries naming the same host are merged (their ports joined).
pub fn parse_targets(list: &str) -> Result<Vec<ProbeTarget>, TargetError> {
    let mut targets: Vec<ProbeTarget> = Vec::new();
    for entry in list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
    {
        for target in parse_entry(entry)? {
            match targets
                .iter_mut()
                .find(|known| known.address == target.address)
            {
                Some(known) => {
                    for port in target.ports {
                        if !known.ports.contains(&port) {
                            known.ports.push(port);
                        }
                    }
                }
                None => targets.push(target),
            }
        }
    }
    Ok(targets)
}

fn parse_entry(entry: &str) -> Result<Vec<ProbeTarget>, TargetError> {
    if let Some((network, length)) = entry.split_once('/') {
        return expand_cidr(entry, network, length);
    }
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Ok(vec![ProbeTarget::from_address(address)]);
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, port) = rest
            .split_once("]:")
            .ok_or_else(|| TargetError::Malformed(entry.into()))?;
        (host, Some(port))
    } else {
        match entry.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            _ => (entry, None),
        }
    };
    let port = match port {
        Some(text) => Some(
            text.parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| TargetError::Malformed(entry.into()))?,
        ),
        None => None,
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
    {
        return Err(TargetError::Malformed(entry.into()));
    }
    let address = match host.parse::<IpAddr>() {
        Ok(address) => address,
        Err(_) => (host, 0)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addresses| addresses.next())
            .map(|socket| socket.ip())
            .ok_or_else(|| TargetError::Unresolved(host.into()))?,
    };
    Ok(vec![ProbeTarget {
        host: host.to_owned(),
        address,
        ports: port.into_iter().collect(),
    }])
}

fn expand_cidr(entry: &str, network: &str, length: &str) -> Result<Vec<ProbeTarget>, TargetError> {
    let malformed = || TargetError::Malformed(entry.into());
    let length: u32 = length.parse().map_err(|_| malformed())?;
    match network.parse::<IpAddr>().map_err(|_| malformed())? {
        IpAddr::V4(base) => {
            if length > 32 {
                return Err(malformed());
            }
            let host_bits = 32 - length;
            let count = 1u64 << host_bits;
            if count > u64::from(MAX_CIDR_HOSTS) {
                return Err(TargetError::TooLarge(entry.into()));
            }
            let mask = if length == 0 {
                0
            } else {
                u32::MAX << host_bits
            };
            let first = u32::from(base) & mask;
            // Network and broadcast addresses are not hosts in blocks larger than /31.
            let (skip_first, skip_last) = if host_bits >= 2 { (1, 1) } else { (0, 0) };
            let mut targets = Vec::new();
            for offset in skip_first..(count - skip_last) {
                let address = Ipv4Addr::from(first.wrapping_add(offset as u32));
                targets.push(ProbeTarget::from_address(IpAddr::V4(address)));
            }
            Ok(targets)
        }
        IpAddr::V6(base) => {
            if length > 128 {
                return Err(malformed());
            }
            let host_bits = 128 - length;
            if host_bits > 10 {
                return Err(TargetError::TooLarge(entry.into()));
            }
            let count = 1u128 << host_bits;
            let mask = if length == 0 {
                0
            } else {
                u128::MAX << host_bits
            };
            let first = u128::from(base) & mask;
            Ok((0..count)
                .map(|offset| ProbeTarget::from_address(IpAddr::V6(Ipv6Addr::from(first + offset))))
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_blocks() {
        let targets = parse_targets("127.0.0.1:2323, 127.0.0.1:8080 [::1]:21").unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].ports, vec![2323, 8080]);
        assert_eq!(targets[1].address, "::1".parse::<IpAddr>().unwrap());
        let block = parse_targets("192.0.2.0/29").unwrap();
        assert_eq!(block.len(), 6);
        assert_eq!(block[0].host, "192.0.2.1");
        assert_eq!(parse_targets("192.0.2.9/32").unwrap().len(), 1);
    }

    #[test]
    fn port_lists() {
        assert_eq!(
            parse_ports("23, 22,8000-8002,22").unwrap(),
            vec![22, 23, 8000, 8001, 8002]
        );
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("10-5").is_err());
        assert!(parse_ports("1-65535").is_err());
        assert!(parse_ports("http").is_err());
        assert!(parse_ports("").is_err());
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(matches!(
            parse_targets("10.0.0.0/8"),
            Err(TargetError::TooLarge(_))
        ));
        assert!(matches!(
            parse_targets("1.2.3.4:0"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            parse_targets("1.2.3.4:99999"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            parse_targets("b;c"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            parse_targets("1.2.3.4/33"),
            Err(TargetError::Malformed(_))
        ));
    }
}
