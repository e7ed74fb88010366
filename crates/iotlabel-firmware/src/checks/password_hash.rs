//! Password-hash recognition and time-budgeted cracking for the credential checks: which
//! scheme a stored hash uses (DES crypt, md5crypt, apr1, sha256crypt, sha512crypt, bcrypt,
//! Mosquitto's `$6$`/`$7$`, htpasswd `{SHA}`), whether a candidate password matches it, and a
//! parallel run of candidate lists over many hashes, each within a time budget.
//!
//! The Unix crypt schemes are verified with `pwhash`. apr1 (Apache's md5crypt variant), the
//! Mosquitto formats and `{SHA}` are not in `pwhash`, so they are computed here from the digest
//! crates. Every hash is validated (alphabet, lengths, cost) before it reaches `pwhash`, so a
//! malformed or hostile hash string is rejected instead of reaching a library assertion.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};
use sha2::Sha512;

/// The hash schemes recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashScheme {
    DesCrypt,
    Md5Crypt,
    Apr1,
    Sha256Crypt,
    Sha512Crypt,
    Bcrypt,
    /// Mosquitto before 2.0: `$6$<base64 salt>$<base64 SHA-512(password || salt)>`.
    MosquittoSha512,
    /// Mosquitto 2.x: `$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>`.
    MosquittoPbkdf2,
    /// Apache htpasswd `{SHA}<base64 SHA-1(password)>`.
    HtpasswdSha1,
}

impl HashScheme {
    /// The name used in finding evidence (`hash_scheme`).
    pub fn name(self) -> &'static str {
        match self {
            HashScheme::DesCrypt => "des-crypt",
            HashScheme::Md5Crypt => "md5crypt",
            HashScheme::Apr1 => "apr1",
            HashScheme::Sha256Crypt => "sha256crypt",
            HashScheme::Sha512Crypt => "sha512crypt",
            HashScheme::Bcrypt => "bcrypt",
            HashScheme::MosquittoSha512 => "mosquitto-sha512",
            HashScheme::MosquittoPbkdf2 => "mosquitto-pbkdf2-sha512",
            HashScheme::HtpasswdSha1 => "htpasswd-sha1",
        }
    }
}

/// A stored hash whose format was validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHash {
    pub scheme: HashScheme,
    /// The hash as stored.
    pub text: String,
    /// Rounds (sha-crypt, PBKDF2 iterations) or the bcrypt cost exponent; 0 when fixed.
    pub cost: u32,
}

/// What the password field of an account line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordField {
    /// No password at all: anyone can log in as this user.
    Empty,
    /// Login by password disabled (`*`, `!`, `!!`, `*LK*`, `!<hash>`).
    Locked,
    /// `x` in passwd: the hash is in the shadow file.
    Shadowed,
    Hash(ParsedHash),
    /// Something else (a plain-text value, an unknown scheme).
    Unrecognised,
}

/// Classifies the password field of a passwd, shadow or htpasswd line.
pub fn classify_field(field: &str) -> PasswordField {
    let field = field.trim();
    if field.is_empty() {
        return PasswordField::Empty;
    }
    if field.starts_with('!') || field.starts_with('*') {
        return PasswordField::Locked;
    }
    if field == "x" {
        return PasswordField::Shadowed;
    }
    match identify(field) {
        Some(hash) => PasswordField::Hash(hash),
        None => PasswordField::Unrecognised,
    }
}

const CRYPT_ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn all_crypt64(text: &str) -> bool {
    text.bytes().all(|b| CRYPT_ALPHABET.contains(&b))
}

fn all_base64(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}

