//! Credential checks (EN 303 645 5.1-1, 5.1-2): default passwords cracked from passwd, shadow,
//! htpasswd and Mosquitto password files (and account lines embedded in binaries), empty
//! passwords, extra UID-0 accounts, fixed passwords and SNMP communities in configuration files,
//! and fixed Wi-Fi keys. The default-credential lists of `data/credentials/` are embedded here;
//! every candidate keeps the name of its list so a finding says which known default matched.
//!
//! Layered evidence: a locked account (`*`, `!`, `!!`, `!<hash>`) is never a finding, an `x`
//! in passwd defers to the shadow file, text that merely looks like `user:$...` must parse as a
//! well-formed hash of a known scheme, and placeholders (`$VAR`, `%s`, `<password>`) are not
//! fixed passwords.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use iotlabel_core::report::{CheckOutcome, Confidence, Finding, Severity};
use regex::bytes::Regex as BytesRegex;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::analysis::Analysis;
use super::password_hash::{
    CrackJob, CrackOutcome, CrackStop, ParsedHash, PasswordField, classify_field, crack_all,
    identify,
};
use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};

/// Mirai's 61 telnet logins (facts, decoded from the Mirai source).
pub const MIRAI_LIST: &str = include_str!("../../../../data/credentials/mirai.txt");
/// RouterSploit's router default logins (RouterSploit licence, see [`ROUTERSPLOIT_LICENSE`]).
pub const ROUTERSPLOIT_DEFAULTS_LIST: &str =
    include_str!("../../../../data/credentials/routersploit-defaults.txt");
/// RouterSploit's SNMP community strings.
pub const ROUTERSPLOIT_SNMP_LIST: &str =
    include_str!("../../../../data/credentials/routersploit-snmp-communities.txt");
/// The RouterSploit licence, which binary distributions must reproduce.
pub const ROUTERSPLOIT_LICENSE: &str =
    include_str!("../../../../data/credentials/routersploit-LICENSE.txt");

/// Files larger than this are not searched for embedded account lines or config values.
const MAX_SCAN_BYTES: usize = 64 * 1024 * 1024;
/// Configuration files larger than this are not parsed as text.
const MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the secrets, certificate, service and disclosure checks).

/// Builds a finding of `meta`'s check at `path` of `fs`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_finding(
    meta: &CheckMeta,
    fs: &Filesystem<'_>,
    path: &str,
    severity: Severity,
    confidence: Confidence,
    message: String,
    evidence: Map<String, Value>,
    identity: &[&str],
) -> Finding {
    let location = fs.location(path);
    let fingerprint = Finding::fingerprint_for(meta.id, &location, identity);
    Finding {
        check: meta.id.to_owned(),
        provisions: meta.provision_ids(),
        severity,
        confidence,
        location,
        message,
        evidence,
        fingerprint,
    }
}

/// The last component of a tree path.
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The file as text when it looks like text (no NUL byte in its first 8 KiB), lossily decoded.
pub(crate) fn as_text(data: &[u8]) -> Option<Cow<'_, str>> {
    let head = data.get(..data.len().min(8192)).unwrap_or(data);
    if head.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(data))
}

/// A short, non-reversible reference to a secret value for evidence and fingerprints.
pub(crate) fn value_digest(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    hex::encode(digest.get(..8).unwrap_or_default())
}

/// A secret shown as its first two characters and its length, e.g. `ad… (8 characters)`.
pub(crate) fn masked(value: &str) -> String {
    let head: String = value.chars().take(2).collect();
    format!("{head}… ({} characters)", value.chars().count())
}

// ---------------------------------------------------------------------------------------------
// The default-credential lists.

/// One distinct password of the lists, with every list it appears in and the users it is
/// paired with there.
#[derive(Debug, Clone)]
pub struct KnownPassword {
    pub password: String,
    pub lists: Vec<&'static str>,
    pub users: BTreeSet<String>,
}

/// The lists as (name, text, whether lines are `user:password`).
const LISTS: [(&str, &str, bool); 3] = [
    ("mirai", MIRAI_LIST, true),
    ("routersploit-defaults", ROUTERSPLOIT_DEFAULTS_LIST, true),
    (
        "routersploit-snmp-communities",
        ROUTERSPLOIT_SNMP_LIST,
        false,
    ),
];

/// Every distinct password of the embedded lists, in list order.
pub fn known_passwords() -> &'static [KnownPassword] {
    static KNOWN: OnceLock<Vec<KnownPassword>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut known: Vec<KnownPassword> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (name, text, pairs) in LISTS {
            for line in text.lines() {
                let line = line.trim_end_matches('\r');
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let (user, password) = if pairs {
                    match line.split_once(':') {
                        Some((user, password)) => (Some(user), password),
                        None => continue,
                    }
                } else {
                    (None, line)
                };
                let slot = *index.entry(password.to_owned()).or_insert_with(|| {
                    known.push(KnownPassword {
                        password: password.to_owned(),
                        lists: Vec::new(),
                        users: BTreeSet::new(),
                    });
                    known.len() - 1
                });
                if let Some(entry) = known.get_mut(slot) {
                    if !entry.lists.contains(&name) {
                        entry.lists.push(name);
                    }
                    if let Some(user) = user {
                        entry.users.insert(user.to_owned());
                    }
                }
            }
        }
        known
    })
}

/// The lists a password appears in (empty when it is in none).
pub fn lists_containing(password: &str) -> Vec<&'static str> {
    known_passwords()
        .iter()
        .find(|known| known.password == password)
        .map(|known| known.lists.clone())
        .unwrap_or_default()
}

/// Where a candidate came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateSource {
    Empty,
    UserName,
    Lists(Vec<&'static str>),
}

