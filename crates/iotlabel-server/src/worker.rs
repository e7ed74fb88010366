//! The job worker: the server runs one in-process; `iotlabel worker` runs one per machine
//! against a shared PostgreSQL. Claims are leases in the database, so any number can run.

use std::sync::Arc;
use std::time::Duration;

use iotlabel_registry::{Clock, Registry, SqlStore};

use crate::{ServerConfig, app_state};

/// How long an idle worker waits before looking for work again.
pub const IDLE_POLL: Duration = Duration::from_secs(2);

/// A worker name unique enough across machines: host name (when known) and process id.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|text| text.trim().to_owned())
        .unwrap_or_default();
    format!(
        "{}-{}",
        if host.is_empty() { "worker" } else { &host },
        std::process::id()
    )
}

/// Runs jobs until `shutdown` completes.
pub async fn work(
    registry: Arc<Registry<SqlStore>>,
    name: String,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let wait = match registry.run_next_job(&name).await {
            Ok(Some(run)) => {
                eprintln!(
                    "job {} ({}) {}: {}",
                    run.job.id,
                    run.job.kind,
                    if run.succeeded { "done" } else { "failed" },
                    run.message
                );
                Duration::ZERO
            }
            Ok(None) => IDLE_POLL,
            Err(error) => {
                eprintln!("job worker {name}: {error}");
                IDLE_POLL
            }
        };
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// `iotlabel worker`: runs jobs from the configured database until Ctrl-C / SIGTERM.
pub async fn run_worker(config: ServerConfig, name: Option<String>) -> anyhow::Result<()> {
    let state = app_state(&config, Clock::System).await?;
    let name = name.unwrap_or_else(default_worker_name);
    eprintln!(
        "iotlabel worker {name} on {}",
        config.redacted_database_url()
    );
    work(state.registry, name, crate::shutdown_signal()).await;
    Ok(())
}