/// Recognises a stored hash; `None` for anything that is not a well-formed hash of a known
/// scheme (so text that merely starts with `$` is never taken for a hash).
pub fn identify(text: &str) -> Option<ParsedHash> {
    let make = |scheme, cost| {
        Some(ParsedHash {
            scheme,
            text: text.to_owned(),
            cost,
        })
    };
    if let Some(rest) = text.strip_prefix("{SHA}") {
        return (rest.len() == 28 && all_base64(rest) && decoded_len(rest) == Some(20))
            .then(|| make(HashScheme::HtpasswdSha1, 0))
            .flatten();
    }
    if !text.starts_with('$') {
        // Traditional DES crypt: 2 salt characters and 11 of checksum.
        return (text.len() == 13 && all_crypt64(text))
            .then(|| make(HashScheme::DesCrypt, 25))
            .flatten();
    }
    let parts: Vec<&str> = text.split('$').collect();
    // parts[0] is the empty text before the first `$`.
    match parts.as_slice() {
        ["", "1", salt, sum] if salt.len() <= 8 && all_crypt64(salt) => {
            (sum.len() == 22 && all_crypt64(sum)).then(|| make(HashScheme::Md5Crypt, 1000))?
        }
        ["", "apr1", salt, sum] if salt.len() <= 8 && all_crypt64(salt) => {
            (sum.len() == 22 && all_crypt64(sum)).then(|| make(HashScheme::Apr1, 1000))?
        }
        ["", id @ ("5" | "6"), rest @ ..] => {
            let (rounds, salt, sum) = match rest {
                [rounds, salt, sum] => (parse_rounds(rounds)?, *salt, *sum),
                [salt, sum] => (5000, *salt, *sum),
                _ => return None,
            };
            let (scheme, sum_len) = if *id == "5" {
                (HashScheme::Sha256Crypt, 43)
            } else {
                (HashScheme::Sha512Crypt, 86)
            };
            if salt.len() <= 16 && all_crypt64(salt) && sum.len() == sum_len && all_crypt64(sum) {
                return make(scheme, rounds);
            }
            // Mosquitto's `$6$`: standard base64 salt and a base64 SHA-512 digest.
            if *id == "6"
                && rest.len() == 2
                && all_base64(salt)
                && decoded_len(salt).is_some_and(|n| n > 0)
                && decoded_len(sum) == Some(64)
            {
                return make(HashScheme::MosquittoSha512, 1);
            }
            None
        }
        ["", "7", iterations, salt, sum] => {
            let iterations: u32 = iterations.parse().ok()?;
            (iterations > 0
                && all_base64(salt)
                && decoded_len(salt).is_some_and(|n| n > 0)
                && decoded_len(sum) == Some(64))
            .then(|| make(HashScheme::MosquittoPbkdf2, iterations))?
        }
        ["", "2a" | "2b" | "2y", cost, body] => {
            let cost: u32 = cost.parse().ok()?;
            ((4..=31).contains(&cost) && body.len() == 53 && all_crypt64(body))
                .then(|| make(HashScheme::Bcrypt, cost))?
        }
        _ => None,
    }
}

