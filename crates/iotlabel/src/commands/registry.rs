//! `iotlabel serve`, `iotlabel worker`, `iotlabel admin create-user` and `iotlabel log verify`:
//! the registry service and its administration, over iotlabel-server.

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
        LogCommand::Verify { registry } => {
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
