//! The registry's Ed25519 signing key: generated on first start and kept in the data folder
//! as hex, readable by the owner only (0600).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;

pub const KEY_FILE_NAME: &str = "registry-ed25519.key";

/// Loads the key from `data_dir`, or creates it (0600) if there is none. Refuses a key file
/// that others can read.
pub fn load_or_create_signing_key(data_dir: &Path) -> anyhow::Result<SigningKey> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    let path = data_dir.join(KEY_FILE_NAME);
    if path.exists() {
        check_private(&path)?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .with_context(|| format!("{} is not a 32-byte hex key", path.display()))?;
        return Ok(SigningKey::from_bytes(&bytes));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| anyhow::anyhow!("random generator: {error}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(hex::encode(seed).as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(unix)]
fn check_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} is readable by others (mode {:o}): chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_private_and_reloaded() {
        let directory = tempfile::tempdir().unwrap();
        let first = load_or_create_signing_key(directory.path()).unwrap();
        let path = directory.path().join(KEY_FILE_NAME);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(load_or_create_signing_key(directory.path()).is_err());
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let second = load_or_create_signing_key(directory.path()).unwrap();
        assert_eq!(first.to_bytes(), second.to_bytes());
    }
}