/// The candidates for `user`, most likely first: the empty password, the user name, passwords
/// the lists pair with this user, then every other password of the lists.
pub fn candidates_for(user: &str) -> Vec<(String, CandidateSource)> {
    let mut out: Vec<(String, CandidateSource)> = vec![
        (String::new(), CandidateSource::Empty),
        (user.to_owned(), CandidateSource::UserName),
    ];
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    seen.insert("");
    seen.insert(user);
    let known = known_passwords();
    let paired = known.iter().filter(|k| k.users.contains(user));
    let others = known.iter().filter(|k| !k.users.contains(user));
    for entry in paired.chain(others) {
        if seen.insert(entry.password.as_str()) {
            out.push((
                entry.password.clone(),
                CandidateSource::Lists(entry.lists.clone()),
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Account files.

/// What kind of file an account line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSource {
    Passwd,
    Shadow,
    /// `user:hash` files: htpasswd, Mosquitto password files.
    UserHash,
    /// A `user:hash` sequence found inside another (possibly binary) file.
    Embedded,
}

/// One account line.
#[derive(Debug, Clone)]
pub struct Account {
    pub path: String,
    pub user: String,
    pub field: PasswordField,
    pub uid: Option<u32>,
    pub shell: Option<String>,
    pub source: AccountSource,
}

fn is_passwd_name(name: &str) -> bool {
    matches!(name, "passwd" | "passwd-" | "passwd.bak" | "master.passwd")
}

fn is_shadow_name(name: &str) -> bool {
    matches!(name, "shadow" | "shadow-" | "shadow.bak")
}

fn is_user_hash_name(path: &str, name: &str) -> bool {
    name.contains("htpasswd")
        || name.ends_with(".passwd")
        || name == "pwfile"
        || (path.contains("mosquitto") && (name.contains("passw") || name.ends_with(".pwd")))
}

fn valid_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 64
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@' | b'$'))
}

fn embedded_account_regex() -> Option<&'static BytesRegex> {
    static RE: OnceLock<Option<BytesRegex>> = OnceLock::new();
    RE.get_or_init(|| {
        BytesRegex::new(
            r"([A-Za-z_][A-Za-z0-9_.\-]{0,31}):(\$(?:1|apr1|5|6|7|2[aby])\$[A-Za-z0-9./+=$]{8,300}|\{SHA\}[A-Za-z0-9+/]{27}=)",
        )
        .ok()
    })
    .as_ref()
}

/// Every account line of `fs`.
pub fn collect_accounts(fs: &Filesystem<'_>) -> Vec<Account> {
    let mut accounts = Vec::new();
    for (path, file) in fs.tree.files() {
        collect_file_accounts(path, &file.data, &mut accounts, || {
            let colons: Vec<usize> = memchr::memchr_iter(b':', &file.data)
                .filter(|&at| matches!(file.data.get(at + 1), Some(b'$' | b'{')))
                .collect();
            embedded_accounts_at(path, &file.data, &colons)
        });
    }
    accounts
}

/// [`collect_accounts`] with the embedded account lines of each file already found by the
/// shared byte pass (`facts` in the order of `fs.tree.files()`).
pub(crate) fn collect_accounts_with(
    fs: &Filesystem<'_>,
    facts: &[super::analysis::FileFacts],
) -> Vec<Account> {
    let mut accounts = Vec::new();
    for ((path, file), facts) in fs.tree.files().zip(facts) {
        collect_file_accounts(path, &file.data, &mut accounts, || {
            facts.embedded_accounts.clone()
        });
    }
    accounts
}

/// The account lines of one file: parsed as an account file when its name says so and it is
/// text, else the `user:hash` lines `embedded` finds in it.
fn collect_file_accounts(
    path: &str,
    data: &[u8],
    accounts: &mut Vec<Account>,
    embedded: impl FnOnce() -> Vec<Account>,
) {
    let name = basename(path);
    if data.len() > MAX_SCAN_BYTES {
        return;
    }
    let source = if is_passwd_name(name) {
        Some(AccountSource::Passwd)
    } else if is_shadow_name(name) {
        Some(AccountSource::Shadow)
    } else if is_user_hash_name(path, name) {
        Some(AccountSource::UserHash)
    } else {
        None
    };
    match (source, source.and_then(|_| as_text(data))) {
        (Some(source), Some(text)) => parse_account_file(path, &text, source, accounts),
        _ => accounts.extend(embedded()),
    }
}

fn parse_account_file(path: &str, text: &str, source: AccountSource, out: &mut Vec<Account>) {
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        let (Some(user), Some(password)) = (fields.first(), fields.get(1)) else {
            continue;
        };
        if !valid_user(user) {
            continue;
        }
        let mut source = source;
        let (mut uid, mut shell) = (None, None);
        if source == AccountSource::Passwd {
            if fields.len() >= 7 {
                uid = fields.get(2).and_then(|uid| uid.parse().ok());
                shell = fields.last().map(|s| (*s).to_owned());
            } else if fields.len() == 2 {
                // Mosquitto and htpasswd files are also called `passwd`.
                source = AccountSource::UserHash;
            } else {
                continue;
            }
        }
        let field = classify_field(password);
        // A `user:value` file with an unrecognised value is not an account file at all.
        if source == AccountSource::UserHash && field == PasswordField::Unrecognised {
            continue;
        }
        out.push(Account {
            path: path.to_owned(),
            user: (*user).to_owned(),
            field,
            uid,
            shell,
            source,
        });
    }
}

/// The longest user name of an embedded account line (`[A-Za-z_][A-Za-z0-9_.\-]{0,31}`).
const EMBEDDED_USER_MAX: usize = 32;
/// The longest hash of an embedded account line, after its colon (`$apr1$` and 300 more).
const EMBEDDED_HASH_MAX: usize = 306;

/// The `user:hash` account lines embedded in `data`, given the ascending offsets of every `:`
/// followed by `$` or `{` in it. A match holds exactly one such colon and reaches at most
/// [`EMBEDDED_USER_MAX`] bytes before it and [`EMBEDDED_HASH_MAX`] after, and the pattern has
/// no look-around, so searching only the windows around the colons (merged where they touch)
/// finds exactly the matches a search of the whole file finds, in the same order.
pub(crate) fn embedded_accounts_at(path: &str, data: &[u8], colons: &[usize]) -> Vec<Account> {
    let mut windows: Vec<Range<usize>> = Vec::new();
    for &colon in colons {
        let start = colon.saturating_sub(EMBEDDED_USER_MAX);
        let end = (colon + 1 + EMBEDDED_HASH_MAX).min(data.len());
        match windows.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => windows.push(start..end),
        }
    }
    let mut out = Vec::new();
    for window in windows {
        if let Some(bytes) = data.get(window) {
            scan_embedded_accounts(path, bytes, &mut out);
        }
    }
    out
}

fn scan_embedded_accounts(path: &str, data: &[u8], out: &mut Vec<Account>) {
    let Some(regex) = embedded_account_regex() else {
        return;
    };
    for captures in regex.captures_iter(data) {
        let (Some(user), Some(hash)) = (captures.get(1), captures.get(2)) else {
            continue;
        };
        let (Ok(user), Ok(hash)) = (
            std::str::from_utf8(user.as_bytes()),
            std::str::from_utf8(hash.as_bytes()),
        ) else {
            continue;
        };
        // The hash must parse completely: `user:$.su.CHAR...` in a script is not an account.
        if let Some(parsed) = identify(hash) {
            out.push(Account {
                path: path.to_owned(),
                user: user.to_owned(),
                field: PasswordField::Hash(parsed),
                uid: None,
                shell: None,
                source: AccountSource::Embedded,
            });
        }
    }
}