fn parse_rounds(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("rounds=")?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn decoded_len(text: &str) -> Option<usize> {
    if !all_base64(text) {
        return None;
    }
    BASE64.decode(text).ok().map(|bytes| bytes.len())
}

/// Hashes whose cost is above these are not tried: one candidate would take longer than any
/// reasonable budget (a hostile image could set sha-crypt rounds to 999,999,999). 200,000
/// sha-crypt rounds are 40 times the default, bcrypt cost 12 four times the usual 10.
const MAX_SHA_CRYPT_ROUNDS: u32 = 200_000;
const MAX_BCRYPT_COST: u32 = 12;
const MAX_PBKDF2_ITERATIONS: u32 = 200_000;

impl ParsedHash {
    /// Whether one try fits any budget; see the `MAX_*` limits.
    pub fn is_affordable(&self) -> bool {
        match self.scheme {
            HashScheme::Sha256Crypt | HashScheme::Sha512Crypt => self.cost <= MAX_SHA_CRYPT_ROUNDS,
            HashScheme::Bcrypt => self.cost <= MAX_BCRYPT_COST,
            HashScheme::MosquittoPbkdf2 => self.cost <= MAX_PBKDF2_ITERATIONS,
            _ => true,
        }
    }

    /// Whether `password` produces this hash.
    pub fn verify(&self, password: &str) -> bool {
        if !self.is_affordable() {
            return false;
        }
        let pass = password.as_bytes();
        match self.scheme {
            HashScheme::DesCrypt => pwhash::unix_crypt::verify(pass, &self.text),
            HashScheme::Md5Crypt => pwhash::md5_crypt::verify(pass, &self.text),
            HashScheme::Sha256Crypt => pwhash::sha256_crypt::verify(pass, &self.text),
            HashScheme::Sha512Crypt => pwhash::sha512_crypt::verify(pass, &self.text),
            // bcrypt reads at most 72 bytes of the password.
            HashScheme::Bcrypt => pass.len() <= 72 && pwhash::bcrypt::verify(pass, &self.text),
            HashScheme::Apr1 => self.verify_apr1(pass),
            HashScheme::MosquittoSha512 => self.verify_mosquitto_sha512(pass),
            HashScheme::MosquittoPbkdf2 => self.verify_mosquitto_pbkdf2(pass),
            HashScheme::HtpasswdSha1 => self.verify_htpasswd_sha1(pass),
        }
    }

    fn verify_apr1(&self, pass: &[u8]) -> bool {
        let mut parts = self.text.split('$').skip(2);
        let (Some(salt), Some(sum)) = (parts.next(), parts.next()) else {
            return false;
        };
        md5_crypt_with_magic(pass, salt.as_bytes(), b"$apr1$") == sum
    }

    fn verify_mosquitto_sha512(&self, pass: &[u8]) -> bool {
        let mut parts = self.text.split('$').skip(2);
        let (Some(salt), Some(sum)) = (parts.next(), parts.next()) else {
            return false;
        };
        let (Ok(salt), Ok(sum)) = (BASE64.decode(salt), BASE64.decode(sum)) else {
            return false;
        };
        let mut digest = Sha512::new();
        digest.update(pass);
        digest.update(&salt);
        digest.finalize().as_slice() == sum.as_slice()
    }

    fn verify_mosquitto_pbkdf2(&self, pass: &[u8]) -> bool {
        let mut parts = self.text.split('$').skip(3);
        let (Some(salt), Some(sum)) = (parts.next(), parts.next()) else {
            return false;
        };
        let (Ok(salt), Ok(sum)) = (BASE64.decode(salt), BASE64.decode(sum)) else {
            return false;
        };
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<Sha512>(pass, &salt, self.cost, &mut out);
        out.as_slice() == sum.as_slice()
    }

    fn verify_htpasswd_sha1(&self, pass: &[u8]) -> bool {
        let Some(encoded) = self.text.strip_prefix("{SHA}") else {
            return false;
        };
        let digest = sha1::Sha1::digest(pass);
        BASE64.encode(digest) == encoded
    }
}

/// md5crypt (Poul-Henning Kamp's algorithm) with a caller-chosen magic. Written here because
/// `pwhash` hard-codes the `$1$` magic, and Apache's apr1 is the same algorithm with `$apr1$`
/// mixed into the digest. Returns the 22-character checksum.
fn md5_crypt_with_magic(pass: &[u8], salt: &[u8], magic: &[u8]) -> String {
    let salt = salt.get(..salt.len().min(8)).unwrap_or(salt);
    let mut alternate = Md5::new();
    alternate.update(pass);
    alternate.update(salt);
    alternate.update(pass);
    let alternate = alternate.finalize();

    let mut context = Md5::new();
    context.update(pass);
    context.update(magic);
    context.update(salt);
    let mut remaining = pass.len();
    while remaining > 0 {
        let take = remaining.min(16);
        context.update(alternate.get(..take).unwrap_or_default());
        remaining -= take;
    }
    let mut length = pass.len();
    while length > 0 {
        if length & 1 == 1 {
            context.update([0u8]);
        } else {
            context.update(pass.get(..1).unwrap_or_default());
        }
        length >>= 1;
    }
    let mut hash = context.finalize();
    for round in 0..1000 {
        let mut step = Md5::new();
        if round % 2 == 1 {
            step.update(pass);
        } else {
            step.update(hash);
        }
        if round % 3 != 0 {
            step.update(salt);
        }
        if round % 7 != 0 {
            step.update(pass);
        }
        if round % 2 == 1 {
            step.update(hash);
        } else {
            step.update(pass);
        }
        hash = step.finalize();
    }
    // The final permutation: groups of three bytes, each encoded as four crypt64 characters,
    // then the last byte as two.
    let groups: [(usize, usize, usize); 5] =
        [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)];
    let byte = |i: usize| u32::from(hash.get(i).copied().unwrap_or(0));
    let mut out = String::with_capacity(22);
    let mut push = |mut value: u32, count: usize| {
        for _ in 0..count {
            let index = (value & 0x3f) as usize;
            out.push(char::from(
                CRYPT_ALPHABET.get(index).copied().unwrap_or(b'.'),
            ));
            value >>= 6;
        }
    };
    for (a, b, c) in groups {
        push((byte(a) << 16) | (byte(b) << 8) | byte(c), 4);
    }
    push(byte(11), 2);
    out
}

