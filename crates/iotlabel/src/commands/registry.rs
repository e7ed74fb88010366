//! `iotlabel serve`, `iotlabel worker`, `iotlabel admin create-user` and `iotlabel log verify`:
//! the registry service and its administration, over iotlabel-server; and the commands that
//! talk to a running registry over HTTP: `iotlabel verify`, `iotlabel apply` and
//! `iotlabel log verify --registry`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use iotlabel_registry::{Clock, LabelSigner, transparency};
use iotlabel_server::{NewAccount, ServerConfig, parse_role};

/// Where the registry keeps its data; shared by every registry command.
#[derive(Debug, Args)]
pub struct RegistryOptions {
    /// The database: sqlite://FILE?mode=rwc or postgres://... (default: iotlabel.sqlite here).
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Folder holding the signing key (created with 0600 permissions on first start).
    #[arg(long, env = "IOTLABEL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The registry's public base URL: the issuer of credentials and the QR codes' target.
    #[arg(long, env = "IOTLABEL_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

impl RegistryOptions {
    fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::from_env();
        if let Some(url) = &self.database_url {
            config.database_url = url.clone();
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.public_url {
            config.public_url = url.trim_end_matches('/').to_owned();
        }
        config
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = iotlabel_server::DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Load a realistic demo data set (manufacturers, products in every category and level, a
    /// suspended and a revoked label, a UK PSTI route) unless the database has it already.
    #[arg(long)]
    pub demo: bool,
    /// Mark session cookies Secure (when served behind TLS).
    #[arg(long)]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub registry: RegistryOptions,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// A name for this worker in job records (default: host and process id).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub registry: RegistryOptions,
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account. The password is read from the first line of standard input.
    #[command(
        after_help = "Example:\n  echo 'a long passphrase' | iotlabel admin create-user --email reg@example.org --name 'Registrar' --role registrar"
    )]
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// manufacturer, test-lab, assessor or registrar.
        #[arg(long)]
        role: String,
        /// The organisation (created when missing); required for manufacturers and test labs.
        #[arg(long)]
        organisation: Option<String>,
        #[command(flatten)]
        registry: RegistryOptions,
    },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(subcommand)]
    pub command: LogCommand,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Check the whole transparency log of a registry database: every entry against its leaf
    /// hash, and every signed checkpoint's signature and root.
    Verify {
        /// Check a running registry's log over its API instead of a database.
        #[arg(long = "registry", value_name = "URL")]
        remote: Option<String>,
        #[command(flatten)]
        registry: RegistryOptions,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("cannot start the async runtime")
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    let mut config = args.registry.config();
    config.bind = args.bind;
    config.demo = args.demo;
    config.secure_cookies = args.secure_cookies;
    runtime()?.block_on(iotlabel_server::serve(config))?;
    Ok(ExitCode::SUCCESS)
}