/// The shadow entry of `user` next to the passwd file at `passwd_path`.
fn shadow_field<'a>(
    accounts: &'a [Account],
    passwd_path: &str,
    user: &str,
) -> Option<&'a PasswordField> {
    let dir = passwd_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    accounts
        .iter()
        .filter(|a| a.source == AccountSource::Shadow && a.user == user)
        .find(|a| a.path.rsplit_once('/').map_or("", |(d, _)| d) == dir)
        .map(|a| &a.field)
}

fn no_login_shell(shell: Option<&str>) -> bool {
    shell.is_some_and(|shell| {
        let name = basename(shell);
        name == "nologin" || name == "false"
    })
}

fn account_files_coverage(fs_list: &[Filesystem<'_>], analysis: &Analysis<'_>) -> (usize, usize) {
    let mut files = 0;
    let mut accounts = 0;
    for index in 0..fs_list.len() {
        let list = analysis.accounts(index);
        let paths: BTreeSet<&str> = list.iter().map(|a| a.path.as_str()).collect();
        files += paths.len();
        accounts += list.len();
    }
    (files, accounts)
}

// ---------------------------------------------------------------------------------------------
// credentials.default-password

pub static DEFAULT_PASSWORD: Check = Check {
    meta: CheckMeta {
        id: "credentials.default-password",
        provisions: &["5.1-1", "5.1-2"],
        severity: Severity::Critical,
        title: "Account password is a known default",
        rationale: "A password found in public default-credential lists is the same on every \
                    device and is the first thing automated attacks (Mirai) try.",
    },
    run: run_default_password,
};

struct PendingHash<'a> {
    fs: &'a Filesystem<'a>,
    account: Account,
    hash: ParsedHash,
    also_in: Vec<String>,
}

fn run_default_password(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &DEFAULT_PASSWORD.meta;
    let budget = input.options.crack_budget_per_hash;
    let mut pending: Vec<PendingHash<'_>> = Vec::new();
    // Hashes of schemes this build cannot compute (yescrypt `$y$`, scrypt `$7$` in shadow, ...).
    let mut unsupported: BTreeSet<String> = BTreeSet::new();
    for (index, fs) in input.filesystems.iter().enumerate() {
        // One job per (user, hash) per file system: shadow and shadow- often repeat it.
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for account in analysis.accounts(index).iter().cloned() {
            if account.field == PasswordField::Unrecognised
                && matches!(
                    account.source,
                    AccountSource::Passwd | AccountSource::Shadow
                )
            {
                unsupported.insert(format!("{} in {}", account.user, account.path));
                continue;
            }
            let PasswordField::Hash(hash) = &account.field else {
                continue;
            };
            let key = (account.user.clone(), hash.text.clone());
            if let Some(&index) = seen.get(&key) {
                if let Some(entry) = pending.get_mut(index) {
                    entry.also_in.push(account.path.clone());
                }
                continue;
            }
            seen.insert(key, pending.len());
            let hash = hash.clone();
            pending.push(PendingHash {
                fs,
                account,
                hash,
                also_in: Vec::new(),
            });
        }
    }
    let candidate_lists: Vec<Vec<(String, CandidateSource)>> = pending
        .iter()
        .map(|p| candidates_for(&p.account.user))
        .collect();
    let jobs: Vec<CrackJob> = pending
        .iter()
        .zip(&candidate_lists)
        .map(|(p, candidates)| CrackJob {
            hash: p.hash.clone(),
            candidates: candidates.iter().map(|(pw, _)| pw.clone()).collect(),
        })
        .collect();
    let outcomes = crack_all(&jobs, budget);

    let mut findings = Vec::new();
    let mut per_hash = Vec::new();
    let (mut exhausted, mut partial, mut skipped) = (0, 0, 0);
    for ((entry, candidates), outcome) in pending.iter().zip(&candidate_lists).zip(&outcomes) {
        per_hash.push(format!(
            "{} in {} ({}): {}",
            entry.account.user,
            entry.account.path,
            entry.hash.scheme.name(),
            outcome.coverage(budget)
        ));
        match outcome.stop {
            CrackStop::Exhausted => exhausted += 1,
            CrackStop::BudgetSpent => partial += 1,
            CrackStop::TooCostly => skipped += 1,
            CrackStop::Matched => {}
        }
        let Some((password, source)) = outcome.matched.and_then(|i| candidates.get(i)) else {
            continue;
        };
        if password.is_empty() {
            // Reported by credentials.empty-password.
            continue;
        }
        findings.push(default_password_finding(
            meta, entry, password, source, outcome, budget,
        ));
    }
    let coverage = if pending.is_empty() {
        let (files, accounts) = account_files_coverage(input.filesystems, analysis);
        format!(
            "no crackable password hash found ({files} account files, {accounts} account lines in {} file systems)",
            input.filesystems.len()
        )
    } else {
        format!(
            "{} hashes: {} cracked, {exhausted} exhausted every candidate, {partial} stopped at the {} s budget, {skipped} too costly to try; {}",
            pending.len(),
            findings.len(),
            budget.as_secs_f64(),
            per_hash.join("; ")
        )
    };
    let mut output = CheckOutput {
        findings,
        coverage: Some(coverage),
        ..CheckOutput::default()
    };
    if output.findings.is_empty()
        && !outcomes.is_empty()
        && outcomes.iter().all(|o| o.stop == CrackStop::TooCostly)
    {
        output.outcome = Some(CheckOutcome::Indeterminate);
        output.reason = Some("every hash found has a cost parameter too high to try".to_owned());
    }
    if !unsupported.is_empty() {
        let list: Vec<&str> = unsupported.iter().map(String::as_str).collect();
        let note = format!(
            "{} password fields in an unsupported or unknown scheme were not tried: {}",
            list.len(),
            list.join(", ")
        );
        if output.findings.is_empty() && pending.is_empty() {
            // Nothing could be tried: "not found" would claim more than was checked.
            output.outcome = Some(CheckOutcome::Indeterminate);
            output.reason = Some(note.clone());
        }
        if let Some(coverage) = output.coverage.as_mut() {
            coverage.push_str("; ");
            coverage.push_str(&note);
        }
    }
    output
}

fn default_password_finding(
    meta: &CheckMeta,
    entry: &PendingHash<'_>,
    password: &str,
    source: &CandidateSource,
    outcome: &CrackOutcome,
    budget: std::time::Duration,
) -> Finding {
    let (list, lists): (&str, Vec<&str>) = match source {
        CandidateSource::Empty => ("empty", vec![]),
        CandidateSource::UserName => ("user-name", vec![]),
        CandidateSource::Lists(lists) => (lists.first().copied().unwrap_or("lists"), lists.clone()),
    };
    let mut evidence = Map::new();
    evidence.insert("user".into(), json!(entry.account.user));
    evidence.insert("hash_scheme".into(), json!(entry.hash.scheme.name()));
    evidence.insert("password".into(), json!(password));
    evidence.insert("list".into(), json!(list));
    if lists.len() > 1 {
        evidence.insert("lists".into(), json!(lists));
    }
    evidence.insert("coverage".into(), json!(outcome.coverage(budget)));
    if entry.account.source == AccountSource::Embedded {
        evidence.insert("embedded".into(), json!(true));
    }
    if !entry.also_in.is_empty() {
        evidence.insert("also_in".into(), json!(entry.also_in));
    }
    let origin = match source {
        CandidateSource::UserName => "the user name".to_owned(),
        _ => format!("a known default (list {list})"),
    };
    new_finding(
        meta,
        entry.fs,
        &entry.account.path,
        Severity::Critical,
        Confidence::Confirmed,
        format!(
            "The password of account '{}' is '{password}', {origin}.",
            entry.account.user
        ),
        evidence,
        &[&entry.account.user],
    )
}