/// Why a crack run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrackStop {
    /// A candidate matched.
    Matched,
    /// Every candidate was tried.
    Exhausted,
    /// The time budget ran out first.
    BudgetSpent,
    /// Not tried: the hash's cost parameter is beyond any budget.
    TooCostly,
}

/// The result of trying candidates against one hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrackOutcome {
    /// Index into the candidate list of the matching password.
    pub matched: Option<usize>,
    pub tried: usize,
    pub total: usize,
    pub elapsed: Duration,
    pub stop: CrackStop,
}

impl CrackOutcome {
    /// The coverage sentence, e.g. "tried 120 of 714 candidates within 2 s".
    pub fn coverage(&self, budget: Duration) -> String {
        match self.stop {
            CrackStop::Matched => format!(
                "matched after {} of {} candidates in {:.2} s",
                self.tried,
                self.total,
                self.elapsed.as_secs_f64()
            ),
            CrackStop::Exhausted => format!(
                "tried all {} candidates in {:.2} s",
                self.total,
                self.elapsed.as_secs_f64()
            ),
            CrackStop::BudgetSpent => format!(
                "tried {} of {} candidates within {} s",
                self.tried,
                self.total,
                budget.as_secs_f64()
            ),
            CrackStop::TooCostly => format!(
                "tried 0 of {} candidates: the hash's cost parameter is too high to try",
                self.total
            ),
        }
    }
}

/// Tries `candidates` in order against `hash` until one matches, all are tried, or `budget`
/// is spent (checked before each try, so a run overshoots by at most one try).
pub fn crack(hash: &ParsedHash, candidates: &[String], budget: Duration) -> CrackOutcome {
    let start = Instant::now();
    if !hash.is_affordable() {
        return CrackOutcome {
            matched: None,
            tried: 0,
            total: candidates.len(),
            elapsed: start.elapsed(),
            stop: CrackStop::TooCostly,
        };
    }
    let mut tried = 0;
    for (index, candidate) in candidates.iter().enumerate() {
        if start.elapsed() >= budget {
            return CrackOutcome {
                matched: None,
                tried,
                total: candidates.len(),
                elapsed: start.elapsed(),
                stop: CrackStop::BudgetSpent,
            };
        }
        tried += 1;
        if hash.verify(candidate) {
            return CrackOutcome {
                matched: Some(index),
                tried,
                total: candidates.len(),
                elapsed: start.elapsed(),
                stop: CrackStop::Matched,
            };
        }
    }
    CrackOutcome {
        matched: None,
        tried,
        total: candidates.len(),
        elapsed: start.elapsed(),
        stop: CrackStop::Exhausted,
    }
}

