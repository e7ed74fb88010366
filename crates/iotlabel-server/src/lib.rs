//! iotlabel-server: the registry's JSON API and web portal over HTTP (axum). Browsers sign in with a session
//! cookie (state changes then need the `x-csrf-token` header); scripts send a bearer API
//! token. The CLI wires `iotlabel serve` to [`serve`] and `iotlabel admin create-user` to
//! [`create_user`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod api;
mod auth;
mod config;
mod error;
mod keys;
mod metrics;
mod web;
mod worker;

use std::sync::Arc;

use anyhow::Context;
use iotlabel_core::Catalog;
use iotlabel_registry::roles::Role;
use iotlabel_registry::store::{OrganisationKind, Store, User};
use iotlabel_registry::{Clock, LabelSigner, Registry, RegistrySettings, SqlStore};

pub use api::{OPENAPI, router};
pub use config::{DEFAULT_BIND, DEFAULT_DATABASE_URL, ServerConfig};
pub use error::ApiError;
pub use keys::{KEY_FILE_NAME, load_or_create_signing_key};
pub use worker::{default_worker_name, run_worker, work};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub registry: Arc<Registry<SqlStore>>,
    pub signing_key: Arc<ed25519_dalek::SigningKey>,
    /// Whether session cookies carry `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// Request counters for /metrics.
    pub metrics: Arc<metrics::Metrics>,
}

/// Opens the registry: connects to the database (applying migrations) and loads the catalog.
pub async fn open_registry(
    config: &ServerConfig,
    clock: Clock,
) -> anyhow::Result<Registry<SqlStore>> {
    let store = SqlStore::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.redacted_database_url()))?;
    let catalog = Catalog::embedded().map_err(|errors| anyhow::anyhow!("{errors}"))?;
    Ok(Registry::new(
        store,
        Arc::new(catalog),
        clock,
        RegistrySettings {
            max_evidence_bytes: config.max_evidence_bytes,
            password_cost: config.password_cost,
            ..RegistrySettings::default()
        },
    ))
}

/// The state for [`router`]: the registry and the signing key from `config.data_dir`
/// (generated on first start with 0600 permissions).
pub async fn app_state(config: &ServerConfig, clock: Clock) -> anyhow::Result<AppState> {
    let signing_key = load_or_create_signing_key(&config.data_dir)?;
    let registry = open_registry(config, clock)
        .await?
        .with_signer(LabelSigner {
            signing_key: signing_key.clone(),
            base_url: config.public_url.trim_end_matches('/').to_owned(),
        });
    Ok(AppState {
        registry: Arc::new(registry),
        signing_key: Arc::new(signing_key),
        secure_cookies: config.secure_cookies,
        metrics: Arc::default(),
    })
}

/// Runs the server until Ctrl-C / SIGTERM: `iotlabel serve`.
pub async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let state = app_state(&config, Clock::System).await?;
    if config.demo {
        load_demo_once(&state).await?;
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    eprintln!(
        "iotlabel registry listening on http://{} (database {})",
        listener.local_addr().unwrap_or(config.bind),
        config.redacted_database_url()
    );
    // The in-process job worker stops with the server.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(work(state.registry.clone(), default_worker_name(), async {
        let _ = stopped.await;
    }));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP");
    let _ = stop.send(());
    let _ = worker.await;
    served
}

/// Loads the demo data unless this database already has it.
pub async fn load_demo_once(state: &AppState) -> anyhow::Result<()> {
    let registry = &state.registry;
    if registry
        .store()
        .find_organisation("Example Test Lab Pte Ltd")
        .await?
        .is_some()
    {
        eprintln!("demo data already loaded");
        return Ok(());
    }
    let summary = iotlabel_registry::demo::load_demo(registry).await?;
    eprintln!(
        "demo data: {} labels; accounts {} (password \"{}\")",
        summary.labels.len(),
        summary.accounts.join(", "),
        iotlabel_registry::demo::DEMO_PASSWORD
    );
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// A user to create with `iotlabel admin create-user`.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The organisation's name: created (as a manufacturer or test lab, from the role) when
    /// it does not exist. Required for manufacturers and test labs.
    pub organisation: Option<String>,
    pub password: String,
}

/// Creates a user (and their organisation if needed) directly in the database:
/// `iotlabel admin create-user`, the way to bootstrap the first registrar.
pub async fn create_user(config: &ServerConfig, account: NewAccount) -> anyhow::Result<User> {
    let registry = open_registry(config, Clock::System).await?;
    let organisation_id = match &account.organisation {
        Some(name) => {
            let kind = match account.role {
                Role::Manufacturer => OrganisationKind::Manufacturer,
                Role::TestLab => OrganisationKind::TestLab,
                _ => OrganisationKind::Registry,
            };
            let organisation = match registry.store().find_organisation(name).await? {
                Some(existing) => existing,
                None => registry.create_organisation(name, kind).await?,
            };
            Some(organisation.id)
        }
        None => None,
    };
    Ok(registry
        .create_user(
            &account.email,
            &account.display_name,
            account.role,
            organisation_id,
            &account.password,
        )
        .await?)
}

/// Parses a role name as the CLI and API spell it (`manufacturer`, `test-lab`, `assessor`,
/// `registrar`).
pub fn parse_role(text: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|role| role.as_str() == text && *role != Role::Public)
}
