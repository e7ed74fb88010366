//! Background jobs: work that takes a while runs as rows of the `jobs` table, claimed by the
//! server's own worker or by `iotlabel worker` processes sharing the database. A claim is a
//! lease: a worker that dies stops renewing nothing, its lease runs out and another worker
//! takes the job again (up to `max_attempts`). When the worker dies on the last attempt, the
//! next claim by any worker fails the job with an error naming the silent worker, so
//! GET /api/jobs/{id} shows `failed` rather than `running` forever.

use serde::Serialize;

use crate::firmware_scan::SCAN_FIRMWARE;
use crate::service::{Registry, RegistryError};
use crate::store::{JobRecord, PortalStore, Store};

/// Signs a checkpoint of the transparency log if it has grown.
pub const PUBLISH_CHECKPOINT: &str = "publish-checkpoint";
/// Re-assesses every open application with today's date (e.g. after a catalog update).
pub const REASSESS_OPEN_APPLICATIONS: &str = "reassess-open-applications";
pub const JOB_KINDS: &[&str] = &[PUBLISH_CHECKPOINT, REASSESS_OPEN_APPLICATIONS];

/// How long a claim lasts before another worker may take the job.
pub const LEASE_SECONDS: i64 = 300;
pub const MAX_ATTEMPTS: i64 = 5;

/// What one run of [`Registry::run_next_job`] did.
#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    pub job: JobRecord,
    pub succeeded: bool,
    pub message: String,
}

impl<S: Store + PortalStore> Registry<S> {
    /// Queues a job of a known kind; returns its id.
    pub async fn enqueue_job(&self, kind: &str) -> Result<i64, RegistryError> {
        if !JOB_KINDS.contains(&kind) {
            return Err(RegistryError::Invalid(format!(
                "unknown job kind {kind:?}: use one of {}",
                JOB_KINDS.join(", ")
            )));
        }
        Ok(self
            .store()
            .enqueue_job(kind, "{}", MAX_ATTEMPTS, self.clock().now())
            .await?)
    }

    /// Claims the next ready job for `worker` and runs it; `None` when there is nothing to do.
    /// A failure is recorded and retried later with a growing delay.
    pub async fn run_next_job(&self, worker: &str) -> Result<Option<JobRun>, RegistryError> {
        let now = self.clock().now();
        let Some(job) = self.store().claim_job(worker, now, LEASE_SECONDS).await? else {
            return Ok(None);
        };
        let outcome = match job.kind.as_str() {
            PUBLISH_CHECKPOINT => self
                .checkpoint()
                .await
                .map(|checkpoint| format!("checkpoint of size {}", checkpoint.size)),
            REASSESS_OPEN_APPLICATIONS => self
                .reassess_open_applications()
                .await
                .map(|count| format!("{count} applications re-assessed")),
            SCAN_FIRMWARE => self.run_firmware_scan(&job, worker).await,
            other => Err(RegistryError::Invalid(format!(
                "unknown job kind {other:?}"
            ))),
        };
        let finished = self.clock().now();
        let (succeeded, message) = match outcome {
            Ok(message) => {
                self.store().complete_job(job.id, worker, finished).await?;
                (true, message)
            }
            Err(error) => {
                let message = error.to_string();
                // 30 s, 60 s, 120 s, ... between attempts.
                let delay = 30_i64.saturating_mul(1 << job.attempts.clamp(0, 10));
                self.store()
                    .fail_job(
                        job.id,
                        worker,
                        &message,
                        finished.saturating_add(delay),
                        finished,
                    )
                    .await?;
                (false, message)
            }
        };
        Ok(Some(JobRun {
            job,
            succeeded,
            message,
        }))
    }
}