// ---------------------------------------------------------------------------------------------
// credentials.empty-password

pub static EMPTY_PASSWORD: Check = Check {
    meta: CheckMeta {
        id: "credentials.empty-password",
        provisions: &["5.1-1"],
        severity: Severity::Critical,
        title: "Account without a password",
        rationale: "An account with an empty password lets anyone log in as that user.",
    },
    run: run_empty_password,
};

fn run_empty_password(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &EMPTY_PASSWORD.meta;
    let mut findings = Vec::new();
    let mut checked = 0;
    for (index, fs) in input.filesystems.iter().enumerate() {
        let accounts = analysis.accounts(index);
        let mut reported: BTreeSet<String> = BTreeSet::new();
        for account in accounts {
            checked += 1;
            let (how, scheme) = match &account.field {
                PasswordField::Empty => {
                    if account.source == AccountSource::Embedded {
                        continue;
                    }
                    ("the password field is empty", None)
                }
                PasswordField::Hash(hash) if hash.verify("") => (
                    "the stored hash is the hash of the empty password",
                    Some(hash.scheme),
                ),
                _ => continue,
            };
            if !reported.insert(account.user.clone()) {
                continue;
            }
            let no_login = no_login_shell(account.shell.as_deref());
            let mut evidence = Map::new();
            evidence.insert("user".into(), json!(account.user));
            if let Some(scheme) = scheme {
                evidence.insert("hash_scheme".into(), json!(scheme.name()));
            }
            if let Some(shell) = &account.shell {
                evidence.insert("shell".into(), json!(shell));
            }
            let severity = if no_login {
                Severity::Medium
            } else {
                Severity::Critical
            };
            findings.push(new_finding(
                meta,
                fs,
                &account.path,
                severity,
                Confidence::Confirmed,
                format!(
                    "Account '{}' has no password: {how}{}.",
                    account.user,
                    if no_login {
                        " (its shell refuses interactive logins, other services may not)"
                    } else {
                        ""
                    }
                ),
                evidence,
                &[&account.user],
            ));
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{checked} account lines checked for empty passwords"
        )),
        ..CheckOutput::default()
    }
}

// ---------------------------------------------------------------------------------------------
// credentials.extra-root-account

pub static EXTRA_ROOT_ACCOUNT: Check = Check {
    meta: CheckMeta {
        id: "credentials.extra-root-account",
        provisions: &["5.1-1"],
        severity: Severity::Medium,
        title: "Additional account with user id 0",
        rationale: "A second login with root's user id is a hidden administrator account, \
                    often a manufacturer backdoor with a fixed password.",
    },
    run: run_extra_root_account,
};

fn run_extra_root_account(input: &CheckInput<'_>, analysis: &Analysis<'_>) -> CheckOutput {
    let meta = &EXTRA_ROOT_ACCOUNT.meta;
    let mut findings = Vec::new();
    let mut checked = 0;
    for (index, fs) in input.filesystems.iter().enumerate() {
        let accounts = analysis.accounts(index);
        for account in accounts
            .iter()
            .filter(|a| a.source == AccountSource::Passwd)
        {
            checked += 1;
            if account.uid != Some(0) || account.user == "root" {
                continue;
            }
            let (state, confidence) = match &account.field {
                PasswordField::Locked => continue,
                PasswordField::Shadowed => {
                    match shadow_field(accounts, &account.path, &account.user) {
                        Some(PasswordField::Locked) => continue,
                        Some(PasswordField::Empty) => {
                            ("no password (shadow)", Confidence::Confirmed)
                        }
                        Some(PasswordField::Hash(_)) => {
                            ("a password (shadow)", Confidence::Confirmed)
                        }
                        Some(_) => (
                            "an unrecognised password field (shadow)",
                            Confidence::Likely,
                        ),
                        None => ("no shadow entry found", Confidence::Likely),
                    }
                }
                PasswordField::Empty => ("no password", Confidence::Confirmed),
                PasswordField::Hash(_) => ("a password hash in passwd", Confidence::Confirmed),
                PasswordField::Unrecognised => {
                    ("an unrecognised password field", Confidence::Likely)
                }
            };
            let mut evidence = Map::new();
            evidence.insert("user".into(), json!(account.user));
            evidence.insert("uid".into(), json!(0));
            evidence.insert("password_state".into(), json!(state));
            if let Some(shell) = &account.shell {
                evidence.insert("shell".into(), json!(shell));
            }
            findings.push(new_finding(
                meta,
                fs,
                &account.path,
                Severity::Medium,
                confidence,
                format!(
                    "Account '{}' has user id 0 (root privileges) and can log in ({state}).",
                    account.user
                ),
                evidence,
                &[&account.user],
            ));
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!("{checked} passwd entries checked")),
        ..CheckOutput::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration files: credentials.fixed-config-password and credentials.wifi-key

/// A `key = value` setting found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub line: usize,
    /// The UCI section (`config wifi-iface 'wlan0'`) the option is in, if any.
    pub section: Option<String>,
}

const CONFIG_EXTENSIONS: &[&str] = &[
    "conf",
    "cfg",
    "ini",
    "cnf",
    "json",
    "xml",
    "yaml",
    "yml",
    "properties",
    "env",
    "config",
    "default",
    "defaults",
    "nvram",
];

/// Whether `path` is a configuration file worth parsing.
pub fn is_config_path(path: &str) -> bool {
    let name = basename(path);
    if is_passwd_name(name) || is_shadow_name(name) || is_user_hash_name(path, name) {
        return false;
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(ext) = &extension {
        if matches!(
            ext.as_str(),
            "sh" | "js" | "html" | "htm" | "css" | "lua" | "py" | "pem" | "crt" | "key" | "so"
        ) {
            return false;
        }
        if CONFIG_EXTENSIONS.contains(&ext.as_str()) {
            return true;
        }
    }
    let in_etc = path.starts_with("etc/") || path.contains("/etc/");
    let in_init = path.contains("init.d/") || path.contains("rc.d/") || path.contains("/rc");
    (in_etc && !in_init) || name.contains("nvram") || name.starts_with("default")
}

fn strip_quotes(value: &str) -> &str {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

fn xml_attribute_regex() -> Option<&'static regex::Regex> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"([A-Za-z_][A-Za-z0-9_.\-]{0,63})\s*=\s*"([^"]{0,256})""#).ok()
    })
    .as_ref()
}

