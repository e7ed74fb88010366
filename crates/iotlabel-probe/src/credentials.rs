//! Default-credential lists: parsing `user:password` lists (with the name of the list each
//! entry came from, so a finding can say which known default matched) and SNMP community lists.

/// One known default login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPair {
    pub user: String,
    pub password: String,
    /// The list it came from, e.g. `mirai`.
    pub list: String,
}

/// Credentials to try, in order. Pairs repeated across lists are kept once (first list wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialList {
    pub pairs: Vec<CredentialPair>,
    /// SNMP community strings, each with its list.
    pub communities: Vec<(String, String)>,
}

/// The project's lists (data/credentials/, see its README for sources and licences), embedded.
const MIRAI: &str = include_str!("../../../data/credentials/mirai.txt");
const ROUTERSPLOIT_DEFAULTS: &str =
    include_str!("../../../data/credentials/routersploit-defaults.txt");
const ROUTERSPLOIT_SNMP: &str =
    include_str!("../../../data/credentials/routersploit-snmp-communities.txt");

impl CredentialList {
    /// The polite default: the 61 Mirai pairs for logins and the RouterSploit SNMP
    /// communities. List names as in data/credentials/README.md.
    pub fn bundled() -> CredentialList {
        let mut list = CredentialList::default();
        list.add_pairs(MIRAI, "mirai");
        list.add_communities(ROUTERSPLOIT_SNMP, "routersploit-snmp-communities");
        list
    }

    /// `bundled` plus the 653 RouterSploit router defaults (much slower on telnet).
    pub fn bundled_extended() -> CredentialList {
        let mut list = CredentialList::bundled();
        list.add_pairs(ROUTERSPLOIT_DEFAULTS, "routersploit-defaults");
        list
    }

    /// Adds a `user:password` list (one per line, `#` comments, `user:` for an empty password).
    /// Lines without a colon are ignored.
    pub fn add_pairs(&mut self, text: &str, list: &str) {
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((user, password)) = line.split_once(':') else {
                continue;
            };
            if self
                .pairs
                .iter()
                .any(|pair| pair.user == user && pair.password == password)
            {
                continue;
            }
            self.pairs.push(CredentialPair {
                user: user.to_owned(),
                password: password.to_owned(),
                list: list.to_owned(),
            });
        }
    }

    /// Adds an SNMP community list (one per line, `#` comments).
    pub fn add_communities(&mut self, text: &str, list: &str) {
        for line in text.lines() {
            let community = line.trim_end_matches('\r');
            if community.is_empty() || community.starts_with('#') {
                continue;
            }
            if !self.communities.iter().any(|(known, _)| known == community) {
                self.communities
                    .push((community.to_owned(), list.to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_with_empty_passwords_and_comments() {
        let mut list = CredentialList::default();
        list.add_pairs(
            "# comment\nroot:xc3511\nadmin:\n\nbad line\nroot:xc3511\n",
            "mirai",
        );
        list.add_pairs("root:xc3511\nuser:pass:word\n", "other");
        assert_eq!(list.pairs.len(), 3);
        assert_eq!(list.pairs[1].password, "");
        assert_eq!(list.pairs[0].list, "mirai");
        assert_eq!(list.pairs[2].password, "pass:word");
        list.add_communities("public\nprivate\npublic\n# x\n", "rsf");
        assert_eq!(list.communities.len(), 2);
    }

    #[test]
    fn bundled_lists_match_the_shared_sources() {
        let bundled = CredentialList::bundled();
        assert_eq!(bundled.pairs.len(), 61);
        assert!(bundled.pairs.iter().all(|pair| pair.list == "mirai"));
        assert_eq!(
            bundled.communities[0],
            ("public".into(), "routersploit-snmp-communities".into())
        );
        let extended = CredentialList::bundled_extended();
        assert!(extended.pairs.len() > 600);
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/credentials/mirai.txt");
        let Ok(text) = std::fs::read_to_string(&shared) else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "missing {shared:?}"
            );
            eprintln!("skipping: {} not present", shared.display());
            return;
        };
        let mut source = CredentialList::default();
        source.add_pairs(&text, "mirai");
        assert_eq!(source.pairs, bundled.pairs);
    }

    #[test]
    fn reads_the_shared_mirai_list() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/credentials/mirai.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "missing {path:?}"
            );
            eprintln!("skipping: {} not present", path.display());
            return;
        };
        let mut list = CredentialList::default();
        list.add_pairs(&text, "mirai");
        assert_eq!(list.pairs.len(), 61);
    }
}
