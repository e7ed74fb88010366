//! Accounts: Argon2id password hashing, random secrets (session ids, API tokens, CSRF tokens)
//! of which only a SHA-256 is stored, and API token scopes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::roles::Permission;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the system random generator failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("a password needs at least {0} characters")]
    WeakPassword(usize),
    #[error("unknown token scope {0:?}")]
    UnknownScope(String),
}

pub const MIN_PASSWORD_LENGTH: usize = 10;

/// Argon2id cost. [`PasswordCost::Standard`] is OWASP's recommended minimum (19 MiB, 2
/// passes); [`PasswordCost::Fast`] is for tests only. The parameters are stored in each hash,
/// so verification always uses the cost the hash was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    Standard,
    Fast,
}

fn argon2(cost: PasswordCost) -> Result<Argon2<'static>, AccountError> {
    let params = match cost {
        PasswordCost::Standard => Params::new(19 * 1024, 2, 1, None),
        PasswordCost::Fast => Params::new(64, 1, 1, None),
    }
    .map_err(|error| AccountError::Hash(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// An Argon2id PHC string for `password`.
pub fn hash_password(password: &str, cost: PasswordCost) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(AccountError::WeakPassword(MIN_PASSWORD_LENGTH));
    }
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|error| AccountError::Hash(error.to_string()))?;
    argon2(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::Hash(error.to_string()))
}

/// Whether `password` matches `phc` (false for a malformed hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| AccountError::Random(error.to_string()))?;
    Ok(bytes)
}

/// A new secret: `prefix` and 32 random bytes in hex. Only [`secret_digest`] of it is stored.
pub fn new_secret(prefix: &str) -> Result<String, AccountError> {
    Ok(format!("{prefix}{}", hex::encode(random_bytes::<32>()?)))
}

/// The SHA-256 (hex) under which a secret is stored and looked up.
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ (CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

/// The permissions an API token may be limited to, by their kebab-case names.
pub const SCOPE_NAMES: &[(&str, Permission)] = &[
    ("create-application", Permission::CreateApplication),
    ("edit-draft", Permission::EditDraft),
    ("upload-evidence", Permission::UploadEvidence),
    ("review-as-lab", Permission::ReviewAsLab),
    ("assess-applications", Permission::AssessApplications),
    ("decide-applications", Permission::DecideApplications),
    ("suspend-labels", Permission::SuspendLabels),
    ("revoke-labels", Permission::RevokeLabels),
    ("manage-accounts", Permission::ManageAccounts),
    ("read-published-labels", Permission::ReadPublishedLabels),
    (
        "handle-vulnerability-reports",
        Permission::HandleVulnerabilityReports,
    ),
];

/// Parses a space-separated scope list; `*` means every permission of the token's user.
pub fn parse_scopes(text: &str) -> Result<Vec<Permission>, AccountError> {
    let mut scopes = Vec::new();
    for word in text.split_whitespace() {
        if word == "*" {
            scopes.extend(SCOPE_NAMES.iter().map(|(_, permission)| *permission));
            continue;
        }
        let permission = SCOPE_NAMES
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, permission)| *permission)
            .ok_or_else(|| AccountError::UnknownScope(word.to_owned()))?;
        scopes.push(permission);
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_are_salted() {
        let first = hash_password("correct horse battery", PasswordCost::Fast).unwrap();
        let second = hash_password("correct horse battery", PasswordCost::Fast).unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "salted");
        assert!(verify_password("correct horse battery", &first));
        assert!(!verify_password("correct horse battery!", &first));
        assert!(!verify_password("anything", "not a hash"));
        assert!(matches!(
            hash_password("short", PasswordCost::Fast),
            Err(AccountError::WeakPassword(_))
        ));
    }

    #[test]
    fn secrets_and_scopes() {
        let secret = new_secret("iotl_").unwrap();
        assert_eq!(secret.len(), 5 + 64);
        assert_eq!(secret_digest(&secret).len(), 64);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert_eq!(
            parse_scopes("create-application upload-evidence").unwrap(),
            vec![Permission::CreateApplication, Permission::UploadEvidence]
        );
        assert_eq!(parse_scopes("*").unwrap().len(), SCOPE_NAMES.len());
        assert!(parse_scopes("root").is_err());
    }
}