fn settings_regexes() -> Option<&'static (regex::Regex, regex::Regex, regex::Regex)> {
    static RE: OnceLock<Option<(regex::Regex, regex::Regex, regex::Regex)>> = OnceLock::new();
    RE.get_or_init(|| {
        let json =
            regex::Regex::new(r#""([A-Za-z0-9_.\-]{1,64})"\s*:\s*"([^"\\]{0,256})""#).ok()?;
        let xml =
            regex::Regex::new(r"<([A-Za-z0-9_.\-]{1,64})>([^<]{1,256})</([A-Za-z0-9_.\-]{1,64})>")
                .ok()?;
        let uci = regex::Regex::new(r#"^\s*(?:option|list)\s+([A-Za-z0-9_.\-]+)\s+(.*)$"#).ok()?;
        Some((json, xml, uci))
    })
    .as_ref()
}

/// Every `key=value`, `key: value`, `"key": "value"`, `<key>value</key>` and UCI
/// `option key 'value'` setting of a configuration text.
pub fn parse_settings(text: &str) -> Vec<Setting> {
    let Some((json, xml, uci)) = settings_regexes() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(';')
            || line.starts_with("//")
        {
            continue;
        }
        if let Some(rest) = line.strip_prefix("config ") {
            section = Some(rest.trim().to_owned());
            continue;
        }
        if let Some(captures) = uci.captures(line) {
            if let (Some(key), Some(value)) = (captures.get(1), captures.get(2)) {
                out.push(Setting {
                    key: key.as_str().to_owned(),
                    value: strip_quotes(value.as_str()).to_owned(),
                    line: line_no,
                    section: section.clone(),
                });
            }
            continue;
        }
        let mut structured = false;
        for captures in json.captures_iter(line) {
            structured = true;
            if let (Some(key), Some(value)) = (captures.get(1), captures.get(2)) {
                out.push(Setting {
                    key: key.as_str().to_owned(),
                    value: value.as_str().to_owned(),
                    line: line_no,
                    section: None,
                });
            }
        }
        for captures in xml.captures_iter(line) {
            structured = true;
            if let (Some(key), Some(value), Some(close)) =
                (captures.get(1), captures.get(2), captures.get(3))
                && key.as_str() == close.as_str()
            {
                out.push(Setting {
                    key: key.as_str().to_owned(),
                    value: value.as_str().trim().to_owned(),
                    line: line_no,
                    section: None,
                });
            }
        }
        if line.starts_with('<') {
            // XML attributes: `<snmp readCommunity="public" .../>`.
            for captures in xml_attribute_regex()
                .into_iter()
                .flat_map(|re| re.captures_iter(line))
            {
                if let (Some(key), Some(value)) = (captures.get(1), captures.get(2)) {
                    out.push(Setting {
                        key: key.as_str().to_owned(),
                        value: value.as_str().to_owned(),
                        line: line_no,
                        section: None,
                    });
                }
            }
            continue;
        }
        if structured {
            continue;
        }
        let split = line.find(['=', ':']);
        if let Some(at) = split {
            let (key, value) = (
                line.get(..at).unwrap_or(""),
                line.get(at + 1..).unwrap_or(""),
            );
            let key = key.trim().trim_start_matches("export ").trim();
            if !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            {
                // Drop a trailing comment on unquoted values.
                let value = value.trim();
                let value = if value.starts_with(['"', '\'']) {
                    value
                } else {
                    value.split(" #").next().unwrap_or(value)
                };
                out.push(Setting {
                    key: key.to_owned(),
                    value: strip_quotes(value).to_owned(),
                    line: line_no,
                    section: section.clone(),
                });
            }
        }
    }
    out
}

const NOT_A_PASSWORD_KEY: &[&str] = &[
    "auth", "file", "path", "min", "max", "len", "policy", "expir", "hash", "encrypt", "type",
    "mode", "enable", "retry", "prompt", "change", "reset", "hint", "regex", "strength", "salt",
    "url", "cmd", "command", "dir", "check", "required", "timeout", "field", "label", "msg",
    "text", "title", "id", "psk", "wpa", "wep", "sae", "wifi", "wlan", "wireless", "age", "format",
    "level", "count", "attempt", "lock", "history", "complex", "digit", "upper", "lower",
    "special", "method", "server", "program", "helper", "store", "save", "show", "display",
    "input", "confirm", "error", "fail", "valid", "verify", "allow", "disable", "encode", "decode",
    "need", "protect", "recover", "forgot", "remember",
];

/// Whether `key` names a login password (not a policy setting or a Wi-Fi key).
pub fn is_password_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let passwordish = key.contains("password")
        || key.contains("passwd")
        || key.contains("passphrase")
        || key.contains("pwd")
        || key == "pass"
        || key == "pw"
        || key.ends_with("_pass")
        || key.ends_with(".pass")
        || key.ends_with("-pass");
    if !passwordish {
        return false;
    }
    // Judge the rest of the key word by word (`admin_password` is a password, `min_password_length`
    // and `passwordMinLength` are policy settings): take the password word out, split the rest.
    let mut rest = key.clone();
    for word in ["password", "passwd", "passphrase", "pwd"] {
        rest = rest.replace(word, "_");
    }
    !rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|token| !token.is_empty())
        .any(|token| {
            NOT_A_PASSWORD_KEY
                .iter()
                .any(|word| token.starts_with(word))
        })
}

/// Whether `value` is a placeholder, a switch or a masked value rather than a fixed secret.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    value.is_empty()
        || value.len() > 128
        || value.starts_with(['$', '%', '<', '{', '@', '`', '['])
        || value.contains("${")
        || value.contains("$(")
        || value
            .chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '•')
        || matches!(
            lower.as_str(),
            "none"
                | "null"
                | "nil"
                | "false"
                | "true"
                | "yes"
                | "no"
                | "on"
                | "off"
                | "0"
                | "1"
                | "disabled"
                | "enabled"
                | "disable"
                | "enable"
                | "required"
                | "optional"
                | "undefined"
                | "empty"
                | "password"
                | "your_password"
                | "yourpassword"
                | "<password>"
                | "secret_here"
        )
        || identify(value).is_some()
}

fn config_texts<'a>(fs: &'a Filesystem<'a>) -> impl Iterator<Item = (&'a str, Cow<'a, str>)> + 'a {
    fs.tree.files().filter_map(|(path, file)| {
        if file.data.len() > MAX_CONFIG_BYTES || !is_config_path(path) {
            return None;
        }
        as_text(&file.data).map(|text| (path, text))
    })
}