/// One hash and the candidates to try on it.
#[derive(Debug, Clone)]
pub struct CrackJob {
    pub hash: ParsedHash,
    pub candidates: Vec<String>,
}

/// Runs every job, in parallel over the available cores, each within `budget`. The results
/// are in job order.
pub fn crack_all(jobs: &[CrackJob], budget: Duration) -> Vec<CrackOutcome> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CrackOutcome>>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else {
                        break;
                    };
                    let outcome = crack(&job.hash, &job.candidates, budget);
                    if let Ok(mut results) = results.lock()
                        && let Some(slot) = results.get_mut(index)
                    {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .zip(jobs)
        .map(|(outcome, job)| {
            // A slot stays empty only if a worker died; report it as not tried.
            outcome.unwrap_or(CrackOutcome {
                matched: None,
                tried: 0,
                total: job.candidates.len(),
                elapsed: Duration::ZERO,
                stop: CrackStop::TooCostly,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(deprecated)] // pwhash marks md5crypt and sha256crypt hashing deprecated; tests make samples.
mod tests {
    use super::*;

    fn hash(text: &str) -> ParsedHash {
        identify(text).unwrap_or_else(|| panic!("not recognised: {text}"))
    }

    #[test]
    fn verifies_every_scheme() {
        // Hashes produced with openssl passwd / htpasswd / mkpasswd for the given passwords.
        let cases = [
            ("$1$12345678$hj0uLpdidjPhbMMZeno8X/", HashScheme::Md5Crypt),
            ("$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1", HashScheme::Apr1),
            ("ST0P8z9dZb6Jg", HashScheme::DesCrypt),
        ];
        for (text, scheme) in cases {
            assert_eq!(hash(text).scheme, scheme, "{text}");
        }
        let generated = pwhash::md5_crypt::hash_with("$1$saltsalt$", "admin").unwrap();
        assert!(hash(&generated).verify("admin"));
        assert!(!hash(&generated).verify("admin1"));
        let sha512 = pwhash::sha512_crypt::hash_with("$6$rounds=1000$abcdefgh$", "root").unwrap();
        assert_eq!(hash(&sha512).scheme, HashScheme::Sha512Crypt);
        assert_eq!(hash(&sha512).cost, 1000);
        assert!(hash(&sha512).verify("root"));
        let sha256 = pwhash::sha256_crypt::hash_with("$5$abcdefgh$", "1234").unwrap();
        assert!(hash(&sha256).verify("1234"));
        let bcrypt = pwhash::bcrypt::hash_with(
            pwhash::bcrypt::BcryptSetup {
                salt: Some("bvIG6Nmid91Mu9RcmmWZfO"),
                cost: Some(4),
                variant: Some(pwhash::bcrypt::BcryptVariant::V2y),
            },
            "password",
        )
        .unwrap();
        assert_eq!(hash(&bcrypt).scheme, HashScheme::Bcrypt);
        assert!(hash(&bcrypt).verify("password"));
        let des = pwhash::unix_crypt::verify("test", "aZGJuE6EXrjEE");
        assert!(des);
        assert!(hash("aZGJuE6EXrjEE").verify("test"));
    }

    #[test]
    fn apr1_matches_the_apache_reference() {
        // Reference values from `openssl passwd -apr1 -salt <salt> <password>`.
        assert_eq!(
            md5_crypt_with_magic(b"password", b"0gbpRcb/", b"$apr1$"),
            "fnqO5JM4.V4K4jYePB33J0"
        );
        assert!(hash("$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1").verify("dragon"));
        assert!(hash("$apr1$nMebU24m$Y8oY1YtYZ/BHxNc47mYzz/").verify("admin"));
        assert!(!hash("$apr1$nMebU24m$Y8oY1YtYZ/BHxNc47mYzz/").verify("admin1"));
        // Cross-check the shared algorithm against pwhash's md5crypt with the `$1$` magic.
        let ours = md5_crypt_with_magic(b"admin", b"saltsalt", b"$1$");
        let theirs = pwhash::md5_crypt::hash_with("$1$saltsalt$", "admin").unwrap();
        assert_eq!(format!("$1$saltsalt${ours}"), theirs);
    }

    #[test]
    fn mosquitto_and_htpasswd_sha1() {
        // {SHA} of "admin".
        let sha = format!("{{SHA}}{}", BASE64.encode(sha1::Sha1::digest(b"admin")));
        assert!(hash(&sha).verify("admin"));
        assert!(!hash(&sha).verify("admin2"));
        let salt = [1u8, 2, 3, 4, 5, 6];
        let mut digest = Sha512::new();
        digest.update(b"secret");
        digest.update(salt);
        let mosquitto = format!(
            "$6${}${}",
            BASE64.encode(salt),
            BASE64.encode(digest.finalize())
        );
        assert_eq!(hash(&mosquitto).scheme, HashScheme::MosquittoSha512);
        assert!(hash(&mosquitto).verify("secret"));
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<Sha512>(b"secret", &salt, 101, &mut out);
        let v7 = format!("$7$101${}${}", BASE64.encode(salt), BASE64.encode(out));
        assert_eq!(hash(&v7).scheme, HashScheme::MosquittoPbkdf2);
        assert!(hash(&v7).verify("secret"));
    }

    #[test]
    fn rejects_lookalikes_and_classifies_fields() {
        for text in [
            "$.su.CHAR.SOMETEXT.FOO_BAR_FOOBAR,regex",
            "$MNTPATH\"",
            "$n,shares",
            "$1$abc",
            "$6$rounds=$salt$x",
            "$2y$99$Eoj2qF43EErrJix4Gtmuq..0FA8AFdqUUmjEqlWsUFzda8.n6OFgW",
            "hello",
        ] {
            assert_eq!(identify(text), None, "{text}");
        }
        assert_eq!(classify_field(""), PasswordField::Empty);
        assert_eq!(classify_field("!"), PasswordField::Locked);
        assert_eq!(classify_field("!!"), PasswordField::Locked);
        assert_eq!(classify_field("*"), PasswordField::Locked);
        assert_eq!(
            classify_field("!$1$12345678$hj0uLpdidjPhbMMZeno8X/"),
            PasswordField::Locked
        );
        assert_eq!(classify_field("x"), PasswordField::Shadowed);
    }

    #[test]
    fn crack_respects_budget_and_cost_limits() {
        let hostile = hash(&format!("$6$rounds=999999999$abcdefgh${}", "a".repeat(86)));
        let outcome = crack(&hostile, &["a".to_owned()], Duration::from_secs(1));
        assert_eq!(outcome.stop, CrackStop::TooCostly);
        let md5 = hash("$1$12345678$hj0uLpdidjPhbMMZeno8X/");
        let many: Vec<String> = (0..100_000).map(|i| format!("pw{i}")).collect();
        let outcome = crack(&md5, &many, Duration::from_millis(50));
        assert_eq!(outcome.stop, CrackStop::BudgetSpent);
        assert!(outcome.tried < many.len());
        assert!(
            outcome
                .coverage(Duration::from_millis(50))
                .contains("of 100000 candidates")
        );
        let jobs = vec![
            CrackJob {
                hash: hash(&pwhash::md5_crypt::hash_with("$1$aa$", "root").unwrap()),
                candidates: vec!["x".into(), "root".into()],
            },
            CrackJob {
                hash: md5,
                candidates: vec!["nope".into()],
            },
        ];
        let results = crack_all(&jobs, Duration::from_secs(5));
        assert_eq!(results[0].matched, Some(1));
        assert_eq!(results[1].stop, CrackStop::Exhausted);
    }
}