pub fn worker(args: WorkerArgs) -> Result<ExitCode> {
    runtime()?.block_on(iotlabel_server::run_worker(
        args.registry.config(),
        args.name,
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub fn admin(args: AdminArgs) -> Result<ExitCode> {
    match args.command {
        AdminCommand::CreateUser {
            email,
            name,
            role,
            organisation,
            registry,
        } => {
            let role = parse_role(&role).with_context(|| {
                format!(
                    "unknown role \"{role}\": use manufacturer, test-lab, assessor or registrar"
                )
            })?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            if password.chars().count() < 10 {
                bail!(
                    "the password (first line of standard input) must have at least 10 characters"
                );
            }
            let account = NewAccount {
                email,
                display_name: name,
                role,
                organisation,
                password,
            };
            let user =
                runtime()?.block_on(iotlabel_server::create_user(&registry.config(), account))?;
            println!("created {} ({})", user.email, role.as_str());
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn log(args: LogArgs) -> Result<ExitCode> {
    match args.command {
        LogCommand::Verify {
            remote: Some(url), ..
        } => {
            let verification = verify_remote_log(&url)?;
            println!(
                "log verified: {} entries, signed checkpoint checked, root {}",
                verification.entries, verification.root_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Verify {
            remote: None,
            registry,
        } => {
            let config = registry.config();
            let verification = runtime()?.block_on(async {
                let signing_key = iotlabel_server::load_or_create_signing_key(&config.data_dir)?;
                let signer = LabelSigner {
                    signing_key,
                    base_url: config.public_url.trim_end_matches('/').to_owned(),
                };
                let verifier: iotlabel_log::note::NoteVerifier =
                    transparency::verifier_key(&signer)?
                        .parse()
                        .map_err(|error| {
                            anyhow::anyhow!("the registry's verifier key is malformed: {error:?}")
                        })?;
                let registry = iotlabel_server::open_registry(&config, Clock::System).await?;
                anyhow::Ok(registry.verify_log(&verifier).await?)
            })?;
            println!(
                "log verified: {} entries, {} signed checkpoints, root {}",
                verification.entries, verification.checkpoints, verification.root_hash
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

// ---- online commands: verify, apply, log verify --registry -------------------------------

/// The largest response body read from a registry (bounds memory on a hostile server).
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest credential file or evidence file read from disk.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Log entries asked for per page (the server serves at most 1000).
const LOG_PAGE: i64 = 500;

/// A blocking JSON client for one registry's API.
struct RegistryClient {
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
}

impl RegistryClient {
    fn new(base: &str, token: Option<String>) -> Result<RegistryClient> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the registry URL must start with http:// or https://, not {base:?}");
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Error statuses carry the API's JSON explanation: read them rather than fail.
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        Ok(RegistryClient { base, agent, token })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorization(&self) -> Option<String> {
        self.token.as_ref().map(|token| format!("Bearer {token}"))
    }

    /// GET of an absolute URL; the body as text, or an error naming the API's message.
    fn get_text_at(&self, url: &str) -> Result<String> {
        let mut request = self.agent.get(url);
        if let Some(value) = self.authorization() {
            request = request.header("authorization", value);
        }
        let response = request
            .call()
            .with_context(|| format!("cannot reach {url}"))?;
        read_response(url, response)
    }

    fn get_json(&self, path: &str) -> Result<serde_json::Value> {
        let url = self.url(path);
        parse_json(&url, &self.get_text_at(&url)?)
    }

    fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        let url = self.url(path);
        let mut request = self.agent.post(&url);
        if let Some(value) = self.authorization() {
            request = request.header("authorization", value);
        }
        let response = request
            .send_json(body)
            .with_context(|| format!("cannot reach {url}"))?;
        parse_json(&url, &read_response(&url, response)?)
    }

    fn post_bytes(&self, path: &str, bytes: &[u8]) -> Result<serde_json::Value> {
        let url = self.url(path);
        let mut request = self
            .agent
            .post(&url)
            .header("content-type", "application/octet-stream");
        if let Some(value) = self.authorization() {
            request = request.header("authorization", value);
        }
        let response = request
            .send(bytes)
            .with_context(|| format!("cannot reach {url}"))?;
        parse_json(&url, &read_response(&url, response)?)
    }
}

fn read_response(url: &str, mut response: ureq::http::Response<ureq::Body>) -> Result<String> {
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .with_context(|| format!("cannot read the answer of {url}"))?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|body| {
                body.get("error")
                    .and_then(|e| e.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| text.chars().take(300).collect());
        bail!("{url} answered {status}: {message}");
    }
    Ok(text)
}

fn parse_json(url: &str, text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).with_context(|| format!("{url} did not answer JSON"))
}

/// Reads a file of at most [`MAX_FILE_BYTES`].
fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
        bail!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    Ok(bytes)
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A label credential file (JSON), or a label's registration id (CSA/311228/000123) or its
    /// URL form (CSA-311228-000123) to fetch from --registry.
    pub credential_or_label: String,
    /// The registry: where the key, the live status and (for a label id) the credential come from.
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// The registry's public key (multibase, as /api/keys publishes it), or a file holding it;
    /// checks the signature offline.
    #[arg(long, value_name = "MULTIBASE-OR-FILE")]
    pub key: Option<String>,
}

/// Why a label is not valid (exit status 1).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Invalid {
    BadSignature(String),
    Suspended(Option<String>),
    Revoked,
    Expired(String),
    NotYetValid(String),
    UnknownStatus(String),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::BadSignature(why) => write!(f, "bad signature: {why}"),
            Invalid::Suspended(Some(reason)) => write!(f, "suspended: {reason}"),
            Invalid::Suspended(None) => write!(f, "suspended"),
            Invalid::Revoked => write!(f, "revoked"),
            Invalid::Expired(until) => write!(f, "expired (valid until {until})"),
            Invalid::NotYetValid(from) => write!(f, "not yet valid (valid from {from})"),
            Invalid::UnknownStatus(status) => write!(f, "the registry reports status {status:?}"),
        }
    }
}

/// The registration id's URL form, from an id, its URL form, or a URL ending in it.
fn label_url_form(text: &str) -> Result<String> {
    let text = text.trim();
    let candidate = if text.starts_with("http://") || text.starts_with("https://") {
        text.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
    } else {
        text
    };
    let url_form = iotlabel_core::label_id::to_url_form(candidate);
    iotlabel_core::label_id::from_url_form(&url_form)
        .map_err(|error| anyhow::anyhow!("{text:?} is neither a file nor a label id: {error}"))?;
    Ok(url_form)
}

/// The verifying key: from --key (multibase or a file holding it) or from the registry's
/// /api/keys entry named by the credential's verificationMethod.
fn verifying_key(
    args: &VerifyArgs,
    client: Option<&RegistryClient>,
    credential: &serde_json::Value,
) -> Result<ed25519_dalek::VerifyingKey> {
    use iotlabel_formats::credential::decode_public_key_multibase;
    if let Some(key) = &args.key {
        let path = std::path::Path::new(key);
        let text = if path.is_file() {
            String::from_utf8(read_bounded(path)?)
                .with_context(|| format!("{} is not text", path.display()))?
        } else {
            key.clone()
        };
        return decode_public_key_multibase(text.trim())
            .map_err(|error| anyhow::anyhow!("--key is not a multibase Ed25519 key: {error}"));
    }
    let Some(client) = client else {
        bail!("give --key, or --registry to fetch the registry's key");
    };
    let keys = client.get_json("/api/keys")?;
    let keys = keys
        .get("keys")
        .and_then(|keys| keys.as_array())
        .context("/api/keys has no keys list")?;
    let method = credential
        .pointer("/proof/verificationMethod")
        .and_then(|method| method.as_str());
    let chosen = keys
        .iter()
        .find(|key| method.is_some() && key.get("id").and_then(|id| id.as_str()) == method)
        .or(if keys.len() == 1 { keys.first() } else { None })
        .context("the registry publishes no key for this credential's verificationMethod")?;
    let multibase = chosen
        .get("publicKeyMultibase")
        .and_then(|key| key.as_str())
        .context("the registry's key has no publicKeyMultibase")?;
    decode_public_key_multibase(multibase)
        .map_err(|error| anyhow::anyhow!("the registry's key is malformed: {error}"))
}

/// The registry's live status of a label as /api/labels/{id} serves it.
fn live_status(label: &serde_json::Value) -> Result<(), Invalid> {
    let status = label
        .get("status")
        .and_then(|status| status.as_str())
        .unwrap_or("");
    match status {
        "valid" => Ok(()),
        "suspended" => Err(Invalid::Suspended(
            label
                .get("suspension_reason")
                .and_then(|reason| reason.as_str())
                .map(str::to_owned),
        )),
        "revoked" => Err(Invalid::Revoked),
        "expired" => Err(Invalid::Expired(
            label
                .get("valid_until")
                .and_then(|until| until.as_str())
                .unwrap_or("?")
                .to_owned(),
        )),
        other => Err(Invalid::UnknownStatus(other.to_owned())),
    }
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let client = args
        .registry
        .as_deref()
        .map(|url| RegistryClient::new(url, None))
        .transpose()?;
    let path = std::path::Path::new(&args.credential_or_label);
    let (credential, label_status) = if path.is_file() {
        let bytes = read_bounded(path)?;
        let credential: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a JSON credential", path.display()))?;
        (credential, None)
    } else {
        let url_form = label_url_form(&args.credential_or_label)?;
        let Some(client) = &client else {
            bail!(
                "{:?} is not a file: give --registry to look the label up",
                args.credential_or_label
            );
        };
        let credential = client.get_json(&format!("/api/labels/{url_form}/credential"))?;
        let status = client.get_json(&format!("/api/labels/{url_form}"))?;
        (credential, Some(status))
    };
    let key = verifying_key(&args, client.as_ref(), &credential)?;
    let outcome = check_credential(&credential, &key, client.as_ref(), label_status);
    match outcome {
        Ok(label) => {
            println!(
                "valid: {} (level {}, {} {}), valid until {}",
                label.claims.registration_id,
                label.claims.level,
                label.claims.product.manufacturer,
                label.claims.product.name,
                label.claims.valid_until
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(CheckError::Invalid(invalid)) => {
            println!("not valid: {invalid}");
            Ok(ExitCode::from(1))
        }
        Err(CheckError::Other(error)) => Err(error),
    }
}

enum CheckError {
    Invalid(Invalid),
    Other(anyhow::Error),
}

/// The signature, the validity period by this machine's clock, and (online) the live status.
fn check_credential(
    credential: &serde_json::Value,
    key: &ed25519_dalek::VerifyingKey,
    client: Option<&RegistryClient>,
    label_status: Option<serde_json::Value>,
) -> Result<iotlabel_formats::credential::VerifiedLabel, CheckError> {
    let label = iotlabel_formats::credential::verify(credential, key)
        .map_err(|error| CheckError::Invalid(Invalid::BadSignature(error.to_string())))?;
    let status = match (label_status, client) {
        (Some(status), _) => Some(status),
        (None, Some(client)) => Some(
            client
                .get_text_at(&label.claims.status_url)
                .and_then(|text| parse_json(&label.claims.status_url, &text))
                .map_err(CheckError::Other)?,
        ),
        (None, None) => None,
    };
    if let Some(status) = status {
        live_status(&status).map_err(CheckError::Invalid)?;
    }
    let now = time::OffsetDateTime::now_utc();
    if now > label.valid_until {
        return Err(CheckError::Invalid(Invalid::Expired(
            label.claims.valid_until.to_string(),
        )));
    }
    if now < label.valid_from {
        return Err(CheckError::Invalid(Invalid::NotYetValid(
            label.claims.valid_from.to_string(),
        )));
    }
    Ok(label)
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The product dossier (TOML, or JSON when it ends in .json), as `iotlabel assess` reads it.
    pub dossier: PathBuf,
    /// The registry to apply to. The API token is read from the IOTLABEL_TOKEN environment
    /// variable (never an argument: arguments show in process lists).
    #[arg(long, value_name = "URL")]
    pub registry: String,
    /// The test lab's organisation id in the registry (required to --submit).
    #[arg(long, value_name = "ID")]
    pub lab: Option<i64>,
    /// Also send the application to the lab once created.
    #[arg(long)]
    pub submit: bool,
}

/// The environment variable holding the API token of `iotlabel apply`.
pub const TOKEN_VARIABLE: &str = "IOTLABEL_TOKEN";

pub fn apply(catalog: &iotlabel_core::Catalog, args: ApplyArgs) -> Result<ExitCode> {
    let token = std::env::var(TOKEN_VARIABLE)
        .ok()
        .filter(|token| !token.trim().is_empty())
        .with_context(|| format!("set {TOKEN_VARIABLE} to an API token of the registry"))?;
    let client = RegistryClient::new(&args.registry, Some(token.trim().to_owned()))?;
    let loaded = crate::load::dossier(catalog, &args.dossier)?;
    let mut dossier = loaded.dossier;
    let folder = args
        .dossier
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // The registry stores evidence under a plain file name (no folders) and matches it with
    // the dossier's `file`: upload each file under its base name and name it so in the dossier.
    let mut uploads: Vec<(String, PathBuf)> = Vec::new();
    for item in &mut dossier.evidence {
        let Some(file) = &item.file else { continue };
        let full = folder.join(file);
        let name = full
            .file_name()
            .and_then(|name| name.to_str())
            .with_context(|| format!("evidence {}: {file:?} has no file name", item.id))?
            .to_owned();
        if let Some((_, other)) = uploads.iter().find(|(taken, _)| *taken == name) {
            if *other != full {
                bail!(
                    "two evidence files are both named {name:?} ({} and {}): rename one",
                    other.display(),
                    full.display()
                );
            }
        } else {
            uploads.push((name.clone(), full));
        }
        item.file = Some(name);
    }
    let created = client.post_json(
        "/api/applications",
        &serde_json::json!({
            "dossier": serde_json::to_value(&dossier)?,
            "lab_organisation_id": args.lab,
        }),
    )?;
    let id = created
        .get("id")
        .and_then(|id| id.as_i64())
        .context("the registry's answer has no application id")?;
    println!("application {id} created");
    for (name, path) in &uploads {
        let bytes = read_bounded(path)?;
        let evidence = client.post_bytes(
            &format!(
                "/api/applications/{id}/evidence?name={}",
                percent_encode_query(name)
            ),
            &bytes,
        )?;
        let sha256 = evidence
            .get("sha256")
            .and_then(|sha| sha.as_str())
            .unwrap_or("?");
        println!("  uploaded {name} ({} bytes, sha256 {sha256})", bytes.len());
    }
    let application = client.get_json(&format!("/api/applications/{id}"))?;
    print_assessment(&application);
    if args.submit {
        let sent = client.post_json(
            &format!("/api/applications/{id}/actions/send-to-lab"),
            &serde_json::json!({}),
        )?;
        let state = sent
            .pointer("/application/state")
            .and_then(|state| state.as_str())
            .unwrap_or("?");
        println!("submitted: application {id} is now {state}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Encodes a query value. Written here because only file names pass through it: everything
/// but unreserved ASCII becomes %XX.
fn percent_encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The engine's level and what blocks the target, from an application view.
fn print_assessment(application: &serde_json::Value) {
    let Some(assessment) = application.get("assessment").filter(|a| !a.is_null()) else {
        let why = application
            .get("assessment_error")
            .and_then(|error| error.as_str())
            .unwrap_or("no assessment");
        println!("not assessed: {why}");
        return;
    };
    let attained = assessment
        .get("level_attained")
        .and_then(|level| level.as_i64())
        .unwrap_or(0);
    let target = application
        .pointer("/product/target_level")
        .and_then(|level| level.as_i64());
    match target {
        Some(target) => println!("level attained: {attained} (target {target})"),
        None => println!("level attained: {attained}"),
    }
    let blocking = assessment
        .get("blocking")
        .and_then(|blocking| blocking.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let blocking: Vec<&serde_json::Value> = blocking
        .iter()
        .filter(|item| {
            let level = item.get("level").and_then(|level| level.as_i64());
            match (level, target) {
                (Some(level), Some(target)) => level <= target,
                _ => true,
            }
        })
        .collect();
    if blocking.is_empty() {
        println!("blocking: none");
    } else {
        println!("blocking:");
        for item in blocking {
            let level = item.get("level").and_then(|l| l.as_i64()).unwrap_or(0);
            let name = item.get("item").and_then(|i| i.as_str()).unwrap_or("?");
            let reason = item.get("reason").and_then(|r| r.as_str()).unwrap_or("");
            println!("  level {level}: {name}: {reason}");
        }
    }
}

/// `iotlabel log verify --registry URL`: pages through /api/log/entries, recomputing every
/// leaf hash, then checks the latest signed checkpoint with the key from /api/log/verifier.
fn verify_remote_log(url: &str) -> Result<transparency::LogVerification> {
    let client = RegistryClient::new(url, None)?;
    let verifier = client.get_json("/api/log/verifier")?;
    let verifier: iotlabel_log::note::NoteVerifier = verifier
        .get("verifier_key")
        .and_then(|key| key.as_str())
        .context("/api/log/verifier has no verifier_key")?
        .parse()
        .map_err(|error| anyhow::anyhow!("the registry's verifier key is malformed: {error:?}"))?;
    // The signed checkpoint first: its size bounds how many entries are read, so a hostile
    // server cannot make this loop (or its memory) grow without end.
    let checkpoint_url = client.url("/api/log/checkpoint");
    let checkpoint = client.get_text_at(&checkpoint_url)?;
    let opened = iotlabel_log::Checkpoint::open(
        checkpoint.as_bytes(),
        verifier.name(),
        std::slice::from_ref(&verifier),
    )
    .map_err(|error| anyhow::anyhow!("the registry's checkpoint does not verify: {error}"))?;
    let size = i64::try_from(opened.size).context("the checkpoint's size is out of range")?;
    let mut checker = transparency::LogChecker::default();
    while checker.size() < size {
        let start = checker.size();
        let limit = LOG_PAGE.min(size - start);
        let page = client.get_json(&format!("/api/log/entries?start={start}&limit={limit}"))?;
        let entries: Vec<iotlabel_registry::store::LogEntry> = serde_json::from_value(
            page.get("entries")
                .cloned()
                .context("/api/log/entries has no entries list")?,
        )
        .context("/api/log/entries: malformed entries")?;
        if entries.is_empty() {
            bail!("the registry serves no log entry {start} though its checkpoint covers {size}");
        }
        // Only the entries the checkpoint covers (a server may send more than asked).
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        checker.add_entries(entries.get(..wanted).unwrap_or(&entries))?;
    }
    checker.check_checkpoint(&checkpoint, &verifier)?;
    Ok(checker.finish(1))
}