pub static FIXED_CONFIG_PASSWORD: Check = Check {
    meta: CheckMeta {
        id: "credentials.fixed-config-password",
        provisions: &["5.1-1", "5.4-3"],
        severity: Severity::High,
        title: "Fixed password or SNMP community in a configuration file",
        rationale: "A password written into the shipped configuration is identical on every \
                    device of the model unless the user changes it.",
    },
    run: run_fixed_config_password,
};

fn run_fixed_config_password(input: &CheckInput<'_>, _: &Analysis<'_>) -> CheckOutput {
    let meta = &FIXED_CONFIG_PASSWORD.meta;
    let mut findings = Vec::new();
    let mut files = 0;
    for fs in input.filesystems {
        for (path, text) in config_texts(fs) {
            files += 1;
            let name = basename(path);
            if name.starts_with("snmpd") || (path.contains("config/") && name == "snmpd") {
                findings.extend(snmp_communities(meta, fs, path, &text));
            }
            if name == "pap-secrets" || name == "chap-secrets" {
                findings.extend(ppp_secrets(meta, fs, path, &text));
                continue;
            }
            let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
            let lines: Vec<&str> = text.lines().collect();
            for setting in parse_settings(&text) {
                let key = setting.key.to_ascii_lowercase();
                if key.contains("community")
                    && !key.contains("name")
                    && !is_placeholder(&setting.value)
                {
                    let raw = lines
                        .get(setting.line.saturating_sub(1))
                        .copied()
                        .unwrap_or_default();
                    let disabled = ["=\"disable\"", "=\"disabled\"", "='disabled'", "=\"off\""]
                        .iter()
                        .any(|marker| raw.contains(marker));
                    if seen.insert((key.clone(), setting.value.clone())) {
                        findings.push(community_finding(
                            meta,
                            fs,
                            path,
                            &setting.value,
                            key.contains("write") || key.starts_with("rw"),
                            setting.line,
                            disabled,
                        ));
                    }
                    continue;
                }
                if !is_password_key(&setting.key) || is_placeholder(&setting.value) {
                    continue;
                }
                if !seen.insert((setting.key.clone(), setting.value.clone())) {
                    continue;
                }
                let lists = lists_containing(&setting.value);
                let mut evidence = Map::new();
                evidence.insert("key".into(), json!(setting.key));
                evidence.insert("line".into(), json!(setting.line));
                evidence.insert(
                    "value_sha256_prefix".into(),
                    json!(value_digest(&setting.value)),
                );
                let (severity, confidence, message) = if let Some(list) = lists.first() {
                    evidence.insert("password".into(), json!(setting.value));
                    evidence.insert("list".into(), json!(list));
                    (
                        Severity::High,
                        Confidence::Confirmed,
                        format!(
                            "'{}' is set to the known default '{}' (list {list}).",
                            setting.key, setting.value
                        ),
                    )
                } else {
                    evidence.insert("value".into(), json!(masked(&setting.value)));
                    (
                        Severity::Medium,
                        Confidence::Likely,
                        format!(
                            "'{}' is set to a fixed value in the shipped configuration.",
                            setting.key
                        ),
                    )
                };
                let digest = value_digest(&setting.value);
                findings.push(new_finding(
                    meta,
                    fs,
                    path,
                    severity,
                    confidence,
                    message,
                    evidence,
                    &[&setting.key, &digest],
                ));
            }
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!("{files} configuration files parsed")),
        ..CheckOutput::default()
    }
}

/// Communities of `snmpd.conf` (`rocommunity`, `rwcommunity`, `com2sec`) and of OpenWrt's
/// UCI `snmpd` file (`option community`).
fn snmp_communities(meta: &CheckMeta, fs: &Filesystem<'_>, path: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first().is_some_and(|w| w.starts_with('#')) {
            continue;
        }
        let (community, writable) = match words.as_slice() {
            [directive, community, ..]
                if directive.starts_with("rocommunity") || directive.starts_with("rwcommunity") =>
            {
                (*community, directive.starts_with("rw"))
            }
            ["com2sec", _name, _source, community, ..] => (*community, false),
            ["option", "community", community, ..] => (strip_quotes(community), false),
            _ => continue,
        };
        if is_placeholder(community) || !seen.insert(community.to_owned()) {
            continue;
        }
        out.push(community_finding(
            meta,
            fs,
            path,
            community,
            writable,
            index + 1,
            false,
        ));
    }
    out
}

/// One fixed SNMP community; `disabled` when the same configuration line turns SNMP off.
fn community_finding(
    meta: &CheckMeta,
    fs: &Filesystem<'_>,
    path: &str,
    community: &str,
    writable: bool,
    line: usize,
    disabled: bool,
) -> Finding {
    let lists = lists_containing(community);
    let known = lists.first().copied();
    let mut evidence = Map::new();
    evidence.insert("key".into(), json!("snmp-community"));
    evidence.insert("line".into(), json!(line));
    evidence.insert("writable".into(), json!(writable));
    if let Some(list) = known {
        evidence.insert("password".into(), json!(community));
        evidence.insert("list".into(), json!(list));
    } else {
        evidence.insert("value".into(), json!(masked(community)));
    }
    if disabled {
        evidence.insert(
            "note".into(),
            json!("SNMP is disabled in this configuration"),
        );
    }
    let severity = match (disabled, writable, known.is_some()) {
        (true, _, _) => Severity::Low,
        (false, true, _) => Severity::High,
        (false, false, true) => Severity::Medium,
        (false, false, false) => Severity::Low,
    };
    let digest = value_digest(community);
    new_finding(
        meta,
        fs,
        path,
        severity,
        if known.is_some() {
            Confidence::Confirmed
        } else {
            Confidence::Likely
        },
        format!(
            "SNMP {} community {} is fixed in the shipped configuration{}.",
            if writable { "read-write" } else { "read-only" },
            known.map_or_else(
                || "value".to_owned(),
                |list| format!("'{community}' (known default, list {list})")
            ),
            if disabled {
                " (SNMP itself is disabled there)"
            } else {
                ""
            }
        ),
        evidence,
        &["snmp-community", &digest],
    )
}

/// PPP `pap-secrets`/`chap-secrets`: `client server secret [addresses]` with a fixed secret.
fn ppp_secrets(meta: &CheckMeta, fs: &Filesystem<'_>, path: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().map(strip_quotes).collect();
        let (Some(client), Some(secret)) = (words.first(), words.get(2)) else {
            continue;
        };
        if *secret == "*" || is_placeholder(secret) {
            continue;
        }
        let lists = lists_containing(secret);
        let mut evidence = Map::new();
        evidence.insert("key".into(), json!("ppp-secret"));
        evidence.insert("user".into(), json!(client));
        evidence.insert("line".into(), json!(index + 1));
        if let Some(list) = lists.first() {
            evidence.insert("password".into(), json!(secret));
            evidence.insert("list".into(), json!(list));
        } else {
            evidence.insert("value".into(), json!(masked(secret)));
        }
        let digest = value_digest(secret);
        out.push(new_finding(
            meta,
            fs,
            path,
            Severity::Medium,
            Confidence::Likely,
            format!(
                "PPP secret for '{client}' is fixed in the shipped {}.",
                basename(path)
            ),
            evidence,
            &["ppp-secret", client, &digest],
        ));
    }
    out
}

pub static WIFI_KEY: Check = Check {
    meta: CheckMeta {
        id: "credentials.wifi-key",
        provisions: &["5.1-1", "5.4-3"],
        severity: Severity::High,
        title: "Fixed Wi-Fi key in the default configuration",
        rationale: "A Wi-Fi passphrase shipped in the firmware is the same on every device, \
                    so anyone with the image can join the network or decrypt it.",
    },
    run: run_wifi_key,
};

/// Whether `key` (lower case) holds a Wi-Fi pre-shared key or WEP key.
fn is_wifi_key(key: &str, section: Option<&str>) -> bool {
    let key = key.to_ascii_lowercase();
    let in_wifi_iface = section.is_some_and(|s| s.starts_with("wifi-iface"));
    matches!(
        key.as_str(),
        "wpa_passphrase" | "wpa_psk" | "sae_password" | "psk"
    ) || key.starts_with("wep_key")
        || (in_wifi_iface
            && (key == "key" || key == "key1" || key == "key2" || key == "key3" || key == "key4"))
        || ((key.starts_with("wl") || key.starts_with("wifi") || key.starts_with("wlan"))
            && (key.ends_with("wpa_psk")
                || key.ends_with("_psk")
                || key.ends_with("wpapsk")
                || key.ends_with("_passphrase")
                || key.ends_with("_wpa_key")
                || key.ends_with("_key1")
                || key.ends_with("_key")))
}

fn plausible_wifi_key(value: &str) -> bool {
    let len = value.chars().count();
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    (8..=63).contains(&len)
        || (len == 64 && hex)
        || matches!(len, 5 | 13)
        || (matches!(len, 10 | 26) && hex)
}

fn run_wifi_key(input: &CheckInput<'_>, _: &Analysis<'_>) -> CheckOutput {
    let meta = &WIFI_KEY.meta;
    let mut findings = Vec::new();
    let mut files = 0;
    for fs in input.filesystems {
        for (path, text) in config_texts(fs) {
            files += 1;
            let settings = parse_settings(&text);
            // UCI: a key in a section whose encryption is `none` is not used.
            let open_sections: BTreeSet<String> = settings
                .iter()
                .filter(|s| s.key == "encryption" && s.value == "none")
                .filter_map(|s| s.section.clone())
                .collect();
            let mut seen = BTreeSet::new();
            for setting in &settings {
                if !is_wifi_key(&setting.key, setting.section.as_deref())
                    || is_placeholder(&setting.value)
                    || !plausible_wifi_key(&setting.value)
                    || setting
                        .section
                        .as_ref()
                        .is_some_and(|s| open_sections.contains(s))
                {
                    continue;
                }
                let digest = value_digest(&setting.value);
                let section = setting.section.clone().unwrap_or_default();
                if !seen.insert((setting.key.clone(), section.clone(), digest.clone())) {
                    continue;
                }
                let mut evidence = Map::new();
                evidence.insert("key".into(), json!(setting.key));
                evidence.insert("line".into(), json!(setting.line));
                if !section.is_empty() {
                    evidence.insert("section".into(), json!(section));
                }
                evidence.insert("value".into(), json!(masked(&setting.value)));
                evidence.insert("value_sha256_prefix".into(), json!(digest));
                findings.push(new_finding(
                    meta,
                    fs,
                    path,
                    Severity::High,
                    Confidence::Likely,
                    format!(
                        "Wi-Fi key '{}' is fixed in the shipped configuration.",
                        setting.key
                    ),
                    evidence,
                    &[&setting.key, &section, &digest],
                ));
            }
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!("{files} configuration files parsed for Wi-Fi keys")),
        ..CheckOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::checks::{CheckOptions, run_checks};
    use crate::vfs::{FileEntry, Tree};

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, text) in files {
            tree.add_file(path, FileEntry::new(text.as_bytes().to_vec()))
                .unwrap();
        }
        tree
    }

    fn findings(tree: &Tree, check: &Check) -> Vec<Finding> {
        let options = CheckOptions {
            crack_budget_per_hash: Duration::from_secs(5),
            ..CheckOptions::default()
        };
        let filesystems = [Filesystem {
            containers: vec![],
            tree,
        }];
        let input = CheckInput {
            filesystems: &filesystems,
            options: &options,
        };
        run_checks(&[check], &input).0
    }

    #[test]
    fn lists_keep_their_source() {
        // Every Mirai password is in the RouterSploit list too; the first list is named first.
        assert_eq!(
            lists_containing("xc3511"),
            ["mirai", "routersploit-defaults"]
        );
        assert!(lists_containing("admin").contains(&"routersploit-defaults"));
        assert!(lists_containing("public").contains(&"routersploit-snmp-communities"));
        assert!(lists_containing("no-such-default-Zq8").is_empty());
        let candidates = candidates_for("root");
        assert_eq!(candidates[0], (String::new(), CandidateSource::Empty));
        assert_eq!(candidates[1].1, CandidateSource::UserName);
        // Passwords the lists pair with `root` come before the rest.
        assert_eq!(candidates[2].0, "xc3511");
        assert!(candidates.len() > 500, "{}", candidates.len());
        assert!(ROUTERSPLOIT_LICENSE.contains("RouterSploit"));
    }

    #[test]
    fn password_keys_and_placeholders() {
        for key in [
            "admin_password",
            "password",
            "rootPassword",
            "db.pass",
            "PWD",
            "http_passwd",
        ] {
            assert!(is_password_key(key), "{key}");
        }
        for key in [
            "min_password_length",
            "passwordMinLength",
            "password_file",
            "PasswordAuthentication",
            "wpa_passphrase",
            "user",
            "max_password_age",
        ] {
            assert!(!is_password_key(key), "{key}");
        }
        for value in [
            "$PASS",
            "${ADMIN}",
            "%s",
            "<password>",
            "****",
            "yes",
            "",
            "$1$12345678$hj0uLpdidjPhbMMZeno8X/",
        ] {
            assert!(is_placeholder(value), "{value}");
        }
        assert!(!is_placeholder("admin"));
    }

    #[test]
    fn settings_of_every_syntax() {
        let settings = parse_settings(
            "config wifi-iface 'ap'\n\toption key 'abcdefgh1'\nkey = value # comment\n{\"password\": \"s3cret\"}\n<pass>xyz</pass>\n",
        );
        let pairs: Vec<(&str, &str, Option<&str>)> = settings
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str(), s.section.as_deref()))
            .collect();
        assert!(pairs.contains(&("key", "abcdefgh1", Some("wifi-iface 'ap'"))));
        assert!(pairs.contains(&("key", "value", Some("wifi-iface 'ap'"))));
        assert!(pairs.contains(&("password", "s3cret", None)));
        assert!(pairs.contains(&("pass", "xyz", None)));
    }

    #[test]
    fn wifi_key_in_uci_positive_and_negative() {
        let positive = tree(&[(
            "etc/config/wireless",
            "config wifi-iface 'default_radio0'\n\toption ssid 'Cam'\n\toption encryption 'psk2'\n\toption key 'FixedKey2024'\n",
        )]);
        let found = findings(&positive, &WIFI_KEY);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].evidence["key"], "key");
        assert!(
            !found[0].evidence["value"]
                .to_string()
                .contains("FixedKey2024")
        );
        let negative = tree(&[(
            "etc/config/wireless",
            "config wifi-iface 'default_radio0'\n\toption ssid 'Cam'\n\toption encryption 'none'\n\toption key 'FixedKey2024'\nconfig wifi-device 'radio0'\n\toption key 'notawifikey'\n",
        )]);
        assert!(findings(&negative, &WIFI_KEY).is_empty());
    }

    #[test]
    fn empty_and_extra_root_positive_and_negative() {
        let positive = tree(&[(
            "etc/passwd",
            "root::0:0:root:/root:/bin/sh\nadmin:x:0:0::/:/bin/sh\n",
        )]);
        let empty = findings(&positive, &EMPTY_PASSWORD);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].evidence["user"], "root");
        let extra = findings(&positive, &EXTRA_ROOT_ACCOUNT);
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].evidence["user"], "admin");
        let negative = tree(&[
            (
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nadmin:x:0:0::/:/bin/sh\n",
            ),
            ("etc/shadow", "root:!:1::::::\nadmin:*:1::::::\n"),
        ]);
        assert!(findings(&negative, &EMPTY_PASSWORD).is_empty());
        assert!(findings(&negative, &EXTRA_ROOT_ACCOUNT).is_empty());
    }

    #[test]
    fn fixed_password_positive_and_negative() {
        let positive = tree(&[(
            "etc/config/app",
            "config login\n\toption password 'letmein99'\n",
        )]);
        let found = findings(&positive, &FIXED_CONFIG_PASSWORD);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Medium);
        let negative = tree(&[(
            "etc/config/app",
            "config login\n\toption password ''\n\toption password_min '8'\n",
        )]);
        assert!(findings(&negative, &FIXED_CONFIG_PASSWORD).is_empty());
    }

    #[test]
    fn unsupported_schemes_make_the_outcome_indeterminate() {
        let yescrypt = tree(&[(
            "etc/shadow",
            "root:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:19000:0:99999:7:::\n",
        )]);
        let options = CheckOptions::default();
        let filesystems = [Filesystem {
            containers: vec![],
            tree: &yescrypt,
        }];
        let input = CheckInput {
            filesystems: &filesystems,
            options: &options,
        };
        let (_, runs) = run_checks(&[&DEFAULT_PASSWORD], &input);
        assert_eq!(
            runs[0].outcome,
            iotlabel_core::report::CheckOutcome::Indeterminate
        );
        assert!(
            runs[0]
                .reason
                .as_deref()
                .unwrap_or_default()
                .contains("root in etc/shadow")
        );
    }

    /// `user:hash` lines found by searching the whole of `data`, as before the shared byte pass.
    fn whole_file_accounts(data: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        scan_embedded_accounts("blob", data, &mut out);
        out.into_iter()
            .map(|a| match a.field {
                PasswordField::Hash(hash) => (a.user, hash.text),
                other => (a.user, format!("{other:?}")),
            })
            .collect()
    }

    fn windowed_accounts(data: &[u8]) -> Vec<(String, String)> {
        let anchors = crate::checks::analysis::Anchors::scan(data);
        embedded_accounts_at("blob", data, &anchors.account_colons)
            .into_iter()
            .map(|a| match a.field {
                PasswordField::Hash(hash) => (a.user, hash.text),
                other => (a.user, format!("{other:?}")),
            })
            .collect()
    }

    #[test]
    fn windowed_account_search_finds_long_names_and_hashes() {
        let mut data = b"\x00\x01".to_vec();
        data.extend(b"a_very_long_user_name_of_forty_characters");
        data.extend(
            b":$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/\x00admin:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\x00",
        );
        data.extend(b"root:$apr1$");
        data.extend(vec![b'a'; 320]);
        data.extend(b"\x00x:$6$");
        let whole = whole_file_accounts(&data);
        assert_eq!(whole.len(), 2, "{whole:?}");
        // The leftmost start: the user name is cut to its longest allowed length, 32.
        assert_eq!(whole[0].0, "ng_user_name_of_forty_characters");
        assert_eq!(windowed_accounts(&data), whole);
    }

    proptest! {
        #[test]
        fn windowed_account_search_equals_whole_file_search(parts in proptest::collection::vec(prop_oneof![
            Just(b"root".to_vec()), Just(b"admin_user.name-1".to_vec()), Just(b":".to_vec()),
            Just(b"$1$".to_vec()), Just(b"$apr1$".to_vec()), Just(b"$6$".to_vec()), Just(b"$2b$".to_vec()),
            Just(b"{SHA}".to_vec()), Just(b"W6ph5Mm5Pz8GgiULbPgzG37mj9g=".to_vec()),
            Just(b"abcdefgh$l/LAqC8oJERu7Cmx6trtY/".to_vec()),
            "[A-Za-z0-9./]{1,320}".prop_map(String::into_bytes),
            "[A-Za-z_]{20,40}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..4),
        ], 0..24)) {
            let data = parts.concat();
            prop_assert_eq!(windowed_accounts(&data), whole_file_accounts(&data));
        }

        #[test]
        fn hostile_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut tree = Tree::new();
            tree.add_file("etc/shadow", FileEntry::new(data.clone())).unwrap();
            tree.add_file("etc/app.conf", FileEntry::new(data.clone())).unwrap();
            tree.add_file("bin/blob", FileEntry::new(data)).unwrap();
            let fs = Filesystem { containers: vec![], tree: &tree };
            let _ = collect_accounts(&fs);
            for setting in tree.files().filter_map(|(_, f)| as_text(&f.data)).flat_map(|t| parse_settings(&t)) {
                let _ = is_password_key(&setting.key);
            }
        }
    }
}
